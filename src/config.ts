/**
 * Command-line flags, each also settable by an environment variable
 * (JOOL_SESSION_EXPORTER_ + the flag name upper-cased, dots and dashes as
 * underscores). A flag beats its variable. Flags are named like
 * node_exporter's (`--web.listen-address`), so operators find them where they expect.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from './duration.js';
import type { Dialect } from './jool/commands.js';
import { type InstanceSpec, netnsNameProblem, parseInstanceSpec } from './jool/instances.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';

export interface Config {
  readonly source: 'jool' | 'demo';
  readonly joolPath: string;
  /** Instances given by name (`NAME` or `NAME@NETNS`). */
  readonly instances: readonly InstanceSpec[];
  /** `--jool.instance=*`: discover instances on every poll. */
  readonly discover: boolean;
  /** Named network namespaces where discovery looks for instances, besides the exporter's own. */
  readonly netns: readonly string[];
  readonly dialect: Dialect | 'auto';
  readonly clients: { readonly prefixLength: number; readonly top: number };
  /** How many destinations and services get their own jool_top_destination_* / jool_top_service_* series; 0: none. */
  readonly destinationsTop: number;
  readonly timeoutMs: number;
  /** Most sessions one table may hold; past it the jool call is killed (reason too_large). */
  readonly maxRows: number;
  readonly pollIntervalMs: number;
  /** --poll.disable-table-worker: tables parsed and analysed on the main thread, not on the worker thread. */
  readonly disableTableWorker: boolean;
  readonly listen: { readonly host: string | undefined; readonly port: number };
  readonly listenAddress: string;
  readonly telemetryPath: string;
  /** Most /sessions.csv answers streaming at once. */
  readonly sessionsCsvMaxConcurrent: number;
  /** Leave prom-client's process_* and nodejs_* families out of /metrics. */
  readonly disableExporterMetrics: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** --web.config.file: exporter-toolkit web configuration (TLS, basic auth); undefined: plain HTTP. */
  readonly webConfigFile: string | undefined;
  /** --web.disable-sessions-csv: /sessions.csv and the session browser (/sessions) answer 404 and the landing page does not link them. */
  readonly disableSessionsCsv: boolean;
}

interface FlagSpec {
  readonly name: string;
  /** Absent: the flag is empty unless given. */
  readonly default?: string;
  readonly multiple?: boolean;
  /** A switch: `--flag` alone, or its variable set to true/false (also 1/0, yes/no). */
  readonly boolean?: boolean;
  readonly help: string;
}

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'source',
    default: 'jool',
    help: 'Where sessions come from: "jool" (run the jool binary) or "demo" (a built-in simulated NAT64, no Jool needed).',
  },
  {
    name: 'jool.path',
    default: 'jool',
    help: 'The jool client binary (Jool 3 or 4; its version should match the kernel module). Looked up in PATH unless it contains a slash.',
  },
  {
    name: 'jool.instance',
    default: 'default',
    multiple: true,
    help:
      'Jool instance to poll: NAME, or NAME@NETNS for an instance in another network namespace (polled through ' +
      '`ip netns exec NETNS jool`), or * for every instance, discovered on each poll. Repeat the flag (or comma-separate ' +
      'the variable) for several. Jool 3 has one instance: "default".',
  },
  {
    name: 'jool.netns',
    multiple: true,
    help: 'Named network namespace (see `ip netns list`) where --jool.instance=* also looks for instances. Repeatable.',
  },
  { name: 'jool.dialect', default: 'auto', help: 'jool CLI generation: "auto" (ask `jool --version`), "3" or "4".' },
  {
    name: 'jool.timeout',
    default: '30s',
    help: 'Longest a single jool call may run before it is killed and the poll counted as failed (reason="timeout").',
  },
  {
    name: 'poll.max-rows',
    default: '10000000',
    help:
      'Most sessions one table (one protocol of one instance) may have. Past it the jool call is killed and the poll ' +
      'fails with reason="too_large": this bounds the memory a poll takes (about 25 bytes a row held, 50 while read; see docs/reliability.md).',
  },
  {
    name: 'poll.interval',
    default: '15s',
    help: 'How often each instance is polled. Scrapes never trigger a poll; they read the last one.',
  },
  {
    name: 'poll.disable-table-worker',
    boolean: true,
    default: 'false',
    help:
      'Parse and analyse the session tables on the main thread, in slices, instead of on a worker thread: about 40 MB ' +
      'less peak memory and a little less CPU (up to 15%) at a million sessions, but scrapes during a big poll wait up to twice as ' +
      'long (docs/performance.md). For a machine with one core.',
  },
  {
    name: 'clients.prefix-length',
    default: '128',
    help: 'A subscriber is an IPv6 client address cut to this prefix length: 128 is one address; operators often use 56 or 64.',
  },
  {
    name: 'clients.top',
    default: '10',
    help: 'Export the sessions and BIB entries of this many busiest subscribers per protocol (jool_top_subscriber_*); 0 turns it off.',
  },
  {
    name: 'destinations.top',
    default: '10',
    help:
      'Export the sessions (and distinct subscribers) of this many busiest IPv4 destinations, and the sessions of this ' +
      'many busiest remote ports, per protocol (jool_top_destination_*, jool_top_service_sessions); 0 turns it off.',
  },
  { name: 'web.listen-address', default: ':9812', help: 'Address to listen on for HTTP ([host]:port; ":9812" is every interface).' },
  { name: 'web.telemetry-path', default: '/metrics', help: 'Path under which metrics are exposed.' },
  {
    name: 'web.config.file',
    help:
      'exporter-toolkit web configuration file (YAML) for TLS, client certificates and basic ' +
      'authentication; see docs/security.md. Without it, plain HTTP and no authentication.',
  },
  {
    name: 'web.disable-sessions-csv',
    boolean: true,
    help:
      'Turn /sessions.csv and the session browser (/sessions) off (404): ' +
      "they serve every subscriber's IPv6 address and whom it talks to.",
  },
  {
    name: 'web.sessions-csv.max-concurrent',
    default: '2',
    help:
      'Most /sessions.csv answers streaming at once; more are refused with 429 and ' +
      'Retry-After, so that full downloads cannot starve /metrics and the health probes.',
  },
  {
    name: 'web.disable-exporter-metrics',
    boolean: true,
    default: 'false',
    help: "Leave the exporter's own process_* and nodejs_* metrics out of /metrics (as node_exporter's flag does).",
  },
  { name: 'log.level', default: 'info', help: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { name: 'log.format', default: 'logfmt', help: 'Log format: logfmt or json.' },
];

export const ENV_PREFIX = 'JOOL_SESSION_EXPORTER_';
export const envName = (flag: string) => ENV_PREFIX + flag.toUpperCase().replace(/[.-]/g, '_');

export class ConfigError extends Error {}

/** A value as echoed in an error: quoted when it holds anything that would break the one-line message. */
function shown(value: string): string {
  return /^[\x21-\x7e]*$/.test(value) ? value : JSON.stringify(value);
}

export function usage(): string {
  const lines = [
    'Usage: jool-session-exporter [flags]',
    '',
    'Prometheus exporter for the session tables of Jool (NAT64). Polls `jool session display`',
    'on an interval and serves the result at /metrics and /sessions.csv.',
    '',
    'Flags:',
    '  -h, --help     Show this help and exit.',
    '      --version  Show the version and exit.',
  ];
  for (const flag of FLAGS) {
    lines.push(flag.boolean === true ? `      --${flag.name}` : `      --${flag.name}=VALUE${flag.multiple ? ' ...' : ''}`);
    lines.push(`          ${flag.help}`);
    const fallback = flag.boolean ? 'off (variable: true or false)' : flag.default === undefined ? 'none' : JSON.stringify(flag.default);
    lines.push(`          Default: ${fallback}. Environment: ${envName(flag.name)}.`);
  }
  return `${lines.join('\n')}\n`;
}

export type ParsedCommandLine = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config };

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        ...Object.fromEntries(
          FLAGS.map((flag) => [
            flag.name,
            flag.boolean === true ? { type: 'boolean' as const } : { type: 'string' as const, multiple: flag.multiple ?? false },
          ]),
        ),
      },
    }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message.split('\n')[0]!);
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };

  const get = (name: string): string => {
    const value = values[name];
    if (typeof value === 'string') return value;
    return env[envName(name)] ?? FLAGS.find((flag) => flag.name === name)!.default ?? '';
  };
  const getList = (name: string): string[] => {
    const value = values[name];
    if (Array.isArray(value)) return value.flatMap((v) => v.split(','));
    const fromEnv = env[envName(name)];
    const text = fromEnv ?? FLAGS.find((flag) => flag.name === name)!.default ?? '';
    return text === '' ? [] : text.split(',');
  };
  const boolean = (name: string): boolean => {
    const value = values[name];
    if (typeof value === 'boolean') return value;
    const text = (env[envName(name)] ?? FLAGS.find((flag) => flag.name === name)!.default ?? 'false').trim().toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no', ''].includes(text)) return false;
    throw new ConfigError(`${envName(name)}=${shown(text)}: must be true or false`);
  };
  const integer = (name: string, min: number, max: number): number => {
    const text = get(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max)
      throw new ConfigError(`--${name}=${shown(text)}: must be a whole number from ${min} to ${max}`);
    return value;
  };
  const duration = (name: string): number => {
    let ms: number;
    try {
      ms = parseDuration(get(name));
    } catch (error) {
      throw new ConfigError(`--${name}: ${(error as Error).message}`);
    }
    if (ms <= 0) throw new ConfigError(`--${name} must be longer than 0s`);
    return ms;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const value = get(name);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(`--${name}=${shown(value)}: must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };

  const instanceTexts = getList('jool.instance').map((text) => text.trim());
  if (instanceTexts.length === 0) throw new ConfigError('--jool.instance: give at least one instance (or * for all)');
  const discover = instanceTexts.includes('*');
  const instances = instanceTexts
    .filter((text) => text !== '*')
    .map((text) => {
      if (text.startsWith('*@')) {
        throw new ConfigError(
          `--jool.instance=${shown(text)}: use --jool.instance=* with ` +
            `--jool.netns=${shown(text.slice(2))} to discover the instances of a namespace`,
        );
      }
      try {
        return parseInstanceSpec(text);
      } catch (error) {
        throw new ConfigError(`--jool.instance=${shown(text)}: ${(error as Error).message}`);
      }
    });
  const duplicate = instances.find((spec, i) => instances.findIndex((other) => other.key === spec.key) !== i);
  if (duplicate !== undefined) throw new ConfigError(`--jool.instance: "${duplicate.key}" is given twice`);
  const netns = getList('jool.netns').map((text) => text.trim());
  for (const name of netns) {
    const problem = netnsNameProblem(name);
    if (problem !== null) throw new ConfigError(`--jool.netns: ${problem}`);
  }
  if (netns.length > 0 && !discover)
    throw new ConfigError('--jool.netns is for --jool.instance=*; name one instance in a namespace as NAME@NETNS');

  const dialect = oneOf('jool.dialect', ['auto', '3', '4']);
  const telemetryPath = get('web.telemetry-path');
  if (!telemetryPath.startsWith('/') || ['/', '/healthz', '/readyz', '/sessions.csv', '/sessions'].includes(telemetryPath)) {
    throw new ConfigError(
      `--web.telemetry-path=${telemetryPath}: must start with "/" and not be / , /healthz, /readyz, /sessions or /sessions.csv`,
    );
  }
  const joolPath = get('jool.path');
  if (joolPath === '') throw new ConfigError('--jool.path must not be empty');
  const listenAddress = get('web.listen-address');

  return {
    kind: 'run',
    config: {
      source: oneOf('source', ['jool', 'demo']),
      joolPath,
      instances,
      discover,
      netns,
      dialect: dialect === 'auto' ? 'auto' : (Number(dialect) as Dialect),
      clients: { prefixLength: integer('clients.prefix-length', 0, 128), top: integer('clients.top', 0, 1000) },
      destinationsTop: integer('destinations.top', 0, 1000),
      timeoutMs: duration('jool.timeout'),
      maxRows: integer('poll.max-rows', 1, 1_000_000_000),
      pollIntervalMs: duration('poll.interval'),
      disableTableWorker: boolean('poll.disable-table-worker'),
      listen: parseListenAddress(listenAddress),
      listenAddress,
      telemetryPath,
      sessionsCsvMaxConcurrent: integer('web.sessions-csv.max-concurrent', 1, 1000),
      disableExporterMetrics: boolean('web.disable-exporter-metrics'),
      logLevel: oneOf('log.level', LOG_LEVELS),
      logFormat: oneOf('log.format', ['logfmt', 'json']),
      webConfigFile: get('web.config.file') === '' ? undefined : get('web.config.file'),
      disableSessionsCsv: boolean('web.disable-sessions-csv'),
    },
  };
}

/** "[host]:port", Go style: ":9812", "127.0.0.1:9812", "[::1]:9812", "localhost:9812". */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new ConfigError(`--web.listen-address=${shown(text)}: expected [host]:port, e.g. ":9812", "127.0.0.1:9812" or "[::1]:9812"`);
  }
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}
