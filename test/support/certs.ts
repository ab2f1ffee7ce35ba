/**
 * Certificates for the TLS tests, made by the real `openssl` at test time: a CA, a server
 * certificate for localhost, 127.0.0.1 and ::1, a client certificate, and a second CA (with its
 * own client) that the exporter does not trust. EC P-256 keys: quick to make.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate signed by another CA. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function newKey(dir: string, name: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  return join(dir, `${name}.key`);
}

function selfSignedCa(dir: string, name: string): void {
  newKey(dir, name);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

/** A certificate for `name` signed by `ca`, with the given subjectAltName and extended key usage. */
export function issue(
  dir: string,
  ca: string,
  name: string,
  cn: string,
  san: string,
  usage: 'serverAuth' | 'clientAuth',
): { cert: string; key: string } {
  newKey(dir, name);
  openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makePki(dir: string): Pki {
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'other-ca');
  const server = issue(dir, 'ca', 'server', 'jool-exporter-test', 'DNS:localhost,IP:127.0.0.1,IP:::1', 'serverAuth');
  const client = issue(dir, 'ca', 'client', 'prometheus', 'DNS:prometheus.example,URI:spiffe://test/prometheus', 'clientAuth');
  const stranger = issue(dir, 'other-ca', 'stranger', 'stranger', 'DNS:prometheus.example', 'clientAuth');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: stranger.cert,
    strangerKey: stranger.key,
  };
}

/** `htpasswd -nbBC cost user password` → the $2y$ hash. */
export function htpasswdHash(user: string, password: string, cost = 10): string {
  const line = execFileSync('htpasswd', ['-nbBC', String(cost), user, password], { encoding: 'utf8' }).trim();
  return line.slice(line.indexOf(':') + 1);
}
