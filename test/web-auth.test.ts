/**
 * Basic authentication under a flood of wrong passwords, on a real exporter: checks run one at a
 * time and past the queue's bound are refused at once (429 + Retry-After), while a scrape with
 * cached good credentials and /healthz are answered while wrong ones are still waiting. No
 * wall-clock budget: the assertion is on order (the good answer arrives before the queue drains).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startTestExporter, waitFor, type RunningExporter } from './support/exporter.js';
import { createBasicAuth, parseBasicAuthorization } from '../src/web/basic-auth.js';

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

describe('password checks', () => {
  const users = new Map([['alice', bcrypt.hashSync('right', 4)]]);

  it('parses Basic credentials; a password may hold ":"', () => {
    expect(parseBasicAuthorization(basic('u', 'a:b'))).toEqual({ user: 'u', password: 'a:b' });
    expect(parseBasicAuthorization('basic ' + Buffer.from('u:').toString('base64'))).toEqual({ user: 'u', password: '' });
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization('Basic ' + Buffer.from('no colon').toString('base64'))).toBeUndefined();
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

  it('does not hold up a scrape with cached credentials, nor /healthz; past the queue it answers 429 at once', async () => {
    const FLOOD = 40;
    const answered: number[] = [];
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      exporter.get('/metrics', { authorization: basic('prometheus', `guess-${i}`) }).then(async (response) => {
        await response.arrayBuffer();
        answered.push(response.status);
        return response;
      }),
    );
    // Every guess has reached the exporter once some have been refused as over the bound.
    await waitFor(() => answered.includes(429), 20_000);

    const scrape = await exporter.get('/metrics', { authorization: GOOD });
    const scrapeBody = await scrape.text();
    const wrongDoneAtScrape = answered.filter((s) => s === 401).length;
    const health = await exporter.get('/healthz');
    const wrongDoneAtHealth = answered.filter((s) => s === 401).length;

    expect(scrape.status).toBe(200);
    expect(scrapeBody).toContain('jool_sessions{');
    expect(health.status).toBe(200);
    // Wrong guesses were still waiting for their bcrypt when both were answered.
    expect(wrongDoneAtScrape).toBeLessThan(FLOOD - answered.filter((s) => s === 429).length);
    expect(wrongDoneAtHealth).toBeLessThan(FLOOD - answered.filter((s) => s === 429).length);

    const responses = await Promise.all(flood);
    const busy = responses.filter((r) => r.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const response of busy) expect(response.headers.get('retry-after')).toBe('1');
    expect(responses.filter((r) => r.status === 401).length).toBe(FLOOD - busy.length);
    expect(responses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    console.info(`web-auth.test.ts: ${FLOOD} wrong passwords at once: ${FLOOD - busy.length} checked (401), ${busy.length} refused at once (429); the cached scrape came back after ${wrongDoneAtScrape} of them`);
  }, 60_000);
});
