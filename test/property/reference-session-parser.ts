/**
 * A deliberately simple reference for Jool's session CSV: whole text, split on newlines, split on
 * commas, regular expressions. It shares no code with src/parse (not even its constants), so the
 * property tests compare two independent readings of the same rules:
 *
 * - a line is a row, a header (starts with `Protocol,`), blank, or rejected;
 * - a line longer than `maxLineBytes` (counting a trailing CR) is rejected whatever it holds;
 * - a trailing CR is dropped; text after the last newline is a line too;
 * - TCP rows have 11 fields, the last a TCP state; UDP and ICMP rows have 10, or 11 with an empty
 *   last one (Jool 3's docs);
 * - addresses are what inet_ntop prints (no leading zeros in IPv4, no zone, no brackets);
 * - ports are 1 to 5 digits up to 65535; "Expires in" is H:MM:SS with 1 to 7 hour digits and an
 *   optional .m to .mmm (milliseconds as an integer: `.44` is 44 ms), at most 2^32 - 1 ms (Jool
 *   keeps it in a u32).
 */
import { isIPv4, isIPv6 } from 'node:net';

export const REFERENCE_TCP_STATES = [
  'ESTABLISHED',
  'V4_INIT',
  'V6_INIT',
  'V4_FIN_RCV',
  'V6_FIN_RCV',
  'V4_FIN_V6_FIN_RCV',
  'TRANS',
] as const;

export type RefProtocol = 'tcp' | 'udp' | 'icmp';

export interface RefSession {
  ipv6Remote: string;
  ipv6RemotePort: number;
  ipv6Local: string;
  ipv6LocalPort: number;
  ipv4Local: string;
  ipv4LocalPort: number;
  ipv4Remote: string;
  ipv4RemotePort: number;
  expiresMs: number;
  state: string | null;
}

export interface RefParse {
  sessions: RefSession[];
  headers: number;
  /** The rejected lines, in order, without their line end. */
  rejected: string[];
}

const EXPIRY = /^(\d{1,7}):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/;
const PORT = /^\d{1,5}$/;
const NO_LEADING_ZERO_OCTET = /^(0|[1-9]\d{0,2})$/;

function ipv4(text: string): boolean {
  return isIPv4(text) && text.split('.').every((octet) => NO_LEADING_ZERO_OCTET.test(octet));
}

function ipv6(text: string): boolean {
  return isIPv6(text) && !text.includes('%') && text.length <= 45;
}

function port(text: string): number | null {
  return PORT.test(text) && Number(text) <= 65535 ? Number(text) : null;
}

/** Jool keeps an expiry in a u32 of milliseconds (its kernel's jiffies_to_msecs()): no more is Jool's. */
const JOOL_MAX_EXPIRY_MS = 2 ** 32 - 1;

export function referenceExpiry(text: string): number | null {
  const m = EXPIRY.exec(text);
  if (m === null) return null;
  const ms = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4] ?? '0');
  return ms <= JOOL_MAX_EXPIRY_MS ? ms : null;
}

/** The session a line holds, or null when it is not one. */
function session(protocol: RefProtocol, line: string): RefSession | null {
  const f = line.split(',');
  if (protocol !== 'tcp' && f.length === 11 && f[10] === '') f.pop();
  if (f.length !== (protocol === 'tcp' ? 11 : 10)) return null;
  if (f[0] !== protocol.toUpperCase()) return null;
  const ports = [f[2]!, f[4]!, f[6]!, f[8]!].map(port);
  const expiresMs = referenceExpiry(f[9]!);
  if (ports.includes(null) || expiresMs === null) return null;
  if (!ipv6(f[1]!) || !ipv6(f[3]!) || !ipv4(f[5]!) || !ipv4(f[7]!)) return null;
  let state: string | null = null;
  if (protocol === 'tcp') {
    if (!(REFERENCE_TCP_STATES as readonly string[]).includes(f[10]!)) return null;
    state = f[10]!;
  }
  return {
    ipv6Remote: f[1]!,
    ipv6RemotePort: ports[0]!,
    ipv6Local: f[3]!,
    ipv6LocalPort: ports[1]!,
    ipv4Local: f[5]!,
    ipv4LocalPort: ports[2]!,
    ipv4Remote: f[7]!,
    ipv4RemotePort: ports[3]!,
    expiresMs,
    state,
  };
}

/** `text` is the output read as latin1 (one character per byte). */
export function referenceParseSessions(protocol: RefProtocol, text: string, maxLineBytes = 4096): RefParse {
  const result: RefParse = { sessions: [], headers: 0, rejected: [] };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (raw.length > maxLineBytes) {
      result.rejected.push(line);
    } else if (line === '') {
    } else if (line.startsWith('Protocol,')) {
      result.headers++;
    } else {
      const s = session(protocol, line);
      if (s === null) result.rejected.push(line);
      else result.sessions.push(s);
    }
  }
  return result;
}
