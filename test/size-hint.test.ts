/**
 * The poller hands each table's row count to the next poll, which builds a table of about that
 * size straight into its final columns (session-table.ts): the peak of a big poll then holds the
 * previous table and the new one, not also the new one's blocks and their joined copy (issue #10).
 * Checked with the real exporter and a real jool stand-in: a column's backing buffer is the
 * hinted block (previous count plus headroom) from the second poll on, and not on the first.
 */
import { afterEach, expect, test } from 'vitest';
import { firstBlockRows } from '../src/table/session-table.js';
import { type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';

let exporter: RunningExporter | undefined;
afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
});

test('from the second poll on, a table is built in a block sized by the previous poll', async () => {
  const jool = fakeJool();
  exporter = await startTestExporter([`--jool.path=${jool.path}`, '--poll.interval=200ms'], 'info');
  const running = exporter;
  const udpAfter = (polls: number) =>
    waitFor(() => {
      const instance = running.store.current.instances[0]!;
      return instance.polls >= polls && instance.up === true ? instance.tables!.udp.table : undefined;
    });

  const first = await udpAfter(1);
  // The capture's UDP table: thousands of rows, more than the builder's small first block.
  expect(first.length).toBeGreaterThan(2000);
  expect(first.ipv6Remote.buffer.byteLength).not.toBe(firstBlockRows(first.length) * 4);

  const polls = running.store.current.instances[0]!.polls;
  const next = await udpAfter(polls + 1);
  expect(next.length).toBe(first.length);
  expect(next.ipv6Remote.buffer.byteLength).toBe(firstBlockRows(first.length) * 4);
  expect([...next.ipv4Remote]).toEqual([...first.ipv4Remote]);
});
