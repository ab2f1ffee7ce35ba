#!/usr/bin/env node
/**
 * jool-session-exporter: the process. Flags, logging, signals and exit codes;
 * everything else is in exporter.ts.
 *
 * The same executable is also the jool spawner (jool/spawner.ts) when started as one: that is
 * checked first, and the exporter's own modules are imported only after it (dynamic imports), so
 * that a spawner loads none of them (22 MB less resident memory in the single executable).
 */
import type { ParsedCommandLine } from './config.js';
import type { Exporter } from './exporter.js';
import { runSpawnerIfAsked } from './jool/spawner-program.js';

async function main(): Promise<number> {
  const { ConfigError, parseCommandLine, usage } = await import('./config.js');
  const { startExporter, VERSION } = await import('./exporter.js');
  const { handleProcessLifecycle } = await import('./lifecycle.js');
  const { createLogger } = await import('./log.js');
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

if (!runSpawnerIfAsked()) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`jool-session-exporter: fatal: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
