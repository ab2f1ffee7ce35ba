/** A real TLS client for the tests: node:https, one fresh connection per request (no keep-alive). */

import { readFileSync } from 'node:fs';
import { type RequestOptions, request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The server certificate seen in the handshake. */
  readonly peer: PeerCertificate;
  readonly protocol: string | null;
  readonly cipher: string;
}

export interface HttpsGet {
  readonly port: number;
  readonly path?: string;
  readonly host?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly auth?: string;
  readonly servername?: string;
  readonly tls?: Pick<RequestOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;
}

export function httpsGet(options: HttpsGet): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port: options.port,
        path: options.path ?? '/metrics',
        agent: false,
        ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
        ...(options.cert ? { cert: readFileSync(options.cert) } : {}),
        ...(options.key ? { key: readFileSync(options.key) } : {}),
        ...(options.auth ? { auth: options.auth } : {}),
        ...(options.servername ? { servername: options.servername } : {}),
        ...options.tls,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const protocol = socket.getProtocol();
        const cipher = socket.getCipher().standardName;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer, protocol, cipher }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
