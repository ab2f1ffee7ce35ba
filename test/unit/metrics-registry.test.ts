import { describe, expect, it } from 'vitest';
import { createMetricsRenderer } from '../../src/metrics/registry.js';
import { collectStatsMetrics, STATS_FAMILIES } from '../../src/metrics/stats-collector.js';
import type { ExporterStatus } from '../../src/status/model.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

function status(sessions: number): ExporterStatus {
  const stats = [
    { name: 'JSTAT_RECEIVED6', value: sessions * 3 },
    { name: 'JSTAT_SESSIONS', value: sessions },
  ];
  return { instances: [{ name: 'default', stats }], ready: true } as unknown as ExporterStatus;
}

function renderer(current: () => ExporterStatus, exporterMetrics = true) {
  return createMetricsRenderer({
    status: current,
    collectors: [{ descs: STATS_FAMILIES, collect: collectStatsMetrics }],
    version: 'test',
    exporterMetrics,
  });
}

/** Family names in order, from the # TYPE lines. */
const families = (body: string) => [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);

describe('/metrics: the exporter’s own metrics rendered per scrape, the Jool families once per status', () => {
  for (const exporterMetrics of [true, false]) {
    it(`text format is one exposition: families apart by one blank line, Jool's last (exporter metrics ${exporterMetrics})`, async () => {
      const { body, contentType } = await renderer(() => status(5), exporterMetrics).render(undefined);
      expect(contentType).toContain('text/plain');
      expect(body.endsWith('\n')).toBe(true);
      expect(body.endsWith('\n\n')).toBe(false);
      expect(body).not.toContain('# EOF');
      const blocks = body.slice(0, -1).split('\n\n');
      for (const block of blocks) expect(block).toMatch(/^# HELP \S+ .*\n# TYPE \S+ \w+(\n|$)/);
      expect(blocks).toHaveLength(families(body).length);
      const names = families(body);
      expect(names.slice(-3)).toEqual(['jool_stats_total', 'jool_stats_bib_entries', 'jool_stats_sessions']);
      expect(names.includes('process_cpu_user_seconds_total')).toBe(exporterMetrics);
      expect(body).toContain('jool_stats_sessions{jool_instance="default"} 5\n');
    });

    it(`OpenMetrics is one exposition: no blank line, one # EOF at the very end (exporter metrics ${exporterMetrics})`, async () => {
      const { body, contentType } = await renderer(() => status(5), exporterMetrics).render(OPENMETRICS);
      expect(contentType).toContain('application/openmetrics-text');
      expect(body.endsWith('\n# EOF\n')).toBe(true);
      expect(body.match(/# EOF/g)).toHaveLength(1);
      expect(body).not.toContain('\n\n');
      expect(families(body).slice(-3)).toEqual(['jool_stats', 'jool_stats_bib_entries', 'jool_stats_sessions']);
      expect(body).toContain('jool_stats_total{jool_instance="default",stat="JSTAT_RECEIVED6"} 15\n');
    });
  }

  it('a new status is rendered anew; the same status renders the same Jool text, in both formats, under concurrent scrapes', async () => {
    let current = status(5);
    const metrics = renderer(() => current);
    const jool = (body: string) => body.slice(body.indexOf('# HELP jool_stats'));
    const first = await Promise.all([metrics.render(undefined), metrics.render(undefined), metrics.render(OPENMETRICS)]);
    expect(jool(first[0].body)).toBe(jool(first[1].body));
    expect(jool(first[0].body)).toContain('jool_stats_sessions{jool_instance="default"} 5\n');
    expect(jool(first[2].body)).toContain('jool_stats_sessions{jool_instance="default"} 5\n');
    current = status(7);
    const second = await Promise.all([metrics.render(undefined), metrics.render(OPENMETRICS)]);
    for (const { body } of second) {
      expect(body).toContain('jool_stats_sessions{jool_instance="default"} 7\n');
      expect(body).not.toContain('jool_stats_sessions{jool_instance="default"} 5\n');
    }
  });
});
