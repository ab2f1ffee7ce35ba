/**
 * A replaced table must be garbage: once a poll has replaced the status, nothing in the exporter
 * (the metrics renderer's cache, /sessions.csv, the poller, the store) may still reach the old
 * tables, or a big table that shrinks keeps its memory for ever (issue #10). Checked with the real
 * exporter, real jool child processes and V8's own garbage collector: a WeakRef to the old table
 * must be cleared by a full GC after the next poll.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, test } from 'vitest';
import type { SessionTable } from '../src/table/session-table.js';
import { type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';

// The test worker runs without --expose-gc: the flag can still be set at run time, and a new
// context then gets the `gc` function.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let exporter: RunningExporter | undefined;
afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
});

/** A weak reference to the current TCP table, made in its own frame so that no local keeps it. */
function weakTable(running: RunningExporter): { ref: WeakRef<SessionTable>; polls: number } {
  const instance = running.store.current.instances[0]!;
  return { ref: new WeakRef(instance.tables!.tcp.table), polls: instance.polls };
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  // WeakRef targets are kept alive until the end of the current job: GC from a later macrotask.
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

test('the old table is collected once a new poll replaced it, after /metrics and /sessions.csv read it', async () => {
  const jool = fakeJool({ FAKE_JOOL_SCALE: '3' });
  exporter = await startTestExporter([`--jool.path=${jool.path}`, '--poll.interval=200ms'], 'info');
  const running = exporter;
  await waitFor(() => running.store.current.ready || undefined);

  const old = weakTable(running);
  expect(old.ref.deref()?.length).toBeGreaterThan(100);
  // Every reader of the table: the metrics renderer (both formats) and a full /sessions.csv.
  expect((await running.get('/metrics')).status).toBe(200);
  expect((await running.get('/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' })).status).toBe(200);
  const csv = await running.text('/sessions.csv');
  expect(csv.split('\n').length).toBeGreaterThan(100);

  // Two more polls: the old table is then neither the current one nor the one before it.
  await waitFor(() => running.store.current.instances[0]!.polls >= old.polls + 2 || undefined);
  expect(await collected(old.ref)).toBe(true);
});

test('the check can fail: a table still referenced is not collected', async () => {
  const jool = fakeJool();
  exporter = await startTestExporter([`--jool.path=${jool.path}`, '--poll.interval=200ms'], 'info');
  const running = exporter;
  await waitFor(() => running.store.current.ready || undefined);
  const old = weakTable(running);
  const held = running.store.current; // what a leak would do
  await waitFor(() => running.store.current.instances[0]!.polls >= old.polls + 2 || undefined);
  expect(await collected(old.ref)).toBe(false);
  expect(held.ready).toBe(true);
});
