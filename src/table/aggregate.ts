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
  const tcpStates = new Array<number>(TCP_STATES.length).fill(0);
  const bucketCounts = new Array<number>(EXPIRY_BUCKETS_SECONDS.length).fill(0);
  const boundsMs = EXPIRY_BUCKETS_SECONDS.map((s) => s * 1000);
  const bibSeen = createPortBitmaps(table.ipv4Locals.size);
  const clientSeen = new Uint8Array(table.ipv6Remotes.size);
  let bibEntries = 0;
  let clients = 0;
  let expirySumMs = 0;

  function addRows(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const state = table.state[i]!;
      if (state < TCP_STATES.length) tcpStates[state]!++;

      const expires = table.expiresMs[i]!;
      expirySumMs += expires;
      // Counted in the first bucket that holds it; made cumulative in result().
      let b = 0;
      while (b < boundsMs.length && expires > boundsMs[b]!) b++;
      if (b < boundsMs.length) bucketCounts[b]!++;

      if (bibSeen.add(table.ipv4Local[i]!, table.ipv4LocalPort[i]!)) bibEntries++;

      const client = table.ipv6Remote[i]!;
      if (clientSeen[client] === 0) {
        clientSeen[client] = 1;
        clients++;
      }
    }
  }

  function result(): TableAggregate {
    const expiryBuckets = bucketCounts.slice();
    for (let b = 1; b < expiryBuckets.length; b++) expiryBuckets[b]! += expiryBuckets[b - 1]!;
    return {
      sessions: table.length,
      tcpStates: tcpStates.slice(),
      expiryBuckets,
      expirySumSeconds: expirySumMs / 1000,
      bibEntries,
      clients,
    };
  }

  return { addRows, result };
}
