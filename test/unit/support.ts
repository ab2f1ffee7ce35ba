/**
 * Shared helpers for the unit tests: fixture loading, a seeded PRNG, and the
 * deliberately simple reference parser (test/property/) in the shape the unit
 * tests compare the streaming byte parser's rows with.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NO_STATE, type Protocol, TCP_STATES } from '../../src/model.js';
import type { SessionCsvParser } from '../../src/parse/session-csv.js';
import { ipv6LocalAt, type SessionTable } from '../../src/table/session-table.js';
import { referenceExpiry, referenceParseSessions } from '../property/reference-session-parser.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/jool-4.1.9/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

/** mulberry32: small, seeded, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export interface RefRow {
  protocol: string;
  ipv6Remote: string;
  ipv6RemotePort: number;
  ipv6Local: string;
  ipv6LocalPort: number;
  ipv4Local: string;
  ipv4LocalPort: number;
  ipv4Remote: string;
  ipv4RemotePort: number;
  expiresMs: number;
  state: string | null;
}

export interface RefResult {
  rows: RefRow[];
  rejected: number;
  /** Lines rejected, in order, as text (without the line end). */
  rejectedLines: string[];
  headers: number;
}

/** The reference's reading of an "Expires in" value (null: not one). */
export const refExpiry = referenceExpiry;

/**
 * The reference parser (test/property/reference-session-parser.ts: split and regular
 * expressions, nothing shared with src/), with each row's protocol as Jool prints it.
 */
export function referenceParse(protocol: Protocol, text: string, maxLineBytes = 4096): RefResult {
  const parsed = referenceParseSessions(protocol, text, maxLineBytes);
  return {
    rows: parsed.sessions.map((session) => ({ protocol: protocol.toUpperCase(), ...session })),
    rejected: parsed.rejected.length,
    rejectedLines: parsed.rejected,
    headers: parsed.headers,
  };
}

/** Rebuilds plain rows from the columnar table and its interners. */
export function tableRows(table: SessionTable): RefRow[] {
  const rows: RefRow[] = [];
  for (let i = 0; i < table.length; i++) {
    const state = table.state[i]!;
    rows.push({
      protocol: table.protocol.toUpperCase(),
      ipv6Remote: table.ipv6Remotes.values[table.ipv6Remote[i]!]!,
      ipv6RemotePort: table.ipv6RemotePort[i]!,
      ipv6Local: table.ipv6Locals.values[ipv6LocalAt(table, i)]!,
      ipv6LocalPort: table.ipv6LocalPort[i]!,
      ipv4Local: table.ipv4Locals.values[table.ipv4Local[i]!]!,
      ipv4LocalPort: table.ipv4LocalPort[i]!,
      ipv4Remote: table.ipv4Remotes.values[table.ipv4Remote[i]!]!,
      ipv4RemotePort: table.ipv4RemotePort[i]!,
      expiresMs: table.expiresMs[i]!,
      state: state === NO_STATE ? null : (TCP_STATES[state] ?? `?${state}`),
    });
  }
  return rows;
}

/**
 * Feeds `bytes` to `parser` in chunks of the given sizes (cycled), each copied
 * into ONE reused scratch buffer that is scribbled over after every push, so a
 * parser that keeps a reference to a caller's chunk instead of copying is caught.
 */
export function pushInChunks(parser: SessionCsvParser, bytes: Uint8Array, nextSize: () => number): void {
  const scratch = new Uint8Array(65536);
  let offset = 0;
  while (offset < bytes.length) {
    const size = Math.max(1, Math.min(nextSize(), bytes.length - offset, scratch.length));
    scratch.set(bytes.subarray(offset, offset + size), 0);
    parser.push(scratch.subarray(0, size));
    scratch.fill(0x58 /* 'X' */, 0, size);
    offset += size;
  }
}
