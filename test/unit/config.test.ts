import { describe, expect, it } from 'vitest';
import { type Config, ConfigError, envName, FLAGS, parseCommandLine, parseListenAddress, usage } from '../../src/config.js';

/** The instance a test expects: written out, not built by src/. */
const own = (name: string) => ({ key: name, name, netns: undefined });
const inNetns = (name: string, netns: string) => ({ key: `${name}@${netns}`, name, netns });

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = parseCommandLine(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.config;
}

function configError(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseCommandLine(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}

describe('parseCommandLine: defaults', () => {
  it('with no flags and no environment', () => {
    expect(run([])).toEqual({
      source: 'jool',
      joolPath: 'jool',
      instances: [own('default')],
      discover: false,
      netns: [],
      dialect: 'auto',
      clients: { prefixLength: 128, top: 10 },
      destinationsTop: 10,
      timeoutMs: 30_000,
      maxRows: 10_000_000,
      pollIntervalMs: 15_000,
      disableTableWorker: false,
      listen: { host: undefined, port: 9812 },
      listenAddress: ':9812',
      telemetryPath: '/metrics',
      sessionsCsvMaxConcurrent: 2,
      disableExporterMetrics: false,
      logLevel: 'info',
      logFormat: 'logfmt',
      webConfigFile: undefined,
      disableSessionsCsv: false,
    });
  });

  it('ignores unrelated environment variables', () => {
    expect(run([], { PATH: '/bin', JOOL_SESSION_EXPORTER: 'x', SESSION_EXPORTER_LOG_LEVEL: 'debug' }).logLevel).toBe('info');
  });
});

describe('parseCommandLine: every flag', () => {
  it('as --flag=value', () => {
    expect(
      run([
        '--source=demo',
        '--jool.path=/usr/local/bin/jool',
        '--jool.instance=alt@x64',
        '--jool.instance=*',
        '--jool.netns=ns1',
        '--jool.dialect=3',
        '--clients.prefix-length=56',
        '--clients.top=3',
        '--destinations.top=5',
        '--jool.timeout=2m',
        '--poll.interval=500ms',
        '--web.listen-address=127.0.0.1:9100',
        '--web.telemetry-path=/jool/metrics',
        '--log.level=debug',
        '--log.format=json',
        '--web.config.file=/etc/jool-session-exporter/web.yml',
        '--web.disable-sessions-csv',
        '--poll.max-rows=5000',
        '--web.sessions-csv.max-concurrent=7',
        '--poll.disable-table-worker',
      ]),
    ).toEqual({
      source: 'demo',
      joolPath: '/usr/local/bin/jool',
      instances: [inNetns('alt', 'x64')],
      discover: true,
      netns: ['ns1'],
      dialect: 3,
      clients: { prefixLength: 56, top: 3 },
      destinationsTop: 5,
      timeoutMs: 120_000,
      maxRows: 5000,
      pollIntervalMs: 500,
      disableTableWorker: true,
      listen: { host: '127.0.0.1', port: 9100 },
      listenAddress: '127.0.0.1:9100',
      telemetryPath: '/jool/metrics',
      sessionsCsvMaxConcurrent: 7,
      disableExporterMetrics: false,
      logLevel: 'debug',
      logFormat: 'json',
      webConfigFile: '/etc/jool-session-exporter/web.yml',
      disableSessionsCsv: true,
    });
  });

  it('as --flag value', () => {
    expect(
      run([
        '--source',
        'demo',
        '--jool.path',
        '/opt/jool',
        '--jool.instance',
        '*',
        '--jool.instance',
        'b@ns2',
        '--jool.netns',
        'ns1',
        '--jool.netns',
        'ns2',
        '--jool.dialect',
        '4',
        '--clients.prefix-length',
        '64',
        '--clients.top',
        '0',
        '--destinations.top',
        '0',
        '--jool.timeout',
        '3s',
        '--poll.interval',
        '1m',
        '--web.listen-address',
        '[::1]:9812',
        '--web.telemetry-path',
        '/x',
        '--log.level',
        'error',
        '--log.format',
        'logfmt',
        '--poll.max-rows',
        '1',
        '--web.sessions-csv.max-concurrent',
        '1000',
      ]),
    ).toEqual({
      source: 'demo',
      joolPath: '/opt/jool',
      instances: [inNetns('b', 'ns2')],
      discover: true,
      netns: ['ns1', 'ns2'],
      dialect: 4,
      clients: { prefixLength: 64, top: 0 },
      destinationsTop: 0,
      timeoutMs: 3000,
      maxRows: 1,
      pollIntervalMs: 60_000,
      disableTableWorker: false,
      listen: { host: '::1', port: 9812 },
      listenAddress: '[::1]:9812',
      telemetryPath: '/x',
      sessionsCsvMaxConcurrent: 1000,
      disableExporterMetrics: false,
      logLevel: 'error',
      logFormat: 'logfmt',
      webConfigFile: undefined,
      disableSessionsCsv: false,
    });
  });

  it('the flag list is the documented one', () => {
    expect(FLAGS.map((flag) => flag.name).sort()).toEqual([
      'clients.prefix-length',
      'clients.top',
      'destinations.top',
      'jool.dialect',
      'jool.instance',
      'jool.netns',
      'jool.path',
      'jool.timeout',
      'log.format',
      'log.level',
      'poll.disable-table-worker',
      'poll.interval',
      'poll.max-rows',
      'source',
      'web.config.file',
      'web.disable-exporter-metrics',
      'web.disable-sessions-csv',
      'web.listen-address',
      'web.sessions-csv.max-concurrent',
      'web.telemetry-path',
    ]);
  });

  it('--web.disable-exporter-metrics is a switch, also set by its variable', () => {
    expect(run([]).disableExporterMetrics).toBe(false);
    expect(run(['--web.disable-exporter-metrics']).disableExporterMetrics).toBe(true);
    expect(run([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: 'true' }).disableExporterMetrics).toBe(true);
    expect(run([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: '0' }).disableExporterMetrics).toBe(false);
    expect(configError([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: 'maybe' }).message).toMatch(
      /WEB_DISABLE_EXPORTER_METRICS.*true or false/,
    );
    expect(configError(['--web.disable-exporter-metrics=yes']).message).toMatch(/disable-exporter-metrics/);
    expect(usage()).toMatch(/^ {6}--web\.disable-exporter-metrics$/m);
  });

  it.each(['debug', 'info', 'warn', 'error'])('log level %s', (level) => {
    expect(run([`--log.level=${level}`]).logLevel).toBe(level);
  });
});

describe('--jool.instance', () => {
  it('is repeatable and takes comma lists, trimmed', () => {
    expect(run(['--jool.instance=a', '--jool.instance=b']).instances).toEqual([own('a'), own('b')]);
    expect(run(['--jool.instance=a,b', '--jool.instance', 'c']).instances).toEqual([own('a'), own('b'), own('c')]);
    expect(run(['--jool.instance= a , b ']).instances).toEqual([own('a'), own('b')]);
    expect(run(['--jool.instance= a@x , b ']).instances).toEqual([inNetns('a', 'x'), own('b')]);
  });

  it('the environment variable takes a comma list', () => {
    expect(run([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'default,alt' }).instances).toEqual([own('default'), own('alt')]);
    expect(run([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'default,alt@x64' }).instances).toEqual([own('default'), inNetns('alt', 'x64')]);
  });

  it('the flag replaces (not extends) the variable', () => {
    expect(run(['--jool.instance=x'], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'default,alt' }).instances).toEqual([own('x')]);
    const config = run(['--jool.instance=x'], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: '*' });
    expect(config.discover).toBe(false);
    expect(config.instances).toEqual([own('x')]);
  });

  it('accepts names at Jool\'s limits: 15 characters, any printable ASCII (but "@", which starts a namespace)', () => {
    expect(run(['--jool.instance=abcdefghijklmno']).instances).toEqual([own('abcdefghijklmno')]);
    expect(run(['--jool.instance=a b~!#$%^&*()']).instances).toEqual([own('a b~!#$%^&*()')]);
    // The 15-character limit is on the name, not on NAME@NETNS.
    expect(run(['--jool.instance=abcdefghijklmno@a-long-namespace-name']).instances).toEqual([
      inNetns('abcdefghijklmno', 'a-long-namespace-name'),
    ]);
  });

  it.each([
    ['--jool.instance=abcdefghijklmnop', /15 characters/],
    ['--jool.instance=', /empty/],
    ['--jool.instance=a,,b', /empty/],
    ['--jool.instance=a,', /empty/],
    ['--jool.instance=caf\u00e9', /character/],
    ['--jool.instance=a\tb', /character/],
    ['--jool.instance=@x64', /empty/],
    ['--jool.instance=abcdefghijklmnop@x64', /15 characters/],
    ['--jool.instance=a@', /"" is not a network namespace name/],
    ['--jool.instance=a@.', /"\." is not a network namespace name/],
    ['--jool.instance=a@..', /"\.\." is not a network namespace name/],
    ['--jool.instance=a@x/y', /"x\/y" is not a network namespace name/],
    ['--jool.instance=a@/run/netns/x', /is not a network namespace name/],
  ])('%j is refused', (flag, message) => {
    const e = configError([flag]);
    // The message names the flag (and since NAME@NETNS, the value given) and says why.
    expect(e.message).toMatch(/^--jool\.instance[=:]/);
    // A comma list names the element at fault (`--jool.instance=: ...` for an empty one); a value
    // with unprintable or non-ASCII characters is echoed JSON-quoted, so the message stays one line.
    const value = flag.slice('--jool.instance='.length);
    const echoed = /^[\x21-\x7e]*$/.test(value) ? value : JSON.stringify(value);
    if (!flag.includes(',')) expect(e.message.startsWith(`--jool.instance=${echoed}: `)).toBe(true);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });

  it('a name given twice is refused', () => {
    expect(configError(['--jool.instance=a', '--jool.instance=a']).message).toMatch(/^--jool\.instance: "a" is given twice$/);
    expect(configError([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'a,b, a' }).message).toMatch(/twice/);
  });

  it('duplicates are by NAME@NETNS: the same name in two namespaces is two instances', () => {
    expect(configError(['--jool.instance=a@x', '--jool.instance=a@x']).message).toMatch(/^--jool\.instance: "a@x" is given twice$/);
    expect(configError(['--jool.instance=a@x,b, a@x ']).message).toMatch(/"a@x" is given twice/);
    expect(run(['--jool.instance=a', '--jool.instance=a@x']).instances).toEqual([own('a'), inNetns('a', 'x')]);
    expect(run(['--jool.instance=a@x,a@y']).instances).toEqual([inNetns('a', 'x'), inNetns('a', 'y')]);
    expect(run(['--jool.instance=a@x,b@x']).instances).toEqual([inNetns('a', 'x'), inNetns('b', 'x')]);
  });

  it("NAME@NETNS: jool's name, and the namespace to run jool in", () => {
    const config = run(['--jool.instance=alt@x64']);
    expect(config.instances).toStrictEqual([{ key: 'alt@x64', name: 'alt', netns: 'x64' }]);
    expect(config.discover).toBe(false);
    expect(run(['--jool.instance=default']).instances).toStrictEqual([{ key: 'default', name: 'default', netns: undefined }]);
  });

  it('* discovers, and is not itself an instance', () => {
    expect(run(['--jool.instance=*'])).toMatchObject({ discover: true, instances: [], netns: [] });
    expect(run(['--jool.instance', '*'])).toMatchObject({ discover: true, instances: [] });
    expect(run([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: '*' })).toMatchObject({ discover: true, instances: [] });
    expect(run(['--jool.instance= * '])).toMatchObject({ discover: true, instances: [] });
    // With named instances too: those are polled besides the discovered ones.
    expect(run(['--jool.instance=*,alt@x64', '--jool.instance=b'])).toMatchObject({
      discover: true,
      instances: [inNetns('alt', 'x64'), own('b')],
    });
    expect(run(['--jool.instance=a']).discover).toBe(false);
  });

  it('no instance at all is refused, naming the flag', () => {
    const e = configError([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: '' });
    expect(e.message).toMatch(/^--jool\.instance: /);
    expect(e.message).toMatch(/at least one/);
  });

  it('a refusal stays one line whatever the value holds', () => {
    // Before NAME@NETNS the refusal quoted the name (JSON), so a newline in it stayed "\n".
    for (const value of ['a\nb', 'a@x\n/']) {
      const e = configError([`--jool.instance=${value}`]);
      expect(e.message).toMatch(/^--jool\.instance/);
      expect(e.message).not.toContain('\n');
    }
  });
});

describe('--jool.netns', () => {
  it('is empty unless given', () => {
    expect(run([]).netns).toEqual([]);
    expect(run(['--jool.instance=*']).netns).toEqual([]);
  });

  it('is repeatable, takes comma lists, trimmed, with --jool.instance=*', () => {
    expect(run(['--jool.instance=*', '--jool.netns=a', '--jool.netns', 'b']).netns).toEqual(['a', 'b']);
    expect(run(['--jool.instance=*', '--jool.netns=a, b', '--jool.netns=c']).netns).toEqual(['a', 'b', 'c']);
  });

  it('the environment variable takes a comma list; the flag replaces it', () => {
    const env = { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: '*', JOOL_SESSION_EXPORTER_JOOL_NETNS: 'x64,ns-2' };
    expect(run([], env)).toMatchObject({ discover: true, netns: ['x64', 'ns-2'] });
    expect(run(['--jool.netns=y'], env).netns).toEqual(['y']);
  });

  it.each([[['--jool.netns=x64']], [['--jool.netns=x64', '--jool.instance=a']], [['--jool.netns=x64', '--jool.instance=a@x64']]])(
    'without --jool.instance=* is refused: %j',
    (argv) => {
      const e = configError(argv);
      expect(e.message).toMatch(/^--jool\.netns /);
      expect(e.message).toMatch(/--jool\.instance=\*/);
      expect(e.message).toMatch(/NAME@NETNS/);
      expect(e.message).not.toContain('\n');
    },
  );

  it('the variable without * is refused like the flag', () => {
    expect(configError([], { JOOL_SESSION_EXPORTER_JOOL_NETNS: 'x64' }).message).toMatch(/--jool\.netns.*--jool\.instance=\*/);
  });

  it.each(['', '.', '..', 'x/y', '/run/netns/x'])('%j is not a namespace name', (name) => {
    const e = configError(['--jool.instance=*', `--jool.netns=${name}`]);
    expect(e.message).toMatch(/^--jool\.netns: /);
    expect(e.message).toContain(`"${name}" is not a network namespace name`);
    expect(e.message).not.toContain('\n');
  });

  it('a refusal stays one line whatever the value holds', () => {
    const e = configError(['--jool.instance=*', '--jool.netns=a\n/b']);
    expect(e.message).toMatch(/^--jool\.netns/);
    expect(e.message).not.toContain('\n');
  });
});

describe('--clients.prefix-length and --clients.top', () => {
  it.each([0, 1, 48, 56, 64, 128])('--clients.prefix-length=%i', (length) => {
    expect(run([`--clients.prefix-length=${length}`]).clients).toEqual({ prefixLength: length, top: 10 });
  });

  it.each([0, 1, 10, 1000])('--clients.top=%i', (top) => {
    expect(run([`--clients.top=${top}`]).clients).toEqual({ prefixLength: 128, top });
  });

  it('come from their variables, and a flag beats its variable', () => {
    const env = { JOOL_SESSION_EXPORTER_CLIENTS_PREFIX_LENGTH: '56', JOOL_SESSION_EXPORTER_CLIENTS_TOP: '20' };
    expect(run([], env).clients).toEqual({ prefixLength: 56, top: 20 });
    expect(run(['--clients.prefix-length=64'], env).clients).toEqual({ prefixLength: 64, top: 20 });
    expect(run(['--clients.top=0'], env).clients).toEqual({ prefixLength: 56, top: 0 });
  });

  it.each([
    ['clients.prefix-length', '129', 128],
    ['clients.prefix-length', '-1', 128],
    ['clients.prefix-length', '5.5', 128],
    ['clients.prefix-length', 'abc', 128],
    ['clients.prefix-length', '', 128],
    ['clients.prefix-length', '1e2', 128],
    ['clients.prefix-length', ' 64', 128],
    ['clients.prefix-length', '0x40', 128],
    ['clients.top', '1001', 1000],
    ['clients.top', '-1', 1000],
    ['clients.top', '2.5', 1000],
    ['clients.top', 'ten', 1000],
    ['clients.top', '', 1000],
  ])('--%s=%j is refused', (name, value, max) => {
    const e = configError([`--${name}=${value}`]);
    const echoed = /^[\x21-\x7e]*$/.test(value as string) ? value : JSON.stringify(value);
    expect(e.message).toBe(`--${name}=${echoed}: must be a whole number from 0 to ${max}`);
  });

  it('an invalid variable is refused like the flag', () => {
    expect(configError([], { JOOL_SESSION_EXPORTER_CLIENTS_PREFIX_LENGTH: '129' }).message).toMatch(/^--clients\.prefix-length=129: /);
    expect(configError([], { JOOL_SESSION_EXPORTER_CLIENTS_TOP: '1001' }).message).toMatch(/^--clients\.top=1001: /);
  });
});

describe('--destinations.top', () => {
  it.each([0, 1, 10, 1000])('--destinations.top=%i', (top) => {
    expect(run([`--destinations.top=${top}`]).destinationsTop).toBe(top);
  });

  it.each(['1001', '-1', 'ten', ''])('--destinations.top=%j is refused', (value) => {
    expect(configError([`--destinations.top=${value}`]).message).toMatch(/^--destinations\.top=.*: must be a whole number from 0 to 1000$/);
  });

  it('has a variable too', () => {
    expect(run([], { JOOL_SESSION_EXPORTER_DESTINATIONS_TOP: '3' }).destinationsTop).toBe(3);
  });
});

describe('environment variables', () => {
  it('are named JOOL_SESSION_EXPORTER_ + the flag, upper-cased, dots and dashes as underscores', () => {
    expect(envName('web.listen-address')).toBe('JOOL_SESSION_EXPORTER_WEB_LISTEN_ADDRESS');
    expect(envName('jool.instance')).toBe('JOOL_SESSION_EXPORTER_JOOL_INSTANCE');
    expect(envName('log.level')).toBe('JOOL_SESSION_EXPORTER_LOG_LEVEL');
    expect(envName('jool.netns')).toBe('JOOL_SESSION_EXPORTER_JOOL_NETNS');
    expect(envName('clients.prefix-length')).toBe('JOOL_SESSION_EXPORTER_CLIENTS_PREFIX_LENGTH');
    expect(envName('clients.top')).toBe('JOOL_SESSION_EXPORTER_CLIENTS_TOP');
  });

  it('set every flag', () => {
    expect(
      run([], {
        JOOL_SESSION_EXPORTER_SOURCE: 'demo',
        JOOL_SESSION_EXPORTER_JOOL_PATH: '/opt/jool',
        JOOL_SESSION_EXPORTER_JOOL_INSTANCE: '*,alt@x64',
        JOOL_SESSION_EXPORTER_JOOL_NETNS: 'ns1,ns2',
        JOOL_SESSION_EXPORTER_JOOL_DIALECT: '4',
        JOOL_SESSION_EXPORTER_CLIENTS_PREFIX_LENGTH: '48',
        JOOL_SESSION_EXPORTER_CLIENTS_TOP: '1000',
        JOOL_SESSION_EXPORTER_DESTINATIONS_TOP: '7',
        JOOL_SESSION_EXPORTER_JOOL_TIMEOUT: '5s',
        JOOL_SESSION_EXPORTER_POLL_INTERVAL: '1m',
        JOOL_SESSION_EXPORTER_WEB_LISTEN_ADDRESS: '[::]:9000',
        JOOL_SESSION_EXPORTER_WEB_TELEMETRY_PATH: '/m',
        JOOL_SESSION_EXPORTER_LOG_LEVEL: 'warn',
        JOOL_SESSION_EXPORTER_LOG_FORMAT: 'json',
        JOOL_SESSION_EXPORTER_WEB_CONFIG_FILE: 'web.yml',
        JOOL_SESSION_EXPORTER_WEB_DISABLE_SESSIONS_CSV: 'TRUE',
        JOOL_SESSION_EXPORTER_POLL_MAX_ROWS: '123',
        JOOL_SESSION_EXPORTER_WEB_SESSIONS_CSV_MAX_CONCURRENT: '3',
        JOOL_SESSION_EXPORTER_POLL_DISABLE_TABLE_WORKER: 'true',
      }),
    ).toEqual({
      source: 'demo',
      joolPath: '/opt/jool',
      instances: [inNetns('alt', 'x64')],
      discover: true,
      netns: ['ns1', 'ns2'],
      dialect: 4,
      clients: { prefixLength: 48, top: 1000 },
      destinationsTop: 7,
      timeoutMs: 5000,
      maxRows: 123,
      pollIntervalMs: 60_000,
      disableTableWorker: true,
      listen: { host: '::', port: 9000 },
      listenAddress: '[::]:9000',
      telemetryPath: '/m',
      sessionsCsvMaxConcurrent: 3,
      disableExporterMetrics: false,
      logLevel: 'warn',
      logFormat: 'json',
      webConfigFile: 'web.yml',
      disableSessionsCsv: true,
    });
  });

  it('a flag beats its variable', () => {
    const env = { JOOL_SESSION_EXPORTER_LOG_LEVEL: 'debug', JOOL_SESSION_EXPORTER_POLL_INTERVAL: '1m' };
    const config = run(['--log.level=error', '--poll.interval=5s'], env);
    expect(config.logLevel).toBe('error');
    expect(config.pollIntervalMs).toBe(5000);
    // ...and the variable still applies where there is no flag.
    expect(run(['--log.level=error'], env).pollIntervalMs).toBe(60_000);
  });

  it('an invalid variable is refused like the flag', () => {
    expect(configError([], { JOOL_SESSION_EXPORTER_LOG_LEVEL: 'loud' }).message).toMatch(/log\.level.*loud/);
    expect(configError([], { JOOL_SESSION_EXPORTER_POLL_INTERVAL: '15' }).message).toMatch(/poll\.interval/);
  });

  it('every flag is documented in usage() with its variable and default', () => {
    const text = usage();
    for (const flag of FLAGS) {
      expect(text).toContain(flag.boolean ? `--${flag.name}\n` : `--${flag.name}=`);
      expect(text).toContain(flag.boolean === true ? `--${flag.name}\n` : `--${flag.name}=`);
      expect(text).toContain(envName(flag.name));
    }
    expect(text).toContain('--help');
    expect(text).toContain('--version');
  });

  it('usage() lists the new flags with their defaults and variables', () => {
    const lines = usage().split('\n');
    const block = (flag: string) => {
      const at = lines.findIndex((line) => line.trim().startsWith(`--${flag}=VALUE`));
      expect(at, flag).toBeGreaterThanOrEqual(0);
      return lines.slice(at, at + 3).join('\n');
    };
    const netns = block('jool.netns');
    expect(netns).toContain('--jool.netns=VALUE ...');
    expect(netns).toContain('Default: none. Environment: JOOL_SESSION_EXPORTER_JOOL_NETNS.');
    expect(netns).toMatch(/--jool\.instance=\*/);
    const instance = block('jool.instance');
    expect(instance).toContain('--jool.instance=VALUE ...');
    expect(instance).toContain('NAME@NETNS');
    expect(instance).toContain('*');
    expect(instance).toContain('Default: "default". Environment: JOOL_SESSION_EXPORTER_JOOL_INSTANCE.');
    expect(block('clients.prefix-length')).toContain('Default: "128". Environment: JOOL_SESSION_EXPORTER_CLIENTS_PREFIX_LENGTH.');
    expect(block('clients.top')).toContain('Default: "10". Environment: JOOL_SESSION_EXPORTER_CLIENTS_TOP.');
    expect(block('clients.top')).not.toContain('...');
  });
});

describe('invalid values', () => {
  it.each([
    [['--source=kernel'], /--source=kernel: must be one of jool, demo/],
    [['--jool.dialect=5'], /--jool\.dialect=5: must be one of auto, 3, 4/],
    [['--log.level=trace'], /--log\.level=trace: must be one of/],
    [['--log.format=text'], /--log\.format=text/],
    [['--jool.timeout=0s'], /--jool\.timeout must be longer than 0s/],
    [['--poll.max-rows=0'], /--poll\.max-rows=0: must be a whole number from 1 to 1000000000/],
    [['--poll.max-rows=-5'], /--poll\.max-rows/],
    [['--web.sessions-csv.max-concurrent=0'], /--web\.sessions-csv\.max-concurrent=0: must be a whole number from 1 to 1000/],
    [['--poll.interval=0ms'], /--poll\.interval must be longer than 0s/],
    [['--poll.interval=15'], /--poll\.interval: invalid duration "15"/],
    [['--jool.timeout=1.5s'], /--jool\.timeout: invalid duration/],
    [['--jool.timeout='], /--jool\.timeout: invalid duration/],
    [['--web.telemetry-path=metrics'], /--web\.telemetry-path=metrics: must start with "\/"/],
    [['--web.telemetry-path=/'], /telemetry-path/],
    [['--web.telemetry-path=/healthz'], /telemetry-path/],
    [['--web.telemetry-path=/readyz'], /telemetry-path/],
    [['--web.telemetry-path=/sessions.csv'], /telemetry-path/],
    [['--jool.path='], /--jool\.path must not be empty/],
    [['--web.listen-address=9812'], /--web\.listen-address=9812: expected \[host\]:port/],
    [['--web.listen-address=:65536'], /--web\.listen-address=:65536/],
    [['--nope'], /nope/],
    [['--log.level'], /log\.level/], // missing value
    [['positional'], /positional/i],
    [['--help=yes'], /help/],
    [['--clients.prefix-length=129'], /--clients\.prefix-length=129: must be a whole number from 0 to 128/],
    [['--clients.top=1001'], /--clients\.top=1001: must be a whole number from 0 to 1000/],
    [['--jool.netns=x'], /--jool\.netns is for --jool\.instance=\*/],
    [['--jool.instance=*', '--jool.netns=..'], /--jool\.netns: "\.\." is not a network namespace name/],
    [['--jool.instance=a@..'], /--jool\.instance=a@\.\.: "\.\." is not a network namespace name/],
    [['--clients.top'], /clients\.top/], // missing value
  ] as Array<[string[], RegExp]>)('%j', (argv, message) => {
    const e = configError(argv);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n'); // one line, for the log
  });
});

describe('--help and --version', () => {
  it('return their kind, before validating other flags', () => {
    expect(parseCommandLine(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h'], {})).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCommandLine(['--log.level=nope', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'], { JOOL_SESSION_EXPORTER_LOG_LEVEL: 'nope' })).toEqual({ kind: 'version' });
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':9812', undefined, 9812],
    ['127.0.0.1:9812', '127.0.0.1', 9812],
    ['0.0.0.0:80', '0.0.0.0', 80],
    ['[::1]:9812', '::1', 9812],
    ['[::]:9812', '::', 9812],
    ['[2001:db8::1]:1', '2001:db8::1', 1],
    ['localhost:9812', 'localhost', 9812],
    ['exporter.example.com:65535', 'exporter.example.com', 65535],
    [':0', undefined, 0],
  ])('%s', (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ host, port });
  });

  it.each([
    '',
    '9812',
    ':',
    ':65536',
    ':99999',
    ':123456',
    ':-1',
    ':98a2',
    '::1:9812',
    '[::1]',
    '[::1]9812',
    '[]:9812',
    '[::1:9812',
    '::1]:9812',
    'host:',
    'host: 9812',
    'a:b:9812',
    '127.0.0.1:9812 ',
  ])('%j is refused', (text) => {
    expect(() => parseListenAddress(text)).toThrow(ConfigError);
    expect(() => parseListenAddress(text)).toThrow(/expected \[host\]:port/);
  });
});

describe('--web.config.file and --web.disable-sessions-csv', () => {
  it('take a path and a switch, or their variables', () => {
    expect(run(['--web.config.file=/etc/web.yml']).webConfigFile).toBe('/etc/web.yml');
    expect(run([], { JOOL_SESSION_EXPORTER_WEB_CONFIG_FILE: 'web.yml' }).webConfigFile).toBe('web.yml');
    expect(run(['--web.disable-sessions-csv']).disableSessionsCsv).toBe(true);
    expect(run([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_SESSIONS_CSV: 'true' }).disableSessionsCsv).toBe(true);
    expect(run([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_SESSIONS_CSV: '0' }).disableSessionsCsv).toBe(false);
  });

  it('the switch takes no value and its variable only true or false', () => {
    expect(configError(['--web.disable-sessions-csv=yes']).message).toMatch(/does not take an argument/);
    expect(configError([], { JOOL_SESSION_EXPORTER_WEB_DISABLE_SESSIONS_CSV: 'maybe' }).message).toMatch(
      /WEB_DISABLE_SESSIONS_CSV.*true or false/,
    );
  });
});
