/**
 * Every bad web config is refused at start: the built program (dist/src/main.js) exits non-zero
 * with one clear line naming the problem, and never listens. Runs the real binary as a child
 * process, with certificates made by openssl.
 */

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebConfig, WebConfigError } from '../src/web/web-config.js';
import { makePki } from './support/certs.js';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jool-web-start-'));
  makePki(dir); // the files the bad configs below point at (their paths are fixed by makePki)
  writeFileSync(join(dir, 'garbage.crt'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'unreadable.key'), 'x');
  chmodSync(join(dir, 'unreadable.key'), 0o000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The `err` of the "cannot start" line (JSON logs: quotes in messages stay as they are). */
function startError(stderr: string): string {
  for (const line of stderr.split('\n')) {
    try {
      const record = JSON.parse(line) as { msg?: string; err?: string };
      if (record.msg === 'cannot start') return record.err ?? '';
    } catch {
      // not a log line
    }
  }
  return '';
}

function start(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // A server that starts listening is the failure this test looks for: stop it and report.
      if (stderr.includes('"msg":"listening"')) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const tls = (extra: string) => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;

// [what, YAML, message]
const BAD: [string, string, RegExp][] = [
  ['an unknown top-level key', 'tls_config:\n  cert_file: server.crt\n', /unknown key "tls_config"/],
  ['an unknown TLS key', tls('  client_cert_file: x\n'), /tls_server_config: unknown key "client_cert_file"/],
  ['an unknown http_server_config key', 'http_server_config:\n  http3: true\n', /http_server_config: unknown key "http3"/],
  ['YAML that does not parse', 'basic_auth_users: [\n', /not valid YAML/],
  ['a duplicate key', 'basic_auth_users:\n  a: x\n  a: y\n', /not valid YAML.*[Dd]uplicate|unique/],
  [
    'a missing certificate file',
    'tls_server_config:\n  cert_file: nowhere.crt\n  key_file: server.key\n',
    /cert_file: cannot read .*nowhere\.crt: ENOENT/,
  ],
  ['a key without a certificate', 'tls_server_config:\n  key_file: server.key\n', /cert_file \(or cert\) is required/],
  ['a certificate without a key', 'tls_server_config:\n  cert_file: server.crt\n', /key_file \(or key\) is required/],
  [
    'client_auth_type alone (no certificate)',
    'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n',
    /cert_file \(or cert\) is required/,
  ],
  [
    'a certificate that is not one',
    'tls_server_config:\n  cert_file: garbage.crt\n  key_file: server.key\n',
    /cert_file .*garbage\.crt.*not a PEM certificate/,
  ],
  [
    'a key that does not match the certificate',
    'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n',
    /key_file .*client\.key.*(mismatch|key values)/,
  ],
  [
    'a key file that cannot be read',
    'tls_server_config:\n  cert_file: server.crt\n  key_file: unreadable.key\n',
    /key_file: cannot read .*unreadable\.key: EACCES|key_file .*unreadable\.key/,
  ],
  ['an unknown client_auth_type', tls('  client_auth_type: VerifyAlways\n'), /client_auth_type: "VerifyAlways" is not one of/],
  [
    'client_ca_file without client authentication',
    tls('  client_ca_file: ca.crt\n'),
    /client_ca_file is set but client_auth_type is NoClientCert/,
  ],
  ['verification without a client CA', tls('  client_auth_type: RequireAndVerifyClientCert\n'), /needs client_ca_file/],
  [
    'client_allowed_sans with a mode that allows no certificate',
    tls('  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n  client_allowed_sans: [a]\n'),
    /client_allowed_sans needs/,
  ],
  ['an unknown TLS version', tls('  min_version: TLS14\n'), /min_version: "TLS14" is not one of TLS10, TLS11, TLS12, TLS13/],
  ['min_version above max_version', tls('  min_version: TLS13\n  max_version: TLS12\n'), /min_version TLS13 is above max_version TLS12/],
  [
    'an unknown cipher suite',
    tls('  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA257]\n'),
    /unknown cipher suite "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA257"/,
  ],
  ['a TLS 1.3 cipher suite', tls('  cipher_suites: [TLS_AES_128_GCM_SHA256]\n'), /TLS 1\.3 suites cannot be configured/],
  ['an unknown curve', tls('  curve_preferences: [CurveP224]\n'), /unknown or unsupported curve "CurveP224"/],
  ['a boolean that is a string', tls('  prefer_server_cipher_suites: "yes"\n'), /prefer_server_cipher_suites: expected true or false/],
  ['a header that cannot be set', 'http_server_config:\n  headers:\n    Server: nginx\n', /header "Server" cannot be set/],
  [
    'a header value that is not allowed',
    'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
    /X-Frame-Options: "allow" is not one of deny, sameorigin/,
  ],
  ['a malformed hash', 'basic_auth_users:\n  alice: "$2y$10$tooshort"\n', /not a bcrypt hash/],
  ['a plain-text password', 'basic_auth_users:\n  alice: hunter2\n', /not a bcrypt hash/],
  ['an MD5 htpasswd hash', 'basic_auth_users:\n  alice: "$apr1$Vn7TOabc$Cq6tZ0yqvAh0XuVrBaQmc/"\n', /not a bcrypt hash/],
  ['a user name with a colon', `basic_auth_users:\n  "a:b": "${HASH}"\n`, /hold no ":"/],
  ['a rate limit of 0 requests', 'rate_limit:\n  interval: 1s\n  burst: 0\n', /rate_limit.burst: must be at least 1/],
];

describe('a bad web config stops the start', () => {
  it.each(BAD)('%s', async (_what, yaml, message) => {
    const file = join(dir, `bad-${BAD.findIndex((b) => b[1] === yaml)}.yml`);
    writeFileSync(file, yaml);
    const result = await start([`--web.config.file=${file}`]);
    expect(result.stderr).not.toContain('"msg":"listening"');
    expect(result.code, result.stderr).toBe(1);
    const err = startError(result.stderr);
    expect(err).toContain(`--web.config.file=${file}: `);
    expect(err).toMatch(message);
    // The offending password or hash is never echoed.
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toContain('tooshort');
  });

  it('a missing web config file', async () => {
    const result = await start([`--web.config.file=${join(dir, 'absent.yml')}`]);
    expect(result.code).toBe(1);
    expect(startError(result.stderr)).toMatch(/absent\.yml: cannot read: ENOENT/);
  });

  it('the variable is read like the flag', async () => {
    const file = join(dir, 'env.yml');
    writeFileSync(file, 'nonsense: 1\n');
    const child = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [MAIN, '--source=demo', '--web.listen-address=127.0.0.1:0'], {
        env: { ...process.env, JOOL_SESSION_EXPORTER_WEB_CONFIG_FILE: file },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      p.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(child.code).toBe(1);
    expect(child.stderr).toMatch(/unknown key \\?"nonsense\\?"/);
  });

  it('a good config starts (the same certificates, for contrast)', async () => {
    const file = join(dir, 'good.yml');
    writeFileSync(
      file,
      tls(
        `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [prometheus.example]\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP256]\n  prefer_server_cipher_suites: false\nhttp_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: DENY\nbasic_auth_users:\n  alice: "${HASH}"\nrate_limit:\n  interval: 100ms\n  burst: 10\n`,
      ),
    );
    const result = await start([`--web.config.file=${file}`]);
    expect(result.stderr).toContain('"msg":"listening"');
    expect(result.stderr).toContain(
      '"msg":"web config loaded","file":' +
        JSON.stringify(file) +
        ',"tls":true,"client_auth":"RequireAndVerifyClientCert","basic_auth_users":1,"rate_limit":true}',
    );
    expect(startError(result.stderr)).toBe('');
  });
});

describe('parseWebConfig', () => {
  it('an empty file, or an empty tls_server_config, is plain HTTP without protection (as with the toolkit)', () => {
    for (const text of ['', '{}\n', 'tls_server_config:\n', 'tls_server_config: {}\nbasic_auth_users:\n']) {
      const config = parseWebConfig(text, join(dir, 'x.yml'));
      expect(config.tls).toBeUndefined();
      expect(config.users.size).toBe(0);
    }
  });

  it('maps Go names to OpenSSL ones and keeps TLS 1.3 suites', () => {
    const config = parseWebConfig(
      tls(
        '  min_version: TLS10\n  cipher_suites: [TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, TLS_RSA_WITH_AES_128_CBC_SHA]\n  curve_preferences: [X25519, CurveP521]\n  client_auth_type: RequireClientCert\n',
      ),
      join(dir, 'x.yml'),
    );
    expect(config.tls).toMatchObject({
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA',
      ecdhCurve: 'X25519:P-521',
      clientAuth: 'RequireAnyClientCert',
      honorCipherOrder: true,
      certFile: join(dir, 'server.crt'),
    });
  });

  it('reports the file and the key', () => {
    expect(() => parseWebConfig('rate_limit:\n  every: 1s\n', 'w.yml')).toThrow(WebConfigError);
    expect(() => parseWebConfig('rate_limit:\n  every: 1s\n', 'w.yml')).toThrow(
      /rate_limit: unknown key "every" \(known: interval, burst\)/,
    );
  });
});
