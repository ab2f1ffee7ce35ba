import { describe, expect, it } from 'vitest';
import type { Family } from '../../src/metrics/families.js';
import { createMetricsRenderer } from '../../src/metrics/registry.js';
import { collectStatsMetrics, GAUGE_STATS, STATS_FAMILIES } from '../../src/metrics/stats-collector.js';
import type { ExporterStatus } from '../../src/status/model.js';
import { fixture } from './support.js';

type Stat = { name: string; value: number };

/** The stats of a two-column capture, read with String.split (nothing shared with src/parse). */
function captureStats(name: string): Stat[] {
  return fixture(name)
    .toString('latin1')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('Stat,'))
    .map((line) => {
      const [stat, value] = line.split(',');
      return { name: stat!, value: Number(value) };
    });
}

function status(instances: Array<{ name: string; stats: Stat[] | undefined }>): ExporterStatus {
  return { instances, ready: true } as unknown as ExporterStatus;
}

function family(families: Family[], name: string): Family {
  const found = families.find((f) => f.desc.name === name);
  expect(found, name).toBeDefined();
  return found!;
}

describe('stats families', () => {
  it('one counter family with a stat label, and two gauges', () => {
    expect(STATS_FAMILIES.map((d) => [d.name, d.type, d.labelNames])).toEqual([
      ['jool_stats_total', 'counter', ['jool_instance', 'stat']],
      ['jool_stats_bib_entries', 'gauge', ['jool_instance']],
      ['jool_stats_sessions', 'gauge', ['jool_instance']],
    ]);
    for (const d of STATS_FAMILIES) {
      expect(d.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(d.help.length).toBeGreaterThan(20);
    }
  });

  it('the gauge stats are exactly the two current counts of Jool', () => {
    expect([...GAUGE_STATS].sort()).toEqual(['JSTAT_BIB_ENTRIES', 'JSTAT_SESSIONS']);
  });
});

describe('collectStatsMetrics', () => {
  it('splits the busy capture: 67 counters in Jool order, the two gauges apart', () => {
    const stats = captureStats('stats-all.csv');
    expect(stats).toHaveLength(69);
    const families = collectStatsMetrics(status([{ name: 'default', stats }]));
    expect(families.map((f) => f.desc)).toEqual(STATS_FAMILIES);

    const counters = family(families, 'jool_stats_total').samples;
    const expected = stats.filter((s) => s.name !== 'JSTAT_BIB_ENTRIES' && s.name !== 'JSTAT_SESSIONS');
    expect(counters).toEqual(expected.map((s) => ({ labels: { jool_instance: 'default', stat: s.name }, value: s.value })));
    expect(counters).toHaveLength(67);
    for (const s of counters) expect(GAUGE_STATS.has(String(s.labels.stat))).toBe(false);
    expect(counters.find((s) => s.labels.stat === 'JSTAT_BIB6_NOT_FOUND')!.value).toBe(0);

    expect(family(families, 'jool_stats_bib_entries').samples).toEqual([{ labels: { jool_instance: 'default' }, value: 560 }]);
    expect(family(families, 'jool_stats_sessions').samples).toEqual([{ labels: { jool_instance: 'default' }, value: 5525 }]);
  });

  it('without --all (only non-zero stats): what Jool printed, nothing invented', () => {
    const families = collectStatsMetrics(status([{ name: 'default', stats: captureStats('stats.csv') }]));
    expect(family(families, 'jool_stats_total').samples.map((s) => [s.labels.stat, s.value])).toEqual([
      ['JSTAT_RECEIVED6', 6616],
      ['JSTAT_RECEIVED4', 1046],
      ['JSTAT_SUCCESS', 7635],
      ['JSTAT_UNKNOWN_ICMP6_TYPE', 27],
    ]);
    expect(family(families, 'jool_stats_sessions').samples).toHaveLength(1);
  });

  it('emits nothing for an instance without stats (no poll yet, failed poll, Jool 3)', () => {
    const families = collectStatsMetrics(status([{ name: 'default', stats: undefined }]));
    expect(families.map((f) => f.desc)).toEqual(STATS_FAMILIES);
    for (const f of families) expect(f.samples).toEqual([]);
  });

  it('an instance with an empty stat list (the header only) has no series either', () => {
    for (const f of collectStatsMetrics(status([{ name: 'default', stats: [] }]))) expect(f.samples).toEqual([]);
  });

  it('several instances, in instance order; only those with stats', () => {
    const all = captureStats('stats-all.csv');
    const empty = captureStats('empty-stats-all.csv');
    const families = collectStatsMetrics(
      status([
        { name: 'a', stats: all },
        { name: 'jool3', stats: undefined },
        { name: 'b', stats: empty },
      ]),
    );
    const counters = family(families, 'jool_stats_total').samples;
    expect(counters).toHaveLength(67 * 2);
    expect(counters.slice(0, 67).every((s) => s.labels.jool_instance === 'a')).toBe(true);
    expect(counters.slice(67).every((s) => s.labels.jool_instance === 'b' && s.value === 0)).toBe(true);
    expect(family(families, 'jool_stats_sessions').samples).toEqual([
      { labels: { jool_instance: 'a' }, value: 5525 },
      { labels: { jool_instance: 'b' }, value: 0 },
    ]);
  });

  it('a stat unknown to this exporter (newer Jool) is a counter like the others', () => {
    const families = collectStatsMetrics(status([{ name: 'x', stats: [{ name: 'JSTAT_JOOLD_SSS_SENT', value: 12 }] }]));
    expect(family(families, 'jool_stats_total').samples).toEqual([
      { labels: { jool_instance: 'x', stat: 'JSTAT_JOOLD_SSS_SENT' }, value: 12 },
    ]);
  });
});

describe('stats families through prom-client', () => {
  const renderer = () =>
    createMetricsRenderer({
      status: () => status([{ name: 'default', stats: captureStats('stats-all.csv') }]),
      collectors: [{ descs: STATS_FAMILIES, collect: collectStatsMetrics }],
      version: 'test',
    });

  it('Prometheus text format', async () => {
    const { body } = await renderer().render(undefined);
    expect(body).toContain('# TYPE jool_stats_total counter');
    expect(body).toContain('jool_stats_total{jool_instance="default",stat="JSTAT_BIB6_NOT_FOUND"} 0');
    expect(body).toContain('jool_stats_total{jool_instance="default",stat="JSTAT_RECEIVED6"} 6616');
    expect(body).toContain('# TYPE jool_stats_bib_entries gauge');
    expect(body).toContain('jool_stats_bib_entries{jool_instance="default"} 560');
    expect(body).toContain('jool_stats_sessions{jool_instance="default"} 5525');
    expect(body).not.toMatch(/jool_stats_total\{[^}]*stat="JSTAT_(BIB_ENTRIES|SESSIONS)"/);
    expect(body.match(/^jool_stats_total\{/gm)).toHaveLength(67);
  });

  it('OpenMetrics: the counter family is jool_stats, its samples jool_stats_total', async () => {
    const { body } = await renderer().render('application/openmetrics-text; version=1.0.0');
    expect(body).toContain('# TYPE jool_stats counter');
    expect(body).toContain('jool_stats_total{jool_instance="default",stat="JSTAT_SUCCESS"} 7635');
    expect(body).toContain('# TYPE jool_stats_sessions gauge');
  });
});
