/**
 * Signals and fatal errors during a hanging jool call, on the built binary (issue #9, item 2):
 * whatever ends the exporter, no jool process (nor its children) is left behind, and the exit
 * status is the documented one (docs/reliability.md): 0 after SIGTERM or SIGINT, 1 after an
 * uncaught exception; SIGHUP is logged and the exporter keeps serving.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './support/exporter.js';
import { type FakeJool, fakeJool } from './support/fake-jool.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
// Per test: starting the binary and its first jool call can be slow on a loaded machine.
const SLOW = 120_000;
const THROWER = fileURLToPath(new URL('./support/throw-on-trigger.mjs', import.meta.url));

interface Running {
  child: ChildProcess;
  jool: FakeJool;
  url: string;
  log: () => string;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

const started: Running[] = [];
afterEach(() => {
  for (const { child } of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** The name of a process's command (/proc/PID/comm), or undefined once it is gone. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The exporter with a jool that hangs, once that jool is running. */
async function startHanging(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Running> {
  const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
  const child = spawn(
    process.execPath,
    [...nodeArgs, MAIN, `--jool.path=${jool.path}`, '--jool.dialect=4', '--jool.timeout=10m', '--web.listen-address=127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } },
  );
  let log = '';
  child.stderr!.on('data', (chunk) => (log += chunk));
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const running: Running = { child, jool, url: '', log: () => log, exit };
  started.push(running);
  // Generous waits: the machine may be loaded; nothing here measures time.
  const port = await waitFor(() => /address=127\.0\.0\.1:(\d+)/.exec(log)?.[1], 60_000);
  // The jool call is under way: its shell and its `sleep 3600` child. (Counting two processes was
  // not enough: the script's short-lived subshells count too, before the sleep has started.)
  await waitFor(() => jool.processes().some((pid) => commandOf(pid) === 'sleep'), 60_000);
  return { ...running, url: `http://127.0.0.1:${port}` };
}

describe.each(['SIGTERM', 'SIGINT'] as const)('%s during a hanging jool call', (signal) => {
  it(
    'shuts down cleanly, exit status 0, no jool process left',
    async () => {
      const running = await startHanging();
      running.child.kill(signal);
      const [code] = await running.exit;
      expect(code).toBe(0);
      expect(running.log()).toMatch(new RegExp(`msg="shutting down" signal=${signal}`));
      await waitFor(() => running.jool.processes().length === 0, 30_000);
    },
    SLOW,
  );
});

describe('SIGHUP during a hanging jool call', () => {
  it(
    'is logged and changes nothing: still serving, the call still running; SIGTERM afterwards cleans up',
    async () => {
      const running = await startHanging();
      const before = running.jool.processes();
      running.child.kill('SIGHUP');
      await waitFor(() => running.log().includes('SIGHUP received'), 30_000);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      expect(running.child.exitCode).toBeNull();
      // The same jool call, neither killed nor orphaned: its timeout still governs it.
      expect(running.jool.processes()).toEqual(before);

      running.child.kill('SIGTERM');
      const [code] = await running.exit;
      expect(code).toBe(0);
      await waitFor(() => running.jool.processes().length === 0, 30_000);
    },
    SLOW,
  );

  it(
    'a second SIGTERM during the shutdown exits at once with status 1, still killing jool',
    async () => {
      const running = await startHanging();
      running.child.kill('SIGTERM');
      running.child.kill('SIGTERM');
      const [code] = await running.exit;
      expect([0, 1]).toContain(code); // 1 when the second signal landed before the shutdown ended
      await waitFor(() => running.jool.processes().length === 0, 30_000);
    },
    SLOW,
  );
});

describe('an uncaught exception during a hanging jool call', () => {
  it(
    'is logged, exit status 1, no jool process left',
    async () => {
      const trigger = path.join(mkdtempSync(path.join(tmpdir(), 'throw-')), 'now');
      const running = await startHanging({ THROW_ON_TRIGGER: trigger }, ['--import', THROWER]);
      writeFileSync(trigger, '');
      const [code] = await running.exit;
      expect(code).toBe(1);
      expect(running.log()).toMatch(/level=error msg="fatal: uncaught exception" err="Error: injected by/);
      await waitFor(() => running.jool.processes().length === 0, 30_000);
    },
    SLOW,
  );
});
