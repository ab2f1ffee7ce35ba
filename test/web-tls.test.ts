/**
 * --web.config.file against a real exporter (demo source) and a real TLS client: certificates made
 * by openssl, hashes made by htpasswd ($2y$) and bcryptjs ($2a$, $2b$), every client_auth_type,
 * basic authentication on every protected path, headers, rotation without a restart, and
 * --web.disable-sessions-csv.
 */

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htpasswdHash, issue, makePki, type Pki } from './support/certs.js';
import { type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { type HttpsGet, httpsGet } from './support/https-client.js';

/** A child process run asynchronously: the exporter under test lives in this process and must keep serving. */
function run(
  command: string,
  args: string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 15_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr, missing: error?.code === 'ENOENT' });
    });
    child.stdin?.end(input);
  });
}

let dir: string;
let pki: Pki;
const running: RunningExporter[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jool-web-tls-'));
  pki = makePki(dir);
});
afterAll(async () => {
  await Promise.all(running.map((e) => e.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a web config (YAML text) into the test folder and starts an exporter with it. */
async function exporterWith(name: string, yaml: string, flags: string[] = []): Promise<RunningExporter & { port: number }> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, yaml);
  const exporter = await startTestExporter(['--source=demo', '--poll.interval=1s', `--web.config.file=${file}`, ...flags]);
  running.push(exporter);
  return Object.assign(exporter, { port: exporter.address.port });
}

const tlsOnly = (extra = '') => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;
const mtls = (type: string, extra = '') =>
  tlsOnly(
    `  client_auth_type: ${type}\n${type === 'VerifyClientCertIfGiven' || type === 'RequireAndVerifyClientCert' ? '  client_ca_file: ca.crt\n' : ''}${extra}`,
  );

describe('TLS', () => {
  let exporter: RunningExporter & { port: number };
  beforeAll(async () => {
    exporter = await exporterWith(
      'tls',
      `${tlsOnly()}http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=31536000\n    X-Content-Type-Options: nosniff\n`,
    );
    await waitFor(async () => (await httpsGet({ port: exporter.port, ca: pki.caCert, path: '/readyz' })).status === 200);
  });

  it.each(['127.0.0.1', 'localhost'])('serves /metrics over HTTPS, the certificate verified for %s', async (host) => {
    const answer = await httpsGet({
      port: exporter.port,
      host,
      ca: pki.caCert,
      ...(host === 'localhost' ? { servername: 'localhost' } : {}),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('jool_sessions{');
    expect(answer.peer.subject.CN).toBe('jool-exporter-test');
    expect(answer.protocol).toBe('TLSv1.3');
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a client that does not trust the CA refuses the certificate', async () => {
    await expect(httpsGet({ port: exporter.port })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${exporter.port}/metrics`)).rejects.toThrow();
    const curl = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${exporter.port}/metrics`]);
    if (!curl.missing) {
      expect(curl.code).not.toBe(0);
      expect(curl.code).not.toBe(28); // 28: curl's timeout, which would prove nothing
      expect(curl.stdout).not.toContain('jool_sessions');
      // And curl over HTTPS, verifying against the CA, gets in.
      const ok = await run('curl', ['-sS', '--max-time', '10', '--cacert', pki.caCert, `https://127.0.0.1:${exporter.port}/metrics`]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('jool_sessions');
    }
  });

  it('openssl s_client verifies the chain, with TLS 1.3 and with TLS 1.2', async () => {
    for (const [flag, protocol] of [
      ['-tls1_3', 'TLSv1.3'],
      ['-tls1_2', 'TLSv1.2'],
    ] as const) {
      const result = await run('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${exporter.port}`,
        '-CAfile',
        pki.caCert,
        '-verify_return_error',
        flag,
      ]);
      expect(result.stdout, result.stderr).toContain('Verify return code: 0 (ok)');
      expect(result.stdout + result.stderr).toContain(protocol);
    }
  });

  it('min_version is enforced: TLS13 refuses a TLS 1.2 client', async () => {
    const strict = await exporterWith('tls13', tlsOnly('  min_version: TLS13\n'));
    await expect(httpsGet({ port: strict.port, ca: pki.caCert, tls: { maxVersion: 'TLSv1.2' } })).rejects.toThrow();
    expect((await httpsGet({ port: strict.port, ca: pki.caCert })).protocol).toBe('TLSv1.3');
  });

  it('cipher_suites (Go names) limit TLS 1.2 and leave TLS 1.3 as it is, as in Go', async () => {
    const suites = await exporterWith(
      'ciphers',
      tlsOnly(
        '  max_version: TLS13\n  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n  curve_preferences: [X25519, CurveP256]\n',
      ),
    );
    const tls12 = await httpsGet({ port: suites.port, ca: pki.caCert, tls: { maxVersion: 'TLSv1.2' } });
    expect(tls12.cipher).toBe('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    await expect(
      httpsGet({ port: suites.port, ca: pki.caCert, tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } }),
    ).rejects.toThrow();
    expect((await httpsGet({ port: suites.port, ca: pki.caCert })).protocol).toBe('TLSv1.3');
  });
});

describe("client certificates, as Go's client_auth_type", () => {
  const cases: [string, { none: boolean; stranger: boolean; trusted: boolean }][] = [
    ['NoClientCert', { none: true, stranger: true, trusted: true }],
    ['RequestClientCert', { none: true, stranger: true, trusted: true }],
    ['RequireAnyClientCert', { none: false, stranger: true, trusted: true }],
    ['VerifyClientCertIfGiven', { none: true, stranger: false, trusted: true }],
    ['RequireAndVerifyClientCert', { none: false, stranger: false, trusted: true }],
  ];
  it.each(cases)('%s', async (type, accepts) => {
    const exporter = await exporterWith(`auth-${type}`, mtls(type));
    const attempt = async (extra: Partial<HttpsGet>) => {
      try {
        return (await httpsGet({ port: exporter.port, ca: pki.caCert, path: '/healthz', ...extra })).status === 200;
      } catch {
        return false; // handshake alert, or the connection closed right after the handshake
      }
    };
    expect(await attempt({})).toBe(accepts.none);
    expect(await attempt({ cert: pki.strangerCert, key: pki.strangerKey })).toBe(accepts.stranger);
    expect(await attempt({ cert: pki.clientCert, key: pki.clientKey })).toBe(accepts.trusted);
    if (!accepts.none) expect(exporter.logs.join('\n')).toMatch(/TLS connection refused|handshake/);
  });

  it('client_allowed_sans: a verified certificate with no listed SAN is refused', async () => {
    const listed = await exporterWith(
      'sans-ok',
      mtls('RequireAndVerifyClientCert', '  client_allowed_sans: ["spiffe://test/prometheus"]\n'),
    );
    const unlisted = await exporterWith(
      'sans-no',
      mtls('RequireAndVerifyClientCert', '  client_allowed_sans: ["someone.else.example", "127.0.0.1"]\n'),
    );
    const get = (port: number) => httpsGet({ port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, path: '/healthz' });
    expect((await get(listed.port)).status).toBe(200);
    await expect(get(unlisted.port)).rejects.toThrow();
    expect(unlisted.logs.join('\n')).toContain('no SAN in client_allowed_sans');
  });
});

describe('basic authentication', () => {
  const PROTECTED = ['/', '/metrics', '/readyz', '/sessions.csv', '/sessions.csv?protocol=tcp&limit=1', '/nothing-here'];
  let exporter: RunningExporter & { port: number };
  beforeAll(async () => {
    const y = htpasswdHash('yvonne', 'from htpasswd');
    expect(y).toMatch(/^\$2y\$10\$/);
    const b = bcrypt.hashSync('from bcryptjs', 10);
    expect(b).toMatch(/^\$2b\$10\$/);
    // $2a$ and $2b$ differ only for passwords of 255 bytes and more: other tools' $2a$ hashes look like this.
    const a = bcrypt.hashSync('the a one', 4).replace(/^\$2b\$/, '$2a$');
    exporter = await exporterWith('users', `${tlsOnly()}basic_auth_users:\n  yvonne: '${y}'\n  bea: '${b}'\n  alfred: '${a}'\n`);
  });

  it.each(PROTECTED)('%s: 401 with WWW-Authenticate without credentials and with wrong ones', async (path) => {
    for (const auth of [undefined, 'yvonne:wrong', 'nobody:from htpasswd', 'bea:from htpasswd']) {
      const answer = await httpsGet({ port: exporter.port, ca: pki.caCert, path, ...(auth ? { auth } : {}) });
      expect(answer.status, `${path} ${auth}`).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Basic realm="jool-session-exporter", charset="UTF-8"');
      expect(answer.body).not.toContain('jool');
    }
  });

  it.each([
    ['yvonne', 'from htpasswd', '$2y$'],
    ['bea', 'from bcryptjs', '$2b$'],
    ['alfred', 'the a one', '$2a$'],
  ])('%s (%s hash) gets in', async (user, password) => {
    await waitFor(
      async () => (await httpsGet({ port: exporter.port, ca: pki.caCert, path: '/readyz', auth: `${user}:${password}` })).status === 200,
    );
    for (const path of ['/', '/metrics', '/sessions.csv?limit=1']) {
      expect((await httpsGet({ port: exporter.port, ca: pki.caCert, path, auth: `${user}:${password}` })).status, path).toBe(200);
    }
  });

  it('/healthz stays open for health checks', async () => {
    expect((await httpsGet({ port: exporter.port, ca: pki.caCert, path: '/healthz' })).status).toBe(200);
  });

  it('never logs a password or the Authorization header', () => {
    const logs = exporter.logs.join('\n');
    for (const secret of [
      'from htpasswd',
      'from bcryptjs',
      'the a one',
      'wrong',
      Buffer.from('yvonne:wrong').toString('base64'),
      '$2y$',
      '$2b$',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });

  it('works over plain HTTP too (no tls_server_config), as with the toolkit', async () => {
    const plain = await exporterWith('plain-auth', `basic_auth_users:\n  u: '${bcrypt.hashSync('p', 4)}'\n`);
    expect((await plain.get('/metrics')).status).toBe(401);
    expect((await plain.get('/metrics', { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` })).status).toBe(200);
  });

  it('rate_limit answers 429 past the burst, but not /healthz', async () => {
    const limited = await exporterWith('rate', 'rate_limit:\n  interval: 1h\n  burst: 2\n');
    expect((await limited.get('/readyz')).status).not.toBe(429);
    expect((await limited.get('/readyz')).status).not.toBe(429);
    const third = await limited.get('/metrics');
    expect(third.status).toBe(429);
    expect((await limited.get('/healthz')).status).toBe(200);
  });
});

describe('certificate rotation', () => {
  it('a new certificate on disk is served without a restart; a broken one is refused and logged', async () => {
    const rot = join(dir, 'rot');
    mkdirSync(rot);
    copyFileSync(pki.serverCert, join(rot, 'server.crt'));
    copyFileSync(pki.serverKey, join(rot, 'server.key'));
    const exporter = await exporterWith('rot/web', tlsOnly());
    const cn = async () => (await httpsGet({ port: exporter.port, ca: pki.caCert, path: '/healthz' })).peer.subject.CN;
    expect(await cn()).toBe('jool-exporter-test');

    const renewed = issue(dir, 'ca', 'renewed', 'jool-exporter-renewed', 'IP:127.0.0.1', 'serverAuth');
    copyFileSync(renewed.cert, join(rot, 'server.crt'));
    copyFileSync(renewed.key, join(rot, 'server.key'));
    await waitFor(async () => (await cn()) === 'jool-exporter-renewed');
    expect(exporter.logs.join('\n')).toContain('web config reloaded');

    // A key that does not match: the renewed certificate stays in force, and the error is logged.
    copyFileSync(pki.clientKey, join(rot, 'server.key'));
    await waitFor(() => exporter.logs.some((line) => line.includes('web config reload failed')));
    expect(exporter.logs.join('\n')).toMatch(/reload failed.*key_file/);
    expect(await cn()).toBe('jool-exporter-renewed');
  });
});

describe('configuration changes while running', () => {
  it('users, client authentication and headers change without a restart; HTTP to HTTPS needs one', async () => {
    const live = join(dir, 'live');
    mkdirSync(live);
    for (const name of ['server.crt', 'server.key', 'ca.crt']) copyFileSync(join(dir, name), join(live, name));
    const before = `basic_auth_users:\n  u: '${bcrypt.hashSync('old', 4)}'\n`;
    const exporter = await exporterWith('live/web', tlsOnly() + before);
    const get = (extra: Partial<HttpsGet>) =>
      httpsGet({ port: exporter.port, ca: pki.caCert, path: '/readyz', ...extra }).then(
        (a) => a,
        () => undefined,
      );
    expect((await get({ auth: 'u:old' }))?.status).not.toBe(401);

    // New password, mutual TLS and a header, all at once.
    writeFileSync(
      join(live, 'web.yml'),
      tlsOnly('  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n') +
        `http_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  u: '${bcrypt.hashSync('new', 4)}'\n`,
    );
    await waitFor(
      async () => (await get({ auth: 'u:new', cert: pki.clientCert, key: pki.clientKey }))?.headers['x-frame-options'] === 'deny',
    );
    expect(await get({ auth: 'u:new' })).toBeUndefined(); // no client certificate: refused now
    expect((await get({ auth: 'u:old', cert: pki.clientCert, key: pki.clientKey }))?.status).toBe(401);

    // Dropping tls_server_config cannot take effect live: logged, and HTTPS goes on as it was.
    writeFileSync(join(live, 'web.yml'), before);
    await waitFor(() => exporter.logs.some((line) => line.includes('needs a restart')));
    expect((await get({ auth: 'u:new', cert: pki.clientCert, key: pki.clientKey }))?.status).toBe(200);
  });
});

describe('--web.disable-sessions-csv', () => {
  it('answers 404 and the landing page does not link it', async () => {
    const exporter = await startTestExporter(['--source=demo', '--web.disable-sessions-csv']);
    running.push(exporter);
    await waitFor(async () => (await exporter.get('/readyz')).status === 200);
    expect((await exporter.get('/sessions.csv')).status).toBe(404);
    const page = await exporter.text('/');
    expect(page).not.toContain('sessions.csv');
    expect(page).toContain('/metrics');
  });

  it('is on by default', async () => {
    const exporter = await startTestExporter(['--source=demo']);
    running.push(exporter);
    expect(await exporter.text('/')).toContain('/sessions.csv');
  });
});
