/** The HTTP endpoints, against a real listening server fed by the jool stand-in. */

import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExporter, startOnCaptures } from './support/exporter.js';
import { fixture } from './support/fake-jool.js';

let exporter: RunningExporter;
beforeAll(async () => {
  exporter = await startOnCaptures(['default', 'empty']);
});
afterAll(() => exporter.stop());

const HEADER = fixture('session-tcp.csv').split('\n')[0]!;
const captureLines = (protocol: string) => fixture(`session-${protocol}-noheaders.csv`).split('\n').filter(Boolean);
const expiryMs = (text: string) => {
  const [h, m, s] = text.split(':');
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
};

async function csv(query: string): Promise<{ status: number; lines: string[]; response: Response }> {
  const response = await exporter.get(`/sessions.csv${query}`);
  const body = await response.text();
  return { status: response.status, lines: body.split('\n').filter(Boolean), response };
}

describe('/sessions.csv', () => {
  it('serves the table exactly as jool printed it: same header, same rows, byte for byte', async () => {
    for (const protocol of ['tcp', 'udp', 'icmp']) {
      const { status, lines, response } = await csv(`?instance=default&protocol=${protocol}`);
      expect(status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(lines[0]).toBe(HEADER);
      expect(lines.slice(1)).toEqual(captureLines(protocol));
    }
  });

  it('without filters: every protocol of every healthy instance, TCP first', async () => {
    const { lines, response } = await csv('');
    expect(lines.slice(1)).toEqual([...captureLines('tcp'), ...captureLines('udp'), ...captureLines('icmp')]);
    expect(response.headers.get('x-jool-instances')).toBe('default,empty');
  });

  it('filters by protocol (repeated or comma-separated) and TCP state', async () => {
    const both = await csv('?protocol=udp&protocol=icmp');
    expect(both.lines.slice(1)).toEqual([...captureLines('udp'), ...captureLines('icmp')]);
    expect((await csv('?protocol=icmp,udp')).lines).toEqual(both.lines);
    const fins = await csv('?state=V4_FIN_RCV,V6_FIN_RCV');
    expect(fins.lines.slice(1)).toEqual(captureLines('tcp').filter((l) => /,V[46]_FIN_RCV$/.test(l)));
    expect(fins.lines.length - 1).toBe(80);
  });

  it('filters by client (IPv6 address or prefix), pool4 and remote (IPv4 address or prefix)', async () => {
    const field = (line: string, i: number) => line.split(',')[i]!;
    const all = [...captureLines('tcp'), ...captureLines('udp'), ...captureLines('icmp')];
    const inPrefix = (address: string, cidr: string) => ipaddr.parse(address).match(ipaddr.parseCIDR(cidr));

    const client = await csv('?client=2001:db8::a');
    expect(client.lines.slice(1)).toEqual(all.filter((l) => field(l, 1) === '2001:db8::a'));
    expect(client.lines.length).toBeGreaterThan(2);

    const clientPrefix = await csv('?client=2001:db8::8/125');
    expect(clientPrefix.lines.slice(1)).toEqual(all.filter((l) => inPrefix(field(l, 1), '2001:db8::8/125')));

    const pool4 = await csv('?pool4=192.0.2.2');
    expect(pool4.lines.slice(1)).toEqual(all.filter((l) => field(l, 5) === '192.0.2.2'));

    const remote = await csv('?remote=198.51.100.0/30&protocol=icmp');
    expect(remote.lines.slice(1)).toEqual(captureLines('icmp').filter((l) => inPrefix(field(l, 7), '198.51.100.0/30')));
    expect(remote.lines.length).toBeGreaterThan(1);
  });

  it('filters by expires_within, and combines filters with AND', async () => {
    const tcp = captureLines('tcp');
    const limitMs = expiryMs(tcp[0]!.split(',')[9]!);
    const soon = await csv(`?protocol=tcp&expires_within=${Math.floor(limitMs / 1000)}s`);
    expect(soon.lines.slice(1)).toEqual(tcp.filter((l) => expiryMs(l.split(',')[9]!) <= Math.floor(limitMs / 1000) * 1000));
    const combined = await csv('?protocol=tcp&state=ESTABLISHED&pool4=192.0.2.1');
    expect(combined.lines.slice(1)).toEqual(tcp.filter((l) => l.endsWith(',ESTABLISHED') && l.split(',')[5] === '192.0.2.1'));
  });

  it('limit caps the rows across protocols', async () => {
    expect((await csv('?limit=5')).lines).toEqual([HEADER, ...captureLines('tcp').slice(0, 5)]);
    expect((await csv('?limit=0')).lines).toEqual([HEADER]);
    const spanning = await csv(`?limit=${captureLines('tcp').length + 2}`);
    expect(spanning.lines.slice(-2)).toEqual(captureLines('udp').slice(0, 2));
  });

  it('an instance with an empty table gives just the header', async () => {
    expect((await csv('?instance=empty')).lines).toEqual([HEADER]);
  });

  it.each([
    ['?bogus=1', /unknown parameter "bogus"/],
    ['?protocol=sctp', /protocol=sctp is not one of tcp, udp, icmp/],
    ['?state=OPEN', /state=OPEN is not a TCP state/],
    ['?client=192.0.2.1', /client=192.0.2.1 is not IPv6/],
    ['?client=2001:db8::/200', /not an IPv6 address or CIDR/],
    ['?pool4=2001:db8::1', /pool4=2001:db8::1 is not IPv4/],
    ['?remote=nonsense', /remote=nonsense is not an IPv4 address/],
    ['?expires_within=soon', /expires_within: invalid duration "soon"/],
    ['?limit=-1', /limit=-1 is not a whole number/],
    ['?limit=1&limit=2', /takes one value/],
    ['?instance=other', /instance "other" is not polled/],
    ['?protocol=', /empty value/],
  ])('%s is refused with 400 and a one-line reason', async (query, reason) => {
    const response = await exporter.get(`/sessions.csv${query}`);
    const body = await response.text();
    expect(response.status).toBe(400);
    expect(body).toMatch(reason);
    expect(body.trim().split('\n')).toHaveLength(1);
  });
});

describe('other endpoints', () => {
  it('/metrics in the Prometheus text format by default', async () => {
    const response = await exporter.get('/metrics');
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await response.text();
    expect(body).toContain('# TYPE jool_session_poll_failures_total counter');
    expect(body).toContain('jool_session_poll_failures_total{jool_instance="default",reason="exit"} 0');
  });

  it('/metrics in OpenMetrics when the scraper asks for it', async () => {
    const response = await exporter.get('/metrics', { Accept: 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5' });
    expect(response.headers.get('content-type')).toContain('application/openmetrics-text');
    const body = await response.text();
    expect(body.endsWith('# EOF\n')).toBe(true);
    expect(body).toContain('# TYPE jool_session_poll_failures counter');
    expect(body).toContain('jool_session_poll_failures_total{jool_instance="default",reason="exit"} 0');
    expect(body).toContain('# TYPE jool_session_expiry_seconds histogram');
  });

  it('the landing page links every endpoint and shows each instance', async () => {
    const body = await exporter.text('/');
    for (const link of ['/metrics', '/sessions', '/sessions.csv', '/healthz', '/readyz']) expect(body).toContain(`href="${link}"`);
    expect(body).toMatch(
      /<td><a href="\/sessions\?instance=default">default<\/a><\/td><td>up<\/td><td class="n">520 \/ 4004 \/ 1001<\/td>/,
    );
  });

  it('unknown paths are 404', async () => {
    expect((await exporter.get('/nope')).status).toBe(404);
  });
});
