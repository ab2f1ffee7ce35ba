/**
 * Runs the real `jool` binary: never through a shell (instance names and paths
 * reach it as separate argv entries), stdout streamed as it arrives, stderr
 * kept (capped) for the log, and a hard timeout.
 *
 * The child runs in its own process group and the whole group is killed on
 * timeout or abort: a wrapper (`ip netns exec`, a shell script) must not leave
 * a grandchild holding the pipe open, or the call would never end.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import type { JoolCall, JoolExit, JoolRunner, RunOptions } from './runner.js';

const STDERR_CAP_BYTES = 16 * 1024;

/**
 * Process groups of the jool calls still running. Children are detached (their own group, see
 * above), so nothing kills them when the exporter dies: every way the process ends calls
 * killLiveJoolGroups() (see lifecycle.ts), or a hung jool would be left running under PID 1.
 */
const liveGroups = new Set<number>();

/** SIGKILLs every jool process group still running; synchronous, so it can run in an 'exit' handler. */
export function killLiveJoolGroups(): number {
  let killed = 0;
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
      killed++;
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
  return killed;
}

export interface ProcessRunnerOptions {
  /** Command to run: the jool binary, optionally after a prefix such as ['ip', 'netns', 'exec', 'NS']. */
  readonly command: readonly string[];
}

export function createProcessRunner({ command }: ProcessRunnerOptions): JoolRunner {
  const [file, ...prefixArgs] = command;
  if (file === undefined || file === '') throw new Error('the jool command is empty');
  return (args: readonly string[], options: RunOptions): JoolCall => runProcess(file, [...prefixArgs, ...args], options);
}

function runProcess(file: string, argv: string[], { timeoutMs }: RunOptions): JoolCall {
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(file, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so that killGroup() reaches grandchildren
      env: { ...process.env, LC_ALL: 'C' }, // jool's messages and number formats, unlocalised
    });
  } catch (error) {
    // Some failures (EPERM from a file capability the container may not grant, a NUL in an
    // argument) are thrown by spawn() itself instead of being emitted: the same 'spawn' failure.
    return failedCall(cannotRun(file, (error as NodeJS.ErrnoException).code ?? (error as Error).message));
  }
  if (child.pid !== undefined) liveGroups.add(child.pid);
  let failure: JoolExit['failure'];
  let message: string | undefined;
  let stderr = '';
  let stderrBytes = 0;

  const killGroup = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is gone already; make sure the child is too
    }
  };

  const timer = setTimeout(() => {
    failure ??= 'timeout';
    message ??= `no answer within ${timeoutMs} ms; killed`;
    killGroup();
  }, timeoutMs);

  child.stderr.on('data', (chunk: Buffer) => {
    if (stderrBytes >= STDERR_CAP_BYTES) return;
    stderrBytes += chunk.length;
    stderr += chunk.toString('utf8', 0, Math.min(chunk.length, STDERR_CAP_BYTES));
  });

  const exit = new Promise<JoolExit>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only spawn errors land here with no 'close' guarantee for the failed process; 'close' still follows.
      if (child.pid === undefined) {
        failure = 'spawn';
        message = cannotRun(file, error.code ?? error.message);
      }
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      // A finished child may leave stragglers in its group (a wrapper's grandchild): end them too.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* the group is already empty */
        }
        liveGroups.delete(child.pid);
      }
      resolve({
        exitCode: failure === 'spawn' ? null : exitCode,
        signal,
        stderr,
        ...(failure !== undefined ? { failure } : {}),
        ...(message !== undefined ? { message } : {}),
      });
    });
  });

  return {
    stdout: child.stdout,
    exit,
    abort() {
      failure ??= 'timeout';
      message ??= 'aborted';
      killGroup();
    },
  };
}

/** Why a program could not be started, and what the operator can do about it. */
export function cannotRun(file: string, code: string): string {
  const where = file.includes('/') ? '' : ' in PATH';
  if (code === 'ENOENT' && file.split('/').at(-1) === 'ip') {
    return (
      `cannot run ${file}: ENOENT (not found${where}); ` +
      'instances in other network namespaces are polled with `ip netns exec`: install iproute2'
    );
  }
  if (code === 'ENOENT') {
    return (
      `cannot run ${file}: ENOENT (not found${where}); install Jool's client ` +
      `(Debian: apt install jool-tools), or give its path with --jool.path`
    );
  }
  if (code === 'EACCES')
    return `cannot run ${file}: EACCES (not executable by this user); check its permissions, or give another --jool.path`;
  return `cannot run ${file}: ${code}`;
}

function failedCall(message: string): JoolCall {
  return {
    stdout: Readable.from([]),
    exit: Promise.resolve({ exitCode: null, signal: null, stderr: '', failure: 'spawn', message }),
    abort() {},
  };
}
