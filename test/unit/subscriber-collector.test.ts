import { describe, expect, it } from 'vitest';
import type { Family, MetricDesc } from '../../src/metrics/families.js';
import { createMetricsRenderer } from '../../src/metrics/registry.js';
import { SESSION_FAMILIES } from '../../src/metrics/session-collector.js';
import {
  BIB_ENTRIES_PER_SUBSCRIBER,
  collectSubscriberMetrics,
  SESSIONS_PER_SUBSCRIBER,
  SUBSCRIBER_FAMILIES,
  SUBSCRIBERS,
  TOP_BIB_ENTRIES,
  TOP_SESSIONS,
} from '../../src/metrics/subscriber-collector.js';
import { PROTOCOLS, type Protocol } from '../../src/model.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import type { ExporterStatus } from '../../src/status/model.js';
import { computeSubscribers, SUBSCRIBER_BUCKETS, type SubscriberReport } from '../../src/table/subscribers.js';
import { fixture } from './support.js';

const CAPTURE: Record<Protocol, string> = { tcp: 'session-tcp.csv', udp: 'session-udp.csv', icmp: 'session-icmp.csv' };

function reportsOf(prefixLength: number, top: number): Record<Protocol, SubscriberReport> {
  const entries = PROTOCOLS.map(
    (p) => [p, computeSubscribers(parseSessionCsv(p, fixture(CAPTURE[p])).table, { prefixLength, top })] as const,
  );
  return Object.fromEntries(entries) as Record<Protocol, SubscriberReport>;
}

/** A status as plain data: only what the collector reads. */
function status(instances: ReadonlyArray<{ name: string; subscribers: Record<Protocol, SubscriberReport> | undefined }>): ExporterStatus {
  return {
    ready: true,
    discovery: undefined,
    instances: instances.map(({ name, subscribers }) => ({
      name,
      polls: 1,
      up: subscribers !== undefined,
      tables: subscribers === undefined ? undefined : Object.fromEntries(PROTOCOLS.map((p) => [p, { subscribers: subscribers[p] }])),
    })),
  } as unknown as ExporterStatus;
}

function family(families: Family[], d: MetricDesc): Family {
  const found = families.find((f) => f.desc === d);
  expect(found, d.name).toBeDefined();
  return found!;
}

const emptyHistogram = () => ({ buckets: SUBSCRIBER_BUCKETS.map(() => 0), sum: 0, count: 0 });
const emptyReport = (): SubscriberReport => ({
  subscribers: 0,
  sessionsPerSubscriber: emptyHistogram(),
  bibEntriesPerSubscriber: emptyHistogram(),
  topBySessions: [],
  topByBibEntries: [],
});

describe('SUBSCRIBER_FAMILIES', () => {
  it('declares the five families once, with help, named apart from the session families', () => {
    expect(SUBSCRIBER_FAMILIES.map((d) => [d.name, d.type, d.labelNames])).toEqual([
      ['jool_session_subscribers', 'gauge', ['jool_instance', 'protocol']],
      ['jool_sessions_per_subscriber', 'histogram', ['jool_instance', 'protocol']],
      ['jool_bib_entries_per_subscriber', 'histogram', ['jool_instance', 'protocol']],
      ['jool_top_subscriber_sessions', 'gauge', ['jool_instance', 'protocol', 'subscriber']],
      ['jool_top_subscriber_bib_entries', 'gauge', ['jool_instance', 'protocol', 'subscriber']],
    ]);
    for (const d of SUBSCRIBER_FAMILIES) expect(d.help.length, d.name).toBeGreaterThan(40);
    const sessionNames = new Set(SESSION_FAMILIES.map((d) => d.name));
    for (const d of SUBSCRIBER_FAMILIES) expect(sessionNames.has(d.name), d.name).toBe(false);
  });
});

describe('collectSubscriberMetrics', () => {
  it('every family, in declaration order, even with no instance', () => {
    const families = collectSubscriberMetrics(status([]));
    expect(families.map((f) => f.desc)).toEqual([...SUBSCRIBER_FAMILIES]);
    for (const f of families) expect(f.samples).toEqual([]);
  });

  it('reports what the poll computed, per protocol', () => {
    const reports = reportsOf(128, 3);
    const families = collectSubscriberMetrics(status([{ name: 'default', subscribers: reports }]));

    expect(family(families, SUBSCRIBERS).samples).toEqual(
      PROTOCOLS.map((protocol) => ({ labels: { jool_instance: 'default', protocol }, value: reports[protocol].subscribers })),
    );

    for (const [d, pick] of [
      [SESSIONS_PER_SUBSCRIBER, (r: SubscriberReport) => r.sessionsPerSubscriber],
      [BIB_ENTRIES_PER_SUBSCRIBER, (r: SubscriberReport) => r.bibEntriesPerSubscriber],
    ] as const) {
      const samples = family(families, d).samples;
      expect(samples).toHaveLength(PROTOCOLS.length * (SUBSCRIBER_BUCKETS.length + 3));
      for (const protocol of PROTOCOLS) {
        const h = pick(reports[protocol]);
        const mine = samples.filter((s) => s.labels.protocol === protocol);
        const buckets = mine.filter((s) => s.suffix === '_bucket');
        expect(buckets.map((s) => s.labels.le)).toEqual([...SUBSCRIBER_BUCKETS, '+Inf']);
        expect(buckets.map((s) => s.value)).toEqual([...h.buckets, h.count]);
        expect(mine.find((s) => s.suffix === '_sum')!.value).toBe(h.sum);
        expect(mine.find((s) => s.suffix === '_count')!.value).toBe(h.count);
        expect(h.count).toBe(reports[protocol].subscribers);
      }
    }

    for (const [d, pick] of [
      [TOP_SESSIONS, (r: SubscriberReport) => r.topBySessions],
      [TOP_BIB_ENTRIES, (r: SubscriberReport) => r.topByBibEntries],
    ] as const) {
      const samples = family(families, d).samples;
      for (const protocol of PROTOCOLS) {
        const top = pick(reports[protocol]);
        expect(top.length).toBe(Math.min(3, reports[protocol].subscribers));
        expect(samples.filter((s) => s.labels.protocol === protocol)).toEqual(
          top.map(({ subscriber, value }) => ({ labels: { jool_instance: 'default', protocol, subscriber }, value })),
        );
      }
    }
  });

  it('top 0: histograms and subscriber counts, no top series', () => {
    const families = collectSubscriberMetrics(status([{ name: 'default', subscribers: reportsOf(64, 0) }]));
    expect(family(families, TOP_SESSIONS).samples).toEqual([]);
    expect(family(families, TOP_BIB_ENTRIES).samples).toEqual([]);
    expect(family(families, SUBSCRIBERS).samples).toHaveLength(3);
    expect(family(families, SESSIONS_PER_SUBSCRIBER).samples).toHaveLength(3 * (SUBSCRIBER_BUCKETS.length + 3));
  });

  it("never more than N top series per instance and protocol, and only this poll's subscribers", () => {
    const first = collectSubscriberMetrics(status([{ name: 'a', subscribers: reportsOf(128, 2) }]));
    const second = collectSubscriberMetrics(status([{ name: 'a', subscribers: reportsOf(48, 2) }]));
    for (const families of [first, second]) {
      for (const d of [TOP_SESSIONS, TOP_BIB_ENTRIES]) {
        for (const protocol of PROTOCOLS) {
          expect(family(families, d).samples.filter((s) => s.labels.protocol === protocol).length).toBeLessThanOrEqual(2);
        }
      }
    }
    // The label set follows the table: nothing of the first poll is left in the second.
    const subscribersOf = (families: Family[]) => new Set(family(families, TOP_SESSIONS).samples.map((s) => s.labels.subscriber));
    expect([...subscribersOf(second)].every((s) => String(s).endsWith('/48'))).toBe(true);
    expect([...subscribersOf(first)].some((s) => subscribersOf(second).has(s))).toBe(false);
  });

  it('an instance whose last poll failed (or that has not finished one) has no series; the others keep theirs', () => {
    const families = collectSubscriberMetrics(
      status([
        { name: 'down', subscribers: undefined },
        { name: 'up', subscribers: reportsOf(56, 10) },
      ]),
    );
    for (const f of families)
      expect(
        f.samples.every((s) => s.labels.jool_instance === 'up'),
        f.desc.name,
      ).toBe(true);
    expect(family(families, SUBSCRIBERS).samples).toHaveLength(3);
  });

  it('an empty table: zero subscribers, an all-zero histogram, no top series', () => {
    const empty = { tcp: emptyReport(), udp: emptyReport(), icmp: emptyReport() };
    const families = collectSubscriberMetrics(status([{ name: 'idle', subscribers: empty }]));
    expect(family(families, SUBSCRIBERS).samples.map((s) => s.value)).toEqual([0, 0, 0]);
    expect(family(families, SESSIONS_PER_SUBSCRIBER).samples.every((s) => s.value === 0)).toBe(true);
    expect(family(families, TOP_SESSIONS).samples).toEqual([]);
  });
});

describe('collectSubscriberMetrics through prom-client', () => {
  it('renders valid exposition text (Prometheus and OpenMetrics)', async () => {
    const current = status([{ name: 'default', subscribers: reportsOf(56, 10) }]);
    const renderer = createMetricsRenderer({
      status: () => current,
      collectors: [{ descs: SUBSCRIBER_FAMILIES, collect: collectSubscriberMetrics }],
      version: 'test',
    });
    const { body } = await renderer.render(undefined);
    expect(body).toContain('# TYPE jool_sessions_per_subscriber histogram\n');
    expect(body).toMatch(/^# HELP jool_top_subscriber_sessions /m);
    // The TCP capture: clients in 2001:db8::/56 and 2001:db8:ffff::/56.
    const tcp = current.instances[0]!.tables!.tcp.subscribers;
    const top = tcp.topBySessions[0]!;
    expect(top.subscriber).toMatch(/^2001:db8:(ffff)?:\/56$/);
    expect(body).toContain(
      `jool_top_subscriber_sessions{jool_instance="default",protocol="tcp",subscriber="${top.subscriber}"} ${top.value}\n`,
    );
    expect(body).toContain(`jool_session_subscribers{jool_instance="default",protocol="tcp"} ${tcp.subscribers}\n`);
    expect(body).toContain(`jool_sessions_per_subscriber_bucket{jool_instance="default",protocol="tcp",le="+Inf"} ${tcp.subscribers}\n`);
    expect(body).toContain(`jool_bib_entries_per_subscriber_count{jool_instance="default",protocol="tcp"} ${tcp.subscribers}\n`);
    expect(body).toContain(`jool_sessions_per_subscriber_sum{jool_instance="default",protocol="tcp"} ${tcp.sessionsPerSubscriber.sum}\n`);

    const open = await renderer.render('application/openmetrics-text; version=1.0.0');
    expect(open.body).toContain(
      `jool_top_subscriber_sessions{jool_instance="default",protocol="tcp",subscriber="${top.subscriber}"} ${top.value}\n`,
    );
    expect(open.body.trimEnd().endsWith('# EOF')).toBe(true);
  });
});
