/**
 * Who talks to whom: IPv6 subscribers and their hosts, peer-to-peer hosts,
 * IPv6-side servers behind static BIB entries, and the IPv4 servers they
 * reach through pool6 64:ff9b::/96.
 */
import { formatIPv4 } from '../table/address.js';
import { ascii, formatIPv6 } from './inet-ntop.js';
import { type Alias, buildAlias, logNormal, type Rng, randInt } from './random.js';
import { allocBib, type Table } from './table.js';

// Remote servers in the two documentation /24s, seen from IPv6 through pool6 64:ff9b::/96.
export const REMOTE_COUNT = 508;
const REMOTE_V4: readonly number[] = Array.from({ length: REMOTE_COUNT }, (_, i) =>
  i < 254 ? ((198 << 24) | (51 << 16) | (100 << 8) | (i + 1)) >>> 0 : ((203 << 24) | (0 << 16) | (113 << 8) | (i - 253)) >>> 0,
);
export const REMOTE_V4_STR: readonly string[] = REMOTE_V4.map(formatIPv4);
export const REMOTE_V6_STR: readonly string[] = REMOTE_V4.map((a) => formatIPv6([0x64, 0xff9b, 0, 0, 0, 0, a >>> 16, a & 0xffff]));
const remoteIndex = (dotted: string): number => REMOTE_V4_STR.indexOf(dotted);
export const DNS_RESOLVERS = ['198.51.100.53', '203.0.113.53'].map(remoteIndex);
export const NTP_SERVERS = ['198.51.100.123', '203.0.113.123', '198.51.100.124'].map(remoteIndex);

export interface Topology {
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

interface Subscribers {
  readonly weights: Float64Array;
  readonly subFirst: Int32Array;
  readonly subCount: Int32Array;
  readonly clientStr: string[];
  readonly clientWindows: number[];
}

export function buildTopology(rng: Rng, scale: number, instanceIndex: number, tcp: Table): Topology {
  const { weights, subFirst, subCount, clientStr, clientWindows } = buildSubscribers(rng, scale, instanceIndex);
  const subscribers = weights.length;

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

  return {
    clientStr,
    clientBytes: clientStr.map(ascii),
    subFirst,
    subCount,
    subAlias: buildAlias(weights),
    clientWindows: Uint8Array.from(clientWindows),
    p2p,
    servers,
    remoteZipf: buildAlias(remotePopularity(rng)),
  };
}

/** Subscribers are /56s (2001:db8:HHHH:SS00::/56), each with a few /64s and a few hosts per /64. */
function buildSubscribers(rng: Rng, scale: number, instanceIndex: number): Subscribers {
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
          randomInterfaceId(rng, words, h);
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
  return { weights, subFirst, subCount, clientStr, clientWindows };
}

/** Fills the low 64 bits of `words` the way hosts number themselves. */
function randomInterfaceId(rng: Rng, words: number[], host: number): void {
  words.fill(0, 4);
  const u = rng();
  if (u < 0.2) {
    words[7] = 1 + host + randInt(rng, 30); // a router or a statically numbered box
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
}

/** Popularity of IPv4 servers: Zipf over a seeded permutation. */
function remotePopularity(rng: Rng): Float64Array {
  const zipf = new Float64Array(REMOTE_COUNT);
  const perm = Array.from({ length: REMOTE_COUNT }, (_, i) => i);
  for (let i = REMOTE_COUNT - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  for (let rank = 0; rank < REMOTE_COUNT; rank++) zipf[perm[rank]!] = 1 / (rank + 1);
  return zipf;
}
