/**
 * Sessions and BIB entries per subscriber, and the top talkers, for one session
 * table. A subscriber is the IPv6 client address (IPv6 Remote Address) cut to a
 * prefix length: 128 is one address, 56 or 64 is one customer's delegated prefix.
 *
 * BIB entries per subscriber: a BIB entry (IPv4 Local address + L4-ID, i.e. a
 * pool4 port) belongs to exactly one IPv6 transport address, so to one
 * subscriber, the one whose rows use it; it counts once however many sessions
 * share it. Malformed data, where rows of two subscribers use one BIB entry,
 * counts it for each of them: then the sum over subscribers exceeds the
 * table's BIB entry count (jool_bib_entries), which still counts it once.
 *
 * Cost, for a table of R rows and A distinct client addresses that fall into S
 * subscribers:
 *  - each distinct address is masked ONCE, never per row, from the 128 bits the
 *    interner kept (no text is parsed again); masked prefixes are keyed by their
 *    groups, and a label is formatted only once per subscriber (S formats);
 *  - one pass over the rows with typed arrays: the row's client id gives its
 *    subscriber id, which indexes the session counters. "Distinct BIB entries
 *    per subscriber" needs no hash set per row: when every BIB entry's sessions
 *    are consecutive rows, as Jool prints them (the table's aggregate says so),
 *    a BIB entry is counted where its run of rows starts; otherwise each BIB
 *    entry (pool4 address + port) is looked up in a typed-array table of owners
 *    (bib-owners.ts). That table is hundreds of thousands of entries for a
 *    million rows (~20 MB), and a lookup in it a cache miss: skipping it took
 *    three quarters off this computation;
 *  - histograms in one pass over the S subscribers, the top N by a bounded
 *    heap (S log N), never a sort of all subscribers.
 * The sliced variant does the same work in slices (addresses, rows, subscribers),
 * yielding to the event loop in between, so a scrape is never held up.
 */

import { inSlices, SLICE_ROWS } from '../slices.js';
import { zeroRunToCompress } from './address-bytes.js';
import type { TableAggregate } from './aggregate.js';
import { createBibOwners } from './bib-owners.js';
import type { SubscriberMap } from './destinations.js';
import type { SessionTable } from './session-table.js';

/**
 * Upper bounds of the "per subscriber" histograms (sessions and BIB entries
 * alike): a 1-2-5 ladder, so that every bucket is 2 to 2.5 times the one before and
 * histogram_quantile() has about the same relative error anywhere on the scale.
 *  - 1 and 2 single out clients with next to nothing open (idle phones, a DNS
 *    or NTP exchange);
 *  - 10 to 200 is ordinary use: one web page opens tens of connections, a
 *    household behind a /56 a few hundred;
 *  - 500 to 5000 is heavy: P2P, scanners, a CPE stuck retrying, a big NATed
 *    household. Jool's default pool4 (no pool4 configured: ports 61001-65535 of
 *    the node's own addresses) holds 4535 ports per address and protocol, so a
 *    subscriber near 5000 BIB entries is using up a whole such address;
 *  - 10000 to 50000 approach the 64 Ki ports of one pool4 address and protocol,
 *    the point where one subscriber starves the others (Jool has no
 *    per-subscriber port quota, which is why this metric exists).
 * Above 50000 is the +Inf bucket.
 */
export const SUBSCRIBER_BUCKETS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

export interface SubscriberHistogram {
  /** Cumulative: buckets[i] is the number of subscribers whose value is <= SUBSCRIBER_BUCKETS[i]. */
  buckets: number[];
  /** Sum of the values over the subscribers. */
  sum: number;
  /** Subscribers observed (= SubscriberReport.subscribers); also the +Inf bucket. */
  count: number;
}

export interface SubscriberCount {
  subscriber: string;
  value: number;
}

export interface SubscriberReport {
  /** Distinct subscribers with at least one session. */
  subscribers: number;
  sessionsPerSubscriber: SubscriberHistogram;
  bibEntriesPerSubscriber: SubscriberHistogram;
  /** At most `top` entries, most sessions first, ties by subscriber label ascending. Empty when top = 0. */
  topBySessions: SubscriberCount[];
  /** At most `top` entries, most BIB entries first, ties by subscriber label ascending. Empty when top = 0. */
  topByBibEntries: SubscriberCount[];
}

export interface SubscriberOptions {
  /** IPv6 prefix length that makes a subscriber: 0 to 128 (128 = one address). */
  prefixLength: number;
  /** How many top talkers to report per ranking; 0 for none. */
  top: number;
}

/** Distinct addresses masked between two yields (a Map lookup each, a label for a new subscriber): a few ms. */
const SLICE_ADDRESSES = 2048;
/** Subscribers ranked between two yields (a histogram bucket, two heap offers each): a few ms at worst. */
const SLICE_SUBSCRIBERS = 16384;

// BIB entry owners (bib-owners.ts): per (pool4 address, port), 1 + the id of the subscriber that
// owns the BIB entry (0: not seen yet).
/** Owner mark of a BIB entry used by more than one subscriber (malformed data); owners in `shared`. */
const SHARED = 0xffffffff;

/**
 * What the table's aggregate found about its BIB entries, when the caller has it: how many (sizes
 * the table of owners) and whether they come in runs (no table of owners at all).
 */
export type BibEntriesFound = Pick<TableAggregate, 'bibEntries' | 'bibEntriesInRuns'>;

export function computeSubscribers(table: SessionTable, options: SubscriberOptions, bib?: BibEntriesFound): SubscriberReport {
  const counter = createSubscriberCounter(table, options, bib);
  counter.mapAddresses(0, table.ipv6Remotes.size);
  counter.addRows(0, table.length);
  counter.rankSubscribers(0, counter.subscriberIds);
  return counter.result();
}

/** Same result as computeSubscribers, in slices, so a million-row table never holds up a scrape. */
export async function computeSubscribersInSlices(
  table: SessionTable,
  options: SubscriberOptions,
  bib?: BibEntriesFound,
): Promise<SubscriberReport> {
  return (await mapAndComputeSubscribersInSlices(table, options, bib)).report;
}

/**
 * computeSubscribersInSlices, plus the client → subscriber mapping it built, so the poll can count
 * subscribers per destination (destinations.ts) without parsing and masking every address again.
 */
export async function mapAndComputeSubscribersInSlices(
  table: SessionTable,
  options: SubscriberOptions,
  bib?: BibEntriesFound,
): Promise<{ report: SubscriberReport; map: SubscriberMap }> {
  const counter = createSubscriberCounter(table, options, bib);
  await inSlices(table.ipv6Remotes.size, SLICE_ADDRESSES, counter.mapAddresses);
  await inSlices(table.length, SLICE_ROWS, counter.addRows);
  await inSlices(counter.subscriberIds, SLICE_SUBSCRIBERS, counter.rankSubscribers);
  return { report: counter.result(), map: { subscriberOf: counter.subscriberOf, subscriberIds: counter.subscriberIds } };
}

function checkOptions({ prefixLength, top }: SubscriberOptions): void {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 128) {
    throw new RangeError(`subscriber prefix length must be an integer from 0 to 128, got ${prefixLength}`);
  }
  if (!Number.isInteger(top) || top < 0) throw new RangeError(`top subscribers must be a non-negative integer, got ${top}`);
}

/** The 16-bit masks of the eight groups of an IPv6 address for a prefix length. */
function groupMasks(prefixLength: number): number[] {
  const masks: number[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefixLength - 16 * g));
    masks.push(bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff);
  }
  return masks;
}

/**
 * The subscriber label of a masked address: RFC 5952 text (lower case, no
 * leading zeros, the first longest run of two or more zero groups as "::"),
 * plus "/len" unless the prefix length is 128. Always hexadecimal, also for
 * IPv4-mapped addresses (a NAT64 client is never one). Formatted here rather
 * than with ipaddr.js' toRFC5952String(), which is three times slower (regular
 * expressions), on 100k clients a tenth of a second every poll.
 */
function subscriberLabel(groups: readonly number[], prefixLength: number): string {
  const run = zeroRunToCompress(groups);
  const runStart = run < 0 ? -1 : run >>> 4;
  const runLength = run < 0 ? 0 : run & 15;
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === runStart) {
      text += '::';
      g += runLength - 1;
    } else {
      if (g > 0 && g !== runStart + runLength) text += ':';
      text += groups[g]!.toString(16);
    }
  }
  return prefixLength === 128 ? text : `${text}/${prefixLength}`;
}

function createSubscriberCounter(table: SessionTable, options: SubscriberOptions, bib?: BibEntriesFound) {
  checkOptions(options);
  const { prefixLength, top } = options;
  const masks = groupMasks(prefixLength);
  const clients = table.ipv6Remotes;

  /** Subscriber id of each client address id (ids into table.ipv6Remotes). */
  const subscriberOf = new Uint32Array(table.ipv6Remotes.size);
  /** Masked groups (as an 8-unit string) → subscriber id. */
  const subscriberIds = new Map<string, number>();
  const labels: string[] = [];

  function mapAddresses(from: number, to: number): void {
    for (let id = from; id < to; id++) {
      // The interner keeps each address's 128 bits: no text to parse here.
      const groups: number[] = [];
      for (let w = 0; w < 4; w++) {
        const word = clients.word(id, w);
        groups.push((word >>> 16) & masks[2 * w]!, word & 0xffff & masks[2 * w + 1]!);
      }
      // One UTF-16 unit per group: an 8-unit key, cheap to build and to hash.
      const key = String.fromCharCode(groups[0]!, groups[1]!, groups[2]!, groups[3]!, groups[4]!, groups[5]!, groups[6]!, groups[7]!);
      let subscriber = subscriberIds.get(key);
      if (subscriber === undefined) {
        subscriber = labels.length;
        subscriberIds.set(key, subscriber);
        labels.push(subscriberLabel(groups, prefixLength));
      }
      subscriberOf[id] = subscriber;
    }
  }

  let sessions: Uint32Array | null = null;
  let bibEntries: Uint32Array | null = null;
  /** Sessions and BIB entries per subscriber id: made once the addresses are mapped (the subscriber count is known only then). */
  function counters(): readonly [Uint32Array, Uint32Array] {
    sessions ??= new Uint32Array(labels.length);
    bibEntries ??= new Uint32Array(labels.length);
    return [sessions, bibEntries];
  }
  const inRuns = bib?.bibEntriesInRuns === true;
  const owners = inRuns ? null : createBibOwners(bib?.bibEntries);
  /** Owners of the BIB entries marked SHARED, by pool4 address id * 65536 + port. */
  const shared = new Map<number, Set<number>>();

  // The run (BIB entry) of the last row counted, across slices: its first subscriber, and any other.
  let runAddress = -1;
  let runPort = -1;
  let runOwner = -1;
  let runOthers: number[] = [];

  /** The rows' sessions and BIB entries, each BIB entry counted where its run starts. */
  function addRowsInRuns(from: number, to: number): void {
    const [sessionCounts, bibCounts] = counters();
    const { ipv6Remote: remote, ipv4Local: pool4, ipv4LocalPort: pool4Port } = table;
    for (let i = from; i < to; i++) {
      const subscriber = subscriberOf[remote[i]!]!;
      sessionCounts[subscriber]!++;
      const address = pool4[i]!;
      const port = pool4Port[i]!;
      if (address !== runAddress || port !== runPort) {
        runAddress = address;
        runPort = port;
        runOwner = subscriber;
        if (runOthers.length > 0) runOthers = [];
        bibCounts[subscriber]!++;
      } else if (subscriber !== runOwner && !runOthers.includes(subscriber)) {
        // Malformed data, as below: counted for each subscriber that uses the BIB entry.
        runOthers.push(subscriber);
        bibCounts[subscriber]!++;
      }
    }
  }

  /** The rows' sessions and BIB entries, each BIB entry's owner looked up in `owners`. */
  function addRowsByOwner(from: number, to: number): void {
    if (owners === null) throw new Error('no table of owners: the BIB entries come in runs');
    const [sessionCounts, bibCounts] = counters();
    const { ipv6Remote: remote, ipv4Local: pool4, ipv4LocalPort: pool4Port } = table;
    let lastAddress = -1;
    let lastPort = -1;
    let lastSubscriber = -1;
    for (let i = from; i < to; i++) {
      const subscriber = subscriberOf[remote[i]!]!;
      sessionCounts[subscriber]!++;

      const address = pool4[i]!;
      const port = pool4Port[i]!;
      // Jool prints the sessions of one BIB entry together: the row before is often the same entry.
      if (address === lastAddress && port === lastPort && subscriber === lastSubscriber) continue;
      lastAddress = address;
      lastPort = port;
      lastSubscriber = subscriber;
      const owner = owners.get(address, port);
      if (owner === subscriber + 1) continue; // another session of the same BIB entry
      if (owner === 0) {
        owners.set(address, port, subscriber + 1);
        bibCounts[subscriber]!++;
      } else if (owner === SHARED) {
        const sharing = shared.get(address * 65536 + port)!;
        if (!sharing.has(subscriber)) {
          sharing.add(subscriber);
          bibCounts[subscriber]!++;
        }
      } else {
        // Malformed data: a BIB entry belongs to one IPv6 transport address, so to one subscriber.
        // Counted for each subscriber that uses it.
        owners.set(address, port, SHARED);
        shared.set(address * 65536 + port, new Set([owner - 1, subscriber]));
        bibCounts[subscriber]!++;
      }
    }
  }

  const sessionsRanking = createRanking(labels, top);
  const bibRanking = createRanking(labels, top);
  let subscribers = 0;

  /** Histograms and top N over subscribers [from, to), once every row is counted. */
  function rankSubscribers(from: number, to: number): void {
    const [sessionCounts, bibCounts] = counters();
    for (let s = from; s < to; s++) {
      const count = sessionCounts[s]!;
      // The subscriber of an interned address whose rows the parser all rejected holds no session:
      // no subscriber of this table.
      if (count === 0) continue;
      subscribers++;
      sessionsRanking.offer(s, count);
      bibRanking.offer(s, bibCounts[s]!);
    }
  }

  function result(): SubscriberReport {
    return {
      subscribers,
      sessionsPerSubscriber: sessionsRanking.histogram(),
      bibEntriesPerSubscriber: bibRanking.histogram(),
      topBySessions: sessionsRanking.top(),
      topByBibEntries: bibRanking.top(),
    };
  }

  return {
    mapAddresses,
    addRows: inRuns ? addRowsInRuns : addRowsByOwner,
    subscriberOf,
    /** Subscriber ids are 0 to this (exclusive); known once every address is mapped. */
    get subscriberIds() {
      return labels.length;
    },
    rankSubscribers,
    result,
  };
}

/**
 * A histogram of one value per subscriber, and the `n` subscribers with the
 * highest values: highest first, ties by label ascending (UTF-16 code unit
 * order, i.e. plain string comparison), a total order, so the same table always
 * gives the same list. The top N is a min-heap of the n best so far, its root
 * the worst of them: S log n, no sort of all S subscribers.
 */
function createRanking(labels: readonly string[], n: number) {
  const bounds = SUBSCRIBER_BUCKETS;
  /** Per bucket, subscribers counted in it first (value <= bound); made cumulative in histogram(). */
  const counts = new Array<number>(bounds.length).fill(0);
  let sum = 0;
  let count = 0;
  const heapIds: number[] = [];
  const heapValues: number[] = [];

  /** Subscriber a (value va) ranks before b (value vb). */
  const better = (a: number, va: number, b: number, vb: number): boolean => (va !== vb ? va > vb : labels[a]! < labels[b]!);
  const swap = (i: number, j: number): void => {
    [heapIds[i], heapIds[j]] = [heapIds[j]!, heapIds[i]!];
    [heapValues[i], heapValues[j]] = [heapValues[j]!, heapValues[i]!];
  };
  const siftDown = (at: number): void => {
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heapIds.length) return;
      const right = left + 1;
      // The worse child goes up: the root stays the worst of the kept ones.
      const worse = right < heapIds.length && better(heapIds[left]!, heapValues[left]!, heapIds[right]!, heapValues[right]!) ? right : left;
      if (!better(heapIds[at]!, heapValues[at]!, heapIds[worse]!, heapValues[worse]!)) return;
      swap(at, worse);
      at = worse;
    }
  };

  function offer(subscriber: number, value: number): void {
    sum += value;
    count++;
    let b = 0;
    while (b < bounds.length && value > bounds[b]!) b++;
    if (b < bounds.length) counts[b]!++;

    if (n === 0) return;
    if (heapIds.length < n) {
      heapIds.push(subscriber);
      heapValues.push(value);
      let at = heapIds.length - 1;
      while (at > 0) {
        const parent = (at - 1) >>> 1;
        if (!better(heapIds[parent]!, heapValues[parent]!, heapIds[at]!, heapValues[at]!)) break;
        swap(at, parent);
        at = parent;
      }
    } else if (value >= heapValues[0]! && better(subscriber, value, heapIds[0]!, heapValues[0]!)) {
      heapIds[0] = subscriber;
      heapValues[0] = value;
      siftDown(0);
    }
  }

  function histogram(): SubscriberHistogram {
    const buckets = counts.slice();
    for (let b = 1; b < buckets.length; b++) buckets[b]! += buckets[b - 1]!;
    return { buckets, sum, count };
  }

  function top(): SubscriberCount[] {
    const entries = heapIds.map((id, i) => ({ id, value: heapValues[i]! }));
    entries.sort((a, b) => (better(a.id, a.value, b.id, b.value) ? -1 : 1));
    return entries.map(({ id, value }) => ({ subscriber: labels[id]!, value }));
  }

  return { offer, histogram, top };
}
