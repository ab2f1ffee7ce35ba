/**
 * The process stand-in behind the JoolRunner seam: a command body's output as
 * stdout (an async iterable), stderr, and an exit status once stdout is
 * drained, with timeouts, aborts and a reader that walks away handled the way
 * a real child process would end.
 */
import type { JoolCall, JoolExit } from '../jool/runner.js';

/** What a command body sees: stderr, and whether the call was killed. */
export interface CallIo {
  err(text: string): void;
  readonly killed: () => boolean;
  /** Resolves when the call is killed; lets a hung body wait without polling. */
  readonly whenKilled: Promise<void>;
}

export type Body = (io: CallIo) => AsyncGenerator<Buffer, JoolExitLike, void>;
export interface JoolExitLike {
  readonly exitCode: number | null;
  readonly signal?: NodeJS.Signals | null;
}

export function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export function startCall(body: Body, timeoutMs: number): JoolCall {
  let stderr = '';
  let finished = false;
  let onKilled!: () => void;
  const whenKilled = new Promise<void>((resolve) => (onKilled = resolve));
  let settle!: (exit: JoolExit) => void;
  const exit = new Promise<JoolExit>((resolve) => (settle = resolve));
  let timer: NodeJS.Timeout | undefined;

  const finish = (e: JoolExit): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    settle(e);
    onKilled();
  };
  const kill = (timedOut: boolean): void => {
    finish({
      exitCode: null,
      signal: 'SIGKILL',
      stderr,
      ...(timedOut ? { failure: 'timeout' as const, message: `jool ran longer than ${timeoutMs} ms` } : {}),
    });
  };
  if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
    timer = setTimeout(() => kill(true), Math.min(timeoutMs, 2 ** 31 - 1));
  }

  const io: CallIo = {
    err(text) {
      if (stderr.length < 65_536) stderr += text;
    },
    killed: () => finished,
    whenKilled,
  };

  async function* stdout(): AsyncGenerator<Buffer, void, void> {
    const gen = body(io);
    try {
      for (;;) {
        if (finished) return;
        let r: IteratorResult<Buffer, JoolExitLike>;
        try {
          r = await gen.next();
        } catch (error) {
          // A bug in the simulation must look like a crashed process, not an exception in the exporter.
          io.err(`demo jool: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
          finish({ exitCode: null, signal: 'SIGABRT', stderr });
          return;
        }
        if (finished) return;
        if (r.done) {
          finish({ exitCode: r.value.exitCode, signal: r.value.signal ?? null, stderr });
          return;
        }
        yield r.value;
      }
    } finally {
      // The reader walked away mid-stream: a real process would die of SIGPIPE on its next write.
      if (!finished) finish({ exitCode: null, signal: 'SIGPIPE', stderr });
      await gen.return({ exitCode: null });
    }
  }

  return { stdout: stdout(), exit, abort: () => kill(false) };
}
