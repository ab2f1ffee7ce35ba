/**
 * The built-in demo source (`--source=demo`): an in-memory Jool 4.1.9 NAT64
 * that answers argv the way the real `jool` client does, behind the same
 * JoolRunner seam as the real binary, so the demo drives the exact production
 * path (argv building, streaming parse, exit-status handling).
 *
 * Output formats, error texts and exit codes follow captures of the real
 * 4.1.9 client (see /work/shared/jool/captures-4.1.9) and its source
 * (src/usr/argp). Where the demo deliberately differs, a comment says so.
 *
 * The simulation is lazy: nothing runs in the background. Every command first
 * advances the model to the injected clock, in whole one-second steps, so the
 * same seed and the same sequence of clock readings give the same output.
 * Sessions live in typed arrays rather than objects (a million of them take
 * ~230 MB and leave the GC alone), and each carries its whole future (state
 * changes, activity, deadline) from birth, so printing is a pure function of
 * "now" and expiry is the only event that has to be processed.
 */

import type { JoolCall, JoolExit, JoolRunner, RunOptions } from '../jool/runner.js';
import { SESSION_CSV_HEADER, TCP_STATES, type Protocol } from '../model.js';

// ---------------------------------------------------------------------------
// Public API

export interface DemoTimeouts {
  /** TCP established timeout in ms (Jool default 2 h). */
  readonly tcpEst: number;
  /** TCP transitory timeout in ms (Jool default 4 min). */
  readonly tcpTrans: number;
  /** UDP timeout in ms (Jool default 5 min). */
  readonly udp: number;
  /** ICMP timeout in ms (Jool default 1 min). */
  readonly icmp: number;
}

export interface DemoOptions {
  /** Seed of the simulation; the same seed and clock readings give the same tables. Default 1. */
  readonly seed?: number;
  /** Clock in ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /**
   * Multiplies subscribers, clients, pool4 ports and arrival rates. Default 1:
   * 3,500-4,000 sessions once the pool has filled. With `rampMs: 0`, 335 gives
   * a million sessions right away (and takes ~2 s to build).
   */
  readonly scale?: number;
  /**
   * Instance names the demo knows (all in one namespace). Default ['default'].
   * Names Jool would reject (over 15 characters) are left out.
   */
  readonly instances?: readonly string[];
  /**
   * Simulated traffic that already happened before the runner was created, so
   * the first table is not empty. Default 15 minutes.
   */
  readonly historyMs?: number;
  /**
   * Time constant of the morning ramp: load starts at 35% and approaches 100%
   * with this constant (the pool fills over ~3-4 of them). 0 starts at full
   * load. Default 8 minutes.
   */
  readonly rampMs?: number;
  /** Jool's session timeouts. Default: Jool's defaults. */
  readonly timeouts?: Partial<DemoTimeouts>;
  /** Target size of a stdout chunk. Default 64 KiB. */
  readonly chunkBytes?: number;
}

/**
 * Faults the next call(s) can be told to exhibit, whatever their argv:
 * - `exit`: the "module not loaded" failure (empty stdout, exit 253).
 * - `hang`: no output and no exit until aborted or timed out.
 * - `garbage`: exit 0, but stdout is a CSV header followed by malformed rows and binary junk.
 * - `crash`: the real output starts, then the process dies of SIGSEGV mid-stream.
 */
export type DemoFault = 'exit' | 'hang' | 'garbage' | 'crash';

export interface DemoInstanceView {
  /** Simulation clock (ms since the epoch) the view was taken at. */
  readonly now: number;
  readonly sessions: Record<Protocol, number>;
  readonly bibEntries: Record<Protocol, number>;
  /** Transport addresses held by BIB entries / pool4 size, per protocol. */
  readonly pool4: Record<Protocol, { readonly used: number; readonly total: number }>;
  /** TCP sessions per state as they would print now. */
  readonly tcpStates: Record<string, number>;
}

export interface DemoControl {
  /** Makes the next `count` calls (default 1) exhibit `fault` instead of their normal behaviour. */
  failNext(fault: DemoFault, count?: number): void;
  /** Advances the instance to the clock and summarises it (for tests and demo logs). */
  inspect(instance?: string): DemoInstanceView;
}

export type DemoJoolRunner = JoolRunner & { readonly control: DemoControl };

export function createDemoJool(options: DemoOptions = {}): DemoJoolRunner {
  const cfg = resolveOptions(options);
  const epoch = Math.floor(cfg.now());
  // Built (and their history replayed) up front, so the first scrape is not the slow one.
  const sims = new Map<string, Sim>(cfg.instances.map((name, index) => [name, createSim(cfg, index)]));
  const faults: DemoFault[] = [];
  const simFor = (name: string): Sim | undefined => sims.get(name);
  const clock = (): number => Math.floor(cfg.now()) - epoch;

  const ctx: CommandContext = { cfg, simFor, clock };

  const runner = ((args: readonly string[], run: RunOptions): JoolCall => {
    const fault = faults.shift();
    const body = fault === undefined ? runCommand(ctx, args) : faultBody(ctx, args, fault);
    return startCall(body, run.timeoutMs);
  }) as DemoJoolRunner;

  const control: DemoControl = {
    failNext(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    inspect(instance = 'default') {
      const sim = simFor(instance);
      if (sim === undefined) throw new Error(`demo jool has no instance named '${instance}'`);
      const t = clock();
      sim.advance(t);
      return inspectSim(sim, epoch);
    },
  };
  Object.defineProperty(runner, 'control', { value: control, enumerable: true });
  return runner;
}

// ---------------------------------------------------------------------------
// Configuration

interface Config {
  readonly seed: number;
  readonly now: () => number;
  readonly scale: number;
  readonly instances: readonly string[];
  readonly historyMs: number;
  readonly rampMs: number;
  readonly timeouts: DemoTimeouts;
  readonly chunkBytes: number;
  /** Kernel-pointer-looking namespace id, as `instance display` prints it. */
  readonly namespaceId: string;
}

const JOOL_DEFAULT_TIMEOUTS: DemoTimeouts = { tcpEst: 7_200_000, tcpTrans: 240_000, udp: 300_000, icmp: 60_000 };

function resolveOptions(o: DemoOptions): Config {
  const scale = o.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`demo scale must be a positive number, got ${scale}`);
  // A name Jool could not hold is left out, so using it fails per call (exit 234) like the real client.
  const instances = [...new Set(o.instances ?? ['default'])].filter(validInstanceName);
  const timeouts = { ...JOOL_DEFAULT_TIMEOUTS, ...o.timeouts };
  for (const [key, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value < 2000) throw new RangeError(`demo timeout ${key} must be a whole number of ms, at least 2000`);
  }
  const seed = (o.seed ?? 1) >>> 0;
  return {
    seed,
    now: o.now ?? Date.now,
    scale,
    instances,
    historyMs: Math.max(0, o.historyMs ?? 15 * 60_000),
    rampMs: Math.max(0, o.rampMs ?? 8 * 60_000),
    timeouts,
    chunkBytes: Math.max(1024, o.chunkBytes ?? 65_536),
    namespaceId: ((hash32(seed ^ 0x5eed) | 0x80000000) >>> 0).toString(16),
  };
}

function validInstanceName(name: string): boolean {
  // Jool's iname_validate: at most 15 printable ASCII characters (16 with the NUL).
  return name.length <= 15 && /^[\x20-\x7e]*$/.test(name);
}

// ---------------------------------------------------------------------------
// Randomness: small, fast and seedable. Math.random is neither.

type Rng = () => number;

function hash32(x: number): number {
  // splitmix32-style finalizer: turns consecutive seeds into unrelated states.
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function createRng(seed: number): Rng {
  let a = hash32(seed);
  let b = hash32(a ^ 0x1234567);
  let c = hash32(b ^ 0x89abcdef);
  let d = hash32(c ^ 0x2545f491);
  const next = (): number => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
}

/** Walker/Vose alias table: O(1) weighted choice, needed per flow at a million sessions. */
interface Alias {
  readonly n: number;
  readonly prob: Float64Array;
  readonly alias: Int32Array;
}

function buildAlias(weights: ArrayLike<number>): Alias {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / sum;
    (scaled[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of large) prob[i] = 1;
  for (const i of small) prob[i] = 1;
  return { n, prob, alias };
}

function sampleAlias(a: Alias, rng: Rng): number {
  const x = rng() * a.n;
  const i = Math.floor(x);
  return x - i < a.prob[i]! ? i : a.alias[i]!;
}

// ---------------------------------------------------------------------------
// Address and number formatting, exactly as the jool client prints them.

/** inet_ntop(AF_INET6): lowercase, no leading zeros, longest run (>= 2) of zero words as "::" (RFC 5952). */
export function formatIPv6(words: ArrayLike<number>): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // glibc prints IPv4-compatible and IPv4-mapped addresses with a dotted tail.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const tail = formatIPv4(((words[6]! << 16) | words[7]!) >>> 0);
    return bestLen === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += words[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** Jool 4's timeout2str(): `H:MM:SS`, plus `.mmm` only when the milliseconds are not zero; hours unpadded. */
export function formatExpires(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  let rest = ms - hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  rest -= seconds * 1000;
  const base = hours + ':' + TWO_DIGITS[minutes]! + ':' + TWO_DIGITS[seconds]!;
  return rest === 0 ? base : base + '.' + THREE_DIGITS[rest]!;
}

// ---------------------------------------------------------------------------
// The IPv4 side of the world: remote servers in the two documentation /24s,
// seen from IPv6 through pool6 64:ff9b::/96.

const REMOTE_COUNT = 508;
const REMOTE_V4: readonly number[] = Array.from({ length: REMOTE_COUNT }, (_, i) =>
  i < 254 ? ((198 << 24) | (51 << 16) | (100 << 8) | (i + 1)) >>> 0 : ((203 << 24) | (0 << 16) | (113 << 8) | (i - 253)) >>> 0,
);
const REMOTE_V4_STR: readonly string[] = REMOTE_V4.map(formatIPv4);
const REMOTE_V6_STR: readonly string[] = REMOTE_V4.map((a) => formatIPv6([0x64, 0xff9b, 0, 0, 0, 0, a >>> 16, a & 0xffff]));
const remoteIndex = (dotted: string): number => REMOTE_V4_STR.indexOf(dotted);
const DNS_RESOLVERS = ['198.51.100.53', '203.0.113.53'].map(remoteIndex);
const NTP_SERVERS = ['198.51.100.123', '203.0.113.123', '198.51.100.124'].map(remoteIndex);

// ---------------------------------------------------------------------------
// Simulation model

const STEP_MS = 1000;
/** Past this gap (a suspended laptop, a clock jump) older traffic is not replayed. */
const MAX_CATCHUP_MS = 3 * 3_600_000;
const BASE_LOAD = 0.35;

const ST_ESTABLISHED = TCP_STATES.indexOf('ESTABLISHED');
const ST_V4_INIT = TCP_STATES.indexOf('V4_INIT');
const ST_V6_INIT = TCP_STATES.indexOf('V6_INIT');
const ST_V4_FIN_RCV = TCP_STATES.indexOf('V4_FIN_RCV');
const ST_V6_FIN_RCV = TCP_STATES.indexOf('V6_FIN_RCV');
const ST_V4_FIN_V6_FIN_RCV = TCP_STATES.indexOf('V4_FIN_V6_FIN_RCV');
const ST_TRANS = TCP_STATES.indexOf('TRANS');

/**
 * A session's lifecycle, fixed at birth. Times: T0 first packet, T1 handshake
 * done, T2 end of data (first FIN, RST, or last packet), T3 second FIN.
 */
const K_ACTIVE = 0; // UDP/ICMP: packets every `gap` from T0 to T2, then silence until the timeout.
const K_CLOSE_V6 = 1; // TCP: V6 FIN first -> V6_FIN_RCV -> V4_FIN_V6_FIN_RCV -> gone after trans timeout.
const K_CLOSE_V4 = 2; // TCP: V4 FIN first -> V4_FIN_RCV -> ...
const K_ZOMBIE = 3; // TCP: peer vanished; ESTABLISHED until the est timeout, then Jool's probe (TRANS).
const K_RESET = 4; // TCP: RST -> TRANS for the trans timeout.
const K_NO_ANSWER = 5; // TCP: SYN never answered; retransmits at 1, 3, 7, 15, 31 s keep it in V6_INIT.
const K_V4_SCAN = 6; // TCP: a port scan of a static BIB; V4_INIT until the trans timeout.
const K_V4_INITIATED = 8; // Flag: the handshake started on the IPv4 side (V4_INIT instead of V6_INIT).
const SYN_RETRIES_MS = [0, 1000, 3000, 7000, 15_000, 31_000];

const P_TCP = 0;
const P_UDP = 1;
const P_ICMP = 2;
const PROTOS: readonly Protocol[] = ['tcp', 'udp', 'icmp'];
const PROTO_NAME = ['TCP', 'UDP', 'ICMP'];

/** Flows per second at scale 1 and full load. Tuned so the busiest pools hover around 90%. */
const RATE = { tcpOut: 7.0, tcpInPerServer: 0.05, udp: 2.5, p2pPerHost: 0.35, icmp: 1.2 };
/** pool4 transport addresses per protocol at scale 1, spread over (at least) four addresses. */
const POOL_PORTS = [4 * 640, 4 * 256, 4 * 64];
const POOL_MIN_ADDRESSES = 4;
const POOL_FIRST_PORT = 1024;
const POOL_MAX_PORTS_PER_ADDRESS = 65536 - POOL_FIRST_PORT;
const POOL4_BASE = ((192 << 24) | (0 << 16) | (2 << 8) | 1) >>> 0;

/** One protocol's pool4, BIB and session table. Index-linked typed arrays, no objects per entry. */
interface Table {
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

interface Topology {
  readonly clientStr: readonly string[];
  readonly clientBytes: readonly Uint8Array[];
  readonly subFirst: Int32Array;
  readonly subCount: Int32Array;
  readonly subAlias: Alias;
  /** Linux-ish clients pick ephemeral ports in 32768-60999, Windows-ish ones in 49152-65535. */
  readonly clientWindows: Uint8Array;
  readonly p2p: readonly { readonly client: number; readonly port: number }[];
  /** Static BIB entries (servers on the IPv6 side) in the TCP table. */
  readonly servers: readonly number[];
  readonly remoteZipf: Alias;
}

interface Sim {
  readonly tables: readonly Table[];
  readonly topo: Topology;
  readonly stats: Float64Array;
  readonly timeouts: DemoTimeouts;
  /** Advances to `t` (ms relative to the runner's epoch) and returns the time to print at. */
  advance(t: number): number;
  lastNow: number;
}

const TCP_PORTS = buildWeighted([
  [443, 68],
  [80, 12],
  [993, 3],
  [5223, 3],
  [22, 2],
  [8080, 2],
  [8443, 2],
  [853, 2],
  [25, 1],
  [587, 1],
  [3389, 1],
  [5228, 3],
]);

function buildWeighted(pairs: readonly (readonly [number, number])[]): { values: readonly number[]; alias: Alias } {
  return { values: pairs.map((p) => p[0]), alias: buildAlias(pairs.map((p) => p[1])) };
}

/** pool4 of one protocol: at least four addresses, more once a single address runs out of ports. */
function poolShape(proto: number, scale: number): { nAddr: number; perAddr: number } {
  const wanted = Math.max(POOL_MIN_ADDRESSES, Math.round(POOL_PORTS[proto]! * scale));
  const nAddr = Math.max(POOL_MIN_ADDRESSES, Math.ceil(wanted / POOL_MAX_PORTS_PER_ADDRESS));
  return { nAddr, perAddr: Math.min(POOL_MAX_PORTS_PER_ADDRESS, Math.ceil(wanted / nAddr)) };
}

function createTable(proto: number, scale: number, addrOffset: number): Table {
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
function allocBib(t: Table, client: number, v6port: number, start: number, isStatic: boolean): number {
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
function addSession(
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
function expireThrough(table: Table, t: number): void {
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

function buildTopology(rng: Rng, scale: number, instanceIndex: number, tcp: Table): Topology {
  // Subscribers are /56s (2001:db8:HHHH:SS00::/56), each with a few /64s and a few hosts per /64.
  const subscribers = Math.max(4, Math.round(40 * scale));
  const subBase = 1 + instanceIndex * 0x10000;
  const weights = new Float64Array(subscribers);
  const subFirst = new Int32Array(subscribers);
  const subCount = new Int32Array(subscribers);
  const clientStr: string[] = [];
  const clientWindows: number[] = [];
  const seen = new Set<string>();
  for (let s = 0; s < subscribers; s++) {
    const id = subBase + s;
    const subnets = 1 + (rng() < 0.35 ? 1 + randInt(rng, 3) : 0);
    subFirst[s] = clientStr.length;
    for (let n = 0; n < subnets; n++) {
      const hosts = 1 + Math.min(7, Math.floor(-Math.log(1 - rng()) * 3.2));
      for (let h = 0; h < hosts; h++) {
        const words = [0x2001, 0xdb8, (id >>> 8) & 0xffff, ((id & 0xff) << 8) | n, 0, 0, 0, 0];
        let address: string;
        do {
          words.fill(0, 4);
          const u = rng();
          if (u < 0.2) {
            words[7] = 1 + h + randInt(rng, 30); // a router or a statically numbered box
          } else if (u < 0.45) {
            // EUI-64 (xxxx:xxff:fexx:xxxx)
            words[4] = randInt(rng, 0x10000) & 0xfdff;
            words[5] = (randInt(rng, 0x100) << 8) | 0xff;
            words[6] = 0xfe00 | randInt(rng, 0x100);
            words[7] = randInt(rng, 0x10000);
          } else {
            // RFC 8981 temporary address
            for (let w = 4; w < 8; w++) words[w] = randInt(rng, 0x10000);
          }
          address = formatIPv6(words);
        } while (seen.has(address));
        seen.add(address);
        clientStr.push(address);
        clientWindows.push(rng() < 0.4 ? 1 : 0);
      }
    }
    subCount[s] = clientStr.length - subFirst[s]!;
    // Heavy-tailed activity: most subscribers are quiet, a few hold a large share of the table.
    weights[s] = logNormal(rng, 1, 1.1) * (rng() < 0.05 ? 8 : 1);
  }

  // The busiest subscribers run BitTorrent-like peers: one UDP port, sessions with hundreds of remotes.
  const order = Array.from({ length: subscribers }, (_, i) => i).sort((x, y) => weights[y]! - weights[x]!);
  const p2pCount = Math.max(1, Math.round(2 * scale));
  const p2p = order.slice(0, p2pCount).map((s, i) => ({
    client: subFirst[s]! + randInt(rng, subCount[s]!),
    port: [51413, 6881, 3074, 27015, 6882, 50000 + randInt(rng, 10000)][i % 6]!,
  }));

  // A few IPv6-side servers reachable from IPv4 through static BIB entries (they make the V4_INIT sessions).
  const serverCount = Math.max(2, Math.round(2 * scale));
  const servers: number[] = [];
  for (let i = 0; i < serverCount; i++) {
    const s = order[(subscribers - 1 - i * 7) % subscribers] ?? 0;
    const client = subFirst[s]! + randInt(rng, subCount[s]!);
    const port = [80, 443, 22, 25565][i % 4]!;
    if (tcp.bibMap.has(client * 65536 + port)) continue;
    const b = allocBib(tcp, client, port, randInt(rng, tcp.total), true);
    if (b >= 0) servers.push(b);
  }

  // Popularity of IPv4 servers: Zipf over a seeded permutation.
  const zipf = new Float64Array(REMOTE_COUNT);
  const perm = Array.from({ length: REMOTE_COUNT }, (_, i) => i);
  for (let i = REMOTE_COUNT - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  for (let rank = 0; rank < REMOTE_COUNT; rank++) zipf[perm[rank]!] = 1 / (rank + 1);

  return {
    clientStr,
    clientBytes: clientStr.map(ascii),
    subFirst,
    subCount,
    subAlias: buildAlias(weights),
    clientWindows: Uint8Array.from(clientWindows),
    p2p,
    servers,
    remoteZipf: buildAlias(zipf),
  };
}

// Stats: the 69 counters of Jool 4.1.9, in its order (captures-4.1.9/stats-all.csv).
const JSTAT_NAMES: readonly string[] = [
  'JSTAT_RECEIVED6', 'JSTAT_RECEIVED4', 'JSTAT_SUCCESS', 'JSTAT_BIB_ENTRIES', 'JSTAT_SESSIONS', 'JSTAT_ENOMEM',
  'JSTAT_XLATOR_DISABLED', 'JSTAT_POOL6_UNSET', 'JSTAT_SKB_SHARED', 'JSTAT_L3HDR_OFFSET', 'JSTAT_SKB_TRUNCATED',
  'JSTAT_HDR6', 'JSTAT_HDR4', 'JSTAT_UNKNOWN_L4_PROTO', 'JSTAT_UNKNOWN_ICMP6_TYPE', 'JSTAT_UNKNOWN_ICMP4_TYPE',
  'JSTAT_DOUBLE_ICMP6_ERROR', 'JSTAT_DOUBLE_ICMP4_ERROR', 'JSTAT_UNKNOWN_PROTO_INNER', 'JSTAT_HAIRPIN_LOOP',
  'JSTAT_POOL6_MISMATCH', 'JSTAT_POOL4_MISMATCH', 'JSTAT_ICMP6_FILTER', 'JSTAT_UNTRANSLATABLE_DST6',
  'JSTAT_UNTRANSLATABLE_DST4', 'JSTAT_6056_F', 'JSTAT_MASK_DOMAIN_NOT_FOUND', 'JSTAT_BIB6_NOT_FOUND',
  'JSTAT_BIB4_NOT_FOUND', 'JSTAT_SESSION_NOT_FOUND', 'JSTAT_ADF', 'JSTAT_V4_SYN', 'JSTAT_SYN6_EXPECTED',
  'JSTAT_SYN4_EXPECTED', 'JSTAT_TYPE1PKT', 'JSTAT_TYPE2PKT', 'JSTAT_SO_EXISTS', 'JSTAT_SO_FULL', 'JSTAT64_SRC',
  'JSTAT64_DST', 'JSTAT64_PSKB_COPY', 'JSTAT64_6791_ENOENT', 'JSTAT64_ICMP_CSUM',
  'JSTAT64_UNTRANSLATABLE_PARAM_PROB_PTR', 'JSTAT64_TTL', 'JSTAT64_FRAGMENTED_ICMP', 'JSTAT64_2XFRAG',
  'JSTAT64_FRAG_THEN_EXT', 'JSTAT64_SEGMENTS_LEFT', 'JSTAT46_SRC', 'JSTAT46_DST', 'JSTAT46_PSKB_COPY',
  'JSTAT46_6791_ENOENT', 'JSTAT46_ICMP_CSUM', 'JSTAT46_UNTRANSLATABLE_PARAM_PROBLEM_PTR', 'JSTAT46_TTL',
  'JSTAT46_FRAGMENTED_ICMP', 'JSTAT46_SRC_ROUTE', 'JSTAT46_FRAGMENTED_ZERO_CSUM', 'JSTAT46_BAD_MTU',
  'JSTAT_FAILED_ROUTES', 'JSTAT_PKT_TOO_BIG', 'JSTAT_DST_OUTPUT', 'JSTAT_ICMP6ERR_SUCCESS', 'JSTAT_ICMP6ERR_FAILURE',
  'JSTAT_ICMP4ERR_SUCCESS', 'JSTAT_ICMP4ERR_FAILURE', 'JSTAT_ICMPEXT_BIG', 'JSTAT_UNKNOWN',
];

function jstat(name: string): number {
  const i = JSTAT_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown stat ${name}`);
  return i;
}
const S_RECEIVED6 = jstat('JSTAT_RECEIVED6');
const S_RECEIVED4 = jstat('JSTAT_RECEIVED4');
const S_SUCCESS = jstat('JSTAT_SUCCESS');
const S_BIB_ENTRIES = jstat('JSTAT_BIB_ENTRIES');
const S_SESSIONS = jstat('JSTAT_SESSIONS');
const S_BIB6_NOT_FOUND = jstat('JSTAT_BIB6_NOT_FOUND');
const S_TYPE1PKT = jstat('JSTAT_TYPE1PKT');
/** Background noise of a real NAT64, per second at scale 1 and full load: [stat, rate, IPv6 side?]. */
const NOISE: readonly (readonly [number, number, boolean])[] = [
  [jstat('JSTAT_POOL4_MISMATCH'), 0.4, false],
  [jstat('JSTAT_BIB4_NOT_FOUND'), 1.1, false],
  [jstat('JSTAT_UNKNOWN_ICMP6_TYPE'), 0.03, true],
  [jstat('JSTAT_SYN6_EXPECTED'), 0.06, true],
  [jstat('JSTAT_SYN4_EXPECTED'), 0.12, false],
  [jstat('JSTAT_SESSION_NOT_FOUND'), 0.01, false],
  [jstat('JSTAT_UNKNOWN_ICMP4_TYPE'), 0.005, false],
  [jstat('JSTAT_FAILED_ROUTES'), 0.002, true],
];

function createSim(cfg: Config, instanceIndex: number): Sim {
  const rng = createRng(cfg.seed + instanceIndex * 0x9e3779b9);
  const scale = cfg.scale;
  const { tcpEst: EST, tcpTrans: TRANS, udp: UDP_TIMEOUT, icmp: ICMP_TIMEOUT } = cfg.timeouts;
  // Each instance gets its own pool4 addresses (the TCP pool is the largest).
  const addrOffset = instanceIndex * poolShape(P_TCP, scale).nAddr;
  const tables = [createTable(P_TCP, scale, addrOffset), createTable(P_UDP, scale, addrOffset), createTable(P_ICMP, scale, addrOffset)];
  const [tcp, udp, icmp] = tables as [Table, Table, Table];
  const topo = buildTopology(rng, scale, instanceIndex, tcp);
  const stats = new Float64Array(JSTAT_NAMES.length);
  const bump = (stat: number, n: number): void => {
    stats[stat] = stats[stat]! + n;
  };
  const TWO_PI = 2 * Math.PI;
  const rampMs = cfg.rampMs;

  /** Load factor at time t: a morning ramp from 35% to 100% plus two slow waves, so the pool breathes. */
  const demand = (t: number): number => {
    const ramp = rampMs === 0 ? 1 : t <= 0 ? BASE_LOAD : 1 - (1 - BASE_LOAD) * Math.exp(-t / rampMs);
    const wave = 1 + 0.1 * Math.sin((TWO_PI * t) / 1_020_000) + 0.04 * Math.sin((TWO_PI * t) / 318_000 + 1);
    return ramp * wave;
  };

  const pickClient = (): number => {
    const s = sampleAlias(topo.subAlias, rng);
    return topo.subFirst[s]! + randInt(rng, topo.subCount[s]!);
  };
  const ephemeral = (client: number): number =>
    topo.clientWindows[client] === 1 ? 49152 + randInt(rng, 16384) : 32768 + randInt(rng, 28232);

  let horizon = 0;

  /** Books a flow's packets, finds/creates its BIB entry and adds the session unless it is over before anyone can look. */
  const flow = (
    t: Table,
    client: number,
    v6port: number,
    key: number,
    kind: number,
    gap: number,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    end: number,
    packets6: number,
    packets4: number,
  ): void => {
    const start = randInt(rng, t.total);
    if (end <= horizon) {
      // Born and dead between two looks at the table: only the counters can tell.
      bump(S_RECEIVED6, packets6);
      bump(S_RECEIVED4, packets4);
      bump(S_SUCCESS, packets6 + packets4);
      return;
    }
    let b = t.bibMap.get(client * 65536 + v6port);
    if (b === undefined) {
      b = allocBib(t, client, v6port, start, false);
      if (b < 0) {
        // pool4 exhausted: Jool drops the packet (and the client's retries) without a BIB entry.
        const tries = t.proto === P_TCP ? 3 : 1;
        bump(S_RECEIVED6, tries);
        bump(S_BIB6_NOT_FOUND, tries);
        return;
      }
    }
    addSession(t, b, key, kind, gap, t0, t1, t2, t3, end);
    bump(S_RECEIVED6, packets6);
    bump(S_RECEIVED4, packets4);
    bump(S_SUCCESS, packets6 + packets4);
  };

  const tcpOutbound = (ta: number): void => {
    const client = pickClient();
    const v6port = ephemeral(client);
    const remote = sampleAlias(topo.remoteZipf, rng);
    const rport = TCP_PORTS.values[sampleAlias(TCP_PORTS.alias, rng)]!;
    const key = (remote << 16) | rport;
    const u = rng();
    const rtt = 8 + randInt(rng, 240);
    const t1 = ta + rtt;
    if (u < 0.05) {
      // SYN into the void: Linux retransmits for ~1 min, each SYN refreshing the V6_INIT lifetime.
      const t2 = ta + SYN_RETRIES_MS[SYN_RETRIES_MS.length - 1]!;
      flow(tcp, client, v6port, key, K_NO_ANSWER, 1000, ta, Infinity, Infinity, Infinity, t2 + TRANS, 6, 0);
      return;
    }
    let kind: number;
    let d: number;
    let gap: number;
    if (u < 0.12) {
      kind = K_RESET;
      d = Math.min(600_000, logNormal(rng, 3000, 1.4));
      gap = 100 + randInt(rng, 3000);
    } else if (u < 0.125) {
      kind = K_ZOMBIE;
      d = Math.min(1_800_000, logNormal(rng, 30_000, 1.2));
      gap = 500 + randInt(rng, 10_000);
    } else if (u < 0.155) {
      // Long-lived: IMAP IDLE, SSH, push channels. Keepalives every 10-60 s.
      kind = rng() < 0.5 ? K_CLOSE_V6 : K_CLOSE_V4;
      d = Math.min(6 * 3_600_000, logNormal(rng, 10 * 60_000, 1));
      gap = 10_000 + randInt(rng, 50_000);
    } else {
      kind = rng() < 0.55 ? K_CLOSE_V6 : K_CLOSE_V4;
      d = Math.min(3 * 3_600_000, logNormal(rng, 8000, 1.6));
      gap = 40 + randInt(rng, 5000);
    }
    gap = Math.min(gap, Math.floor(EST / 2));
    const n = Math.floor(d / gap);
    const lastData = t1 + n * gap;
    const packets = 3 + n;
    if (kind === K_ZOMBIE) {
      flow(tcp, client, v6port, key, kind, gap, ta, t1, lastData, Infinity, lastData + EST + TRANS, packets, packets);
    } else if (kind === K_RESET) {
      const t2 = lastData + 1 + randInt(rng, 200);
      flow(tcp, client, v6port, key, kind, gap, ta, t1, t2, Infinity, t2 + TRANS, packets, packets);
    } else {
      const t2 = lastData + 1 + randInt(rng, 200);
      // Usually both FINs cross within an RTT; sometimes one side half-closes and lingers.
      const t3 = t2 + (rng() < 0.85 ? 1 + randInt(rng, 400) : Math.min(1_800_000, Math.floor(-Math.log(1 - rng()) * 60_000)));
      flow(tcp, client, v6port, key, kind, gap, ta, t1, t2, t3, t3 + TRANS, packets + 1, packets + 1);
    }
  };

  const tcpInbound = (ta: number): void => {
    const servers = topo.servers;
    if (servers.length === 0) return;
    const b = servers[randInt(rng, servers.length)]!;
    const remote = randInt(rng, REMOTE_COUNT);
    const rport = 32768 + randInt(rng, 28232);
    const key = (remote << 16) | rport;
    const client = tcp.bibClient[b]!;
    const v6port = tcp.bibV6Port[b]!;
    if (rng() < 0.35) {
      // Scanners: a lone SYN that Jool keeps (V4_INIT) for the transitory timeout.
      bump(S_TYPE1PKT, 1);
      flow(tcp, client, v6port, key, K_V4_SCAN | K_V4_INITIATED, 1000, ta, Infinity, Infinity, Infinity, ta + TRANS, 0, 1);
      return;
    }
    const t1 = ta + 10 + randInt(rng, 200);
    const gap = 30 + randInt(rng, 2000);
    const n = Math.floor(Math.min(3_600_000, logNormal(rng, 5000, 1.5)) / gap);
    const t2 = t1 + n * gap + 1 + randInt(rng, 100);
    const t3 = t2 + 1 + randInt(rng, 300);
    const kind = (rng() < 0.5 ? K_CLOSE_V6 : K_CLOSE_V4) | K_V4_INITIATED;
    flow(tcp, client, v6port, key, kind, gap, ta, t1, t2, t3, t3 + TRANS, n + 4, n + 4);
  };

  const active = (t: Table, client: number, v6port: number, key: number, ta: number, d: number, gap: number, timeout: number): void => {
    // Packets must come more often than the timeout, or a live session could print a negative deadline.
    gap = Math.min(gap, Math.floor(timeout / 2));
    const n = Math.floor(d / gap);
    const t2 = ta + n * gap;
    flow(t, client, v6port, key, K_ACTIVE, gap, ta, ta, t2, t2, t2 + timeout, n + 1, n + 1);
  };

  const udpFlow = (ta: number): void => {
    const client = pickClient();
    const u = rng();
    if (u < 0.42) {
      // QUIC / HTTP/3: a fresh source port per connection.
      const remote = sampleAlias(topo.remoteZipf, rng);
      active(udp, client, ephemeral(client), (remote << 16) | 443, ta, Math.min(3_600_000, logNormal(rng, 15_000, 1.5)), 20 + randInt(rng, 480), UDP_TIMEOUT);
    } else if (u < 0.78) {
      // DNS to public resolvers (clients that ignore the DNS64 they were given).
      const remote = DNS_RESOLVERS[randInt(rng, DNS_RESOLVERS.length)]!;
      active(udp, client, ephemeral(client), (remote << 16) | 53, ta, randInt(rng, 80), 1 + randInt(rng, 60), UDP_TIMEOUT);
    } else if (u < 0.81) {
      const remote = NTP_SERVERS[randInt(rng, NTP_SERVERS.length)]!;
      active(udp, client, ephemeral(client), (remote << 16) | 123, ta, 0, 1000, UDP_TIMEOUT);
    } else if (u < 0.87) {
      // STUN / WebRTC media
      const remote = sampleAlias(topo.remoteZipf, rng);
      const rport = rng() < 0.5 ? 3478 : 19302;
      active(udp, client, ephemeral(client), (remote << 16) | rport, ta, Math.min(3_600_000, logNormal(rng, 120_000, 1)), 20 + randInt(rng, 2000), UDP_TIMEOUT);
    } else if (u < 0.88) {
      // VPN tunnels: one long session with 25 s keepalives.
      const remote = sampleAlias(topo.remoteZipf, rng);
      const rport = [51820, 1194, 4500][randInt(rng, 3)]!;
      active(udp, client, ephemeral(client), (remote << 16) | rport, ta, Math.min(8 * 3_600_000, logNormal(rng, 30 * 60_000, 1)), 25_000, UDP_TIMEOUT);
    } else {
      // Games: a fixed local port talking to one server at a time.
      const remote = sampleAlias(topo.remoteZipf, rng);
      const rport = [3074, 27015, 9000, 7777][randInt(rng, 4)]!;
      active(udp, client, 3074 + (client % 4), (remote << 16) | rport, ta, Math.min(3 * 3_600_000, logNormal(rng, 300_000, 1)), 30 + randInt(rng, 70), UDP_TIMEOUT);
    }
  };

  const p2pFlow = (ta: number): void => {
    const peer = topo.p2p[randInt(rng, topo.p2p.length)]!;
    const remote = randInt(rng, REMOTE_COUNT);
    const rport = 1024 + randInt(rng, 64512);
    active(udp, peer.client, peer.port, (remote << 16) | rport, ta, Math.min(1_800_000, logNormal(rng, 20_000, 1.5)), 500 + randInt(rng, 4000), UDP_TIMEOUT);
  };

  const icmpFlow = (ta: number): void => {
    const client = pickClient();
    // Windows pings with identifier 1, so its pings to different hosts share one BIB entry (EIM).
    const ident = topo.clientWindows[client] === 1 ? 1 : 1 + randInt(rng, 65535);
    const remote = rng() < 0.3 ? randInt(rng, REMOTE_COUNT) : sampleAlias(topo.remoteZipf, rng);
    const d = rng() < 0.8 ? 3000 : Math.min(3_600_000, logNormal(rng, 120_000, 1));
    active(icmp, client, ident, remote << 16, ta, d, 1000, ICMP_TIMEOUT);
  };

  const step = (a: number): void => {
    const g = demand(a + STEP_MS / 2);
    const perStep = (STEP_MS / 1000) * g;
    let n = poisson(rng, RATE.tcpOut * scale * perStep);
    for (let i = 0; i < n; i++) tcpOutbound(a + randInt(rng, STEP_MS));
    n = poisson(rng, RATE.tcpInPerServer * topo.servers.length * perStep);
    for (let i = 0; i < n; i++) tcpInbound(a + randInt(rng, STEP_MS));
    n = poisson(rng, RATE.udp * scale * perStep);
    for (let i = 0; i < n; i++) udpFlow(a + randInt(rng, STEP_MS));
    n = poisson(rng, RATE.p2pPerHost * topo.p2p.length * perStep);
    for (let i = 0; i < n; i++) p2pFlow(a + randInt(rng, STEP_MS));
    n = poisson(rng, RATE.icmp * scale * perStep);
    for (let i = 0; i < n; i++) icmpFlow(a + randInt(rng, STEP_MS));
    for (const [stat, rate, six] of NOISE) {
      const k = poisson(rng, rate * scale * perStep);
      bump(stat, k);
      bump(six ? S_RECEIVED6 : S_RECEIVED4, k);
    }
  };

  let stepStart = -Math.ceil(cfg.historyMs / STEP_MS) * STEP_MS;

  const sim: Sim = {
    tables,
    topo,
    stats,
    timeouts: cfg.timeouts,
    lastNow: -Infinity,
    advance(t: number): number {
      // The clock may stall or step back; the table never does.
      if (t <= sim.lastNow) return sim.lastNow;
      sim.lastNow = t;
      horizon = t;
      if (t - stepStart > MAX_CATCHUP_MS) stepStart = Math.floor((t - MAX_CATCHUP_MS) / STEP_MS) * STEP_MS;
      while (stepStart + STEP_MS <= t) {
        for (const table of tables) expireThrough(table, stepStart);
        step(stepStart);
        stepStart += STEP_MS;
      }
      for (const table of tables) expireThrough(table, t);
      let bibs = 0;
      let sessions = 0;
      for (const table of tables) {
        bibs += table.bibLive;
        sessions += table.live;
      }
      // These two are gauges in Jool (entries held now), unlike every other counter.
      stats[S_BIB_ENTRIES] = bibs;
      stats[S_SESSIONS] = sessions;
      return t;
    },
  };
  sim.advance(0);
  return sim;
}

/**
 * State and remaining lifetime of a TCP session at `now`, packed as
 * `expires * 8 + state` so the per-row hot path allocates nothing.
 */
function tcpView(t: Table, s: number, now: number, est: number, trans: number): number {
  const kindBits = t.sKind[s]!;
  const kind = kindBits & 7;
  const t0 = t.sT0[s]!;
  const t1 = t.sT1[s]!;
  const t2 = t.sT2[s]!;
  const gap = t.sGap[s]!;
  if (now < t1) {
    const state = (kindBits & K_V4_INITIATED) !== 0 ? ST_V4_INIT : ST_V6_INIT;
    let last = t0;
    if (kind === K_NO_ANSWER) {
      const elapsed = now - t0;
      for (const retry of SYN_RETRIES_MS) if (retry <= elapsed) last = t0 + retry;
    }
    return (last + trans - now) * 8 + state;
  }
  if (now < t2) return (t1 + Math.floor((now - t1) / gap) * gap + est - now) * 8 + ST_ESTABLISHED;
  switch (kind) {
    case K_ZOMBIE:
      return now < t2 + est ? (t2 + est - now) * 8 + ST_ESTABLISHED : (t2 + est + trans - now) * 8 + ST_TRANS;
    case K_RESET:
      return (t2 + trans - now) * 8 + ST_TRANS;
    default: {
      const t3 = t.sT3[s]!;
      if (now < t3) {
        const state = kind === K_CLOSE_V6 ? ST_V6_FIN_RCV : ST_V4_FIN_RCV;
        return (t2 + Math.floor((now - t2) / gap) * gap + est - now) * 8 + state;
      }
      return (t3 + trans - now) * 8 + ST_V4_FIN_V6_FIN_RCV;
    }
  }
}

function activeExpires(t: Table, s: number, now: number, timeout: number): number {
  const t0 = t.sT0[s]!;
  const gap = t.sGap[s]!;
  const last = t0 + Math.floor((Math.min(now, t.sT2[s]!) - t0) / gap) * gap;
  return last + timeout - now;
}

function inspectSim(sim: Sim, epoch: number): DemoInstanceView {
  const count = (f: (t: Table) => number): Record<Protocol, number> => ({
    tcp: f(sim.tables[P_TCP]!),
    udp: f(sim.tables[P_UDP]!),
    icmp: f(sim.tables[P_ICMP]!),
  });
  const tcpStates: Record<string, number> = Object.fromEntries(TCP_STATES.map((s) => [s, 0]));
  const tcp = sim.tables[P_TCP]!;
  const now = sim.lastNow;
  for (let j = 0; j < tcp.total; j++) {
    const b = tcp.owner[j]!;
    if (b < 0) continue;
    for (let s = tcp.bibHead[b]!; s >= 0; s = tcp.sNext[s]!) {
      const name = TCP_STATES[tcpView(tcp, s, now, sim.timeouts.tcpEst, sim.timeouts.tcpTrans) % 8]!;
      tcpStates[name] = (tcpStates[name] ?? 0) + 1;
    }
  }
  return {
    now: epoch + now,
    sessions: count((t) => t.live),
    bibEntries: count((t) => t.bibLive),
    pool4: {
      tcp: { used: tcp.used, total: tcp.total },
      udp: { used: sim.tables[P_UDP]!.used, total: sim.tables[P_UDP]!.total },
      icmp: { used: sim.tables[P_ICMP]!.used, total: sim.tables[P_ICMP]!.total },
    },
    tcpStates,
  };
}

// ---------------------------------------------------------------------------
// Rendering. Each function renders from pool4 position `from` until about
// `budget` characters and returns where to resume: like Jool's netlink dump,
// the cursor is a key, not a pointer, so the table may change in between.

/** Where the next chunk resumes: pool4 position and, inside that BIB entry, the last session key printed (-1: none). */
interface Rendered {
  readonly next: number;
  readonly after: number;
  readonly done: boolean;
}

/**
 * A stdout chunk being filled. The CSV hot path writes ASCII bytes straight
 * into it: building a million rows as JS strings and then encoding them costs
 * several times more than the table walk itself.
 */
interface Sink {
  buf: Uint8Array;
  pos: number;
}

function newSink(size: number): Sink {
  return { buf: new Uint8Array(size), pos: 0 };
}

function reserve(sink: Sink, n: number): void {
  if (sink.pos + n <= sink.buf.length) return;
  const bigger = new Uint8Array(Math.max(sink.buf.length * 2, sink.pos + n));
  bigger.set(sink.buf.subarray(0, sink.pos));
  sink.buf = bigger;
}

function putString(sink: Sink, text: string): void {
  reserve(sink, text.length);
  const buf = sink.buf;
  let pos = sink.pos;
  for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
  sink.pos = pos;
}

/** The filled part of a sink as a Buffer, without copying. */
function sinkBuffer(sink: Sink): Buffer {
  return Buffer.from(sink.buf.buffer, sink.buf.byteOffset, sink.pos);
}

function putBytes(buf: Uint8Array, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[pos++] = src[i]!;
  return pos;
}

function putUint(buf: Uint8Array, pos: number, n: number): number {
  if (n >= 10) {
    let width = 2;
    for (let x = 100; x <= n; x *= 10) width++;
    for (let i = pos + width - 1; i >= pos; i--) {
      buf[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    return pos + width;
  }
  buf[pos] = 48 + n;
  return pos + 1;
}

function put2(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = 48 + Math.floor(n / 10);
  buf[pos + 1] = 48 + (n % 10);
  return pos + 2;
}

/** formatExpires(), byte for byte. */
function putExpires(buf: Uint8Array, pos: number, ms: number): number {
  const hours = Math.floor(ms / 3_600_000);
  let rest = ms - hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  rest -= seconds * 1000;
  pos = putUint(buf, pos, hours);
  buf[pos++] = 58;
  pos = put2(buf, pos, minutes);
  buf[pos++] = 58;
  pos = put2(buf, pos, seconds);
  if (rest !== 0) {
    buf[pos++] = 46;
    buf[pos++] = 48 + Math.floor(rest / 100);
    pos = put2(buf, pos, rest % 100);
  }
  return pos;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const REMOTE_V4_BYTES = REMOTE_V4_STR.map(ascii);
const REMOTE_V6_BYTES = REMOTE_V6_STR.map(ascii);
const STATE_BYTES = TCP_STATES.map(ascii);
const PROTO_BYTES = PROTO_NAME.map(ascii);
const COMMA = 44;
const NEWLINE = 10;
/** Longest CSV session row: two full IPv6 addresses, two IPv4s, four ports, a long deadline and a state. */
const MAX_ROW = 256;

function renderSessions(sim: Sim, t: Table, sink: Sink, from: number, after: number, now: number, budget: number, csv: boolean): Rendered {
  const { tcpEst: est, tcpTrans: trans, udp: udpTimeout, icmp: icmpTimeout } = sim.timeouts;
  const clientBytes = sim.topo.clientBytes;
  const addrBytes = t.addrBytes;
  const proto = t.proto;
  const owner = t.owner;
  const perAddr = t.perAddr;
  const sNext = t.sNext;
  const sKey = t.sKey;
  const sEnd = t.sEnd;
  const protoBytes = PROTO_BYTES[proto]!;
  for (let j = from; j < t.total; j++) {
    if (sink.pos >= budget) return { next: j, after: -1, done: false };
    const b = owner[j]!;
    if (b < 0) continue;
    const client = t.bibClient[b]!;
    const v6port = t.bibV6Port[b]!;
    const addr = Math.floor(j / perAddr);
    const v4port = POOL_FIRST_PORT + (j % perAddr);
    // A peer-to-peer BIB entry can hold hundreds of sessions, so a chunk may end inside one.
    const skipUpTo = j === from ? after : -1;
    let last = skipUpTo;
    for (let s = t.bibHead[b]!; s >= 0; s = sNext[s]!) {
      const key = sKey[s]!;
      if (key <= skipUpTo || sEnd[s]! <= now) continue;
      if (sink.pos >= budget) return { next: j, after: last, done: false };
      last = key;
      const remote = key >>> 16;
      let expires: number;
      let state = 0;
      if (proto === P_TCP) {
        const view = tcpView(t, s, now, est, trans);
        state = view % 8;
        expires = (view - state) / 8;
      } else {
        expires = activeExpires(t, s, now, proto === P_UDP ? udpTimeout : icmpTimeout);
      }
      // ICMP: the identifier stands in for the port on each side.
      const localPort = proto === P_ICMP ? v6port : key & 0xffff;
      const remotePort = proto === P_ICMP ? v4port : localPort;
      if (!csv) {
        const prefix = proto === P_TCP ? '(' + TCP_STATES[state]! + ') ' : '';
        putString(
          sink,
          prefix + 'Expires in ' + formatExpires(expires) + '\n' +
            'Remote: ' + REMOTE_V4_STR[remote]! + '#' + remotePort + '\t' + sim.topo.clientStr[client]! + '#' + v6port + '\n' +
            'Local: ' + t.addrStr[addr]! + '#' + v4port + '\t' + REMOTE_V6_STR[remote]! + '#' + localPort + '\n' +
            '---------------------------------\n',
        );
        continue;
      }
      reserve(sink, MAX_ROW);
      const buf = sink.buf;
      let pos = putBytes(buf, sink.pos, protoBytes);
      buf[pos++] = COMMA;
      pos = putBytes(buf, pos, clientBytes[client]!);
      buf[pos++] = COMMA;
      pos = putUint(buf, pos, v6port);
      buf[pos++] = COMMA;
      pos = putBytes(buf, pos, REMOTE_V6_BYTES[remote]!);
      buf[pos++] = COMMA;
      pos = putUint(buf, pos, localPort);
      buf[pos++] = COMMA;
      pos = putBytes(buf, pos, addrBytes[addr]!);
      buf[pos++] = COMMA;
      pos = putUint(buf, pos, v4port);
      buf[pos++] = COMMA;
      pos = putBytes(buf, pos, REMOTE_V4_BYTES[remote]!);
      buf[pos++] = COMMA;
      pos = putUint(buf, pos, remotePort);
      buf[pos++] = COMMA;
      pos = putExpires(buf, pos, expires);
      if (proto === P_TCP) {
        buf[pos++] = COMMA;
        pos = putBytes(buf, pos, STATE_BYTES[state]!);
      }
      buf[pos++] = NEWLINE;
      sink.pos = pos;
    }
  }
  return { next: t.total, after: -1, done: true };
}

function renderBib(sim: Sim, t: Table, sink: Sink, from: number, budget: number, csv: boolean): Rendered {
  const name = PROTO_NAME[t.proto]!;
  let j = from;
  for (; j < t.total && sink.pos < budget; j++) {
    const b = t.owner[j]!;
    if (b < 0) continue;
    const v6 = sim.topo.clientStr[t.bibClient[b]!]!;
    const v6port = t.bibV6Port[b]!;
    const v4 = t.addrStr[Math.floor(j / t.perAddr)]!;
    const v4port = POOL_FIRST_PORT + (j % t.perAddr);
    const isStatic = t.bibStatic[b] === 1;
    putString(
      sink,
      csv
        ? name + ',' + v6 + ',' + v6port + ',' + v4 + ',' + v4port + ',' + (isStatic ? '1' : '0') + '\n'
        : '[' + (isStatic ? 'Static ' : 'Dynamic ') + name + '] ' + v4 + '#' + v4port + ' - ' + v6 + '#' + v6port + '\n',
    );
  }
  return { next: j, after: -1, done: j >= t.total };
}

const POOL4_SEPARATOR = '+------------+-------+--------------------+-----------------+-------------+\n';

function renderPool4(t: Table, csv: boolean): string {
  const name = PROTO_NAME[t.proto]!;
  const max = POOL_FIRST_PORT + t.perAddr - 1;
  let out = '';
  for (let a = 0; a < t.nAddr; a++) {
    const addr = t.addrStr[a]!;
    if (csv) {
      out += `0,${name},${addr},${POOL_FIRST_PORT},${max},${t.iterations},0\n`;
    } else {
      const ports = `${String(POOL_FIRST_PORT).padStart(5)}-${String(max).padStart(5)}`;
      out +=
        a === 0
          ? POOL4_SEPARATOR + `| ${'0'.padStart(10)} | ${name.padStart(5)} | ${String(t.iterations).padStart(10)} ( auto) | ${addr.padStart(15)} | ${ports} |\n`
          : `| ${''.padStart(10)} | ${''.padStart(5)} | ${''.padStart(10)}  ${''.padStart(5)}  | ${addr.padStart(15)} | ${ports} |\n`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Command line: the jool client's getopt (main) and argp (per operation) behaviour.

interface CommandContext {
  readonly cfg: Config;
  readonly simFor: (name: string) => Sim | undefined;
  readonly clock: () => number;
}

/** What a command body sees: stderr, and whether the call was killed. */
interface CallIo {
  err(text: string): void;
  readonly killed: () => boolean;
  /** Resolves when the call is killed; lets a hung body wait without polling. */
  readonly whenKilled: Promise<void>;
}

type Body = (io: CallIo) => AsyncGenerator<Buffer, JoolExitLike, void>;
interface JoolExitLike {
  readonly exitCode: number | null;
  readonly signal?: NodeJS.Signals | null;
}

const JOOL_VERSION = '4.1.9.0';
const EXIT_EINVAL = 234; // jool returns -EINVAL from main
const EXIT_USAGE = 64; // argp's EX_USAGE

const MODES: readonly (readonly [string, readonly string[]])[] = [
  ['instance', ['display', 'add', 'remove', 'flush', 'status']],
  ['stats', ['display']],
  ['global', ['display', 'update']],
  ['pool4', ['display', 'add', 'remove', 'flush']],
  ['bib', ['display', 'add', 'remove']],
  ['session', ['display']],
  ['file', ['handle']],
  ['joold', ['advertise']],
];

// main.c's show_usage() and show_help(), for program name "jool".
const MAIN_USAGE = 'jool (\n        [<ARGP1>] <MODE> <OPERATION> [<ARGP2>]\n        | [-h|--help]\n        | (-V|--version)\n        | --usage\n)\n';
const MAIN_HELP =
  'Usage\n=====\n' + MAIN_USAGE + '\n' +
  '<ARGP1>\n=======\nEither (--instance|-i) <INSTANCE> or (--file|-f) <FILE>.\n- <INSTANCE> is the instance name\n' +
  '- <FILE> is a path to a JSON file that contains the instance name\n\n' +
  '<MODE>s -> <OPERATION>s\n=======================\n' +
  MODES.map(([mode, ops]) => `- ${mode} -> ${ops.map((op) => op + ' ').join('')}\n`).join('') + '\n' +
  '<ARGP2>\n======\nDepends on <MODE> and <OPERATION>. Normally, see respective --help for details.\n' +
  '(Example: jool instance add --help)\n\nReport bugs to jool@nic.mx.\n';

interface OptSpec {
  readonly long: string;
  readonly short?: string;
  readonly doc: string;
}

const OPT_CSV: OptSpec = { long: 'csv', doc: 'Print in CSV format' };
const OPT_NO_HEADERS: OptSpec = { long: 'no-headers', doc: 'Do not print table headers' };
const OPT_NUMERIC: OptSpec = { long: 'numeric', doc: 'Do not resolve names' };
const OPT_TCP: OptSpec = { long: 'tcp', short: 't', doc: 'Print the TCP table (default)' };
const OPT_UDP: OptSpec = { long: 'udp', short: 'u', doc: 'Print the UDP table' };
const OPT_ICMP: OptSpec = { long: 'icmp', short: 'i', doc: 'Print the ICMP table' };
const DISPLAY_OPTS: Record<string, readonly OptSpec[]> = {
  session: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV, OPT_NUMERIC],
  bib: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV, OPT_NUMERIC],
  pool4: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV],
  stats: [
    { long: 'all', short: 'a', doc: 'Do not filter out zero stats' },
    { long: 'explain', short: 'e', doc: 'Print a description of what each stat means' },
    OPT_NO_HEADERS,
    OPT_CSV,
  ],
  instance: [OPT_NO_HEADERS, OPT_CSV],
  global: [OPT_NO_HEADERS, OPT_CSV],
};
const ARGP_BUILTINS: readonly OptSpec[] = [
  { long: 'help', short: '?', doc: 'Give this help list' },
  { long: 'usage', doc: 'Give a short usage message' },
  { long: 'version', short: 'V', doc: 'Print program version' },
];

// argp lists options by name, byte order (not the locale's).
const byLongName = (x: OptSpec, y: OptSpec): number => (x.long < y.long ? -1 : x.long > y.long ? 1 : 0);

function argpHelp(prog: string, specs: readonly OptSpec[]): string {
  const line = (o: OptSpec): string => ((o.short ? `  -${o.short}, ` : '      ') + `--${o.long}`).padEnd(29) + o.doc + '\n';
  const sorted = [...specs].sort(byLongName);
  return `Usage: ${prog} [OPTION...]\n\n` + sorted.map(line).join('') + ARGP_BUILTINS.map(line).join('') + '\nReport bugs to jool@nic.mx.\n';
}

function argpUsage(prog: string, specs: readonly OptSpec[]): string {
  const all = [...[...specs].sort(byLongName), ...ARGP_BUILTINS];
  const shorts = [...specs.filter((o) => o.short).map((o) => o.short!).sort(), '?', 'V'].join('');
  const tokens = [`[-${shorts}]`, ...all.map((o) => `[--${o.long}]`)];
  let out = `Usage: ${prog}`;
  let col = out.length;
  for (const token of tokens) {
    if (col + 1 + token.length > 79) {
      out += '\n            ' + token;
      col = 12 + token.length;
    } else {
      out += ' ' + token;
      col += 1 + token.length;
    }
  }
  return out + '\n';
}

type Parsed =
  | { readonly kind: 'ok'; readonly flags: ReadonlySet<string>; readonly proto: number }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

/** argp_parse() as the jool client calls it: long-option prefixes, bundled short flags, errors to EX_USAGE. */
function parseArgp(prog: string, specs: readonly OptSpec[], args: readonly string[]): Parsed {
  const tryHelp = `Try \`${prog} --help' or \`${prog} --usage' for more information.\n`;
  const usageError = (msg: string): Parsed => ({ kind: 'exit', code: EXIT_USAGE, stdout: '', stderr: `${prog}: ${msg}\n${tryHelp}` });
  const flags = new Set<string>();
  let proto = -1;
  let positional = 0;
  const apply = (o: OptSpec): Parsed | undefined => {
    switch (o.long) {
      case 'help':
        return { kind: 'exit', code: 0, stdout: argpHelp(prog, specs), stderr: '' };
      case 'usage':
        return { kind: 'exit', code: 0, stdout: argpUsage(prog, specs), stderr: '' };
      case 'version':
        return { kind: 'exit', code: 0, stdout: JOOL_VERSION + '\n', stderr: '' };
      case 'tcp':
      case 'udp':
      case 'icmp':
        if (proto >= 0) return { kind: 'exit', code: EXIT_EINVAL, stdout: '', stderr: 'Error: Only one protocol is allowed per request.\n' };
        proto = o.long === 'tcp' ? P_TCP : o.long === 'udp' ? P_UDP : P_ICMP;
        return undefined;
      default:
        flags.add(o.long);
        return undefined;
    }
  };
  const known = [...specs, ...ARGP_BUILTINS];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional += args.length - i - 1;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const exact = known.find((o) => o.long === name);
      const candidates = exact ? [exact] : known.filter((o) => o.long.startsWith(name));
      if (candidates.length === 0) return usageError(`unrecognized option '${arg}'`);
      if (candidates.length > 1) {
        return usageError(`option '--${name}' is ambiguous; possibilities:` + candidates.map((o) => ` '--${o.long}'`).join(''));
      }
      const o = candidates[0]!;
      if (eq >= 0) return usageError(`option '--${o.long}' doesn't allow an argument`);
      const r = apply(o);
      if (r) return r;
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (const ch of arg.slice(1)) {
        const o = known.find((k) => k.short === ch);
        if (!o) return usageError(`invalid option -- '${ch}'`);
        const r = apply(o);
        if (r) return r;
      }
    } else {
      positional++;
    }
  }
  // argp permutes non-options to the end, so they are complained about last.
  if (positional > 0) return usageError('Too many arguments');
  return { kind: 'ok', flags, proto: proto < 0 ? P_TCP : proto };
}

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Parses argv like jool's main() and returns the body of the simulated process. */
function runCommand(ctx: CommandContext, argv: readonly string[]): Body {
  const fixed = (code: number, stdout: string, stderr = ''): Body =>
    async function* (io) {
      if (stderr) io.err(stderr);
      if (stdout) yield bytes(stdout);
      return { exitCode: code };
    };

  if (argv.length === 0) return fixed(0, MAIN_HELP);

  // getopt_long("+?Vi:f:"): stops at the first non-option; any getopt error prints the help (and exits 0).
  let iname: string | undefined;
  let i = 0;
  const mainLong = ['help', 'version', 'usage', 'instance', 'file'];
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    let opt: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const matches = mainLong.includes(name) ? [name] : mainLong.filter((o) => o.startsWith(name));
      if (matches.length !== 1) {
        const msg = matches.length === 0 ? `unrecognized option '${arg}'` : `option '${arg}' is ambiguous`;
        return fixed(0, MAIN_HELP, `jool: ${msg}\n`);
      }
      opt = matches[0]!;
      const takesArg = opt === 'instance' || opt === 'file';
      if (eq >= 0 && !takesArg) return fixed(0, MAIN_HELP, `jool: option '--${opt}' doesn't allow an argument\n`);
      if (takesArg) {
        value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined) return fixed(0, MAIN_HELP, `jool: option '--${opt}' requires an argument\n`);
      }
    } else {
      const ch = arg[1]!;
      if (ch === 'i' || ch === 'f') {
        value = arg.length > 2 ? arg.slice(2) : argv[++i];
        if (value === undefined) return fixed(0, MAIN_HELP, `jool: option requires an argument -- '${ch}'\n`);
        opt = ch === 'i' ? 'instance' : 'file';
      } else if (ch === 'V') {
        opt = 'version';
      } else if (ch === '?') {
        opt = 'help';
      } else {
        return fixed(0, MAIN_HELP, `jool: invalid option -- '${ch}'\n`);
      }
    }
    if (opt === 'help') return fixed(0, MAIN_HELP);
    if (opt === 'version') return fixed(0, JOOL_VERSION + '\n');
    if (opt === 'usage') return fixed(0, MAIN_USAGE);
    if (opt === 'file') {
      // Deliberate difference: the demo has no file system to read an instance name from.
      return fixed(EXIT_EINVAL, '', `Error: The demo jool does not support --file ('${value}'); use --instance.\n`);
    }
    iname = value;
  }

  const rest = argv.slice(i);
  const match = <T extends string>(labels: readonly T[], token: string): T | string => {
    if (labels.includes(token as T)) return token;
    const found = labels.filter((l) => l.startsWith(token));
    if (found.length === 0) return `Unexpected token: '${token}'\nAvailable options: ${labels.map((l) => l + ' ').join('')}\n`;
    if (found.length > 1) return `Ambiguous token: '${token}'\nAvailable options: ${found.map((l) => l + ' ').join('')}\n`;
    return found[0]!;
  };
  const modeLabels = MODES.map((m) => m[0]);
  if (rest.length === 0) {
    return fixed(EXIT_EINVAL, '', `More arguments expected.\nPossible follow-ups: ${modeLabels.map((l) => l + ' ').join('')}\n`);
  }
  const mode = match(modeLabels, rest[0]!);
  if (!modeLabels.includes(mode)) return fixed(EXIT_EINVAL, '', mode);
  const ops = MODES.find((m) => m[0] === mode)![1];
  if (rest.length === 1) return fixed(EXIT_EINVAL, '', `More arguments expected.\nPossible follow-ups: ${ops.map((l) => l + ' ').join('')}\n`);
  const op = match(ops, rest[1]!);
  if (!ops.includes(op)) return fixed(EXIT_EINVAL, '', op);
  if (op !== 'display') {
    // Deliberate difference: the demo is read-only; it simulates the display operations only.
    return fixed(EXIT_USAGE, '', `${op}: the demo jool does not simulate '${mode} ${op}'\n`);
  }

  const parsed = parseArgp('display', DISPLAY_OPTS[mode]!, rest.slice(2));
  if (parsed.kind === 'exit') return fixed(parsed.code, parsed.stdout, parsed.stderr);
  const csv = parsed.flags.has('csv');
  const noHeaders = parsed.flags.has('no-headers');
  const csvHeader = csv && !noHeaders;

  switch (mode) {
    case 'instance':
      return instanceDisplay(ctx, csv, noHeaders, iname !== undefined);
    case 'stats':
      if (parsed.flags.has('explain')) {
        // Deliberate difference: the 69 explanations are not bundled.
        return fixed(EXIT_USAGE, '', "display: the demo jool does not implement '--explain'\n");
      }
      return instanceTable(ctx, iname, csvHeader ? 'Stat,Value\n' : '', (sim) => statsBody(ctx, sim, csv, parsed.flags.has('all')));
    case 'global':
      return instanceTable(ctx, iname, csvHeader ? 'Field,Value\n' : '', () => globalBody(ctx.cfg.timeouts, csv));
    case 'pool4': {
      const header = noHeaders
        ? ''
        : csv
          ? 'Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed\n'
          : POOL4_SEPARATOR + '|       Mark | Proto |     Max iterations |         Address |       Ports |\n';
      return instanceTable(ctx, iname, header, (sim) => {
        const t = sim.tables[parsed.proto]!;
        return fixedTail(renderPool4(t, csv) + (csv ? '' : POOL4_SEPARATOR));
      });
    }
    case 'bib':
      return instanceTable(
        ctx,
        iname,
        csvHeader ? 'Protocol,IPv6 Address,IPv6 L4-ID,IPv4 Address,IPv4 L4-ID,Static?\n' : '',
        (sim) => tableStream(ctx, sim, (sink, from, _after, _now, budget) => renderBib(sim, sim.tables[parsed.proto]!, sink, from, budget, csv)),
      );
    default:
      return instanceTable(
        ctx,
        iname,
        // Text mode prints its dash line whatever --no-headers says.
        csv ? (noHeaders ? '' : SESSION_CSV_HEADER + '\n') : '---------------------------------\n',
        (sim) => tableStream(ctx, sim, (sink, from, after, now, budget) =>
          renderSessions(sim, sim.tables[parsed.proto]!, sink, from, after, now, budget, csv),
        ),
      );
  }
}

type Tail = (io: CallIo, first: string) => AsyncGenerator<Buffer, JoolExitLike, void>;

function fixedTail(text: string): Tail {
  return async function* (_io, first) {
    const all = first + text;
    if (all) yield bytes(all);
    return { exitCode: 0 };
  };
}

/**
 * The shape every instance-bound command shares in the real client: the
 * header is printed before the kernel is asked, so a bad or unknown instance
 * name fails after it.
 */
function instanceTable(ctx: CommandContext, iname: string | undefined, header: string, tail: (sim: Sim) => Tail): Body {
  return async function* (io) {
    const name = iname ?? 'default';
    const fail = (code: number, msg: string) => {
      io.err(`Error: ${msg}\n`);
      return { exitCode: code };
    };
    if (!validInstanceName(name)) {
      if (header) yield bytes(header);
      return fail(EXIT_EINVAL, 'The instance name must be a null-terminated ascii string, 15 characters max.');
    }
    const sim = ctx.simFor(name);
    if (sim === undefined) {
      if (header) yield bytes(header);
      return fail(3, `The kernel module returned error 3: This namespace lacks an instance named '${name}'.`);
    }
    return yield* tail(sim)(io, header);
  };
}

/** Streams a big table in ~chunkBytes pieces, yielding to the event loop in between. */
type Render = (sink: Sink, from: number, after: number, now: number, budget: number) => Rendered;

function tableStream(ctx: CommandContext, sim: Sim, render: Render): Tail {
  return async function* (io, first) {
    const budget = ctx.cfg.chunkBytes;
    let sink = newSink(budget + MAX_ROW);
    putString(sink, first);
    let from = 0;
    let after = -1;
    for (;;) {
      // Like each netlink batch of a real dump, every chunk reads the table as it is now.
      const now = sim.advance(ctx.clock());
      const r = render(sink, from, after, now, budget);
      if (sink.pos >= budget || r.done) {
        if (sink.pos > 0) yield sinkBuffer(sink);
        sink = newSink(budget + MAX_ROW);
      }
      if (r.done) return { exitCode: 0 };
      from = r.next;
      after = r.after;
      await immediate();
      if (io.killed()) return { exitCode: null };
    }
  };
}

function statsBody(ctx: CommandContext, sim: Sim, csv: boolean, all: boolean): Tail {
  return async function* (_io, first) {
    sim.advance(ctx.clock());
    let out = first;
    for (let i = 0; i < JSTAT_NAMES.length; i++) {
      const value = sim.stats[i]!;
      if (!all && value === 0) continue;
      out += csv ? `${JSTAT_NAMES[i]},${value}\n` : `${JSTAT_NAMES[i]}: ${value}\n`;
    }
    if (out) yield bytes(out);
    return { exitCode: 0 };
  };
}

/** `global display`: Jool's defaults (as captured from 4.1.9) with the demo's timeouts. */
function globalBody(timeouts: DemoTimeouts, csv: boolean): Tail {
  const hms = (ms: number): string => formatExpires(Math.floor(ms / 1000) * 1000);
  const fields: readonly (readonly [string, string | boolean | number])[] = [
    ['manually-enabled', true],
    ['pool6', '64:ff9b::/96'],
    ['lowest-ipv6-mtu', 1280],
    ['logging-debug', false],
    ['zeroize-traffic-class', false],
    ['override-tos', false],
    ['tos', 0],
    ['mtu-plateaus', '65535,32000,17914,8166,4352,2002,1492,1006,508,296,68'],
    ['address-dependent-filtering', false],
    ['drop-externally-initiated-tcp', false],
    ['drop-icmpv6-info', false],
    ['source-icmpv6-errors-better', true],
    ['f-args', 11],
    ['handle-rst-during-fin-rcv', false],
    ['tcp-est-timeout', hms(timeouts.tcpEst)],
    ['tcp-trans-timeout', hms(timeouts.tcpTrans)],
    ['udp-timeout', hms(timeouts.udp)],
    ['icmp-timeout', hms(timeouts.icmp)],
    ['logging-bib', false],
    ['logging-session', false],
    ['maximum-simultaneous-opens', 10],
    ['ss-enabled', false],
    ['ss-flush-asap', true],
    ['ss-flush-deadline', 2000],
    ['ss-capacity', 512],
    ['ss-max-payload', 1452],
  ];
  let text = '';
  for (const [key, value] of fields) {
    if (csv) {
      const v = typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : key === 'mtu-plateaus' ? `"${value}"` : String(value);
      text += `${key},${v}\n`;
    } else {
      let v = String(value);
      if (key === 'f-args') v = '11 (0b1011): SrcAddr:1 SrcPort:0 DstAddr:1 DstPort:1';
      else if (key.endsWith('-timeout')) v += ' (HH:MM:SS)';
      text += `  ${key}: ${v}\n`;
    }
  }
  return fixedTail(text);
}

function instanceDisplay(ctx: CommandContext, csv: boolean, noHeaders: boolean, warnInstance: boolean): Body {
  return async function* (io) {
    if (warnInstance) io.err('Warning: instance display ignores -i.\n');
    const divisor = '+--------------------+-----------------+-----------+\n';
    let out = '';
    if (!noHeaders) out += csv ? 'Namespace,Name,Framework\n' : divisor + '|          Namespace |            Name | Framework |\n';
    if (!csv) out += divisor;
    for (const name of ctx.cfg.instances) {
      out += csv
        ? `${ctx.cfg.namespaceId},${name},netfilter\n`
        : `| ${ctx.cfg.namespaceId.padStart(18)} | ${name.padStart(15)} | netfilter |\n`;
    }
    if (!csv) out += divisor;
    yield bytes(out);
    return { exitCode: 0 };
  };
}

// ---------------------------------------------------------------------------
// Faults

function faultBody(ctx: CommandContext, argv: readonly string[], fault: DemoFault): Body {
  switch (fault) {
    case 'exit':
      return async function* (io) {
        io.err(
          "Error: Jool's socket family doesn't seem to exist.\n(This probably means Jool hasn't been modprobed.)\nNetlink error message: Object not found\n",
        );
        return { exitCode: 253 };
      };
    case 'hang':
      return async function* (io) {
        await io.whenKilled;
        return { exitCode: null };
      };
    case 'garbage':
      return async function* () {
        yield bytes(
          SESSION_CSV_HEADER + '\n' +
            'TCP,2001:db8::1,not-a-port,64:ff9b::c633:6401,443,192.0.2.1,1024\n' +
            'UDP,2001:db8::2,40000,64:ff9b::c633:6401,53,192.0.2.1,70000,198.51.100.1,53,99:99:99.9999,EXTRA,FIELDS\n',
        );
        yield Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]);
        return { exitCode: 0 };
      };
    case 'crash':
      return async function* (io) {
        const inner = runCommand(ctx, argv)(io);
        const first = await inner.next();
        if (!first.done) {
          const half = first.value.subarray(0, Math.max(1, Math.floor(first.value.length / 2)));
          yield half;
        }
        await inner.return({ exitCode: null });
        return { exitCode: null, signal: 'SIGSEGV' };
      };
  }
}

// ---------------------------------------------------------------------------
// The process stand-in: stdout as an async iterable, exit once it is drained.

function startCall(body: Body, timeoutMs: number): JoolCall {
  let stderr = '';
  let finished = false;
  let onKilled!: () => void;
  const whenKilled = new Promise<void>((resolve) => (onKilled = resolve));
  let settle!: (exit: JoolExit) => void;
  const exit = new Promise<JoolExit>((resolve) => (settle = resolve));
  let timer: NodeJS.Timeout | undefined;

  const finish = (e: JoolExit): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    settle(e);
    onKilled();
  };
  const kill = (timedOut: boolean): void => {
    finish({
      exitCode: null,
      signal: 'SIGKILL',
      stderr,
      ...(timedOut ? { failure: 'timeout' as const, message: `jool ran longer than ${timeoutMs} ms` } : {}),
    });
  };
  if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
    timer = setTimeout(() => kill(true), Math.min(timeoutMs, 2 ** 31 - 1));
  }

  const io: CallIo = {
    err(text) {
      if (stderr.length < 65_536) stderr += text;
    },
    killed: () => finished,
    whenKilled,
  };

  async function* stdout(): AsyncGenerator<Buffer, void, void> {
    const gen = body(io);
    try {
      for (;;) {
        if (finished) return;
        let r: IteratorResult<Buffer, JoolExitLike>;
        try {
          r = await gen.next();
        } catch (error) {
          // A bug in the simulation must look like a crashed process, not an exception in the exporter.
          io.err(`demo jool: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
          finish({ exitCode: null, signal: 'SIGABRT', stderr });
          return;
        }
        if (finished) return;
        if (r.done) {
          finish({ exitCode: r.value.exitCode, signal: r.value.signal ?? null, stderr });
          return;
        }
        yield r.value;
      }
    } finally {
      // The reader walked away mid-stream: a real process would die of SIGPIPE on its next write.
      if (!finished) finish({ exitCode: null, signal: 'SIGPIPE', stderr });
      await gen.return({ exitCode: null });
    }
  }

  return { stdout: stdout(), exit, abort: () => kill(false) };
}
