/**
 * The built exporter's process tree with the spawner (src/jool/spawner.ts), read from /proc:
 * exporter → spawner → jool. However the exporter ends, even by SIGKILL (which no handler of its
 * own can see), neither the spawner nor any jool process is left running.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './support/exporter.js';
import { type FakeJool, fakeJool } from './support/fake-jool.js';
import { childrenOf, running, stat } from './support/proc-tree.js';
import { MAIN } from './support/processes.js';

// Per test: starting the binary and its first jool call can be slow on a loaded machine.
const SLOW = 120_000;

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The built exporter, its jool hanging; resolves once that jool runs. */
async function startHanging(flags: string[] = []): Promise<{ exporter: ChildProcess; jool: FakeJool; spawner: number; log: () => string }> {
  const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
  const exporter = spawn(
    process.execPath,
    [MAIN, `--jool.path=${jool.path}`, '--jool.dialect=4', '--jool.timeout=10m', '--web.listen-address=127.0.0.1:0', ...flags],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  started.push(exporter);
  let log = '';
  exporter.stderr!.on('data', (chunk) => (log += chunk));
  await waitFor(() => jool.processes().length >= 2, 60_000);
  const spawners = childrenOf(exporter.pid!);
  expect(spawners).toHaveLength(1);
  const spawner = spawners[0]!;
  expect(readFileSync(`/proc/${spawner}/cmdline`, 'latin1')).toMatch(/^jool-session-exporter: spawner/);
  return { exporter, jool, spawner, log: () => log };
}

describe('the process tree: exporter → spawner → jool', () => {
  it(
    "jool is the spawner's child, not the exporter's; the exporter's only child is the spawner",
    async () => {
      const { exporter, jool, spawner } = await startHanging();
      const shell = jool.processes().find((pid) => stat(pid)?.ppid === spawner);
      expect(shell).toBeDefined();
      expect(childrenOf(exporter.pid!)).toEqual([spawner]);
    },
    SLOW,
  );

  it(
    'the exporter SIGKILLed: the spawner sees its channel close, kills jool and exits',
    async () => {
      const { exporter, jool, spawner } = await startHanging();
      exporter.kill('SIGKILL');
      await once(exporter, 'exit');
      await waitFor(() => !running(spawner) && jool.processes().length === 0, 30_000);
    },
    SLOW,
  );

  it(
    'SIGTERM (a clean shutdown): exit status 0, no spawner and no jool left',
    async () => {
      const { exporter, jool, spawner, log } = await startHanging();
      exporter.kill('SIGTERM');
      const [code] = await once(exporter, 'exit');
      expect(code, log()).toBe(0);
      await waitFor(() => !running(spawner) && jool.processes().length === 0, 30_000);
    },
    SLOW,
  );

  it(
    'the spawner SIGKILLed: the poll fails, saying so, and the next poll runs with a new spawner',
    async () => {
      const { exporter, jool, spawner, log } = await startHanging(['--poll.interval=1s']);
      process.kill(spawner, 'SIGKILL');
      await waitFor(() => /jool call lost: the spawner process \(pid \d+\) ended/.test(log()), 30_000);
      // The lost call's jool was killed by the exporter; the retry after the failed poll is a new
      // jool under a new spawner.
      await waitFor(() => {
        const next = childrenOf(exporter.pid!);
        return next.length === 1 && next[0] !== spawner && jool.processes().some((pid) => stat(pid)?.ppid === next[0]);
      }, 60_000);
      expect(running(spawner)).toBe(false);
    },
    SLOW,
  );
});
