/**
 * One poll of one Jool instance: the version check (first time only), pool4,
 * the TCP, UDP and ICMP session tables (one jool call each, in sequence, so
 * that the kernel dumps one table at a time) and Jool's counters. Every call
 * must exit 0; only then does the result replace the instance's previous one,
 * as a whole.
 */

import { type CallFailure, readOutput } from '../jool/call.js';
import { type Dialect, parseJoolVersion, pool4DisplayArgs, sessionDisplayArgs, statsDisplayArgs, VERSION_ARGS } from '../jool/commands.js';
import type { JoolRunner } from '../jool/runner.js';
import type { Pool4Entry } from '../model.js';
import { PROTOCOLS, type Protocol } from '../model.js';
import { parsePool4Csv } from '../parse/pool4-csv.js';
import type { RejectedRows } from '../parse/session-csv.js';
import { parseStatsCsv } from '../parse/stats-csv.js';
import type { JoolStat, JoolVersion, PolledTable } from '../status/model.js';
import type { Pool4Report } from '../table/pool4.js';
import type { TableSize } from '../table/session-table.js';
import { readSessionTable } from './read-table.js';
import type { StartTableParse } from './table-worker.js';

export interface PollTarget {
  /** The instance as labelled: its name, plus `@netns` when it lives in another network namespace. */
  readonly key: string;
  /** The instance name jool knows. */
  readonly instance: string;
  readonly run: JoolRunner;
  /** 'auto' asks `jool --version` which CLI generation this is. */
  readonly dialect: Dialect | 'auto';
  readonly timeoutMs: number;
  /** A session table with more rows than this fails the poll (reason too_large). */
  readonly maxRows: number;
  /** Subscriber = client address cut to this prefix length; top N subscribers get their own series. */
  readonly clients: { readonly prefixLength: number; readonly top: number };
  /** Top N destinations and services get their own series; 0: not computed at all. */
  readonly destinationsTop: number;
  /** Where session tables are parsed (the exporter's worker thread); by default the calling thread. */
  readonly parse?: StartTableParse;
}

/** Malformed rows seen in this poll, per table (`tcp`, `udp`, `icmp`, `pool4`, `stats`), for the log. */
export type RejectedByTable = Partial<Record<Protocol | 'pool4' | 'stats', RejectedRows>>;

export type PollOutcome =
  | {
      readonly ok: true;
      readonly tables: Record<Protocol, PolledTable>;
      readonly pool4: Record<Protocol, Pool4Report>;
      readonly stats: readonly JoolStat[] | undefined;
      readonly rejected: RejectedByTable;
      readonly jool: JoolVersion;
    }
  | (CallFailure & { readonly rejected: RejectedByTable; readonly jool?: JoolVersion });

export async function detectJool(run: JoolRunner, dialect: Dialect | 'auto', timeoutMs: number): Promise<JoolVersion | CallFailure> {
  if (dialect !== 'auto') return { version: 'unknown', dialect };
  const read = await readOutput(run, VERSION_ARGS, timeoutMs, 64 * 1024);
  if (!read.ok) return read;
  const parsed = parseJoolVersion(read.text);
  if (parsed === null) {
    const output = JSON.stringify(read.text.slice(0, 80));
    return {
      ok: false,
      reason: 'dialect',
      message: `cannot tell the Jool generation from \`jool --version\` output ${output}; set --jool.dialect`,
    };
  }
  return parsed;
}

/**
 * `known`: the jool version, once detected. `expected`: each table's size in the previous
 * successful poll, so that a table of the usual size is built straight into its final columns
 * (session-table.ts) rather than in blocks joined by a copy, and its interners never rehash.
 */
export async function pollInstance(
  target: PollTarget,
  known: JoolVersion | undefined,
  expected: Partial<Record<Protocol, TableSize>> = {},
): Promise<PollOutcome> {
  const rejected: RejectedByTable = {};
  let jool = known;
  if (jool === undefined) {
    const detected = await detectJool(target.run, target.dialect, target.timeoutMs);
    if ('ok' in detected) return { ...detected, rejected };
    jool = detected;
  }
  const fail = (failure: CallFailure): PollOutcome => ({ ok: false, reason: failure.reason, message: failure.message, rejected, jool });
  if (jool.dialect === 3 && target.instance !== 'default') {
    return fail({
      ok: false,
      reason: 'dialect',
      message:
        `Jool ${jool.version} (CLI generation 3) has a single, unnamed ` + `instance; configure it as "default", not "${target.instance}"`,
    });
  }

  const pool4 = await readPool4(target, jool.dialect, rejected);
  if (!Array.isArray(pool4)) return fail(pool4);

  const tables: Partial<Record<Protocol, PolledTable>> = {};
  const pool4Reports: Partial<Record<Protocol, Pool4Report>> = {};
  for (const protocol of PROTOCOLS) {
    const args = sessionDisplayArgs(jool.dialect, target.instance, protocol);
    const read = await readSessionTable(target.run, args, protocol, {
      timeoutMs: target.timeoutMs,
      maxRows: target.maxRows,
      expected: expected[protocol],
      parse: target.parse,
      // All protocols' pool4 entries: whether pool4 is empty (Jool's fallback to ports 61001-65535) is decided across all three.
      analysis: { clients: target.clients, destinationsTop: target.destinationsTop, pool4 },
    });
    const parsed = read.ok ? read : read.parsed;
    if (parsed !== undefined && parsed.rejected.count > 0) rejected[protocol] = parsed.rejected;
    if (!read.ok) return fail(read);
    const { aggregate, subscribers, destinations } = read.analysis;
    tables[protocol] = { table: read.table, aggregate, subscribers, destinations };
    pool4Reports[protocol] = read.analysis.pool4;
  }

  // Jool 3 has no counters to read.
  let stats: JoolStat[] | undefined;
  if (jool.dialect === 4) {
    const read = await readOutput(target.run, statsDisplayArgs(target.instance), target.timeoutMs);
    if (!read.ok) return fail(read);
    const parsed = parseStatsCsv(read.text);
    if (parsed.rejected.count > 0) rejected.stats = parsed.rejected;
    stats = parsed.stats;
  }

  return {
    ok: true,
    tables: tables as Record<Protocol, PolledTable>,
    pool4: pool4Reports as Record<Protocol, Pool4Report>,
    stats,
    rejected,
    jool,
  };
}

async function readPool4(target: PollTarget, dialect: Dialect, rejected: RejectedByTable): Promise<Pool4Entry[] | CallFailure> {
  // Jool 3 prints every protocol in one call; Jool 4 takes one protocol per call.
  const calls =
    dialect === 3 ? [pool4DisplayArgs(3, target.instance, 'tcp')] : PROTOCOLS.map((p) => pool4DisplayArgs(4, target.instance, p));
  const entries: Pool4Entry[] = [];
  for (const args of calls) {
    const read = await readOutput(target.run, args, target.timeoutMs);
    if (!read.ok) return read;
    const parsed = parsePool4Csv(read.text);
    if (parsed.rejected.count > 0) {
      const seen = rejected.pool4;
      rejected.pool4 = seen ? { ...seen, count: seen.count + parsed.rejected.count } : parsed.rejected;
    }
    // Rows but none readable is not an empty pool4 (which would mean Jool's fallback pool): it is unreadable.
    if (parsed.entries.length === 0 && parsed.rejected.count > 0) {
      return {
        ok: false,
        reason: 'parse',
        message: `jool ${args.join(' ')}: no line is a pool4 row (${parsed.rejected.reason}: ${JSON.stringify(parsed.rejected.example)})`,
      };
    }
    entries.push(...parsed.entries);
  }
  return entries;
}
