/**
 * Per-test jool stand-ins: a small wrapper script that sets the stand-in's
 * behaviour and execs test/support/fake-jool.sh, so each test gets its own
 * "jool binary" without touching the test process's environment.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_JOOL = fileURLToPath(new URL('./fake-jool.sh', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/jool-4.1.9/', import.meta.url));

export interface FakeJool {
  /** Path to pass as --jool.path. */
  readonly path: string;
  /** argv of every call so far, one string each. */
  calls(): string[];
  /** Pids of the processes of this stand-in still alive (its children too: sleep, head...). */
  processes(): number[];
}

/**
 * Pids whose environment holds `marker` (children inherit it, whatever they exec), read from
 * /proc: how a test proves that no jool process (or grandchild) was left behind.
 */
export function processesWithEnv(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    // A zombie has exited already (its parent has not reaped it yet): not left running.
    if (/\) Z /.test(stat)) continue;
    if (environ.split('\0').includes(marker)) pids.push(Number(entry));
  }
  return pids;
}

export function fakeJool(env: Record<string, string> = {}): FakeJool {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-jool-'));
  const log = path.join(dir, 'calls.log');
  const exports = Object.entries({ ...env, FAKE_JOOL_LOG: log })
    .map(([key, value]) => `export ${key}='${value.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  const script = path.join(dir, 'jool');
  writeFileSync(script, `#!/bin/sh\n${exports}\nexec '${FAKE_JOOL}' "$@"\n`);
  chmodSync(script, 0o755);
  return {
    path: script,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    processes: () => processesWithEnv(`FAKE_JOOL_LOG=${log}`),
  };
}

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'latin1');
}
