/**
 * A session's whole life is drawn at birth (kind, T0-T3, packet gap), so its
 * state and "Expires in" at any moment are pure functions of "now": printing
 * needs no events, and expiry is the only one the table processes.
 */
import { TCP_STATES } from '../model.js';
import type { Table } from './table.js';

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
export const K_ACTIVE = 0; // UDP/ICMP: packets every `gap` from T0 to T2, then silence until the timeout.
export const K_CLOSE_V6 = 1; // TCP: V6 FIN first -> V6_FIN_RCV -> V4_FIN_V6_FIN_RCV -> gone after trans timeout.
export const K_CLOSE_V4 = 2; // TCP: V4 FIN first -> V4_FIN_RCV -> ...
export const K_ZOMBIE = 3; // TCP: peer vanished; ESTABLISHED until the est timeout, then Jool's probe (TRANS).
export const K_RESET = 4; // TCP: RST -> TRANS for the trans timeout.
export const K_NO_ANSWER = 5; // TCP: SYN never answered; retransmits at 1, 3, 7, 15, 31 s keep it in V6_INIT.
export const K_V4_SCAN = 6; // TCP: a port scan of a static BIB; V4_INIT until the trans timeout.
export const K_V4_INITIATED = 8; // Flag: the handshake started on the IPv4 side (V4_INIT instead of V6_INIT).
export const SYN_RETRIES_MS = [0, 1000, 3000, 7000, 15_000, 31_000];

/**
 * State and remaining lifetime of a TCP session at `now`, packed as
 * `expires * 8 + state` so the per-row hot path allocates nothing.
 */
export function tcpView(t: Table, s: number, now: number, est: number, trans: number): number {
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

export function activeExpires(t: Table, s: number, now: number, timeout: number): number {
  const t0 = t.sT0[s]!;
  const gap = t.sGap[s]!;
  const last = t0 + Math.floor((Math.min(now, t.sT2[s]!) - t0) / gap) * gap;
  return last + timeout - now;
}
