/**
 * Streaming parser for `jool session display --csv --numeric` output, both
 * generations (Jool 3 `jool --session --display --csv --numeric` prints the same
 * columns). It works on the raw bytes of each stdout chunk: no string per line,
 * no string per field, only one per distinct address (see interner.ts), so a
 * table of millions of rows parses at memory speed and chunk by chunk, which
 * lets the event loop answer scrapes between chunks.
 *
 * A malformed row is counted and the first one kept as an example; it never
 * stops the parse.
 */
import { NO_STATE, PROTOCOL_CSV_NAME, type Protocol, SESSION_CSV_HEADER, TCP_STATES } from '../model.js';
import type { Interner } from '../table/interner.js';
import { createSessionTableBuilder, type RowValues, type SessionTable } from '../table/session-table.js';
import { parseExpiryBytes } from './expiry.js';
import { EXAMPLE_MAX, noteRejected, type RejectedRows, RowError } from './rejected.js';

export type { RejectedRows } from './rejected.js';

export interface SessionCsvParser {
  /** Parses every complete line of `chunk`; keeps a trailing partial line for the next call. */
  push(chunk: Uint8Array): void;
  /** Parses what is left after the last chunk and returns the table. */
  finish(): ParseResult;
  /** Sessions parsed so far (what the table holds), for a caller that bounds a table's size. */
  readonly rows: number;
}

export interface ParseResult {
  table: SessionTable;
  rejected: RejectedRows;
  /** Header lines seen ("Protocol,IPv6 Remote Address,..."); accepted and skipped. */
  headers: number;
}

export interface ParserOptions {
  /** A line longer than this cannot be a session row; it is rejected without being buffered whole. */
  maxLineBytes?: number;
  /** Rows the table will probably have (the previous poll's count): sizes the table's columns up front. */
  expectedRows?: number;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const DIGIT_0 = 0x30;
const HEADER_PREFIX = Buffer.from('Protocol,');
const STATE_BYTES = TCP_STATES.map((name) => Buffer.from(name));
/** Column names, for the reasons given for rejected rows. */
const COLUMNS = SESSION_CSV_HEADER.split(',');

function bytesEqual(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

export function createSessionCsvParser(protocol: Protocol, options: ParserOptions = {}): SessionCsvParser {
  const maxLineBytes = options.maxLineBytes ?? 4096;
  const builder = createSessionTableBuilder(protocol, options.expectedRows);
  const protocolName = Buffer.from(PROTOCOL_CSV_NAME[protocol]);
  const hasState = protocol === 'tcp';
  const rejected: RejectedRows = { count: 0 };
  let headers = 0;
  // A line split across chunks waits here (only its bytes, never the whole chunk).
  let partial: Buffer | null = null;
  let skippingOverlong = false;

  // Reused for every row: the hot loop allocates nothing.
  const row: RowValues = {
    ipv6Remote: 0,
    ipv6RemotePort: 0,
    ipv6Local: 0,
    ipv6LocalPort: 0,
    ipv4Local: 0,
    ipv4LocalPort: 0,
    ipv4Remote: 0,
    ipv4RemotePort: 0,
    expiresMs: 0,
    state: NO_STATE,
  };
  let pos = 0;

  /**
   * End of field number `column` (which starts at `pos`): the index of its comma, or of the line
   * end for the last field. Moves `pos` past it.
   */
  function nextField(bytes: Uint8Array, end: number, column: number, last: boolean, mayEnd = false): number {
    let i = pos;
    while (i < end && bytes[i] !== COMMA) i++;
    if (last && i !== end) throw new RowError('too many fields');
    if (!last && !mayEnd && i === end) throw new RowError(`too few fields (no ${COLUMNS[column + 1]})`);
    pos = i + 1;
    return i;
  }

  function port(bytes: Uint8Array, end: number, column: number): number {
    const start = pos;
    const stop = nextField(bytes, end, column, false);
    if (stop === start || stop - start > 5) throw new RowError(`bad ${COLUMNS[column]}`);
    let value = 0;
    for (let i = start; i < stop; i++) {
      const digit = bytes[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) throw new RowError(`bad ${COLUMNS[column]}`);
      value = value * 10 + digit;
    }
    if (value > 65535) throw new RowError(`bad ${COLUMNS[column]}`);
    return value;
  }

  function address(bytes: Uint8Array, end: number, column: number, intern: Interner['intern']): number {
    const start = pos;
    const stop = nextField(bytes, end, column, false);
    const id = intern(bytes, start, stop);
    if (id < 0) throw new RowError(`bad ${COLUMNS[column]}`);
    return id;
  }

  function parseRow(bytes: Uint8Array, start: number, end: number): void {
    pos = start;
    const protocolEnd = nextField(bytes, end, 0, false);
    if (!bytesEqual(bytes, start, protocolEnd, protocolName)) throw new RowError(`protocol is not ${protocolName}`);
    row.ipv6Remote = address(bytes, end, 1, builder.ipv6Remotes.intern);
    row.ipv6RemotePort = port(bytes, end, 2);
    row.ipv6Local = address(bytes, end, 3, builder.ipv6Locals.intern);
    row.ipv6LocalPort = port(bytes, end, 4);
    row.ipv4Local = address(bytes, end, 5, builder.ipv4Locals.intern);
    row.ipv4LocalPort = port(bytes, end, 6);
    row.ipv4Remote = address(bytes, end, 7, builder.ipv4Remotes.intern);
    row.ipv4RemotePort = port(bytes, end, 8);
    const expiryStart = pos;
    const expiryEnd = nextField(bytes, end, 9, false, !hasState);
    // Jool 3's docs end UDP and ICMP rows with an empty State field (`...,0:00:50.236,`): accept
    // that, and only an empty one.
    if (!hasState && expiryEnd < end && expiryEnd !== end - 1) throw new RowError('too many fields');
    row.expiresMs = parseExpiryBytes(bytes, expiryStart, expiryEnd);
    if (row.expiresMs < 0) throw new RowError(`bad ${COLUMNS[9]}`);
    row.state = NO_STATE;
    if (hasState) {
      const stateStart = pos;
      const stateEnd = nextField(bytes, end, 10, true);
      let code = -1;
      for (let s = 0; s < STATE_BYTES.length; s++) {
        if (bytesEqual(bytes, stateStart, stateEnd, STATE_BYTES[s]!)) {
          code = s;
          break;
        }
      }
      if (code < 0) throw new RowError('unknown TCP state');
      row.state = code;
    }
    builder.append(row);
  }

  function reject(bytes: Uint8Array, start: number, end: number, reason: string): void {
    // Only the first row's bytes become a string (at most EXAMPLE_MAX of them, however long the line).
    noteRejected(rejected, reason, () => {
      const shown = Math.min(end, start + EXAMPLE_MAX);
      return Buffer.from(bytes.buffer, bytes.byteOffset + start, shown - start).toString('latin1');
    });
  }

  function line(bytes: Uint8Array, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end === start) return;
    if (end - start >= HEADER_PREFIX.length && bytesEqual(bytes, start, start + HEADER_PREFIX.length, HEADER_PREFIX)) {
      headers++;
      return;
    }
    try {
      parseRow(bytes, start, end);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      reject(bytes, start, end, error.reason);
    }
  }

  function overlong(bytes: Uint8Array, start: number, end: number): void {
    reject(bytes, start, end, `line longer than ${maxLineBytes} bytes`);
    skippingOverlong = true;
    partial = null;
  }

  return {
    push(chunk: Uint8Array): void {
      let start = 0;
      if (partial !== null || skippingOverlong) {
        const newline = chunk.indexOf(NEWLINE);
        if (newline < 0) {
          if (!skippingOverlong) {
            partial = Buffer.concat([partial!, chunk]);
            if (partial.length > maxLineBytes) overlong(partial, 0, partial.length);
          }
          return;
        }
        if (skippingOverlong) {
          skippingOverlong = false;
        } else {
          const joined = Buffer.concat([partial!, chunk.subarray(0, newline)]);
          partial = null;
          if (joined.length > maxLineBytes) reject(joined, 0, joined.length, `line longer than ${maxLineBytes} bytes`);
          else line(joined, 0, joined.length);
        }
        start = newline + 1;
      }
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline < 0) break;
        if (newline - start > maxLineBytes) reject(chunk, start, newline, `line longer than ${maxLineBytes} bytes`);
        else line(chunk, start, newline);
        start = newline + 1;
      }
      if (start < chunk.length) {
        // Copy: the caller may reuse the chunk's memory.
        const rest = Buffer.from(chunk.subarray(start));
        if (rest.length > maxLineBytes) overlong(rest, 0, rest.length);
        else partial = rest;
      }
    },
    get rows(): number {
      return builder.length;
    },
    finish(): ParseResult {
      if (partial !== null) line(partial, 0, partial.length);
      partial = null;
      return { table: builder.finish(), rejected, headers };
    },
  };
}

/** Parses a whole output at once (tests, fixtures, small tables). */
export function parseSessionCsv(protocol: Protocol, text: Uint8Array | string, options?: ParserOptions): ParseResult {
  const parser = createSessionCsvParser(protocol, options);
  parser.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  return parser.finish();
}
