/**
 * Polls every instance on the interval. Each instance has its own loop: one
 * poll at a time, the next one starting an interval after the previous one
 * started (or at once, when a poll overran the interval), never overlapping.
 * Scrapes never start a poll: two Prometheus servers cost what one does.
 */
import { PROTOCOLS } from '../model.js';
import type { Logger } from '../log.js';
import type { JoolCall, JoolRunner } from '../jool/runner.js';
import { pollInstance, type PollOutcome, type PollTarget } from './poll-instance.js';
import type { InstanceStatus, StatusStore } from './status.js';

export interface PollerOptions {
  readonly targets: readonly PollTarget[];
  readonly intervalMs: number;
  readonly store: StatusStore;
  readonly log: Logger;
  /** Injectable clock (ms since the epoch), for tests. */
  readonly now?: () => number;
}

export interface Poller {
  /** Resolves when every instance has finished its first poll. */
  readonly firstPollDone: Promise<void>;
  /** Stops the loops; resolves once no poll is running. */
  stop(): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  const { targets, intervalMs, store, log } = options;
  const now = options.now ?? Date.now;
  let stopped = false;
  const wakeups = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeups.add(done);
    });

  // Calls in flight, so that stop() ends them instead of waiting out a long table dump.
  const active = new Set<JoolCall>();
  const tracked = (run: JoolRunner): JoolRunner => (args, runOptions) => {
    const call = run(args, runOptions);
    active.add(call);
    void call.exit.then(() => active.delete(call));
    if (stopped) call.abort();
    return call;
  };

  const firstPolls: Promise<void>[] = [];
  const loops = targets.map((untracked) => {
    const target = { ...untracked, run: tracked(untracked.run) };
    let signalFirst!: () => void;
    firstPolls.push(new Promise<void>((resolve) => (signalFirst = resolve)));
    return (async () => {
      while (!stopped) {
        const started = now();
        await pollAndRecord(target, started);
        signalFirst();
        if (stopped) break;
        await sleep(Math.max(0, started + intervalMs - now()));
      }
    })();
  });

  async function pollAndRecord(target: PollTarget, started: number): Promise<void> {
    const previous = store.current.instances.find((status) => status.name === target.instance);
    if (previous === undefined) return;
    let outcome: PollOutcome;
    try {
      outcome = await pollInstance(target, previous.jool);
    } catch (error) {
      // A bug, not a jool fault: report it like one rather than stopping the loop.
      outcome = { ok: false, reason: 'parse', message: `internal error: ${(error as Error).stack ?? error}`, rejected: {} };
    }
    const finished = now();
    const status = nextStatus(previous, outcome, started, finished);
    store.replace(status);
    logOutcome(log, previous, status, outcome);
  }

  return {
    firstPollDone: Promise.all(firstPolls).then(() => undefined),
    async stop() {
      stopped = true;
      for (const wake of [...wakeups]) wake();
      for (const call of [...active]) call.abort();
      await Promise.all(loops);
    },
  };
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
      tablesPolledAt: finished,
    };
  }
  return {
    ...base,
    up: false,
    failures: { ...previous.failures, [outcome.reason]: previous.failures[outcome.reason] + 1 },
    lastError: { reason: outcome.reason, message: outcome.message },
    // A failed poll drops the tables: stale sessions are never reported as if fresh.
    tables: undefined,
    tablesPolledAt: undefined,
    // Re-detect the version after the binary could not run or answered oddly (it may have been upgraded).
    jool: outcome.reason === 'spawn' || outcome.reason === 'dialect' ? undefined : base.jool,
  };
}

function logOutcome(log: Logger, previous: InstanceStatus, status: InstanceStatus, outcome: PollOutcome): void {
  const instance = status.name;
  for (const protocol of PROTOCOLS) {
    const rejected = outcome.rejected[protocol];
    if (rejected !== undefined && rejected.count > 0) {
      log.warn('malformed session rows skipped', {
        instance,
        protocol,
        rows: rejected.count,
        reason: rejected.reason,
        example: rejected.example,
      });
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
