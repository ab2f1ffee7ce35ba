/**
 * HTTP hardening (issue #9): never-conditional answers, strict and case-sensitive routes, and the
 * limit on concurrent /sessions.csv answers, against a real server and real sockets.
 */

import { get as httpGet } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';

let exporter: RunningExporter;
beforeAll(async () => {
  // A table far bigger than the socket buffers, so that a client that stops reading holds its slot.
  exporter = await startTestExporter(
    [
      `--jool.path=${fakeJool({ FAKE_JOOL_SCALE: '60' }).path}`,
      '--poll.interval=1h',
      '--jool.dialect=4',
      '--web.sessions-csv.max-concurrent=2',
    ],
    'info',
  );
  await exporter.poller.firstPollDone;
}, 120_000);
afterAll(() => exporter.stop());

/**
 * A GET with exactly these headers. Not fetch(): fetch adds `Cache-Control: no-cache` to a request
 * with conditional headers, and with it no server answers 304, hiding the bug.
 */
function plainGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(exporter.url + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('answers are never conditional', () => {
  it.each([
    ['If-None-Match', '*'],
    ['If-None-Match', '"anything"'],
    ['If-Modified-Since', new Date(Date.now() + 86_400_000).toUTCString()],
  ])('/metrics with %s: %s is a 200 with the whole body', async (header, value) => {
    const plain = await exporter.get('/metrics');
    const conditional = await plainGet('/metrics', { [header]: value });
    expect(conditional.status).toBe(200);
    expect(conditional.body).toContain('jool_up{jool_instance="default"} 1');
    expect(conditional.body.length).toBeGreaterThan((await plain.text()).length / 2);
  });

  it('/sessions.csv with If-None-Match: * is a 200 with rows', async () => {
    for (const path of ['/sessions.csv?protocol=icmp', '/', '/healthz']) {
      const response = await plainGet(path, { 'If-None-Match': '*' });
      expect(response.status).toBe(200);
      expect(response.body.length).toBeGreaterThan(2);
    }
  });
});

describe('routing is strict and case-sensitive', () => {
  it.each(['/metrics/', '/METRICS', '/Metrics', '/healthz/', '/HEALTHZ', '/readyz/', '/sessions.csv/', '/Sessions.csv'])(
    '%s is 404',
    async (path) => {
      const response = await exporter.get(path);
      expect(response.status).toBe(404);
      expect(await response.text()).toMatch(/^404 not found/);
    },
  );

  it('the exact paths still answer', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz', '/']) expect((await exporter.get(path)).status).toBe(200);
  });
});

/** Starts a /sessions.csv download and stops reading once the answer has begun: the server is stuck writing. */
async function stalledDownload(): Promise<{ socket: Socket; head: string }> {
  const url = new URL(exporter.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.write('GET /sessions.csv HTTP/1.1\r\nHost: test\r\n\r\n');
  const head = await new Promise<string>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1', 0, 200)));
    socket.once('error', reject);
  });
  socket.pause();
  return { socket, head };
}

describe('concurrent /sessions.csv answers are limited', () => {
  it('past the limit: 429 with Retry-After; probes and /metrics answer meanwhile; a freed slot is reused', async () => {
    const held = [await stalledDownload(), await stalledDownload()];
    try {
      for (const { head } of held) expect(head).toMatch(/^HTTP\/1\.1 200 /);

      const refused = await exporter.get('/sessions.csv');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.text()).toMatch(/^429 too many requests/);

      // Both downloads still hold their slots, and every other endpoint answers in full.
      expect((await exporter.get('/healthz')).status).toBe(200);
      expect((await exporter.get('/readyz')).status).toBe(200);
      const metrics = await exporter.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('jool_up{jool_instance="default"} 1');
      expect((await exporter.get('/sessions.csv')).status).toBe(429);

      // A client that goes away gives its slot back.
      held.pop()!.socket.destroy();
      const again = await waitFor(async () => {
        const response = await exporter.get('/sessions.csv?protocol=icmp');
        if (response.status === 429) {
          await response.text();
          return undefined;
        }
        return response;
      });
      expect(again.status).toBe(200);
      expect((await again.text()).split('\n').length).toBeGreaterThan(1000);
      // ...and a finished answer gives it back too: the next ones are served.
      expect((await exporter.get('/sessions.csv?protocol=icmp')).status).toBe(200);
    } finally {
      for (const { socket } of held) socket.destroy();
    }
  });
});
