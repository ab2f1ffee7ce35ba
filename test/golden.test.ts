/**
 * The whole jool_* part of /metrics on the captured tables, compared with a
 * committed golden file (node_exporter's end-to-end-test.sh, in vitest).
 * Any change to a name, help text, label, bucket or value shows up as a diff
 * here. Regenerate deliberately with: UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExporter, startOnCaptures } from './support/exporter.js';

const GOLDEN = fileURLToPath(new URL('./golden/metrics.prom', import.meta.url));
// Values that differ from run to run; their series must still be there.
const VOLATILE = /^(jool_session_poll_duration_seconds|jool_session_poll_last_success_timestamp_seconds)\{/;

function normalise(body: string): string {
  const lines: string[] = [];
  let keep = false;
  for (const line of body.split('\n')) {
    const family = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1];
    if (family !== undefined) keep = family.startsWith('jool_') && family !== 'jool_session_exporter_build_info';
    if (!keep || line === '') continue;
    lines.push(VOLATILE.test(line) ? line.replace(/ \S+$/, ' <volatile>') : line);
  }
  return `${lines.join('\n')}\n`;
}

// The same file whether the tables are parsed and analysed on the worker thread (the default) or
// on the main thread (--poll.disable-table-worker).
describe.each([
  ['on the table worker thread', []],
  ['on the main thread', ['--poll.disable-table-worker']],
])('tables %s', (_, flags: string[]) => {
  let exporter: RunningExporter;
  beforeAll(async () => {
    exporter = await startOnCaptures(['default', 'empty', 'nope'], flags);
  });
  afterAll(() => exporter.stop());

  it('/metrics matches the golden file', async () => {
    const actual = normalise(await exporter.text('/metrics'));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});
