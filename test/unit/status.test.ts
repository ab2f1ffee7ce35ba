import { describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../src/model.js';
import type { PollOutcome } from '../../src/poll/poll-instance.js';
import { nextStatus } from '../../src/poll/poller.js';
import { FAILURE_REASONS, type InstanceStatus, initialStatus } from '../../src/status/model.js';
import { createStatusStore } from '../../src/status/store.js';
import { aggregateTable } from '../../src/table/aggregate.js';
import { computePool4 } from '../../src/table/pool4.js';
import { emptySessionTable } from '../../src/table/session-table.js';
import { computeSubscribers } from '../../src/table/subscribers.js';

// Real (empty) tables and reports, built by the production code, so the outcomes have the real shape.
function tables() {
  return Object.fromEntries(
    PROTOCOLS.map((p) => {
      const table = emptySessionTable(p);
      return [p, { table, aggregate: aggregateTable(table), subscribers: computeSubscribers(table, { prefixLength: 56, top: 10 }) }];
    }),
  ) as Extract<PollOutcome, { ok: true }>['tables'];
}

function pool4() {
  return Object.fromEntries(PROTOCOLS.map((p) => [p, computePool4([], emptySessionTable(p))])) as Extract<
    PollOutcome,
    { ok: true }
  >['pool4'];
}

const JOOL4 = { version: '4.1.9.0', dialect: 4 } as const;
const STATS = [{ name: 'JSTAT_RECEIVED6', value: 12 }];

function success(fields: Partial<Extract<PollOutcome, { ok: true }>> = {}): PollOutcome {
  return { ok: true, tables: tables(), pool4: pool4(), stats: STATS, rejected: {}, jool: JOOL4, ...fields };
}

function failure(reason: (typeof FAILURE_REASONS)[number], message = `${reason} went wrong`, jool?: typeof JOOL4): PollOutcome {
  return { ok: false, reason, message, rejected: {}, ...(jool ? { jool } : {}) };
}

const rejected = (count: number) => ({ count, reason: 'bad port', example: 'TCP,x' });

describe('initialStatus', () => {
  it('starts with no poll, no verdict and every failure reason and protocol at zero', () => {
    const status = initialStatus('edge');
    expect(status).toMatchObject({ name: 'edge', polls: 0, up: undefined, tables: undefined, lastError: undefined, jool: undefined });
    expect(Object.keys(status.failures)).toEqual([...FAILURE_REASONS]);
    expect(Object.values(status.failures).every((n) => n === 0)).toBe(true);
    expect(status.rejectedRows).toEqual({ tcp: 0, udp: 0, icmp: 0 });
  });
});

describe('nextStatus', () => {
  it('records a successful poll: up, its tables, the time it finished and how long it took', () => {
    const outcome = success();
    const status = nextStatus(initialStatus('default'), outcome, 1_000_000, 1_002_500);
    expect(status.polls).toBe(1);
    expect(status.up).toBe(true);
    expect(status.lastPollDurationSeconds).toBe(2.5);
    expect(status.lastSuccessTimestampSeconds).toBe(1_002.5);
    expect(status.tables).toBe((outcome as Extract<PollOutcome, { ok: true }>).tables);
    expect(status.pool4).toBe((outcome as Extract<PollOutcome, { ok: true }>).pool4);
    expect(status.stats).toBe(STATS);
    expect(status.jool).toEqual(JOOL4);
    expect(status.lastError).toBeUndefined();
  });

  it('records a failed poll: down, one more failure of that reason, the error, and no tables', () => {
    const up = nextStatus(initialStatus('default'), success(), 0, 1000);
    const down = nextStatus(up, failure('timeout'), 60_000, 70_000);
    expect(down.polls).toBe(2);
    expect(down.up).toBe(false);
    expect(down.failures).toEqual({ ...up.failures, timeout: 1 });
    expect(down.lastError).toEqual({ reason: 'timeout', message: 'timeout went wrong' });
    // A failed poll drops the tables, so stale sessions are never served as fresh...
    expect(down.tables).toBeUndefined();
    expect(down.pool4).toBeUndefined();
    expect(down.stats).toBeUndefined();
    // ...but the last success stays when it was.
    expect(down.lastSuccessTimestampSeconds).toBe(1);
    expect(down.lastPollDurationSeconds).toBe(10);
  });

  it('counts each failure reason on its own', () => {
    let status = initialStatus('default');
    for (const reason of ['exit', 'exit', 'parse', 'spawn'] as const) status = nextStatus(status, failure(reason), 0, 1);
    expect(status.failures).toMatchObject({ exit: 2, parse: 1, spawn: 1, timeout: 0, dialect: 0 });
    expect(status.lastError?.reason).toBe('spawn');
  });

  it('clears the last error once a poll succeeds again', () => {
    const down = nextStatus(initialStatus('default'), failure('exit'), 0, 1);
    const back = nextStatus(down, success(), 2, 3);
    expect(back.up).toBe(true);
    expect(back.lastError).toBeUndefined();
    expect(back.failures.exit).toBe(1);
  });

  it('adds up rejected rows per protocol, over successful and failed polls alike', () => {
    let status = nextStatus(initialStatus('default'), success({ rejected: { tcp: rejected(3), udp: rejected(1) } }), 0, 1);
    status = nextStatus(status, { ...failure('parse'), rejected: { tcp: rejected(2) } }, 1, 2);
    expect(status.rejectedRows).toEqual({ tcp: 5, udp: 1, icmp: 0 });
  });

  it('keeps the detected jool across exit, timeout and parse failures', () => {
    const up = nextStatus(initialStatus('default'), success(), 0, 1);
    for (const reason of ['exit', 'timeout', 'parse'] as const) {
      expect(nextStatus(up, failure(reason), 1, 2).jool).toEqual(JOOL4);
    }
  });

  it('forgets the detected jool after a spawn or dialect failure (the binary may have changed)', () => {
    const up = nextStatus(initialStatus('default'), success(), 0, 1);
    expect(nextStatus(up, failure('spawn'), 1, 2).jool).toBeUndefined();
    expect(nextStatus(up, failure('dialect', 'odd', JOOL4), 1, 2).jool).toBeUndefined();
  });

  it('takes the version a failed poll detected', () => {
    const jool3 = { version: '3.5.8', dialect: 3 } as const;
    const status = nextStatus(initialStatus('default'), { ...failure('exit'), jool: jool3 }, 0, 1);
    expect(status.jool).toEqual(jool3);
  });

  it('never changes the previous status (readers may hold it)', () => {
    const previous = nextStatus(initialStatus('default'), success({ rejected: { icmp: rejected(1) } }), 0, 1);
    const snapshot = structuredClone({ ...previous, tables: undefined, pool4: undefined });
    nextStatus(previous, { ...failure('exit'), rejected: { icmp: rejected(4) } }, 1, 2);
    expect({ ...previous, tables: undefined, pool4: undefined }).toEqual(snapshot);
    expect(previous.tables).toBeDefined();
  });
});

describe('createStatusStore', () => {
  const polled = (name: string): InstanceStatus => nextStatus(initialStatus(name), failure('exit'), 0, 1);

  it('holds the configured instances, in order, and is ready once each finished a poll', () => {
    const store = createStatusStore(['a', 'b']);
    expect(store.current.instances.map((i) => i.name)).toEqual(['a', 'b']);
    expect(store.current.ready).toBe(false);
    store.replace(polled('b'));
    expect(store.current.ready).toBe(false);
    store.replace(polled('a'));
    expect(store.current.ready).toBe(true);
    expect(store.current.instances.map((i) => i.name)).toEqual(['a', 'b']);
  });

  it('publishes a new snapshot on each change and leaves the old one as it was', () => {
    const store = createStatusStore(['a', 'b']);
    const before = store.current;
    const b = before.instances[1];
    store.replace(polled('a'));
    expect(store.current).not.toBe(before);
    expect(before.instances[0]!.polls).toBe(0);
    expect(store.current.instances[0]!.polls).toBe(1);
    // The instance that did not change is the same object.
    expect(store.current.instances[1]).toBe(b);
  });

  it('ignores a status for an instance it does not hold (removed while it was polled)', () => {
    const store = createStatusStore(['a']);
    const before = store.current;
    store.replace(polled('gone'));
    expect(store.current).toBe(before);
  });

  it('adds an instance once, unpolled, which makes it not ready again', () => {
    const store = createStatusStore(['a']);
    store.replace(polled('a'));
    expect(store.current.ready).toBe(true);
    store.add('b');
    store.add('b');
    store.add('a');
    expect(store.current.instances.map((i) => [i.name, i.polls])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
    expect(store.current.ready).toBe(false);
  });

  it('removes an instance and its status', () => {
    const store = createStatusStore(['a', 'b']);
    store.replace(polled('a'));
    store.remove('b');
    expect(store.current.instances.map((i) => i.name)).toEqual(['a']);
    expect(store.current.ready).toBe(true);
  });

  it('with discovery, is not ready before the first discovery run, even with every instance polled', () => {
    const store = createStatusStore([], { discovery: true });
    expect(store.current.ready).toBe(false);
    store.setDiscovery({ runs: 0, failures: 1, lastError: 'jool: exit status 253', unreachable: [] });
    expect(store.current.ready).toBe(false);
    const discovery = { runs: 1, failures: 1, lastError: undefined, unreachable: [{ name: 'x', namespace: 'ns1' }] };
    store.setDiscovery(discovery);
    expect(store.current.ready).toBe(true);
    expect(store.current.discovery).toBe(discovery);
    store.add('found');
    expect(store.current.ready).toBe(false);
    store.replace(polled('found'));
    expect(store.current.ready).toBe(true);
  });

  it('without discovery, has no discovery status and an empty store is ready', () => {
    const store = createStatusStore([]);
    expect(store.current.discovery).toBeUndefined();
    // No instance to wait for (every() over none): the exporter answers at once.
    store.remove('nothing');
    expect(store.current.ready).toBe(true);
  });
});
