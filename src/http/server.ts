/**
 * The HTTP face of the exporter: /metrics, /sessions.csv, the landing page and
 * the health endpoints. Handlers only read the status store; they never start
 * a poll or wait for one.
 */
import express, { type Request, type Response } from 'express';
import { once } from 'node:events';
import type { StatusStore } from '../poll/status.js';
import type { MetricsRenderer } from '../metrics/registry.js';
import type { Logger } from '../log.js';
import { QueryError, parseSessionQuery, type SessionQuery } from './session-query.js';
import { sessionCsvChunks } from './session-rows.js';
import { landingPage } from './landing-page.js';

export interface ServerOptions {
  readonly store: StatusStore;
  readonly metrics: MetricsRenderer;
  readonly telemetryPath: string;
  readonly log: Logger;
  readonly version: string;
}

export function createApp(options: ServerOptions): express.Express {
  const { store, metrics, telemetryPath, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple'); // repeated keys become arrays; no nested objects from brackets

  app.get('/', (_req, res) => {
    res.type('html').send(landingPage({ status: store.current, telemetryPath, version: options.version }));
  });

  app.get(telemetryPath, async (req, res) => {
    const { contentType, body } = await metrics.render(req.get('accept'));
    res.set('Content-Type', contentType).send(body);
  });

  app.get('/healthz', (_req, res) => {
    res.type('text').send('OK\n');
  });

  app.get('/readyz', (_req, res) => {
    const ready = store.current.ready;
    res.status(ready ? 200 : 503).type('text').send(ready ? 'ready\n' : 'not ready: the first poll has not finished yet\n');
  });

  app.get('/sessions.csv', (req, res) => serveSessions(req, res, store, log));

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
    'X-Jool-Instances': selected.filter((i) => i.tables !== undefined).map((i) => i.name).join(','),
    ...(down.length > 0 ? { 'X-Jool-Instances-Down': down.map((i) => i.name).join(',') } : {}),
  });
  let closed = false;
  res.on('close', () => (closed = true));
  try {
    for (const chunk of sessionCsvChunks(selected, query)) {
      if (closed) return;
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end();
  } catch (error) {
    log.error('sessions.csv failed', { err: (error as Error).message });
    res.destroy(error as Error);
  }
}
