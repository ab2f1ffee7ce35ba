/**
 * Polls every instance on the interval. Each instance has its own loop (see
 * loop.ts): one poll at a time, never overlapping, independent of the others.
 * Scrapes never start a poll: two Prometheus servers cost what one does.
 *
 * With discovery (`--jool.instance=*`), a discovery loop on the same interval
 * starts a loop for each instance that appears and stops (and forgets) the
 * loop of each instance that disappears.
 */

import type { Dialect } from '../jool/commands.js';
import type { InstanceSpec } from '../jool/instances.js';
import type { JoolRunner } from '../jool/runner.js';
import type { Logger } from '../log.js';
import { PROTOCOLS, type Protocol } from '../model.js';
import type { DiscoveryStatus, InstanceStatus, JoolVersion } from '../status/model.js';
import type { StatusStore } from '../status/store.js';
import { type TableSize, tableSize } from '../table/session-table.js';
import { discoverInstances } from './discovery.js';
import { type Loop, startLoop } from './loop.js';
import { type PollOutcome, type PollTarget, pollInstance } from './poll-instance.js';

export interface PollerOptions {
  /** Instances configured by name. */
  readonly instances: readonly InstanceSpec[];
  /** Set for `--jool.instance=*`: look for instances on every interval. */
  readonly discovery?: { readonly netns: readonly string[] };
  /** jool in the exporter's own namespace (undefined) or in a named one. */
  readonly runIn: (netns: string | undefined) => JoolRunner;
  readonly dialect: Dialect | 'auto';
  readonly timeoutMs: number;
  /** --poll.max-rows: most sessions one table may have (Infinity when not given). */
  readonly maxRows?: number;
  readonly clients: PollTarget['clients'];
  readonly destinationsTop: number;
  /** Where session tables are parsed (see PollTarget). */
  readonly parse?: PollTarget['parse'];
  readonly intervalMs: number;
  readonly store: StatusStore;
  readonly log: Logger;
  /** Injectable clock (ms since the epoch), for tests. */
  readonly now?: () => number;
}

export interface Poller {
  /** Resolves when discovery (if any) and then every instance known by then have finished a first run. */
  readonly firstPollDone: Promise<void>;
  /** Stops every loop; resolves once no poll is running. */
  stop(): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  const { intervalMs, store, log } = options;
  const now = options.now ?? Date.now;
  const loops = new Map<string, Loop>();
  /** Instances whose poll outran the interval once already: the warning is given once per instance. */
  const overran = new Set<string>();

  function ensure(spec: InstanceSpec): void {
    if (loops.has(spec.key)) return;
    store.add(spec.key);
    const untracked: Omit<PollTarget, 'run'> = {
      key: spec.key,
      instance: spec.name,
      dialect: options.dialect,
      timeoutMs: options.timeoutMs,
      maxRows: options.maxRows ?? Infinity,
      clients: options.clients,
      destinationsTop: options.destinationsTop,
      ...(options.parse === undefined ? {} : { parse: options.parse }),
    };
    const run = options.runIn(spec.netns);
    loops.set(
      spec.key,
      startLoop((track, isStopped) => pollAndRecord({ ...untracked, run: track(run) }, now(), isStopped), intervalMs, now),
    );
  }

  async function retire(key: string): Promise<void> {
    const loop = loops.get(key);
    loops.delete(key);
    await loop?.stop();
    store.remove(key);
    overran.delete(key);
  }

  async function pollAndRecord(target: PollTarget, started: number, isStopped: () => boolean): Promise<void> {
    const previous = store.current.instances.find((status) => status.name === target.key);
    if (previous === undefined) return;
    let outcome: PollOutcome;
    try {
      outcome = await pollInstance(target, previous.jool, tableSizes(previous));
    } catch (error) {
      // A bug, not a jool fault: counted as one of its own (not as jool's output being unreadable),
      // and the loop keeps going.
      outcome = { ok: false, reason: 'internal', message: `internal error: ${(error as Error).stack ?? error}`, rejected: {} };
    }
    // A poll cut short by stop() (shutdown, or the instance gone) says nothing about Jool: not recorded.
    if (isStopped()) return;
    const status = nextStatus(previous, outcome, started, now());
    store.replace(status);
    logOutcome(log, previous, status, outcome);
    if ((status.lastPollDurationSeconds ?? 0) * 1000 > intervalMs && !overran.has(target.key)) {
      overran.add(target.key);
      warnOverrun(log, status, outcome, intervalMs);
    }
  }

  for (const spec of options.instances) ensure(spec);

  let discoveryLoop: Loop | undefined;
  if (options.discovery !== undefined) {
    const { netns } = options.discovery;
    let discovery: DiscoveryStatus = { runs: 0, failures: 0, lastError: undefined, unreachable: [] };
    let jool: JoolVersion | undefined; // asked once, again only after a failed discovery
    discoveryLoop = startLoop(
      async (track, isStopped) => {
        const result = await discoverInstances(
          { runIn: (ns) => track(options.runIn(ns)), netns, dialect: options.dialect, timeoutMs: options.timeoutMs },
          jool,
        );
        if (isStopped()) return;
        jool = result.ok ? result.jool : undefined;
        if (!result.ok) {
          // Keep polling what we know: a failed discovery says nothing about which instances are gone.
          if (discovery.lastError !== result.message)
            log.error('instance discovery failed', { reason: result.reason, err: result.message });
          discovery = { ...discovery, runs: discovery.runs + 1, failures: discovery.failures + 1, lastError: result.message };
          store.setDiscovery(discovery);
          return;
        }
        const wanted = new Map([...options.instances, ...result.instances].map((spec) => [spec.key, spec]));
        for (const key of [...loops.keys()]) {
          if (!wanted.has(key)) {
            log.info('instance gone', { instance: key });
            await retire(key);
          }
        }
        for (const spec of wanted.values()) {
          if (!loops.has(spec.key)) {
            log.info('instance found', { instance: spec.key });
            ensure(spec);
          }
        }
        const newlyUnreachable = result.unreachable.filter(
          (u) => !discovery.unreachable.some((o) => o.name === u.name && o.namespace === u.namespace),
        );
        for (const { name, namespace } of newlyUnreachable) {
          log.warn('instance in a namespace no --jool.netns reaches; not polled', { instance: name, namespace });
        }
        discovery = { runs: discovery.runs + 1, failures: discovery.failures, lastError: undefined, unreachable: result.unreachable };
        store.setDiscovery(discovery);
      },
      intervalMs,
      now,
    );
  }

  return {
    firstPollDone: (async () => {
      await discoveryLoop?.firstRun;
      await Promise.all([...loops.values()].map((loop) => loop.firstRun));
    })(),
    async stop() {
      await discoveryLoop?.stop();
      await Promise.all([...loops.values()].map((loop) => loop.stop()));
    },
  };
}

/** Each table's size in the last poll, when it succeeded: the size hint for the next one. */
function tableSizes(status: InstanceStatus): Partial<Record<Protocol, TableSize>> {
  const tables = status.tables;
  if (tables === undefined) return {};
  return Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, tableSize(tables[protocol].table)]));
}

export function nextStatus(previous: InstanceStatus, outcome: PollOutcome, started: number, finished: number): InstanceStatus {
  const rejectedRows = { ...previous.rejectedRows };
  for (const protocol of PROTOCOLS) rejectedRows[protocol] += outcome.rejected[protocol]?.count ?? 0;
  const base = {
    ...previous,
    polls: previous.polls + 1,
    lastPollDurationSeconds: (finished - started) / 1000,
    rejectedRows,
    jool: outcome.jool ?? previous.jool,
  };
  if (outcome.ok) {
    return {
      ...base,
      up: true,
      lastSuccessTimestampSeconds: finished / 1000,
      lastError: undefined,
      tables: outcome.tables,
      pool4: outcome.pool4,
      stats: outcome.stats,
    };
  }
  return {
    ...base,
    up: false,
    failures: { ...previous.failures, [outcome.reason]: previous.failures[outcome.reason] + 1 },
    lastError: { reason: outcome.reason, message: outcome.message },
    // A failed poll drops the tables: stale sessions are never reported as if fresh.
    tables: undefined,
    pool4: undefined,
    stats: undefined,
    // Re-detect the version after the binary could not run or answered oddly (it may have been upgraded).
    jool: outcome.reason === 'spawn' || outcome.reason === 'dialect' ? undefined : base.jool,
  };
}

/**
 * A poll longer than the interval: polls then run back to back, and jool keeps the kernel busy
 * dumping tables all the time. Said once per instance (jool_session_poll_duration_seconds tracks
 * it from then on), with what the operator needs to judge it: how long, how many rows.
 */
function warnOverrun(log: Logger, status: InstanceStatus, outcome: PollOutcome, intervalMs: number): void {
  const rows = outcome.ok ? Object.fromEntries(PROTOCOLS.map((p) => [`${p}_rows`, outcome.tables[p].table.length])) : {};
  log.warn('poll took longer than --poll.interval; polls now run back to back (warned once per instance)', {
    instance: status.name,
    seconds: status.lastPollDurationSeconds,
    interval: `${intervalMs / 1000}s`,
    ...rows,
    ...(outcome.ok ? {} : { reason: outcome.reason }),
    hint: 'raise --poll.interval (and the scrape interval) or --jool.timeout',
  });
}

function logOutcome(log: Logger, previous: InstanceStatus, status: InstanceStatus, outcome: PollOutcome): void {
  const instance = status.name;
  for (const [table, rejected] of Object.entries(outcome.rejected)) {
    if (rejected !== undefined && rejected.count > 0) {
      log.warn('malformed rows skipped', { instance, table, rows: rejected.count, reason: rejected.reason, example: rejected.example });
    }
  }
  if (outcome.ok) {
    if (previous.up === false) log.info('poll recovered', { instance });
    if (previous.jool === undefined) log.info('jool detected', { instance, version: outcome.jool.version, dialect: outcome.jool.dialect });
    log.debug('poll done', {
      instance,
      seconds: status.lastPollDurationSeconds,
      tcp: outcome.tables.tcp.table.length,
      udp: outcome.tables.udp.table.length,
      icmp: outcome.tables.icmp.table.length,
    });
    return;
  }
  // The first failure, and any change of error, at error level; an unchanged repeat at debug, not every interval.
  const repeat = previous.lastError?.reason === outcome.reason && previous.lastError.message === outcome.message;
  (repeat ? log.debug : log.error)('poll failed', { instance, reason: outcome.reason, err: outcome.message });
}
