/**
 * Working in slices: long loops over a table (a million rows) are cut into
 * slices of about a millisecond, with a turn of the event loop between two,
 * so that a scrape arriving meanwhile is answered at once. The one place that
 * knows how to yield and how big a slice is.
 */

/**
 * Rows handled between two yields: one to three milliseconds of the per-row loops here (aggregate,
 * subscribers, pool4, destinations). 64Ki rows took 5 to 15 ms each in a 1M-row poll, which showed
 * in the event-loop delay; a turn of the loop between slices costs microseconds.
 */
export const SLICE_ROWS = 16384;

/** Lets the event loop run pending I/O (a scrape) before the caller continues. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Calls work(from, to) over [0, total) in slices of `size`, yielding after each. */
export async function inSlices(total: number, size: number, work: (from: number, to: number) => void): Promise<void> {
  for (let from = 0; from < total; from += size) {
    work(from, Math.min(total, from + size));
    await yieldToEventLoop();
  }
}

/**
 * For loops whose pace is set by someone else (chunks of a pipe): `maybeYield()`
 * yields once more than `everyMs` of work has passed since the last yield, and
 * is otherwise a resolved no-op.
 */
export function createYielder(everyMs: number): { maybeYield(): Promise<void> | undefined } {
  let lastYield = performance.now();
  return {
    maybeYield() {
      if (performance.now() - lastYield <= everyMs) return undefined;
      return yieldToEventLoop().then(() => {
        lastYield = performance.now();
      });
    },
  };
}
