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
import { NOT_IPV6, scanIPv6Bytes } from '../table/address-bytes.js';
import type { Interner } from '../table/interner.js';
import { createSessionTableBuilder, type RowValues, type SessionTable, type TableSize } from '../table/session-table.js';
import { parseExpiryBytes } from './expiry.js';
import { EXAMPLE_MAX, noteRejected, type RejectedRows } from './rejected.js';

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
  expected?: TableSize;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const DIGIT_0 = 0x30;
const NEWLINE_BYTES = Buffer.from('\n');
const HEADER_PREFIX = Buffer.from('Protocol,');
const STATE_BYTES = TCP_STATES.map((name) => Buffer.from(name));
/** Column names, for the reasons given for rejected rows. */
const COLUMNS = SESSION_CSV_HEADER.split(',');
const BAD = COLUMNS.map((column) => `bad ${column}`);
const TOO_FEW = COLUMNS.map((_, column) => `too few fields (no ${COLUMNS[column + 1]})`);
const TOO_MANY = 'too many fields';

function bytesEqual(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

/**
 * The fast path. Every range handed to parseLines() ends with a newline, so a scan for a field's
 * end needs no bounds check: it stops at the comma or, at the latest, at the line's newline, and
 * the row's last field finds the line's end. (A native `indexOf('\n')` per line, the previous
 * design, cost a third of the parse in a profile: a C++ call per row.) A port's digits are read
 * by the scan that finds its end; an address is scanned, then parsed to its bits by the interner.
 */
export function createSessionCsvParser(protocol: Protocol, options: ParserOptions = {}): SessionCsvParser {
  const maxLineBytes = options.maxLineBytes ?? 4096;
  const builder = createSessionTableBuilder(protocol, options.expected);
  const { ipv6Remotes, ipv6Locals, ipv4Locals, ipv4Remotes } = builder;
  const protocolName = Buffer.from(`${PROTOCOL_CSV_NAME[protocol]},`);
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
  // Where the last scan stopped (the field's comma, or the line's newline), and why a row failed.
  let at = 0;
  let reason = '';
  // The IPv6 local address, scanned before the IPv4 remote and interned after it.
  const localWords = new Uint32Array(4);

  /** The comma ending field `column`, which starts at `at`; -1 when the line ends first (`reason` says so). */
  function fieldStop(bytes: Uint8Array, column: number): number {
    const stop = fieldEnd(bytes, at);
    if (bytes[stop] !== NEWLINE) return stop;
    reason = TOO_FEW[column]!;
    return -1;
  }

  /** Address field `column` starting at `at`: its interned id, or -1 (`reason` says why). Leaves `at` after its comma. */
  function address(bytes: Uint8Array, column: number, interner: Interner): number {
    const start = at;
    const stop = fieldStop(bytes, column);
    if (stop < 0) return -1;
    at = stop + 1;
    const id = interner.intern(bytes, start, stop);
    if (id < 0) reason = BAD[column]!;
    return id;
  }

  // Where the client (column 1) and pool4 address (column 5) of the row before were in the buffer
  // being parsed ([start, end), -1 when not in this buffer) and their ids: Jool prints a BIB
  // entry's sessions together and pool4 has few addresses, so these often repeat the row before.
  const previousClient = new Int32Array([-1, 0, 0]);
  const previousPool4 = new Int32Array([-1, 0, 0]);

  /**
   * address(), first comparing the field with the same column of the row before, byte for byte: the
   * same text is the same id, with no parse and no lookup. (The comparison cannot run past the
   * line: the text before holds no newline, so it differs at the latest there.)
   */
  function repeatedAddress(bytes: Uint8Array, column: number, interner: Interner, previous: Int32Array): number {
    const start = at;
    const previousStart = previous[0]!;
    if (previousStart >= 0) {
      const length = previous[1]! - previousStart;
      let k = 0;
      while (k < length && bytes[start + k] === bytes[previousStart + k]) k++;
      if (k === length && bytes[start + k] === COMMA) {
        at = start + length + 1;
        return previous[2]!;
      }
    }
    const id = address(bytes, column, interner);
    if (id >= 0) {
      previous[0] = start;
      previous[1] = at - 1;
      previous[2] = id;
    }
    return id;
  }

  /** Port field `column` starting at `at` (1 to 5 digits, at most 65535), or -1. Leaves `at` after its comma. */
  function port(bytes: Uint8Array, column: number): number {
    const start = at;
    let i = start;
    let value = 0;
    for (let digit = bytes[i]! - DIGIT_0; digit >= 0 && digit <= 9; digit = bytes[++i]! - DIGIT_0) value = value * 10 + digit;
    const stop = bytes[i];
    if (stop === COMMA && i > start && i - start <= 5 && value <= 65535) {
      at = i + 1;
      return value;
    }
    // Not a port: the reason depends on whether the field has a comma at all, as in any column.
    reason = bytes[fieldEnd(bytes, i)] === NEWLINE ? TOO_FEW[column]! : BAD[column]!;
    return -1;
  }

  /**
   * The row that starts at `start`, into `row`: true and `at` on its newline, or false with
   * `reason`. Fields are checked left to right, each failing the way test/property's reference
   * parser says (a missing comma is "too few fields" before anything else about the field).
   */
  function parseRow(bytes: Uint8Array, start: number): boolean {
    if (!bytesEqual(bytes, start, start + protocolName.length, protocolName)) {
      const stop = fieldEnd(bytes, start);
      reason = bytes[stop] === NEWLINE ? TOO_FEW[0]! : `protocol is not ${PROTOCOL_CSV_NAME[protocol]}`;
      return false;
    }
    at = start + protocolName.length;
    row.ipv6Remote = repeatedAddress(bytes, 1, ipv6Remotes, previousClient);
    if (row.ipv6Remote < 0) return false;
    row.ipv6RemotePort = port(bytes, 2);
    if (row.ipv6RemotePort < 0) return false;
    // The IPv6 local is checked here, in column order, but looked up once the IPv4 remote's id is
    // known: it is usually that address embedded in pool6 (IPv6Interner.internLocal).
    const localStart = at;
    const localStop = fieldStop(bytes, 3);
    if (localStop < 0) return false;
    const localSpelling = scanIPv6Bytes(bytes, localStart, localStop, localWords);
    if (localSpelling === NOT_IPV6) {
      reason = BAD[3]!;
      return false;
    }
    at = localStop + 1;
    row.ipv6LocalPort = port(bytes, 4);
    if (row.ipv6LocalPort < 0) return false;
    row.ipv4Local = repeatedAddress(bytes, 5, ipv4Locals, previousPool4);
    if (row.ipv4Local < 0) return false;
    row.ipv4LocalPort = port(bytes, 6);
    if (row.ipv4LocalPort < 0) return false;
    row.ipv4Remote = address(bytes, 7, ipv4Remotes);
    if (row.ipv4Remote < 0) return false;
    row.ipv4RemotePort = port(bytes, 8);
    if (row.ipv4RemotePort < 0) return false;
    row.ipv6Local = ipv6Locals.internLocal(
      bytes,
      localStart,
      localStop,
      localSpelling,
      localWords,
      row.ipv4Remote,
      ipv4Remotes.address(row.ipv4Remote),
    );
    const expiryStart = at;
    const expiryStop = fieldEnd(bytes, expiryStart);
    if (hasState) {
      if (bytes[expiryStop] === NEWLINE) {
        reason = TOO_FEW[9]!;
        return false;
      }
      row.expiresMs = parseExpiryBytes(bytes, expiryStart, expiryStop);
      if (row.expiresMs < 0) {
        reason = BAD[9]!;
        return false;
      }
      const stateStart = expiryStop + 1;
      const stateStop = fieldEnd(bytes, stateStart);
      if (bytes[stateStop] === COMMA) {
        reason = TOO_MANY;
        return false;
      }
      row.state = stateCode(bytes, stateStart, withoutCr(bytes, stateStart, stateStop));
      if (row.state < 0) {
        reason = 'unknown TCP state';
        return false;
      }
      at = stateStop;
      return true;
    }
    let newline = expiryStop;
    if (bytes[expiryStop] === COMMA) {
      // Jool 3's docs end UDP and ICMP rows with an empty State field (`...,0:00:50.236,`): accept
      // that, and only an empty one.
      newline = bytes[expiryStop + 1] === CR ? expiryStop + 2 : expiryStop + 1;
      if (bytes[newline] !== NEWLINE) {
        reason = TOO_MANY;
        return false;
      }
    }
    row.expiresMs = parseExpiryBytes(bytes, expiryStart, newline === expiryStop ? withoutCr(bytes, expiryStart, expiryStop) : expiryStop);
    if (row.expiresMs < 0) {
      reason = BAD[9]!;
      return false;
    }
    row.state = NO_STATE;
    at = newline;
    return true;
  }

  function reject(bytes: Uint8Array, start: number, end: number, why: string): void {
    // Only the first row's bytes become a string (at most EXAMPLE_MAX of them, however long the line).
    noteRejected(rejected, why, () => {
      const shown = Math.min(end, start + EXAMPLE_MAX);
      return Buffer.from(bytes.buffer, bytes.byteOffset + start, shown - start).toString('latin1');
    });
  }

  /** Every line in bytes[start, end), where bytes[end - 1] is a newline. */
  function parseLines(bytes: Uint8Array, start: number, end: number): void {
    previousClient[0] = -1; // another buffer: the rows before are elsewhere
    previousPool4[0] = -1;
    while (start < end) {
      const first = bytes[start];
      let newline: number;
      if (first === NEWLINE || first === CR || first === 0x50 /* 'P' */) {
        newline = lineEnd(bytes, start);
        otherLine(bytes, start, newline);
      } else if (parseRow(bytes, start)) {
        newline = at; // a row's last field ends at its newline: no second scan of the line
        if (newline - start > maxLineBytes) reject(bytes, start, newline, `line longer than ${maxLineBytes} bytes`);
        else builder.append(row);
      } else {
        newline = lineEnd(bytes, start);
        if (newline - start > maxLineBytes) reject(bytes, start, newline, `line longer than ${maxLineBytes} bytes`);
        else reject(bytes, start, withoutCr(bytes, start, newline), reason);
      }
      start = newline + 1;
    }
  }

  /** An empty line, a header, or a line that starts with 'P' or CR (a rejected row, or one Jool never prints). */
  function otherLine(bytes: Uint8Array, start: number, newline: number): void {
    const end = withoutCr(bytes, start, newline);
    if (end === start) return;
    if (newline - start > maxLineBytes) reject(bytes, start, newline, `line longer than ${maxLineBytes} bytes`);
    else if (end - start >= HEADER_PREFIX.length && bytesEqual(bytes, start, start + HEADER_PREFIX.length, HEADER_PREFIX)) headers++;
    else if (parseRow(bytes, start)) builder.append(row);
    else reject(bytes, start, end, reason);
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
          const joined = Buffer.concat([partial!, chunk.subarray(0, newline + 1)]);
          partial = null;
          parseLines(joined, 0, joined.length);
        }
        start = newline + 1;
      }
      // One native search per chunk, for the last newline: everything before it is whole lines.
      const last = chunk.lastIndexOf(NEWLINE);
      if (last >= start) {
        parseLines(chunk, start, last + 1);
        start = last + 1;
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
      // The last line may lack its newline: give it one, so it takes the same path as every line.
      if (partial !== null) {
        const last = Buffer.concat([partial, NEWLINE_BYTES]);
        parseLines(last, 0, last.length);
      }
      partial = null;
      return { table: builder.finish(), rejected, headers };
    },
  };
}

/** Index of the newline ending the line that starts at `start` (the range is known to hold one). */
function lineEnd(bytes: Uint8Array, start: number): number {
  let i = start;
  while (bytes[i] !== NEWLINE) i++;
  return i;
}

/** Index of the comma or newline that ends the field starting at `start`. */
function fieldEnd(bytes: Uint8Array, start: number): number {
  let i = start;
  while (bytes[i] !== COMMA && bytes[i] !== NEWLINE) i++;
  return i;
}

/** `end`, or one less when a field that ends the line ends with the line's CR. */
function withoutCr(bytes: Uint8Array, start: number, end: number): number {
  return end > start && bytes[end - 1] === CR ? end - 1 : end;
}

/** Index in TCP_STATES of bytes[start, end), or -1. */
function stateCode(bytes: Uint8Array, start: number, end: number): number {
  for (let s = 0; s < STATE_BYTES.length; s++) if (bytesEqual(bytes, start, end, STATE_BYTES[s]!)) return s;
  return -1;
}

/** Parses a whole output at once (tests, fixtures, small tables). */
export function parseSessionCsv(protocol: Protocol, text: Uint8Array | string, options?: ParserOptions): ParseResult {
  const parser = createSessionCsvParser(protocol, options);
  parser.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  return parser.finish();
}
