/**
 * What the NAT64 is used for, for one session table: the IPv4 destinations
 * (IPv4 Remote Address) and the services (IPv4 Remote L4-ID: 443, 80, 53, ...)
 * holding the most sessions, and how many distinct subscribers talk to each of
 * those destinations.
 *
 * Cost, for R rows, D distinct destinations and S subscribers, top N:
 *  - one pass over the rows adds 1 to a typed-array counter indexed by the
 *    destination's interned id, and (TCP, UDP) one indexed by the port;
 *  - the top N destinations and ports by a bounded heap (D log N, 65536 log N);
 *  - a second pass over the rows, for the rows whose destination is in the top
 *    N only, sets the subscriber's bit in that destination's bitmap (N bitmaps
 *    of S bits: 10 destinations and 100k subscribers are 125 KiB).
 * No string and no map per row; ids come from the table's interners and from
 * the subscriber mapping of subscribers.ts. Both passes run in slices that
 * yield to the event loop, like the other per-poll computations.
 *
 * Ties (same session count) go to the lower address or port, numerically, so
 * the same table always gives the same series.
 */
import { inSlices, SLICE_ROWS, yieldToEventLoop } from '../slices.js';
import type { SessionTable } from './session-table.js';

export interface DestinationCount {
  /** Dotted IPv4 address (IPv4 Remote Address). */
  readonly destination: string;
  readonly sessions: number;
  /** Distinct subscribers (client prefixes) with a session to it. */
  readonly subscribers: number;
}

export interface ServiceCount {
  /** IPv4 Remote L4-ID: the server's port. */
  readonly port: number;
  readonly sessions: number;
}

export interface DestinationReport {
  /** At most `top`, most sessions first, ties by address ascending. Empty when top = 0. */
  readonly topDestinations: DestinationCount[];
  /**
   * At most `top`, most sessions first, ties by port ascending. Empty for ICMP (whose L4-ID is an
   * identifier, not a service) and when top = 0.
   */
  readonly topServices: ServiceCount[];
}

/** Which subscriber each client address belongs to, as subscribers.ts mapped them. */
export interface SubscriberMap {
  /** Subscriber id of each client address id (ids into table.ipv6Remotes). */
  readonly subscriberOf: Uint32Array;
  /** Subscriber ids are 0 to this, exclusive. */
  readonly subscriberIds: number;
}

export const EMPTY_DESTINATION_REPORT: DestinationReport = Object.freeze({ topDestinations: [], topServices: [] });

export function computeDestinations(table: SessionTable, subscribers: SubscriberMap, top: number): DestinationReport {
  const counter = createDestinationCounter(table, subscribers, top);
  if (counter === null) return EMPTY_DESTINATION_REPORT;
  counter.countRows(0, table.length);
  counter.rank();
  counter.countSubscribers(0, table.length);
  return counter.result();
}

/** Same result as computeDestinations, in slices, so a million-row table never holds up a scrape. */
export async function computeDestinationsInSlices(
  table: SessionTable,
  subscribers: SubscriberMap,
  top: number,
): Promise<DestinationReport> {
  const counter = createDestinationCounter(table, subscribers, top);
  if (counter === null) return EMPTY_DESTINATION_REPORT;
  await inSlices(table.length, SLICE_ROWS, counter.countRows);
  counter.rank();
  await yieldToEventLoop();
  await inSlices(table.length, SLICE_ROWS, counter.countSubscribers);
  return counter.result();
}

function createDestinationCounter(table: SessionTable, subscribers: SubscriberMap, top: number) {
  if (!Number.isInteger(top) || top < 0) throw new RangeError(`top destinations must be a non-negative integer, got ${top}`);
  if (top === 0) return null;
  const destinations = table.ipv4Remotes;
  const sessionsByDestination = new Uint32Array(table.ipv4Remotes.size);
  // ICMP's L4-ID is a query identifier chosen by the client, not a service: no ranking of it.
  const sessionsByPort = table.protocol === 'icmp' ? null : new Uint32Array(65536);

  function countRows(from: number, to: number): void {
    const remote = table.ipv4Remote;
    for (let i = from; i < to; i++) sessionsByDestination[remote[i]!]!++;
    if (sessionsByPort === null) return;
    const port = table.ipv4RemotePort;
    for (let i = from; i < to; i++) sessionsByPort[port[i]!]!++;
  }

  // Filled by rank(): the top destinations, and each destination id's place among them (-1: not in the top).
  let topIds: number[] = [];
  let topPorts: number[] = [];
  let placeOf: Int32Array | null = null;
  let bitmaps: Uint32Array[] = [];
  let distinct: number[] = [];

  function rank(): void {
    // Ties by address (the interner keeps each one's 32 bits).
    topIds = topN(sessionsByDestination, top, destinations.address);
    topPorts = sessionsByPort === null ? [] : topN(sessionsByPort, top, (port) => port);
    placeOf = new Int32Array(sessionsByDestination.length).fill(-1);
    for (const [place, id] of topIds.entries()) placeOf[id] = place;
    const words = Math.ceil(subscribers.subscriberIds / 32);
    bitmaps = topIds.map(() => new Uint32Array(words));
    distinct = topIds.map(() => 0);
  }

  function countSubscribers(from: number, to: number): void {
    const place = placeOf!;
    const remote = table.ipv4Remote;
    const client = table.ipv6Remote;
    const subscriberOf = subscribers.subscriberOf;
    for (let i = from; i < to; i++) {
      const p = place[remote[i]!]!;
      if (p < 0) continue;
      const subscriber = subscriberOf[client[i]!]!;
      const bitmap = bitmaps[p]!;
      const bit = 1 << (subscriber & 31);
      const word = subscriber >>> 5;
      if ((bitmap[word]! & bit) === 0) {
        bitmap[word]! |= bit;
        distinct[p]!++;
      }
    }
  }

  function result(): DestinationReport {
    return {
      topDestinations: topIds.map((id, place) => ({
        destination: destinations.text(id),
        sessions: sessionsByDestination[id]!,
        subscribers: distinct[place]!,
      })),
      topServices: topPorts.map((port) => ({ port, sessions: sessionsByPort![port]! })),
    };
  }

  return { countRows, rank, countSubscribers, result };
}

/**
 * Ids (indexes into `values`) of the `n` highest non-zero values, highest
 * first, ties by `key` ascending: a min-heap of the n best so far, its root
 * the worst of them, so V log n and no sort of all V values.
 */
export function topN(values: Uint32Array, n: number, key: (id: number) => number): number[] {
  const heap: number[] = [];
  // a ranks before b
  const better = (a: number, b: number): boolean => (values[a] !== values[b] ? values[a]! > values[b]! : key(a) < key(b));
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  for (let id = 0; id < values.length; id++) {
    const value = values[id]!;
    if (value === 0) continue;
    if (heap.length < n) {
      heap.push(id);
      for (let at = heap.length - 1; at > 0; ) {
        const parent = (at - 1) >>> 1;
        if (!better(heap[parent]!, heap[at]!)) break;
        swap(at, parent);
        at = parent;
      }
    } else if (value >= values[heap[0]!]! && better(id, heap[0]!)) {
      heap[0] = id;
      for (let at = 0; ; ) {
        const left = 2 * at + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const worse = right < heap.length && better(heap[left]!, heap[right]!) ? right : left;
        if (!better(heap[at]!, heap[worse]!)) break;
        swap(at, worse);
        at = worse;
      }
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1));
}
