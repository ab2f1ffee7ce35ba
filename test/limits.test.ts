/**
 * Limits and failure reasons added by issue #9 and #12: --poll.max-rows (reason too_large, the
 * jool call killed, nothing left running) and reason internal (an exception in the exporter
 * itself is not blamed on jool's output).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { startPoller } from '../src/poll/poller.js';
import { createStatusStore } from '../src/status/store.js';
import { parseMetrics, type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';

let running: RunningExporter[] = [];
async function start(flags: string[]): Promise<RunningExporter> {
  const exporter = await startTestExporter(['--poll.interval=1h', '--jool.dialect=4', ...flags]);
  running.push(exporter);
  return exporter;
}
afterEach(async () => {
  await Promise.all(running.map((exporter) => exporter.stop()));
  running = [];
});

async function firstPollMetrics(exporter: RunningExporter): Promise<Map<string, number>> {
  await exporter.poller.firstPollDone;
  return parseMetrics(await exporter.text('/metrics'));
}
const failures = (reason: string) => `jool_session_poll_failures_total{jool_instance="default",reason="${reason}"}`;

describe('--poll.max-rows', () => {
  it('every reason, too_large and internal included, is exported at 0 from the first poll', async () => {
    const m = await firstPollMetrics(await start([`--jool.path=${fakeJool().path}`]));
    for (const reason of ['spawn', 'exit', 'timeout', 'parse', 'dialect', 'too_large', 'internal']) {
      expect(m.get(failures(reason))).toBe(0);
    }
  });

  it('a jool printing valid rows without end is killed past the limit: too_large, no process left', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'endless' });
    // A long timeout: only the row limit can end this call.
    const exporter = await start([`--jool.path=${jool.path}`, '--poll.max-rows=20000', '--jool.timeout=10m']);
    const m = await firstPollMetrics(exporter);
    expect(m.get('jool_up{jool_instance="default"}')).toBe(0);
    expect(m.get(failures('too_large'))).toBe(1);
    expect(m.get(failures('timeout'))).toBe(0);
    expect(exporter.logs.find((l) => l.includes('poll failed'))).toMatch(/more than 20000 tcp sessions/);
    await waitFor(() => jool.processes().length === 0);
  });

  it('the limit is inclusive: a table of exactly max-rows sessions passes, one more fails', async () => {
    // The captured tables: TCP 520, UDP 4004, ICMP 1001 sessions.
    const exact = await firstPollMetrics(await start([`--jool.path=${fakeJool().path}`, '--poll.max-rows=4004']));
    expect(exact.get('jool_up{jool_instance="default"}')).toBe(1);
    const over = await start([`--jool.path=${fakeJool().path}`, '--poll.max-rows=4003']);
    const m = await firstPollMetrics(over);
    expect(m.get(failures('too_large'))).toBe(1);
    expect(over.logs.find((l) => l.includes('poll failed'))).toMatch(/more than 4003 udp sessions/);
  });

  it('is refused when it is not a positive whole number', async () => {
    await expect(start(['--poll.max-rows=0'])).rejects.toThrow(/poll.max-rows/);
    await expect(start(['--poll.max-rows=1e6'])).rejects.toThrow(/poll.max-rows/);
  });
});

describe('reason internal', () => {
  it('an exception thrown inside a poll is counted as internal, not parse, and the loop goes on', async () => {
    const store = createStatusStore([]);
    const logs: string[] = [];
    let calls = 0;
    // Stands for a bug in the exporter: the runner itself throws (no jool fault can do this).
    const poller = startPoller({
      instances: [{ key: 'default', name: 'default', netns: undefined }],
      runIn: () => () => {
        calls++;
        throw new TypeError('a bug');
      },
      dialect: 4,
      timeoutMs: 1000,
      clients: { prefixLength: 128, top: 0 },
      intervalMs: 10,
      store,
      log: createLogger({ write: (line) => logs.push(line) }),
    });
    try {
      await waitFor(() => (store.current.instances[0]?.polls ?? 0) >= 2);
      const status = store.current.instances[0]!;
      expect(status.failures.internal).toBeGreaterThanOrEqual(2);
      expect(status.failures.parse).toBe(0);
      expect(status.lastError?.reason).toBe('internal');
      expect(logs.find((l) => l.includes('poll failed'))).toMatch(/reason=internal .*TypeError: a bug/);
      expect(calls).toBeGreaterThanOrEqual(2);
    } finally {
      await poller.stop();
    }
  });
});
