/**
 * Parser for `jool stats display --csv [--all] [--no-headers] [--explain]`
 * (Jool 4; Jool 3 has no stats command).
 *
 * Jool prints `Stat,Value` then one `NAME,VALUE` line per stat, VALUE a u64
 * printed with %llu. With --explain a third column holds the explanation,
 * wrapped in double quotes but not escaped, and some explanations span several
 * lines (JSTAT_HAIRPIN_LOOP, JSTAT_POOL4_MISMATCH, JSTAT46_FRAGMENTED_ZERO_CSUM
 * in 4.1.9). Since quotes inside are not escaped, quote counting cannot find
 * the end of an explanation; the next row can: a row with an explanation runs
 * up to the next line that starts a row (`JSTAT...,digits`) or a header, or to
 * the end, and is valid when its last non-empty line ends with the closing
 * quote. The output is small (about 70 lines), so it is parsed as one string.
 *
 * A malformed row is counted and the first one kept as an example; it never
 * stops the parse and nothing here throws.
 *
 * Values are u64 in Jool. They are read digit by digit (no sign, no exponent,
 * no fraction) and converted to the nearest double: exact up to 2^53
 * (9007199254740992), rounded to a few parts in 10^16 above.
 */
import { noteRejected, type RejectedRows, RowError } from './rejected.js';

export interface ParsedStat {
  name: string;
  value: number;
}

export interface StatsParseResult {
  /** The stats in Jool's order. */
  stats: ParsedStat[];
  rejected: RejectedRows;
  /** Header lines seen (`Stat,Value` or `Stat,Value,Explanation`); accepted and skipped. */
  headers: number;
}

/** Jool's stat names: `JSTAT_*`, `JSTAT64_*`, `JSTAT46_*` (src/common/stats.h). */
export const STAT_NAME = /^JSTAT[A-Z0-9_]*$/;
const DIGITS = /^[0-9]+$/;
/** The start of a stat row, used to notice an explanation whose closing quote never came. */
const ROW_START = /^JSTAT[A-Z0-9_]*,[0-9]+(?:,|$)/;
const HEADER_PREFIX = 'Stat,';
const U64_MAX = 18446744073709551615n;

/** The value of a Value field, or a RowError. */
function parseValue(field: string): number {
  if (field === '') throw new RowError('empty Value');
  if (!DIGITS.test(field)) throw new RowError(field.startsWith('-') ? 'negative Value' : 'bad Value (not a non-negative integer)');
  // Up to 15 digits the double is exact and cheap; longer ones are checked against u64 first.
  if (field.length > 15 && BigInt(field) > U64_MAX) throw new RowError('Value exceeds 64 bits');
  return Number(field);
}

export function parseStatsCsv(text: string): StatsParseResult {
  const stats: ParsedStat[] = [];
  const rejected: RejectedRows = { count: 0 };
  const seen = new Set<string>();
  let headers = 0;
  /** A row with a quoted Explanation, whose end is known only at the next row. */
  let pending: { stat: ParsedStat; line: string; closed: boolean } | undefined;

  const reject = (line: string, reason: string): void => {
    noteRejected(rejected, reason, line);
  };
  const accept = (stat: ParsedStat, line: string): void => {
    if (seen.has(stat.name)) {
      reject(line, `duplicate stat ${stat.name}`);
      return;
    }
    seen.add(stat.name);
    stats.push(stat);
  };
  const endPending = (): void => {
    if (pending === undefined) return;
    if (pending.closed) accept(pending.stat, pending.line);
    else reject(pending.line, 'unterminated quoted Explanation');
    pending = undefined;
  };

  const lines = text.split('\n');
  for (let raw of lines) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const header = raw.startsWith(HEADER_PREFIX);
    if (pending !== undefined) {
      if (!header && !ROW_START.test(raw)) {
        // Still the explanation (possibly a blank line of it).
        if (raw !== '') pending.closed = raw.endsWith('"');
        continue;
      }
      endPending();
    }

    if (raw === '') continue;
    if (header) {
      headers++;
      continue;
    }
    try {
      const nameEnd = raw.indexOf(',');
      if (nameEnd < 0) throw new RowError('too few fields (no Value)');
      const name = raw.slice(0, nameEnd);
      if (!STAT_NAME.test(name)) throw new RowError('bad Stat name');
      const valueEnd = raw.indexOf(',', nameEnd + 1);
      const value = parseValue(raw.slice(nameEnd + 1, valueEnd < 0 ? raw.length : valueEnd));
      const stat = { name, value };
      if (valueEnd < 0) {
        accept(stat, raw);
        continue;
      }
      // Third column: only Jool's quoted Explanation (--explain).
      const explanation = raw.slice(valueEnd + 1);
      if (!explanation.startsWith('"')) throw new RowError('too many fields (only a quoted Explanation may follow Value)');
      // The opening quote alone does not close the explanation.
      pending = { stat, line: raw, closed: explanation.length > 1 && explanation.endsWith('"') };
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      reject(raw, error.reason);
    }
  }
  endPending();
  return { stats, rejected, headers };
}
