/**
 * What the metrics say about one session table, computed in one pass over its
 * columns once the poll has read it.
 */
import { TCP_STATES } from '../model.js';
import { inSlices, SLICE_ROWS } from '../slices.js';
import { createPortBitmaps } from './port-bitmap.js';
import type { SessionTable } from './session-table.js';

/**
 * Upper bounds (seconds) of the expiry histogram, chosen around Jool's default
 * timeouts so each one is a bucket edge: ICMP 1 min, TCP transitory 4 min,
 * UDP 5 min, TCP established 2 h. Finer at the low end, where "about to expire"
 * matters for port reuse.
 */
export const EXPIRY_BUCKETS_SECONDS: readonly number[] = [1, 5, 10, 30, 60, 120, 240, 300, 600, 1200, 1800, 3600, 5400, 7200];

export interface TableAggregate {
  readonly sessions: number;
  /** Sessions per TCP state, indexed like TCP_STATES (all zero for UDP and ICMP). */
  readonly tcpStates: readonly number[];
  /** Cumulative count per EXPIRY_BUCKETS_SECONDS bound (the +Inf bucket is `sessions`). */
  readonly expiryBuckets: readonly number[];
  readonly expirySumSeconds: number;
  /** Distinct IPv4 transport addresses (IPv4 Local address + L4-ID): the BIB entries in use. */
  readonly bibEntries: number;
  /**
   * Every BIB entry's sessions are consecutive rows, as Jool prints them (one BIB entry's sessions
   * after another's). Not a metric: it lets the subscribers count BIB entries run by run, without
   * a table of owners (subscribers.ts).
   */
  readonly bibEntriesInRuns: boolean;
  /** Distinct IPv6 Remote addresses. */
  readonly clients: number;
}

export function aggregateTable(table: SessionTable): TableAggregate {
  const aggregator = createAggregator(table);
  aggregator.addRows(0, table.length);
  return aggregator.result();
}

/** Same result as aggregateTable, in slices, so a million-row table never holds up a scrape. */
export async function aggregateTableInSlices(table: SessionTable): Promise<TableAggregate> {
  const aggregator = createAggregator(table);
  await inSlices(table.length, SLICE_ROWS, aggregator.addRows);
  return aggregator.result();
}

function createAggregator(table: SessionTable) {
  const tcpStates = new Float64Array(TCP_STATES.length);
  const bucketCounts = new Float64Array(EXPIRY_BUCKETS_SECONDS.length);
  const boundsMs = Float64Array.from(EXPIRY_BUCKETS_SECONDS, (s) => s * 1000);
  const bibSeen = createPortBitmaps(table.ipv4Locals.size);
  const clientSeen = new Uint8Array(table.ipv6Remotes.size);
  let bibEntries = 0;
  let clients = 0;
  let expirySumMs = 0;
  // The BIB entry of the last row added (across slices), and whether a BIB entry came back after another.
  let lastAddress = -1;
  let lastPort = -1;
  let bibEntriesInRuns = true;

  function addRows(from: number, to: number): void {
    // Columns and running totals in locals for the loop (a closure variable is a memory access per row).
    const { state: states, expiresMs, ipv4Local, ipv4LocalPort, ipv6Remote } = table;
    const stateCount = TCP_STATES.length;
    const bounds = boundsMs.length;
    let sum = 0;
    let bib = 0;
    let seen = 0;
    let previousAddress = lastAddress;
    let previousPort = lastPort;
    let inRuns = bibEntriesInRuns;
    for (let i = from; i < to; i++) {
      const state = states[i]!;
      if (state < stateCount) tcpStates[state]!++;

      const expires = expiresMs[i]!;
      sum += expires;
      // Counted in the first bucket that holds it; made cumulative in result().
      let b = 0;
      while (b < bounds && expires > boundsMs[b]!) b++;
      if (b < bounds) bucketCounts[b]!++;

      const address = ipv4Local[i]!;
      const port = ipv4LocalPort[i]!;
      if (bibSeen.add(address, port)) bib++;
      else if (address !== previousAddress || port !== previousPort) inRuns = false; // seen, but not in the row before
      previousAddress = address;
      previousPort = port;

      const client = ipv6Remote[i]!;
      if (clientSeen[client] === 0) {
        clientSeen[client] = 1;
        seen++;
      }
    }
    expirySumMs += sum;
    bibEntries += bib;
    clients += seen;
    lastAddress = previousAddress;
    lastPort = previousPort;
    bibEntriesInRuns = inRuns;
  }

  function result(): TableAggregate {
    const expiryBuckets = Array.from(bucketCounts);
    for (let b = 1; b < expiryBuckets.length; b++) expiryBuckets[b]! += expiryBuckets[b - 1]!;
    return {
      sessions: table.length,
      tcpStates: Array.from(tcpStates),
      expiryBuckets,
      expirySumSeconds: expirySumMs / 1000,
      bibEntries,
      bibEntriesInRuns,
      clients,
    };
  }

  return { addRows, result };
}
