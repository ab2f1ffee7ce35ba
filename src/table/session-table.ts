/**
 * One session table (one protocol of one Jool instance, as of one poll), stored
 * column by column in typed arrays: about 33 bytes a row plus one string per
 * distinct address, instead of the ~100 bytes a row of Jool's CSV takes. This
 * is what keeps a million-session table well below the size of its CSV.
 */
import type { Protocol } from '../model.js';
import { createIPv4Interner, createIPv6Interner, type IPv4Interner, type IPv6Interner } from './interner.js';

export interface SessionTable {
  readonly protocol: Protocol;
  readonly length: number;
  /** Ids into `ipv6Remotes` (the clients). */
  readonly ipv6Remote: Uint32Array;
  readonly ipv6RemotePort: Uint16Array;
  /** Ids into `ipv6Locals` (pool6 + embedded IPv4 destination). */
  readonly ipv6Local: Uint32Array;
  readonly ipv6LocalPort: Uint16Array;
  /** Ids into `ipv4Locals` (pool4 addresses: with the port, the BIB entry). */
  readonly ipv4Local: Uint32Array;
  readonly ipv4LocalPort: Uint16Array;
  /** Ids into `ipv4Remotes` (the IPv4 servers). */
  readonly ipv4Remote: Uint32Array;
  readonly ipv4RemotePort: Uint16Array;
  /** Milliseconds until the session expires, as of the poll. */
  readonly expiresMs: Float64Array;
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

const INITIAL_CAPACITY = 1024;

export function createSessionTableBuilder(protocol: Protocol): SessionTableBuilder {
  const ipv6Remotes = createIPv6Interner();
  const ipv6Locals = createIPv6Interner();
  const ipv4Locals = createIPv4Interner();
  const ipv4Remotes = createIPv4Interner();
  let capacity = INITIAL_CAPACITY;
  let length = 0;
  let ipv6Remote = new Uint32Array(capacity);
  let ipv6RemotePort = new Uint16Array(capacity);
  let ipv6Local = new Uint32Array(capacity);
  let ipv6LocalPort = new Uint16Array(capacity);
  let ipv4Local = new Uint32Array(capacity);
  let ipv4LocalPort = new Uint16Array(capacity);
  let ipv4Remote = new Uint32Array(capacity);
  let ipv4RemotePort = new Uint16Array(capacity);
  let expiresMs = new Float64Array(capacity);
  let state = new Uint8Array(capacity);

  function grown<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(column: T, size: number): T {
    const next = new (column.constructor as new (n: number) => T)(size);
    next.set(column);
    return next;
  }

  function grow(): void {
    // Growing by half (not doubling) keeps the peak, old + new columns, near 2.5x the rows.
    capacity = Math.ceil(capacity * 1.5);
    ipv6Remote = grown(ipv6Remote, capacity);
    ipv6RemotePort = grown(ipv6RemotePort, capacity);
    ipv6Local = grown(ipv6Local, capacity);
    ipv6LocalPort = grown(ipv6LocalPort, capacity);
    ipv4Local = grown(ipv4Local, capacity);
    ipv4LocalPort = grown(ipv4LocalPort, capacity);
    ipv4Remote = grown(ipv4Remote, capacity);
    ipv4RemotePort = grown(ipv4RemotePort, capacity);
    expiresMs = grown(expiresMs, capacity);
    state = grown(state, capacity);
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
      if (length === capacity) grow();
      const i = length++;
      ipv6Remote[i] = row.ipv6Remote;
      ipv6RemotePort[i] = row.ipv6RemotePort;
      ipv6Local[i] = row.ipv6Local;
      ipv6LocalPort[i] = row.ipv6LocalPort;
      ipv4Local[i] = row.ipv4Local;
      ipv4LocalPort[i] = row.ipv4LocalPort;
      ipv4Remote[i] = row.ipv4Remote;
      ipv4RemotePort[i] = row.ipv4RemotePort;
      expiresMs[i] = row.expiresMs;
      state[i] = row.state;
    },
    finish(): SessionTable {
      // subarray views share memory: no copy; the unused tail (< 1/3) is the price of not copying.
      return {
        protocol,
        length,
        ipv6Remote: ipv6Remote.subarray(0, length),
        ipv6RemotePort: ipv6RemotePort.subarray(0, length),
        ipv6Local: ipv6Local.subarray(0, length),
        ipv6LocalPort: ipv6LocalPort.subarray(0, length),
        ipv4Local: ipv4Local.subarray(0, length),
        ipv4LocalPort: ipv4LocalPort.subarray(0, length),
        ipv4Remote: ipv4Remote.subarray(0, length),
        ipv4RemotePort: ipv4RemotePort.subarray(0, length),
        expiresMs: expiresMs.subarray(0, length),
        state: state.subarray(0, length),
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

