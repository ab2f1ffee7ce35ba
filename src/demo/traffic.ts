/**
 * The traffic model: each simulated second, Poisson arrivals of TCP, UDP,
 * peer-to-peer and ICMP flows, each drawn with its whole future and booked
 * into the tables and Jool's counters. The order of random draws is part of
 * the output (same seed, same tables), so keep it when editing.
 */
import { NOISE, S_BIB6_NOT_FOUND, S_RECEIVED4, S_RECEIVED6, S_SUCCESS, S_TYPE1PKT } from './jool-stats.js';
import {
  K_ACTIVE,
  K_CLOSE_V4,
  K_CLOSE_V6,
  K_NO_ANSWER,
  K_RESET,
  K_V4_INITIATED,
  K_V4_SCAN,
  K_ZOMBIE,
  SYN_RETRIES_MS,
} from './lifecycle.js';
import type { DemoTimeouts } from './options.js';
import { buildWeighted, logNormal, poisson, type Rng, randInt, sampleAlias } from './random.js';
import { addSession, allocBib, P_TCP, type Table } from './table.js';
import { DNS_RESOLVERS, NTP_SERVERS, REMOTE_COUNT, type Topology } from './topology.js';

export const STEP_MS = 1000;
const BASE_LOAD = 0.35;
const TWO_PI = 2 * Math.PI;

/** Flows per second at scale 1 and full load. Tuned so the busiest pools hover around 90%. */
const RATE = { tcpOut: 7.0, tcpInPerServer: 0.05, udp: 2.5, p2pPerHost: 0.35, icmp: 1.2 };

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

/** What the traffic of one instance writes to. */
export interface World {
  readonly rng: Rng;
  readonly scale: number;
  readonly rampMs: number;
  readonly timeouts: DemoTimeouts;
  readonly tcp: Table;
  readonly udp: Table;
  readonly icmp: Table;
  readonly topo: Topology;
  readonly stats: Float64Array;
  /** Time of the latest look at the table: flows over by then are only counted. */
  horizon: number;
}

function bump(w: World, stat: number, n: number): void {
  w.stats[stat] = w.stats[stat]! + n;
}

/** Load factor at time t: a morning ramp from 35% to 100% plus two slow waves, so the pool breathes. */
function demand(rampMs: number, t: number): number {
  const ramp = rampMs === 0 ? 1 : t <= 0 ? BASE_LOAD : 1 - (1 - BASE_LOAD) * Math.exp(-t / rampMs);
  const wave = 1 + 0.1 * Math.sin((TWO_PI * t) / 1_020_000) + 0.04 * Math.sin((TWO_PI * t) / 318_000 + 1);
  return ramp * wave;
}

/** Simulates the second that starts at `a`. */
export function step(w: World, a: number): void {
  const { rng, scale, topo } = w;
  const g = demand(w.rampMs, a + STEP_MS / 2);
  const perStep = (STEP_MS / 1000) * g;
  let n = poisson(rng, RATE.tcpOut * scale * perStep);
  for (let i = 0; i < n; i++) tcpOutbound(w, a + randInt(rng, STEP_MS));
  n = poisson(rng, RATE.tcpInPerServer * topo.servers.length * perStep);
  for (let i = 0; i < n; i++) tcpInbound(w, a + randInt(rng, STEP_MS));
  n = poisson(rng, RATE.udp * scale * perStep);
  for (let i = 0; i < n; i++) udpFlow(w, a + randInt(rng, STEP_MS));
  n = poisson(rng, RATE.p2pPerHost * topo.p2p.length * perStep);
  for (let i = 0; i < n; i++) p2pFlow(w, a + randInt(rng, STEP_MS));
  n = poisson(rng, RATE.icmp * scale * perStep);
  for (let i = 0; i < n; i++) icmpFlow(w, a + randInt(rng, STEP_MS));
  for (const [stat, rate, six] of NOISE) {
    const k = poisson(rng, rate * scale * perStep);
    bump(w, stat, k);
    bump(w, six ? S_RECEIVED6 : S_RECEIVED4, k);
  }
}

function pickClient(w: World): number {
  const s = sampleAlias(w.topo.subAlias, w.rng);
  return w.topo.subFirst[s]! + randInt(w.rng, w.topo.subCount[s]!);
}

function ephemeral(w: World, client: number): number {
  return w.topo.clientWindows[client] === 1 ? 49152 + randInt(w.rng, 16384) : 32768 + randInt(w.rng, 28232);
}

/** Books a flow's packets, finds/creates its BIB entry and adds the session unless it is over before anyone can look. */
function flow(
  w: World,
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
): void {
  const start = randInt(w.rng, t.total);
  if (end > w.horizon) {
    let b = t.bibMap.get(client * 65536 + v6port);
    if (b === undefined) {
      b = allocBib(t, client, v6port, start, false);
      if (b < 0) {
        // pool4 exhausted: Jool drops the packet (and the client's retries) without a BIB entry.
        const tries = t.proto === P_TCP ? 3 : 1;
        bump(w, S_RECEIVED6, tries);
        bump(w, S_BIB6_NOT_FOUND, tries);
        return;
      }
    }
    addSession(t, b, key, kind, gap, t0, t1, t2, t3, end);
  }
  // (Born and dead between two looks at the table, a flow shows only in the counters.)
  bump(w, S_RECEIVED6, packets6);
  bump(w, S_RECEIVED4, packets4);
  bump(w, S_SUCCESS, packets6 + packets4);
}

/** Kind, duration and packet gap of an outbound TCP connection that got an answer. */
function tcpShape(rng: Rng, u: number): { kind: number; d: number; gap: number } {
  if (u < 0.12) {
    return { kind: K_RESET, d: Math.min(600_000, logNormal(rng, 3000, 1.4)), gap: 100 + randInt(rng, 3000) };
  }
  if (u < 0.125) {
    return { kind: K_ZOMBIE, d: Math.min(1_800_000, logNormal(rng, 30_000, 1.2)), gap: 500 + randInt(rng, 10_000) };
  }
  if (u < 0.155) {
    // Long-lived: IMAP IDLE, SSH, push channels. Keepalives every 10-60 s.
    const kind = rng() < 0.5 ? K_CLOSE_V6 : K_CLOSE_V4;
    return { kind, d: Math.min(6 * 3_600_000, logNormal(rng, 10 * 60_000, 1)), gap: 10_000 + randInt(rng, 50_000) };
  }
  const kind = rng() < 0.55 ? K_CLOSE_V6 : K_CLOSE_V4;
  return { kind, d: Math.min(3 * 3_600_000, logNormal(rng, 8000, 1.6)), gap: 40 + randInt(rng, 5000) };
}

function tcpOutbound(w: World, ta: number): void {
  const { rng, topo } = w;
  const { tcpEst: EST, tcpTrans: TRANS } = w.timeouts;
  const client = pickClient(w);
  const v6port = ephemeral(w, client);
  const remote = sampleAlias(topo.remoteZipf, rng);
  const rport = TCP_PORTS.values[sampleAlias(TCP_PORTS.alias, rng)]!;
  const key = (remote << 16) | rport;
  const u = rng();
  const rtt = 8 + randInt(rng, 240);
  const t1 = ta + rtt;
  if (u < 0.05) {
    // SYN into the void: Linux retransmits for ~1 min, each SYN refreshing the V6_INIT lifetime.
    const t2 = ta + SYN_RETRIES_MS[SYN_RETRIES_MS.length - 1]!;
    flow(w, w.tcp, client, v6port, key, K_NO_ANSWER, 1000, ta, Infinity, Infinity, Infinity, t2 + TRANS, 6, 0);
    return;
  }
  const { kind, d, gap: drawnGap } = tcpShape(rng, u);
  const gap = Math.min(drawnGap, Math.floor(EST / 2));
  const n = Math.floor(d / gap);
  const lastData = t1 + n * gap;
  const packets = 3 + n;
  if (kind === K_ZOMBIE) {
    const end = lastData + EST + TRANS;
    flow(w, w.tcp, client, v6port, key, kind, gap, ta, t1, lastData, Infinity, end, packets, packets);
  } else if (kind === K_RESET) {
    const t2 = lastData + 1 + randInt(rng, 200);
    flow(w, w.tcp, client, v6port, key, kind, gap, ta, t1, t2, Infinity, t2 + TRANS, packets, packets);
  } else {
    const t2 = lastData + 1 + randInt(rng, 200);
    // Usually both FINs cross within an RTT; sometimes one side half-closes and lingers.
    const t3 = t2 + (rng() < 0.85 ? 1 + randInt(rng, 400) : Math.min(1_800_000, Math.floor(-Math.log(1 - rng()) * 60_000)));
    flow(w, w.tcp, client, v6port, key, kind, gap, ta, t1, t2, t3, t3 + TRANS, packets + 1, packets + 1);
  }
}

function tcpInbound(w: World, ta: number): void {
  const { rng, tcp } = w;
  const TRANS = w.timeouts.tcpTrans;
  const servers = w.topo.servers;
  if (servers.length === 0) return;
  const b = servers[randInt(rng, servers.length)]!;
  const remote = randInt(rng, REMOTE_COUNT);
  const rport = 32768 + randInt(rng, 28232);
  const key = (remote << 16) | rport;
  const client = tcp.bibClient[b]!;
  const v6port = tcp.bibV6Port[b]!;
  if (rng() < 0.35) {
    // Scanners: a lone SYN that Jool keeps (V4_INIT) for the transitory timeout.
    bump(w, S_TYPE1PKT, 1);
    const scan = K_V4_SCAN | K_V4_INITIATED;
    flow(w, tcp, client, v6port, key, scan, 1000, ta, Infinity, Infinity, Infinity, ta + TRANS, 0, 1);
    return;
  }
  const t1 = ta + 10 + randInt(rng, 200);
  const gap = 30 + randInt(rng, 2000);
  const n = Math.floor(Math.min(3_600_000, logNormal(rng, 5000, 1.5)) / gap);
  const t2 = t1 + n * gap + 1 + randInt(rng, 100);
  const t3 = t2 + 1 + randInt(rng, 300);
  const kind = (rng() < 0.5 ? K_CLOSE_V6 : K_CLOSE_V4) | K_V4_INITIATED;
  flow(w, tcp, client, v6port, key, kind, gap, ta, t1, t2, t3, t3 + TRANS, n + 4, n + 4);
}

/** A UDP or ICMP flow: packets every `gap` for `d` ms, then silence until the timeout. */
function active(
  w: World,
  t: Table,
  client: number,
  v6port: number,
  key: number,
  ta: number,
  d: number,
  gap: number,
  timeout: number,
): void {
  // Packets must come more often than the timeout, or a live session could print a negative deadline.
  gap = Math.min(gap, Math.floor(timeout / 2));
  const n = Math.floor(d / gap);
  const t2 = ta + n * gap;
  flow(w, t, client, v6port, key, K_ACTIVE, gap, ta, ta, t2, t2, t2 + timeout, n + 1, n + 1);
}

function udpFlow(w: World, ta: number): void {
  const { rng, topo, udp } = w;
  const UDP_TIMEOUT = w.timeouts.udp;
  const client = pickClient(w);
  const u = rng();
  if (u < 0.42) {
    // QUIC / HTTP/3: a fresh source port per connection.
    const remote = sampleAlias(topo.remoteZipf, rng);
    const port = ephemeral(w, client);
    active(
      w,
      udp,
      client,
      port,
      (remote << 16) | 443,
      ta,
      Math.min(3_600_000, logNormal(rng, 15_000, 1.5)),
      20 + randInt(rng, 480),
      UDP_TIMEOUT,
    );
  } else if (u < 0.78) {
    // DNS to public resolvers (clients that ignore the DNS64 they were given).
    const remote = DNS_RESOLVERS[randInt(rng, DNS_RESOLVERS.length)]!;
    const port = ephemeral(w, client);
    active(w, udp, client, port, (remote << 16) | 53, ta, randInt(rng, 80), 1 + randInt(rng, 60), UDP_TIMEOUT);
  } else if (u < 0.81) {
    const remote = NTP_SERVERS[randInt(rng, NTP_SERVERS.length)]!;
    active(w, udp, client, ephemeral(w, client), (remote << 16) | 123, ta, 0, 1000, UDP_TIMEOUT);
  } else if (u < 0.87) {
    // STUN / WebRTC media
    const remote = sampleAlias(topo.remoteZipf, rng);
    const rport = rng() < 0.5 ? 3478 : 19302;
    const port = ephemeral(w, client);
    active(
      w,
      udp,
      client,
      port,
      (remote << 16) | rport,
      ta,
      Math.min(3_600_000, logNormal(rng, 120_000, 1)),
      20 + randInt(rng, 2000),
      UDP_TIMEOUT,
    );
  } else if (u < 0.88) {
    // VPN tunnels: one long session with 25 s keepalives.
    const remote = sampleAlias(topo.remoteZipf, rng);
    const rport = [51820, 1194, 4500][randInt(rng, 3)]!;
    const port = ephemeral(w, client);
    active(w, udp, client, port, (remote << 16) | rport, ta, Math.min(8 * 3_600_000, logNormal(rng, 30 * 60_000, 1)), 25_000, UDP_TIMEOUT);
  } else {
    // Games: a fixed local port talking to one server at a time.
    const remote = sampleAlias(topo.remoteZipf, rng);
    const rport = [3074, 27015, 9000, 7777][randInt(rng, 4)]!;
    const d = Math.min(3 * 3_600_000, logNormal(rng, 300_000, 1));
    active(w, udp, client, 3074 + (client % 4), (remote << 16) | rport, ta, d, 30 + randInt(rng, 70), UDP_TIMEOUT);
  }
}

function p2pFlow(w: World, ta: number): void {
  const { rng, topo } = w;
  const peer = topo.p2p[randInt(rng, topo.p2p.length)]!;
  const remote = randInt(rng, REMOTE_COUNT);
  const rport = 1024 + randInt(rng, 64512);
  const d = Math.min(1_800_000, logNormal(rng, 20_000, 1.5));
  active(w, w.udp, peer.client, peer.port, (remote << 16) | rport, ta, d, 500 + randInt(rng, 4000), w.timeouts.udp);
}

function icmpFlow(w: World, ta: number): void {
  const { rng, topo } = w;
  const client = pickClient(w);
  // Windows pings with identifier 1, so its pings to different hosts share one BIB entry (EIM).
  const ident = topo.clientWindows[client] === 1 ? 1 : 1 + randInt(rng, 65535);
  const remote = rng() < 0.3 ? randInt(rng, REMOTE_COUNT) : sampleAlias(topo.remoteZipf, rng);
  const d = rng() < 0.8 ? 3000 : Math.min(3_600_000, logNormal(rng, 120_000, 1));
  active(w, w.icmp, client, ident, remote << 16, ta, d, 1000, w.timeouts.icmp);
}
