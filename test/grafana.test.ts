/**
 * The Grafana dashboard (grafana/): the committed JSON is what grafana/dashboard.ts builds, every
 * query is valid PromQL (Prometheus' own lezer grammar) over metrics the exporter publishes, filters
 * on the dashboard's variables, and treats counters and gauge-like histograms correctly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_TAGS, DASHBOARD_TITLE, DASHBOARD_UID, renderDashboard } from '../grafana/dashboard.js';
import {
  DASHBOARD_JSON,
  dashboardPanels,
  dashboardQueries,
  executableQueries,
  loadDashboard,
  parseLabelValues,
  substituteVariables,
  templateVariables,
  variablesIn,
} from '../grafana/queries.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  panels?: Panel[];
  targets?: { expr: string; refId: string; datasource?: { type?: string; uid?: string }; format?: string }[];
  fieldConfig?: { defaults?: { unit?: string; max?: number; thresholds?: { steps: { value: number | null; color: string }[] } } };
  options?: Record<string, unknown>;
}

const model = loadDashboard() as {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  panels: Panel[];
};
const panels = dashboardPanels(model) as Panel[];
const queries = dashboardQueries(model);

// ---------------------------------------------------------------- metric names the exporter publishes

/** Sample names of the golden /metrics (jool_*), plus families declared without samples. */
function goldenNames(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(root('test/golden/metrics.prom'), 'utf8').split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample !== null) names.add(sample[1] as string);
  }
  return names;
}

/** prom-client's default metrics, as the exporter registers them (collectDefaultMetrics, no prefix). */
async function defaultMetricNames(): Promise<Set<string>> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** Not in the golden file: the exporter's build info (src/metrics/registry.ts) and Prometheus' own `up`. */
const OTHER_KNOWN = ['jool_session_exporter_build_info', 'up'];

// ---------------------------------------------------------------- PromQL syntax tree helpers

function parse(expr: string) {
  return parser.parse(expr);
}

function errorsIn(expr: string): string[] {
  const errors: string[] = [];
  parse(expr).iterate({
    enter(n) {
      if (n.type.isError) errors.push(`error at ${n.from}: "${expr.slice(Math.max(0, n.from - 10), n.to + 10)}"`);
    },
  });
  return errors;
}

function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
}

interface Selector {
  metric: string | undefined;
  matchers: Map<string, { op: string; value: string }[]>;
  /** Names of the functions the selector is (directly or not) an argument of, innermost first. */
  functions: string[];
  /** The selector is a range vector (`x[5m]`). */
  range: boolean;
}

function selectorsIn(expr: string): Selector[] {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const out: Selector[] = [];
  parse(expr).iterate({
    enter(ref) {
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      let metric: string | undefined;
      const matchers = new Map<string, { op: string; value: string }[]>();
      for (const child of childrenOf(node)) {
        if (child.name === 'Identifier') metric = text(child);
        if (child.name === 'LabelMatchers') {
          for (const m of childrenOf(child)) {
            const parts = childrenOf(m);
            const label = parts.find((p) => p.name === 'LabelName');
            const op = parts.find((p) => p.name === 'MatchOp');
            const value = parts.find((p) => p.name === 'StringLiteral');
            if (label === undefined || op === undefined || value === undefined) continue;
            const list = matchers.get(text(label)) ?? [];
            list.push({ op: text(op), value: JSON.parse(text(value)) as string });
            matchers.set(text(label), list);
          }
        }
      }
      const functions: string[] = [];
      for (let p = node.parent; p !== null; p = p.parent) {
        if (p.name === 'FunctionCall') {
          const id = childrenOf(p).find((c) => c.name === 'FunctionIdentifier');
          if (id !== undefined) functions.push(text(id));
        }
        if (p.name === 'AggregateExpr') {
          const op = childrenOf(p).find((c) => c.name === 'AggregateOp');
          if (op !== undefined) functions.push(text(op));
        }
      }
      out.push({ metric, matchers, functions, range: node.parent?.name === 'MatrixSelector' });
    },
  });
  return out;
}

// Sentinels instead of `.*`, to check that each selector really filters on the dashboard's variables.
const SENTINELS = { job: '__job__', instance: '__instance__', jool_instance: '__jool_instance__' };

// ---------------------------------------------------------------- tests

describe('grafana/jool-sessions.json', () => {
  it('is what grafana/dashboard.ts builds (regenerate with `npm run dashboard`)', () => {
    expect(readFileSync(DASHBOARD_JSON, 'utf8')).toBe(renderDashboard());
  });

  it('has a uid, a title, tags and a current schema version', () => {
    expect(model.uid).toBe(DASHBOARD_UID);
    expect(model.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(model.title).toBe(DASHBOARD_TITLE);
    expect(model.tags).toEqual(DASHBOARD_TAGS);
    expect(model.tags).toContain('jool');
    // Grafana 10.4's schema: newer Grafana migrates it forward, older never reads a newer one.
    expect(model.schemaVersion).toBe(39);
  });

  it('is exported for sharing: __inputs asks for the Prometheus data source, __requires names every plugin', () => {
    const shared = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as {
      __inputs: { name: string; type: string; pluginId: string }[];
      __requires: { type: string; id: string; version: string }[];
      templating: { list: { name: string; type: string; current?: { value?: string } }[] };
    };
    expect(Object.keys(shared).slice(0, 3)).toEqual(['__inputs', '__elements', '__requires']);
    expect(shared.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    // The input is used: the datasource variable starts on the data source chosen at import.
    expect(shared.templating.list.find((v) => v.type === 'datasource')?.current?.value).toBe('${DS_PROMETHEUS}');
    const requires = new Map(shared.__requires.map((r) => [`${r.type}/${r.id}`, r.version]));
    expect(requires.get('grafana/grafana')).toBe('10.4.0');
    expect(requires.has('datasource/prometheus')).toBe(true);
    const used = new Set(panels.map((p) => p.type).filter((type) => type !== 'row'));
    expect(used.size).toBeGreaterThan(3);
    expect(new Set([...requires.keys()].filter((key) => key.startsWith('panel/')).map((key) => key.slice('panel/'.length)))).toEqual(used);
  });

  it('has the datasource, job, instance and jool_instance variables', () => {
    const vars = new Map(templateVariables(model).map((v) => [v.name, v]));
    expect([...vars.keys()]).toEqual(['datasource', 'job', 'instance', 'jool_instance']);
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['job', 'instance', 'jool_instance']) {
      const v = vars.get(name);
      expect(v, name).toMatchObject({
        type: 'query',
        datasource: { type: 'prometheus', uid: '${datasource}' },
        multi: true,
        includeAll: true,
      });
      expect(parseLabelValues(v?.query as string).label).toBe(name);
    }
    // Each selection narrows the next one.
    expect(variablesIn(vars.get('instance')?.query as string)).toEqual(['job']);
    expect(variablesIn(vars.get('jool_instance')?.query as string)).toEqual(['job', 'instance']);
  });

  it('variable queries use metrics the exporter publishes', async () => {
    const known = new Set([...goldenNames(), ...OTHER_KNOWN]);
    for (const v of templateVariables(model).filter((t) => t.type === 'query')) {
      const { selector } = parseLabelValues(v.query as string);
      expect(errorsIn(selector), selector).toEqual([]);
      for (const s of selectorsIn(selector)) expect(known.has(s.metric ?? ''), `${v.name}: ${s.metric}`).toBe(true);
    }
  });

  it('never hard-codes a data source', () => {
    const uids = [...readFileSync(DASHBOARD_JSON, 'utf8').matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    // The dashboard's own uid, the built-in annotation query, and the variable everywhere else.
    expect(new Set(uids)).toEqual(new Set([DASHBOARD_UID, '-- Grafana --', '${datasource}']));
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(p.datasource);
    }
  });

  it('has the rows of the issue, and every panel has a title, a description, queries and a place on the grid', () => {
    const rows = model.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual([
      'Overview',
      'TCP states',
      'Session expiry',
      'pool4 per address',
      'Top subscribers',
      'What the NAT64 serves',
      'Jool counters',
      'Exporter health',
    ]);
    const ids = new Set<number>();
    for (const p of [...model.panels, ...panels]) if (p.id !== undefined) ids.add(p.id);
    expect(ids.size).toBe(new Set([...model.panels, ...panels]).size);
    for (const p of panels) {
      expect(p.title, JSON.stringify(p.gridPos)).toBeTruthy();
      expect(p.description, p.title).toBeTruthy();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      const g = p.gridPos;
      expect(g, p.title).toBeDefined();
      expect((g?.x ?? 0) + (g?.w ?? 0), p.title).toBeLessThanOrEqual(24);
    }
  });

  it('uses every metric the issue asks for', () => {
    const used = new Set(queries.flatMap((q) => selectorsIn(substituteVariables(q.expr)).map((s) => s.metric)));
    for (const metric of [
      'jool_sessions',
      'jool_bib_entries',
      'jool_tcp_sessions',
      'jool_session_expiry_seconds_bucket',
      'jool_pool4_ports',
      'jool_pool4_ports_used',
      'jool_pool4_address_max_utilization_ratio',
      'jool_top_subscriber_sessions',
      'jool_top_subscriber_bib_entries',
      'jool_sessions_per_subscriber_bucket',
      'jool_bib_entries_per_subscriber_bucket',
      'jool_stats_total',
      'jool_up',
      'jool_session_poll_duration_seconds',
      'jool_session_poll_failures_total',
      'jool_session_rows_rejected_total',
      'jool_session_poll_last_success_timestamp_seconds',
    ]) {
      expect(used.has(metric), metric).toBe(true);
    }
    const exprs = queries.map((q) => q.expr).join('\n');
    for (const stat of ['JSTAT_SUCCESS', 'JSTAT_RECEIVED6', 'JSTAT_RECEIVED4', 'JSTAT_BIB6_NOT_FOUND']) {
      expect(exprs).toContain(stat);
    }
    expect(exprs).toContain('time() - jool_session_poll_last_success_timestamp_seconds');
  });

  it('shows utilisation in percentunit with 80 % warning and 95 % critical thresholds', () => {
    const utilisation = panels.filter((p) =>
      (p.targets ?? []).some((t) => /utilization_ratio|jool_pool4_ports_used\{[^}]*\} \/ jool_pool4_ports\{/.test(t.expr)),
    );
    expect(utilisation.length).toBeGreaterThanOrEqual(4);
    for (const p of utilisation) {
      const d = p.fieldConfig?.defaults;
      expect(d?.unit, p.title).toBe('percentunit');
      expect(d?.max, p.title).toBe(1);
      expect(
        d?.thresholds?.steps.map((s) => s.value),
        p.title,
      ).toEqual([null, 0.8, 0.95]);
      expect(
        d?.thresholds?.steps.map((s) => s.color),
        p.title,
      ).toEqual(['green', 'orange', 'red']);
    }
  });

  it('draws the histograms as heatmaps of their buckets, without rate()', () => {
    const heatmaps = panels.filter((p) => p.type === 'heatmap');
    expect(heatmaps.map((p) => p.targets?.[0]?.expr.match(/(\w+)_bucket/)?.[1])).toEqual([
      'jool_session_expiry_seconds',
      'jool_session_expiry_seconds',
      'jool_session_expiry_seconds',
      'jool_sessions_per_subscriber',
      'jool_bib_entries_per_subscriber',
    ]);
    for (const p of heatmaps) {
      expect(p.options?.calculate, p.title).toBe(false);
      for (const t of p.targets ?? []) {
        expect(t.format, p.title).toBe('heatmap');
        expect(t.expr, p.title).toMatch(/^sum by \(le\) \(\w+_bucket\{/);
      }
    }
  });
});

describe.each(queries.map((q) => [`${q.panelTitle} [${q.refId}]`, q] as const))('query of %s', (_, q) => {
  it('uses only variables with a value, and parses as PromQL once they are replaced', () => {
    const expr = substituteVariables(q.expr);
    expect(expr).not.toMatch(/\$[A-Za-z_{]|\[\[/);
    expect(errorsIn(expr)).toEqual([]);
  });

  it('reads only metrics the exporter publishes', async () => {
    const known = new Set([...goldenNames(), ...(await defaultMetricNames()), ...OTHER_KNOWN]);
    const selectors = selectorsIn(substituteVariables(q.expr));
    expect(selectors.length).toBeGreaterThan(0);
    for (const s of selectors) {
      expect(s.metric, 'selector without a metric name').toBeDefined();
      expect(known.has(s.metric as string), s.metric).toBe(true);
    }
  });

  it('filters every selector on $job and $instance (and jool_* series on $jool_instance), with =~', () => {
    for (const s of selectorsIn(substituteVariables(q.expr, SENTINELS))) {
      const wanted: (keyof typeof SENTINELS)[] = ['job', 'instance'];
      const perInstance = s.metric?.startsWith('jool_') === true && s.metric !== 'jool_session_exporter_build_info';
      if (perInstance) wanted.push('jool_instance');
      for (const label of wanted) {
        expect(s.matchers.get(label), `${s.metric} ${label}`).toEqual([{ op: '=~', value: SENTINELS[label] }]);
      }
    }
  });

  it('uses counters only through rate() or increase(), and gauges (histograms of the table included) never so', () => {
    for (const s of selectorsIn(substituteVariables(q.expr))) {
      const counter = /_total$/.test(s.metric ?? '');
      const fn = s.functions[0];
      if (counter) {
        expect(s.range, s.metric).toBe(true);
        expect(['rate', 'increase'], s.metric).toContain(fn);
      } else {
        expect(s.range, s.metric).toBe(false);
      }
    }
  });
});

describe('grafana/queries.ts', () => {
  it('substitutes the variables the integration test needs', () => {
    expect(substituteVariables('rate(x{job=~"$job", instance=~"${instance}", jool_instance=~"[[jool_instance]]"}[$__rate_interval])')).toBe(
      'rate(x{job=~".*", instance=~".*", jool_instance=~".*"}[1m])',
    );
    expect(substituteVariables('increase(x[$__range]) + y[$__interval]')).toBe('increase(x[5m]) + y[15s]');
    expect(substituteVariables('label_replace(x, "a", "$1", "b", "(.*)")')).toBe('label_replace(x, "a", "$1", "b", "(.*)")');
    expect(() => substituteVariables('x{a="$nope"}')).toThrow(/\$nope/);
  });

  it('lists every query of every panel, rows included', () => {
    const targets = panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0);
    expect(queries).toHaveLength(targets);
    expect(executableQueries()).toHaveLength(targets);
    expect(executableQueries().every((q) => !q.expr.includes('$job'))).toBe(true);
    // Nested (collapsed-row) panels are walked too.
    const nested = { panels: [{ type: 'row', title: 'r', panels: [{ type: 'stat', title: 's', targets: [{ refId: 'A', expr: 'up' }] }] }] };
    expect(dashboardQueries(nested).map((q) => q.panelTitle)).toEqual(['s']);
  });
});

describe('grafana/ as files', () => {
  it('has the provisioning examples', () => {
    const dashboards = readFileSync(root('grafana/provisioning/dashboards/jool.yaml'), 'utf8');
    expect(dashboards).toMatch(/^apiVersion: 1$/m);
    expect(dashboards).toMatch(/^\s+type: file$/m);
    expect(dashboards).toMatch(/^\s+path: \//m);
    const datasources = readFileSync(root('grafana/provisioning/datasources/prometheus.yaml'), 'utf8');
    expect(datasources).toMatch(/^apiVersion: 1$/m);
    expect(datasources).toMatch(/^\s+type: prometheus$/m);
    expect(datasources).toMatch(/^\s+timeInterval: /m);
  });

  it('compiles with grafana/tsconfig.json, as `npm run dashboard` does', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    expect(existsSync(tsc)).toBe(true);
    execFileSync(process.execPath, [tsc, '-p', root('grafana/tsconfig.json'), '--noEmit'], { stdio: 'pipe' });
  }, 120_000);
});
