/**
 * Runs the real `jool` binary: never through a shell (instance names and paths
 * reach it as separate argv entries), stdout streamed as it arrives, stderr
 * kept (capped) for the log, and a hard timeout.
 *
 * jool is started by the spawner process (spawner.ts: the exporter itself never fork()s), which
 * hands back jool's pid and its stdout pipe; everything else is decided here, as if jool were our
 * own child. It runs in its own process group and the whole group is killed on timeout or abort:
 * a wrapper (`ip netns exec`, a shell script) must not leave a grandchild holding the pipe open,
 * or the call would never end.
 */
import { type PipeReader, readPipe } from './pipe-reader.js';
import type { JoolCall, JoolExit, JoolRunner, RunOptions } from './runner.js';
import { type SpawnedExit, spawnThroughSpawner } from './spawner.js';

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
  let pid: number | undefined;
  let failure: JoolExit['failure'];
  let message: string | undefined;
  /** How jool ended, once the spawner said so (or could not start it, or was lost). */
  let ended: SpawnedExit | undefined;
  /** jool's stdout was read to its end, or given up, or never came. */
  let stdoutClosed = false;
  let stdoutTaken = false;
  let killWanted = false;
  let settled = false;
  let stdout: PipeReader | undefined;
  let resolveExit!: (exit: JoolExit) => void;
  const exit = new Promise<JoolExit>((resolve) => (resolveExit = resolve));
  let deliverStdout!: (reader: PipeReader | undefined) => void;
  const stdoutArrived = new Promise<PipeReader | undefined>((resolve) => (deliverStdout = resolve));

  const killGroup = () => {
    if (settled) return;
    if (pid === undefined) {
      killWanted = true; // not started yet: killed as soon as its pid is known
      return;
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* the group is gone already */
    }
  };

  const timer = setTimeout(() => {
    failure ??= 'timeout';
    message ??= `no answer within ${timeoutMs} ms; killed`;
    killGroup();
  }, timeoutMs);

  // The old 'close' semantics: the call ends once jool exited AND its stdout was read to the end.
  const settle = () => {
    if (ended === undefined || !stdoutClosed || settled) return;
    settled = true;
    clearTimeout(timer);
    // A finished jool may leave stragglers in its group (a wrapper's grandchild): end them too.
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* the group is already empty */
      }
      liveGroups.delete(pid);
    }
    resolveExit({
      exitCode: failure === 'spawn' ? null : ended.exitCode,
      signal: ended.signal,
      stderr: ended.stderr,
      ...(failure !== undefined ? { failure } : {}),
      ...(message !== undefined ? { message } : {}),
    });
  };
  const noStdout = () => {
    if (stdout !== undefined) return;
    stdoutClosed = true;
    deliverStdout(undefined);
  };

  spawnThroughSpawner(
    // LC_ALL=C: jool's messages and number formats, unlocalised.
    { file, argv, env: { ...process.env, LC_ALL: 'C' } },
    {
      started(startedPid, socket) {
        pid = startedPid;
        liveGroups.add(startedPid);
        if (socket === undefined) noStdout();
        else {
          // Read into reused buffers, not a fresh Buffer per read (pipe-reader.ts says why).
          stdout = readPipe(socket);
          stdout.socket.on('close', () => {
            stdoutClosed = true;
            settle();
          });
          deliverStdout(stdout);
        }
        if (killWanted) killGroup();
      },
      exited(exitedPid, how) {
        if (pid === undefined) {
          pid = exitedPid;
          liveGroups.add(exitedPid);
        }
        ended = how;
        noStdout();
        // Like ChildProcess's flushStdio: output nobody asked for is drained so that the call can end.
        setImmediate(() => {
          if (!stdoutTaken) stdout?.discard();
        });
        settle();
      },
      failed(code) {
        failure = 'spawn';
        message = cannotRun(file, code);
        ended = { exitCode: null, signal: null, stderr: '' };
        noStdout();
        settle();
      },
      lost(reason) {
        // jool's fate is unknown: its group is killed, and the call fails like one that never ran.
        killGroup();
        failure = 'spawn';
        message = `jool call lost: ${reason}`;
        ended = { exitCode: null, signal: null, stderr: '' };
        noStdout();
        if (!stdoutTaken) stdout?.discard();
        settle();
      },
    },
  );

  return {
    stdout: (async function* () {
      stdoutTaken = true;
      const reader = await stdoutArrived;
      if (reader !== undefined) yield* reader.chunks;
    })(),
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
