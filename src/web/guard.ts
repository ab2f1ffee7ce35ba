/**
 * The web config's HTTP side as express middleware: extra response headers on every answer, and in
 * front of every protected path the rate limit and basic authentication. Each request reads the
 * config in force at that moment (`current()`), so a reloaded config applies to the next request.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';
import type { BasicAuth } from './basic-auth.js';
import type { WebConfig } from './web-config.js';

export interface WebGuard {
  /** Adds http_server_config.headers; for every path. */
  readonly headers: RequestHandler;
  /** rate_limit, then basic_auth_users; for every path but /healthz. */
  readonly protect: RequestHandler;
}

/** Token bucket of the toolkit's rate_limit: one token per interval, at most `burst` saved. */
function tokenBucket(intervalMs: number, burst: number, now: () => number): () => boolean {
  let tokens = burst;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(burst, tokens + (t - last) / intervalMs);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

export const REALM = 'jool-session-exporter';

export function createWebGuard(
  current: () => WebConfig,
  auth: BasicAuth,
  log: Logger,
  now: () => number = () => performance.now(),
): WebGuard {
  let bucket: { for: WebConfig['rateLimit']; take: () => boolean } | undefined;

  const rateLimited = (config: WebConfig): boolean => {
    if (config.rateLimit === undefined) return false;
    if (bucket?.for !== config.rateLimit)
      bucket = { for: config.rateLimit, take: tokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst, now) };
    return !bucket.take();
  };

  return {
    headers(_req: Request, res: Response, next: NextFunction) {
      res.set(current().headers);
      next();
    },
    protect(req: Request, res: Response, next: NextFunction) {
      const config = current();
      if (rateLimited(config)) {
        res.status(429).set('Retry-After', '1').type('text').send('429 too many requests (rate_limit of the web config)\n');
        return;
      }
      if (config.users.size === 0) return next();
      auth.check(config.users, req.get('authorization')).then(
        (result) => {
          if (result === 'ok') return next();
          if (result === 'busy') {
            log.debug('authentication queue full', { remote: req.socket.remoteAddress, pending: auth.pending() });
            res.status(429).set('Retry-After', '1').type('text').send('429 too many requests: too many password checks waiting\n');
            return;
          }
          // Neither the user name nor the header is logged: either may hold a password typed in the wrong field.
          log.debug('authentication failed', { remote: req.socket.remoteAddress, path: req.path });
          res.status(401).set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`).type('text').send('401 unauthorized\n');
        },
        (error: unknown) => next(error),
      );
    },
  };
}
