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
import type { SessionTable } from '../table/session-table.js';
import type { Cidr, SessionQuery } from './session-query.js';

const CHUNK_BYTES = 64 * 1024;

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
 * is a fresh buffer, not one reused: the socket may still hold the previous one when the next is
 * filled (a write that returns true is not always on the wire yet).
 */
function* tableRows(table: SessionTable, query: SessionQuery, budget: { left: number }): Generator<Uint8Array> {
  const matches = rowFilter(table, query);
  const name = latin1(PROTOCOL_CSV_NAME[table.protocol]);
  const v6r = textsOf(table.ipv6Remotes);
  const v6l = textsOf(table.ipv6Locals);
  const v4l = textsOf(table.ipv4Locals);
  const v4r = textsOf(table.ipv4Remotes);
  // A chunk is passed on when it has no room for the longest row this table can have.
  const longestRow = ROW_BYTES_BESIDE_ADDRESSES + v6r.longest + v6l.longest + v4l.longest + v4r.longest;
  const size = Math.max(CHUNK_BYTES, 2 * longestRow);
  const { ipv6Remote, ipv6RemotePort, ipv6Local, ipv6LocalPort, ipv4Local, ipv4LocalPort, ipv4Remote, ipv4RemotePort } = table;
  const { expiresMs, state } = table;
  let buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < table.length && budget.left > 0; i++) {
    if (!matches(i)) continue;
    pos = putBytes(buf, pos, name);
    buf[pos++] = COMMA;
    pos = putText(buf, pos, v6r, ipv6Remote[i]!);
    buf[pos++] = COMMA;
    pos = putUint(buf, pos, ipv6RemotePort[i]!);
    buf[pos++] = COMMA;
    pos = putText(buf, pos, v6l, ipv6Local[i]!);
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
    // formatExpiry's rounding and floor at zero, for the byte writer that wants whole milliseconds.
    pos = putExpires(buf, pos, Math.max(0, Math.round(expiresMs[i]!)));
    const stateBytes = STATE_BYTES[state[i]!];
    if (stateBytes !== undefined) pos = putBytes(buf, pos, stateBytes);
    buf[pos++] = NEWLINE;
    budget.left--;
    if (pos + longestRow > size) {
      yield buf.subarray(0, pos);
      buf = Buffer.allocUnsafe(size);
      pos = 0;
    }
  }
  if (pos > 0) yield buf.subarray(0, pos);
}

/** The CSV text, header first, for the given instances (in order) and query. */
export function* sessionCsvChunks(instances: readonly InstanceStatus[], query: SessionQuery): Generator<Uint8Array> {
  yield latin1(`${SESSION_CSV_HEADER}\n`);
  const budget = { left: query.limit ?? Infinity };
  for (const instance of instances) {
    if (instance.tables === undefined) continue;
    for (const protocol of query.protocols) {
      if (budget.left <= 0) return;
      yield* tableRows(instance.tables[protocol].table, query, budget);
    }
  }
}
