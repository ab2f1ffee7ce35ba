/**
 * Basic authentication under a flood of wrong passwords, on a real exporter: checks run one at a
 * time and past the queue's bound are refused at once (429 + Retry-After), while a scrape with
 * cached good credentials and /healthz are answered while wrong ones are still waiting. No
 * wall-clock budget: the assertion is on order (the good answer arrives before the queue drains).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBasicAuth, parseBasicAuthorization } from '../src/web/basic-auth.js';
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

  it('does not hold up a scrape with cached credentials, nor /healthz; a refused guess says when to retry', async () => {
    const FLOOD = 40;
    const answered: number[] = [];
    // Raw sockets, not fetch: the exporter runs in this process, and a bcrypt check holds the event
    // loop for up to bcryptjs's 100 ms slice; fetch needs several turns per request to get one out,
    // raw sockets send every guess in the first turn, as a flood from outside would.
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      rawGet(exporter.address.port, '/metrics', basic('prometheus', `guess-${i}`)).then((response) => {
        answered.push(response.status);
        return response;
      }),
    );
    // The flood is under way: the first guesses have been checked, most are still waiting. (Whether
    // they wait in the kernel's accept queue or in the exporter's bounded bcrypt queue depends on how
    // fast they arrive; the unit test above covers the bound itself.)
    await waitFor(() => answered.length > 0, 20_000);
    const scrape = await exporter.get('/metrics', { authorization: GOOD });
    const scrapeBody = await scrape.text();
    const wrongDoneAtScrape = answered.filter((s) => s === 401).length;
    const health = await exporter.get('/healthz');
    const wrongDoneAtHealth = answered.filter((s) => s === 401).length;

    expect(scrape.status).toBe(200);
    expect(scrapeBody).toContain('jool_sessions{');
    expect(health.status).toBe(200);
    // Wrong guesses were still waiting for their bcrypt when both were answered.
    expect(wrongDoneAtScrape).toBeLessThan(FLOOD - 1);
    expect(wrongDoneAtHealth).toBeLessThan(FLOOD - 1);

    const responses = await Promise.all(flood);
    const busy = responses.filter((r) => r.status === 429);
    for (const response of busy) expect(response.retryAfter).toBe('1');
    expect(responses.filter((r) => r.status === 401).length).toBe(FLOOD - busy.length);
    expect(responses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    console.info(
      `web-auth.test.ts: ${FLOOD} wrong passwords at once: ${FLOOD - busy.length} checked (401), ${busy.length} refused at once (429); the cached scrape came back after ${wrongDoneAtScrape} of them`,
    );
  }, 60_000);
});
