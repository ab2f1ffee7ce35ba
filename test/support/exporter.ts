/** Starts a real exporter (real HTTP server, real child processes) for a test. */
import { type Config, parseCommandLine } from '../../src/config.js';
import { type Exporter, type RunnerFactory, startExporter } from '../../src/exporter.js';
import { createProcessRunner } from '../../src/jool/process-runner.js';
import { createLogger, type LogLevel } from '../../src/log.js';
import { fakeJool } from './fake-jool.js';

export interface RunningExporter extends Exporter {
  readonly url: string;
  readonly logs: string[];
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  text(path: string): Promise<string>;
}

export function configFrom(flags: string[]): Config {
  const parsed = parseCommandLine(['--web.listen-address=127.0.0.1:0', ...flags], {});
  if (parsed.kind !== 'run') throw new Error('not a run command line');
  return parsed.config;
}

/**
 * Runners for the jool stand-in where `ip netns exec NS jool` becomes
 * `env FAKE_JOOL_NETNS=NS jool`: the stand-in then answers as the jool of that
 * namespace (tests cannot create namespaces without root).
 */
export function fakeNamespaces(joolPath: string): RunnerFactory {
  return (netns) => createProcessRunner({ command: netns === undefined ? [joolPath] : ['env', `FAKE_JOOL_NETNS=${netns}`, joolPath] });
}

export async function startTestExporter(flags: string[], level: LogLevel = 'debug', runIn?: RunnerFactory): Promise<RunningExporter> {
  const logs: string[] = [];
  const exporter = await startExporter(configFrom(flags), createLogger({ level, write: (line) => logs.push(line) }), runIn);
  const url = `http://127.0.0.1:${exporter.address.port}`;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(url + path, { headers });
  return Object.assign(exporter, {
    url,
    logs,
    get,
    async text(path: string) {
      const response = await get(path);
      return response.text();
    },
  });
}

/** An exporter on the jool stand-in's captures for these instances, polling hourly, once its first poll is done. */
export async function startOnCaptures(instances: readonly string[], flags: readonly string[] = []): Promise<RunningExporter> {
  const exporter = await startTestExporter([
    `--jool.path=${fakeJool().path}`,
    ...instances.map((instance) => `--jool.instance=${instance}`),
    '--poll.interval=1h',
    ...flags,
  ]);
  await exporter.poller.firstPollDone;
  return exporter;
}

/** Prometheus text → { 'name{labels}': value }, for assertions on single series. */
export function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
