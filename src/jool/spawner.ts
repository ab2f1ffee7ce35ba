/**
 * The exporter's side of the spawner process: a small, long-lived node process that starts the
 * jool calls so that the exporter never fork()s itself.
 *
 * Why: libuv starts a child with fork(), which copies the page tables of the whole process on the
 * calling thread. With a million-row table the exporter holds 200-300 MB and each spawn() stalled
 * its event loop for ~17 ms, eight times a poll (docs/performance.md, "The spawner process"). A
 * worker thread does not help: fork() still copies the whole process. The spawner is started once,
 * at the first jool call, while the exporter is still small, and it stays small: each jool call
 * costs the exporter one IPC message.
 *
 * jool's stdout is not relayed: the spawner passes the pipe's file descriptor over the IPC channel,
 * and the exporter reads jool's output itself, as it did before (spawner-program.ts has the
 * protocol). jool's pid comes back with it: jool runs in its own process group as before, and the
 * exporter kills that group itself (process-runner.ts, lifecycle.ts).
 *
 * One spawner per process, unref'd (it never keeps the exporter alive), its channel held only
 * while calls are in flight. If it dies, the calls in flight are lost (each told why) and the next
 * call starts a new one. If the exporter dies, the spawner's channel closes and it ends itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { SPAWNER_ENV, SPAWNER_SOURCE } from './spawner-program.js';

export interface SpawnRequest {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface SpawnedExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** What happens to one call; exactly one of failed, exited and lost ends it. */
export interface SpawnEvents {
  /** jool runs: its pid (also its process group) and the read end of its stdout. */
  started(pid: number, stdout: Socket | undefined): void;
  /** jool exited and closed its stderr. `pid` is repeated for a call whose start was not seen. */
  exited(pid: number, exit: SpawnedExit): void;
  /** jool could not be started: the errno code (ENOENT, EACCES...) or the error's message. */
  failed(code: string): void;
  /** The spawner died or could not be reached before the call ended: why, in words. */
  lost(reason: string): void;
}

type Answer =
  | { readonly id: number; readonly pid: number; readonly exitCode?: undefined }
  | {
      readonly id: number;
      readonly pid: number;
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stderr: string;
    }
  | { readonly id: number; readonly error: string };

interface Spawner {
  readonly child: ChildProcess;
  readonly calls: Map<number, SpawnEvents>;
  gone: boolean;
}

let current: Spawner | undefined;
let nextId = 0;

/** Starts jool through the spawner (starting the spawner first if there is none). */
export function spawnThroughSpawner(request: SpawnRequest, events: SpawnEvents): void {
  let spawner: Spawner;
  try {
    current ??= startSpawner();
    spawner = current;
  } catch (error) {
    events.lost(`cannot start the spawner process: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return;
  }
  const id = nextId++;
  spawner.calls.set(id, events);
  spawner.child.channel?.ref();
  spawner.child.send({ id, file: request.file, argv: request.argv, env: request.env }, (error) => {
    if (!error || !spawner.calls.has(id)) return;
    spawner.calls.delete(id);
    events.lost(`cannot reach the spawner process: ${error.message}`);
  });
}

/** pid of the running spawner, if any (for tests and the docs' process tree). */
export function spawnerPid(): number | undefined {
  return current?.child.pid;
}

/**
 * Closes the channel to the spawner: it kills the jool calls it still runs and exits. Synchronous,
 * so it can run in an 'exit' handler; a later call starts a new spawner.
 */
export function stopSpawner(): void {
  const spawner = current;
  if (spawner === undefined) return;
  current = undefined;
  lose(spawner, 'the spawner process was stopped');
  if (spawner.child.connected) spawner.child.disconnect();
}

function startSpawner(): Spawner {
  // Not the exporter's node flags (vitest's, an inspector's) nor NODE_OPTIONS: the spawner needs none.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const sea = inSingleExecutable();
  const child = spawn(process.execPath, sea ? [] : ['-e', SPAWNER_SOURCE], {
    // stderr shared: a crash of the spawner lands in the exporter's log stream.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: sea ? { ...env, [SPAWNER_ENV]: '1' } : env,
    serialization: 'json',
  });
  const spawner: Spawner = { child, calls: new Map(), gone: false };
  child.on('message', (answer: Answer, handle?: Socket) => onAnswer(spawner, answer, handle));
  // After the last message was read (a dying spawner's last answers still count), or never started.
  const ended = () => lose(spawner, describeEnd(child));
  child.on('disconnect', ended);
  child.on('exit', ended);
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (child.pid === undefined) lose(spawner, `cannot start the spawner process: ${error.code ?? error.message}`);
  });
  child.unref();
  // Adding the 'message' listener refs the channel on the next tick; released again when idle.
  process.nextTick(() => releaseIfIdle(spawner));
  return spawner;
}

/** A Node single executable application (the Debian package)? node:sea is missing before Node 20.12: no. */
function inSingleExecutable(): boolean {
  try {
    return (createRequire(import.meta.url)('node:sea') as typeof import('node:sea')).isSea();
  } catch {
    return false;
  }
}

function onAnswer(spawner: Spawner, answer: Answer, handle: Socket | undefined): void {
  const events = spawner.calls.get(answer.id);
  if (events === undefined) {
    handle?.destroy(); // a call already given up as lost
    return;
  }
  if ('error' in answer) {
    spawner.calls.delete(answer.id);
    events.failed(answer.error);
  } else if (answer.exitCode === undefined) {
    events.started(answer.pid, handle);
  } else {
    spawner.calls.delete(answer.id);
    events.exited(answer.pid, { exitCode: answer.exitCode, signal: answer.signal, stderr: answer.stderr });
  }
  releaseIfIdle(spawner);
}

function releaseIfIdle(spawner: Spawner): void {
  if (spawner.calls.size === 0) spawner.child.channel?.unref();
}

/** The spawner is gone: every call in flight is lost, and the next call starts a new spawner. */
function lose(spawner: Spawner, reason: string): void {
  if (current === spawner) current = undefined;
  if (spawner.gone && spawner.calls.size === 0) return;
  spawner.gone = true;
  const calls = [...spawner.calls.values()];
  spawner.calls.clear();
  for (const events of calls) events.lost(reason);
}

function describeEnd(child: ChildProcess): string {
  const how =
    child.signalCode !== null ? ` (killed by ${child.signalCode})` : child.exitCode !== null ? ` (exit status ${child.exitCode})` : '';
  return `the spawner process (pid ${child.pid}) ended${how}; the next jool call starts a new one`;
}
