/**
 * The rows of /sessions.csv: the tables of the last poll, filtered, written
 * back in Jool's own CSV format (same header, same columns, Jool 4's expiry
 * format) so that scripts written for `jool session display --csv` read it.
 * Produced as a generator of ~64 KiB chunks, so the HTTP layer can stream a
 * million rows with back-pressure and without building one huge string.
 */

import { putBytes, putExpires, putUint } from '../format/bytes.js';
import { PROTOCOL_CSV_NAME, SESSION_CSV_HEADER, TCP_STATES } from '../model.js';
import type { InstanceStatus } from '../status/model.js';
import { parseAddress } from '../table/address.js';
import type { Interner } from '../table/interner.js';
import { ipv6LocalAt, type SessionTable } from '../table/session-table.js';
import type { Cidr, SessionQuery } from './session-query.js';

const CHUNK_BYTES = 64 * 1024;

/** Where the buffers for the chunks come from. */
export interface ChunkBuffers {
  /** A buffer of at least `size` bytes, whose content the caller may overwrite. */
  take(size: number): Buffer;
}

/** A fresh buffer for every chunk: every chunk yielded stays valid (tests collect them all). */
const FRESH: ChunkBuffers = { take: (size) => Buffer.allocUnsafe(size) };

/**
 * Chunk buffers lent and given back: once the socket has written a chunk out (res.write's
 * callback), its buffer is filled again with the next rows. A full download then allocates a
 * handful of buffers instead of one per 64 KiB; with one per chunk, the 1,800 of a million-row
 * download left glibc's heap fragmented (about 30 MB that RSS kept after the download, freed but
 * not given back to the system: docs/performance.md).
 */
export function createChunkPool(): ChunkBuffers & { giveBack(chunk: Uint8Array): void } {
  const free: Buffer[] = [];
  const lent = new Map<ArrayBufferLike, Buffer>();
  return {
    take(size) {
      const at = free.findIndex((buffer) => buffer.length >= size);
      const buffer = at < 0 ? Buffer.allocUnsafeSlow(size) : free.splice(at, 1)[0]!;
      lent.set(buffer.buffer, buffer);
      return buffer;
    },
    /** `chunk` (or any part of a lent buffer) is written out: its buffer can be taken again. Others are ignored. */
    giveBack(chunk) {
      const buffer = lent.get(chunk.buffer);
      if (buffer === undefined) return;
      lent.delete(chunk.buffer);
      free.push(buffer);
    },
  };
}

/** Per-table memo of "does address id N match": each distinct address is parsed once per request. */
function addressMatcher(interner: Interner, cidrs: readonly Cidr[] | null): ((id: number) => boolean) | null {
  if (cidrs === null) return null;
  const memo = new Int8Array(interner.size); // 0 unknown, 1 match, -1 no match
  return (id) => {
    if (memo[id] === 0) {
      const address = parseAddress(interner.text(id));
      const hit = cidrs.some(({ range }) => address.kind() === range[0].kind() && address.match(range));
      memo[id] = hit ? 1 : -1;
    }
    return memo[id] === 1;
  };
}

/**
 * Whether row i of the table passes the query's filters (all but the limit): the one row
 * selection behind /sessions.csv and the session browser, so both always show the same rows.
 */
export function rowFilter(table: SessionTable, query: SessionQuery): (i: number) => boolean {
  const client = addressMatcher(table.ipv6Remotes, query.client);
  const pool4 = addressMatcher(table.ipv4Locals, query.pool4);
  const remote = addressMatcher(table.ipv4Remotes, query.remote);
  return (i) => {
    if (query.states !== null && !query.states.has(table.state[i]!)) return false;
    if (query.expiresWithinMs !== null && table.expiresMs[i]! > query.expiresWithinMs) return false;
    if (client !== null && !client(table.ipv6Remote[i]!)) return false;
    if (pool4 !== null && !pool4(table.ipv4Local[i]!)) return false;
    if (remote !== null && !remote(table.ipv4Remote[i]!)) return false;
    return true;
  };
}

/** The texts of an interner's ids as one latin1 byte string: id's text is bytes[offsets[id], offsets[id + 1]). */
interface Texts {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
  /** Length of the longest text. */
  readonly longest: number;
}

function textsOf(interner: Interner): Texts {
  const { bytes, offsets } = interner.texts();
  let longest = 0;
  for (let id = 0; id + 1 < offsets.length; id++) longest = Math.max(longest, offsets[id + 1]! - offsets[id]!);
  return { bytes, offsets, longest };
}

function putText(buf: Uint8Array, pos: number, texts: Texts, id: number): number {
  const { bytes, offsets } = texts;
  for (let j = offsets[id]!, end = offsets[id + 1]!; j < end; j++) buf[pos++] = bytes[j]!;
  return pos;
}

const COMMA = 44;
const NEWLINE = 10;
const latin1 = (text: string) => Buffer.from(text, 'latin1');
/** ",ESTABLISHED" etc. by state index; none for UDP and ICMP (NO_STATE). */
const STATE_BYTES = TCP_STATES.map((state) => latin1(`,${state}`));
/** Bytes of a row beside its four addresses: protocol, four ports, the expiry, the state, separators. */
const ROW_BYTES_BESIDE_ADDRESSES = 4 + 4 * 5 + 24 + 1 + Math.max(...STATE_BYTES.map((b) => b.length)) + 9;

/**
 * The rows of one table, written as bytes into chunks of CHUNK_BYTES: no string per row or field
 * (building and then encoding a million rows as strings took most of a full download). Each chunk
 * is a buffer taken from `buffers`, never the one just yielded: the socket may still hold it when
 * the next is filled (a write that returns true is not always on the wire yet).
 */
function* tableRows(table: SessionTable, query: SessionQuery, budget: { left: number }, buffers: ChunkBuffers): Generator<Uint8Array> {
  const matches = rowFilter(table, query);
  const name = latin1(PROTOCOL_CSV_NAME[table.protocol]);
  const v6r = textsOf(table.ipv6Remotes);
  const v6l = textsOf(table.ipv6Locals);
  const v4l = textsOf(table.ipv4Locals);
  const v4r = textsOf(table.ipv4Remotes);
  // A chunk is passed on when it has no room for the longest row this table can have.
  const longestRow = ROW_BYTES_BESIDE_ADDRESSES + v6r.longest + v6l.longest + v4l.longest + v4r.longest;
  const size = Math.max(CHUNK_BYTES, 2 * longestRow);
  const { ipv6Remote, ipv6RemotePort, ipv6LocalPort, ipv4Local, ipv4LocalPort, ipv4Remote, ipv4RemotePort } = table;
  const { expiresMs, state } = table;
  let buf = buffers.take(size);
  let pos = 0;
  for (let i = 0; i < table.length && budget.left > 0; i++) {
    if (!matches(i)) continue;
    pos = putBytes(buf, pos, name);
    buf[pos++] = COMMA;
    pos = putText(buf, pos, v6r, ipv6Remote[i]!);
    buf[pos++] = COMMA;
    pos = putUint(buf, pos, ipv6RemotePort[i]!);
    buf[pos++] = COMMA;
    // The IPv6 local is usually not stored: it follows from the IPv4 remote (table/session-table.ts).
    pos = putText(buf, pos, v6l, ipv6LocalAt(table, i));
    buf[pos++] = COMMA;
    pos = putUint(buf, pos, ipv6LocalPort[i]!);
    buf[pos++] = COMMA;
    pos = putText(buf, pos, v4l, ipv4Local[i]!);
    buf[pos++] = COMMA;
    pos = putUint(buf, pos, ipv4LocalPort[i]!);
    buf[pos++] = COMMA;
    pos = putText(buf, pos, v4r, ipv4Remote[i]!);
    buf[pos++] = COMMA;
    pos = putUint(buf, pos, ipv4RemotePort[i]!);
    buf[pos++] = COMMA;
    // Whole milliseconds from 0 to 2^32 - 1: the column is a Uint32Array, as the byte writer wants.
    pos = putExpires(buf, pos, expiresMs[i]!);
    const stateBytes = STATE_BYTES[state[i]!];
    if (stateBytes !== undefined) pos = putBytes(buf, pos, stateBytes);
    buf[pos++] = NEWLINE;
    budget.left--;
    if (pos + longestRow > size) {
      yield buf.subarray(0, pos);
      buf = buffers.take(size);
      pos = 0;
    }
  }
  if (pos > 0) yield buf.subarray(0, pos);
}

/** The CSV text, header first, for the given instances (in order) and query; each chunk in a buffer from `buffers`. */
export function* sessionCsvChunks(
  instances: readonly InstanceStatus[],
  query: SessionQuery,
  buffers: ChunkBuffers = FRESH,
): Generator<Uint8Array> {
  yield latin1(`${SESSION_CSV_HEADER}\n`);
  const budget = { left: query.limit ?? Infinity };
  for (const instance of instances) {
    if (instance.tables === undefined) continue;
    for (const protocol of query.protocols) {
      if (budget.left <= 0) return;
      yield* tableRows(instance.tables[protocol].table, query, budget, buffers);
    }
  }
}
