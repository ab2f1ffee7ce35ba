/**
 * Wires the exporter together: runner → poller → status store → metrics and
 * HTTP. The only place that knows every part; main.ts only adds the process
 * (flags, signals, exit codes).
 */

import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createDemoJool } from './demo/demo-jool.js';
import { createApp } from './http/server.js';
import { joolCommand } from './jool/instances.js';
import { createProcessRunner } from './jool/process-runner.js';
import type { JoolRunner } from './jool/runner.js';
import type { Logger } from './log.js';
import { collectDestinationMetrics, DESTINATION_FAMILIES } from './metrics/destination-collector.js';
import { collectPool4Metrics, POOL4_FAMILIES } from './metrics/pool4-collector.js';
import { createMetricsRenderer } from './metrics/registry.js';
import { collectSessionMetrics, SESSION_FAMILIES } from './metrics/session-collector.js';
import { collectStatsMetrics, STATS_FAMILIES } from './metrics/stats-collector.js';
import { collectSubscriberMetrics, SUBSCRIBER_FAMILIES } from './metrics/subscriber-collector.js';
import { type Poller, startPoller } from './poll/poller.js';
import { createTableWorker } from './poll/table-worker.js';
import { createStatusStore, type StatusStore } from './status/store.js';
import { createBasicAuth } from './web/basic-auth.js';
import { createWebGuard } from './web/guard.js';
import { openWeb, type Web } from './web/listen.js';

/**
 * Set by the bundler (packaging/bundle.mjs, esbuild `define`): the single-file bundle that the
 * Debian package and the Docker image run has no package.json beside it to read.
 */
declare const JOOL_SESSION_EXPORTER_VERSION: string | undefined;

/** Our package.json's version: found by walking up, since this file runs from src/ (tests) and dist/src/. */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jool-session-exporter' && pkg.version !== undefined) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
  }
  return 'unknown';
}

export const VERSION: string = typeof JOOL_SESSION_EXPORTER_VERSION === 'string' ? JOOL_SESSION_EXPORTER_VERSION : packageVersion();

export interface Exporter {
  readonly server: Server;
  readonly store: StatusStore;
  readonly poller: Poller;
  /** The web config in force (TLS, basic auth). */
  readonly web: Web;
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: AddressInfo;
  stop(): Promise<void>;
}

/** jool for an instance's namespace (undefined: the exporter's own). */
export type RunnerFactory = (netns: string | undefined) => JoolRunner;

export function createRunnerFactory(config: Config): RunnerFactory {
  if (config.source === 'demo') {
    // One simulated NAT64 for every namespace: the demo has no namespaces to tell apart.
    const demo = createDemoJool({ instances: config.instances.length > 0 ? config.instances.map((i) => i.name) : ['default'] });
    return () => demo;
  }
  const runners = new Map<string | undefined, JoolRunner>();
  return (netns) => {
    let runner = runners.get(netns);
    if (runner === undefined) {
      runner = createProcessRunner({ command: joolCommand(config.joolPath, netns) });
      runners.set(netns, runner);
    }
    return runner;
  };
}

export async function startExporter(config: Config, log: Logger, runIn: RunnerFactory = createRunnerFactory(config)): Promise<Exporter> {
  // First: a web config that does not load stops the start before anything runs.
  const web = openWeb(config.webConfigFile, log);
  const store = createStatusStore([], { discovery: config.discover });
  const metrics = createMetricsRenderer({
    status: () => store.current,
    collectors: [
      { descs: SESSION_FAMILIES, collect: collectSessionMetrics },
      { descs: SUBSCRIBER_FAMILIES, collect: collectSubscriberMetrics },
      { descs: DESTINATION_FAMILIES, collect: collectDestinationMetrics },
      { descs: POOL4_FAMILIES, collect: collectPool4Metrics },
      { descs: STATS_FAMILIES, collect: collectStatsMetrics },
    ],
    version: VERSION,
    exporterMetrics: !config.disableExporterMetrics,
  });
  // Checks basic_auth_users passwords on a worker thread, started at the first check.
  const auth = web.configured ? createBasicAuth() : undefined;
  const app = createApp({
    store,
    metrics,
    telemetryPath: config.telemetryPath,
    log,
    version: VERSION,
    sessionsCsv: !config.disableSessionsCsv,
    ...(auth !== undefined ? { guard: createWebGuard(web.current, auth, log) } : {}),
    sessionsCsvMaxConcurrent: config.sessionsCsvMaxConcurrent,
  });

  const server = await web.listen(app, config.listen.host, config.listen.port);
  server.on('error', (error) => log.error('HTTP server error', { err: error.message }));
  // A slow or stuck client must not keep sockets (and a streaming /sessions.csv) forever.
  server.requestTimeout = 5 * 60_000;
  server.headersTimeout = 60_000;

  // Session tables are parsed and analysed on a worker thread, started for the first table
  // (poll/table-worker.ts); --poll.disable-table-worker keeps them on this thread.
  const tableWorker = config.disableTableWorker ? undefined : createTableWorker();
  const poller = startPoller({
    instances: config.instances,
    ...(config.discover ? { discovery: { netns: config.netns } } : {}),
    runIn,
    dialect: config.dialect,
    timeoutMs: config.timeoutMs,
    maxRows: config.maxRows,
    clients: config.clients,
    destinationsTop: config.destinationsTop,
    ...(tableWorker === undefined ? {} : { parse: tableWorker.start }),
    intervalMs: config.pollIntervalMs,
    store,
    log,
  });

  return {
    server,
    store,
    poller,
    web,
    address: server.address() as AddressInfo,
    async stop() {
      web.stop();
      await poller.stop();
      await tableWorker?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await auth?.stop();
    },
  };
}
