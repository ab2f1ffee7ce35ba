/**
 * Per-subscriber metrics: how sessions and BIB entries (pool4 ports) are spread
 * over subscribers (IPv6 client prefixes), and the top talkers. Computed by the
 * poll (src/table/subscribers.ts); this only turns the report into families.
 * Every family is declared here, once, with its help text.
 *
 * Cardinality: the histograms have a fixed series count; the top series are at
 * most --clients.top per instance, protocol and metric, whatever the table
 * holds. Their `subscriber` label set follows the table from poll to poll.
 */
import { PROTOCOLS } from '../model.js';
import type { ExporterStatus } from '../status/model.js';
import { SUBSCRIBER_BUCKETS, type SubscriberHistogram } from '../table/subscribers.js';
import { desc, type Family, histogramSamples, type MetricDesc } from './families.js';

const I = 'jool_instance';

export const SUBSCRIBERS = desc(
  'jool_session_subscribers',
  'gauge',
  [I, 'protocol'],
  'Distinct subscribers (IPv6 Remote Address cut to --clients.prefix-length) with at least one session, as of the last successful poll.',
);
export const SESSIONS_PER_SUBSCRIBER = desc(
  'jool_sessions_per_subscriber',
  'histogram',
  [I, 'protocol'],
  'Sessions held by each subscriber (IPv6 client prefix of --clients.prefix-length bits), as of the last successful poll.',
);
export const BIB_ENTRIES_PER_SUBSCRIBER = desc(
  'jool_bib_entries_per_subscriber',
  'histogram',
  [I, 'protocol'],
  'BIB entries (pool4 address and port) used by each subscriber (IPv6 client ' +
    'prefix of --clients.prefix-length bits), as of the last successful poll.',
);
export const TOP_SESSIONS = desc(
  'jool_top_subscriber_sessions',
  'gauge',
  [I, 'protocol', 'subscriber'],
  'Sessions of the --clients.top subscribers holding the most sessions (ties: lowest ' +
    'label first), as of the last successful poll. The subscriber set changes between polls.',
);
export const TOP_BIB_ENTRIES = desc(
  'jool_top_subscriber_bib_entries',
  'gauge',
  [I, 'protocol', 'subscriber'],
  'BIB entries (pool4 ports) of the --clients.top subscribers using the most (ties: lowest ' +
    'label first), as of the last successful poll. The subscriber set changes between polls.',
);

export const SUBSCRIBER_FAMILIES: readonly MetricDesc[] = [
  SUBSCRIBERS,
  SESSIONS_PER_SUBSCRIBER,
  BIB_ENTRIES_PER_SUBSCRIBER,
  TOP_SESSIONS,
  TOP_BIB_ENTRIES,
];

export function collectSubscriberMetrics(status: ExporterStatus): Family[] {
  const families = new Map<MetricDesc, Family>(SUBSCRIBER_FAMILIES.map((d) => [d, { desc: d, samples: [] }]));
  const samples = (d: MetricDesc) => families.get(d)!.samples;
  const histogram = (d: MetricDesc, labels: Record<string, string>, h: SubscriberHistogram) =>
    samples(d).push(...histogramSamples(labels, SUBSCRIBER_BUCKETS, h.buckets, h.count, h.sum));

  for (const instance of status.instances) {
    // Only from a successful last poll: while jool fails these are absent, not stale (as the session metrics).
    if (instance.tables === undefined) continue;
    for (const protocol of PROTOCOLS) {
      const report = instance.tables[protocol].subscribers;
      const labels = { [I]: instance.name, protocol };
      samples(SUBSCRIBERS).push({ labels, value: report.subscribers });
      histogram(SESSIONS_PER_SUBSCRIBER, labels, report.sessionsPerSubscriber);
      histogram(BIB_ENTRIES_PER_SUBSCRIBER, labels, report.bibEntriesPerSubscriber);
      // Already cut to --clients.top by the poll (empty when 0): never more than N series per protocol.
      for (const { subscriber, value } of report.topBySessions) samples(TOP_SESSIONS).push({ labels: { ...labels, subscriber }, value });
      for (const { subscriber, value } of report.topByBibEntries)
        samples(TOP_BIB_ENTRIES).push({ labels: { ...labels, subscriber }, value });
    }
  }
  return [...families.values()];
}
