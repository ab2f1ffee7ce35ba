/**
 * Child processes for the tests that run real servers (Prometheus, the built exporter): find a
 * binary, start a process in a group of its own, stop the whole group, wait for a condition.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(ROOT, 'dist/src/main.js');
/** Under CI a test whose tool is missing fails instead of skipping. */
export const CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

export function findBinary(name: string, override: string | undefined): string | undefined {
  const candidates = override
    ? [override]
    : [
        `/usr/bin/${name}`,
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, name)),
      ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

export interface Started {
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

export function startProcess(command: string, args: string[], log: string): Started {
  const fd = openSync(log, 'a');
  // detached: a process group of its own, killed as a whole in afterAll.
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], cwd: ROOT });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, log, exited };
}

export async function stopProcess(started: Started | undefined): Promise<void> {
  if (started?.child.pid === undefined || started.child.exitCode !== null || started.child.signalCode !== null) return;
  const group = -started.child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
  if ((await Promise.race([started.exited, timeout])) === 'timeout') {
    signal('SIGKILL');
    await started.exited;
  }
}

export const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  diagnostics: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}\n${diagnostics()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
