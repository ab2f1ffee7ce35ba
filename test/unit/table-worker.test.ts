/**
 * The table worker thread (src/poll/table-worker.ts): a real worker_threads worker, started from
 * the program vitest's config bundles from the sources. Whatever it is given, it must hand back
 * exactly what parsing and analysing on this thread gives: the same rows, the same interned
 * texts and bits, the same rejected rows, the same analysis.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool4Entry, Protocol } from '../../src/model.js';
import { parsePool4Csv } from '../../src/parse/pool4-csv.js';
import {
  createTableWorker,
  type ParsedTable,
  parseOnThisThread,
  type StartTableParse,
  type TableWorker,
} from '../../src/poll/table-worker.js';
import type { AnalysisOptions } from '../../src/table/analyse-table.js';
import type { Interner, IPv4Interner, IPv6Interner } from '../../src/table/interner.js';
import type { SessionTable } from '../../src/table/session-table.js';
import { tableFromParts, tableParts } from '../../src/table/table-transfer.js';
import { cuts, mutate, mutation, sessionTable } from '../property/arbitraries.js';
import { fixture, tableRows } from './support.js';

const POOL4: Pool4Entry[] = [
  ...parsePool4Csv(fixture('pool4-tcp.csv').toString()).entries,
  ...parsePool4Csv(fixture('pool4-udp.csv').toString()).entries,
  ...parsePool4Csv(fixture('pool4-icmp.csv').toString()).entries,
];
const ANALYSIS: AnalysisOptions = { clients: { prefixLength: 56, top: 3 }, destinationsTop: 3, pool4: POOL4 };

const workers: TableWorker[] = [];
function newWorker(idleMs?: number): TableWorker {
  const worker = createTableWorker(idleMs === undefined ? {} : { idleMs });
  workers.push(worker);
  return worker;
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});

/**
 * Pushes `bytes` in chunks cut at `cutPoints`, all through one buffer, as the pipe reader does
 * (jool/pipe-reader.ts): each chunk is written over the previous one once push() is done with it,
 * and the buffer is scribbled on, so a parse that kept a chunk's memory would read garbage.
 */
async function parseWith(
  start: StartTableParse,
  protocol: Protocol,
  bytes: Uint8Array,
  cutPoints: readonly number[],
  analysis?: AnalysisOptions,
): Promise<ParsedTable> {
  const parse = start(protocol, { maxRows: Infinity });
  const reused = new Uint8Array(bytes.length);
  let from = 0;
  for (const to of [...cutPoints, bytes.length]) {
    if (to > from) {
      const chunk = reused.subarray(0, to - from);
      chunk.set(bytes.subarray(from, to));
      await parse.push(chunk);
      chunk.fill(0x2c); // commas: rows of empty fields, if anything read it later
    }
    from = to;
  }
  return parse.finish(analysis);
}

function internerSnapshot(interner: Interner, bits: (id: number) => number[]) {
  const ids = Array.from({ length: interner.size }, (_, id) => id);
  return { values: [...interner.values], texts: ids.map((id) => interner.text(id)), bits: ids.map(bits) };
}

/** Everything observable about a parsed table. */
function snapshot({ table, rejected, headers, analysis }: ParsedTable) {
  const v6 = (interner: IPv6Interner) => internerSnapshot(interner, (id) => [0, 1, 2, 3].map((w) => interner.word(id, w)));
  const v4 = (interner: IPv4Interner) => internerSnapshot(interner, (id) => [interner.address(id)]);
  return {
    protocol: table.protocol,
    rows: tableRows(table),
    ipv6Remotes: v6(table.ipv6Remotes),
    // The IPv6 locals keep no bits (createIPv6Interner's keepBits): their texts and values say it all.
    ipv6Locals: internerSnapshot(table.ipv6Locals, () => []),
    ipv4Locals: v4(table.ipv4Locals),
    ipv4Remotes: v4(table.ipv4Remotes),
    rejected,
    headers,
    analysis,
  };
}

describe('table transfer', () => {
  it('gives every array its own buffer, and a table rebuilt from moved parts reads as the original', async () => {
    const original = await parseWith(parseOnThisThread, 'tcp', fixture('session-tcp.csv'), [1000, 5000]);
    const expected = snapshot(original);
    const { parts, transfer } = tableParts(original.table);
    // 21 buffers, none shared, so moving one moves nothing else: ten columns but the two Jool's
    // table needs not store (the IPv6 local, which the IPv4 remote's id maps to, and its L4-ID, the
    // same array as the IPv4 remote port), that map, and three arrays for each of four interners.
    expect(original.table.ipv6Local).toBeNull();
    expect(original.table.ipv6LocalPort).toBe(original.table.ipv4RemotePort);
    expect(transfer).toHaveLength(10 - 2 + 1 + 4 * 3);
    const moved = structuredClone(parts, { transfer });
    expect(original.table.ipv6Remote.length).toBe(0); // detached: the sender's table is gone
    const table: SessionTable = tableFromParts(moved);
    expect(table.ipv6LocalPort).toBe(table.ipv4RemotePort); // still one array, moved once
    expect(snapshot({ ...original, table })).toEqual(expected);
    expect(expected.rows.length).toBe(520);
  });

  it('refuses parts that are not a table', () => {
    expect(() => tableFromParts({ protocol: 'sctp' } as never)).toThrow(/protocol sctp/);
  });
});

describe('table worker', () => {
  it('parses and analyses the captured Jool 4.1.9 tables exactly as this thread does', async () => {
    const worker = newWorker();
    for (const [name, protocol] of [
      ['session-tcp.csv', 'tcp'],
      ['session-udp.csv', 'udp'],
      ['session-icmp-noheaders.csv', 'icmp'],
      ['empty-session-tcp.csv', 'tcp'],
    ] as const) {
      const bytes = fixture(name);
      const cutPoints = [1, 77, 4096, 65536].filter((cut) => cut < bytes.length);
      const here = snapshot(await parseWith(parseOnThisThread, protocol, bytes, cutPoints, ANALYSIS));
      const there = snapshot(await parseWith(worker.start, protocol, bytes, cutPoints, ANALYSIS));
      expect(there).toEqual(here);
      expect(there.analysis?.aggregate.sessions).toBe(there.rows.length);
    }
  });

  it('agrees with this thread on random tables, damaged anywhere and cut anywhere (Jool 3 and 4 text)', async () => {
    const worker = newWorker();
    const damagedAndCut = fc
      .tuple(sessionTable({ maxRows: 30 }), fc.array(mutation, { maxLength: 4 }))
      .map(([t, mutations]) => (mutations.length > 0 && t.text.length > 0 ? mutate(t, mutations) : t))
      .chain((t) => fc.tuple(fc.constant(t), cuts(t.text.length)));
    await fc.assert(
      fc.asyncProperty(damagedAndCut, async ([t, cutPoints]) => {
        const bytes = Buffer.from(t.text, 'latin1');
        const here = snapshot(await parseWith(parseOnThisThread, t.protocol, bytes, cutPoints, ANALYSIS));
        const there = snapshot(await parseWith(worker.start, t.protocol, bytes, cutPoints, ANALYSIS));
        expect(there).toEqual(here);
      }),
      { seed: Number(process.env.FC_SEED ?? 11), numRuns: Number(process.env.FC_RUNS ?? 150) },
    );
  });

  it('parses several tables at once without mixing them up', async () => {
    const worker = newWorker();
    const tcp = fixture('session-tcp.csv');
    const udp = fixture('session-udp.csv');
    const a = worker.start('tcp', { maxRows: Infinity });
    const b = worker.start('udp', { maxRows: Infinity });
    const half = (bytes: Buffer, first: boolean) => Buffer.from(first ? bytes.subarray(0, 3000) : bytes.subarray(3000));
    await a.push(half(tcp, true));
    await b.push(half(udp, true));
    await a.push(half(tcp, false));
    await b.push(half(udp, false));
    const [udpParsed, tcpParsed] = await Promise.all([b.finish(), a.finish()]);
    expect(tableRows(tcpParsed.table)).toEqual(tableRows((await parseWith(parseOnThisThread, 'tcp', tcp, [])).table));
    expect(tableRows(udpParsed.table)).toEqual(tableRows((await parseWith(parseOnThisThread, 'udp', udp, [])).table));
  });

  it("copies each chunk into the table's ring: the caller's memory is free again once push() is done, and a chunk bigger than the ring arrives whole", async () => {
    const worker = newWorker();
    const parse = worker.start('tcp', { maxRows: Infinity });
    const one = fixture('session-tcp.csv'); // ~57 KB, a header and 520 rows
    const big = Buffer.concat(Array.from({ length: 40 }, () => one)); // ~2.3 MB: more than the ring's 1 MiB
    await parse.push(big);
    big.fill(0x2c);
    const small = Buffer.from(one);
    await parse.push(small);
    small.fill(0x2c);
    const parsed = await parse.finish();
    expect(parsed.table.length).toBe(41 * 520);
    expect(parsed.headers).toBe(41);
    expect(parsed.rejected.count).toBe(0);
    expect(tableRows(parsed.table).slice(0, 520)).toEqual(tableRows((await parseWith(parseOnThisThread, 'tcp', one, [])).table));
  });

  it("holds the caller back while the table's ring is full (1 MiB on its way), and lets it go on once the worker has caught up", async () => {
    const worker = newWorker();
    const parse = worker.start('tcp', { maxRows: Infinity });
    const bytes = fixture('session-tcp.csv'); // ~57 KB: 24 of them are past the bound
    let waited = 0;
    for (let i = 0; i < 24; i++) {
      const pending = parse.push(Buffer.from(bytes));
      if (pending !== undefined) {
        waited++;
        await pending;
      }
    }
    expect(waited).toBeGreaterThan(0);
    const parsed = await parse.finish();
    expect(parsed.table.length).toBe(24 * 520);
    expect(parsed.headers).toBe(24);
  });

  it('reports the rows once past maxRows, parses no further, and does not analyse the table', async () => {
    const worker = newWorker();
    const parse = worker.start('tcp', { maxRows: 100 });
    const bytes = fixture('session-tcp.csv');
    for (let i = 0; i < 30; i++) await parse.push(Buffer.from(bytes));
    const parsed = await parse.finish(ANALYSIS);
    expect(parse.rows).toBe(520); // the first chunk crossed the bound: the rest were not parsed
    expect(parsed.table.length).toBe(520);
    expect(parsed.analysis).toBeUndefined(); // the table fails whole: not analysed
  });

  it('fails a table the worker cannot handle, and only that table', async () => {
    const worker = newWorker();
    const good = worker.start('tcp', { maxRows: Infinity });
    const bad = worker.start('udp', { maxRows: Infinity });
    await good.push(Buffer.from(fixture('session-tcp.csv')));
    await bad.push(Buffer.from(fixture('session-udp.csv')));
    // Options the analysis refuses (the config never lets these through): it throws on the worker.
    const refused = { ...ANALYSIS, clients: { prefixLength: 129, top: 3 } };
    await expect(bad.finish(refused)).rejects.toThrow(/udp table on the worker thread failed: RangeError: subscriber prefix length/);
    expect((await good.finish(ANALYSIS)).analysis?.aggregate.sessions).toBe(520);
  });

  it('fails the tables in progress when stopped, and starts a new thread for the next table', async () => {
    const worker = newWorker();
    const cut = worker.start('tcp', { maxRows: Infinity });
    await cut.push(Buffer.from(fixture('session-tcp.csv')));
    const verdict = expect(cut.finish()).rejects.toThrow(/the table worker thread was stopped/);
    await worker.stop();
    await verdict;
    expect(worker.running).toBe(false);
    const next = await parseWith(worker.start, 'tcp', fixture('session-tcp.csv'), [100]);
    expect(next.table.length).toBe(520);
  });

  it.runIf(process.platform === 'linux')('runs at a lower priority than the thread that serves scrapes (nice + 10)', async () => {
    // Field 19 of /proc/PID/task/TID/stat is the thread's nice value (after the parenthesised name).
    const nices = () =>
      readdirSync('/proc/self/task').map((tid) =>
        Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]),
      );
    const own = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[16]);
    const before = nices().filter((nice) => nice === Math.min(19, own + 10)).length;
    const worker = newWorker();
    const parse = worker.start('tcp', { maxRows: Infinity });
    await parse.push(Buffer.from(fixture('session-tcp.csv')));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the thread has started and set its priority
    expect(nices().filter((nice) => nice === Math.min(19, own + 10)).length).toBe(before + 1);
    expect((await parse.finish()).table.length).toBe(520);
  });

  it('keeps the thread from round to round, and ends it after a round four times smaller than its biggest', async () => {
    const worker = newWorker();
    const udp = fixture('session-udp.csv'); // 4004 rows
    const tcp = fixture('session-tcp.csv'); // 520 rows
    const roundOver = () => new Promise((resolve) => setTimeout(resolve, 800)); // more than 500 ms without a table
    // A round: tables one after the other, as a poll reads them (4524 rows, the biggest round so far).
    expect((await parseWith(worker.start, 'udp', udp, [])).table.length).toBe(4004);
    expect((await parseWith(worker.start, 'tcp', tcp, [])).table.length).toBe(520);
    await roundOver();
    expect(worker.running).toBe(true);
    // 1560 rows: not four times smaller than 4524.
    await parseWith(worker.start, 'tcp', Buffer.concat([tcp, tcp, tcp]), []);
    await roundOver();
    expect(worker.running).toBe(true);
    // 520 rows: it is; the next table starts a new thread.
    await parseWith(worker.start, 'tcp', tcp, []);
    expect(worker.running).toBe(true); // the round may go on
    await roundOver();
    expect(worker.running).toBe(false);
    expect((await parseWith(worker.start, 'udp', udp, [])).table.length).toBe(4004);
    expect(worker.running).toBe(true);
  });

  it('ends the thread once idle, and starts one again for the next table', async () => {
    const worker = newWorker(50);
    expect(worker.running).toBe(false);
    const first = worker.start('udp', { maxRows: Infinity });
    expect(worker.running).toBe(true);
    await first.push(Buffer.from(fixture('session-udp.csv')));
    expect((await first.finish()).table.length).toBe(4004);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(worker.running).toBe(false);
    expect((await parseWith(worker.start, 'udp', fixture('session-udp.csv'), [])).table.length).toBe(4004);
  });
});
