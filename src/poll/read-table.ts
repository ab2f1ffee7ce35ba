/**
 * One jool call that prints a session table: streamed into the parser chunk by
 * chunk, judged by jool's exit status (real Jool prints the CSV header and
 * *then* fails with exit 3 for a missing instance, so "it parsed" proves nothing),
 * then analysed. Running a call and judging its exit live in jool/call.ts; where
 * the parse and the analysis run, in table-worker.ts.
 */

import { type CallFailure, judgeExit } from '../jool/call.js';
import type { JoolRunner } from '../jool/runner.js';
import type { Protocol } from '../model.js';
import type { ParseResult } from '../parse/session-csv.js';
import { createYielder } from '../slices.js';
import type { AnalysisOptions, TableAnalysis } from '../table/analyse-table.js';
import type { TableSize } from '../table/session-table.js';
import { parseOnThisThread, type StartTableParse } from './table-worker.js';

/** Longest stretch of parsing between two turns of the event loop. */
const YIELD_EVERY_MS = 4;

export type TableRead =
  | ({ readonly ok: true; readonly analysis: TableAnalysis } & ParseResult)
  | (CallFailure & { readonly parsed?: ParseResult });

export interface ReadOptions {
  readonly timeoutMs: number;
  /** A table with more rows fails (reason too_large) and jool is killed. */
  readonly maxRows?: number;
  /** The table's size in the previous poll (none: unknown), so the parser can size its columns and interners once. */
  readonly expected?: TableSize | undefined;
  /** What the analysis of a table read whole needs. */
  readonly analysis: AnalysisOptions;
  /** Where the parse and the analysis run (the exporter's table worker); by default this thread. */
  readonly parse?: StartTableParse | undefined;
}

export async function readSessionTable(
  run: JoolRunner,
  args: readonly string[],
  protocol: Protocol,
  options: ReadOptions,
): Promise<TableRead> {
  const { timeoutMs, maxRows = Infinity, expected } = options;
  const call = run(args, { timeoutMs });
  const parser = (options.parse ?? parseOnThisThread)(protocol, { maxRows, ...(expected === undefined ? {} : { expected }) });
  let tooLarge = false;
  try {
    // When jool is faster than the parser, chunks queue up in the stream and for-await hands them
    // over as already-resolved promises: microtasks that never let the event loop reach a waiting
    // scrape. Yield a turn every few milliseconds of parsing.
    const yielder = createYielder(YIELD_EVERY_MS);
    for await (const chunk of call.stdout) {
      // Only when the worker is behind: wait for it before reading on.
      await parser.push(chunk);
      // Memory grows with the rows kept: a jool that never stops printing valid rows must not be
      // bounded by --jool.timeout alone.
      if (parser.rows > maxRows) {
        tooLarge = true;
        call.abort();
        break;
      }
      await yielder.maybeYield();
    }
  } catch {
    call.abort(); // a broken pipe: the exit status below says what happened
  }
  const exit = await call.exit;
  const tooLargeFailure = (parsed: ParseResult): TableRead => ({
    ok: false,
    reason: 'too_large',
    message: `jool ${args.join(' ')}: more than ${maxRows} ${protocol} sessions (--poll.max-rows); killed`,
    parsed,
  });
  if (tooLarge) return tooLargeFailure(await parser.finish());
  const failure = judgeExit(exit, args);
  if (failure !== null) return { ...failure, parsed: await parser.finish() };
  // The parse's row count (on the worker) may arrive after jool's last byte: the table says.
  const { analysis, ...parsed } = await parser.finish(options.analysis);
  if (parsed.table.length > maxRows) return tooLargeFailure(parsed);
  if (parsed.table.length === 0 && parsed.rejected.count > 0) {
    return {
      ok: false,
      reason: 'parse',
      message: `no line of the output is a ${protocol} session row (${parsed.rejected.reason}: ${JSON.stringify(parsed.rejected.example)})`,
      parsed,
    };
  }
  // finish() was given the analysis's options, and the table is within bounds: it is there.
  return { ok: true, ...parsed, analysis: analysis! };
}
