#!/usr/bin/env node
/**
 * jool-session-exporter: the process. Flags, logging, signals and exit codes;
 * everything else is in exporter.ts.
 */
import { ConfigError, type ParsedCommandLine, parseCommandLine, usage } from './config.js';
import { type Exporter, startExporter, VERSION } from './exporter.js';
import { handleProcessLifecycle } from './lifecycle.js';
import { createLogger } from './log.js';

async function main(): Promise<number> {
  let command: ParsedCommandLine;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`jool-session-exporter: error: ${error.message}\nTry --help.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`jool-session-exporter ${VERSION} (Node.js ${process.version})\n`);
    return 0;
  }
  const { config } = command;
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  const shutdownRequested = handleProcessLifecycle(log);

  let exporter: Exporter;
  try {
    exporter = await startExporter(config, log);
  } catch (error) {
    log.error('cannot start', { err: (error as Error).message, address: config.listenAddress });
    return 1;
  }
  log.info('listening', {
    address: exporter.address.address.includes(':')
      ? `[${exporter.address.address}]:${exporter.address.port}`
      : `${exporter.address.address}:${exporter.address.port}`,
    source: config.source,
    instances: [...config.instances.map((i) => i.key), ...(config.discover ? ['*'] : [])].join(','),
    interval: `${config.pollIntervalMs / 1000}s`,
    version: VERSION,
  });

  await shutdownRequested;
  await exporter.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`jool-session-exporter: fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
