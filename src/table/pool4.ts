/**
 * pool4 capacity and usage of one protocol: how many IPv4 transport addresses
 * (address + port, or ICMP identifier) pool4 offers, and how many of them the
 * BIB entries seen in the session table hold.
 *
 * Capacity counts distinct transport addresses: entries can overlap (same
 * address, overlapping port ranges, or the same ports under several marks),
 * and a port counts once per address. A prefix entry stands for every address
 * in it.
 *
 * Marks: a packet uses only the pool4 entries of its mark, but sessions do not
 * show marks, so usage cannot be split per mark. Per-address numbers (and the
 * totals) are the union over marks, which is also how Jool itself decides
 * whether a transport address belongs to pool4 (pool4db_contains looks the
 * address up by address, whatever the mark). Capacity per mark is given apart.
 *
 * Empty pool4: Jool then uses ports 61001-65535 of the node's own addresses
 * (src/mod/common/db/pool4/empty.c), which the exporter cannot enumerate, so
 * there is no capacity to report (`configured: false`). Jool falls back to that
 * only when pool4 is empty for all three protocols (is_empty() in
 * src/mod/common/db/pool4/db.c): pass the entries of every protocol; entries of
 * other protocols only decide `configured`.
 *
 * The maths runs on address segments, not on addresses: the boundaries of the
 * entries cut the IPv4 space into runs of addresses covered by the same
 * entries, and every address of a run has the same merged port ranges. Capacity
 * is exact and cheap whatever the prefix lengths; only the per-address list is
 * as long as pool4 has addresses (capped at MAX_LISTED_ADDRESSES).
 */
import type { Pool4Entry } from '../model.js';
import { inSlices, SLICE_ROWS } from '../slices.js';
import { formatIPv4 } from './address.js';
import { createPortBitmaps } from './port-bitmap.js';
import type { SessionTable } from './session-table.js';

export interface Pool4AddressUsage {
  /** Dotted IPv4 address. */
  readonly address: string;
  /** Distinct ports of this address in pool4 (union over marks). */
  readonly capacity: number;
  /** BIB entries of the session table on this address, on a port of its pool4 ranges. */
  readonly used: number;
}

export interface Pool4Report {
  /** false when pool4 is empty (every protocol): Jool uses its implicit pool, whose size is unknown here. */
  readonly configured: boolean;
  /** Distinct (address, port) pairs of this protocol's pool4, all marks together. 0 when not configured. */
  readonly capacity: number;
  /** BIB entries inside this protocol's pool4 (sum of `addresses[].used`). 0 when not configured. */
  readonly used: number;
  /**
   * BIB entries outside pool4: their address is not in it, or their port is not in that address's
   * ranges. When not configured: outside Jool's implicit pool, i.e. a port below 61001 (the address
   * is not checked: the node's addresses are unknown here).
   */
  readonly outside: number;
  /** Every address of this protocol's pool4, sorted numerically. Empty when not configured. */
  readonly addresses: Pool4AddressUsage[];
  /** Addresses left out of `addresses` past MAX_LISTED_ADDRESSES (0 unless pool4 holds absurdly short prefixes). */
  readonly addressesOmitted: number;
  /** Capacity per mark (distinct (address, port) of that mark), sorted by mark. */
  readonly marks: Array<{ mark: number; capacity: number }>;
  /** Highest `used / capacity` over the addresses: where exhaustion starts. 0 when there is no capacity. */
  readonly maxAddressUtilization: number;
}

/** First port of the pool Jool uses when pool4 is empty (DEFAULT_POOL4_MIN_PORT; the last is 65535). */
export const EMPTY_POOL4_MIN_PORT = 61001;

/**
 * At most this many addresses are listed (a /12): past that, every address is a pair of series per
 * protocol, which no Prometheus wants. Totals, ratios and mark capacities stay exact regardless.
 */
export const MAX_LISTED_ADDRESSES = 1 << 20;

/** Addresses [first, last] all with the same merged port ranges. */
interface Segment {
  readonly first: number;
  /** Grows while building, when the next addresses have the same ranges (pool4 printed address by address). */
  last: number;
  /** Merged port ranges, flattened: [min0, max0, min1, max1, ...], sorted, disjoint, not adjacent. */
  readonly ranges: readonly number[];
  /** Distinct ports per address. */
  readonly ports: number;
}

interface Span {
  readonly first: number;
  /** Last address, inclusive (a number, not a uint32 operation: /0 ends at 2^32 - 1). */
  readonly last: number;
  readonly mark: number;
  readonly minPort: number;
  readonly maxPort: number;
}

/** Sorted, merged (overlapping or adjacent ranges joined) flattened ranges. */
function mergeRanges(spans: readonly Span[]): number[] {
  const sorted = spans.map((s) => [s.minPort, s.maxPort] as const).sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [min, max] of sorted) {
    const n = merged.length;
    if (n > 0 && min <= merged[n - 1]! + 1) merged[n - 1] = Math.max(merged[n - 1]!, max);
    else merged.push(min, max);
  }
  return merged;
}

function portCount(ranges: readonly number[]): number {
  let count = 0;
  for (let i = 0; i < ranges.length; i += 2) count += ranges[i + 1]! - ranges[i]! + 1;
  return count;
}

function rangesContain(ranges: readonly number[], port: number): boolean {
  // Binary search over the (min, max) pairs.
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (port < ranges[2 * mid]!) hi = mid - 1;
    else if (port > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

function sameRanges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Cuts the entries into segments (sweep over the sorted entry boundaries) and sums the capacity per mark. */
function buildSegments(spans: readonly Span[]): { segments: Segment[]; markCapacity: Map<number, number> } {
  const sorted = [...spans].sort((a, b) => a.first - b.first);
  const segments: Segment[] = [];
  const markCapacity = new Map<number, number>();
  const addMark = (mark: number, ports: number) => markCapacity.set(mark, (markCapacity.get(mark) ?? 0) + ports);

  // The usual pool4, one entry per address and no two entries on one address: every entry is a segment.
  if (sorted.every((span, i) => i === 0 || span.first > sorted[i - 1]!.last)) {
    for (const span of sorted) {
      const ports = span.maxPort - span.minPort + 1;
      addMark(span.mark, (span.last - span.first + 1) * ports);
      const previous = segments[segments.length - 1];
      if (
        previous !== undefined &&
        previous.last + 1 === span.first &&
        previous.ranges.length === 2 &&
        previous.ranges[0] === span.minPort &&
        previous.ranges[1] === span.maxPort
      ) {
        previous.last = span.last;
      } else {
        segments.push({ first: span.first, last: span.last, ranges: [span.minPort, span.maxPort], ports });
      }
    }
    return { segments, markCapacity };
  }

  // Overlapping entries: sweep over the boundaries, keeping the entries that cover the current run.
  // Typed-array sort: numeric, and fast for the 2 x 65,536 boundaries of a /16 printed address by address.
  const boundaries = new Float64Array(spans.length * 2);
  spans.forEach((s, i) => {
    boundaries[2 * i] = s.first;
    boundaries[2 * i + 1] = s.last + 1;
  });
  boundaries.sort();
  const active: Span[] = [];
  let next = 0;
  for (let p = 0; p + 1 < boundaries.length; p++) {
    const first = boundaries[p]!;
    const end = boundaries[p + 1]!;
    if (end === first) continue; // duplicate boundary
    const last = end - 1;
    while (next < sorted.length && sorted[next]!.first <= first) active.push(sorted[next++]!);
    // Drop the entries that ended before this segment (in place: this loop runs once per segment).
    let kept = 0;
    for (const span of active) if (span.last >= first) active[kept++] = span;
    if (kept !== active.length) active.length = kept;
    if (kept === 0) continue; // a gap between entries
    const addresses = last - first + 1;
    const previous = segments[segments.length - 1];
    let ranges: number[];
    if (kept === 1) {
      // The usual case: one entry per address (Jool prints pool4 address by address).
      const span = active[0]!;
      addMark(span.mark, addresses * (span.maxPort - span.minPort + 1));
      if (
        previous !== undefined &&
        previous.last + 1 === first &&
        previous.ranges.length === 2 &&
        previous.ranges[0] === span.minPort &&
        previous.ranges[1] === span.maxPort
      ) {
        previous.last = last;
        continue;
      }
      ranges = [span.minPort, span.maxPort];
    } else {
      ranges = mergeRanges(active);
      const marks = new Set(active.map((s) => s.mark));
      for (const mark of marks) {
        const ports = marks.size === 1 ? portCount(ranges) : portCount(mergeRanges(active.filter((s) => s.mark === mark)));
        addMark(mark, addresses * ports);
      }
    }
    // Contiguous addresses with the same ranges (a prefix printed address by address) make one segment.
    if (previous !== undefined && previous.last + 1 === first && sameRanges(previous.ranges, ranges)) previous.last = last;
    else segments.push({ first, last, ranges, ports: portCount(ranges) });
  }
  return { segments, markCapacity };
}

/** Index of the segment holding `address`, or -1. */
function findSegment(segments: readonly Segment[], address: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const segment = segments[mid]!;
    if (address < segment.first) hi = mid - 1;
    else if (address > segment.last) lo = mid + 1;
    else return mid;
  }
  return -1;
}

function createPool4Computation(entries: readonly Pool4Entry[], table: SessionTable) {
  const configured = entries.length > 0;
  const spans: Span[] = entries
    .filter((e) => e.protocol === table.protocol)
    .map((e) => ({
      first: e.address,
      last: e.address + 2 ** (32 - e.prefixLength) - 1,
      mark: e.mark,
      minPort: e.minPort,
      maxPort: e.maxPort,
    }));
  const { segments, markCapacity } = buildSegments(spans);

  // Each distinct IPv4 Local address of the table is parsed and placed once, not once per row.
  const addressCount = table.ipv4Locals.size;
  const segmentOf = new Int32Array(addressCount);
  for (let id = 0; id < addressCount; id++) segmentOf[id] = findSegment(segments, table.ipv4Locals.address(id));
  const usedById = new Float64Array(addressCount);
  // A BIB entry (address, port) counts once, however many sessions.
  const seen = createPortBitmaps(addressCount);
  let outside = 0;

  function addRows(from: number, to: number): void {
    const ids = table.ipv4Local;
    const ports = table.ipv4LocalPort;
    for (let i = from; i < to; i++) {
      const id = ids[i]!;
      const port = ports[i]!;
      if (!seen.add(id, port)) continue;
      if (!configured) {
        if (port < EMPTY_POOL4_MIN_PORT) outside++;
        continue;
      }
      const segment = segmentOf[id]!;
      if (segment >= 0 && rangesContain(segments[segment]!.ranges, port)) usedById[id]!++;
      else outside++;
    }
  }

  function result(): Pool4Report {
    if (!configured) {
      return { configured, capacity: 0, used: 0, outside, addresses: [], addressesOmitted: 0, marks: [], maxAddressUtilization: 0 };
    }
    const usedByAddress = new Map<number, number>();
    let used = 0;
    let maxAddressUtilization = 0;
    for (let id = 0; id < addressCount; id++) {
      const count = usedById[id]!;
      if (count === 0) continue;
      used += count;
      usedByAddress.set(table.ipv4Locals.address(id), count);
      maxAddressUtilization = Math.max(maxAddressUtilization, count / segments[segmentOf[id]!]!.ports);
    }
    let capacity = 0;
    let omitted = 0;
    const addresses: Pool4AddressUsage[] = [];
    for (const segment of segments) {
      const count = segment.last - segment.first + 1;
      capacity += count * segment.ports;
      const listed = Math.min(count, MAX_LISTED_ADDRESSES - addresses.length);
      omitted += count - listed;
      for (let i = 0; i < listed; i++) {
        const address = segment.first + i;
        addresses.push({ address: formatIPv4(address), capacity: segment.ports, used: usedByAddress.get(address) ?? 0 });
      }
    }
    const marks = [...markCapacity].sort((a, b) => a[0] - b[0]).map(([mark, ports]) => ({ mark, capacity: ports }));
    return { configured, capacity, used, outside, addresses, addressesOmitted: omitted, marks, maxAddressUtilization };
  }

  return { addRows, result };
}

/**
 * pool4 capacity and usage of the table's protocol. `entries`: the whole pool4 (every protocol; those
 * of other protocols only tell an empty pool4 from a configured one). `table`: that protocol's sessions.
 */
export function computePool4(entries: readonly Pool4Entry[], table: SessionTable): Pool4Report {
  const computation = createPool4Computation(entries, table);
  computation.addRows(0, table.length);
  return computation.result();
}

/** Same result as computePool4, walking the rows in slices so a million-row table never holds up a scrape. */
export async function computePool4InSlices(entries: readonly Pool4Entry[], table: SessionTable): Promise<Pool4Report> {
  const computation = createPool4Computation(entries, table);
  await inSlices(table.length, SLICE_ROWS, computation.addRows);
  return computation.result();
}
