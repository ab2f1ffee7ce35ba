/**
 * Basic authentication under a flood of wrong passwords, on a real exporter: checks run one at a
 * time on a worker thread and past the queue's bound are refused at once (429 + Retry-After), while
 * a scrape with cached good credentials and /healthz are answered while wrong ones are still
 * waiting. No wall-clock budget: the assertion is on order (the good answer arrives before most of
 * the queue has drained).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBasicAuth, parseBasicAuthorization } from '../src/web/basic-auth.js';
import { createBcryptWorker } from '../src/web/bcrypt-worker.js';
import { type RunningExporter, startTestExporter, waitFor } from './support/exporter.js';

/** One HTTP/1.1 GET on a socket of its own; the status and Retry-After of the answer. */
function rawGet(port: number, path: string, authorization: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
      resolve({ status, retryAfter: /\r\nretry-after: *([^\r]*)\r\n/i.exec(text)?.[1] });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('password checks', () => {
  const users = new Map([['alice', bcrypt.hashSync('right', 4)]]);

  it('parses Basic credentials; a password may hold ":"', () => {
    expect(parseBasicAuthorization(basic('u', 'a:b'))).toEqual({ user: 'u', password: 'a:b' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({ user: 'u', password: '' });
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization(`Basic ${Buffer.from('no colon').toString('base64')}`)).toBeUndefined();
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
  });

  it('an unknown user costs a full bcrypt like a wrong password: it queues, and is refused when the queue is full', async () => {
    const auth = createBasicAuth({ queueLimit: 1 });
    const first = auth.check(users, basic('mallory', 'x'));
    expect(auth.pending()).toBe(1);
    expect(await auth.check(users, basic('alice', 'right'))).toBe('busy');
    expect(await first).toBe('denied');
    expect(auth.pending()).toBe(0);
  });

  it('caches successes only, keyed by user, hash and password', async () => {
    const auth = createBasicAuth({ queueLimit: 1 });
    expect(await auth.check(users, basic('alice', 'right'))).toBe('ok');
    const slow = auth.check(users, basic('alice', 'wrong')); // fills the queue
    expect(await auth.check(users, basic('alice', 'right'))).toBe('ok'); // cached: no queue
    expect(await auth.check(users, basic('alice', 'wrong'))).toBe('busy'); // failures are not cached
    expect(await slow).toBe('denied');
    // A new hash for alice (config reloaded): the cached success no longer counts.
    const changed = new Map([['alice', bcrypt.hashSync('other', 4)]]);
    expect(await auth.check(changed, basic('alice', 'right'))).toBe('denied');
  });
});

describe('the bcrypt worker', () => {
  const hash = bcrypt.hashSync('right', 4);

  it('answers as bcryptjs does, and rejects a hash bcryptjs cannot read', async () => {
    const worker = createBcryptWorker();
    try {
      const verdicts = await Promise.all([worker.compare('right', hash), worker.compare('wrong', hash)]);
      expect(verdicts).toEqual([bcrypt.compareSync('right', hash), bcrypt.compareSync('wrong', hash)]);
      expect(verdicts).toEqual([true, false]);
      await expect(worker.compare('x', hash.replace('$2b$', '$3b$'))).rejects.toThrow(/^bcrypt: Invalid salt version/);
      expect(await worker.compare('right', hash)).toBe(true); // an error does not end the worker
    } finally {
      await worker.stop();
    }
  });

  it('fails the compare in flight when it is stopped, and starts again on the next compare', async () => {
    const worker = createBcryptWorker();
    const inFlight = worker.compare('wrong', bcrypt.hashSync('right', 12));
    const refused = expect(inFlight).rejects.toThrow(/stopped/);
    await worker.stop();
    await refused;
    expect(await worker.compare('right', hash)).toBe(true);
    await worker.stop();
  });

  it('a stopped basic auth still answers (a new worker), with the same results', async () => {
    const auth = createBasicAuth();
    const users = new Map([['alice', hash]]);
    expect(await auth.check(users, basic('alice', 'wrong'))).toBe('denied');
    await auth.stop();
    expect(await auth.check(users, basic('alice', 'right'))).toBe('ok');
    await auth.stop();
  });
});

describe('a flood of wrong passwords', () => {
  let dir: string;
  let exporter: RunningExporter;
  const GOOD = basic('prometheus', 'scrape-secret');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jool-web-auth-'));
    const file = join(dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('scrape-secret', 10)}'\n`);
    exporter = await startTestExporter(['--source=demo', `--web.config.file=${file}`]);
    await waitFor(async () => (await exporter.get('/readyz', { authorization: GOOD })).status === 200, 20_000);
  });
  afterAll(async () => {
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not hold up a scrape with cached credentials, nor /healthz; past the bound a guess gets 429 and when to retry', async () => {
    const FLOOD = 40;
    const QUEUE = 16; // createBasicAuth's default bound
    const answered: number[] = [];
    // Raw sockets, not fetch: every guess is written in this turn, as a flood from outside would
    // arrive. The checks run on a worker thread, so the exporter (in this process) accepts them all
    // at once: the first QUEUE wait for bcrypt, the rest are refused on the spot.
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      rawGet(exporter.address.port, '/metrics', basic('prometheus', `guess-${i}`)).then((response) => {
        answered.push(response.status);
        return response;
      }),
    );
    // A 429 means the queue is full: the flood is under way, up to QUEUE checks are waiting.
    await waitFor(() => answered.includes(429), 20_000);
    const scrape = await exporter.get('/metrics', { authorization: GOOD });
    const scrapeBody = await scrape.text();
    const checkedAtScrape = answered.filter((s) => s === 401).length;
    const health = await exporter.get('/healthz');
    const checkedAtHealth = answered.filter((s) => s === 401).length;

    expect(scrape.status).toBe(200);
    expect(scrapeBody).toContain('jool_sessions{');
    expect(health.status).toBe(200);

    const responses = await Promise.all(flood);
    const busy = responses.filter((r) => r.status === 429);
    const checked = responses.filter((r) => r.status === 401);
    expect(busy.length + checked.length).toBe(FLOOD);
    for (const response of busy) expect(response.retryAfter).toBe('1');
    for (const response of checked) expect(response.retryAfter).toBeUndefined();
    // Every place in the queue was taken (a check that ended early may have let one more in).
    expect(checked.length).toBeGreaterThanOrEqual(QUEUE);
    expect(busy.length).toBeGreaterThan(0);
    // Most wrong guesses were still waiting for bcrypt when the scrape and /healthz were answered:
    // no wall clock, only the order of the answers.
    // (A check that holds the event loop fails this: each one it runs lets a request on by a turn.)
    expect(checkedAtScrape).toBeLessThan(QUEUE / 2);
    expect(checkedAtHealth).toBeLessThan(QUEUE / 2);
    console.info(
      `web-auth.test.ts: ${FLOOD} wrong passwords at once: ${checked.length} checked (401), ${busy.length} refused at once (429); the cached scrape came back after ${checkedAtScrape} checks, /healthz after ${checkedAtHealth}`,
    );
  }, 60_000);
});
