/**
 * fast-check arbitraries for valid Jool session tables, rendered the way each generation of the
 * client prints them:
 * - Jool 4: "Expires in" as `H:MM:SS`, plus `.mmm` (zero-padded) only when the ms are not 0;
 * - Jool 3: `HH:MM:SS.m`, the milliseconds always there and NOT padded (`00:02:57.44` = 44 ms);
 *   its UDP and ICMP rows may end with an empty State field.
 * Every protocol and TCP state, edge expiries and ports, with or without the header, with or
 * without a final newline. The sessions are kept beside the text: they are what a parser must find.
 */
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { REFERENCE_TCP_STATES, type RefProtocol, type RefSession } from './reference-session-parser.js';

export type Dialect = 'jool4' | 'jool3';

export interface GeneratedTable {
  protocol: RefProtocol;
  dialect: Dialect;
  sessions: RefSession[];
  text: string;
}

export const HEADER =
  'Protocol,IPv6 Remote Address,IPv6 Remote L4-ID,IPv6 Local Address,IPv6 Local L4-ID,' +
  'IPv4 Local Address,IPv4 Local L4-ID,IPv4 Remote Address,IPv4 Remote L4-ID,Expires in,State';

const HOUR = 3_600_000;
/** Largest expiry Jool prints (a u32 of milliseconds, 1193:02:47.295); more is rejected (mutations.property). */
export const MAX_EXPIRY_MS = 2 ** 32 - 1;

/** Edges: zero, each unit's rollover, Jool's largest. */
const EDGE_EXPIRIES = [
  0,
  1,
  9,
  10,
  99,
  100,
  999,
  1000,
  59_999,
  60_000,
  3_599_999,
  HOUR,
  99 * HOUR + 3_599_999,
  100 * HOUR,
  1000 * HOUR,
  MAX_EXPIRY_MS,
];

export const expiryMs = fc.oneof(
  fc.constantFrom(...EDGE_EXPIRIES),
  fc.integer({ min: 0, max: 2 * HOUR }),
  fc.integer({ min: 0, max: MAX_EXPIRY_MS }),
);

export const port = fc.oneof(fc.constantFrom(0, 1, 9, 10, 80, 1024, 9999, 10000, 65535), fc.integer({ min: 0, max: 65535 }));

// A few fixed addresses next to random ones, so tables repeat addresses as real ones do.
export const ipv6 = fc.oneof(
  fc.constantFrom(
    '2001:db8::a',
    '64:ff9b::c000:205',
    '::',
    '::1',
    '::ffff:192.0.2.1',
    '64:ff9b::192.0.2.5',
    'fe80::1',
    '2001:db8:0:0:1:0:0:1',
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  ),
  fc.ipV6(),
);

export const ipv4 = fc.oneof(fc.constantFrom('192.0.2.1', '0.0.0.0', '255.255.255.255', '10.0.0.1'), fc.ipV4());

/**
 * How a session's IPv6 local address is written: unrelated to its IPv4 remote (random), or that
 * address embedded in a /96 pool6 as Jool translates it, canonically (in either of two prefixes,
 * so a table can hold both) or in another spelling (dotted tail, upper case). The parser finds
 * the embedded ones by the IPv4 remote's id (IPv6Interner.internLocal), and the table stores no
 * IPv6 local column while every row is embedded (table/session-table.ts): mostly embedded, so
 * that whole tables of them come up too.
 */
const localStyle = fc.oneof(
  { arbitrary: fc.constant('embedded'), weight: 12 },
  fc.constantFrom('random', 'other-prefix', 'dotted', 'upper'),
);

/**
 * The IPv6 local L4-ID: mostly the one NAT64 keeps (the IPv4 remote port for TCP and UDP, the
 * IPv6 remote's ICMP identifier), which the table does not store, sometimes any.
 */
const localPortStyle = fc.oneof({ arbitrary: fc.constant('kept'), weight: 8 }, fc.constant('random'));

function withLocal(protocol: RefProtocol, [session, style, portStyle]: [RefSession, string, string]): RefSession {
  const ipv6LocalPort =
    portStyle === 'random' ? session.ipv6LocalPort : protocol === 'icmp' ? session.ipv6RemotePort : session.ipv4RemotePort;
  if (style === 'random') return { ...session, ipv6LocalPort };
  const prefix = style === 'other-prefix' ? '2001:db8:64::' : '64:ff9b::';
  const dotted = `${prefix}${session.ipv4Remote}`;
  const canonical = ipaddr.IPv6.parse(dotted).toRFC5952String();
  const ipv6Local = style === 'dotted' ? dotted : style === 'upper' ? canonical.toUpperCase() : canonical;
  return { ...session, ipv6Local, ipv6LocalPort };
}

export function sessionOf(protocol: RefProtocol): fc.Arbitrary<RefSession> {
  return fc.tuple(sessionFields(protocol), localStyle, localPortStyle).map((drawn) => withLocal(protocol, drawn));
}

function sessionFields(protocol: RefProtocol): fc.Arbitrary<RefSession> {
  return fc.record({
    ipv6Remote: ipv6,
    ipv6RemotePort: port,
    ipv6Local: ipv6,
    ipv6LocalPort: port,
    ipv4Local: ipv4,
    ipv4LocalPort: port,
    ipv4Remote: ipv4,
    ipv4RemotePort: port,
    expiresMs: expiryMs,
    state: protocol === 'tcp' ? fc.constantFrom<string | null>(...REFERENCE_TCP_STATES) : fc.constant(null),
  });
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatExpiry(ms: number, dialect: Dialect): string {
  const millis = ms % 1000;
  const seconds = Math.floor(ms / 1000) % 60;
  const minutes = Math.floor(ms / 60_000) % 60;
  const hours = Math.floor(ms / HOUR);
  if (dialect === 'jool3') return `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${millis}`;
  const base = `${hours}:${pad2(minutes)}:${pad2(seconds)}`;
  return millis === 0 ? base : `${base}.${String(millis).padStart(3, '0')}`;
}

/** One row as Jool prints it; `emptyState` adds Jool 3's empty State field to UDP and ICMP rows. */
export function renderRow(protocol: RefProtocol, s: RefSession, dialect: Dialect, emptyState: boolean): string {
  const fields = [
    protocol.toUpperCase(),
    s.ipv6Remote,
    s.ipv6RemotePort,
    s.ipv6Local,
    s.ipv6LocalPort,
    s.ipv4Local,
    s.ipv4LocalPort,
    s.ipv4Remote,
    s.ipv4RemotePort,
    formatExpiry(s.expiresMs, dialect),
  ];
  if (protocol === 'tcp') fields.push(s.state!);
  else if (emptyState) fields.push('');
  return fields.join(',');
}

export const protocol = fc.constantFrom<RefProtocol>('tcp', 'udp', 'icmp');
export const dialect = fc.constantFrom<Dialect>('jool4', 'jool3');

/** A valid table of `protocol` (any, by default) in either dialect. */
export function sessionTable(options: { protocol?: RefProtocol; maxRows?: number } = {}): fc.Arbitrary<GeneratedTable> {
  return (options.protocol === undefined ? protocol : fc.constant(options.protocol)).chain((p) =>
    fc
      .record({
        protocol: fc.constant(p),
        dialect,
        rows: fc.array(fc.tuple(sessionOf(p), fc.boolean()), { maxLength: options.maxRows ?? 40 }),
        header: fc.boolean(),
        finalNewline: fc.boolean(),
      })
      .map(({ protocol: proto, dialect: d, rows, header, finalNewline }) => {
        const lines = rows.map(([s, emptyState]) => renderRow(proto, s, d, emptyState));
        if (header) lines.unshift(HEADER);
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
        return { protocol: proto, dialect: d, sessions: rows.map(([s]) => s), text };
      }),
  );
}

/** Cut points for splitting a text of `length` bytes into chunks (sorted, distinct, inside). */
export function cuts(length: number): fc.Arbitrary<number[]> {
  if (length < 2) return fc.constant([]);
  return fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: 12 }).map((c) => c.sort((a, b) => a - b));
}

/** One damage done to one line of a table. */
export type Mutation =
  | { kind: 'truncate'; line: number; at: number }
  | { kind: 'extra-field'; line: number; field: string }
  | { kind: 'flip'; line: number; at: number; byte: number }
  | { kind: 'insert'; line: number; at: number; byte: number }
  | { kind: 'delete'; line: number; at: number }
  | { kind: 'duplicate-comma'; line: number; at: number }
  | { kind: 'leading-zeros'; line: number; field: number; zeros: number }
  | { kind: 'long-expiry'; line: number; expiry: string };

const anyByte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x2c, 0x2e, 0x3a, 0x20, 0x00, 0x1b));
const index = fc.nat({ max: 10_000 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), line: index, at: index }),
  fc.record({
    kind: fc.constant('extra-field' as const),
    line: index,
    field: fc.oneof(fc.constant(''), fc.constantFrom('ESTABLISHED', 'x', ' ', '0:00:01'), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('flip' as const), line: index, at: index, byte: anyByte }),
  fc.record({ kind: fc.constant('insert' as const), line: index, at: index, byte: anyByte }),
  fc.record({ kind: fc.constant('delete' as const), line: index, at: index }),
  fc.record({ kind: fc.constant('duplicate-comma' as const), line: index, at: index }),
  // Zeros before a field: a port such as 000080 or an octet such as 010 is not what Jool prints.
  fc.record({
    kind: fc.constant('leading-zeros' as const),
    line: index,
    field: fc.nat({ max: 10 }),
    zeros: fc.integer({ min: 1, max: 3 }),
  }),
  // An expiry around and past the largest Jool prints (1193:02:47.295), up to 7 hour digits.
  fc.record({
    kind: fc.constant('long-expiry' as const),
    line: index,
    expiry: fc
      .tuple(
        fc.integer({ min: 1193, max: 9_999_999 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.nat({ max: 999 }),
      )
      .map(([h, m, sec, ms]) => `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(ms).padStart(3, '0')}`),
  }),
);

export interface MutatedTable {
  protocol: RefProtocol;
  text: string;
  /** Lines that no mutation touched, in order: each is a session that must come out. */
  untouched: string[];
}

/** Applies `mutations` to the lines of `t` (line and position taken modulo what exists). */
export function mutate(t: GeneratedTable, mutations: readonly Mutation[]): MutatedTable {
  const endsWithNewline = t.text.endsWith('\n');
  const lines = (endsWithNewline ? t.text.slice(0, -1) : t.text).split('\n');
  const touched = new Set<number>();
  for (const m of mutations) {
    const n = m.line % lines.length;
    const line = lines[n]!;
    touched.add(n);
    const at = 'at' in m ? m.at % (line.length + 1) : 0;
    switch (m.kind) {
      case 'truncate':
        lines[n] = line.slice(0, at);
        break;
      case 'extra-field':
        lines[n] = `${line},${m.field}`;
        break;
      case 'flip':
        lines[n] = line.slice(0, at) + String.fromCharCode(m.byte) + line.slice(at + 1);
        break;
      case 'insert':
        lines[n] = line.slice(0, at) + String.fromCharCode(m.byte) + line.slice(at);
        break;
      case 'delete':
        lines[n] = line.slice(0, at) + line.slice(at + 1);
        break;
      case 'leading-zeros': {
        const fields = line.split(',');
        const f = m.field % fields.length;
        fields[f] = '0'.repeat(m.zeros) + fields[f]!;
        lines[n] = fields.join(',');
        break;
      }
      case 'long-expiry': {
        const fields = line.split(',');
        if (fields.length > 9) fields[9] = m.expiry;
        lines[n] = fields.join(',');
        break;
      }
      case 'duplicate-comma': {
        const comma = line.indexOf(',', at);
        lines[n] = comma < 0 ? `${line},` : `${line.slice(0, comma)},${line.slice(comma)}`;
        break;
      }
    }
  }
  return {
    protocol: t.protocol,
    text: lines.join('\n') + (endsWithNewline ? '\n' : ''),
    untouched: lines.filter((l, i) => !touched.has(i) && !l.startsWith('Protocol,') && l !== ''),
  };
}
