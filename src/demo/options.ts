/** The demo's options as callers give them, and resolved with Jool's defaults. */
import { hash32 } from './random.js';

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

export interface Config {
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

export function resolveOptions(o: DemoOptions): Config {
  const scale = o.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`demo scale must be a positive number, got ${scale}`);
  // A name Jool could not hold is left out, so using it fails per call (exit 234) like the real client.
  const instances = [...new Set(o.instances ?? ['default'])].filter(validInstanceName);
  const timeouts = { ...JOOL_DEFAULT_TIMEOUTS, ...o.timeouts };
  for (const [key, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value < 2000) {
      throw new RangeError(`demo timeout ${key} must be a whole number of ms, at least 2000`);
    }
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

export function validInstanceName(name: string): boolean {
  // Jool's iname_validate: at most 15 printable ASCII characters (16 with the NUL).
  return name.length <= 15 && /^[\x20-\x7e]*$/.test(name);
}
