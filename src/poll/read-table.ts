/**
 * One jool call that prints a session table: streamed into the parser chunk by
 * chunk, judged by jool's exit status (real Jool prints the CSV header and
 * *then* fails with exit 3 for a missing instance, so "it parsed" proves nothing).
 * Running a call and judging its exit live in jool/call.ts.
 */

import { type CallFailure, judgeExit } from '../jool/call.js';
import type { JoolRunner } from '../jool/runner.js';
import type { Protocol } from '../model.js';
import { createSessionCsvParser, type ParseResult } from '../parse/session-csv.js';
import { createYielder } from '../slices.js';
import type { TableSize } from '../table/session-table.js';

/** Longest stretch of parsing between two turns of the event loop. */
const YIELD_EVERY_MS = 4;

export type TableRead = ({ readonly ok: true } & ParseResult) | (CallFailure & { readonly parsed?: ParseResult });

/** `expected`: the table's size in the previous poll (none: unknown), so the parser can size its columns and interners once. */
export async function readSessionTable(
  run: JoolRunner,
  args: readonly string[],
  protocol: Protocol,
  timeoutMs: number,
  maxRows = Infinity,
  expected?: TableSize,
): Promise<TableRead> {
  const call = run(args, { timeoutMs });
  const parser = createSessionCsvParser(protocol, expected === undefined ? {} : { expected });
  let tooLarge = false;
  try {
    // When jool is faster than the parser, chunks queue up in the stream and for-await hands them
    // over as already-resolved promises: microtasks that never let the event loop reach a waiting
    // scrape. Yield a turn every few milliseconds of parsing.
    const yielder = createYielder(YIELD_EVERY_MS);
    for await (const chunk of call.stdout) {
      parser.push(chunk as Buffer);
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
  const parsed = parser.finish();
  if (tooLarge) {
    return {
      ok: false,
      reason: 'too_large',
      message: `jool ${args.join(' ')}: more than ${maxRows} ${protocol} sessions (--poll.max-rows); killed`,
      parsed,
    };
  }
  const failure = judgeExit(exit, args);
  if (failure !== null) return { ...failure, parsed };
  if (parsed.table.length === 0 && parsed.rejected.count > 0) {
    return {
      ok: false,
      reason: 'parse',
      message: `no line of the output is a ${protocol} session row (${parsed.rejected.reason}: ${JSON.stringify(parsed.rejected.example)})`,
      parsed,
    };
  }
  return { ok: true, ...parsed };
}
