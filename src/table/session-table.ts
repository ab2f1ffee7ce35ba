/**
 * One session table (one protocol of one Jool instance, as of one poll), stored
 * column by column in typed arrays: 23 bytes a row plus one string per
 * distinct address, instead of the ~100 bytes a row of Jool's CSV takes. This
 * is what keeps a million-session table well below the size of its CSV.
 *
 * Two columns are usually not stored, because NAT64 makes them copies of others (RFC 6146,
 * RFC 6052), as in every table Jool prints with one pool6 prefix (see docs/performance.md):
 * - the IPv6 local address is the IPv4 remote embedded in pool6: `ipv6Local` is then null, and
 *   `ipv6LocalOfRemote` maps each IPv4 remote's id to that address's id (ipv6LocalAt());
 * - the IPv6 local L4-ID is the IPv4 remote port (TCP, UDP: the destination port is not
 *   translated) or the IPv6 remote's (ICMP: both IPv6 L4-IDs are the ICMPv6 identifier):
 *   `ipv6LocalPort` is then that very array.
 * One row that breaks the rule and the builder stores the column after all, for every row.
 */
import type { Protocol } from '../model.js';
import type { IPv4Interner, IPv6Interner } from './interner.js';
import { createIPv4Interner } from './ipv4-interner.js';
import { createIPv6Interner } from './ipv6-interner.js';

export interface SessionTable {
  readonly protocol: Protocol;
  readonly length: number;
  /** Ids into `ipv6Remotes` (the clients). */
  readonly ipv6Remote: Uint32Array;
  readonly ipv6RemotePort: Uint16Array;
  /**
   * Ids into `ipv6Locals` (pool6 + embedded IPv4 destination); null when every row's is its IPv4
   * remote embedded in pool6, found through `ipv6LocalOfRemote`. Read it with ipv6LocalAt().
   */
  readonly ipv6Local: Uint32Array | null;
  /** When `ipv6Local` is null: by IPv4 remote id, the id in `ipv6Locals` of that address embedded in pool6. */
  readonly ipv6LocalOfRemote: Int32Array | null;
  /** Its own column, or (the usual case) the same array as `ipv4RemotePort` (TCP, UDP) or `ipv6RemotePort` (ICMP). */
  readonly ipv6LocalPort: Uint16Array;
  /** Ids into `ipv4Locals` (pool4 addresses: with the port, the BIB entry). */
  readonly ipv4Local: Uint32Array;
  readonly ipv4LocalPort: Uint16Array;
  /** Ids into `ipv4Remotes` (the IPv4 servers). */
  readonly ipv4Remote: Uint32Array;
  readonly ipv4RemotePort: Uint16Array;
  /** Milliseconds until the session expires, as of the poll: at most 2^32 - 1, as Jool prints them (parse/expiry.ts). */
  readonly expiresMs: Uint32Array;
  /** Index into TCP_STATES, or NO_STATE for UDP and ICMP. */
  readonly state: Uint8Array;
  readonly ipv6Remotes: IPv6Interner;
  readonly ipv6Locals: IPv6Interner;
  readonly ipv4Locals: IPv4Interner;
  readonly ipv4Remotes: IPv4Interner;
}

/** A row being appended: address ids from the table's interners, everything else as numbers. */
export interface RowValues {
  ipv6Remote: number;
  ipv6RemotePort: number;
  ipv6Local: number;
  ipv6LocalPort: number;
  ipv4Local: number;
  ipv4LocalPort: number;
  ipv4Remote: number;
  ipv4RemotePort: number;
  expiresMs: number;
  state: number;
}

export interface SessionTableBuilder {
  readonly protocol: Protocol;
  readonly length: number;
  readonly ipv6Remotes: IPv6Interner;
  readonly ipv6Locals: IPv6Interner;
  readonly ipv4Locals: IPv4Interner;
  readonly ipv4Remotes: IPv4Interner;
  append(row: RowValues): void;
  /** Freezes the table; the builder must not be used afterwards. */
  finish(): SessionTable;
}

/**
 * Rows are appended into blocks of BLOCK_ROWS rows, each column a typed array
 * of its own; finish() copies the blocks once into exact-size columns. Nothing
 * is copied while the table grows (growing arrays cost a tenth of a 1M-row poll
 * in a profile: every step allocates, zero-fills and copies all columns), and
 * the finished table holds no unused tail. A small table lives in one block
 * sized to it, which finish() hands over without a copy.
 *
 * With `expectedRows` (the same table's size in the previous poll) the first
 * block is that size plus HEADROOM, so the usual poll writes straight into its
 * final columns: finish() copies nothing, and the poll never holds the blocks
 * and their joined copy at once (beside the previous table, which still serves
 * scrapes: three 1M-row tables at the peak, instead of two). A table that
 * outgrew the headroom spills into more blocks and is joined as without a hint;
 * one far smaller than the hint is copied to exact size, so an unused tail is
 * never more than MAX_SLACK of the table.
 */
const BLOCK_ROWS = 65536;
const FIRST_BLOCK_ROWS = 1024;
/** Extra rows beyond `expectedRows`: tables change a few percent from one poll to the next. */
const HEADROOM = 1 / 8;
/** The largest unused tail (a fraction of the rows) that finish() hands over rather than copying the table. */
const MAX_SLACK = 1 / 4;

interface Block {
  readonly rows: number;
  readonly ipv6Remote: Uint32Array;
  readonly ipv6RemotePort: Uint16Array;
  /** null while no row needed it stored (see the top of this file): the same in every block. */
  ipv6Local: Uint32Array | null;
  ipv6LocalPort: Uint16Array | null;
  readonly ipv4Local: Uint32Array;
  readonly ipv4LocalPort: Uint16Array;
  readonly ipv4Remote: Uint32Array;
  readonly ipv4RemotePort: Uint16Array;
  readonly expiresMs: Uint32Array;
  readonly state: Uint8Array;
}

/** A table's columns: the typed arrays, one per CSV field. */
export type Column = Exclude<keyof Block, 'rows'>;
export const COLUMNS: readonly Column[] = [
  'ipv6Remote',
  'ipv6RemotePort',
  'ipv6Local',
  'ipv6LocalPort',
  'ipv4Local',
  'ipv4LocalPort',
  'ipv4Remote',
  'ipv4RemotePort',
  'expiresMs',
  'state',
];

/** The row's IPv6 local address id, from the column or from its IPv4 remote. */
export function ipv6LocalAt(table: Pick<SessionTable, 'ipv6Local' | 'ipv6LocalOfRemote' | 'ipv4Remote'>, i: number): number {
  return table.ipv6Local !== null ? table.ipv6Local[i]! : table.ipv6LocalOfRemote![table.ipv4Remote[i]!]!;
}

/** The column the IPv6 local L4-ID equals in every row NAT64 makes (see the top of this file). */
function keptPortColumn(protocol: Protocol): 'ipv6RemotePort' | 'ipv4RemotePort' {
  return protocol === 'icmp' ? 'ipv6RemotePort' : 'ipv4RemotePort';
}

function newBlock(rows: number, stored: { ipv6Local: boolean; ipv6LocalPort: boolean }): Block {
  return {
    rows,
    ipv6Remote: new Uint32Array(rows),
    ipv6RemotePort: new Uint16Array(rows),
    ipv6Local: stored.ipv6Local ? new Uint32Array(rows) : null,
    ipv6LocalPort: stored.ipv6LocalPort ? new Uint16Array(rows) : null,
    ipv4Local: new Uint32Array(rows),
    ipv4LocalPort: new Uint16Array(rows),
    ipv4Remote: new Uint32Array(rows),
    ipv4RemotePort: new Uint16Array(rows),
    expiresMs: new Uint32Array(rows),
    state: new Uint8Array(rows),
  };
}

/** The first `length` rows of `block`, as columns (no copy). */
function firstRows(block: Block, length: number): Block {
  const out = { rows: length } as Record<string, unknown>;
  for (const column of COLUMNS) out[column] = block[column]?.subarray(0, length) ?? null;
  return out as unknown as Block;
}

/**
 * The first `length` rows of the blocks as columns: the one block itself when its unused tail is
 * small (or the block is small anyway), else a copy of exact size.
 */
function joinBlocks(blocks: readonly Block[], length: number): Block {
  const only = blocks.length === 1 ? blocks[0]! : undefined;
  if (only !== undefined && (only.rows <= BLOCK_ROWS || only.rows - length <= length * MAX_SLACK)) return firstRows(only, length);
  const first = blocks[0]!;
  const joined = newBlock(length, { ipv6Local: first.ipv6Local !== null, ipv6LocalPort: first.ipv6LocalPort !== null });
  for (const column of COLUMNS) {
    const target = joined[column];
    if (target === null) continue;
    let at = 0;
    for (const block of blocks) {
      if (at === length) break;
      const rows = Math.min(block.rows, length - at);
      target.set(block[column]!.subarray(0, rows) as never, at);
      at += rows;
    }
  }
  return joined;
}

/** Rows of the first block: `expectedRows` plus headroom, or a small block that grows. */
export function firstBlockRows(expectedRows: number): number {
  if (!(expectedRows > FIRST_BLOCK_ROWS)) return FIRST_BLOCK_ROWS;
  return Math.ceil(expectedRows * (1 + HEADROOM));
}

/** What a table held: its rows and each column's distinct addresses. The next poll's size hint. */
export interface TableSize {
  readonly rows: number;
  readonly ipv6Remotes: number;
  readonly ipv6Locals: number;
  readonly ipv4Locals: number;
  readonly ipv4Remotes: number;
}

export function tableSize(table: SessionTable): TableSize {
  return {
    rows: table.length,
    ipv6Remotes: table.ipv6Remotes.size,
    ipv6Locals: table.ipv6Locals.size,
    ipv4Locals: table.ipv4Locals.size,
    ipv4Remotes: table.ipv4Remotes.size,
  };
}

/**
 * `expected`: how big the table will probably be (the previous poll's size, or just its row
 * count), or 0 when unknown. Only a hint: any number of rows can be appended, and the table is the
 * same either way.
 */
export function createSessionTableBuilder(protocol: Protocol, expected: TableSize | number = 0): SessionTableBuilder {
  const size = typeof expected === 'number' ? undefined : expected;
  const expectedRows = typeof expected === 'number' ? expected : expected.rows;
  const ipv6Remotes = createIPv6Interner(size?.ipv6Remotes);
  // Nothing reads the IPv6 locals' bits (only their text): not kept.
  const ipv6Locals = createIPv6Interner(size?.ipv6Locals, false);
  const ipv4Locals = createIPv4Interner(size?.ipv4Locals);
  const ipv4Remotes = createIPv4Interner(size?.ipv4Remotes);
  // Which of the two columns NAT64 makes copies of are stored (see the top of this file): none
  // until a row is not such a copy.
  const stored = { ipv6Local: false, ipv6LocalPort: false };
  const keptPort = keptPortColumn(protocol);
  const blocks: Block[] = [];
  let block = newBlock(firstBlockRows(expectedRows), stored);
  blocks.push(block);
  let length = 0;
  let at = 0; // next row in `block`

  function nextBlock(): void {
    if (blocks.length === 1 && block.rows < BLOCK_ROWS) {
      // Still small: one bigger first block (copying at most BLOCK_ROWS / 2 rows, once).
      const bigger = newBlock(Math.min(BLOCK_ROWS, block.rows * 4), stored);
      for (const column of COLUMNS) bigger[column]?.set(block[column] as never);
      blocks[0] = block = bigger;
      return;
    }
    block = newBlock(BLOCK_ROWS, stored);
    blocks.push(block);
    at = 0;
  }

  /** From now on the IPv6 local is stored: every block gets the column, the rows so far their value. */
  function storeIPv6Local(): void {
    stored.ipv6Local = true;
    for (const b of blocks) {
      const column = new Uint32Array(b.rows);
      const rows = b === block ? at : b.rows;
      for (let i = 0; i < rows; i++) column[i] = ipv6Locals.embeddedId(b.ipv4Remote[i]!);
      b.ipv6Local = column;
    }
  }

  /** From now on the IPv6 local L4-ID is stored, as storeIPv6Local(). */
  function storeIPv6LocalPort(): void {
    stored.ipv6LocalPort = true;
    for (const b of blocks) b.ipv6LocalPort = b[keptPort].slice();
  }

  return {
    protocol,
    get length() {
      return length;
    },
    ipv6Remotes,
    ipv6Locals,
    ipv4Locals,
    ipv4Remotes,
    append(row: RowValues): void {
      if (at === block.rows) nextBlock();
      // Stored only once a row is not what NAT64 makes of the others (see the top of this file).
      if (!stored.ipv6Local && ipv6Locals.embeddedId(row.ipv4Remote) !== row.ipv6Local) storeIPv6Local();
      if (!stored.ipv6LocalPort && row.ipv6LocalPort !== row[keptPort]) storeIPv6LocalPort();
      const i = at++;
      length++;
      block.ipv6Remote[i] = row.ipv6Remote;
      block.ipv6RemotePort[i] = row.ipv6RemotePort;
      if (block.ipv6Local !== null) block.ipv6Local[i] = row.ipv6Local;
      if (block.ipv6LocalPort !== null) block.ipv6LocalPort[i] = row.ipv6LocalPort;
      block.ipv4Local[i] = row.ipv4Local;
      block.ipv4LocalPort[i] = row.ipv4LocalPort;
      block.ipv4Remote[i] = row.ipv4Remote;
      block.ipv4RemotePort[i] = row.ipv4RemotePort;
      block.expiresMs[i] = row.expiresMs;
      block.state[i] = row.state;
    },
    finish(): SessionTable {
      const columns = joinBlocks(blocks, length);
      blocks.length = 0;
      const ipv6LocalOfRemote = columns.ipv6Local === null ? ipv6Locals.embeddedIds(ipv4Remotes.size) : null;
      for (const interner of [ipv6Remotes, ipv6Locals, ipv4Locals, ipv4Remotes]) interner.seal();
      return {
        protocol,
        length,
        ipv6Remote: columns.ipv6Remote,
        ipv6RemotePort: columns.ipv6RemotePort,
        ipv6Local: columns.ipv6Local,
        ipv6LocalOfRemote,
        ipv6LocalPort: columns.ipv6LocalPort ?? columns[keptPort],
        ipv4Local: columns.ipv4Local,
        ipv4LocalPort: columns.ipv4LocalPort,
        ipv4Remote: columns.ipv4Remote,
        ipv4RemotePort: columns.ipv4RemotePort,
        expiresMs: columns.expiresMs,
        state: columns.state,
        ipv6Remotes,
        ipv6Locals,
        ipv4Locals,
        ipv4Remotes,
      };
    },
  };
}

export function emptySessionTable(protocol: Protocol): SessionTable {
  return createSessionTableBuilder(protocol).finish();
}
