import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htpasswdHash, makePki, type Pki } from './support/certs.js';
import { CI, findBinary, freePort, MAIN, type Started, startProcess, stopProcess, tail, waitUntil } from './support/processes.js';

const PROMETHEUS = findBinary('prometheus', process.env.PROMETHEUS_BIN);
if (PROMETHEUS === undefined) {
  console.warn(
    `!!! test/prometheus-tls.test.ts: prometheus not found: scraping over HTTPS with basic_auth is NOT TESTED${CI ? ' (CI: failing)' : ''}. apt-get install -y --no-install-recommends prometheus`,
  );
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
