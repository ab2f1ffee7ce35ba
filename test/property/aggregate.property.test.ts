/**
 * Property test for the aggregation fast path (issue 10): on random tables, Jool 3 and 4 text,
 * damaged rows included, the exporter's per-table figures (aggregate.ts, subscribers.ts), read
 * through its parser, interner and typed columns, equal what a deliberately simple reference
 * computes from the sessions the reference parser (reference-session-parser.ts) reads: plain
 * arrays, Sets and Maps of strings, ipaddr.js for the prefixes.
 */

import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import { aggregateTable, aggregateTableInSlices } from '../../src/table/aggregate.js';
import { computeSubscribers } from '../../src/table/subscribers.js';
import { mutate, mutation, sessionTable } from './arbitraries.js';
import { REFERENCE_TCP_STATES, type RefSession, referenceParseSessions } from './reference-session-parser.js';

const SEED = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 10);
const params = { seed: SEED, numRuns: Number(process.env.FC_RUNS ?? 200) };
const BOUNDS_S = [1, 5, 10, 30, 60, 120, 240, 300, 600, 1200, 1800, 3600, 5400, 7200];

function referenceAggregate(sessions: readonly RefSession[]) {
  const bib = new Set(sessions.map((s) => `${s.ipv4Local}#${s.ipv4LocalPort}`));
  return {
    sessions: sessions.length,
    tcpStates: REFERENCE_TCP_STATES.map((name) => sessions.filter((s) => s.state === name).length),
    expiryBuckets: BOUNDS_S.map((b) => sessions.filter((s) => s.expiresMs <= b * 1000).length),
    bibEntries: bib.size,
    bibEntriesInRuns: inRuns(sessions.map((s) => `${s.ipv4Local}#${s.ipv4LocalPort}`)),
    clients: new Set(sessions.map((s) => s.ipv6Remote)).size,
  };
}

/** No key comes back once another came after it. */
function inRuns(keys: readonly string[]): boolean {
  const done = new Set<string>();
  for (let i = 1; i < keys.length; i++) {
    if (keys[i] === keys[i - 1]) continue;
    if (done.has(keys[i]!)) return false;
    done.add(keys[i - 1]!);
  }
  return true;
}

/**
 * The table's lines in Jool's order: each BIB entry's sessions together (lines sorted by their
 * IPv4 local address and port fields, headers first), so the BIB entries come in runs. Damaged
 * lines are sorted with the others.
 */
function inJoolOrder(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop()!;
  const key = (line: string) => (line.startsWith('Protocol,') ? '' : `#${line.split(',').slice(5, 7).join('#')}`);
  const sorted = lines
    .map((line, at) => ({ line, at, key: key(line) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.at - b.at));
  return [...sorted.map((l) => l.line), last].join('\n');
}

/** Sessions and distinct BIB entries per subscriber label, as the exporter labels them. */
function referenceSubscribers(sessions: readonly RefSession[], prefixLength: number) {
  const perSubscriber = new Map<string, { sessions: number; bib: Set<string> }>();
  for (const s of sessions) {
    const text =
      s.ipv6Remote.startsWith('::') && !s.ipv6Remote.slice(2).includes(':') && s.ipv6Remote.includes('.')
        ? `0${s.ipv6Remote}`
        : s.ipv6Remote;
    const parts = ipaddr.IPv6.parse(text).parts.map(
      (g, i) => g & (0xffff << (16 - Math.max(0, Math.min(16, prefixLength - 16 * i)))) & 0xffff,
    );
    const label = new ipaddr.IPv6(parts).toRFC5952String() + (prefixLength === 128 ? '' : `/${prefixLength}`);
    const entry = perSubscriber.get(label) ?? { sessions: 0, bib: new Set<string>() };
    entry.sessions++;
    entry.bib.add(`${s.ipv4Local}#${s.ipv4LocalPort}`);
    perSubscriber.set(label, entry);
  }
  const ranked = (value: (e: { sessions: number; bib: Set<string> }) => number) =>
    [...perSubscriber]
      .map(([subscriber, e]) => ({ subscriber, value: value(e) }))
      .sort((a, b) => (a.value !== b.value ? b.value - a.value : a.subscriber < b.subscriber ? -1 : 1));
  return { subscribers: perSubscriber.size, bySessions: ranked((e) => e.sessions), byBib: ranked((e) => e.bib.size) };
}

// Half of them in Jool's order (BIB entries in runs), half in any order.
const damagedTable = sessionTable({ maxRows: 40 }).chain((t) =>
  fc.tuple(fc.constant(t), fc.array(mutation, { maxLength: 6 }), fc.boolean()).map(([table, mutations, joolOrder]) => {
    const text = mutate(table, mutations).text;
    return { protocol: table.protocol, text: joolOrder ? inJoolOrder(text) : text };
  }),
);

describe('aggregates: the fast path equals a simple reference', () => {
  it('per-table counts, states, expiry buckets, BIB entries and clients, sliced and not', async () => {
    await fc.assert(
      fc.asyncProperty(damagedTable, async ({ protocol, text }) => {
        const sessions = referenceParseSessions(protocol, text).sessions;
        const { table } = parseSessionCsv(protocol, text);
        const mine = aggregateTable(table);
        expect(await aggregateTableInSlices(table)).toEqual(mine);
        const { expirySumSeconds, ...figures } = mine;
        expect(figures).toEqual(referenceAggregate(sessions));
        expect(expirySumSeconds).toBeCloseTo(sessions.reduce((sum, s) => sum + s.expiresMs, 0) / 1000, 3);
      }),
      params,
    );
  });

  it('subscribers at /128, /64, /56 and /0: counts and every subscriber ranked', () => {
    fc.assert(
      fc.property(damagedTable, fc.constantFrom(128, 64, 56, 0), ({ protocol, text }, prefixLength) => {
        const sessions = referenceParseSessions(protocol, text).sessions;
        const { table } = parseSessionCsv(protocol, text);
        const mine = computeSubscribers(table, { prefixLength, top: 1000 });
        const ref = referenceSubscribers(sessions, prefixLength);
        expect(mine.subscribers).toBe(ref.subscribers);
        expect(mine.topBySessions).toEqual(ref.bySessions);
        expect(mine.topByBibEntries).toEqual(ref.byBib);
        expect(mine.sessionsPerSubscriber.sum).toBe(sessions.length);
        // Told what the aggregate found (BIB entries in runs or not), as a poll does: the same.
        expect(computeSubscribers(table, { prefixLength, top: 1000 }, aggregateTable(table))).toEqual(mine);
      }),
      params,
    );
  });
});
