/**
 * The vocabulary shared by every stage: Jool's protocols and TCP states, in the
 * order Jool itself uses them.
 */

export const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Jool's spelling in the CSV `Protocol` column. */
export const PROTOCOL_CSV_NAME: Record<Protocol, string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP' };

/** Jool's TCP state machine (RFC 6146), spelled as Jool prints it. Index = state code. */
export const TCP_STATES = ['ESTABLISHED', 'V4_INIT', 'V6_INIT', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'] as const;
export type TcpState = (typeof TCP_STATES)[number];

/** State code stored for UDP and ICMP rows, which have no State column. */
export const NO_STATE = 255;

/** The header Jool prints before a session table in CSV mode (all protocols, both generations). */
export const SESSION_CSV_HEADER =
  'Protocol,IPv6 Remote Address,IPv6 Remote L4-ID,IPv6 Local Address,IPv6 Local L4-ID,' +
  'IPv4 Local Address,IPv4 Local L4-ID,IPv4 Remote Address,IPv4 Remote L4-ID,Expires in,State';

export function isProtocol(value: string): value is Protocol {
  return (PROTOCOLS as readonly string[]).includes(value);
}

/** One row of `jool pool4 display --csv`: parsed by parse/pool4-csv.ts, used by table/pool4.ts. */
export interface Pool4Entry {
  /** Packets carrying this mark (IPv6 to IPv4) use this entry. 0 unless `--mark`. */
  mark: number;
  protocol: Protocol;
  /** First IPv4 address of the entry (the network address of its prefix), as an unsigned 32-bit integer. */
  address: number;
  /** 32 for a single address (what Jool prints without a `/LEN`). */
  prefixLength: number;
  minPort: number;
  maxPort: number;
  /** Max Iterations; null when the column is absent (Jool 3.4 to 3.5.4). */
  iterations: number | 'infinite' | null;
  /** false: Jool computes Max Iterations (`auto`); true: set by the user. null when the column is absent. */
  iterationsFixed: boolean | null;
  /** The Address column as printed. */
  text: string;
}
