/**
 * /sessions.csv's rows are written as bytes into chunks (http/session-rows.ts): they must be the
 * rows Jool printed, in Jool 4's format, whatever the table, and the same across chunk boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSessionQuery } from '../../src/http/session-query.js';
import { createChunkPool, sessionCsvChunks } from '../../src/http/session-rows.js';
import { type Protocol, SESSION_CSV_HEADER } from '../../src/model.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import type { InstanceStatus } from '../../src/status/model.js';
import { emptySessionTable, type SessionTable } from '../../src/table/session-table.js';
import { renderRow, sessionTable } from '../property/arbitraries.js';
import { fixture } from './support.js';

/** Only what sessionCsvChunks reads of an instance's status. */
function instanceWith(tables: Partial<Record<Protocol, SessionTable>>): InstanceStatus {
  const of = (p: Protocol) => ({ table: tables[p] ?? emptySessionTable(p) });
  return { name: 'default', tables: { tcp: of('tcp'), udp: of('udp'), icmp: of('icmp') } } as unknown as InstanceStatus;
}

function csv(instance: InstanceStatus, raw: Record<string, string> = {}): { text: string; chunks: Uint8Array[] } {
  const chunks = [...sessionCsvChunks([instance], parseSessionQuery(raw, ['default']))];
  return { text: Buffer.concat(chunks).toString('latin1'), chunks };
}

const SEED = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 10);

describe('sessionCsvChunks', () => {
  it('prints any table back in Jool 4 format, whichever dialect it was read in', () => {
    fc.assert(
      fc.property(sessionTable(), (t) => {
        const table = parseSessionCsv(t.protocol, t.text).table;
        const rows = t.sessions.map((s) => `${renderRow(t.protocol, s, 'jool4', false)}\n`).join('');
        expect(csv(instanceWith({ [t.protocol]: table }), { protocol: t.protocol }).text).toBe(`${SESSION_CSV_HEADER}\n${rows}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('cuts a big table into ~64 KiB chunks of whole rows, losing and repeating none', () => {
    const lines = fixture('session-tcp-noheaders.csv').toString('latin1').split('\n').filter(Boolean);
    const many = Array.from({ length: 3000 }, (_, i) => lines[i % lines.length]!);
    const table = parseSessionCsv('tcp', many.join('\n')).table;
    const { text, chunks } = csv(instanceWith({ tcp: table }));
    expect(text).toBe(`${SESSION_CSV_HEADER}\n${many.join('\n')}\n`);
    const rowChunks = chunks.slice(1);
    expect(rowChunks.length).toBeGreaterThan(2);
    for (const chunk of rowChunks) {
      expect(chunk.length).toBeLessThanOrEqual(64 * 1024);
      expect(chunk.length).toBeGreaterThan(rowChunks.length > 1 && chunk !== rowChunks.at(-1) ? 60 * 1024 : 0);
      expect(chunk[chunk.length - 1]).toBe(10); // ends with a whole row
    }
  });

  it('with a pool, fills a buffer again only once it was given back, and writes the same bytes', () => {
    const lines = fixture('session-tcp-noheaders.csv').toString('latin1').split('\n').filter(Boolean);
    const table = parseSessionCsv('tcp', Array.from({ length: 3000 }, (_, i) => lines[i % lines.length]!).join('\n')).table;
    const instance = instanceWith({ tcp: table });
    const query = parseSessionQuery({}, ['default']);
    const pool = createChunkPool();
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let held: Uint8Array | undefined;
    for (const chunk of sessionCsvChunks([instance], query, pool)) {
      copies.push(Buffer.from(chunk)); // what the socket wrote out
      buffers.add(chunk.buffer);
      // Each chunk given back one chunk late, as a socket that still holds the last one: two buffers in turn.
      if (held !== undefined) pool.giveBack(held);
      held = chunk;
    }
    expect(Buffer.concat(copies).toString('latin1')).toBe(csv(instance).text);
    expect(copies.length).toBeGreaterThan(4);
    expect(buffers.size).toBe(3); // the header's, and two lent in turn
  });

  it('stops at the limit, across tables', () => {
    const tcp = parseSessionCsv('tcp', fixture('session-tcp-noheaders.csv')).table;
    const udp = parseSessionCsv('udp', fixture('session-udp-noheaders.csv')).table;
    const all = csv(instanceWith({ tcp, udp })).text.split('\n').filter(Boolean);
    const limit = tcp.length + 2;
    const limited = csv(instanceWith({ tcp, udp }), { limit: String(limit) })
      .text.split('\n')
      .filter(Boolean);
    expect(limited).toEqual(all.slice(0, limit + 1));
  });
});
