/**
 * The exporter's own metrics (prom-client's process_* and nodejs_*): no gauge ends in _total
 * (promtool check metrics rejects that; test/prometheus.test.ts runs promtool on the whole output),
 * nothing is lost by dropping the three that did, and --web.disable-exporter-metrics leaves them
 * all out, as node_exporter's flag does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DROPPED_DEFAULT_METRICS } from '../src/metrics/registry.js';
import { type RunningExporter, startTestExporter } from './support/exporter.js';

/** family name → TYPE, from a text exposition. */
const types = (body: string) => new Map([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));

let withOwn: RunningExporter;
let without: RunningExporter;
beforeAll(async () => {
  withOwn = await startTestExporter(['--source=demo', '--poll.interval=1h']);
  without = await startTestExporter(['--source=demo', '--poll.interval=1h', '--web.disable-exporter-metrics']);
  await Promise.all([withOwn.poller.firstPollDone, without.poller.firstPollDone]);
});
afterAll(async () => {
  await withOwn?.stop();
  await without?.stop();
});

describe("the exporter's own metrics", () => {
  it('are there by default, and only counters end in _total', async () => {
    const families = types(await withOwn.text('/metrics'));
    expect(families.get('process_cpu_seconds_total')).toBe('counter');
    expect(families.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    for (const [name, type] of families) if (name.endsWith('_total')) expect(type, name).toBe('counter');
  });

  it('keep the active handles, requests and resources, per type (their sum was the dropped _total)', async () => {
    const body = await withOwn.text('/metrics');
    const families = types(body);
    for (const dropped of DROPPED_DEFAULT_METRICS) {
      expect(families.has(dropped), dropped).toBe(false);
      expect(families.get(dropped.replace(/_total$/, '')), dropped).toBe('gauge');
    }
    // The HTTP server's socket is an active handle: the per-type gauge has it.
    expect(body).toMatch(/^nodejs_active_handles\{type="Server"\} [1-9]/m);
  });

  it('--web.disable-exporter-metrics leaves out every process_* and nodejs_* family, and nothing else', async () => {
    const all = types(await withOwn.text('/metrics'));
    const kept = types(await without.text('/metrics'));
    expect([...kept.keys()].filter((name) => /^(process|nodejs)_/.test(name))).toEqual([]);
    expect([...kept.keys()].sort()).toEqual([...all.keys()].filter((name) => !/^(process|nodejs)_/.test(name)).sort());
    expect(kept.has('jool_session_exporter_build_info')).toBe(true);
    expect(kept.has('jool_up')).toBe(true);
  });
});
