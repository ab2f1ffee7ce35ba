/**
 * The spawner process (src/jool/spawner.ts): jool is started by it, not by the exporter, and the
 * exporter reads jool's stdout from the descriptor the spawner passes back. Real processes only:
 * who is whose parent is read from /proc.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../src/jool/process-runner.js';
import type { JoolCall } from '../src/jool/runner.js';
import { spawnerPid, stopSpawner } from '../src/jool/spawner.js';
import { waitFor } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';
import { descriptors, running, stat } from './support/proc-tree.js';

afterAll(() => stopSpawner());

async function drain(call: JoolCall): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of call.stdout) chunks.push(Buffer.from(chunk)); // a copy: the chunk's memory is reused
  return Buffer.concat(chunks);
}

const HANG = ['session', 'display', '--tcp', '--csv', '--numeric'];

describe('the spawner process', () => {
  it("starts jool: jool's parent is the spawner, the spawner's is the exporter", async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const call = createProcessRunner({ command: [jool.path] })(HANG, { timeoutMs: 60_000 });
    // The stand-in's shell (execed by its wrapper: the pid the spawner started) and its `sleep`.
    await waitFor(() => jool.processes().length >= 2);
    const spawner = spawnerPid();
    expect(spawner).toBeDefined();
    expect(spawner).not.toBe(process.pid);
    expect(stat(spawner!)?.ppid).toBe(process.pid);
    const parents = jool.processes().map((pid) => stat(pid)?.ppid);
    expect(parents).toContain(spawner);
    expect(parents).not.toContain(process.pid);
    call.abort();
    await drain(call);
    expect((await call.exit).signal).toBe('SIGKILL');
    await waitFor(() => jool.processes().length === 0);
  });

  it('kills the whole group at the timeout, though jool is not its child', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const call = createProcessRunner({ command: [jool.path] })(HANG, { timeoutMs: 500 });
    await drain(call);
    const exit = await call.exit;
    expect(exit).toMatchObject({ failure: 'timeout', signal: 'SIGKILL', exitCode: null });
    await waitFor(() => jool.processes().length === 0);
  });

  it('hands over every byte: 24 concurrent calls of 3.5 MB each', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawner-bytes-'));
    const file = path.join(dir, 'table.bin');
    const content = Buffer.alloc(3_500_000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 2654435761) >>> 24; // no period a lost chunk could hide in
    writeFileSync(file, content);
    const expected = createHash('sha256').update(content).digest('hex');
    const run = createProcessRunner({ command: ['/bin/cat'] });
    const results = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const call = run([file], { timeoutMs: 60_000 });
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of call.stdout) {
          hash.update(chunk);
          bytes += chunk.length;
        }
        return { bytes, hash: hash.digest('hex'), exit: await call.exit };
      }),
    );
    for (const result of results) {
      expect(result.bytes).toBe(content.length);
      expect(result.hash).toBe(expected);
      expect(result.exit).toMatchObject({ exitCode: 0, signal: null });
    }
  }, 60_000);

  it('passes stderr (capped at 16 KiB) and the exit status back', async () => {
    const call = createProcessRunner({ command: ['/bin/sh', '-c'] })(['echo out; head -c 40000 /dev/zero | tr "\\0" e >&2; exit 7'], {
      timeoutMs: 10_000,
    });
    expect((await drain(call)).toString()).toBe('out\n');
    const exit = await call.exit;
    expect(exit.exitCode).toBe(7);
    expect(exit.stderr).toBe('e'.repeat(16 * 1024));
  });

  it('drains output nobody reads, so that the call still ends', async () => {
    // Less than the pipe holds: jool can finish without a reader (more would wait for the timeout,
    // as it always did).
    const call = createProcessRunner({ command: ['/bin/sh', '-c'] })(['head -c 50000 /dev/zero'], { timeoutMs: 60_000 });
    const exit = await call.exit;
    expect(exit).toMatchObject({ exitCode: 0, signal: null });
    expect(exit.failure).toBeUndefined();
  });

  it('killed mid-call: the call fails as a spawn failure saying so, jool is killed, the next call starts a new spawner', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const run = createProcessRunner({ command: [jool.path] });
    const call = run(HANG, { timeoutMs: 60_000 });
    await waitFor(() => jool.processes().length >= 2);
    const first = spawnerPid()!;
    process.kill(first, 'SIGKILL');
    await drain(call);
    const exit = await call.exit;
    expect(exit.failure).toBe('spawn');
    expect(exit.message).toMatch(new RegExp(`^jool call lost: the spawner process \\(pid ${first}\\) ended`));
    await waitFor(() => jool.processes().length === 0);

    const next = fakeJool();
    const again = createProcessRunner({ command: [next.path] })(['--version'], { timeoutMs: 10_000 });
    expect((await drain(again)).length).toBeGreaterThan(0);
    expect((await again.exit).exitCode).toBe(0);
    expect(spawnerPid()).not.toBe(first);
    expect(spawnerPid()).toBeDefined();
  });

  it('killed between calls: the next call starts a new spawner and succeeds', async () => {
    const jool = fakeJool();
    const run = createProcessRunner({ command: [jool.path] });
    const first = run(['--version'], { timeoutMs: 10_000 });
    await drain(first);
    expect((await first.exit).exitCode).toBe(0);
    const spawner = spawnerPid()!;
    process.kill(spawner, 'SIGKILL');
    await waitFor(() => spawnerPid() === undefined);
    const second = run(['--version'], { timeoutMs: 10_000 });
    expect((await drain(second)).toString()).toMatch(/^4\./);
    expect((await second.exit).exitCode).toBe(0);
    expect(spawnerPid()).not.toBe(spawner);
  });

  it('ignores SIGINT, SIGTERM and SIGHUP: the exporter decides when it ends', async () => {
    const run = createProcessRunner({ command: ['/bin/true'] });
    await run([], { timeoutMs: 10_000 }).exit;
    const spawner = spawnerPid()!;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(spawner, signal);
    const after = run([], { timeoutMs: 10_000 });
    expect((await after.exit).exitCode).toBe(0);
    expect(spawnerPid()).toBe(spawner);
    expect(running(spawner)).toBe(true);
  });

  it("holds no descriptor of the exporter's: not its listening socket, not its files; one socket, its channel", async () => {
    stopSpawner(); // the next call starts a spawner while this socket and this file are open
    const before = new Set(descriptors(process.pid).values());
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spawner-fd-')), 'open-file');
    writeFileSync(file, '');
    const fd = openSync(file, 'r');
    try {
      const opened = [...descriptors(process.pid).values()].filter((target) => !before.has(target));
      expect(opened.filter((target) => target.startsWith('socket:'))).toHaveLength(1); // the listening socket
      expect(opened).toContain(file);
      await createProcessRunner({ command: ['/bin/true'] })([], { timeoutMs: 10_000 }).exit;
      const spawner = descriptors(spawnerPid()!);
      for (const target of opened) expect([...spawner.values()]).not.toContain(target);
      // Past stdin, stdout and stderr: one socket, the IPC channel; the rest is node's own (epoll,
      // eventfd, its signal pipes) or was inherited by this test process from whoever started it.
      const sockets = [...spawner].filter(([number, target]) => number > 2 && target.startsWith('socket:'));
      expect(sockets).toHaveLength(1);
    } finally {
      closeSync(fd);
      server.close();
    }
  });

  it('stopSpawner(): the spawner kills the jool calls it runs and exits', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const call = createProcessRunner({ command: [jool.path] })(HANG, { timeoutMs: 60_000 });
    await waitFor(() => jool.processes().length >= 2);
    const spawner = spawnerPid()!;
    stopSpawner();
    await drain(call);
    expect((await call.exit).failure).toBe('spawn');
    await waitFor(() => !running(spawner) && jool.processes().length === 0);
  });
});

describe('the spawner started from the executable (as the single executable application does)', () => {
  it('runs as the spawner when JOOL_SESSION_EXPORTER_SPAWNER=1, and only as that', async () => {
    const main = path.resolve('dist/src/main.js');
    expect(existsSync(main)).toBe(true);
    const child = spawn(process.execPath, [main, '--web.listen-address=127.0.0.1:1'], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, JOOL_SESSION_EXPORTER_SPAWNER: '1' },
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const answers: unknown[] = [];
    let stdout: Promise<Buffer> | undefined;
    child.on('message', (answer, handle) => {
      answers.push(answer);
      if (handle !== undefined) stdout = drain({ stdout: handle } as unknown as JoolCall);
    });
    child.send({
      id: 7,
      file: '/bin/sh',
      argv: ['-c', 'echo "$SPAWNER_TEST"; echo oops >&2; exit 3'],
      env: { SPAWNER_TEST: 'hello' },
    });
    await waitFor(() => answers.length >= 2);
    expect(answers[0]).toMatchObject({ id: 7, pid: expect.any(Number) });
    expect(answers[1]).toMatchObject({ id: 7, exitCode: 3, signal: null, stderr: 'oops\n' });
    expect((await stdout!).toString()).toBe('hello\n');
    child.disconnect();
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    // The exporter itself never started: no log line, no listening.
    expect(output).toBe('');
  });
});
