/**
 * The exporter end to end, in-process: a real HTTP server, real child
 * processes (the jool stand-in in test/support printing the real captures),
 * checked against the captures read independently of the parser.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMetrics, type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool, fixture } from './support/fake-jool.js';

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
const STATES = ['ESTABLISHED', 'V4_INIT', 'V6_INIT', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'];

/** The capture, read with plain string splitting: the reference the exporter is checked against. */
function captureRows(protocol: string): string[][] {
  return fixture(`session-${protocol}-noheaders.csv`)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(','));
}
function expirySeconds(text: string): number {
  const [h, m, s] = text.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

let running: RunningExporter[] = [];
async function start(flags: string[]): Promise<RunningExporter> {
  const exporter = await startTestExporter(['--poll.interval=1h', ...flags]);
  running.push(exporter);
  return exporter;
}
afterEach(async () => {
  await Promise.all(running.map((exporter) => exporter.stop()));
  running = [];
});

async function metricsAfterFirstPoll(exporter: RunningExporter): Promise<Map<string, number>> {
  await exporter.poller.firstPollDone;
  return parseMetrics(await exporter.text('/metrics'));
}

describe('metrics from the real Jool 4.1.9 captures', () => {
  it('runs jool with the right argv: version first, then one call per table, -i before the mode', async () => {
    const jool = fakeJool();
    const exporter = await start([`--jool.path=${jool.path}`]);
    await exporter.poller.firstPollDone;
    expect(jool.calls()).toEqual([
      '--version',
      '-i default pool4 display --tcp --csv --no-headers',
      '-i default pool4 display --udp --csv --no-headers',
      '-i default pool4 display --icmp --csv --no-headers',
      '-i default session display --tcp --csv --numeric --no-headers',
      '-i default session display --udp --csv --numeric --no-headers',
      '-i default session display --icmp --csv --numeric --no-headers',
      '-i default stats display --csv --all --no-headers',
    ]);
  });

  it('counts sessions, TCP states, BIB entries, clients and expiries exactly as the capture has them', async () => {
    const exporter = await start([`--jool.path=${fakeJool().path}`]);
    const m = await metricsAfterFirstPoll(exporter);
    const I = 'jool_instance="default"';
    expect(m.get(`jool_up{${I}}`)).toBe(1);
    for (const protocol of PROTOCOLS) {
      const rows = captureRows(protocol);
      const labels = `${I},protocol="${protocol}"`;
      expect(m.get(`jool_sessions{${labels}}`)).toBe(rows.length);
      expect(m.get(`jool_bib_entries{${labels}}`)).toBe(new Set(rows.map((r) => `${r[5]}#${r[6]}`)).size);
      expect(m.get(`jool_session_clients{${labels}}`)).toBe(new Set(rows.map((r) => r[1])).size);
      expect(m.get(`jool_session_expiry_seconds_count{${labels}}`)).toBe(rows.length);
      expect(m.get(`jool_session_expiry_seconds_bucket{${labels},le="+Inf"}`)).toBe(rows.length);
      const sum = rows.reduce((total, r) => total + expirySeconds(r[9]!), 0);
      expect(m.get(`jool_session_expiry_seconds_sum{${labels}}`)).toBeCloseTo(sum, 6);
      const within60 = rows.filter((r) => expirySeconds(r[9]!) <= 60).length;
      expect(m.get(`jool_session_expiry_seconds_bucket{${labels},le="60"}`)).toBe(within60);
      expect(m.get(`jool_session_rows_rejected_total{${labels}}`)).toBe(0);
    }
    const tcp = captureRows('tcp');
    for (const state of STATES) {
      expect(m.get(`jool_tcp_sessions{${I},state="${state}"}`)).toBe(tcp.filter((r) => r[10] === state).length);
    }
    // The scenario of the capture, as its README describes it.
    expect(m.get(`jool_tcp_sessions{${I},state="ESTABLISHED"}`)).toBe(300);
    expect(m.get(`jool_tcp_sessions{${I},state="V4_INIT"}`)).toBe(20);
  });

  it('exports health series from the first poll: every failure reason at 0, poll timing, build info, process metrics', async () => {
    const exporter = await start([`--jool.path=${fakeJool().path}`]);
    const m = await metricsAfterFirstPoll(exporter);
    for (const reason of ['spawn', 'exit', 'timeout', 'parse', 'dialect', 'too_large', 'internal']) {
      expect(m.get(`jool_session_poll_failures_total{jool_instance="default",reason="${reason}"}`)).toBe(0);
    }
    expect(m.get('jool_session_polls_total{jool_instance="default"}')).toBe(1);
    expect(m.get('jool_session_poll_duration_seconds{jool_instance="default"}')).toBeGreaterThan(0);
    const lastSuccess = m.get('jool_session_poll_last_success_timestamp_seconds{jool_instance="default"}')!;
    expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(30);
    expect(m.get('jool_version_info{jool_instance="default",version="4.1.9.0",dialect="4"}')).toBe(1);
    expect([...m.keys()].some((key) => key.startsWith('jool_session_exporter_build_info{version='))).toBe(true);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('reads Jool 3 (detected from --version): its argv and its HH:MM:SS.m expiry give the same metrics', async () => {
    const jool3 = fakeJool({ FAKE_JOOL_VERSION: '3.5.8.0' });
    const exporter3 = await start([`--jool.path=${jool3.path}`]);
    const exporter4 = await start([`--jool.path=${fakeJool().path}`]);
    const [m3, m4] = await Promise.all([metricsAfterFirstPoll(exporter3), metricsAfterFirstPoll(exporter4)]);
    // Jool 3: pool4 of every protocol in one call, and no stats command.
    expect(jool3.calls().slice(1)).toEqual([
      '--pool4 --display --csv',
      '--session --display --tcp --csv --numeric',
      '--session --display --udp --csv --numeric',
      '--session --display --icmp --csv --numeric',
    ]);
    const sessionSeries = (m: Map<string, number>) =>
      [...m].filter(([key]) => /^jool_(sessions|tcp_sessions|bib_entries|session_clients|session_expiry_seconds)/.test(key));
    expect(sessionSeries(m3).length).toBeGreaterThan(50);
    expect(sessionSeries(m3)).toEqual(sessionSeries(m4));
    expect(m3.get('jool_version_info{jool_instance="default",version="3.5.8.0",dialect="3"}')).toBe(1);
  });

  it('takes --jool.dialect=4 without asking jool --version', async () => {
    const jool = fakeJool({ FAKE_JOOL_VERSION: 'garbage' });
    const exporter = await start([`--jool.path=${jool.path}`, '--jool.dialect=4']);
    const m = await metricsAfterFirstPoll(exporter);
    expect(jool.calls()[0]).toBe('-i default pool4 display --tcp --csv --no-headers');
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
  });
});

describe("failures: counted by reason, logged with jool's stderr, never reported as an empty table", () => {
  async function failing(flags: string[], reason: string) {
    const exporter = await start(flags);
    const m = await metricsAfterFirstPoll(exporter);
    const instance = /--jool.instance=(\S+)/.exec(flags.join(' '))?.[1] ?? 'default';
    const I = `jool_instance="${instance}"`;
    expect(m.get(`jool_up{${I}}`)).toBe(0);
    expect(m.get(`jool_session_poll_failures_total{${I},reason="${reason}"}`)).toBe(1);
    expect([...m.keys()].filter((key) => key.startsWith('jool_sessions{'))).toEqual([]);
    expect([...m.keys()].filter((key) => key.startsWith('jool_tcp_sessions{'))).toEqual([]);
    expect(m.has(`jool_session_poll_last_success_timestamp_seconds{${I}}`)).toBe(false);
    return exporter;
  }

  it('missing instance: Jool prints the CSV header, then exits 3', async () => {
    const exporter = await failing([`--jool.path=${fakeJool().path}`, '--jool.instance=nope'], 'exit');
    const line = exporter.logs.find((l) => l.includes('poll failed'))!;
    expect(line).toContain('exit status 3');
    expect(line).toContain("lacks an instance named 'nope'");
  });

  it('kernel module not loaded: exit 253', async () => {
    const exporter = await failing([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'nomodule' }).path}`, '--jool.dialect=4'], 'exit');
    expect(exporter.logs.find((l) => l.includes('poll failed'))).toContain("hasn't been modprobed");
  });

  it('jool binary missing', async () => {
    const exporter = await failing(['--jool.path=/nonexistent/jool'], 'spawn');
    const line = exporter.logs.find((l) => l.includes('poll failed'));
    expect(line).toContain('ENOENT');
    expect(line).toContain('apt install jool-tools');
  });

  it('jool hangs past --jool.timeout', async () => {
    await failing([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'hang' }).path}`, '--jool.dialect=4', '--jool.timeout=300ms'], 'timeout');
  });

  it('garbage instead of a session table', async () => {
    await failing([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'garbage' }).path}`, '--jool.dialect=4'], 'parse');
  });

  it('jool fails midway through a table', async () => {
    await failing([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'fail-after-rows' }).path}`, '--jool.dialect=4'], 'exit');
  });

  it('jool killed by a signal midway', async () => {
    const exporter = await failing([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'killed' }).path}`, '--jool.dialect=4'], 'exit');
    expect(exporter.logs.find((l) => l.includes('poll failed'))).toContain('SIGKILL');
  });

  it('an unknown jool version', async () => {
    await failing([`--jool.path=${fakeJool({ FAKE_JOOL_VERSION: 'jool 9.0' }).path}`], 'dialect');
  });

  it('Jool 3 has no named instances', async () => {
    await failing([`--jool.path=${fakeJool({ FAKE_JOOL_VERSION: '3.5.8' }).path}`, '--jool.instance=other'], 'dialect');
  });

  it('one failing instance does not affect another', async () => {
    const exporter = await start([`--jool.path=${fakeJool().path}`, '--jool.instance=default', '--jool.instance=nope']);
    const m = await metricsAfterFirstPoll(exporter);
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(m.get('jool_up{jool_instance="nope"}')).toBe(0);
    expect(m.get('jool_sessions{jool_instance="default",protocol="udp"}')).toBe(captureRows('udp').length);
    expect(m.has('jool_sessions{jool_instance="nope",protocol="udp"}')).toBe(false);
  });

  it('malformed rows are skipped, counted per protocol and logged once per poll with an example', async () => {
    const exporter = await start([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'mixed' }).path}`]);
    const m = await metricsAfterFirstPoll(exporter);
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    for (const protocol of PROTOCOLS) {
      const rejected = 3; // the stand-in breaks the 1st, 3rd and 5th row of each table
      expect(m.get(`jool_session_rows_rejected_total{jool_instance="default",protocol="${protocol}"}`)).toBe(rejected);
      expect(m.get(`jool_sessions{jool_instance="default",protocol="${protocol}"}`)).toBe(captureRows(protocol).length - rejected);
    }
    const warnings = exporter.logs.filter((l) => l.includes('malformed rows skipped'));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain('example=garbage,TCP,2001:db8::4,');
  });

  it('recovers: data comes back after a failure, and the failure stays counted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mode-'));
    const modeFile = path.join(dir, 'mode');
    writeFileSync(modeFile, 'nomodule');
    const exporter = await startTestExporter([
      `--jool.path=${fakeJool({ FAKE_JOOL_MODE_FILE: modeFile }).path}`,
      '--jool.dialect=4',
      '--poll.interval=100ms',
    ]);
    running.push(exporter);
    await exporter.poller.firstPollDone;
    expect(parseMetrics(await exporter.text('/metrics')).get('jool_up{jool_instance="default"}')).toBe(0);
    writeFileSync(modeFile, 'real');
    const m = await waitFor(async () => {
      const metrics = parseMetrics(await exporter.text('/metrics'));
      return metrics.get('jool_up{jool_instance="default"}') === 1 ? metrics : undefined;
    });
    expect(m.get('jool_session_poll_failures_total{jool_instance="default",reason="exit"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('jool_sessions{jool_instance="default",protocol="tcp"}')).toBe(captureRows('tcp').length);
    expect(exporter.logs.some((l) => l.includes('poll recovered'))).toBe(true);
    // The same error repeated is logged once at error level, then at debug.
    expect(exporter.logs.filter((l) => l.includes('level=error') && l.includes('poll failed')).length).toBe(1);
  });
});

describe('polling and scraping', () => {
  it('answers scrapes during a slow poll at once, from the previous complete poll', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mode-'));
    const modeFile = path.join(dir, 'mode');
    const exporter = await startTestExporter([
      `--jool.path=${fakeJool({ FAKE_JOOL_MODE_FILE: modeFile, FAKE_JOOL_SLOW_SECONDS: '2' }).path}`,
      '--poll.interval=50ms',
    ]);
    running.push(exporter);
    await exporter.poller.firstPollDone;
    writeFileSync(modeFile, 'slow'); // from now on each table takes 2 s to print
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const m = parseMetrics(await exporter.text('/metrics'));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(500);
    expect(m.get('jool_sessions{jool_instance="default",protocol="tcp"}')).toBe(captureRows('tcp').length);
    expect(m.get('jool_sessions{jool_instance="default",protocol="udp"}')).toBe(captureRows('udp').length);
  });

  it('is not ready, and serves no table, until the first poll has finished', async () => {
    const exporter = await start([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'slow', FAKE_JOOL_SLOW_SECONDS: '1' }).path}`]);
    expect((await exporter.get('/readyz')).status).toBe(503);
    expect((await exporter.get('/sessions.csv')).status).toBe(503);
    const before = parseMetrics(await exporter.text('/metrics'));
    expect(before.get('jool_session_poll_failures_total{jool_instance="default",reason="exit"}')).toBe(0);
    expect(before.has('jool_up{jool_instance="default"}')).toBe(false);
    await exporter.poller.firstPollDone;
    expect((await exporter.get('/readyz')).status).toBe(200);
    expect((await exporter.get('/healthz')).status).toBe(200);
  });

  it('every scrape shows one complete poll: the families agree with each other while the tables change', async () => {
    // The demo's tables change from poll to poll; polls every 20 ms race the scrapes.
    const exporter = await startTestExporter(['--source=demo', '--poll.interval=20ms'], 'info');
    running.push(exporter);
    await exporter.poller.firstPollDone;
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const m = parseMetrics(await exporter.text('/metrics'));
      for (const protocol of PROTOCOLS) {
        const labels = `jool_instance="default",protocol="${protocol}"`;
        const sessions = m.get(`jool_sessions{${labels}}`)!;
        expect(m.get(`jool_session_expiry_seconds_count{${labels}}`)).toBe(sessions);
        expect(m.get(`jool_sessions_per_subscriber_sum{${labels}}`)).toBe(sessions);
        expect(m.get(`jool_bib_entries_per_subscriber_sum{${labels}}`)).toBe(m.get(`jool_bib_entries{${labels}}`));
        if (protocol === 'tcp') {
          seen.add(sessions);
          const states = STATES.reduce((sum, state) => sum + m.get(`jool_tcp_sessions{jool_instance="default",state="${state}"}`)!, 0);
          expect(states).toBe(sessions);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen.size).toBeGreaterThan(1); // the tables did change under the scrapes
  });

  it('a poll cut short by shutdown is not counted or logged as a failure', async () => {
    const exporter = await startTestExporter([
      `--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'slow', FAKE_JOOL_SLOW_SECONDS: '5' }).path}`,
      '--jool.dialect=4',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the first poll is now waiting on a slow table
    const started = Date.now();
    await exporter.stop();
    expect(Date.now() - started).toBeLessThan(2000); // the call was killed, not waited out
    expect(exporter.logs.filter((l) => l.includes('poll failed'))).toEqual([]);
    expect(exporter.store.current.instances[0]!.polls).toBe(0);
  });

  it('never runs two polls of one instance at once, and scrapes never trigger polls', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'slow', FAKE_JOOL_SLOW_SECONDS: '0.2' });
    const exporter = await start([`--jool.path=${jool.path}`, '--jool.dialect=4']);
    await exporter.poller.firstPollDone;
    await Promise.all(Array.from({ length: 20 }, () => exporter.text('/metrics')));
    expect(jool.calls()).toHaveLength(7); // one poll: three pool4 tables, three session tables, stats; nothing from the scrapes
  });
});
