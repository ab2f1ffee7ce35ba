import { describe, it, expect } from 'vitest';
import { parseCommandLine, parseListenAddress, ConfigError, envName, usage, FLAGS, type Config } from '../../src/config.js';

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
      instances: ['default'],
      dialect: 'auto',
      timeoutMs: 30_000,
      pollIntervalMs: 15_000,
      listen: { host: undefined, port: 9812 },
      listenAddress: ':9812',
      telemetryPath: '/metrics',
      logLevel: 'info',
      logFormat: 'logfmt',
    });
  });

  it('ignores unrelated environment variables', () => {
    expect(run([], { PATH: '/bin', JOOL_SESSION_EXPORTER: 'x', SESSION_EXPORTER_LOG_LEVEL: 'debug' }).logLevel).toBe('info');
  });
});

describe('parseCommandLine: every flag', () => {
  it('as --flag=value', () => {
    expect(run([
      '--source=demo', '--jool.path=/usr/local/bin/jool', '--jool.instance=alt', '--jool.dialect=3',
      '--jool.timeout=2m', '--poll.interval=500ms', '--web.listen-address=127.0.0.1:9100',
      '--web.telemetry-path=/jool/metrics', '--log.level=debug', '--log.format=json',
    ])).toEqual({
      source: 'demo',
      joolPath: '/usr/local/bin/jool',
      instances: ['alt'],
      dialect: 3,
      timeoutMs: 120_000,
      pollIntervalMs: 500,
      listen: { host: '127.0.0.1', port: 9100 },
      listenAddress: '127.0.0.1:9100',
      telemetryPath: '/jool/metrics',
      logLevel: 'debug',
      logFormat: 'json',
    });
  });

  it('as --flag value', () => {
    const config = run(['--jool.dialect', '4', '--poll.interval', '1m', '--web.listen-address', '[::1]:9812', '--log.level', 'error']);
    expect(config.dialect).toBe(4);
    expect(config.pollIntervalMs).toBe(60_000);
    expect(config.listen).toEqual({ host: '::1', port: 9812 });
    expect(config.logLevel).toBe('error');
  });

  it.each(['debug', 'info', 'warn', 'error'])('log level %s', (level) => {
    expect(run([`--log.level=${level}`]).logLevel).toBe(level);
  });
});

describe('--jool.instance', () => {
  it('is repeatable and takes comma lists, trimmed', () => {
    expect(run(['--jool.instance=a', '--jool.instance=b']).instances).toEqual(['a', 'b']);
    expect(run(['--jool.instance=a,b', '--jool.instance', 'c']).instances).toEqual(['a', 'b', 'c']);
    expect(run(['--jool.instance= a , b ']).instances).toEqual(['a', 'b']);
  });

  it('the environment variable takes a comma list', () => {
    expect(run([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'default,alt' }).instances).toEqual(['default', 'alt']);
  });

  it('the flag replaces (not extends) the variable', () => {
    expect(run(['--jool.instance=x'], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'default,alt' }).instances).toEqual(['x']);
  });

  it('accepts names at Jool\'s limits: 15 characters, any printable ASCII', () => {
    expect(run(['--jool.instance=abcdefghijklmno']).instances).toEqual(['abcdefghijklmno']);
    expect(run(['--jool.instance=a b~!@#$%^&*()']).instances).toEqual(['a b~!@#$%^&*()']);
  });

  it.each([
    ['--jool.instance=abcdefghijklmnop', /15 characters/],
    ['--jool.instance=', /empty/],
    ['--jool.instance=a,,b', /empty/],
    ['--jool.instance=a,', /empty/],
    ['--jool.instance=caf\u00e9', /character/],
    ['--jool.instance=a\tb', /character/],
  ])('%j is refused', (flag, message) => {
    const e = configError([flag]);
    expect(e.message).toMatch(/^--jool\.instance: /);
    expect(e.message).toMatch(message);
  });

  it('a name given twice is refused', () => {
    expect(configError(['--jool.instance=a', '--jool.instance=a']).message).toMatch(/"a" is given twice/);
    expect(configError([], { JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'a,b, a' }).message).toMatch(/twice/);
  });
});

describe('environment variables', () => {
  it('are named JOOL_SESSION_EXPORTER_ + the flag, upper-cased, dots and dashes as underscores', () => {
    expect(envName('web.listen-address')).toBe('JOOL_SESSION_EXPORTER_WEB_LISTEN_ADDRESS');
    expect(envName('jool.instance')).toBe('JOOL_SESSION_EXPORTER_JOOL_INSTANCE');
    expect(envName('log.level')).toBe('JOOL_SESSION_EXPORTER_LOG_LEVEL');
  });

  it('set every flag', () => {
    expect(run([], {
      JOOL_SESSION_EXPORTER_SOURCE: 'demo',
      JOOL_SESSION_EXPORTER_JOOL_PATH: '/opt/jool',
      JOOL_SESSION_EXPORTER_JOOL_INSTANCE: 'alt',
      JOOL_SESSION_EXPORTER_JOOL_DIALECT: '4',
      JOOL_SESSION_EXPORTER_JOOL_TIMEOUT: '5s',
      JOOL_SESSION_EXPORTER_POLL_INTERVAL: '1m',
      JOOL_SESSION_EXPORTER_WEB_LISTEN_ADDRESS: '[::]:9000',
      JOOL_SESSION_EXPORTER_WEB_TELEMETRY_PATH: '/m',
      JOOL_SESSION_EXPORTER_LOG_LEVEL: 'warn',
      JOOL_SESSION_EXPORTER_LOG_FORMAT: 'json',
    })).toEqual({
      source: 'demo',
      joolPath: '/opt/jool',
      instances: ['alt'],
      dialect: 4,
      timeoutMs: 5000,
      pollIntervalMs: 60_000,
      listen: { host: '::', port: 9000 },
      listenAddress: '[::]:9000',
      telemetryPath: '/m',
      logLevel: 'warn',
      logFormat: 'json',
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
      expect(text).toContain(`--${flag.name}=`);
      expect(text).toContain(envName(flag.name));
    }
    expect(text).toContain('--help');
    expect(text).toContain('--version');
  });
});

describe('invalid values', () => {
  it.each([
    [['--source=kernel'], /--source=kernel: must be one of jool, demo/],
    [['--jool.dialect=5'], /--jool\.dialect=5: must be one of auto, 3, 4/],
    [['--log.level=trace'], /--log\.level=trace: must be one of/],
    [['--log.format=text'], /--log\.format=text/],
    [['--jool.timeout=0s'], /--jool\.timeout must be longer than 0s/],
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
    '', '9812', ':', ':65536', ':99999', ':123456', ':-1', ':98a2', '::1:9812', '[::1]', '[::1]9812', '[]:9812',
    '[::1:9812', '::1]:9812', 'host:', 'host: 9812', 'a:b:9812', '127.0.0.1:9812 ',
  ])('%j is refused', (text) => {
    expect(() => parseListenAddress(text)).toThrow(ConfigError);
    expect(() => parseListenAddress(text)).toThrow(/expected \[host\]:port/);
  });
});
