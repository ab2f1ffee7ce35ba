/**
 * The one seam between the exporter and a `jool` binary. The real runner spawns
 * a process; the demo runner simulates one. Everything above this interface
 * (argv building, streaming parse, exit-status handling) is shared by both, so
 * the demo exercises the same path as production.
 */

export interface JoolExit {
  /** Exit status of the process, or null when it was killed or never started. */
  readonly exitCode: number | null;
  /** Signal that ended the process, if any. */
  readonly signal: NodeJS.Signals | null;
  /** What the process wrote on stderr (capped). */
  readonly stderr: string;
  /** Set when the call failed before or around the process: it could not start, or ran past its timeout. */
  readonly failure?: 'spawn' | 'timeout';
  /** Human-readable detail for `failure` (for example the spawn errno). */
  readonly message?: string;
}

export interface JoolCall {
  /**
   * stdout, chunk by chunk, as it arrives. Must be consumed (or the call aborted). A chunk is valid
   * only until the next one is asked for: the real runner reads the pipe into reused buffers
   * (pipe-reader.ts), so a consumer that keeps bytes copies them.
   */
  readonly stdout: AsyncIterable<Uint8Array>;
  /** Settles once the process has exited and stdout has ended. Never rejects. */
  readonly exit: Promise<JoolExit>;
  /** Kills the call (for example when the consumer gives up). Idempotent. */
  abort(): void;
}

export interface RunOptions {
  /** The call is killed once it runs this long. */
  readonly timeoutMs: number;
}

export type JoolRunner = (args: readonly string[], options: RunOptions) => JoolCall;
