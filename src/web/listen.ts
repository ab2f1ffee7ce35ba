/**
 * The listening socket: plain HTTP, or HTTPS when the web config has tls_server_config, and the
 * web config kept current while running.
 *
 * Reload: exporter-toolkit re-reads its web config on every request (and the certificate on every
 * handshake). Here the config file and the files it names are re-read every `reloadIntervalMs`
 * (1 s): when anything changed, the new config is checked in full and swapped in for the next
 * request and handshake (server.setSecureContext: Node calls SNICallback only when a client sends
 * SNI, which Prometheus scraping an IP address does not). A config that no longer loads, say a
 * certificate written before its key, is logged as an error and the previous one stays in force.
 * Switching between HTTP and HTTPS needs a restart.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import { checkTls, clientCertOptions, clientCertProblem, secureContextOptions } from './tls.js';
import { readWebConfig, type WebConfig, WebConfigError } from './web-config.js';

export interface Web {
  /** The config in force; without --web.config.file, plain HTTP with no protection. */
  current(): WebConfig;
  /** Whether a --web.config.file is in use. */
  readonly configured: boolean;
  /** Creates the HTTP or HTTPS server for `app` and listens; starts the reload loop. */
  listen(app: RequestListener, host: string | undefined, port: number): Promise<Server>;
  /** Stops the reload loop. */
  stop(): void;
}

const NO_CONFIG: WebConfig = { file: '', tls: undefined, users: new Map(), headers: {}, http2: true, rateLimit: undefined };

/** Reads and fully checks a web config: the certificate and key must make a working secure context. */
export function loadWebConfig(file: string): WebConfig {
  const config = readWebConfig(file);
  try {
    if (config.tls !== undefined) checkTls(config.tls);
  } catch (error) {
    if (error instanceof WebConfigError) throw new WebConfigError(`--web.config.file=${file}: ${error.message}`);
    throw error;
  }
  return config;
}

/** A digest of everything a WebConfig holds, to tell whether a reload changed anything. */
function fingerprint(config: WebConfig): string {
  const plain = { ...config, users: [...config.users] };
  return createHash('sha256').update(JSON.stringify(plain)).digest('hex');
}

function describe(config: WebConfig) {
  return {
    tls: config.tls !== undefined,
    client_auth: config.tls?.clientAuth,
    basic_auth_users: config.users.size,
    rate_limit: config.rateLimit !== undefined,
  };
}

export function openWeb(file: string | undefined, log: Logger, reloadIntervalMs = 1000): Web {
  if (file === undefined) {
    return {
      current: () => NO_CONFIG,
      configured: false,
      listen: (app, host, port) => listenOn(createHttpServer(app), host, port),
      stop() {},
    };
  }
  let config = loadWebConfig(file);
  let printed = fingerprint(config);
  let lastFailure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  log.info('web config loaded', { file, ...describe(config) });

  const reload = (server: Server) => {
    let next: WebConfig;
    try {
      next = loadWebConfig(file);
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastFailure) log.error('web config reload failed; keeping the previous one', { err: message });
      lastFailure = message;
      return;
    }
    lastFailure = undefined;
    const nextPrint = fingerprint(next);
    if (nextPrint === printed) return;
    if ((next.tls === undefined) !== (config.tls === undefined)) {
      log.error('web config reload: switching between HTTP and HTTPS needs a restart; keeping the previous config', { file });
      printed = nextPrint; // said once
      return;
    }
    if (next.tls !== undefined) {
      const https = server as HttpsServer;
      https.setSecureContext(secureContextOptions(next.tls));
      Object.assign(https, clientCertOptions(next.tls)); // read by node:tls for each new connection
    }
    config = next;
    printed = nextPrint;
    log.info('web config reloaded', { file, ...describe(config) });
  };

  return {
    current: () => config,
    configured: true,
    async listen(app, host, port) {
      let server: Server;
      if (config.tls === undefined) {
        server = createHttpServer(app);
      } else {
        // HTTP/1.1 only: http_server_config.http2 is accepted but there is no HTTP/2 (docs/security.md).
        server = createHttpsServer(
          { ...secureContextOptions(config.tls), ...clientCertOptions(config.tls), ALPNProtocols: ['http/1.1'] },
          app,
        );
        server.prependListener('secureConnection', (socket: TLSSocket) => {
          const problem = config.tls === undefined ? undefined : clientCertProblem(socket, config.tls);
          if (problem !== undefined) {
            log.warn('TLS connection refused', { remote: socket.remoteAddress, reason: problem });
            socket.destroy();
          }
        });
        server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
          log.debug('TLS handshake failed', { remote: socket.remoteAddress, err: error.message });
        });
      }
      await listenOn(server, host, port);
      timer = setInterval(() => reload(server), reloadIntervalMs);
      timer.unref();
      return server;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function listenOn(server: Server, host: string | undefined, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
