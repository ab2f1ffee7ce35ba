/**
 * Parser for `jool pool4 display --csv` output, every generation that has a CSV
 * pool4 display:
 *
 * - Jool 4 (`jool -i NAME pool4 display --tcp|--udp|--icmp --csv [--no-headers]`,
 *   src/usr/argp/wargp/pool4.c, display_entry_csv) and Jool 3.5.5 to 3.5.8
 *   (`jool --pool4 --display --csv`, usr/common/target/pool4.c,
 *   display_sample_csv) print 7 columns:
 *   `Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed`.
 *   - Mark: `%u` (0 to 4294967295).
 *   - Protocol: `TCP`, `UDP` or `ICMP` (l4proto_to_string).
 *   - Address: inet_ntoa of the entry's address; since 4.0.8 followed by
 *     `/LEN` when the entry's prefix length is not 32. The kernel hands out one
 *     entry per address (the captures show one row per address), so a prefix is
 *     rare, but it is read: it stands for every address in it.
 *   - Min port, Max port: `%u` (ICMP: identifiers).
 *   - Iterations: `%u`, or `infinite` when Max Iterations is unlimited
 *     (`--max-iterations infinity`). `auto` is never printed here: it only
 *     makes the last column 0.
 *   - Iterations fixed: `%u` of `!(flags & ITERATIONS_AUTO)`, so `0` (auto) or `1`.
 * - Jool 3.4.0 to 3.5.4 print the first 5 columns only
 *   (`Mark,Protocol,Address,Min port,Max port`).
 * Jool 3 prints all three protocols in one call, after a single header.
 *
 * pool4 is small (tens of rows, a few thousand at most): this parser works on
 * strings and favours clarity and strict validation over speed. A malformed row
 * is counted and the first one kept as an example, as in session-csv.ts; it
 * never stops the parse.
 */
import ipaddr from 'ipaddr.js';
import { type Pool4Entry, PROTOCOL_CSV_NAME, PROTOCOLS, type Protocol } from '../model.js';
import { isIPv4Text } from '../table/address.js';
import { noteRejected, type RejectedRows, RowError } from './rejected.js';

export interface Pool4ParseResult {
  entries: Pool4Entry[];
  rejected: RejectedRows;
  /** Header lines seen (`Mark,Protocol,...`); accepted and skipped. */
  headers: number;
}

export const POOL4_CSV_HEADER = 'Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed';
const COLUMNS = POOL4_CSV_HEADER.split(',');
const MAX_U32 = 4294967295;
const DECIMAL = /^(?:0|[1-9]\d*)$/;
const PROTOCOL_BY_CSV_NAME = new Map<string, Protocol>(PROTOCOLS.map((p) => [PROTOCOL_CSV_NAME[p], p]));

/** A decimal integer as `%u` prints it (no sign, no leading zero), at most `max`. */
function unsigned(text: string, max: number, column: number): number {
  if (text.length > 10 || !DECIMAL.test(text)) throw new RowError(`bad ${COLUMNS[column]}`);
  const value = Number(text);
  if (value > max) throw new RowError(`bad ${COLUMNS[column]}`);
  return value;
}

function address(text: string): { address: number; prefixLength: number } {
  const slash = text.indexOf('/');
  const dotted = slash < 0 ? text : text.slice(0, slash);
  // Strict form first: ipaddr.js alone would also read inet_aton shorthand ("10", "0x0a.1").
  if (!isIPv4Text(dotted)) throw new RowError('bad Address');
  let prefixLength = 32;
  if (slash >= 0) {
    const length = text.slice(slash + 1);
    if (length.length > 2 || !DECIMAL.test(length) || Number(length) > 32) throw new RowError('bad Address (prefix length)');
    prefixLength = Number(length);
  }
  // A prefix starts at its network address: Jool prints the prefix's own address, but a host part
  // must not shift the range. A single address (the usual row) needs no prefix maths.
  const bytes =
    prefixLength === 32 ? dotted.split('.').map(Number) : ipaddr.IPv4.networkAddressFromCIDR(`${dotted}/${prefixLength}`).toByteArray();
  const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return { address: value, prefixLength };
}

function parseRow(line: string): Pool4Entry {
  const fields = line.split(',');
  if (fields.length !== 5 && fields.length !== 7) {
    throw new RowError(`expected 5 or 7 fields, got ${fields.length}`);
  }
  const [markText, protocolText, addressText, minText, maxText, iterationsText, fixedText] = fields as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const mark = unsigned(markText, MAX_U32, 0);
  const protocol = PROTOCOL_BY_CSV_NAME.get(protocolText);
  if (protocol === undefined) throw new RowError('bad Protocol');
  const { address: first, prefixLength } = address(addressText);
  const minPort = unsigned(minText, 65535, 3);
  const maxPort = unsigned(maxText, 65535, 4);
  if (minPort > maxPort) throw new RowError('Min port above Max port');

  let iterations: Pool4Entry['iterations'] = null;
  let iterationsFixed: Pool4Entry['iterationsFixed'] = null;
  if (iterationsText !== undefined && fixedText !== undefined) {
    // Jool prints "infinite"; "infinity" is what `--max-iterations` takes: both mean no limit.
    if (/^infinit[ey]$/i.test(iterationsText)) iterations = 'infinite';
    else iterations = unsigned(iterationsText, MAX_U32, 5);
    if (fixedText === '1' || /^true$/i.test(fixedText)) iterationsFixed = true;
    else if (fixedText === '0' || /^false$/i.test(fixedText)) iterationsFixed = false;
    else throw new RowError('bad Iterations fixed');
  }
  return { mark, protocol, address: first, prefixLength, minPort, maxPort, iterations, iterationsFixed, text: addressText };
}

export function parsePool4Csv(text: string): Pool4ParseResult {
  const entries: Pool4Entry[] = [];
  const rejected: RejectedRows = { count: 0 };
  let headers = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line.startsWith('Mark,')) {
      headers++;
      continue;
    }
    try {
      entries.push(parseRow(line));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      noteRejected(rejected, error.reason, line);
    }
  }
  return { entries, rejected, headers };
}
