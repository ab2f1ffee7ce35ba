/**
 * Instances in network namespaces and `--jool.instance=*` discovery, with the
 * jool stand-in answering as the jool of each namespace (see fakeNamespaces).
 * The capture's instances: default and empty in the exporter's namespace, alt
 * in namespace "alt".
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeNamespaces, parseMetrics, type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool, fixture } from './support/fake-jool.js';

let running: RunningExporter[] = [];
afterEach(async () => {
  await Promise.all(running.map((exporter) => exporter.stop()));
  running = [];
});
async function start(joolPath: string, flags: string[]): Promise<RunningExporter> {
  const exporter = await startTestExporter([`--jool.path=${joolPath}`, ...flags], 'debug', fakeNamespaces(joolPath));
  running.push(exporter);
  return exporter;
}
const udpRows = () => fixture('session-udp-noheaders.csv').split('\n').filter(Boolean).length;

describe('an instance in another network namespace (NAME@NETNS)', () => {
  it('is polled inside its namespace and labelled NAME@NETNS', async () => {
    const jool = fakeJool();
    const exporter = await start(jool.path, ['--jool.instance=default', '--jool.instance=alt@alt', '--poll.interval=1h']);
    await exporter.poller.firstPollDone;
    const m = parseMetrics(await exporter.text('/metrics'));
    expect(m.get('jool_up{jool_instance="alt@alt"}')).toBe(1);
    expect(m.get('jool_sessions{jool_instance="alt@alt",protocol="udp"}')).toBe(udpRows());
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(jool.calls()).toContain('[alt] -i alt session display --udp --csv --numeric --no-headers');
    expect(jool.calls()).toContain('-i default session display --udp --csv --numeric --no-headers');
    const csv = await exporter.get('/sessions.csv?instance=alt@alt&protocol=udp');
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\n').filter(Boolean)).toHaveLength(udpRows() + 1);
  });

  it('fails like Jool does (exit 3) when polled from the wrong namespace', async () => {
    const exporter = await start(fakeJool().path, ['--jool.instance=alt', '--poll.interval=1h']);
    await exporter.poller.firstPollDone;
    const m = parseMetrics(await exporter.text('/metrics'));
    expect(m.get('jool_up{jool_instance="alt"}')).toBe(0);
    expect(m.get('jool_session_poll_failures_total{jool_instance="alt",reason="exit"}')).toBe(1);
  });
});

describe('--jool.instance=* (discovery)', () => {
  it('finds every instance, in the own namespace and in each --jool.netns, and polls each where it lives', async () => {
    const jool = fakeJool();
    const exporter = await start(jool.path, ['--jool.instance=*', '--jool.netns=alt', '--poll.interval=1h']);
    await exporter.poller.firstPollDone;
    const m = parseMetrics(await exporter.text('/metrics'));
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(m.get('jool_up{jool_instance="empty"}')).toBe(1);
    expect(m.get('jool_up{jool_instance="alt@alt"}')).toBe(1);
    expect(m.get('jool_instances_unreachable')).toBe(0);
    expect(m.get('jool_instance_discovery_runs_total')).toBe(1);
    expect((await exporter.get('/readyz')).status).toBe(200);
  });

  it('reports instances that no namespace reaches, instead of polling them from the wrong one', async () => {
    const exporter = await start(fakeJool().path, ['--jool.instance=*', '--poll.interval=1h']);
    await exporter.poller.firstPollDone;
    const m = parseMetrics(await exporter.text('/metrics'));
    expect(m.get('jool_instances_unreachable')).toBe(1);
    expect(m.has('jool_up{jool_instance="alt"}')).toBe(false);
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(exporter.logs.some((l) => l.includes('level=warn') && l.includes('instance=alt') && l.includes('namespace=312d780'))).toBe(true);
  });

  it('starts polling instances that appear and drops the metrics of instances that disappear, without a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'instances-'));
    const list = path.join(dir, 'instances.csv');
    writeFileSync(list, '9809dcc0,default,netfilter\n');
    const exporter = await start(fakeJool({ FAKE_JOOL_INSTANCES_FILE: list }).path, ['--jool.instance=*', '--poll.interval=100ms']);
    await exporter.poller.firstPollDone;
    expect(parseMetrics(await exporter.text('/metrics')).has('jool_up{jool_instance="empty"}')).toBe(false);

    writeFileSync(list, '9809dcc0,default,netfilter\n9809dcc0,empty,iptables\n');
    await waitFor(async () => parseMetrics(await exporter.text('/metrics')).get('jool_up{jool_instance="empty"}') === 1);

    writeFileSync(list, '9809dcc0,empty,iptables\n');
    const m = await waitFor(async () => {
      const metrics = parseMetrics(await exporter.text('/metrics'));
      return metrics.has('jool_session_polls_total{jool_instance="default"}') ? undefined : metrics;
    });
    expect([...m.keys()].filter((key) => key.includes('jool_instance="default"'))).toEqual([]);
    expect(m.get('jool_up{jool_instance="empty"}')).toBe(1);
    expect(exporter.logs.some((l) => l.includes('instance found') && l.includes('instance=empty'))).toBe(true);
    expect(exporter.logs.some((l) => l.includes('instance gone') && l.includes('instance=default'))).toBe(true);
  });

  it.each(['nomodule', 'garbage'])('keeps the known instances when discovery fails (%s), rather than retiring them', async (fault) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mode-'));
    const modeFile = path.join(dir, 'mode');
    const exporter = await start(fakeJool({ FAKE_JOOL_MODE_FILE: modeFile }).path, ['--jool.instance=*', '--poll.interval=100ms']);
    await exporter.poller.firstPollDone;
    writeFileSync(modeFile, fault);
    const m = await waitFor(async () => {
      const metrics = parseMetrics(await exporter.text('/metrics'));
      return metrics.get('jool_instance_discovery_failures_total')! > 0 && metrics.get('jool_up{jool_instance="default"}') === 0
        ? metrics
        : undefined;
    });
    expect(m.has('jool_up{jool_instance="empty"}')).toBe(true);
    expect(exporter.logs.some((l) => l.includes('instance gone'))).toBe(false);
    expect(exporter.logs.some((l) => l.includes('instance discovery failed'))).toBe(true);
  });

  it('Jool 3 has one unnamed instance: discovery gives "default"', async () => {
    const exporter = await start(fakeJool({ FAKE_JOOL_VERSION: '3.5.8' }).path, ['--jool.instance=*', '--poll.interval=1h']);
    await exporter.poller.firstPollDone;
    const m = parseMetrics(await exporter.text('/metrics'));
    expect(m.get('jool_up{jool_instance="default"}')).toBe(1);
    expect([...m.keys()].filter((key) => key.startsWith('jool_up{'))).toEqual(['jool_up{jool_instance="default"}']);
  });
});
