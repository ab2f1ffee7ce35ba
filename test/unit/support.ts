/**
 * Shared helpers for the unit tests: fixture loading, a seeded PRNG, and a
 * deliberately naive reference parser for Jool's session CSV (String.split
 * and regular expressions, nothing shared with src/) to compare the streaming
 * byte parser against.
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NO_STATE, type Protocol, TCP_STATES } from '../../src/model.js';
import type { SessionCsvParser } from '../../src/parse/session-csv.js';
import type { SessionTable } from '../../src/table/session-table.js';

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

const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4_RE = new RegExp(`^${IPV4_OCTET}\\.${IPV4_OCTET}\\.${IPV4_OCTET}\\.${IPV4_OCTET}$`);
const EXPIRY_RE = /^(\d{1,7}):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/;

export function refIsIPv4(text: string): boolean {
  return IPV4_RE.test(text);
}

export function refIsIPv6(text: string): boolean {
  return !text.includes('%') && isIPv6(text);
}

export function refExpiry(text: string): number | null {
  const m = EXPIRY_RE.exec(text);
  if (m === null) return null;
  const [, h, mi, s, ms] = m;
  return ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1000 + (ms === undefined ? 0 : Number(ms));
}

function refPort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** The naive reference: one line at a time, split on commas. */
export function referenceParse(protocol: Protocol, text: string, maxLineBytes = 4096): RefResult {
  const name = protocol.toUpperCase();
  const result: RefResult = { rows: [], rejected: 0, rejectedLines: [], headers: 0 };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    // Text after the last newline is the final line (if any); an empty one is nothing.
    if (index === lines.length - 1 && raw === '') return;
    const reject = () => {
      result.rejected++;
      result.rejectedLines.push(raw);
    };
    if (raw.length > maxLineBytes) {
      reject();
      return;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    if (line.startsWith('Protocol,')) {
      result.headers++;
      return;
    }
    const f = line.split(',');
    // Jool 3 may end UDP and ICMP rows with an empty State field.
    if (protocol !== 'tcp' && f.length === 11 && f[10] === '') f.pop();
    const want = protocol === 'tcp' ? 11 : 10;
    if (f.length !== want) {
      reject();
      return;
    }
    if (f[0] !== name) {
      reject();
      return;
    }
    const ports = [f[2]!, f[4]!, f[6]!, f[8]!].map(refPort);
    if (ports.some((p) => p === null)) {
      reject();
      return;
    }
    if (!refIsIPv6(f[1]!) || !refIsIPv6(f[3]!) || !refIsIPv4(f[5]!) || !refIsIPv4(f[7]!)) {
      reject();
      return;
    }
    const expiresMs = refExpiry(f[9]!);
    if (expiresMs === null) {
      reject();
      return;
    }
    let state: string | null = null;
    if (protocol === 'tcp') {
      if (!(TCP_STATES as readonly string[]).includes(f[10]!)) {
        reject();
        return;
      }
      state = f[10]!;
    }
    result.rows.push({
      protocol: f[0]!,
      ipv6Remote: f[1]!,
      ipv6RemotePort: ports[0]!,
      ipv6Local: f[3]!,
      ipv6LocalPort: ports[1]!,
      ipv4Local: f[5]!,
      ipv4LocalPort: ports[2]!,
      ipv4Remote: f[7]!,
      ipv4RemotePort: ports[3]!,
      expiresMs,
      state,
    });
  });
  return result;
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
      ipv6Local: table.ipv6Locals.values[table.ipv6Local[i]!]!,
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
