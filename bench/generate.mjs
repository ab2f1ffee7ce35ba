/**
 * Seeded generator of realistic Jool 4 session tables, in the exact bytes of
 * `jool session display --csv --numeric --no-headers` (see the captures in
 * test/fixtures/jool-4.1.9/). Generated at run time under bench/.data/, never
 * committed: the same seed and size always give the same bytes.
 *
 * The shape follows what a large NAT64 holds:
 *  - protocols: 80% TCP, 17% UDP, 3% ICMP of the rows;
 *  - clients: rows/50 IPv6 addresses (20k for 1M rows) inside one /48 of
 *    subscribers (2001:db8:100::/48, so at most 256 /56s), a few heavy talkers;
 *  - 64 pool4 addresses (198.51.100.0/26), and rows printed in Jool's order:
 *    by BIB entry (pool4 address, port), its sessions together; about 1.56
 *    sessions a BIB entry (640k BIB entries in 1M TCP rows);
 *  - servers: 50k IPv4 addresses, embedded in 64:ff9b::/96 on the IPv6 side;
 *  - TCP states in proportions seen on a busy gateway (mostly ESTABLISHED),
 *    expiries spread over each protocol's timeout (TCP established 2 h,
 *    transitory 4 min, UDP 5 min, ICMP 1 min), milliseconds as Jool prints them.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROTOCOL_SHARE = { tcp: 0.8, udp: 0.17, icmp: 0.03 };
const POOL4_ADDRESSES = 64;
const SERVERS = 50_000;
/** Probability that a row starts a new BIB entry (1 / mean sessions per BIB entry). */
const NEW_BIB = 0.64;
const TCP_STATE_MIX = [
  ['ESTABLISHED', 0.86],
  ['V4_INIT', 0.01],
  ['V6_INIT', 0.03],
  ['V4_FIN_RCV', 0.03],
  ['V6_FIN_RCV', 0.03],
  ['V4_FIN_V6_FIN_RCV', 0.02],
  ['TRANS', 0.02],
];

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Jool 4's expiry text: H:MM:SS, plus .mmm only when the milliseconds are not zero. */
function expiryText(ms) {
  const millis = ms % 1000;
  const s = Math.floor(ms / 1000) % 60;
  const m = Math.floor(ms / 60000) % 60;
  const h = Math.floor(ms / 3600000);
  const base = `${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}`;
  return millis === 0 ? base : `${base}.${String(millis).padStart(3, '0')}`;
}

function world(rows, random) {
  const clientCount = Math.max(1000, Math.round(rows / 50));
  const clients = [];
  for (let c = 0; c < clientCount; c++) {
    const subscriber = Math.floor(random() * 256); // the /56 inside the /48
    const subnet = 1 + Math.floor(random() * 15); // the /64 inside the /56 (never 0: inet_ntop would compress it)
    const group3 = ((subscriber << 8) | subnet).toString(16);
    const iid = `${(1 + Math.floor(random() * 0xfffe)).toString(16)}:${Math.floor(random() * 0x10000).toString(16)}`;
    clients.push(`2001:db8:100:${group3}::${iid}`);
  }
  const servers = [];
  for (let s = 0; s < SERVERS; s++) {
    const octets = [1 + Math.floor(random() * 222), Math.floor(random() * 256), Math.floor(random() * 256), 1 + Math.floor(random() * 254)];
    if (octets[0] === 127) octets[0] = 128;
    const hi = ((octets[0] << 8) | octets[1]).toString(16);
    const lo = ((octets[2] << 8) | octets[3]).toString(16);
    servers.push({ v4: octets.join('.'), v6: `64:ff9b::${hi}:${lo}` });
  }
  const pool4 = [];
  for (let a = 0; a < POOL4_ADDRESSES; a++) pool4.push(`198.51.100.${a}`);
  return { clients, servers, pool4 };
}

function pickState(random) {
  let r = random();
  for (const [name, share] of TCP_STATE_MIX) {
    if (r < share) return name;
    r -= share;
  }
  return 'ESTABLISHED';
}

function expiryMs(protocol, state, random) {
  const ms = Math.floor(
    protocol === 'tcp' ? (state === 'ESTABLISHED' ? 7200_000 : 240_000) * random() : (protocol === 'udp' ? 300_000 : 60_000) * random(),
  );
  return random() < 0.1 ? ms - (ms % 1000) : ms; // some expiries fall on a whole second: no ".mmm"
}

/** Writes the `rows` rows of one protocol's table, in Jool's order (by BIB entry). */
async function writeTable(file, protocol, rows, { clients, servers, pool4 }, random) {
  const out = createWriteStream(file);
  const name = protocol.toUpperCase();
  // BIB entry b sits at pool4 address b / perAddress, port spread over 1024-65535.
  const expectedBib = Math.ceil(rows * NEW_BIB * 1.05) + 16;
  const perAddress = Math.min(64512, Math.ceil(expectedBib / pool4.length));
  let bib = -1;
  let bibV4 = '';
  let bibPort = 0;
  let client = '';
  let clientPort = 0;
  let text = '';
  for (let i = 0; i < rows; i++) {
    if (bib < 0 || (random() < NEW_BIB && bib + 1 < perAddress * pool4.length)) {
      bib++;
      bibV4 = pool4[Math.floor(bib / perAddress)];
      bibPort = 1024 + Math.floor(((bib % perAddress) * 64512) / perAddress);
      // Heavy talkers: squaring skews the pick towards the first clients.
      const r = random();
      client = clients[Math.floor(r * r * clients.length)];
      clientPort = protocol === 'icmp' ? Math.floor(random() * 65536) : 1024 + Math.floor(random() * 64512);
    }
    const server = servers[Math.floor(random() * servers.length)];
    const r = random();
    const serverPort = protocol === 'icmp' ? bibPort : r < 0.7 ? 443 : r < 0.9 ? 80 : 1 + Math.floor(random() * 65535);
    const state = protocol === 'tcp' ? pickState(random) : '';
    const v6LocalPort = protocol === 'icmp' ? clientPort : serverPort;
    text +=
      `${name},${client},${clientPort},${server.v6},${v6LocalPort},${bibV4},${bibPort},${server.v4},${serverPort},` +
      `${expiryText(expiryMs(protocol, state, random))}${protocol === 'tcp' ? `,${state}` : ''}\n`;
    if (text.length > 1 << 20) {
      if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
      text = '';
    }
  }
  out.end(text);
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
}

/** Rows of each protocol for a total of `rows`. */
export function protocolRows(rows) {
  const tcp = Math.round(rows * PROTOCOL_SHARE.tcp);
  const udp = Math.round(rows * PROTOCOL_SHARE.udp);
  return { tcp, udp, icmp: rows - tcp - udp };
}

/**
 * The directory of the tables for `rows` rows and `seed` (generated once, then reused):
 * session-{tcp,udp,icmp}.csv, pool4-{tcp,udp,icmp}.csv and stats.csv.
 */
export async function generate(dataDir, rows, seed) {
  const dir = join(dataDir, `rows-${rows}-seed-${seed}`);
  if (existsSync(join(dir, 'done'))) return dir;
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const shape = world(rows, random);
  const counts = protocolRows(rows);
  for (const protocol of ['tcp', 'udp', 'icmp']) {
    await writeTable(join(dir, `session-${protocol}.csv.part`), protocol, counts[protocol], shape, random);
    renameSync(join(dir, `session-${protocol}.csv.part`), join(dir, `session-${protocol}.csv`));
    const pool4 = shape.pool4.map((address) => `0,${protocol.toUpperCase()},${address},1024,65535,1024,0\n`).join('');
    writeFileSync(join(dir, `pool4-${protocol}.csv`), pool4);
  }
  writeFileSync(join(dir, 'stats.csv'), 'JSTAT_RECEIVED6,1000\nJSTAT_RECEIVED4,1000\nJSTAT_SUCCESS,2000\n');
  writeFileSync(join(dir, 'done'), '');
  return dir;
}
