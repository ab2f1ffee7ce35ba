/**
 * The spawner process's whole program (see spawner.ts for why it exists), as CommonJS source TEXT.
 *
 * Text, not a module: the same program must start in every way the exporter runs. Under node (the
 * tsc build, the Docker image's bundle, and vitest, whose process.argv[1] is vitest's own) it runs
 * as `node -e SPAWNER_SOURCE`. A Node single executable application (the Debian package) passes
 * every argument to its one script, so `-e` does not exist there: the executable is started again
 * with SPAWNER_ENV set, and main.ts hands over to runSpawnerIfAsked() before loading anything
 * else. The program needs nothing but node:child_process and the IPC channel to its parent.
 *
 * Protocol (Node's IPC channel, JSON messages), per call `id`:
 *   exporter → spawner  {id, file, argv, env}
 *   spawner → exporter  {id, pid} with jool's stdout as a passed file descriptor (a net.Socket at
 *                        the other end: libuv's stdio pipes are socketpairs, so the descriptor goes
 *                        over SCM_RIGHTS and the exporter reads jool's stdout itself, no relay);
 *                       {id, pid, exitCode, signal, stderr} once jool exited and closed its stderr;
 *                       {id, error} when jool could not be started (errno code, or the message).
 * Messages of one id arrive in this order: Node queues every message behind a handle still
 * waiting for its acknowledgement.
 *
 * Its life is tied to the channel: when the exporter goes away (even by SIGKILL) the channel
 * closes, and the spawner SIGKILLs the process groups of the jool calls still running and exits.
 * SIGINT, SIGTERM and SIGHUP are ignored: a terminal's Ctrl-C or hangup, or systemd's stop, reach
 * the whole process group, and it is the exporter that decides how its calls end (lifecycle.ts).
 */
import { createRequire } from 'node:module';

/** Set in the environment of a spawner started from the single executable application. */
export const SPAWNER_ENV = 'JOOL_SESSION_EXPORTER_SPAWNER';

/** The same cap as before the spawner existed: enough for any jool error message. */
export const STDERR_CAP_BYTES = 16 * 1024;

export const SPAWNER_SOURCE = `'use strict';
// jool-session-exporter: the jool spawner (src/jool/spawner-program.ts)
const { spawn } = require('node:child_process');
const STDERR_CAP_BYTES = ${STDERR_CAP_BYTES};
/** jool calls still running, by pid (each is its own process group). */
const running = new Set();

delete process.env.${SPAWNER_ENV};
process.title = 'jool-session-exporter: spawner';
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

function reply(message, handle, done) {
  if (!process.connected) return;
  process.send(message, handle, { keepOpen: false }, (error) => done && done(error));
}

function run({ id, file, argv, env }) {
  let child;
  try {
    child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  } catch (error) {
    // Thrown by spawn() itself: EPERM from a file capability, a NUL byte in an argument.
    reply({ id, error: String(error.code || error.message) });
    return;
  }
  if (child.pid === undefined) {
    child.on('error', (error) => reply({ id, error: String(error.code || error.message) }));
    return;
  }
  // Creating child.stdout's net.Socket already asked libuv to read it (net.Socket calls read(0)
  // when given a handle); nothing is read before the event loop turns, so stopping here,
  // synchronously, leaves every byte in the pipe for the exporter. Without it, the first chunks
  // would be read (and lost) here. _handle is Node's private libuv handle: no public API stops a
  // socket's reading before anything is read.
  child.stdout._handle.readStop();
  const pid = child.pid;
  running.add(pid);
  let stderr = '';
  let stderrBytes = 0;
  let exit;
  let stderrClosed = false;
  const settle = () => {
    if (exit === undefined || !stderrClosed) return;
    reply({ id, pid, exitCode: exit[0], signal: exit[1], stderr });
  };
  child.stderr.on('data', (chunk) => {
    const room = STDERR_CAP_BYTES - stderrBytes;
    if (room <= 0) return;
    stderrBytes += Math.min(chunk.length, room);
    stderr += chunk.toString('utf8', 0, Math.min(chunk.length, room));
  });
  child.stderr.on('close', () => {
    stderrClosed = true;
    settle();
  });
  child.on('exit', (exitCode, signal) => {
    running.delete(pid);
    exit = [exitCode, signal];
    settle();
  });
  // keepOpen false: once the descriptor is passed, the spawner closes its copy (only the exporter
  // and jool hold the pipe). The send may wait in Node's queue for an earlier handle's
  // acknowledgement, so the stream is let go only after it went.
  reply({ id, pid }, child.stdout, () => child.stdout.destroy());
}

process.on('message', run);
process.on('disconnect', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
`;

/**
 * In a process started as a spawner (SPAWNER_ENV set: the single executable application), runs
 * the spawner program and returns true: the caller must then do nothing else.
 */
export function runSpawnerIfAsked(): boolean {
  if (process.env[SPAWNER_ENV] !== '1') return false;
  // A function of `require`, as `node -e` gives it; only built-in modules are asked for.
  new Function('require', SPAWNER_SOURCE)(createRequire(import.meta.url));
  return true;
}
