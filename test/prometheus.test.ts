/**
 * The alerting and recording rules (prometheus/) and the Grafana dashboard (grafana/), against a
 * real Prometheus server scraping the built exporter (demo source) every second:
 *
 * - promtool check rules and promtool test rules pass, and the unit tests make every alert both
 *   fire and stay quiet;
 * - the target is up, and every jool_* family the exporter exposes (so every family of
 *   test/golden/metrics.prom that the demo produces) is ingested with its type;
 * - every query of every dashboard panel, and of its template variables, returns data;
 * - every rule evaluates without error, every recording rule has data, and no alert fires on the
 *   healthy demo;
 * - promtool check metrics exits 0 on the whole /metrics and finds no problem in the jool_* families.
 *
 * Needs /usr/bin/prometheus and promtool (Debian package `prometheus`; PROMETHEUS_BIN and
 * PROMTOOL_BIN override). Without them the suite is skipped with a loud warning, except under CI
 * (CI set and not "false" or "0"), where it fails.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CI, findBinary, freePort, MAIN, ROOT, type Started, startProcess, stopProcess, tail, waitUntil } from './support/processes.js';

const RULES_DIR = join(ROOT, 'prometheus');
const RULE_FILES = ['jool-recording.yml', 'jool-alerts.yml'].map((file) => join(RULES_DIR, file));
const RULE_TESTS_DIR = join(RULES_DIR, 'tests');
const DASHBOARD = join(ROOT, 'grafana/jool-sessions.json');
const GOLDEN = join(ROOT, 'test/golden/metrics.prom');

/**
 * jool_* families the exporter declares but the demo gives no sample, with the reason. Any other
 * family without samples fails the test: the demo is expected to exercise every metric.
 */
const NO_SAMPLES_WITH_THE_DEMO: Record<string, string> = {
  jool_pool4_mark_ports: "the demo's pool4 uses mark 0 only (the family is for marks other than 0)",
};

const PROMETHEUS = findBinary('prometheus', process.env.PROMETHEUS_BIN);
const PROMTOOL = findBinary('promtool', process.env.PROMTOOL_BIN);
const MISSING = [PROMETHEUS === undefined ? 'prometheus' : undefined, PROMTOOL === undefined ? 'promtool' : undefined].filter(
  (x) => x !== undefined,
);

if (MISSING.length > 0) {
  const line = '!'.repeat(100);
  console.warn(
    [
      line,
      `!!! test/prometheus.test.ts: ${MISSING.join(' and ')} not found (looked in /usr/bin and PATH; PROMETHEUS_BIN / PROMTOOL_BIN override).`,
      CI
        ? '!!! CI is set: the suite FAILS instead of skipping. Install them: apt-get install -y --no-install-recommends prometheus'
        : '!!! The alerting rules, their unit tests and the dashboard queries are NOT TESTED. Install them:',
      CI ? line : '!!!     apt-get install -y --no-install-recommends prometheus',
      ...(CI ? [] : [line]),
    ].join('\n'),
  );
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

// ---------------------------------------------------------------------------------------------
// Files

/** Names of the rules in a rules file (`- alert: X` / `- record: X`). */
function ruleNames(file: string, kind: 'alert' | 'record'): string[] {
  const pattern = new RegExp(`^\\s*-\\s+${kind}:\\s*(\\S+)\\s*$`, 'gm');
  return [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => m[1] as string);
}

/**
 * For every alertname in promtool unit-test files: whether a case expects it to fire (non-empty
 * exp_alerts) and whether one expects it quiet (`exp_alerts: []`). Reads the layout the files
 * in prometheus/tests use: `alertname:` then `exp_alerts:` in each alert_rule_test case.
 */
function alertCases(files: string[]): Map<string, { fires: boolean; quiet: boolean }> {
  const cases = new Map<string, { fires: boolean; quiet: boolean }>();
  for (const file of files) {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*#/.test(line));
    let alertname: string | undefined;
    lines.forEach((line, i) => {
      const name = /^\s*(?:-\s+)?alertname:\s*['"]?([A-Za-z0-9_:]+)/.exec(line)?.[1];
      if (name !== undefined) alertname = name;
      const expected = /^(\s*)exp_alerts:\s*(.*?)\s*$/.exec(line);
      if (expected === null || alertname === undefined) return;
      const entry = cases.get(alertname) ?? { fires: false, quiet: false };
      const next = lines.slice(i + 1).find((l) => l.trim() !== '');
      const indent = (expected[1] ?? '').length;
      const hasItems = expected[2] === '' && next !== undefined && /^\s*-\s/.test(next) && next.search(/\S/) >= indent;
      if (expected[2] === '[]' || (expected[2] === '' && !hasItems)) entry.quiet = true;
      else entry.fires = true;
      cases.set(alertname, entry);
      alertname = undefined;
    });
  }
  return cases;
}

interface Family {
  type: string;
  samples: number;
}

/** `# TYPE` families of a Prometheus text exposition, with how many sample lines each has. */
function families(text: string): Map<string, Family> {
  const result = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      current = { type: type[2] as string, samples: 0 };
      result.set(type[1] as string, current);
    } else if (line !== '' && !line.startsWith('#') && current !== undefined) {
      current.samples++;
    }
  }
  return result;
}

/** The series names Prometheus stores for a family. */
function seriesNames(name: string, type: string): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

interface DashboardQuery {
  where: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string; refId?: string; datasource?: { type?: string } }[];
  panels?: Panel[];
}

interface TemplateVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  current?: { value?: string | string[] };
  options?: { value?: string }[];
}

interface Dashboard {
  panels?: Panel[];
  templating?: { list?: TemplateVariable[] };
  annotations?: { list?: { expr?: string; name?: string; datasource?: { type?: string } }[] };
}

/**
 * Grafana's variables, as the dashboard is opened with "All" selected: query variables (and the
 * dashboard's $job, $instance, $jool_instance) match everything; other variables take their current
 * value; the built-in intervals take fixed values.
 */
function substitute(expr: string, variables: TemplateVariable[]): string {
  const builtins: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '15s',
    __interval_ms: '15000',
    __range: '5m',
    __range_s: '300',
    __range_ms: '300000',
  };
  const value = (name: string): string | undefined => {
    if (name in builtins) return builtins[name];
    if (['job', 'instance', 'jool_instance'].includes(name)) return '.*';
    const variable = variables.find((v) => v.name === name);
    if (variable === undefined) return undefined;
    if (variable.type === 'query') return '.*';
    const current = variable.current?.value ?? variable.options?.[0]?.value;
    const single = Array.isArray(current) ? current[0] : current;
    return single === undefined || single === '$__all' ? '.*' : single;
  };
  // $name, ${name}, ${name:format}, [[name]]; never $1 (label_replace's capture groups).
  return expr.replace(
    /\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)\]\]|\$([A-Za-z_]\w*)/g,
    (whole, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c) as string;
      return value(name) ?? whole;
    },
  );
}

function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const variables = dashboard.templating?.list ?? [];
  const queries: DashboardQuery[] = [];
  const walk = (panels: Panel[] | undefined, path: string) => {
    for (const panel of panels ?? []) {
      const where = `${path}panel "${panel.title ?? '(untitled)'}"`;
      for (const target of panel.targets ?? []) {
        if (typeof target.expr !== 'string' || target.expr.trim() === '') continue;
        queries.push({ where: `${where} target ${target.refId ?? '?'}`, expr: substitute(target.expr, variables) });
      }
      walk(panel.panels, `${where} > `);
    }
  };
  walk(dashboard.panels, '');
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (typeof annotation.expr === 'string' && annotation.expr.trim() !== '') {
      queries.push({ where: `annotation "${annotation.name ?? '?'}"`, expr: substitute(annotation.expr, variables) });
    }
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(MISSING.length > 0 && !CI)('the rules and the dashboard, on a real Prometheus', () => {
  let dir: string | undefined;
  let exporter: Started | undefined;
  let prometheus: Started | undefined;
  let exporterUrl = '';
  let prometheusUrl = '';
  const started = Date.now();

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(prometheusUrl + path);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  const query = (expr: string) => api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  const diagnostics = () =>
    `--- exporter log\n${exporter ? tail(exporter.log) : ''}\n--- prometheus log\n${prometheus ? tail(prometheus.log) : ''}`;

  beforeAll(async () => {
    if (MISSING.length > 0) {
      throw new Error(
        `${MISSING.join(' and ')} not found and CI is set: install the Debian package prometheus (apt-get install -y --no-install-recommends prometheus)`,
      );
    }
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dir = mkdtempSync(join(tmpdir(), 'jool-prometheus-test-'));

    // The exporter picks its own port (127.0.0.1:0) and logs it. --jool.instance=* also exercises
    // instance discovery and its metrics.
    exporter = startProcess(
      process.execPath,
      [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=1s', '--jool.instance=*'],
      join(dir, 'exporter.log'),
    );
    const exporterPort = await waitUntil(
      'exporter listening',
      async () => /msg=listening address=127\.0\.0\.1:(\d+)/.exec(readFileSync(exporter!.log, 'utf8'))?.[1],
      10_000,
      diagnostics,
    );
    exporterUrl = `http://127.0.0.1:${exporterPort}`;
    const exporterReady = Date.now() - started;

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      ...RULE_FILES.map((file) => `  - ${JSON.stringify(file)}`),
      'scrape_configs:',
      '  - job_name: jool',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${exporterPort}']`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    prometheus = startProcess(
      PROMETHEUS as string,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      join(dir, 'prometheus.log'),
    );
    await waitUntil(
      'Prometheus ready',
      async () => {
        if (prometheus!.child.exitCode !== null) throw new Error(`prometheus exited with ${prometheus!.child.exitCode}`);
        return (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined;
      },
      15_000,
      diagnostics,
    );
    const prometheusReady = Date.now() - started;
    // Three scrapes (rate() over 1m needs two samples) and every rule evaluated at least once.
    await waitUntil(
      'three scrapes and every rule evaluated',
      async () => {
        const scrapes = await query('count_over_time(up{job="jool"}[1m])');
        if (Number(scrapes.result[0]?.value[1] ?? 0) < 3) return undefined;
        const { groups } = await api<{ groups: { rules: { health: string }[] }[] }>('/api/v1/rules');
        return groups.flatMap((g) => g.rules).every((r) => r.health !== 'unknown') ? true : undefined;
      },
      15_000,
      diagnostics,
    );
    console.info(
      `prometheus.test.ts: exporter listening after ${exporterReady} ms, Prometheus ready after ${prometheusReady} ms, 3 scrapes and every rule evaluated after ${Date.now() - started} ms`,
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all([stopProcess(prometheus), stopProcess(exporter)]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    console.info(`prometheus.test.ts: ${Date.now() - started} ms in all`);
  });

  it('promtool check rules passes on every rules file', () => {
    const files = readdirSync(RULES_DIR)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(RULES_DIR, f));
    expect(files.sort()).toEqual([...RULE_FILES].sort());
    const result = spawnSync(PROMTOOL as string, ['check', 'rules', ...files], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('promtool test rules passes, and every alert has a firing and a quiet case', () => {
    const files = readdirSync(RULE_TESTS_DIR)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(RULE_TESTS_DIR, f));
    const result = spawnSync(PROMTOOL as string, ['test', 'rules', ...files], { encoding: 'utf8', cwd: ROOT });
    expect(result.status, result.stdout + result.stderr).toBe(0);

    const cases = alertCases(files);
    const alerts = RULE_FILES.flatMap((file) => ruleNames(file, 'alert'));
    expect(alerts.length).toBeGreaterThan(0);
    const missing = alerts.flatMap((alert) => [
      ...(cases.get(alert)?.fires ? [] : [`${alert}: no case where it fires`]),
      ...(cases.get(alert)?.quiet ? [] : [`${alert}: no case where it stays quiet`]),
    ]);
    expect(missing).toEqual([]);
    // And no test of an alert that does not exist.
    expect([...cases.keys()].filter((name) => !alerts.includes(name))).toEqual([]);
  });

  it('scrapes the exporter: the target is up', async () => {
    const { activeTargets } = await api<{ activeTargets: { health: string; lastError: string; labels: Record<string, string> }[] }>(
      '/api/v1/targets?state=active',
    );
    expect(activeTargets).toHaveLength(1);
    expect(activeTargets[0]).toMatchObject({ health: 'up', lastError: '', labels: { job: 'jool' } });
    const up = await query('up{job="jool"}');
    expect(up.result.map((s) => s.value[1])).toEqual(['1']);
  });

  it('ingests every jool_* family the exporter exposes (every one of the golden file), with its type', async () => {
    const exposed = families(await (await fetch(`${exporterUrl}/metrics`)).text());
    const jool = [...exposed].filter(([name]) => name.startsWith('jool_'));
    // Every family of the golden file is declared by the exporter under the same type.
    const golden = families(readFileSync(GOLDEN, 'utf8'));
    expect([...golden].filter(([name, f]) => exposed.get(name)?.type !== f.type).map(([name]) => name)).toEqual([]);

    const withoutSamples = jool.filter(([, f]) => f.samples === 0).map(([name]) => name);
    expect(withoutSamples.sort()).toEqual(Object.keys(NO_SAMPLES_WITH_THE_DEMO).sort());

    const expected = jool.filter(([, f]) => f.samples > 0).flatMap(([name, f]) => seriesNames(name, f.type));
    const ingested = new Set<string>();
    await waitUntil(
      'every jool_* series name ingested',
      async () => {
        const result = await query('count by (__name__) ({__name__=~"jool_.+"})');
        for (const sample of result.result) ingested.add(sample.metric.__name__ as string);
        return expected.every((name) => ingested.has(name)) ? true : undefined;
      },
      5_000,
    ).catch(() => undefined);
    expect(expected.filter((name) => !ingested.has(name))).toEqual([]);
    // Nothing else under jool_ (recording rules, named level:metric:operations, contain colons).
    expect([...ingested].filter((name) => !name.includes(':') && !expected.includes(name))).toEqual([]);

    // Prometheus read the same type for each family. (It scrapes OpenMetrics, where a counter
    // family is named without its _total suffix.)
    const metadata = await api<Record<string, { type: string }[]>>('/api/v1/metadata');
    const typeOf = (name: string) => (metadata[name] ?? metadata[name.replace(/_total$/, '')])?.[0]?.type;
    const wrongType = jool
      .filter(([, f]) => f.samples > 0)
      .filter(([name, f]) => typeOf(name) !== f.type)
      .map(([name, f]) => `${name}: exposed ${f.type}, Prometheus has ${typeOf(name) ?? 'nothing'}`);
    expect(wrongType).toEqual([]);
  });

  it('returns data for every query of the dashboard (panels, nested panels, variables)', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(0);
    const failures: string[] = [];
    await Promise.all(
      queries.map(async ({ where, expr }) => {
        // A query over a range may need a few more scrapes: retry for a while before calling it empty.
        try {
          await waitUntil(where, async () => ((await query(expr)).result.length > 0 ? true : undefined), 5_000);
        } catch (error) {
          failures.push(`${where}: ${expr}\n    ${String(error).split('\n')[0]}`);
        }
      }),
    );
    // Template variables: label_values(selector, label) is what Grafana asks /api/v1/label/<label>/values.
    let variableQueries = 0;
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== 'query') continue;
      variableQueries++;
      const text = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      const labelValues = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([A-Za-z_]\w*)\s*\)\s*$/.exec(text);
      const queryResult = /^\s*query_result\((.+)\)\s*$/.exec(text);
      const where = `variable $${variable.name}: ${text}`;
      if (labelValues !== null) {
        const selector =
          labelValues[1] === undefined
            ? ''
            : `?match[]=${encodeURIComponent(substitute(labelValues[1], dashboard.templating?.list ?? []))}`;
        const values = await api<string[]>(`/api/v1/label/${labelValues[2]}/values${selector}`);
        if (values.length === 0) failures.push(`${where} (no values)`);
      } else if (queryResult !== null) {
        if ((await query(substitute(queryResult[1] as string, dashboard.templating?.list ?? []))).result.length === 0)
          failures.push(`${where} (no data)`);
      } else {
        failures.push(`${where} (query form not understood by this test)`);
      }
    }
    expect(failures, `${queries.length} panel queries; these returned no data:\n${failures.join('\n')}`).toEqual([]);
    console.info(
      `prometheus.test.ts: ${queries.length} panel queries and ${variableQueries} variable queries of ${DASHBOARD} returned data`,
    );
  });

  it('evaluates every rule of both files without error', async () => {
    const { groups } = await api<{
      groups: { file: string; rules: { name: string; type: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');
    const rules = groups.flatMap((g) => g.rules);
    const loaded = rules.map((r) => `${r.type === 'alerting' ? 'alert' : 'record'} ${r.name}`).sort();
    const declared = RULE_FILES.flatMap((file) => [
      ...ruleNames(file, 'alert').map((n) => `alert ${n}`),
      ...ruleNames(file, 'record').map((n) => `record ${n}`),
    ]).sort();
    expect(loaded).toEqual(declared);
    const unhealthy = rules
      .filter((r) => r.health !== 'ok' || (r.lastError ?? '') !== '')
      .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
  });

  it('has data for every recording rule with the demo', async () => {
    const records = RULE_FILES.flatMap((file) => ruleNames(file, 'record'));
    const empty: string[] = [];
    for (const record of records) {
      try {
        await waitUntil(record, async () => ((await query(record)).result.length > 0 ? true : undefined), 5_000);
      } catch {
        empty.push(record);
      }
    }
    expect(empty).toEqual([]);
  });

  it('fires no alert on the healthy demo', async () => {
    const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
    expect(alerts.map((a) => `${a.labels.alertname} ${a.state} ${JSON.stringify(a.labels)}`)).toEqual([]);
  });

  it('promtool check metrics exits 0 on the whole /metrics, and finds no problem in the jool_* families', async () => {
    const body = await (await fetch(`${exporterUrl}/metrics`)).text();
    const check = (input: string) => {
      const result = spawnSync(PROMTOOL as string, ['check', 'metrics'], { input, encoding: 'utf8' });
      const problems = (result.stdout + result.stderr).split('\n').filter((line) => line.trim() !== '');
      return { status: result.status, problems };
    };
    // The whole output, prom-client's process_* and nodejs_* families included: exit 0, as the
    // operators' CI lints run it.
    const all = check(body);
    expect(all.problems).toEqual([]);
    expect(all.status).toBe(0);
    expect(body).toContain('# TYPE nodejs_active_handles gauge');
    // The jool_* families alone: clean.
    const joolOnly = families(body);
    let keep = false;
    const joolText = body
      .split('\n')
      .filter((line) => {
        const name = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1];
        if (name !== undefined) keep = name.startsWith('jool_') && joolOnly.has(name);
        return keep;
      })
      .join('\n');
    expect(joolText).toContain('# TYPE jool_up gauge');
    const jool = check(`${joolText}\n`);
    expect(jool.problems).toEqual([]);
    expect(jool.status).toBe(0);
  });
});
