/** Faults a test can inject into the next calls, whatever their argv. */
import { SESSION_CSV_HEADER } from '../model.js';
import { runCommand } from './cli.js';
import type { CommandContext } from './commands.js';
import { type Body, bytes } from './process.js';

/**
 * Faults the next call(s) can be told to exhibit, whatever their argv:
 * - `exit`: the "module not loaded" failure (empty stdout, exit 253).
 * - `hang`: no output and no exit until aborted or timed out.
 * - `garbage`: exit 0, but stdout is a CSV header followed by malformed rows and binary junk.
 * - `crash`: the real output starts, then the process dies of SIGSEGV mid-stream.
 */
export type DemoFault = 'exit' | 'hang' | 'garbage' | 'crash';

export function faultBody(ctx: CommandContext, argv: readonly string[], fault: DemoFault): Body {
  switch (fault) {
    case 'exit':
      // biome-ignore lint/correctness/useYield: a Body is a generator; this one fails before any output.
      return async function* (io) {
        io.err(
          "Error: Jool's socket family doesn't seem to exist.\n(This probably means " +
            "Jool hasn't been modprobed.)\nNetlink error message: Object not found\n",
        );
        return { exitCode: 253 };
      };
    case 'hang':
      // biome-ignore lint/correctness/useYield: a Body is a generator; this one never prints.
      return async function* (io) {
        await io.whenKilled;
        return { exitCode: null };
      };
    case 'garbage':
      return async function* () {
        yield bytes(
          `${SESSION_CSV_HEADER}\n` +
            'TCP,2001:db8::1,not-a-port,64:ff9b::c633:6401,443,192.0.2.1,1024\n' +
            'UDP,2001:db8::2,40000,64:ff9b::c633:6401,53,192.0.2.1,70000,198.51.100.1,53,99:99:99.9999,EXTRA,FIELDS\n',
        );
        yield Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]);
        return { exitCode: 0 };
      };
    case 'crash':
      return async function* (io) {
        const inner = runCommand(ctx, argv)(io);
        const first = await inner.next();
        if (!first.done) {
          const half = first.value.subarray(0, Math.max(1, Math.floor(first.value.length / 2)));
          yield half;
        }
        await inner.return({ exitCode: null });
        return { exitCode: null, signal: 'SIGSEGV' };
      };
  }
}
