/**
 * A real Prometheus scrapes the built exporter over HTTPS, with basic_auth and a client
 * certificate (tls_config), the way docs/security.md tells operators to: the target is up. Two
 * controls make the test able to fail: the same target without credentials, and with a CA that
 * does not sign the exporter's certificate, are down with the reason Prometheus gives.
 *
 * Needs /usr/bin/prometheus (Debian package prometheus; PROMETHEUS_BIN overrides), like
 * test/prometheus.test.ts: skipped loudly without it, failed under CI.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htpasswdHash, makePki, type Pki } from './support/certs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/main.js');
const CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

function findPrometheus(): string | undefined {
  for (const candidate of [process.env.PROMETHEUS_BIN, '/usr/bin/prometheus'].filter((c): c is string => !!c)) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}
const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) {
  console.warn(
    `!!! test/prometheus-tls.test.ts: prometheus not found: scraping over HTTPS with basic_auth is NOT TESTED${CI ? ' (CI: failing)' : ''}. apt-get install -y --no-install-recommends prometheus`,
  );
}

interface Started {
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function startProcess(command: string, args: string[], log: string): Started {
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], cwd: ROOT });
  closeSync(fd);
  return { child, log, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
}

async function stopProcess(started: Started | undefined): Promise<void> {
  if (started?.child.pid === undefined || started.child.exitCode !== null || started.child.signalCode !== null) return;
  try {
    process.kill(-started.child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
  if ((await Promise.race([started.exited, timeout])) === 'timeout') {
    try {
      process.kill(-started.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, diagnostics: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ''}\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Target {
  labels: { job: string };
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

describe.skipIf(PROMETHEUS === undefined && !CI)('a real Prometheus scraping over HTTPS with basic_auth and a client certificate', () => {
  let dir: string;
  let pki: Pki;
  let exporter: Started | undefined;
  let prometheus: Started | undefined;
  let targets: Map<string, Target>;
  const tail = (file: string) => readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  const diagnostics = () =>
    `--- exporter\n${exporter ? tail(exporter.log) : ''}\n--- prometheus\n${prometheus ? tail(prometheus.log) : ''}`;

  beforeAll(async () => {
    if (PROMETHEUS === undefined)
      throw new Error('prometheus not found and CI is set: apt-get install -y --no-install-recommends prometheus');
    dir = mkdtempSync(join(tmpdir(), 'jool-prometheus-tls-'));
    pki = makePki(dir);
    const password = 'correct horse battery staple';
    writeFileSync(join(dir, 'password'), password);
    // The exporter's side: the example of docs/security.md, with a hash made by htpasswd.
    writeFileSync(
      join(dir, 'web.yml'),
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: ca.crt',
        'http_server_config:',
        '  headers:',
        '    Strict-Transport-Security: max-age=31536000',
        'basic_auth_users:',
        `  prometheus: '${htpasswdHash('prometheus', password)}'`,
        '',
      ].join('\n'),
    );
    exporter = startProcess(
      process.execPath,
      [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=1s', `--web.config.file=${join(dir, 'web.yml')}`],
      join(dir, 'exporter.log'),
    );
    const exporterPort = await waitUntil(
      'exporter listening',
      async () => /msg=listening address=127\.0\.0\.1:(\d+)/.exec(readFileSync(exporter!.log, 'utf8'))?.[1],
      15_000,
      diagnostics,
    );

    const port = await freePort();
    const job = (name: string, lines: string[]) => [
      `  - job_name: ${name}`,
      '    scheme: https',
      ...lines,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${exporterPort}']`,
    ];
    const clientCert = [`      cert_file: ${pki.clientCert}`, `      key_file: ${pki.clientKey}`];
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        ...job('jool', [
          '    tls_config:',
          `      ca_file: ${pki.caCert}`,
          ...clientCert,
          '    basic_auth:',
          '      username: prometheus',
          `      password_file: ${join(dir, 'password')}`,
        ]),
        ...job('no-credentials', ['    tls_config:', `      ca_file: ${pki.caCert}`, ...clientCert]),
        ...job('wrong-ca', [
          '    tls_config:',
          `      ca_file: ${join(dir, 'other-ca.crt')}`,
          ...clientCert,
          '    basic_auth:',
          '      username: prometheus',
          `      password_file: ${join(dir, 'password')}`,
        ]),
        '',
      ].join('\n'),
    );
    prometheus = startProcess(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      join(dir, 'prometheus.log'),
    );
    targets = await waitUntil(
      'every target scraped',
      async () => {
        if (prometheus!.child.exitCode !== null) throw new Error(`prometheus exited with ${prometheus!.child.exitCode}`);
        const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } };
        const active = body.data.activeTargets;
        if (active.length < 3 || active.some((t) => t.health === 'unknown') || active.find((t) => t.labels.job === 'jool')?.health !== 'up')
          return undefined;
        return new Map(active.map((t) => [t.labels.job, t]));
      },
      30_000,
      diagnostics,
    );
  }, 60_000);

  afterAll(async () => {
    await stopProcess(prometheus);
    await stopProcess(exporter);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the target is up over https, with basic_auth and tls_config', () => {
    const jool = targets.get('jool')!;
    expect(jool.scrapeUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(jool.health).toBe('up');
    expect(jool.lastError).toBe('');
  });

  it('without credentials the same target is down: 401', () => {
    const target = targets.get('no-credentials')!;
    expect(target.health).toBe('down');
    expect(target.lastError).toMatch(/401/);
  });

  it('with a CA that did not sign the certificate, the target is down: the certificate is not trusted', () => {
    const target = targets.get('wrong-ca')!;
    expect(target.health).toBe('down');
    expect(target.lastError).toMatch(/certificate|x509|tls/i);
  });

  it('neither the password nor the Authorization header reaches the exporter log', () => {
    const log = readFileSync(exporter!.log, 'utf8');
    expect(log).not.toContain('correct horse');
    expect(log).not.toContain(Buffer.from('prometheus:correct horse battery staple').toString('base64'));
  });
});
