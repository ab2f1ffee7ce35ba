/**
 * Running one jool call and judging how it ended. Exit status is the truth: real Jool prints the
 * CSV header and *then* exits 3 for a missing instance, 253 when the module is not loaded.
 */

import type { FailureReason } from '../status/model.js';
import type { JoolRunner } from './runner.js';

export type CallFailure = {
  readonly ok: false;
  readonly reason: FailureReason;
  readonly message: string;
  /** jool's exit status, for reason 'exit' when it exited (rather than being killed). */
  readonly exitCode?: number;
};

/** Classifies how a jool call ended; null for success (exit status 0). */
export function judgeExit(exit: Awaited<ReturnType<JoolRunner>['exit']>, args: readonly string[]): CallFailure | null {
  const command = `jool ${args.join(' ')}`;
  const stderr = exit.stderr.trim().replace(/\s*\n\s*/g, ' / ');
  if (exit.failure === 'spawn') return { ok: false, reason: 'spawn', message: exit.message ?? `cannot run ${command}` };
  if (exit.failure === 'timeout') return { ok: false, reason: 'timeout', message: `${command}: ${exit.message ?? 'timed out'}` };
  if (exit.exitCode === 0) return null;
  const how = exit.exitCode !== null ? `exit status ${exit.exitCode}` : `killed by ${exit.signal ?? 'a signal'}`;
  return {
    ok: false,
    reason: 'exit',
    message: `${command}: ${how}${stderr ? `: ${stderr}` : ''}`,
    ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
  };
}

/** Small outputs (pool4, stats, instance list, version): read whole, judged by the exit status too. */
export async function readOutput(
  run: JoolRunner,
  args: readonly string[],
  timeoutMs: number,
  maxBytes = 4 * 1024 * 1024,
): Promise<{ readonly ok: true; readonly text: string } | CallFailure> {
  const call = run(args, { timeoutMs });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of call.stdout) {
      size += chunk.length;
      if (size > maxBytes) {
        call.abort();
        break;
      }
      chunks.push(Buffer.from(chunk)); // a copy: the chunk's memory is reused for the next one
    }
  } catch {
    call.abort();
  }
  const exit = await call.exit;
  if (size > maxBytes) {
    return { ok: false, reason: 'parse', message: `jool ${args.join(' ')}: more than ${maxBytes} bytes of output; not what was asked for` };
  }
  const failure = judgeExit(exit, args);
  if (failure !== null) return failure;
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}
