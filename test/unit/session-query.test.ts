import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseSessionQuery, QUERY_PARAMETERS, QueryError, type SessionQuery } from '../../src/http/session-query.js';
import { TCP_STATES } from '../../src/model.js';

const INSTANCES = ['default', 'alt', 'edge'];
const parse = (query: Record<string, unknown>) => parseSessionQuery(query, INSTANCES);

function error(query: Record<string, unknown>, instances = INSTANCES): QueryError {
  try {
    parseSessionQuery(query, instances);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return e as QueryError;
  }
  throw new Error(`no QueryError for ${JSON.stringify(query)}`);
}

/** Does the parsed CIDR list contain `address`? */
function matches(cidrs: SessionQuery['client'], address: string): boolean {
  const parsed = ipaddr.parse(address);
  return (cidrs ?? []).some((c) => parsed.kind() === c.range[0].kind() && parsed.match(c.range as [ipaddr.IPv4, number]));
}

describe('parseSessionQuery: no parameters', () => {
  it('means everything', () => {
    expect(parse({})).toEqual({
      instances: null,
      protocols: ['tcp', 'udp', 'icmp'],
      states: null,
      client: null,
      pool4: null,
      remote: null,
      expiresWithinMs: null,
      limit: null,
    });
  });

  it('knows exactly the documented parameters', () => {
    expect([...QUERY_PARAMETERS].sort()).toEqual(['client', 'expires_within', 'instance', 'limit', 'pool4', 'protocol', 'remote', 'state']);
  });
});

describe('parseSessionQuery: unknown parameters', () => {
  it.each(['foo', 'protocols', 'Protocol', 'expires-within', 'state ', ''])('%j is refused', (name) => {
    const e = error({ [name]: 'tcp' });
    expect(e.message).toContain(`"${name}"`);
    expect(e.message).toMatch(/unknown parameter/);
  });

  it('is refused even next to valid ones', () => {
    expect(error({ protocol: 'tcp', limt: '5' }).message).toContain('limt');
  });
});

describe('instance', () => {
  it('single, repeated, comma-separated, deduplicated', () => {
    expect(parse({ instance: 'alt' }).instances).toEqual(['alt']);
    expect(parse({ instance: ['alt', 'edge'] }).instances).toEqual(['alt', 'edge']);
    expect(parse({ instance: 'alt,default' }).instances).toEqual(['alt', 'default']);
    expect(parse({ instance: ['alt,edge', 'alt'] }).instances).toEqual(['alt', 'edge']);
    expect(parse({ instance: ' alt , edge ' }).instances).toEqual(['alt', 'edge']);
  });

  it('an instance that is not polled is refused, naming it', () => {
    const e = error({ instance: 'nope' });
    expect(e.message).toContain('"nope"');
    expect(error({ instance: ['alt', 'nope'] }).message).toContain('nope');
    expect(error({ instance: 'Default' }).message).toContain('Default'); // names are case-sensitive
  });

  it('an empty value is refused', () => {
    expect(error({ instance: '' }).message).toMatch(/empty/);
    expect(error({ instance: 'alt,' }).message).toMatch(/empty/);
    expect(error({ instance: ['alt', ''] }).message).toMatch(/empty/);
  });
});

describe('protocol', () => {
  it('filters, in canonical order, case-insensitively', () => {
    expect(parse({ protocol: 'udp' }).protocols).toEqual(['udp']);
    expect(parse({ protocol: 'UDP' }).protocols).toEqual(['udp']);
    expect(parse({ protocol: ['icmp', 'TCP'] }).protocols).toEqual(['tcp', 'icmp']);
    expect(parse({ protocol: 'Icmp,udp,tcp' }).protocols).toEqual(['tcp', 'udp', 'icmp']);
    expect(parse({ protocol: 'tcp,tcp' }).protocols).toEqual(['tcp']);
  });

  it.each(['sctp', 'icmpv6', 'tc', '6', 'tcp udp'])('refuses %j', (value) => {
    expect(error({ protocol: value }).message).toMatch(/protocol=/);
  });
});

describe('state', () => {
  it('maps names to TCP_STATES codes, case-insensitively, repeated or comma-separated', () => {
    expect(parse({ state: 'ESTABLISHED' }).states).toEqual(new Set([TCP_STATES.indexOf('ESTABLISHED')]));
    expect(parse({ state: 'trans' }).states).toEqual(new Set([TCP_STATES.indexOf('TRANS')]));
    expect(parse({ state: ['v4_init', 'V6_Init'] }).states).toEqual(
      new Set([TCP_STATES.indexOf('V4_INIT'), TCP_STATES.indexOf('V6_INIT')]),
    );
    expect(parse({ state: TCP_STATES.join(',') }).states).toEqual(new Set(TCP_STATES.map((_, i) => i)));
  });

  it.each(['CLOSED', 'ESTABLISH', 'V4-INIT', '0'])('refuses %j', (value) => {
    expect(error({ state: value }).message).toMatch(/state=/);
  });
});

describe('client / pool4 / remote', () => {
  it('client takes IPv6 addresses and prefixes; a bare address is a /128', () => {
    const q = parse({ client: ['2001:db8::/32', '2001:db8:1::5'] });
    expect(q.client!.map((c) => c.text)).toEqual(['2001:db8::/32', '2001:db8:1::5']);
    expect(q.client![1]!.range[1]).toBe(128);
    expect(q.client![0]!.range[1]).toBe(32);
    expect(matches(q.client, '2001:db8:ffff::1')).toBe(true);
    expect(matches(q.client, '2001:db9::1')).toBe(false);
    expect(matches(parse({ client: '2001:db8:1::5' }).client, '2001:db8:1::6')).toBe(false);
  });

  it('pool4 and remote take IPv4 addresses and prefixes; a bare address is a /32', () => {
    const q = parse({ pool4: '192.0.2.0/24,198.51.100.7', remote: '203.0.113.0/25' });
    expect(q.pool4!.map((c) => c.range[1])).toEqual([24, 32]);
    expect(matches(q.pool4, '192.0.2.200')).toBe(true);
    expect(matches(q.pool4, '198.51.100.7')).toBe(true);
    expect(matches(q.pool4, '198.51.100.8')).toBe(false);
    expect(matches(q.remote, '203.0.113.127')).toBe(true);
    expect(matches(q.remote, '203.0.113.128')).toBe(false);
  });

  it('the wrong family is refused, naming the column it is matched against', () => {
    const e = error({ client: '192.0.2.1' });
    expect(e.message).toMatch(/not IPv6/);
    expect(e.message).toContain('IPv6 Remote Address');
    expect(error({ client: '192.0.2.0/24' }).message).toMatch(/not IPv6/);
    expect(error({ pool4: '64:ff9b::/96' }).message).toContain('IPv4 Local Address');
    expect(error({ remote: '2001:db8::1' }).message).toContain('IPv4 Remote Address');
  });

  it.each([
    ['client', '2001:db8::/129'],
    ['client', '2001:db8:::1'],
    ['client', 'nope'],
    ['client', '2001:db8::/'],
    ['pool4', '192.0.2.0/33'],
    ['pool4', '192.0.2.256'],
    ['pool4', '192.0.2.0/x'],
    ['remote', '300.1.1.1/8'],
    ['remote', 'example.com'],
    // Junk around the prefix length, and a second "/": refused, not read as the nearest valid prefix.
    ['pool4', '192.0.2.0/24x'],
    ['pool4', '192.0.2.0/x24'],
    ['pool4', '192.0.2.0/+24'],
    ['pool4', '192.0.2.0/0024'],
    ['remote', '198.51.100.0/24/8'],
    ['remote', '198.51.100.0//24'],
    ['client', '2001:db8::/32/48'],
    ['client', '2001:db8::/48 64'],
  ])('%s=%s is refused as malformed', (name, value) => {
    const e = error({ [name]: value });
    expect(e.message).toContain(`${name}=${value}`);
  });

  // The module promises that "a typo must not return the whole table" (or the wrong part of it).
  // ipaddr.js also takes the legacy inet_aton forms; these should be refused like any typo.
  it.each([
    ['remote', '192.0.2'], // 3 parts: would mean 192.0.0.2
    ['remote', '10'], // 1 part: would mean 0.0.0.10
    ['pool4', '010.0.0.1'], // leading zero: octal, would mean 8.0.0.1
    ['pool4', '0x7f.1'], // hex, would mean 127.0.0.1
    ['pool4', '192.0.2/24'],
  ])('%s=%s (legacy inet_aton shorthand) is refused', (name, value) => {
    expect(() => parse({ [name]: value })).toThrow(QueryError);
  });
});

describe('expires_within', () => {
  it('is a Prometheus duration in ms', () => {
    expect(parse({ expires_within: '90s' }).expiresWithinMs).toBe(90_000);
    expect(parse({ expires_within: '1m30s' }).expiresWithinMs).toBe(90_000);
    expect(parse({ expires_within: '500ms' }).expiresWithinMs).toBe(500);
    expect(parse({ expires_within: '0s' }).expiresWithinMs).toBe(0);
  });

  it.each(['90', '1.5m', '-1s', 'soon', '1s1m'])('refuses %j', (value) => {
    expect(error({ expires_within: value }).message).toMatch(/^expires_within: /);
  });

  it('takes one value only', () => {
    expect(error({ expires_within: ['1s', '2s'] }).message).toMatch(/one value/);
    expect(error({ expires_within: '1s,2s' }).message).toMatch(/one value, got 2/);
  });
});

describe('limit', () => {
  it('is a whole number of rows', () => {
    expect(parse({ limit: '10' }).limit).toBe(10);
    expect(parse({ limit: '0' }).limit).toBe(0);
    expect(parse({ limit: '999999999' }).limit).toBe(999_999_999);
  });

  it.each(['-1', '1.5', '1e3', 'ten', '0x10', '1234567890', ' 5x'])('refuses %j', (value) => {
    expect(error({ limit: value }).message).toMatch(/limit=/);
  });

  it('takes one value only', () => {
    expect(error({ limit: ['1', '2'] }).message).toMatch(/"limit" takes one value, got 2/);
    expect(error({ limit: '1,2' }).message).toMatch(/one value/);
  });
});

describe('malformed shapes (as Express may parse them)', () => {
  it('nested objects and non-strings are refused', () => {
    expect(error({ protocol: { a: 'tcp' } }).message).toMatch(/"protocol" is malformed/);
    expect(error({ limit: ['1', { x: '2' }] }).message).toMatch(/malformed/);
    expect(error({ client: 5 }).message).toMatch(/malformed/);
  });

  it('empty values are refused', () => {
    expect(error({ protocol: '' }).message).toMatch(/empty/);
    expect(error({ state: 'TRANS,,V4_INIT' }).message).toMatch(/empty/);
    expect(error({ limit: '' }).message).toMatch(/empty/);
  });
});

describe('everything at once', () => {
  it('combines all parameters', () => {
    const q = parse({
      instance: 'edge',
      protocol: 'tcp',
      state: 'established,trans',
      client: '2001:db8::/48',
      pool4: '192.0.2.1',
      remote: ['198.51.100.0/24', '203.0.113.9'],
      expires_within: '4m',
      limit: '100',
    });
    expect(q.instances).toEqual(['edge']);
    expect(q.protocols).toEqual(['tcp']);
    expect(q.states).toEqual(new Set([TCP_STATES.indexOf('ESTABLISHED'), TCP_STATES.indexOf('TRANS')]));
    expect(q.client!.map((c) => c.text)).toEqual(['2001:db8::/48']);
    expect(q.pool4!.map((c) => c.text)).toEqual(['192.0.2.1']);
    expect(q.remote!.map((c) => c.text)).toEqual(['198.51.100.0/24', '203.0.113.9']);
    expect(q.expiresWithinMs).toBe(240_000);
    expect(q.limit).toBe(100);
  });
});
