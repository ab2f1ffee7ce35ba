/**
 * A poll longer than --poll.interval is warned about once per instance, with its duration and the
 * row counts. The poller's clock is injected: each reading moves it on, so every poll "takes"
 * a chosen time without any real waiting (no wall-clock assertion).
 */
import { describe, expect, it } from 'vitest';
import { createDemoJool } from '../../src/demo/demo-jool.js';
import { parseInstanceSpec } from '../../src/jool/instances.js';
import { createLogger } from '../../src/log.js';
import { startPoller } from '../../src/poll/poller.js';
import { createStatusStore } from '../../src/status/store.js';

async function pollWithClock(stepMs: number, intervalMs: number, polls: number) {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
  let t = 1_700_000_000_000;
  // Every reading moves the clock one step on, so a poll (read at its start and at its end) lasts
  // one step, and the loop never has to sleep for real.
  const now = () => (t += stepMs);
  const demo = createDemoJool({ now: () => 1_700_000_000_000 });
  const store = createStatusStore([]);
  const poller = startPoller({
    instances: [parseInstanceSpec('default')],
    runIn: () => demo,
    dialect: 'auto',
    timeoutMs: 30_000,
    clients: { prefixLength: 128, top: 0 },
    destinationsTop: 0,
    intervalMs,
    store,
    log,
    now,
  });
  await poller.firstPollDone;
  while (store.current.instances[0]!.polls < polls) await new Promise((resolve) => setTimeout(resolve, 5));
  await poller.stop();
  return { lines, status: store.current.instances[0]! };
}

describe('a poll that outruns the interval', () => {
  it("is warned about once, with the duration, the interval and each table's rows", async () => {
    const { lines, status } = await pollWithClock(20_000, 15_000, 3);
    const warnings = lines.filter((line) => line.includes('level=warn'));
    expect(warnings, lines.join('\n')).toHaveLength(1);
    const warning = warnings[0]!;
    expect(warning).toContain('poll took longer than --poll.interval');
    expect(warning).toContain('instance=default');
    expect(warning).toMatch(/ seconds=20 /);
    expect(warning).toContain('interval=15s');
    const tcp = status.tables!.tcp.table.length;
    expect(tcp).toBeGreaterThan(0);
    expect(warning).toContain(` tcp_rows=${tcp} `);
    expect(warning).toMatch(/ udp_rows=\d+ icmp_rows=\d+ /);
  });

  it('is not warned about when polls fit in the interval', async () => {
    const { lines } = await pollWithClock(10_000, 15_000, 2);
    expect(lines.filter((line) => line.includes('level=warn'))).toEqual([]);
  });
});
