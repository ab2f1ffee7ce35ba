import { describe, expect, it } from 'vitest';
import { NO_STATE, type Protocol, TCP_STATES } from '../../src/model.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import { SLICE_ROWS } from '../../src/slices.js';
import { aggregateTable, aggregateTableInSlices, EXPIRY_BUCKETS_SECONDS, type TableAggregate } from '../../src/table/aggregate.js';
import { createSessionTableBuilder, emptySessionTable, type SessionTable } from '../../src/table/session-table.js';
import { fixture, type RefRow, randomInt, referenceParse, rng } from './support.js';

/** The naive reference, on plain rows with address TEXT (not ids). */
function referenceAggregate(rows: RefRow[]) {
  const tcpStates = TCP_STATES.map((s) => rows.filter((r) => r.state === s).length);
  const expiryBuckets = EXPIRY_BUCKETS_SECONDS.map((bound) => rows.filter((r) => r.expiresMs <= bound * 1000).length);
  const expirySumMs = rows.reduce((sum, r) => sum + r.expiresMs, 0);
  return {
    sessions: rows.length,
    tcpStates,
    expiryBuckets,
    expirySumSeconds: expirySumMs / 1000,
    bibEntries: new Set(rows.map((r) => `${r.ipv4Local}#${r.ipv4LocalPort}`)).size,
    bibEntriesInRuns: expect.any(Boolean),
    clients: new Set(rows.map((r) => r.ipv6Remote)).size,
  };
}

function expectMatches(actual: TableAggregate, expected: ReturnType<typeof referenceAggregate>): void {
  const { expirySumSeconds, ...rest } = actual;
  const { expirySumSeconds: wantSum, ...wantRest } = expected;
  expect(rest).toEqual(wantRest);
  expect(expirySumSeconds).toBeCloseTo(wantSum, 3);
}

const CAPTURES: ReadonlyArray<readonly [string, Protocol]> = [
  ['session-tcp.csv', 'tcp'],
  ['session-udp.csv', 'udp'],
  ['session-icmp.csv', 'icmp'],
  ['session-default-table.csv', 'tcp'],
];

describe('EXPIRY_BUCKETS_SECONDS', () => {
  it('is strictly increasing and has each default Jool timeout as an edge', () => {
    for (let i = 1; i < EXPIRY_BUCKETS_SECONDS.length; i++) {
      expect(EXPIRY_BUCKETS_SECONDS[i]!).toBeGreaterThan(EXPIRY_BUCKETS_SECONDS[i - 1]!);
    }
    for (const timeout of [60, 240, 300, 7200]) expect(EXPIRY_BUCKETS_SECONDS).toContain(timeout);
  });
});

describe('aggregateTable on the captures', () => {
  it.each(CAPTURES)('%s matches the naive reference', async (name, protocol) => {
    const bytes = fixture(name);
    const rows = referenceParse(protocol, bytes.toString('latin1')).rows;
    const { table } = parseSessionCsv(protocol, bytes);
    const aggregate = aggregateTable(table);
    expectMatches(aggregate, referenceAggregate(rows));
    expect(await aggregateTableInSlices(table)).toEqual(aggregate);
    // Cumulative: never decreasing, never above the session count.
    for (let i = 1; i < aggregate.expiryBuckets.length; i++) {
      expect(aggregate.expiryBuckets[i]!).toBeGreaterThanOrEqual(aggregate.expiryBuckets[i - 1]!);
    }
    expect(aggregate.expiryBuckets.at(-1)!).toBeLessThanOrEqual(aggregate.sessions);
  });

  it('TCP capture: the README state counts, indexed like TCP_STATES', () => {
    const { tcpStates, sessions } = aggregateTable(parseSessionCsv('tcp', fixture('session-tcp.csv')).table);
    const byName = Object.fromEntries(TCP_STATES.map((s, i) => [s, tcpStates[i]]));
    expect(byName).toEqual({
      ESTABLISHED: 300,
      V6_FIN_RCV: 40,
      V4_FIN_RCV: 40,
      V4_FIN_V6_FIN_RCV: 40,
      TRANS: 40,
      V6_INIT: 40,
      V4_INIT: 20,
    });
    expect(sessions).toBe(520);
  });

  it('UDP and ICMP have all-zero TCP states', () => {
    for (const [name, protocol] of [
      ['session-udp.csv', 'udp'],
      ['session-icmp.csv', 'icmp'],
    ] as const) {
      const aggregate = aggregateTable(parseSessionCsv(protocol, fixture(name)).table);
      expect(aggregate.tcpStates).toEqual(TCP_STATES.map(() => 0));
      expect(aggregate.sessions).toBeGreaterThan(1000);
    }
  });

  it('an empty table aggregates to zeros', async () => {
    const expected = {
      sessions: 0,
      tcpStates: TCP_STATES.map(() => 0),
      expiryBuckets: EXPIRY_BUCKETS_SECONDS.map(() => 0),
      expirySumSeconds: 0,
      bibEntries: 0,
      bibEntriesInRuns: true,
      clients: 0,
    };
    expect(aggregateTable(emptySessionTable('tcp'))).toEqual(expected);
    expect(await aggregateTableInSlices(emptySessionTable('udp'))).toEqual(expected);
  });
});

describe("aggregateTable: BIB entries in runs (each one's sessions consecutive, as Jool prints them)", () => {
  /** A table whose rows have these BIB entries ([pool4 address, port]), in this order. */
  function tableOf(entries: ReadonlyArray<readonly [string, number]>): SessionTable {
    const builder = createSessionTableBuilder('udp');
    const client = builder.ipv6Remotes.internString('2001:db8::1');
    const local = builder.ipv6Locals.internString('64:ff9b::1');
    const remote = builder.ipv4Remotes.internString('198.51.100.1');
    for (const [pool4, port] of entries) {
      builder.append({
        ipv6Remote: client,
        ipv6RemotePort: 1,
        ipv6Local: local,
        ipv6LocalPort: 2,
        ipv4Local: builder.ipv4Locals.internString(pool4),
        ipv4LocalPort: port,
        ipv4Remote: remote,
        ipv4RemotePort: 4,
        expiresMs: 1000,
        state: NO_STATE,
      });
    }
    return builder.finish();
  }
  const a = '192.0.2.1';
  const b = '192.0.2.2';
  const repeat = (entry: readonly [string, number], n: number) => Array.from({ length: n }, () => entry);

  it.each([
    ['one row', [[a, 1]], true],
    [
      'one entry after another',
      [
        [a, 1],
        [a, 1],
        [a, 2],
        [b, 2],
        [b, 1],
      ],
      true,
    ],
    [
      'an entry back after another port',
      [
        [a, 1],
        [a, 2],
        [a, 1],
      ],
      false,
    ],
    [
      'an entry back after another address',
      [
        [a, 1],
        [b, 1],
        [a, 1],
      ],
      false,
    ],
  ] as const)('%s: %s', async (_, entries, expected) => {
    const table = tableOf(entries);
    expect(aggregateTable(table).bibEntriesInRuns).toBe(expected);
    expect((await aggregateTableInSlices(table)).bibEntriesInRuns).toBe(expected);
  });

  it('across slices: a run that goes on past a slice is one run; an entry back in a later slice is not', async () => {
    const onePastSlice = tableOf([...repeat([a, 1], SLICE_ROWS + 5), ...repeat([a, 2], 3)]);
    expect((await aggregateTableInSlices(onePastSlice)).bibEntriesInRuns).toBe(true);
    const back = tableOf([[a, 1], ...repeat([a, 2], SLICE_ROWS), [a, 1]]);
    expect(aggregateTable(back).bibEntriesInRuns).toBe(false);
    expect((await aggregateTableInSlices(back)).bibEntriesInRuns).toBe(false);
  });
});

describe('aggregateTable: histogram edges (le = value <= bound)', () => {
  function tableOf(expiries: number[]): SessionTable {
    const builder = createSessionTableBuilder('udp');
    const v6 = builder.ipv6Remotes.internString('2001:db8::1');
    const l6 = builder.ipv6Locals.internString('64:ff9b::1');
    const l4 = builder.ipv4Locals.internString('192.0.2.1');
    const r4 = builder.ipv4Remotes.internString('198.51.100.1');
    for (const expiresMs of expiries) {
      builder.append({
        ipv6Remote: v6,
        ipv6RemotePort: 1,
        ipv6Local: l6,
        ipv6LocalPort: 2,
        ipv4Local: l4,
        ipv4LocalPort: 3,
        ipv4Remote: r4,
        ipv4RemotePort: 4,
        expiresMs,
        state: NO_STATE,
      });
    }
    return builder.finish();
  }

  it('a value exactly on a bound is in that bucket; one ms more is not', () => {
    for (const [b, bound] of EXPIRY_BUCKETS_SECONDS.entries()) {
      const on = aggregateTable(tableOf([bound * 1000]));
      expect(on.expiryBuckets[b], `${bound}s on the edge`).toBe(1);
      if (b > 0) expect(on.expiryBuckets[b - 1]).toBe(0);
      const above = aggregateTable(tableOf([bound * 1000 + 1]));
      expect(above.expiryBuckets[b], `${bound}s + 1 ms`).toBe(0);
      if (b + 1 < EXPIRY_BUCKETS_SECONDS.length) expect(above.expiryBuckets[b + 1]).toBe(1);
    }
  });

  it('0 is in every bucket; beyond the last bound only +Inf (sessions) counts it', () => {
    const aggregate = aggregateTable(tableOf([0, 7200 * 1000 + 1, 1193 * 3_600_000]));
    expect(aggregate.expiryBuckets).toEqual(EXPIRY_BUCKETS_SECONDS.map(() => 1));
    expect(aggregate.sessions).toBe(3);
    expect(aggregate.expirySumSeconds).toBeCloseTo((7200 * 1000 + 1 + 1193 * 3_600_000) / 1000, 6);
  });

  it('sum is in seconds, with the milliseconds', () => {
    expect(aggregateTable(tableOf([1, 1500, 60_000])).expirySumSeconds).toBeCloseTo(61.501, 9);
  });
});

describe('aggregateTable on a synthetic 200k-row table', () => {
  function synthetic(protocol: Protocol, count: number, seed: number): { table: SessionTable; rows: RefRow[] } {
    const random = rng(seed);
    const builder = createSessionTableBuilder(protocol);
    const rows: RefRow[] = [];
    const boundsMs = EXPIRY_BUCKETS_SECONDS.map((s) => s * 1000);
    for (let i = 0; i < count; i++) {
      // 3000 clients, 4 pool4 addresses with 5000 ports each: BIB entries collide a lot, clients too.
      const client = `2001:db8::${randomInt(random, 0, 2999).toString(16)}`;
      const pool4 = `192.0.2.${randomInt(random, 1, 4)}`;
      const pool4Port = randomInt(random, 0, 4999) * 13; // spreads over the whole 0..65535 range
      const server = `198.51.100.${randomInt(random, 0, 255)}`;
      const pick = random();
      const expiresMs =
        pick < 0.2
          ? boundsMs[randomInt(random, 0, boundsMs.length - 1)]! + randomInt(random, -1, 1) // near an edge
          : pick < 0.25
            ? 0
            : randomInt(random, 0, 3 * 3600 * 1000);
      const state = protocol === 'tcp' ? randomInt(random, 0, TCP_STATES.length - 1) : NO_STATE;
      const row: RefRow = {
        protocol: protocol.toUpperCase(),
        ipv6Remote: client,
        ipv6RemotePort: randomInt(random, 0, 65535),
        ipv6Local: `64:ff9b::${server}`,
        ipv6LocalPort: 80,
        ipv4Local: pool4,
        ipv4LocalPort: pool4Port,
        ipv4Remote: server,
        ipv4RemotePort: 80,
        expiresMs: Math.max(0, expiresMs),
        state: state === NO_STATE ? null : TCP_STATES[state]!,
      };
      rows.push(row);
      builder.append({
        ipv6Remote: builder.ipv6Remotes.internString(row.ipv6Remote),
        ipv6RemotePort: row.ipv6RemotePort,
        ipv6Local: builder.ipv6Locals.internString(row.ipv6Local),
        ipv6LocalPort: row.ipv6LocalPort,
        ipv4Local: builder.ipv4Locals.internString(row.ipv4Local),
        ipv4LocalPort: row.ipv4LocalPort,
        ipv4Remote: builder.ipv4Remotes.internString(row.ipv4Remote),
        ipv4RemotePort: row.ipv4RemotePort,
        expiresMs: row.expiresMs,
        state,
      });
    }
    return { table: builder.finish(), rows };
  }

  it.each([
    ['tcp', 1],
    ['udp', 2],
  ] as const)(
    '%s: aggregateTable = reference = aggregateTableInSlices',
    async (protocol, seed) => {
      const { table, rows } = synthetic(protocol, 200_000, seed);
      expect(table.length).toBe(200_000);
      const expected = referenceAggregate(rows);
      // The generator really produced collisions and edge values.
      expect(expected.bibEntries).toBeLessThanOrEqual(20_000);
      expect(expected.bibEntries).toBeGreaterThan(15_000);
      expect(expected.clients).toBe(3000);
      const aggregate = aggregateTable(table);
      expectMatches(aggregate, expected);
      const sliced = await aggregateTableInSlices(table);
      expect(sliced).toEqual(aggregate);
    },
    60_000,
  );

  it('aggregateTableInSlices yields to the event loop on a big table', async () => {
    const { table } = synthetic('udp', 200_000, 3);
    const immediates: number[] = [];
    const spin = () => {
      immediates.push(1);
      if (immediates.length < 1000) setImmediate(spin);
    };
    setImmediate(spin);
    const promise = aggregateTableInSlices(table);
    await promise;
    // Other setImmediate callbacks ran while it aggregated (more than one slice of 65536 rows).
    expect(immediates.length).toBeGreaterThan(1);
  }, 60_000);
});
