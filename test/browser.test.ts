/**
 * The landing page and the session browser in a real browser: Debian's
 * headless Chromium, driven with puppeteer-core (which downloads nothing).
 * Submits the form, follows a client link, and checks the rows shown against
 * the table the exporter holds. Screenshots of the landing page and of a
 * filtered view go to test-output/screenshots/ for a person to look at.
 *
 * Without /usr/bin/chromium (CHROMIUM_BIN overrides) the suite is skipped with
 * a loud warning, except under CI, where it fails: CI installs `chromium`.
 */

import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionTable } from '../src/table/session-table.js';
import { type RunningExporter, startTestExporter } from './support/exporter.js';
import { fakeJool } from './support/fake-jool.js';

const CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../test-output/screenshots/', import.meta.url));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
const MISSING = !executable(CHROMIUM);
if (MISSING) {
  console.warn(
    `!!! test/browser.test.ts: ${CHROMIUM} not found; the session browser is NOT TESTED in a browser. ` +
      `${CI ? 'CI is set: FAILING.' : 'Install it: apt-get install -y --no-install-recommends chromium'}`,
  );
}

/** The rows of a table the exporter holds whose columns pass `keep`, as page text [client, pool4, destination]. */
function expectedRows(table: SessionTable, keep: (i: number) => boolean): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < table.length; i++) {
    if (!keep(i)) continue;
    rows.push([
      table.ipv6Remotes.values[table.ipv6Remote[i]!]!,
      table.ipv4Locals.values[table.ipv4Local[i]!]!,
      table.ipv4Remotes.values[table.ipv4Remote[i]!]!,
    ]);
  }
  return rows;
}

/** What the page shows: the total, and per row [client, pool4, destination] as rendered. */
async function shown(page: Page): Promise<{ total: number; rows: string[][] }> {
  return page.evaluate(() => ({
    total: Number(document.querySelector('#total')?.textContent),
    rows: [...document.querySelectorAll('#sessions tbody tr')].map((tr) =>
      ['a.client', 'a.pool4', 'a.remote'].map((selector) => tr.querySelector(selector)?.textContent ?? ''),
    ),
  }));
}

describe.skipIf(MISSING && !CI)('the session browser in headless Chromium', () => {
  let exporter: RunningExporter;
  let browser: Browser;
  let profile: string;

  beforeAll(async () => {
    if (MISSING) throw new Error(`${CHROMIUM} not found and CI is set: install the Debian package chromium`);
    exporter = await startTestExporter([
      `--jool.path=${fakeJool().path}`,
      '--jool.instance=default',
      '--jool.instance=empty',
      '--poll.interval=1h',
    ]);
    await exporter.poller.firstPollDone;
    profile = mkdtempSync(join(tmpdir(), 'jool-browser-'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
      ],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await exporter?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('the landing page draws the pool4 bars and the top lists, and links to the browser', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const response = await page.goto(`${exporter.url}/`);
    expect(response?.status()).toBe(200);
    // The bars are drawn: a bar's filled part is as wide as its ratio says, in real layout pixels.
    const bars = await page.$$eval('.bar', (elements) =>
      elements.map((bar) => {
        const fill = bar.querySelector('span')!;
        return { ratio: parseFloat(fill.style.width) / 100, drawn: fill.getBoundingClientRect().width / bar.getBoundingClientRect().width };
      }),
    );
    expect(bars.length).toBeGreaterThan(0);
    for (const { ratio, drawn } of bars) expect(drawn).toBeCloseTo(ratio, 2);
    expect(await page.$$eval('.top-destinations tr', (rows) => rows.length)).toBeGreaterThan(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'landing-page.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('a[href="/sessions"]')]);
    expect(new URL(page.url()).pathname).toBe('/sessions');
    await page.close();
  });

  it('submits the form, shows the rows the exporter holds, follows a client link', async () => {
    const udp = exporter.store.current.instances.find((i) => i.name === 'default')!.tables!.udp.table;
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    await page.goto(`${exporter.url}/sessions`);

    await page.type('input[name="instance"]', 'default');
    await page.type('input[name="protocol"]', 'udp');
    await page.type('input[name="remote"]', '198.51.100.0/30');
    await page.$eval('input[name="limit"]', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('input[name="limit"]', '25');
    await Promise.all([page.waitForNavigation(), page.click('#apply')]);

    const byRemote = (i: number) => ['198.51.100.1', '198.51.100.2', '198.51.100.3'].includes(udp.ipv4Remotes.values[udp.ipv4Remote[i]!]!);
    const expected = expectedRows(udp, byRemote);
    expect(expected.length).toBeGreaterThan(25);
    const first = await shown(page);
    expect(first.total).toBe(expected.length);
    expect(first.rows).toEqual(expected.slice(0, 25));

    // Follow the first row's client: the page filtered by it, the other filters kept.
    const client = first.rows[0]![0]!;
    await Promise.all([page.waitForNavigation(), page.click('#sessions tbody tr a.client')]);
    const url = new URL(page.url());
    expect(url.searchParams.get('client')).toBe(client);
    expect(url.searchParams.get('remote')).toBe('198.51.100.0/30');
    const second = await shown(page);
    const both = expectedRows(udp, (i) => byRemote(i) && udp.ipv6Remotes.values[udp.ipv6Remote[i]!] === client);
    expect(second.total).toBe(both.length);
    expect(second.rows).toEqual(both.slice(0, 25));
    expect(await page.$eval('input[name="client"]', (input) => (input as HTMLInputElement).value)).toBe(client);
    await page.screenshot({ path: join(SCREENSHOTS, 'sessions-filtered.png'), fullPage: true });
    await page.close();
  });
});
