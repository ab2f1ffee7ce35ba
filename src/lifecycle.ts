/**
 * How the process lives and ends: signals, fatal errors, and the jool children.
 *
 * - SIGTERM, SIGINT: a clean shutdown (polls aborted, server closed), then exit status 0.
 *   A second one during the shutdown exits at once with status 1.
 * - SIGHUP: logged, and nothing else. Node's default would exit (129) without any shutdown and
 *   orphan a running jool. Flags are read once at start, and --web.config.file is re-read by
 *   itself when it changes (web/listen.ts), so a SIGHUP has nothing left to reload.
 * - An uncaught exception or unhandled rejection: logged, exit status 1.
 * - Every one of these, and any other process.exit(), ends in the 'exit' event, which SIGKILLs
 *   the process groups of the jool calls still running (no jool is ever left behind) and closes
 *   the channel to the spawner process (jool/spawner.ts), which then exits.
 * Only SIGKILL of the exporter itself escapes this; even then the spawner sees its channel close,
 * kills the jool calls it started and exits (and systemd's KillMode=control-group covers it all).
 */

import { killLiveJoolGroups } from './jool/process-runner.js';
import { stopSpawner } from './jool/spawner.js';
import type { Logger } from './log.js';

/** Installs the handlers; resolves with the signal that asked for a shutdown. */
export function handleProcessLifecycle(log: Logger): Promise<NodeJS.Signals> {
  process.on('exit', () => {
    killLiveJoolGroups();
    stopSpawner();
  });
  process.on('SIGHUP', () => {
    log.info('SIGHUP received: nothing to reload (flags are read at start; the web config is re-read when it changes); still running', {
      signal: 'SIGHUP',
    });
  });
  const fatal = (what: string) => (error: unknown) => {
    log.error(`fatal: ${what}`, { err: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));

  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn('second signal during shutdown: exiting now', { signal });
        process.exit(1);
      }
      stopping = true;
      log.info('shutting down', { signal });
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
