import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDemoJool } from '../../src/demo/demo-jool.js';
import type { JoolExit, JoolRunner } from '../../src/jool/runner.js';
import { startLoop } from '../../src/poll/loop.js';

// The loop's timers are faked, and its clock is a variable the bodies move: a run "takes" as long as
// the body says, and the test decides when time passes. Nothing here waits on the wall clock.
let clock = 0;
const now = (): number => clock;

beforeEach(() => {
  clock = 1_000_000;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the loop's promise chain settle without moving fake time. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('startLoop', () => {
  it('runs the body at once, and firstRun resolves when that run is over', async () => {
    let runs = 0;
    let release!: () => void;
    const loop = startLoop(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
          runs++;
        }),
      1000,
      now,
    );
    let first = false;
    void loop.firstRun.then(() => (first = true));
    await settle();
    expect(runs).toBe(1);
    expect(first).toBe(false);
    release();
    await settle();
    expect(first).toBe(true);
    await loop.stop();
  });

  it('starts the next run an interval after the previous one started, not after it ended', async () => {
    const starts: number[] = [];
    const loop = startLoop(
      async () => {
        starts.push(clock);
        clock += 300; // the run takes 300 ms
      },
      1000,
      now,
    );
    await settle();
    expect(starts).toHaveLength(1);
    clock += 699;
    await vi.advanceTimersByTimeAsync(699);
    expect(starts).toHaveLength(1);
    clock += 1;
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([1_000_000, 1_001_000]);
    await loop.stop();
  });

  it('starts the next run at once after a run that overran its interval', async () => {
    let runs = 0;
    const loop = startLoop(
      async () => {
        runs++;
        if (runs === 1) clock += 2500; // longer than the interval
      },
      1000,
      now,
    );
    // No fake time passes: the second run starts at once, and the third waits a whole interval.
    await settle();
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(3);
    await loop.stop();
  });

  it('never overlaps two runs, however long one takes', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const loop = startLoop(
      async () => {
        running++;
        most = Math.max(most, running);
        runs++;
        clock += 5000;
        await vi.advanceTimersByTimeAsync(0);
        await Promise.resolve();
        running--;
      },
      1000,
      now,
    );
    for (let i = 0; i < 10; i++) await settle();
    await loop.stop();
    expect(runs).toBeGreaterThan(2);
    expect(most).toBe(1);
  });

  it('stop() wakes the sleep: no further run, and it resolves without time passing', async () => {
    let runs = 0;
    let stoppedSeen: boolean | undefined;
    const loop = startLoop(
      async (_track, isStopped) => {
        runs++;
        stoppedSeen = isStopped();
      },
      3_600_000,
      now,
    );
    await loop.firstRun;
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(true);
    await stopping;
    expect(runs).toBe(1);
    expect(stoppedSeen).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() aborts the jool calls in flight and waits for the run to end', async () => {
    const jool = createDemoJool({ now: () => 1_700_000_000_000, historyMs: 0 });
    jool.control.failNext('hang');
    let exit: JoolExit | undefined;
    let sawStop: boolean | undefined;
    const loop = startLoop(
      async (track, isStopped) => {
        const call = track(jool)(['session', 'display', '--csv'], { timeoutMs: Number.POSITIVE_INFINITY });
        for await (const _ of call.stdout) {
          // a hung jool prints nothing
        }
        exit = await call.exit;
        sawStop = isStopped();
      },
      1000,
      now,
    );
    await settle();
    expect(exit).toBeUndefined();
    await loop.stop();
    expect(exit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(exit?.failure).toBeUndefined(); // aborted, not timed out
    expect(sawStop).toBe(true);
  });

  it('aborts at once a call started after stop()', async () => {
    const jool: JoolRunner = createDemoJool({ now: () => 1_700_000_000_000, historyMs: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let exit: JoolExit | undefined;
    const loop = startLoop(
      async (track) => {
        await gate;
        const call = track(jool)(['stats', 'display', '--csv'], { timeoutMs: 10_000 });
        for await (const _ of call.stdout) {
          // drain
        }
        exit = await call.exit;
      },
      1000,
      now,
    );
    await settle();
    const stopping = loop.stop();
    release();
    await stopping;
    expect(exit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  });

  it('resolves firstRun at stop() even when the first run never finished', async () => {
    let release!: () => void;
    const loop = startLoop(() => new Promise<void>((resolve) => (release = resolve)), 1000, now);
    let first = false;
    void loop.firstRun.then(() => (first = true));
    const stopping = loop.stop();
    await settle();
    expect(first).toBe(false); // stop() waits for the run in progress...
    release();
    await stopping;
    expect(first).toBe(true); // ...and firstRun resolves with it
  });
});
