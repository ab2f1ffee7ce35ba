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

  // Two registries per format: the exporter's own metrics (process, Node.js, build info), which
  // change from one scrape to the next, and the Jool families, which change only with the status.
  // The second is rendered once per status and format and the text kept (weakly, as above):
  // rendering ~500 samples took 3 to 10 ms of the event loop, every scrape, and several scrapers
  // during a big poll queued behind each other.
  const makeOwnRegistry = (contentType: RegistryContentType) => {
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
    return registry;
  };
  // The status being rendered: prom-client calls every metric's get() synchronously when a render
  // starts (registry.metrics() maps them before its first await), so one render sees one status.
  let rendering: ExporterStatus | undefined;
  const makeJoolRegistry = (contentType: RegistryContentType) => {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(contentType);
    for (const collector of options.collectors) {
      for (const d of collector.descs) registry.registerMetric(customMetric(d, () => familiesOf(rendering!)));
    }
    return registry;
  };
  const formats = {
    text: { own: makeOwnRegistry(Registry.PROMETHEUS_CONTENT_TYPE), jool: makeJoolRegistry(Registry.PROMETHEUS_CONTENT_TYPE) },
    openMetrics: { own: makeOwnRegistry(Registry.OPENMETRICS_CONTENT_TYPE), jool: makeJoolRegistry(Registry.OPENMETRICS_CONTENT_TYPE) },
  };
  const rendered = new WeakMap<ExporterStatus, { text?: Promise<string>; openMetrics?: Promise<string> }>();
  const joolText = (status: ExporterStatus, format: keyof typeof formats): Promise<string> => {
    const texts = rendered.get(status) ?? {};
    rendered.set(status, texts);
    let text = texts[format];
    if (text === undefined) {
      rendering = status;
      text = formats[format].jool.metrics();
      rendering = undefined;
      texts[format] = text;
    }
    return text;
  };

  return {
    async render(accept) {
      const format = accept?.includes('application/openmetrics-text') ? 'openMetrics' : 'text';
      const { own } = formats[format];
      const [head, tail] = await Promise.all([own.metrics(), joolText(options.status(), format)]);
      // Each render is a whole exposition: text format "family\n\nfamily\n", OpenMetrics
      // "family\nfamily\n# EOF\n". Joined as if one registry had rendered both.
      const body = format === 'openMetrics' ? head.slice(0, -OPENMETRICS_EOF.length) + tail : `${head}\n${tail}`;
      return { contentType: own.contentType, body };
    },
  };
}

const OPENMETRICS_EOF = '# EOF\n';

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
