/**
 * One protocol's pool4, BIB and session table, in index-linked typed arrays
 * (a million sessions take ~230 MB and leave the GC alone), and the
 * operations on them: take a pool4 port, add and drop sessions, expire.
 */
import { formatIPv4 } from '../table/address.js';
import { ascii } from './inet-ntop.js';

export const P_TCP = 0;
export const P_UDP = 1;
export const P_ICMP = 2;
export const PROTO_NAME = ['TCP', 'UDP', 'ICMP'];

/** pool4 transport addresses per protocol at scale 1, spread over (at least) four addresses. */
const POOL_PORTS = [4 * 640, 4 * 256, 4 * 64];
const POOL_MIN_ADDRESSES = 4;
export const POOL_FIRST_PORT = 1024;
const POOL_MAX_PORTS_PER_ADDRESS = 65536 - POOL_FIRST_PORT;
const POOL4_BASE = ((192 << 24) | (0 << 16) | (2 << 8) | 1) >>> 0;

/** One protocol's pool4, BIB and session table. Index-linked typed arrays, no objects per entry. */
export interface Table {
  readonly proto: number;
  // pool4
  readonly nAddr: number;
  readonly perAddr: number;
  readonly total: number;
  readonly iterations: number;
  readonly addrStr: readonly string[];
  readonly addrBytes: readonly Uint8Array[];
  /** pool4 transport address (addr-major, port-minor: the order Jool prints) -> BIB slot, or -1. */
  readonly owner: Int32Array;
  used: number;
  // BIB
  bibCap: number;
  bibLen: number;
  bibLive: number;
  bibFree: number[];
  readonly bibMap: Map<number, number>;
  bibClient: Int32Array;
  bibV6Port: Uint16Array;
  bibPool: Int32Array;
  bibHead: Int32Array;
  bibCount: Int32Array;
  bibStatic: Uint8Array;
  // sessions: a sorted doubly-linked list per BIB entry, ordered by (IPv4 remote address, port) like Jool's dump.
  cap: number;
  len: number;
  live: number;
  free: number[];
  sBib: Int32Array;
  sKey: Int32Array;
  sNext: Int32Array;
  sPrev: Int32Array;
  sKind: Uint8Array;
  sGap: Int32Array;
  sT0: Float64Array;
  sT1: Float64Array;
  sT2: Float64Array;
  sT3: Float64Array;
  sEnd: Float64Array;
  /** Expiry wheel: second (ceil of end / 1000) -> session slots. */
  readonly buckets: Map<number, number[]>;
  nextBucket: number;
}

/** pool4 of one protocol: at least four addresses, more once a single address runs out of ports. */
export function poolShape(proto: number, scale: number): { nAddr: number; perAddr: number } {
  const wanted = Math.max(POOL_MIN_ADDRESSES, Math.round(POOL_PORTS[proto]! * scale));
  const nAddr = Math.max(POOL_MIN_ADDRESSES, Math.ceil(wanted / POOL_MAX_PORTS_PER_ADDRESS));
  return { nAddr, perAddr: Math.min(POOL_MAX_PORTS_PER_ADDRESS, Math.ceil(wanted / nAddr)) };
}

export function createTable(proto: number, scale: number, addrOffset: number): Table {
  const { nAddr, perAddr } = poolShape(proto, scale);
  const total = nAddr * perAddr;
  const capS = 1024;
  const capB = 1024;
  const addrStr = Array.from({ length: nAddr }, (_, i) => formatIPv4((POOL4_BASE + addrOffset + i) >>> 0));
  return {
    proto,
    nAddr,
    perAddr,
    total,
    // Jool's "auto" Max Iterations: set size / 128, clamped to [1024, 8192].
    iterations: Math.min(8192, Math.max(1024, Math.floor(total / 128))),
    addrStr,
    addrBytes: addrStr.map(ascii),
    owner: new Int32Array(total).fill(-1),
    used: 0,
    bibCap: capB,
    bibLen: 0,
    bibLive: 0,
    bibFree: [],
    bibMap: new Map(),
    bibClient: new Int32Array(capB),
    bibV6Port: new Uint16Array(capB),
    bibPool: new Int32Array(capB),
    bibHead: new Int32Array(capB),
    bibCount: new Int32Array(capB),
    bibStatic: new Uint8Array(capB),
    cap: capS,
    len: 0,
    live: 0,
    free: [],
    sBib: new Int32Array(capS),
    sKey: new Int32Array(capS),
    sNext: new Int32Array(capS),
    sPrev: new Int32Array(capS),
    sKind: new Uint8Array(capS),
    sGap: new Int32Array(capS),
    sT0: new Float64Array(capS),
    sT1: new Float64Array(capS),
    sT2: new Float64Array(capS),
    sT3: new Float64Array(capS),
    sEnd: new Float64Array(capS),
    buckets: new Map(),
    nextBucket: -Infinity,
  };
}

function grown<T extends Int32Array | Uint16Array | Uint8Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

function growSessions(t: Table): void {
  const cap = t.cap * 2;
  t.sBib = grown(t.sBib, cap);
  t.sKey = grown(t.sKey, cap);
  t.sNext = grown(t.sNext, cap);
  t.sPrev = grown(t.sPrev, cap);
  t.sKind = grown(t.sKind, cap);
  t.sGap = grown(t.sGap, cap);
  t.sT0 = grown(t.sT0, cap);
  t.sT1 = grown(t.sT1, cap);
  t.sT2 = grown(t.sT2, cap);
  t.sT3 = grown(t.sT3, cap);
  t.sEnd = grown(t.sEnd, cap);
  t.cap = cap;
}

function growBib(t: Table): void {
  const cap = t.bibCap * 2;
  t.bibClient = grown(t.bibClient, cap);
  t.bibV6Port = grown(t.bibV6Port, cap);
  t.bibPool = grown(t.bibPool, cap);
  t.bibHead = grown(t.bibHead, cap);
  t.bibCount = grown(t.bibCount, cap);
  t.bibStatic = grown(t.bibStatic, cap);
  t.bibCap = cap;
}

/**
 * Takes a free pool4 transport address the way Jool's RFC 6056 search does:
 * start somewhere pseudo-random and walk at most Max Iterations candidates.
 * So a nearly full pool already fails some allocations (JSTAT_BIB6_NOT_FOUND).
 */
export function allocBib(t: Table, client: number, v6port: number, start: number, isStatic: boolean): number {
  if (t.used >= t.total) return -1;
  const owner = t.owner;
  const total = t.total;
  const tries = Math.min(t.iterations, total);
  let j = start;
  let found = -1;
  for (let i = 0; i < tries; i++) {
    if (owner[j]! < 0) {
      found = j;
      break;
    }
    if (++j === total) j = 0;
  }
  if (found < 0) return -1;
  let b = t.bibFree.pop();
  if (b === undefined) {
    if (t.bibLen === t.bibCap) growBib(t);
    b = t.bibLen++;
  }
  t.bibClient[b] = client;
  t.bibV6Port[b] = v6port;
  t.bibPool[b] = found;
  t.bibHead[b] = -1;
  t.bibCount[b] = 0;
  t.bibStatic[b] = isStatic ? 1 : 0;
  owner[found] = b;
  t.used++;
  t.bibLive++;
  t.bibMap.set(client * 65536 + v6port, b);
  return b;
}

/**
 * Adds a session to BIB entry `b`. Returns false when the entry already has a
 * session with that remote: a new flow on an existing 5-tuple is just traffic.
 */
export function addSession(
  t: Table,
  b: number,
  key: number,
  kind: number,
  gap: number,
  t0: number,
  t1: number,
  t2: number,
  t3: number,
  end: number,
): boolean {
  let prev = -1;
  let cur = t.bibHead[b]!;
  const sKey = t.sKey;
  const sNext = t.sNext;
  while (cur >= 0 && sKey[cur]! < key) {
    prev = cur;
    cur = sNext[cur]!;
  }
  if (cur >= 0 && sKey[cur] === key) return false;
  let s = t.free.pop();
  if (s === undefined) {
    if (t.len === t.cap) growSessions(t);
    s = t.len++;
  }
  t.sBib[s] = b;
  t.sKey[s] = key;
  t.sKind[s] = kind;
  t.sGap[s] = gap;
  t.sT0[s] = t0;
  t.sT1[s] = t1;
  t.sT2[s] = t2;
  t.sT3[s] = t3;
  t.sEnd[s] = end;
  t.sPrev[s] = prev;
  t.sNext[s] = cur;
  if (prev >= 0) t.sNext[prev] = s;
  else t.bibHead[b] = s;
  if (cur >= 0) t.sPrev[cur] = s;
  t.bibCount[b] = t.bibCount[b]! + 1;
  t.live++;
  const second = Math.ceil(end / 1000);
  const bucket = t.buckets.get(second);
  if (bucket === undefined) t.buckets.set(second, [s]);
  else bucket.push(s);
  return true;
}

function removeSession(t: Table, s: number): void {
  const b = t.sBib[s]!;
  const prev = t.sPrev[s]!;
  const next = t.sNext[s]!;
  if (prev >= 0) t.sNext[prev] = next;
  else t.bibHead[b] = next;
  if (next >= 0) t.sPrev[next] = prev;
  t.free.push(s);
  t.live--;
  const left = t.bibCount[b]! - 1;
  t.bibCount[b] = left;
  // A dynamic BIB entry dies with its last session; static ones stay.
  if (left === 0 && t.bibStatic[b] === 0) {
    t.owner[t.bibPool[b]!] = -1;
    t.used--;
    t.bibLive--;
    t.bibMap.delete(t.bibClient[b]! * 65536 + t.bibV6Port[b]!);
    t.bibFree.push(b);
  }
}

/** Drops every session whose deadline is at or before `t`. */
export function expireThrough(table: Table, t: number): void {
  const buckets = table.buckets;
  const last = Math.floor(t / 1000);
  let k = table.nextBucket;
  if (!Number.isFinite(k) || last - k > Math.max(100_000, buckets.size * 4)) {
    // Far jump: visit the buckets that exist instead of every second in between.
    const due = [...buckets.keys()].filter((key) => key <= last).sort((x, y) => x - y);
    for (const key of due) {
      for (const s of buckets.get(key)!) removeSession(table, s);
      buckets.delete(key);
    }
    k = last + 1;
  } else {
    for (; k <= last; k++) {
      const bucket = buckets.get(k);
      if (bucket === undefined) continue;
      for (const s of bucket) removeSession(table, s);
      buckets.delete(k);
    }
  }
  table.nextBucket = k;
  // The bucket of the current second is due only in part.
  const partial = buckets.get(k);
  if (partial !== undefined && (k - 1) * 1000 < t) {
    const sEnd = table.sEnd;
    let keep = 0;
    for (const s of partial) {
      if (sEnd[s]! <= t) removeSession(table, s);
      else partial[keep++] = s;
    }
    partial.length = keep;
  }
}
