/**
 * The HTTP face of the exporter: /metrics, /sessions.csv, the landing page and
 * the health endpoints. Handlers only read the status store; they never start
 * a poll or wait for one.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import type { MetricsRenderer } from '../metrics/registry.js';
import type { StatusStore } from '../status/store.js';
import type { WebGuard } from '../web/guard.js';
import { landingPage } from './landing-page.js';
import { sessionBrowserPage } from './session-browser.js';
import { parseSessionQuery, QueryError, type SessionQuery } from './session-query.js';
import { createChunkPool, sessionCsvChunks } from './session-rows.js';

export interface ServerOptions {
  readonly store: StatusStore;
  readonly metrics: MetricsRenderer;
  readonly telemetryPath: string;
  readonly log: Logger;
  readonly version: string;
  /** --web.config.file's headers, rate limit and basic auth; every path but /healthz is behind it. */
  readonly guard?: WebGuard;
  /** Most /sessions.csv answers streaming at once; more get 429 (full downloads would starve the probes). */
  readonly sessionsCsvMaxConcurrent?: number;
  /**
   * Serve /sessions.csv and the session browser (/sessions); false with --web.disable-sessions-csv,
   * since both show subscribers' addresses and what they talk to. Default true.
   */
  readonly sessionsCsv?: boolean;
}

/** How long a client refused with 429 is asked to wait before it tries again. */
const SESSIONS_CSV_RETRY_AFTER_SECONDS = 5;

export function createApp(options: ServerOptions): express.Express {
  const { store, metrics, telemetryPath, log } = options;
  const sessions = options.sessionsCsv ?? true;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple'); // repeated keys become arrays; no nested objects from brackets
  // /metrics/ and /METRICS are not /metrics, as with Prometheus' own handlers.
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  // No answer here is conditional: express would turn `If-None-Match: *` into a 304 with no body,
  // and an empty /metrics is not something a scraper or a cache should ever get.
  app.use((req, _res, next) => {
    for (const header of ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range']) {
      delete req.headers[header];
    }
    next();
  });

  if (options.guard) app.use(options.guard.headers);
  // Liveness only, and open: a container or load-balancer health check carries no credentials.
  app.get('/healthz', (_req, res) => {
    res.type('text').send('OK\n');
  });
  if (options.guard) app.use(options.guard.protect);

  app.get('/', (_req, res) => {
    res.type('html').send(landingPage({ status: store.current, telemetryPath, version: options.version, sessionsCsv: sessions }));
  });

  app.get(telemetryPath, async (req, res) => {
    const { contentType, body } = await metrics.render(req.get('accept'));
    res.set('Content-Type', contentType).send(body);
  });

  app.get('/readyz', (_req, res) => {
    const ready = store.current.ready;
    res
      .status(ready ? 200 : 503)
      .type('text')
      .send(ready ? 'ready\n' : 'not ready: the first poll has not finished yet\n');
  });

  const maxConcurrent = options.sessionsCsvMaxConcurrent ?? Infinity;
  let streaming = 0;
  if (sessions)
    app.get('/sessions.csv', async (req, res) => {
      if (streaming >= maxConcurrent) {
        res
          .status(429)
          .set('Retry-After', String(SESSIONS_CSV_RETRY_AFTER_SECONDS))
          .type('text')
          .send(`429 too many requests: ${maxConcurrent} /sessions.csv answers are streaming already; try again later\n`);
        return;
      }
      // A slot is held until the answer is over: ended, failed, or the client gone.
      streaming++;
      let released = false;
      const release = () => {
        if (!released) streaming--;
        released = true;
      };
      res.once('close', release);
      try {
        await serveSessions(req, res, store, log);
      } finally {
        if (res.writableEnded) release();
      }
    });
  if (sessions) {
    app.get('/sessions', async (req, res) => {
      const { status, body } = await sessionBrowserPage(store.current, req.query as Record<string, unknown>);
      res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
    });
  }

  app.use((req, res) => {
    res.status(404).type('text').send(`404 not found: ${req.path} (see / for the endpoints)\n`);
  });

  return app;
}

async function serveSessions(req: Request, res: Response, store: StatusStore, log: Logger): Promise<void> {
  const status = store.current; // one status for the whole answer, however long it streams
  const names = status.instances.map((instance) => instance.name);
  let query: SessionQuery;
  try {
    query = parseSessionQuery(req.query as Record<string, unknown>, names);
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    res.status(400).type('text').send(`400 bad request: ${error.message}\n`);
    return;
  }
  if (!status.ready) {
    res.status(503).set('Retry-After', '5').type('text').send('503 unavailable: the first poll has not finished yet\n');
    return;
  }
  const selected = status.instances.filter((instance) => query.instances === null || query.instances.includes(instance.name));
  const down = selected.filter((instance) => instance.tables === undefined);
  if (query.instances !== null && down.length > 0) {
    const reasons = down.map((i) => `${i.name}: ${i.lastError?.message ?? 'no successful poll yet'}`).join('; ');
    res.status(503).type('text').send(`503 unavailable: the last poll failed (${reasons})\n`);
    return;
  }
  res.status(200).set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Cache-Control': 'no-store',
    // Which instances the rows come from, and as of when: the CSV itself has Jool's columns only.
    'X-Jool-Instances': selected
      .filter((i) => i.tables !== undefined)
      .map((i) => i.name)
      .join(','),
    ...(down.length > 0 ? { 'X-Jool-Instances-Down': down.map((i) => i.name).join(',') } : {}),
  });
  let closed = false;
  res.on('close', () => (closed = true));
  try {
    const pool = createChunkPool();
    for (const chunk of sessionCsvChunks(selected, query, pool)) {
      if (closed) return;
      // Called once the chunk is written out (or the write failed): its buffer is free again.
      if (!res.write(chunk, () => pool.giveBack(chunk))) await drainedOrClosed(res);
      // When the socket takes a chunk at once (a fast client), 'drain' comes on process.nextTick:
      // without a turn of the event loop here, one download would starve every other request.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    res.end();
  } catch (error) {
    log.error('sessions.csv failed', { err: (error as Error).message });
    res.destroy(error as Error);
  }
}

/**
 * Waits for a full socket buffer to drain (or the client to go). Both listeners are removed
 * again: `Promise.race` of two `once()` left one behind per wait, thousands on a slow client.
 */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
