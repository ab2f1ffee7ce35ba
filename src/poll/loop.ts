/**
 * A job run on an interval: the next run starts an interval after the
 * previous one started, or at once when a run overran; runs never overlap.
 * Stopping wakes the sleep and aborts the jool calls in flight, so shutdown
 * and instance removal never wait out a long table dump.
 */
import type { JoolCall, JoolRunner } from '../jool/runner.js';

export interface Loop {
  /** Resolves after the first run (or at stop, if it never ran). */
  readonly firstRun: Promise<void>;
  /** Ends the loop: wakes it, aborts its calls, resolves once the current run is over. */
  stop(): Promise<void>;
}

/** The body gets `track`, to wrap the runners whose calls stop() must abort. */

export function startLoop(
  body: (track: (run: JoolRunner) => JoolRunner, isStopped: () => boolean) => Promise<void>,
  intervalMs: number,
  now: () => number,
): Loop {
  let stopped = false;
  let wake: (() => void) | undefined;
  const active = new Set<JoolCall>();
  const track =
    (run: JoolRunner): JoolRunner =>
    (args, options) => {
      const call = run(args, options);
      active.add(call);
      void call.exit.then(() => active.delete(call));
      if (stopped) call.abort();
      return call;
    };
  let signalFirst!: () => void;
  const firstRun = new Promise<void>((resolve) => (signalFirst = resolve));

  const done = (async () => {
    while (!stopped) {
      const started = now();
      await body(track, () => stopped);
      signalFirst();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), Math.max(0, started + intervalMs - now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    signalFirst();
  })();

  return {
    firstRun,
    async stop() {
      stopped = true;
      wake?.();
      for (const call of [...active]) call.abort();
      await done;
    },
  };
}
