import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/model.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import { computeDestinations, computeDestinationsInSlices, type DestinationReport, topN } from '../../src/table/destinations.js';
import { emptySessionTable, type SessionTable } from '../../src/table/session-table.js';
import { mapAndComputeSubscribersInSlices } from '../../src/table/subscribers.js';
import { fixture, type RefRow, randomInt, referenceParse, rng } from './support.js';

/** The 8 groups of an IPv6 text, by hand (nothing shared with src/): enough for inet_ntop text. */
function refGroups(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

function refSubscriber(text: string, prefixLength: number): string {
  return refGroups(text)
    .map((g, i) => {
      const bits = Math.max(0, Math.min(16, prefixLength - 16 * i));
      return g & (bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff);
    })
    .join(':');
}

const ipv4Number = (text: string) => text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** Naive reference: maps and sets of strings, a full sort. */
function reference(protocol: Protocol, rows: readonly RefRow[], prefixLength: number, top: number): DestinationReport {
  if (top === 0) return { topDestinations: [], topServices: [] };
  const byDestination = new Map<string, { sessions: number; subscribers: Set<string> }>();
  const byPort = new Map<number, number>();
  for (const row of rows) {
    const entry = byDestination.get(row.ipv4Remote) ?? { sessions: 0, subscribers: new Set<string>() };
    entry.sessions++;
    entry.subscribers.add(refSubscriber(row.ipv6Remote, prefixLength));
    byDestination.set(row.ipv4Remote, entry);
    byPort.set(row.ipv4RemotePort, (byPort.get(row.ipv4RemotePort) ?? 0) + 1);
  }
  const topDestinations = [...byDestination]
    .sort(([a, x], [b, y]) => y.sessions - x.sessions || ipv4Number(a) - ipv4Number(b))
    .slice(0, top)
    .map(([destination, { sessions, subscribers }]) => ({ destination, sessions, subscribers: subscribers.size }));
  const topServices =
    protocol === 'icmp'
      ? []
      : [...byPort]
          .sort(([a, x], [b, y]) => y - x || a - b)
          .slice(0, top)
          .map(([port, sessions]) => ({ port, sessions }));
  return { topDestinations, topServices };
}

async function compute(table: SessionTable, prefixLength: number, top: number) {
  const { map } = await mapAndComputeSubscribersInSlices(table, { prefixLength, top: 0 });
  const report = computeDestinations(table, map, top);
  expect(await computeDestinationsInSlices(table, map, top)).toEqual(report);
  return report;
}

const CAPTURES: ReadonlyArray<readonly [string, Protocol]> = [
  ['session-tcp.csv', 'tcp'],
  ['session-udp.csv', 'udp'],
  ['session-icmp.csv', 'icmp'],
];

describe('computeDestinations on the Jool 4.1.9 captures', () => {
  for (const [name, protocol] of CAPTURES) {
    it.each([128, 64, 56, 0])(`${name}, prefix length %i, matches the naive reference (top 1, 3, 10, 1000)`, async (prefixLength) => {
      const bytes = fixture(name);
      const { rows } = referenceParse(protocol, bytes.toString('latin1'));
      const { table } = parseSessionCsv(protocol, bytes);
      for (const top of [1, 3, 10, 1000]) {
        const report = await compute(table, prefixLength, top);
        expect(report).toEqual(reference(protocol, rows, prefixLength, top));
        expect(report.topDestinations.length).toBeLessThanOrEqual(top);
        expect(report.topDestinations.length).toBeGreaterThan(0);
      }
    });
  }
});

/** UDP rows from [client, destination, port]. */
function udpTable(rows: ReadonlyArray<readonly [string, string, number]>): SessionTable {
  const csv = rows
    .map(
      ([client, destination, port], i) =>
        `UDP,${client},${40000 + i},64:ff9b::1,${port},192.0.2.1,${1024 + i},${destination},${port},0:05:00`,
    )
    .join('\n');
  const { table, rejected } = parseSessionCsv('udp', Buffer.from(`${csv}\n`));
  expect(rejected.count).toBe(0);
  return table;
}

describe('computeDestinations: ranking', () => {
  it('top 0 computes nothing; ICMP has no services', async () => {
    const table = udpTable([['2001:db8::1', '198.51.100.1', 53]]);
    expect(await compute(table, 128, 0)).toEqual({ topDestinations: [], topServices: [] });
    expect(await compute(emptySessionTable('icmp'), 128, 10)).toEqual({ topDestinations: [], topServices: [] });
    expect(await compute(emptySessionTable('tcp'), 128, 10)).toEqual({ topDestinations: [], topServices: [] });
    expect(() => computeDestinations(table, { subscriberOf: new Uint32Array(1), subscriberIds: 1 }, -1)).toThrow(RangeError);
  });

  it('breaks ties by address and port numerically (9.x before 10.x), whatever the row order', async () => {
    const rows: Array<[string, string, number]> = [
      ['2001:db8::1', '10.0.0.2', 443],
      ['2001:db8::2', '10.0.0.2', 80],
      ['2001:db8::1', '9.0.0.1', 443],
      ['2001:db8::3', '9.0.0.1', 80],
      ['2001:db8::1', '100.0.0.1', 8080],
    ];
    const expected = {
      topDestinations: [
        { destination: '9.0.0.1', sessions: 2, subscribers: 2 },
        { destination: '10.0.0.2', sessions: 2, subscribers: 2 },
      ],
      topServices: [
        { port: 80, sessions: 2 },
        { port: 443, sessions: 2 },
      ],
    };
    const random = rng(13);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...rows];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = randomInt(random, 0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      expect(await compute(udpTable(shuffled), 128, 2)).toEqual(expected);
    }
  });

  it('counts subscribers at the prefix length: two hosts of one /56 are one subscriber', async () => {
    const table = udpTable([
      ['2001:db8:0:1201::a', '203.0.113.7', 443],
      ['2001:db8:0:12ff::b', '203.0.113.7', 443],
      ['2001:db8:0:1300::a', '203.0.113.7', 443],
      ['2001:db8:0:1300::a', '203.0.113.7', 443],
    ]);
    expect((await compute(table, 128, 1)).topDestinations).toEqual([{ destination: '203.0.113.7', sessions: 4, subscribers: 3 }]);
    expect((await compute(table, 56, 1)).topDestinations).toEqual([{ destination: '203.0.113.7', sessions: 4, subscribers: 2 }]);
    expect((await compute(table, 0, 1)).topDestinations).toEqual([{ destination: '203.0.113.7', sessions: 4, subscribers: 1 }]);
  });

  it('random tables match the reference', async () => {
    const random = rng(1313);
    for (let round = 0; round < 10; round++) {
      const rows: Array<[string, string, number]> = [];
      const n = randomInt(random, 1, 3000);
      for (let i = 0; i < n; i++) {
        rows.push([
          `2001:db8:${randomInt(random, 0, 40).toString(16)}::${randomInt(random, 1, 5).toString(16)}`,
          `198.51.${randomInt(random, 0, 3)}.${randomInt(random, 0, 30)}`,
          randomInt(random, 1, 40),
        ]);
      }
      const table = udpTable(rows);
      const refRows = rows.map(([ipv6Remote, ipv4Remote, ipv4RemotePort]) => ({ ipv6Remote, ipv4Remote, ipv4RemotePort }) as RefRow);
      for (const [prefixLength, top] of [
        [128, 5],
        [48, 10],
        [64, 1000],
      ] as const) {
        expect(await compute(table, prefixLength, top)).toEqual(reference('udp', refRows, prefixLength, top));
      }
    }
  });
});

describe('topN', () => {
  it('keeps the n highest non-zero values, highest first, ties by key', () => {
    const values = Uint32Array.from([5, 0, 7, 5, 1, 7, 0, 2]);
    expect(topN(values, 3, (id) => id)).toEqual([2, 5, 0]);
    expect(topN(values, 3, (id) => -id)).toEqual([5, 2, 3]);
    expect(topN(values, 100, (id) => id)).toEqual([2, 5, 0, 3, 7, 4]);
    expect(topN(values, 0, (id) => id)).toEqual([]);
  });
});
