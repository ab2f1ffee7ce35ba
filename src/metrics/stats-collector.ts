/**
 * Jool's own counters (`jool stats display --csv --all`), as of the last
 * successful poll of each instance. Every family is declared here, once, with
 * its help text.
 *
 * One counter family with Jool's exact stat name as the `stat` label, so that
 * stats added by newer Jool versions are exported without a code change. Two of
 * Jool's "stats" are not counters but current counts, decremented when entries
 * die (src/mod/common/db/bib/db.c: jstat_dec(JSTAT_SESSIONS),
 * jstat_dec(JSTAT_BIB_ENTRIES), jstat_add(JSTAT_SESSIONS, -n)): they are gauges
 * of their own and never appear in the counter family, where a decrease would
 * read as a counter reset.
 */
import type { ExporterStatus } from '../status/model.js';
import { desc, type Family, type MetricDesc } from './families.js';

const I = 'jool_instance';

export const STATS = desc(
  'jool_stats_total',
  'counter',
  [I, 'stat'],
  "Jool's own counters (jool stats display), by Jool's stat name, as of the last successful poll. " +
    'JSTAT_BIB6_NOT_FOUND counts IPv6 packets dropped because no BIB entry could be created (pool4 exhausted).',
);
export const STATS_BIB_ENTRIES = desc(
  'jool_stats_bib_entries',
  'gauge',
  [I],
  "BIB entries currently held by the Jool instance, all protocols (Jool's JSTAT_BIB_ENTRIES), as of the last successful poll.",
);
export const STATS_SESSIONS = desc(
  'jool_stats_sessions',
  'gauge',
  [I],
  "Sessions currently held by the Jool instance, all protocols (Jool's JSTAT_SESSIONS), as of the last successful poll.",
);

export const STATS_FAMILIES: readonly MetricDesc[] = [STATS, STATS_BIB_ENTRIES, STATS_SESSIONS];

/** Jool stats that go down (current counts): each is its own gauge, never a sample of jool_stats_total. */
const GAUGES: ReadonlyMap<string, MetricDesc> = new Map([
  ['JSTAT_BIB_ENTRIES', STATS_BIB_ENTRIES],
  ['JSTAT_SESSIONS', STATS_SESSIONS],
]);
export const GAUGE_STATS: ReadonlySet<string> = new Set(GAUGES.keys());

export function collectStatsMetrics(status: ExporterStatus): Family[] {
  const families = new Map<MetricDesc, Family>(STATS_FAMILIES.map((d) => [d, { desc: d, samples: [] }]));
  for (const instance of status.instances) {
    // Absent before the first successful poll, after a failed one, and for Jool 3 (no stats): no series then.
    if (instance.stats === undefined) continue;
    const name = instance.name;
    for (const stat of instance.stats) {
      const gauge = GAUGES.get(stat.name);
      // Jool sums per-CPU counts without a lock: a count near 0 can read as a u64 that wrapped below 0.
      if (gauge !== undefined) families.get(gauge)!.samples.push({ labels: { [I]: name }, value: stat.value >= 2 ** 63 ? 0 : stat.value });
      else families.get(STATS)!.samples.push({ labels: { [I]: name, stat: stat.name }, value: stat.value });
    }
  }
  return [...families.values()];
}
