import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createProcessRunner } from '../src/jool/process-runner.js';
import { FIXTURES, fakeJool, fixture } from './support/fake-jool.js';

async function drain(run: ReturnType<typeof createProcessRunner>, args: string[], timeoutMs = 5000) {
  const call = run(args, { timeoutMs });
  const chunks: Buffer[] = [];
  for await (const chunk of call.stdout) chunks.push(Buffer.from(chunk)); // a copy: the chunk's memory is reused
  const exit = await call.exit;
  return { stdout: Buffer.concat(chunks).toString('latin1'), exit };
}

/** Processes whose command line mentions `needle` (zombies included). */
function processesMatching(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}

describe('process runner (real child processes)', () => {
  it('streams stdout and reports exit status 0', async () => {
    const jool = fakeJool();
    const { stdout, exit } = await drain(createProcessRunner({ command: [jool.path] }), [
      '-i',
      'default',
      'session',
      'display',
      '--udp',
      '--csv',
      '--numeric',
      '--no-headers',
    ]);
    expect(stdout).toBe(fixture('session-udp-noheaders.csv'));
    expect(exit).toMatchObject({ exitCode: 0, signal: null });
    expect(exit.failure).toBeUndefined();
  });

  it('passes argv without a shell: spaces and quotes reach jool verbatim', async () => {
    const jool = fakeJool();
    await drain(createProcessRunner({ command: [jool.path] }), [
      '-i',
      "it's; rm -rf /",
      'session',
      'display',
      '--tcp',
      '--csv',
      '--numeric',
    ]);
    expect(jool.calls()).toEqual(["-i it's; rm -rf / session display --tcp --csv --numeric"]);
  });

  it('reports a missing binary as a spawn failure', async () => {
    const { exit, stdout } = await drain(createProcessRunner({ command: ['/nonexistent/jool'] }), ['--version']);
    expect(stdout).toBe('');
    expect(exit.failure).toBe('spawn');
    expect(exit.message).toContain('ENOENT');
    // What to do about it, not only the errno.
    expect(exit.message).toContain('--jool.path');
    expect(exit.message).toContain('jool-tools');
  });

  it('says which package a missing jool (looked up in PATH) or ip comes from', async () => {
    const jool = await drain(createProcessRunner({ command: ['jool-not-installed-here'] }), ['--version']);
    expect(jool.exit.message).toMatch(
      /^cannot run jool-not-installed-here: ENOENT \(not found in PATH\); install Jool's client \(Debian: apt install jool-tools\), or give its path with --jool\.path$/,
    );
    const ip = await drain(createProcessRunner({ command: ['/nonexistent/ip', 'netns', 'exec', 'ns1', 'jool'] }), ['--version']);
    expect(ip.exit.message).toContain('install iproute2');
  });

  it('reports a non-executable file as a spawn failure', async () => {
    const { exit } = await drain(createProcessRunner({ command: [`${FIXTURES}version.txt`] }), ['--version']);
    expect(exit.failure).toBe('spawn');
    expect(exit.message).toMatch(/EACCES/);
  });

  it('reports a spawn() that throws (EPERM from a file capability, a NUL in an argument) as a spawn failure', async () => {
    const { exit } = await drain(createProcessRunner({ command: [fakeJool().path] }), ['-i', 'de\0fault']);
    expect(exit.failure).toBe('spawn');
    expect(exit.message).toMatch(/ERR_INVALID_ARG_VALUE/);
  });

  it('keeps the exit status and stderr of a failing jool (missing instance: header, then exit 3)', async () => {
    const jool = fakeJool();
    const { stdout, exit } = await drain(createProcessRunner({ command: [jool.path] }), [
      '-i',
      'nope',
      'session',
      'display',
      '--tcp',
      '--csv',
      '--numeric',
    ]);
    expect(stdout.split('\n')[0]).toMatch(/^Protocol,/);
    expect(exit.exitCode).toBe(3);
    expect(exit.stderr).toContain("lacks an instance named 'nope'");
  });

  it('kills a hanging jool, and its whole process group, at the timeout', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const started = Date.now();
    const { exit } = await drain(createProcessRunner({ command: [jool.path] }), ['session', 'display', '--tcp', '--csv', '--numeric'], 300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(exit.failure).toBe('timeout');
    expect(exit.signal).toBe('SIGKILL');
    // The stand-in's `sleep 3600` child must be gone too, and nothing left as a zombie.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processesMatching(jool.path)).toEqual([]);
    expect(processesMatching('sleep 3600').filter((line) => / Z/.test(line))).toEqual([]);
  });

  it('reports a jool killed by a signal', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'killed' });
    const { exit, stdout } = await drain(createProcessRunner({ command: [jool.path] }), [
      'session',
      'display',
      '--udp',
      '--csv',
      '--numeric',
    ]);
    expect(stdout.length).toBeGreaterThan(0);
    expect(exit.exitCode).toBeNull();
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.failure).toBeUndefined();
  });

  it('runs a command prefix before jool (e.g. ip netns exec NS)', async () => {
    const jool = fakeJool();
    const { exit } = await drain(createProcessRunner({ command: ['/usr/bin/env', jool.path] }), ['--version']);
    expect(exit.exitCode).toBe(0);
  });

  it('abort() ends a running call', async () => {
    const jool = fakeJool({ FAKE_JOOL_MODE: 'hang' });
    const call = createProcessRunner({ command: [jool.path] })(['session', 'display', '--tcp', '--csv', '--numeric'], {
      timeoutMs: 60_000,
    });
    setTimeout(() => call.abort(), 100);
    for await (const _ of call.stdout) void _;
    const exit = await call.exit;
    expect(exit.signal).toBe('SIGKILL');
  });
});
