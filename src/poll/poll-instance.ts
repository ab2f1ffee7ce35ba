/**
 * One poll of one Jool instance: the version check (first time only), then the
 * TCP, UDP and ICMP tables, one jool call each, in sequence so that the kernel
 * dumps one table at a time. All three must succeed; the result then replaces
 * the instance's previous tables as a whole.
 */
import { PROTOCOLS, type Protocol } from '../model.js';
import type { JoolRunner } from '../jool/runner.js';
import { VERSION_ARGS, parseJoolVersion, sessionDisplayArgs, type Dialect } from '../jool/commands.js';
import { aggregateTableInSlices } from '../table/aggregate.js';
import type { RejectedRows } from '../parse/session-csv.js';
import { judgeExit, readSessionTable, type CallFailure } from './read-table.js';
import type { JoolVersion, PolledTable } from './status.js';

export interface PollTarget {
  readonly instance: string;
  readonly run: JoolRunner;
  /** 'auto' asks `jool --version` which CLI generation this is. */
  readonly dialect: Dialect | 'auto';
  readonly timeoutMs: number;
}

export type PollOutcome =
  | {
      readonly ok: true;
      readonly tables: Record<Protocol, PolledTable>;
      readonly rejected: Partial<Record<Protocol, RejectedRows>>;
      readonly jool: JoolVersion;
    }
  | (CallFailure & { readonly rejected: Partial<Record<Protocol, RejectedRows>>; readonly jool?: JoolVersion });

export async function detectJool(target: PollTarget): Promise<JoolVersion | CallFailure> {
  if (target.dialect !== 'auto') return { version: 'unknown', dialect: target.dialect };
  const call = target.run(VERSION_ARGS, { timeoutMs: target.timeoutMs });
  let stdout = '';
  for await (const chunk of call.stdout) {
    if (stdout.length < 4096) stdout += (chunk as Buffer).toString('utf8');
  }
  const exit = await call.exit;
  const failure = judgeExit(exit, VERSION_ARGS);
  if (failure !== null) return failure;
  const parsed = parseJoolVersion(stdout);
  if (parsed === null) {
    return {
      ok: false,
      reason: 'dialect',
      message: `cannot tell the Jool generation from \`jool --version\` output ${JSON.stringify(stdout.slice(0, 80))}; set --jool.dialect`,
    };
  }
  return parsed;
}

export async function pollInstance(target: PollTarget, known: JoolVersion | undefined): Promise<PollOutcome> {
  const rejected: Partial<Record<Protocol, RejectedRows>> = {};
  let jool = known;
  if (jool === undefined) {
    const detected = await detectJool(target);
    if ('ok' in detected) return { ...detected, rejected };
    jool = detected;
  }
  if (jool.dialect === 3 && target.instance !== 'default') {
    return {
      ok: false,
      reason: 'dialect',
      message: `Jool ${jool.version} (CLI generation 3) has a single, unnamed instance; configure it as "default", not "${target.instance}"`,
      rejected,
      jool,
    };
  }
  const tables: Partial<Record<Protocol, PolledTable>> = {};
  for (const protocol of PROTOCOLS) {
    const args = sessionDisplayArgs(jool.dialect, target.instance, protocol);
    const read = await readSessionTable(target.run, args, protocol, target.timeoutMs);
    const parsed = read.ok ? read : read.parsed;
    if (parsed !== undefined && parsed.rejected.count > 0) rejected[protocol] = parsed.rejected;
    if (!read.ok) return { ok: false, reason: read.reason, message: read.message, rejected, jool };
    tables[protocol] = { table: read.table, aggregate: await aggregateTableInSlices(read.table) };
  }
  return { ok: true, tables: tables as Record<Protocol, PolledTable>, rejected, jool };
}
