/**
 * A finished session table as plain typed arrays, and back: how a table parsed on the worker
 * thread (poll/table-worker.ts) reaches the main thread. Every array has an ArrayBuffer of
 * its own, so postMessage moves them (a transfer list) instead of copying a hundred megabytes; the
 * sender's table is unusable afterwards.
 */
import { PROTOCOLS, type Protocol } from '../model.js';
import type { InternerParts } from './interner.js';
import { restoreIPv4Interner } from './ipv4-interner.js';
import { restoreIPv6Interner } from './ipv6-interner.js';
import { COLUMNS, type Column, type SessionTable } from './session-table.js';

export type TableParts = Pick<SessionTable, 'protocol' | 'length' | 'ipv6LocalOfRemote' | Column> & {
  readonly ipv6Remotes: InternerParts;
  readonly ipv6Locals: InternerParts;
  readonly ipv4Locals: InternerParts;
  readonly ipv4Remotes: InternerParts;
};

/** The ten columns of a table or of its parts (the same arrays). */
function columnsOf(from: Pick<SessionTable, Column>): Pick<SessionTable, Column> {
  return Object.fromEntries(COLUMNS.map((column) => [column, from[column]])) as unknown as Pick<SessionTable, Column>;
}

/** `table`'s parts, and the buffers to list for postMessage to move them. */
export function tableParts(table: SessionTable): { parts: TableParts; transfer: ArrayBuffer[] } {
  const parts: TableParts = {
    protocol: table.protocol,
    length: table.length,
    ...columnsOf(table),
    ipv6LocalOfRemote: table.ipv6LocalOfRemote,
    ipv6Remotes: table.ipv6Remotes.parts(),
    ipv6Locals: table.ipv6Locals.parts(),
    ipv4Locals: table.ipv4Locals.parts(),
    ipv4Remotes: table.ipv4Remotes.parts(),
  };
  // A column that is not stored is null, or the same array as another (table/session-table.ts).
  const arrays = [...COLUMNS.map((column) => parts[column]), parts.ipv6LocalOfRemote].filter((array) => array !== null);
  for (const interner of [parts.ipv6Remotes, parts.ipv6Locals, parts.ipv4Locals, parts.ipv4Remotes]) {
    arrays.push(interner.bytes, interner.offsets, interner.bits);
  }
  // Each buffer listed once (postMessage rejects a duplicate); views that share one arrive sharing it.
  return { parts, transfer: [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))] };
}

/** The table whose parts these are (as posted by tableParts), on this thread. */
export function tableFromParts(parts: TableParts): SessionTable {
  if (!PROTOCOLS.includes(parts.protocol as Protocol)) throw new Error(`not a table's parts: protocol ${String(parts.protocol)}`);
  return {
    protocol: parts.protocol,
    length: parts.length,
    ...columnsOf(parts),
    ipv6LocalOfRemote: parts.ipv6LocalOfRemote,
    ipv6Remotes: restoreIPv6Interner(parts.ipv6Remotes),
    ipv6Locals: restoreIPv6Interner(parts.ipv6Locals),
    ipv4Locals: restoreIPv4Interner(parts.ipv4Locals),
    ipv4Remotes: restoreIPv4Interner(parts.ipv4Remotes),
  };
}
