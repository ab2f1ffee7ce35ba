/**
 * A metric family as the collectors produce it: plain data, formatted by
 * prom-client (registry.ts). Collectors build these from one ExporterStatus at
 * scrape time, node_exporter style ("const metrics"): nothing is kept between
 * scrapes, so a series that stops being true simply stops being reported.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface MetricDesc {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
}

export interface Sample {
  /** Histogram series suffix; absent for gauges and counters. */
  readonly suffix?: '_bucket' | '_sum' | '_count';
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface Family {
  readonly desc: MetricDesc;
  readonly samples: Sample[];
}

export function desc(name: string, type: MetricType, labelNames: readonly string[], help: string): MetricDesc {
  return { name, type, labelNames, help };
}

/** Histogram samples from cumulative bucket counts, in Prometheus' order. */
export function histogramSamples(
  labels: Readonly<Record<string, string>>,
  bounds: readonly number[],
  cumulativeCounts: readonly number[],
  count: number,
  sum: number,
): Sample[] {
  const samples: Sample[] = bounds.map((bound, i) => ({
    suffix: '_bucket' as const,
    labels: { ...labels, le: bound },
    value: cumulativeCounts[i]!,
  }));
  samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
  samples.push({ suffix: '_sum', labels, value: sum });
  samples.push({ suffix: '_count', labels, value: count });
  return samples;
}
