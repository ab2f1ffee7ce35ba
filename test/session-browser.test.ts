/**
 * The session browser (/sessions) and the landing page, over HTTP, against a
 * real server fed by the jool stand-in: rows and totals agree with
 * /sessions.csv, hostile values come out escaped, and
 * --web.disable-sessions-csv turns the browser off too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, href, html, raw } from '../src/http/html.js';
import { type RunningExporter, startTestExporter } from './support/exporter.js';
import { fakeJool, fixture } from './support/fake-jool.js';

// A legal Jool instance name (15 ASCII characters at most) made of markup; the stand-in fails it
// with an error that quotes the name, so it reaches the page both as a name and in an error message.
const HOSTILE = `<s>"'&x</s>`;

let exporter: RunningExporter;
beforeAll(async () => {
  exporter = await startTestExporter([
    `--jool.path=${fakeJool().path}`,
    '--jool.instance=default',
    `--jool.instance=${HOSTILE}`,
    '--poll.interval=1h',
  ]);
  await exporter.poller.firstPollDone;
});
afterAll(() => exporter.stop());

const captureLines = (protocol: string) => fixture(`session-${protocol}-noheaders.csv`).split('\n').filter(Boolean);

/** The rows of the page's session table as [instance, protocol, client, pool4, destination] text. */
function pageRows(body: string): string[][] {
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? '';
  return [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
    [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) =>
      cell!
        .replace(/<span[\s\S]*?<\/span>/g, '')
        .replace(/<[^>]+>/g, '')
        .trim(),
    ),
  );
}

const number = (body: string, id: string) => Number(new RegExp(`id="${id}">(\\d+)<`).exec(body)?.[1]);

async function browse(query: string): Promise<{ status: number; body: string }> {
  const response = await exporter.get(`/sessions${query}`);
  return { status: response.status, body: await response.text() };
}

describe('/sessions', () => {
  it('shows at most 100 rows by default, and the total that matched', async () => {
    const { status, body } = await browse('?instance=default');
    expect(status).toBe(200);
    const all = [...captureLines('tcp'), ...captureLines('udp'), ...captureLines('icmp')];
    expect(number(body, 'total')).toBe(all.length);
    expect(number(body, 'shown')).toBe(100);
    const rows = pageRows(body);
    expect(rows).toHaveLength(100);
    // The same rows, in the same order, as /sessions.csv: client, pool4 and destination columns.
    const expected = all.slice(0, 100).map((line) => line.split(','));
    expect(rows.map((r) => [r[1], r[2], r[4], r[5]])).toEqual(expected.map((f) => [f[0]!.toLowerCase(), f[1], f[5], f[7]]));
  });

  it('filters like /sessions.csv, with empty form fields meaning no filter, and links to the same CSV', async () => {
    const query = '?instance=default&protocol=udp&client=2001:db8::/125&remote=&pool4=&state=&expires_within=&limit=7';
    const { status, body } = await browse(query);
    expect(status).toBe(200);
    const csv = (await exporter.text('/sessions.csv?instance=default&protocol=udp&client=2001:db8::/125'))
      .split('\n')
      .filter(Boolean)
      .slice(1);
    expect(csv.length).toBeGreaterThan(7);
    expect(number(body, 'total')).toBe(csv.length);
    expect(pageRows(body).map((r) => r[2])).toEqual(csv.slice(0, 7).map((l) => l.split(',')[1]));
    const link = /id="csv" href="([^"]+)"/.exec(body)![1]!.replace(/&amp;/g, '&');
    const linked = (await exporter.text(link)).split('\n').filter(Boolean).slice(1);
    expect(linked).toEqual(csv.slice(0, 7));
  });

  it('links a client, pool4 address and destination to the page filtered by it', async () => {
    const { body } = await browse('?instance=default&protocol=tcp&limit=1');
    const [row] = pageRows(body);
    for (const [cls, name, value] of [
      ['client', 'client', row![2]],
      ['pool4', 'pool4', row![4]],
      ['remote', 'remote', row![5]],
    ] as const) {
      const link = new RegExp(`class="${cls}" href="([^"]+)"`).exec(body)![1]!.replace(/&amp;/g, '&');
      expect(new URL(link, exporter.url).searchParams.get(name)).toBe(value);
      const filtered = await browse(link.slice('/sessions'.length));
      expect(filtered.status).toBe(200);
      const rows = pageRows(filtered.body);
      expect(rows.length).toBe(1); // limit=1 is kept
      const column = { client: 2, pool4: 4, remote: 5 }[name];
      expect(rows[0]![column]).toBe(value);
    }
  });

  it('a bad filter is a 400 page with the form and the reason, escaped', async () => {
    const hostile = '<script>alert(1)</script>';
    for (const query of [
      `?client=${encodeURIComponent(hostile)}`,
      `?remote=${encodeURIComponent('"><img src=x onerror=alert(1)>')}`,
      '?limit=5001',
      '?nope=1',
    ]) {
      const { status, body } = await browse(query);
      expect(status, query).toBe(400);
      expect(body).toContain('class="error"');
      expect(body).toContain('<form');
      expect(body).not.toContain('<script');
      expect(body).not.toContain('<img');
    }
    const { body } = await browse(`?client=${encodeURIComponent(hostile)}`);
    expect(body).toContain(escapeHtml(hostile));
  });
});

describe('the landing page', () => {
  it('shows pool4 bars, top subscribers and destinations per instance, linked to the browser', async () => {
    const body = await exporter.text('/');
    expect(body).toContain('href="/sessions"');
    expect(body).toMatch(/<div class="bar[^"]*" title="\d+ of \d+ ports"><span style="width:[\d.]+%"><\/span><\/div>/);
    expect(body).toContain('class="top-subscribers"');
    expect(body).toMatch(/<a href="\/sessions\?instance=default&amp;protocol=udp&amp;remote=198\.51\.100\.1">198\.51\.100\.1<\/a>/);
  });

  it('escapes an instance name and an error message made of markup', async () => {
    const body = await exporter.text('/');
    expect(body).not.toContain(HOSTILE);
    expect(body).not.toContain('<s>');
    expect(body).toContain(escapeHtml(HOSTILE));
    expect(body).toContain(`lacks an instance named ${escapeHtml(`'${HOSTILE}'`)}`);
    const page = await browse(`?instance=${encodeURIComponent(HOSTILE)}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<s>');
    expect(page.body).toContain(escapeHtml(HOSTILE));
  });
});

describe('before the first poll', () => {
  it('the browser answers 503 with the form, and the landing page still answers', async () => {
    const waiting = await startTestExporter([`--jool.path=${fakeJool({ FAKE_JOOL_MODE: 'hang' }).path}`, '--poll.interval=1h']);
    try {
      const response = await waiting.get('/sessions');
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(body).toContain('<form');
      expect(body).toContain('first poll has not finished');
      expect((await waiting.get('/')).status).toBe(200);
    } finally {
      await waiting.stop();
    }
  });
});

describe('--web.disable-sessions-csv', () => {
  it('turns off /sessions.csv and the browser, and the landing page stops linking them', async () => {
    const off = await startTestExporter([`--jool.path=${fakeJool().path}`, '--poll.interval=1h', '--web.disable-sessions-csv']);
    try {
      await off.poller.firstPollDone;
      expect((await off.get('/sessions.csv')).status).toBe(404);
      expect((await off.get('/sessions?protocol=tcp')).status).toBe(404);
      const body = await off.text('/');
      expect(body).not.toContain('/sessions');
      expect(body).toContain('class="top-destinations"'); // the metrics-level summary stays
    } finally {
      await off.stop();
    }
  });
});

describe('html.ts', () => {
  it('escapes interpolated text, keeps markup built by html/raw, drops null and booleans', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${[html`<br>`, '&']}${null}${undefined}${false}${3}</p>`.text).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b><br>&amp;3</p>',
    );
    expect(html`${raw('<hr>')}`.text).toBe('<hr>');
    // Something that merely looks like SafeHtml is still text.
    expect(html`${{ text: '<x>' } as unknown as string}`.text).toBe('[object Object]');
  });

  it('href encodes values and leaves empty ones out', () => {
    expect(href('/sessions', { client: '2001:db8::/56', remote: '', pool4: undefined, x: 'a&b c' })).toBe(
      '/sessions?client=2001%3Adb8%3A%3A%2F56&x=a%26b+c',
    );
    expect(href('/sessions', {})).toBe('/sessions');
  });
});
