/**
 * The PromQL of grafana/jool-sessions.json, ready to run against a Prometheus: every panel's
 * queries (rows' nested panels included) with Grafana's variables replaced by plain values.
 *
 *   import { executableQueries } from '../grafana/queries.js';
 *   for (const q of executableQueries()) {
 *     // q.expr: e.g. sum by (protocol) (jool_sessions{job=~".*", instance=~".*", jool_instance=~".*"})
 *     // q.panelTitle, q.refId, q.instant (the panel asks for an instant query) for messages
 *   }
 *
 * Defaults (DEFAULT_VARIABLES): `$job`, `$instance`, `$jool_instance` → `.*` (every selector uses
 * `=~`), `$__rate_interval` → `1m`, `$__interval` → `15s`, `$__range` → `5m`. A Prometheus that
 * scrapes the exporter at least every 15 s has data for every query after about a minute and a half
 * (`rate(...[1m])` needs two samples; the `$__range` queries, five minutes to be exact).
 * No dependency beyond Node: usable from any test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** grafana/jool-sessions.json: beside this file, or, compiled to dist/grafana/, in the repo's grafana/. */
export const DASHBOARD_JSON =
  [
    fileURLToPath(new URL('./jool-sessions.json', import.meta.url)),
    fileURLToPath(new URL('../../grafana/jool-sessions.json', import.meta.url)),
  ].find((p) => existsSync(p)) ?? fileURLToPath(new URL('./jool-sessions.json', import.meta.url));

/** What each variable becomes. `$datasource` never appears in an expression, only in datasource refs. */
export const DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  job: '.*',
  instance: '.*',
  jool_instance: '.*',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '5m',
};

export interface PanelQuery {
  panelId: number | undefined;
  panelTitle: string;
  panelType: string;
  refId: string;
  /** The expression as stored in the dashboard (with Grafana variables). */
  expr: string;
  /** True when the panel asks Grafana for an instant query (bar gauges, tables). */
  instant: boolean;
  /** Grafana's result format: time_series, table or heatmap. */
  format: string;
}

interface JsonPanel {
  id?: number;
  type?: string;
  title?: string;
  panels?: JsonPanel[];
  targets?: { expr?: string; refId?: string; instant?: boolean; format?: string; hide?: boolean }[];
}

/** Loads the committed dashboard JSON. */
export function loadDashboard(path = DASHBOARD_JSON): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** Every panel of the dashboard, rows' nested (collapsed) panels included, rows themselves excluded. */
export function dashboardPanels(model: unknown = loadDashboard()): JsonPanel[] {
  const out: JsonPanel[] = [];
  const walk = (panels: JsonPanel[] | undefined) => {
    for (const p of panels ?? []) {
      if (p.type !== 'row') out.push(p);
      walk(p.panels);
    }
  };
  walk((model as { panels?: JsonPanel[] }).panels);
  return out;
}

/** Every Prometheus query of every panel, as stored (variables not replaced). Hidden queries are skipped. */
export function dashboardQueries(model: unknown = loadDashboard()): PanelQuery[] {
  return dashboardPanels(model).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.hide !== true && typeof t.expr === 'string')
      .map((t) => ({
        panelId: p.id,
        panelTitle: p.title ?? '',
        panelType: p.type ?? '',
        refId: t.refId ?? '',
        expr: t.expr as string,
        instant: t.instant === true,
        format: t.format ?? 'time_series',
      })),
  );
}

// $name, ${name}, ${name:format} and [[name]], as Grafana reads them. A `$` followed by a digit
// (label_replace's "$1") is no variable and is left alone.
const VARIABLE = /\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]/g;

/** Names of the Grafana variables an expression uses. */
export function variablesIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(VARIABLE)].map((m) => (m[1] ?? m[2] ?? m[3]) as string))];
}

/**
 * Replaces Grafana variables with values (DEFAULT_VARIABLES, overridden by `values`). An unknown
 * variable is an error, so a query never reaches Prometheus with a `$` left in it.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>> = {}): string {
  const all = { ...DEFAULT_VARIABLES, ...values };
  return expr.replace(VARIABLE, (match, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    const value = all[name];
    if (value === undefined) throw new Error(`no value for Grafana variable ${match} in: ${expr}`);
    return value;
  });
}

/** Every panel query with the variables replaced: what the live-Prometheus test runs. */
export function executableQueries(values: Readonly<Record<string, string>> = {}, model: unknown = loadDashboard()): PanelQuery[] {
  return dashboardQueries(model).map((q) => ({ ...q, expr: substituteVariables(q.expr, values) }));
}

export interface TemplateVariable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

/** The dashboard's template variables. */
export function templateVariables(model: unknown = loadDashboard()): TemplateVariable[] {
  return (model as { templating?: { list?: TemplateVariable[] } }).templating?.list ?? [];
}

/**
 * Splits a `label_values(selector, label)` variable query: `selector` (variables replaced) can be
 * sent as `match[]` to /api/v1/series or /api/v1/label/<label>/values.
 */
export function parseLabelValues(query: string, values: Readonly<Record<string, string>> = {}): { selector: string; label: string } {
  const m = /^label_values\((.+),\s*([A-Za-z_]\w*)\)$/s.exec(query.trim());
  if (m === null) throw new Error(`not a label_values(selector, label) query: ${query}`);
  return { selector: substituteVariables(m[1] as string, values).trim(), label: m[2] as string };
}
