import { describe, expect, it } from 'vitest';
import { judgeExit } from '../../src/jool/call.js';
import type { JoolExit } from '../../src/jool/runner.js';

const ARGS = ['-i', 'default', 'session', 'display', '--csv', '--numeric'] as const;
const COMMAND = 'jool -i default session display --csv --numeric';

function exit(fields: Partial<JoolExit>): JoolExit {
  return { exitCode: 0, signal: null, stderr: '', ...fields };
}

describe('judgeExit', () => {
  it('takes exit status 0 as success, whatever stderr says', () => {
    expect(judgeExit(exit({}), ARGS)).toBeNull();
    // Jool 4 without --numeric: getnameinfo complaints on stderr, the table anyway, exit 0.
    expect(judgeExit(exit({ stderr: 'Error: getnameinfo failed: Temporary failure\n' }), ARGS)).toBeNull();
  });

  it('calls a non-zero exit an exit failure, with the status and stderr on one line', () => {
    const stderr =
      "Error: Jool's socket family doesn't seem to exist.\n(This probably means Jool hasn't been modprobed.)\n  Netlink error message: Object not found\n";
    expect(judgeExit(exit({ exitCode: 253, stderr }), ARGS)).toEqual({
      ok: false,
      reason: 'exit',
      exitCode: 253,
      message:
        `${COMMAND}: exit status 253: Error: Jool's socket family doesn't seem to exist. / ` +
        "(This probably means Jool hasn't been modprobed.) / Netlink error message: Object not found",
    });
  });

  it('leaves out the stderr part when stderr is empty or blank', () => {
    expect(judgeExit(exit({ exitCode: 3 }), ARGS)?.message).toBe(`${COMMAND}: exit status 3`);
    expect(judgeExit(exit({ exitCode: 3, stderr: ' \n\n ' }), ARGS)?.message).toBe(`${COMMAND}: exit status 3`);
  });

  it('names the signal of a killed process, and gives no exit code', () => {
    const crashed = judgeExit(exit({ exitCode: null, signal: 'SIGSEGV', stderr: 'oops\n' }), ARGS);
    expect(crashed).toEqual({ ok: false, reason: 'exit', message: `${COMMAND}: killed by SIGSEGV: oops` });
    expect(crashed).not.toHaveProperty('exitCode');
    expect(judgeExit(exit({ exitCode: null, signal: null }), ARGS)?.message).toBe(`${COMMAND}: killed by a signal`);
  });

  it('reports a process that could not start as a spawn failure, with its message or a default', () => {
    const enoent = exit({ exitCode: null, failure: 'spawn', message: 'cannot run /usr/bin/jool: ENOENT' });
    expect(judgeExit(enoent, ARGS)).toEqual({ ok: false, reason: 'spawn', message: 'cannot run /usr/bin/jool: ENOENT' });
    expect(judgeExit(exit({ exitCode: null, failure: 'spawn' }), ARGS)).toEqual({
      ok: false,
      reason: 'spawn',
      message: `cannot run ${COMMAND}`,
    });
  });

  it('reports a call killed at its deadline as a timeout, not as the SIGKILL that ended it', () => {
    const late = exit({ exitCode: null, signal: 'SIGKILL', failure: 'timeout', message: 'jool ran longer than 10000 ms' });
    expect(judgeExit(late, ARGS)).toEqual({ ok: false, reason: 'timeout', message: `${COMMAND}: jool ran longer than 10000 ms` });
    expect(judgeExit(exit({ exitCode: null, failure: 'timeout' }), ARGS)?.message).toBe(`${COMMAND}: timed out`);
  });

  it('lets the failure kind win over an exit status', () => {
    // A runner may know the call failed even when a status came back (a timeout racing the exit).
    expect(judgeExit(exit({ exitCode: 0, failure: 'timeout' }), ARGS)?.reason).toBe('timeout');
    expect(judgeExit(exit({ exitCode: 0, failure: 'spawn' }), ARGS)?.reason).toBe('spawn');
  });
});
