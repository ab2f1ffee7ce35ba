/**
 * --web.config.file: exporter-toolkit's web configuration (docs/web-configuration.md there), read
 * into a plain typed object. Every key the toolkit documents is understood; any other key, a value
 * of the wrong type, an unreadable file or a malformed hash is a WebConfigError naming the key, so
 * the exporter refuses to start rather than serve without the protection asked for.
 *
 * Files named in it (cert_file, key_file, client_ca_file) are relative to the config file's
 * folder, and are read here: a WebConfig holds their contents, so that a reload can tell what
 * changed. Checking that the certificate and key are usable is tls.ts's job.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../duration.js';
import {
  CIPHER_SUITES,
  CLIENT_AUTH_ALIASES,
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  CURVES,
  TLS_VERSIONS,
  TLS13_OPENSSL_SUITES,
  TLS13_SUITES,
  VERSION_ORDER,
} from './go-tls-names.js';

export class WebConfigError extends Error {}

export interface TlsSettings {
  /** PEM text of the certificate (chain), the key and the client CAs (undefined: none). */
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string | undefined;
  /** Where cert/key/client CA came from (undefined when given inline), for messages. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly clientCaFile: string | undefined;
  readonly clientAuth: ClientAuthType;
  /** client_allowed_sans: undefined when not set (any SAN). */
  readonly clientAllowedSans: readonly string[] | undefined;
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher string, undefined for Node's defaults. */
  readonly ciphers: string | undefined;
  readonly honorCipherOrder: boolean;
  /** OpenSSL group list ("X25519:P-256"), undefined for Node's defaults. */
  readonly ecdhCurve: string | undefined;
}

export interface WebConfig {
  readonly file: string;
  /** undefined: plain HTTP (no tls_server_config, as with the toolkit). */
  readonly tls: TlsSettings | undefined;
  /** user → bcrypt hash; empty: no basic authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
  /** http_server_config.http2; accepted, but this exporter serves HTTP/1.1 only (docs/security.md). */
  readonly http2: boolean;
  readonly rateLimit: { readonly intervalMs: number; readonly burst: number } | undefined;
}

/** The headers the toolkit allows in http_server_config.headers, and their allowed values (null: any). */
const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** bcrypt as htpasswd ($2y$), OpenBSD and bcryptjs ($2a$, $2b$) write it: cost 04 to 31, 22 + 31 characters. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

type Node = Record<string, unknown>;

function object(value: unknown, where: string): Node {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new WebConfigError(`${where}: expected a mapping of keys to values`);
  return value as Node;
}

function onlyKeys(node: Node, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) {
      throw new WebConfigError(`${where ? `${where}: ` : ''}unknown key "${key}" (known: ${allowed.join(', ')})`);
    }
  }
}

function optionalString(node: Node, key: string, where: string): string | undefined {
  const value = node[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new WebConfigError(`${where}.${key}: expected a string`);
  return value;
}

function optionalBoolean(node: Node, key: string, where: string): boolean | undefined {
  const value = node[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new WebConfigError(`${where}.${key}: expected true or false`);
  return value;
}

function optionalStrings(node: Node, key: string, where: string): string[] | undefined {
  const value = node[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new WebConfigError(`${where}.${key}: expected a list of strings`);
  return value as string[];
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new WebConfigError(
      `tls_server_config.${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** A PEM given inline (cert, key, client_ca) or as a file (cert_file, ...), not both. */
function pem(node: Node, inlineKey: string, fileKey: string, folder: string): { text: string; file: string | undefined } | undefined {
  const inline = optionalString(node, inlineKey, 'tls_server_config');
  const fileName = optionalString(node, fileKey, 'tls_server_config');
  if (inline !== undefined && fileName !== undefined)
    throw new WebConfigError(`tls_server_config: give ${inlineKey} or ${fileKey}, not both`);
  if (fileName !== undefined) {
    if (fileName === '') throw new WebConfigError(`tls_server_config.${fileKey}: must not be empty`);
    const file = resolve(folder, fileName);
    return { text: readPem(file, fileKey), file };
  }
  return inline === undefined || inline === '' ? undefined : { text: inline, file: undefined };
}

function version(node: Node, key: string, fallback: string): string {
  const value = optionalString(node, key, 'tls_server_config') ?? fallback;
  if (TLS_VERSIONS[value] === undefined)
    throw new WebConfigError(`tls_server_config.${key}: "${value}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
  return value;
}

function parseTls(value: unknown, folder: string): TlsSettings | undefined {
  const node = object(value, 'tls_server_config');
  onlyKeys(
    node,
    [
      'cert',
      'key',
      'client_ca',
      'cert_file',
      'key_file',
      'client_auth_type',
      'client_ca_file',
      'client_allowed_sans',
      'min_version',
      'max_version',
      'cipher_suites',
      'prefer_server_cipher_suites',
      'curve_preferences',
    ],
    'tls_server_config',
  );
  // Like the toolkit: an empty tls_server_config means plain HTTP.
  if (Object.values(node).every((v) => v === null || v === undefined)) return undefined;
  const cert = pem(node, 'cert', 'cert_file', folder);
  const key = pem(node, 'key', 'key_file', folder);
  if (cert === undefined) throw new WebConfigError('tls_server_config: cert_file (or cert) is required for TLS');
  if (key === undefined) throw new WebConfigError('tls_server_config: key_file (or key) is required for TLS');
  const clientCa = pem(node, 'client_ca', 'client_ca_file', folder);

  const authText = optionalString(node, 'client_auth_type', 'tls_server_config') ?? 'NoClientCert';
  const clientAuth: ClientAuthType | undefined = CLIENT_AUTH_ALIASES[authText] ?? CLIENT_AUTH_TYPES.find((t) => t === authText);
  if (clientAuth === undefined)
    throw new WebConfigError(`tls_server_config.client_auth_type: "${authText}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  if (clientCa !== undefined && clientAuth === 'NoClientCert') {
    throw new WebConfigError(
      'tls_server_config: client_ca_file is set but client_auth_type is ' +
        'NoClientCert (set RequireAndVerifyClientCert to check client certificates)',
    );
  }
  if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && clientCa === undefined) {
    // Go would verify against the system's roots: any certificate a public CA signed would pass.
    throw new WebConfigError(
      `tls_server_config: client_auth_type ${clientAuth} needs client_ca_file, the CA that signs the client certificates`,
    );
  }
  const clientAllowedSans = optionalStrings(node, 'client_allowed_sans', 'tls_server_config');
  if (clientAllowedSans !== undefined && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    throw new WebConfigError(
      'tls_server_config: client_allowed_sans needs client_auth_type RequireAndVerifyClientCert or RequireAnyClientCert',
    );
  }

  const min = version(node, 'min_version', 'TLS12');
  const max = version(node, 'max_version', 'TLS13');
  if (VERSION_ORDER.indexOf(min) > VERSION_ORDER.indexOf(max))
    throw new WebConfigError(`tls_server_config: min_version ${min} is above max_version ${max}`);

  const suites = optionalStrings(node, 'cipher_suites', 'tls_server_config');
  let ciphers: string | undefined;
  if (suites !== undefined && suites.length > 0) {
    const names = suites.map((name) => {
      if (TLS13_SUITES.includes(name))
        throw new WebConfigError(
          `tls_server_config.cipher_suites: ${name} is a TLS 1.3 suite; TLS 1.3 suites cannot be configured (as in Go)`,
        );
      const openssl = CIPHER_SUITES[name];
      if (openssl === undefined)
        throw new WebConfigError(
          `tls_server_config.cipher_suites: unknown cipher suite "${name}" (Go names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`,
        );
      return openssl;
    });
    ciphers = [TLS13_OPENSSL_SUITES, ...names].join(':');
  }

  const curves = optionalStrings(node, 'curve_preferences', 'tls_server_config');
  let ecdhCurve: string | undefined;
  if (curves !== undefined && curves.length > 0) {
    ecdhCurve = curves
      .map((name) => {
        const group = CURVES[name];
        if (group === undefined)
          throw new WebConfigError(
            `tls_server_config.curve_preferences: unknown or unsupported curve "${name}" (one of ${Object.keys(CURVES).join(', ')})`,
          );
        return group;
      })
      .join(':');
  }

  return {
    cert: cert.text,
    key: key.text,
    clientCa: clientCa?.text,
    certFile: cert.file,
    keyFile: key.file,
    clientCaFile: clientCa?.file,
    clientAuth,
    clientAllowedSans,
    minVersion: TLS_VERSIONS[min]!,
    maxVersion: TLS_VERSIONS[max]!,
    ciphers,
    honorCipherOrder: optionalBoolean(node, 'prefer_server_cipher_suites', 'tls_server_config') ?? true,
    ecdhCurve,
  };
}

function parseUsers(value: unknown): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, hash] of Object.entries(object(value, 'basic_auth_users'))) {
    // The user name is not echoed in a message (it may be personal); the hash never is.
    if (user === '' || user.includes(':'))
      throw new WebConfigError('basic_auth_users: a user name must be non-empty and hold no ":" (basic authentication splits on it)');
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      throw new WebConfigError(
        `basic_auth_users: the hash of user number ${users.size + 1} is not a bcrypt ` +
          `hash ($2y$, $2a$ or $2b$, cost 04 to 31; make one with htpasswd -nBC 10 USER)`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

function parseHttpServerConfig(value: unknown): { headers: Record<string, string>; http2: boolean } {
  const node = object(value, 'http_server_config');
  onlyKeys(node, ['http2', 'headers'], 'http_server_config');
  const headers: Record<string, string> = {};
  for (const [name, text] of Object.entries(object(node.headers, 'http_server_config.headers'))) {
    const allowed = ALLOWED_HEADERS[name];
    if (allowed === undefined)
      throw new WebConfigError(
        `http_server_config.headers: header "${name}" cannot be set (allowed: ${Object.keys(ALLOWED_HEADERS).join(', ')})`,
      );
    if (text === null || text === '') continue; // "Unset if blank"
    if (typeof text !== 'string') throw new WebConfigError(`http_server_config.headers.${name}: expected a string`);
    if (allowed !== null && !allowed.includes(text.toLowerCase()))
      throw new WebConfigError(`http_server_config.headers.${name}: "${text}" is not one of ${allowed.join(', ')}`);
    if (/[\r\n]/.test(text)) throw new WebConfigError(`http_server_config.headers.${name}: must be one line`);
    headers[name] = text;
  }
  return { headers, http2: optionalBoolean(node, 'http2', 'http_server_config') ?? true };
}

function parseRateLimit(value: unknown): WebConfig['rateLimit'] {
  const node = object(value, 'rate_limit');
  onlyKeys(node, ['interval', 'burst'], 'rate_limit');
  if (node.interval === undefined && node.burst === undefined) return undefined;
  let intervalMs: number;
  try {
    intervalMs = parseDuration(String(node.interval ?? '0s'));
  } catch (error) {
    throw new WebConfigError(`rate_limit.interval: ${(error as Error).message}`);
  }
  const burst = node.burst ?? 0;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0)
    throw new WebConfigError('rate_limit.burst: expected a whole number');
  if (intervalMs === 0) return undefined; // "set to 0 to disable rate limiter"
  if (burst === 0) throw new WebConfigError('rate_limit.burst: must be at least 1 when interval is set (0 would refuse every request)');
  return { intervalMs, burst };
}

/** The YAML text of a web config file → WebConfig (files it names are read relative to `file`'s folder). */
export function parseWebConfig(text: string, file: string): WebConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    throw new WebConfigError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = object(document, '(top level)');
  onlyKeys(root, ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'], '');
  const folder = dirname(resolve(file));
  const { headers, http2 } = parseHttpServerConfig(root.http_server_config);
  return {
    file: resolve(file),
    tls: parseTls(root.tls_server_config, folder),
    users: parseUsers(root.basic_auth_users),
    headers,
    http2,
    rateLimit: parseRateLimit(root.rate_limit),
  };
}

/** Reads and parses a web config file; every problem is a WebConfigError that names the file. */
export function readWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WebConfigError(
      `--web.config.file=${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return parseWebConfig(text, file);
  } catch (error) {
    if (error instanceof WebConfigError) throw new WebConfigError(`--web.config.file=${file}: ${error.message}`);
    throw error;
  }
}
