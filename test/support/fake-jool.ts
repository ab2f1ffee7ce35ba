/**
 * Per-test jool stand-ins: a small wrapper script that sets the stand-in's
 * behaviour and execs test/support/fake-jool.sh, so each test gets its own
 * "jool binary" without touching the test process's environment.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
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
  };
}

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'latin1');
}
