/**
 * jool's table output: sessions, BIB and pool4, in CSV and text. Each table
 * renderer works from pool4 position `from` until about `budget` bytes and
 * returns where to resume: like Jool's netlink dump, the cursor is a key, not
 * a pointer, so the table may change in between.
 */
import { formatExpiry } from '../format/expiry.js';
import { TCP_STATES } from '../model.js';
import { ascii } from './inet-ntop.js';
import { activeExpires, tcpView } from './lifecycle.js';
import type { Sim } from './sim.js';
import { putBytes, putExpires, putString, putUint, reserve, type Sink } from './sink.js';
import { P_ICMP, P_TCP, P_UDP, POOL_FIRST_PORT, PROTO_NAME, type Table } from './table.js';
import { REMOTE_V4_STR, REMOTE_V6_STR } from './topology.js';

/** Where the next chunk resumes: pool4 position and, inside that BIB entry, the last session key printed (-1: none). */
export interface Rendered {
  readonly next: number;
  readonly after: number;
  readonly done: boolean;
}

const REMOTE_V4_BYTES = REMOTE_V4_STR.map(ascii);
const REMOTE_V6_BYTES = REMOTE_V6_STR.map(ascii);
const STATE_BYTES = TCP_STATES.map(ascii);
const PROTO_BYTES = PROTO_NAME.map(ascii);
const COMMA = 44;
const NEWLINE = 10;
/** Longest CSV session row: two full IPv6 addresses, two IPv4s, four ports, a long deadline and a state. */
export const MAX_ROW = 256;
const TEXT_SEPARATOR = '---------------------------------\n';
export const POOL4_SEPARATOR = '+------------+-------+--------------------+-----------------+-------------+\n';

/** One session as printed: who, which ports, and when it expires (`state` only for TCP). */
interface Row {
  client: number;
  v6port: number;
  addr: number;
  v4port: number;
  remote: number;
  localPort: number;
  remotePort: number;
  expires: number;
  state: number;
}

export function renderSessions(
  sim: Sim,
  t: Table,
  sink: Sink,
  from: number,
  after: number,
  now: number,
  budget: number,
  csv: boolean,
): Rendered {
  const { tcpEst: est, tcpTrans: trans, udp: udpTimeout, icmp: icmpTimeout } = sim.timeouts;
  const { proto, owner, perAddr, sNext, sKey, sEnd } = t;
  const row: Row = { client: 0, v6port: 0, addr: 0, v4port: 0, remote: 0, localPort: 0, remotePort: 0, expires: 0, state: 0 };
  for (let j = from; j < t.total; j++) {
    if (sink.pos >= budget) return { next: j, after: -1, done: false };
    const b = owner[j]!;
    if (b < 0) continue;
    row.client = t.bibClient[b]!;
    row.v6port = t.bibV6Port[b]!;
    row.addr = Math.floor(j / perAddr);
    row.v4port = POOL_FIRST_PORT + (j % perAddr);
    // A peer-to-peer BIB entry can hold hundreds of sessions, so a chunk may end inside one.
    const skipUpTo = j === from ? after : -1;
    let last = skipUpTo;
    for (let s = t.bibHead[b]!; s >= 0; s = sNext[s]!) {
      const key = sKey[s]!;
      if (key <= skipUpTo || sEnd[s]! <= now) continue;
      if (sink.pos >= budget) return { next: j, after: last, done: false };
      last = key;
      row.remote = key >>> 16;
      if (proto === P_TCP) {
        const view = tcpView(t, s, now, est, trans);
        row.state = view % 8;
        row.expires = (view - row.state) / 8;
      } else {
        row.state = 0;
        row.expires = activeExpires(t, s, now, proto === P_UDP ? udpTimeout : icmpTimeout);
      }
      // ICMP: the identifier stands in for the port on each side.
      row.localPort = proto === P_ICMP ? row.v6port : key & 0xffff;
      row.remotePort = proto === P_ICMP ? row.v4port : row.localPort;
      if (csv) putCsvRow(sim, t, sink, row);
      else putString(sink, textRow(sim, t, row));
    }
  }
  return { next: t.total, after: -1, done: true };
}

function textRow(sim: Sim, t: Table, r: Row): string {
  const prefix = t.proto === P_TCP ? `(${TCP_STATES[r.state]!}) ` : '';
  return (
    `${prefix}Expires in ${formatExpiry(r.expires)}\n` +
    `Remote: ${REMOTE_V4_STR[r.remote]!}#${r.remotePort}\t${sim.topo.clientStr[r.client]!}#${r.v6port}\n` +
    `Local: ${t.addrStr[r.addr]!}#${r.v4port}\t${REMOTE_V6_STR[r.remote]!}#${r.localPort}\n` +
    TEXT_SEPARATOR
  );
}

function putCsvRow(sim: Sim, t: Table, sink: Sink, r: Row): void {
  reserve(sink, MAX_ROW);
  const buf = sink.buf;
  let pos = putBytes(buf, sink.pos, PROTO_BYTES[t.proto]!);
  buf[pos++] = COMMA;
  pos = putBytes(buf, pos, sim.topo.clientBytes[r.client]!);
  buf[pos++] = COMMA;
  pos = putUint(buf, pos, r.v6port);
  buf[pos++] = COMMA;
  pos = putBytes(buf, pos, REMOTE_V6_BYTES[r.remote]!);
  buf[pos++] = COMMA;
  pos = putUint(buf, pos, r.localPort);
  buf[pos++] = COMMA;
  pos = putBytes(buf, pos, t.addrBytes[r.addr]!);
  buf[pos++] = COMMA;
  pos = putUint(buf, pos, r.v4port);
  buf[pos++] = COMMA;
  pos = putBytes(buf, pos, REMOTE_V4_BYTES[r.remote]!);
  buf[pos++] = COMMA;
  pos = putUint(buf, pos, r.remotePort);
  buf[pos++] = COMMA;
  pos = putExpires(buf, pos, r.expires);
  if (t.proto === P_TCP) {
    buf[pos++] = COMMA;
    pos = putBytes(buf, pos, STATE_BYTES[r.state]!);
  }
  buf[pos++] = NEWLINE;
  sink.pos = pos;
}

export function renderBib(sim: Sim, t: Table, sink: Sink, from: number, budget: number, csv: boolean): Rendered {
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
        ? `${name},${v6},${v6port},${v4},${v4port},${isStatic ? '1' : '0'}\n`
        : `[${isStatic ? 'Static ' : 'Dynamic '}${name}] ${v4}#${v4port} - ${v6}#${v6port}\n`,
    );
  }
  return { next: j, after: -1, done: j >= t.total };
}

export function renderPool4(t: Table, csv: boolean): string {
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
          ? `${POOL4_SEPARATOR}| ${'0'.padStart(10)} | ${name.padStart(5)} | ` +
            `${String(t.iterations).padStart(10)} ( auto) | ${addr.padStart(15)} | ${ports} |\n`
          : `| ${''.padStart(10)} | ${''.padStart(5)} | ${''.padStart(10)}  ${''.padStart(5)}  | ${addr.padStart(15)} | ${ports} |\n`;
    }
  }
  return out;
}
