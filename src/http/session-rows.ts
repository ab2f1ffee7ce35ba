/**
 * The rows of /sessions.csv: the tables of the last poll, filtered, written
 * back in Jool's own CSV format (same header, same columns, Jool 4's expiry
 * format) so that scripts written for `jool session display --csv` read it.
 * Produced as a generator of ~64 KiB chunks, so the HTTP layer can stream a
 * million rows with back-pressure and without building one huge string.
 */

import { formatExpiry } from '../format/expiry.js';
import { PROTOCOL_CSV_NAME, SESSION_CSV_HEADER, TCP_STATES } from '../model.js';
import type { InstanceStatus } from '../status/model.js';
import { parseAddress } from '../table/address.js';
import type { Interner } from '../table/interner.js';
import type { SessionTable } from '../table/session-table.js';
import type { Cidr, SessionQuery } from './session-query.js';

const CHUNK_CHARS = 64 * 1024;

/** Per-table memo of "does address id N match": each distinct address is parsed once per request. */
function addressMatcher(interner: Interner, cidrs: readonly Cidr[] | null): ((id: number) => boolean) | null {
  if (cidrs === null) return null;
  const memo = new Int8Array(interner.size); // 0 unknown, 1 match, -1 no match
  return (id) => {
    if (memo[id] === 0) {
      const address = parseAddress(interner.values[id]!);
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

function* tableRows(table: SessionTable, query: SessionQuery, budget: { left: number }): Generator<string> {
  const matches = rowFilter(table, query);
  const name = PROTOCOL_CSV_NAME[table.protocol];
  const v6r = table.ipv6Remotes.values;
  const v6l = table.ipv6Locals.values;
  const v4l = table.ipv4Locals.values;
  const v4r = table.ipv4Remotes.values;
  let chunk = '';
  for (let i = 0; i < table.length && budget.left > 0; i++) {
    if (!matches(i)) continue;
    const state = table.state[i]!;
    chunk +=
      `${name},${v6r[table.ipv6Remote[i]!]},${table.ipv6RemotePort[i]},${v6l[table.ipv6Local[i]!]},${table.ipv6LocalPort[i]},` +
      `${v4l[table.ipv4Local[i]!]},${table.ipv4LocalPort[i]},${v4r[table.ipv4Remote[i]!]},${table.ipv4RemotePort[i]},` +
      `${formatExpiry(table.expiresMs[i]!)}${state < TCP_STATES.length ? `,${TCP_STATES[state]}` : ''}\n`;
    budget.left--;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** The CSV text, header first, for the given instances (in order) and query. */
export function* sessionCsvChunks(instances: readonly InstanceStatus[], query: SessionQuery): Generator<string> {
  yield `${SESSION_CSV_HEADER}\n`;
  const budget = { left: query.limit ?? Infinity };
  for (const instance of instances) {
    if (instance.tables === undefined) continue;
    for (const protocol of query.protocols) {
      if (budget.left <= 0) return;
      yield* tableRows(instance.tables[protocol].table, query, budget);
    }
  }
}
