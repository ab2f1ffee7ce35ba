/**
 * One simulated Jool instance. The simulation is lazy: nothing runs in the
 * background. Every command first advances the model to the injected clock,
 * in whole one-second steps, so the same seed and the same sequence of clock
 * readings give the same output.
 */
import { type Protocol, TCP_STATES } from '../model.js';
import { JSTAT_NAMES, S_BIB_ENTRIES, S_SESSIONS } from './jool-stats.js';
import { tcpView } from './lifecycle.js';
import type { Config, DemoTimeouts } from './options.js';
import { createRng } from './random.js';
import { createTable, expireThrough, P_ICMP, P_TCP, P_UDP, poolShape, type Table } from './table.js';
import { buildTopology, type Topology } from './topology.js';
import { STEP_MS, step, type World } from './traffic.js';

/** Past this gap (a suspended laptop, a clock jump) older traffic is not replayed. */
const MAX_CATCHUP_MS = 3 * 3_600_000;

export interface Sim {
  readonly tables: readonly Table[];
  readonly topo: Topology;
  readonly stats: Float64Array;
  readonly timeouts: DemoTimeouts;
  /** Advances to `t` (ms relative to the runner's epoch) and returns the time to print at. */
  advance(t: number): number;
  lastNow: number;
}

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

export function createSim(cfg: Config, instanceIndex: number): Sim {
  const rng = createRng(cfg.seed + instanceIndex * 0x9e3779b9);
  const scale = cfg.scale;
  // Each instance gets its own pool4 addresses (the TCP pool is the largest).
  const addrOffset = instanceIndex * poolShape(P_TCP, scale).nAddr;
  const tcp = createTable(P_TCP, scale, addrOffset);
  const udp = createTable(P_UDP, scale, addrOffset);
  const icmp = createTable(P_ICMP, scale, addrOffset);
  const tables = [tcp, udp, icmp];
  const topo = buildTopology(rng, scale, instanceIndex, tcp);
  const stats = new Float64Array(JSTAT_NAMES.length);
  const world: World = { rng, scale, rampMs: cfg.rampMs, timeouts: cfg.timeouts, tcp, udp, icmp, topo, stats, horizon: 0 };

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
      world.horizon = t;
      if (t - stepStart > MAX_CATCHUP_MS) stepStart = Math.floor((t - MAX_CATCHUP_MS) / STEP_MS) * STEP_MS;
      while (stepStart + STEP_MS <= t) {
        for (const table of tables) expireThrough(table, stepStart);
        step(world, stepStart);
        stepStart += STEP_MS;
      }
      for (const table of tables) expireThrough(table, t);
      countLive(tables, stats);
      return t;
    },
  };
  sim.advance(0);
  return sim;
}

/** BIB entries and sessions are gauges in Jool (entries held now), unlike every other counter. */
function countLive(tables: readonly Table[], stats: Float64Array): void {
  let bibs = 0;
  let sessions = 0;
  for (const table of tables) {
    bibs += table.bibLive;
    sessions += table.live;
  }
  stats[S_BIB_ENTRIES] = bibs;
  stats[S_SESSIONS] = sessions;
}

export function inspectSim(sim: Sim, epoch: number): DemoInstanceView {
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
