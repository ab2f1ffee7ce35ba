/** The built binary as an operator runs it: flags, help, errors, the demo source, signals. */

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMetrics, waitFor } from './support/exporter.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 10_000 });

describe('command line', () => {
  it('--help documents every flag with its default and environment variable', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    for (const flag of [
      '--source',
      '--jool.path',
      '--jool.instance',
      '--jool.dialect',
      '--jool.timeout',
      '--poll.interval',
      '--web.listen-address',
      '--web.telemetry-path',
      '--log.level',
      '--log.format',
    ]) {
      expect(result.stdout).toContain(`${flag}=`);
    }
    expect(result.stdout).toContain('JOOL_SESSION_EXPORTER_POLL_INTERVAL');
  });

  it('--version prints the version', () => {
    const result = run(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^jool-session-exporter \d+\.\d+\.\d+/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--poll.interval=often'], /--poll.interval: invalid duration "often"/],
    [['--jool.instance=this-name-is-way-too-long'], /longer than the 15 characters/],
    [['--web.listen-address=9812'], /expected \[host\]:port/],
    [['--source=file'], /--source=file: must be one of jool, demo/],
  ])('%s is a usage error: exit 2 and one clear line', (args, message) => {
    const result = run(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('reads flags from the environment', () => {
    const result = run([], { JOOL_SESSION_EXPORTER_POLL_INTERVAL: 'never' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--poll.interval: invalid duration "never"');
  });

  it('exits 1 with a clear log line when the port is taken', async () => {
    const first = spawn(process.execPath, [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0', '--log.format=json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    first.stderr.on('data', (chunk) => (log += chunk));
    const address = await waitFor(() => /"address":"127\.0\.0\.1:(\d+)"/.exec(log)?.[1]);
    const second = run(['--source=demo', `--web.listen-address=127.0.0.1:${address}`]);
    first.kill('SIGTERM');
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/level=error msg="cannot start".*EADDRINUSE/);
    await once(first, 'exit');
  });
});

describe('the demo source, as `npm run demo` runs it', () => {
  it('serves live metrics and sessions with no Jool installed, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=200ms'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: '/nonexistent' }, // prove it needs no jool binary
    });
    let log = '';
    child.stderr.on('data', (chunk) => (log += chunk));
    const port = await waitFor(() => /address=127\.0\.0\.1:(\d+)/.exec(log)?.[1]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
    const first = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(first.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(first.get('jool_sessions{jool_instance="default",protocol="tcp"}')).toBeGreaterThan(0);
    expect(first.get('jool_sessions{jool_instance="default",protocol="udp"}')).toBeGreaterThan(0);
    expect(first.get('jool_sessions{jool_instance="default",protocol="icmp"}')).toBeGreaterThan(0);
    // pool4, subscribers and Jool's counters come through the same path.
    expect(first.get('jool_pool4_configured{jool_instance="default",protocol="tcp"}')).toBe(1);
    expect(first.get('jool_pool4_utilization_ratio{jool_instance="default",protocol="tcp"}')).toBeGreaterThan(0);
    expect(first.get('jool_session_subscribers{jool_instance="default",protocol="tcp"}')).toBeGreaterThan(0);
    expect(
      [...first.keys()].filter((k) => k.startsWith('jool_top_subscriber_sessions{jool_instance="default",protocol="tcp"')),
    ).toHaveLength(10);
    expect(first.get('jool_stats_total{jool_instance="default",stat="JSTAT_RECEIVED6"}')).toBeGreaterThan(0);
    const csv = await (await fetch(`${url}/sessions.csv?protocol=tcp&limit=10`)).text();
    expect(csv.split('\n')[0]).toMatch(/^Protocol,IPv6 Remote Address,/);
    expect(csv.split('\n').filter(Boolean)).toHaveLength(11);
    const pollsBefore = first.get('jool_session_polls_total{jool_instance="default"}')!;
    await waitFor(async () => {
      const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
      return m.get('jool_session_polls_total{jool_instance="default"}')! > pollsBefore + 1;
    });
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(log).toContain('shutting down');
  });
});
