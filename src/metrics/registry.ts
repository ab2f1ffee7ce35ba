/**
 * Renders /metrics with prom-client: its default process and Node.js metrics
 * (unless --web.disable-exporter-metrics), the build info, and our collectors' families as custom metrics that prom-client
 * formats in the Prometheus text format or, when the scraper asks for it,
 * OpenMetrics.
 */
import client, { Registry, type RegistryContentType } from 'prom-client';
import type { ExporterStatus } from '../status/model.js';
import type { Family, MetricDesc } from './families.js';

export interface Collector {
  readonly descs: readonly MetricDesc[];
  collect(status: ExporterStatus): Family[];
}

export interface MetricsRenderer {
  /** Body and content type for a scrape with this Accept header. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  readonly status: () => ExporterStatus;
  readonly collectors: readonly Collector[];
  readonly version: string;
  /** prom-client's process_* and nodejs_* families; default true (false: --web.disable-exporter-metrics, as node_exporter's). */
  readonly exporterMetrics?: boolean;
}

/**
 * prom-client's gauges whose names end in _total, which `promtool check metrics` rejects (only
 * counters may). Each is the sum of the gauge of the same name without _total, labelled by type
 * (nodejs_active_handles{type} etc.), so dropping them loses nothing: sum(nodejs_active_handles)
 * is the old nodejs_active_handles_total.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetricsRenderer(options: MetricsOptions): MetricsRenderer {
  // Families depend only on the status object, which is replaced (never mutated) by each poll:
  // computing them once per status makes a scrape cost the same however many scrapers there are.
  // Weakly keyed: a strong reference to the last scraped status would keep its tables (a million
  // rows) alive after the next poll replaced them, until the next scrape.
  const cache = new WeakMap<ExporterStatus, Map<string, Family>>();
  const familiesOf = (status: ExporterStatus) => {
    let families = cache.get(status);
    if (families === undefined) {
      families = new Map(options.collectors.flatMap((c) => c.collect(status)).map((f) => [f.desc.name, f]));
      cache.set(status, families);
    }
    return families;
  };

  const makeRegistry = (contentType: RegistryContentType) => {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(contentType);
    if (options.exporterMetrics !== false) {
      client.collectDefaultMetrics({ register: registry });
      for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
    }
    new client.Gauge({
      name: 'jool_session_exporter_build_info',
      help: 'Version of jool-session-exporter and of the Node.js running it. Always 1.',
      labelNames: ['version', 'nodejs_version'],
      registers: [registry],
    }).set({ version: options.version, nodejs_version: process.version }, 1);
    for (const collector of options.collectors) {
      // prom-client calls every metric's get() synchronously when a scrape starts (registry.metrics()
      // maps them before its first await), so all families of one answer come from one status.
      for (const d of collector.descs) registry.registerMetric(customMetric(d, () => familiesOf(options.status())));
    }
    return registry;
  };
  const text = makeRegistry(Registry.PROMETHEUS_CONTENT_TYPE);
  const openMetrics = makeRegistry(Registry.OPENMETRICS_CONTENT_TYPE);

  return {
    async render(accept) {
      const registry = accept?.includes('application/openmetrics-text') ? openMetrics : text;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * A prom-client metric whose values come from a collector. prom-client renames
 * counters for OpenMetrics by assigning `name`, so `get()` reports `this.name`.
 */
function customMetric(d: MetricDesc, families: () => Map<string, Family>) {
  const metric = {
    name: d.name,
    help: d.help,
    type: d.type,
    aggregator: 'sum',
    async get(this: { name: string }) {
      const family = families().get(d.name);
      const values = (family?.samples ?? []).map((sample) => ({
        labels: sample.labels,
        value: sample.value,
        ...(sample.suffix !== undefined ? { metricName: this.name + sample.suffix } : {}),
      }));
      return { name: this.name, help: d.help, type: d.type, aggregator: 'sum', values };
    },
    reset() {},
  };
  return metric as unknown as client.Metric;
}
