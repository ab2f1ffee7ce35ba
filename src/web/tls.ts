/**
 * tls_server_config → node:tls: the secure context, and client certificates handled as Go's
 * crypto/tls does for each client_auth_type.
 *
 * OpenSSL can require a client certificate and verify it in one go (RequireAndVerifyClientCert),
 * or neither; the modes in between are checked right after the handshake, on the socket, before
 * any request is read (clientCertProblem). With TLS 1.3 the client sees such a refusal as a
 * connection closed just after the handshake instead of a handshake alert.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { type TlsSettings, WebConfigError } from './web-config.js';

export function secureContextOptions(tls: TlsSettings): SecureContextOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    honorCipherOrder: tls.honorCipherOrder,
    ...(tls.ecdhCurve !== undefined ? { ecdhCurve: tls.ecdhCurve } : {}),
  };
}

/** requestCert / rejectUnauthorized of the server for a client_auth_type. */
export function clientCertOptions(tls: TlsSettings): { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    requestCert: tls.clientAuth !== 'NoClientCert',
    // Only here does OpenSSL both require and verify; the other modes are checked by clientCertProblem.
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
  };
}

const where = (tls: TlsSettings, key: 'cert' | 'key' | 'clientCa') => {
  const file = { cert: tls.certFile, key: tls.keyFile, clientCa: tls.clientCaFile }[key];
  const name = { cert: 'cert_file', key: 'key_file', clientCa: 'client_ca_file' }[key];
  return file === undefined ? `tls_server_config.${name.replace('_file', '')}` : `tls_server_config.${name} (${file})`;
};

/**
 * Builds the secure context once, so that a bad certificate, key, CA, cipher list or curve is a
 * WebConfigError at start (or at reload) rather than a failure of every handshake.
 */
export function checkTls(tls: TlsSettings): void {
  try {
    new X509Certificate(tls.cert);
  } catch (error) {
    throw new WebConfigError(`${where(tls, 'cert')}: not a PEM certificate (${(error as Error).message})`);
  }
  if (tls.clientCa !== undefined && !tls.clientCa.includes('-----BEGIN CERTIFICATE-----')) {
    throw new WebConfigError(`${where(tls, 'clientCa')}: holds no PEM certificate`);
  }
  try {
    createSecureContext(secureContextOptions(tls));
  } catch (error) {
    const message = (error as Error).message;
    const culprit = /key|PEM|decoder|private/i.test(message) ? `${where(tls, 'key')} with ${where(tls, 'cert')}` : 'tls_server_config';
    throw new WebConfigError(`${culprit}: ${message}`);
  }
}

/** The SANs of a certificate: DNS names, IP addresses (normalised), e-mail addresses and URIs. */
function subjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (text === undefined) return [];
  const names: string[] = [];
  // "DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://z"; Node quotes a value holding ", ".
  for (const match of text.matchAll(/(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const raw = match[2]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    names.push(match[1] === 'IP Address' ? normalizeIp(value) : value);
  }
  return names;
}

function normalizeIp(text: string): string {
  return ipaddr.isValid(text) ? ipaddr.process(text).toString() : text;
}

/**
 * Why a connection must be closed after its handshake, or undefined to keep it. Go semantics:
 * RequestClientCert takes any certificate or none, unverified; RequireAnyClientCert needs one but
 * does not verify it; VerifyClientCertIfGiven verifies one if sent; client_allowed_sans needs one
 * SAN of the client certificate to be in the list, exactly.
 */
export function clientCertProblem(socket: TLSSocket, tls: TlsSettings): string | undefined {
  if (tls.clientAuth === 'NoClientCert' || tls.clientAuth === 'RequestClientCert') return undefined;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) {
    return tls.clientAuth === 'VerifyClientCertIfGiven' ? undefined : 'no client certificate';
  }
  if ((tls.clientAuth === 'VerifyClientCertIfGiven' || tls.clientAuth === 'RequireAndVerifyClientCert') && !socket.authorized) {
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  }
  if (tls.clientAllowedSans !== undefined) {
    const allowed = new Set(tls.clientAllowedSans.map(normalizeIp));
    if (!subjectAltNames(cert).some((name) => allowed.has(name))) return 'client certificate has no SAN in client_allowed_sans';
  }
  return undefined;
}
