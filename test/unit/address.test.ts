import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isIPv4Text, isIPv6Text } from '../../src/table/address.js';
import { fixture, randomInt, rng } from './support.js';

const VALID_V6 = [
  '::',
  '::1',
  '1::',
  '1::2',
  '2001:db8::a',
  '64:ff9b::c000:205',
  '64:ff9b::c633:6401',
  'fe80::1',
  '2001:db8:0:0:1:0:0:1',
  '2001:db8::1:0:0:1',
  '1:2:3:4:5:6:7:8',
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  '::ffff:192.0.2.1',
  '64:ff9b::192.0.2.1',
  '::192.0.2.1',
  '::ffff:0.0.0.0',
  '1:2:3:4:5:6:192.0.2.1',
  '1::6:192.0.2.1',
  'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  '::1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7::',
  '1:2:3::6:7:8',
  'ABCD::EF01',
  '0000:0000:0000:0000:0000:0000:0000:0001',
  '2001:DB8::A',
  '::0:0:0:0:0:0:0',
];

const INVALID_V6 = [
  '',
  ':',
  ':::',
  '1',
  '1:',
  ':1',
  ':1::',
  '1:::2',
  '1::2::3',
  '::1::',
  '1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7:8::',
  '::1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:',
  '12345::',
  'g::',
  '::g',
  '2001:db8::a ',
  ' 2001:db8::a',
  '[::1]',
  '1.2.3.4',
  '::1.2.3',
  '::1.2.3.4.5',
  '::256.0.0.1',
  '::01.2.3.4',
  '::1.2.3.04',
  '1:2:3:4:5:6:7:1.2.3.4',
  '::1.2.3.4:1',
  '::1.2.3.4::',
  '::ab.0.2.1',
  '1:2:3:4:5:6:7:8.1.2.3',
  '::ffff:1.2.3.4/96',
  '2001:db8::/32',
  '-1::',
  '1::+2',
  '::ffff:192.0.2.1.',
  '::.1.2.3',
  'fe80::1%',
  '::1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:8:1.2.3.4',
  'localhost',
  'abcd',
  '::12345',
  '1::0x1',
];

const ZONED = ['fe80::1%eth0', 'fe80::1%1', '::1%lo', 'fe80::a:b%en0'];

const VALID_V4 = ['0.0.0.0', '1.2.3.4', '192.0.2.1', '198.51.100.1', '255.255.255.255', '10.0.0.10', '100.64.0.1', '199.99.9.0'];
const INVALID_V4 = [
  '',
  '1.2.3',
  '1.2.3.4.5',
  '256.0.0.1',
  '1.2.3.256',
  '01.2.3.4',
  '1.2.3.04',
  '1.02.3.4',
  '00.0.0.0',
  '1..2.3',
  '.1.2.3',
  '1.2.3.',
  ' 1.2.3.4',
  '1.2.3.4 ',
  '1.2.3.-4',
  '1.2.3.4/32',
  '0x7f.0.0.1',
  '1234.1.1.1',
  '1.2.3.1000',
  '999.999.999.999',
  'a.b.c.d',
  '127.1',
  '2130706433',
  '::ffff:1.2.3.4',
  '1,2,3,4',
  '1.2.3.4:80',
];

describe('isIPv6Text', () => {
  it.each(VALID_V6)('accepts %s (as net.isIPv6 does)', (text) => {
    expect(isIPv6(text)).toBe(true);
    expect(isIPv6Text(text)).toBe(true);
  });

  it.each(INVALID_V6)('rejects %j (as net.isIPv6 does)', (text) => {
    expect(isIPv6(text)).toBe(false);
    expect(isIPv6Text(text)).toBe(false);
  });

  it.each(ZONED)('rejects the zone id in %s (net.isIPv6 accepts it: intended difference)', (text) => {
    expect(isIPv6(text)).toBe(true);
    expect(isIPv6Text(text)).toBe(false);
  });

  it('accepts every IPv6 address of the captures', () => {
    for (const name of ['session-tcp.csv', 'session-udp.csv', 'session-icmp.csv']) {
      for (const line of fixture(name).toString().split('\n').slice(1)) {
        if (line === '') continue;
        const f = line.split(',');
        expect(isIPv6Text(f[1]!), f[1]).toBe(true);
        expect(isIPv6Text(f[3]!), f[3]).toBe(true);
        expect(isIPv6Text(f[5]!), f[5]).toBe(false); // IPv4 columns are not IPv6
      }
    }
  });

  it('accepts every textual form of random addresses (compressed, full, fixed-length, IPv4-embedded)', () => {
    const random = rng(6);
    for (let n = 0; n < 5000; n++) {
      const parts: number[] = [];
      for (let g = 0; g < 8; g++) {
        // Plenty of zero groups so "::" lands everywhere.
        parts.push(random() < 0.4 ? 0 : randomInt(random, 0, 0xffff));
      }
      const address = new ipaddr.IPv6(parts);
      const forms = [address.toString(), address.toNormalizedString(), parts.map((p) => p.toString(16).padStart(4, '0')).join(':')];
      const v4 = `${parts[6]! >> 8}.${parts[6]! & 255}.${parts[7]! >> 8}.${parts[7]! & 255}`;
      const head = new ipaddr.IPv6([...parts.slice(0, 6), 0, 1]).toString();
      // Compressed head, then the dotted quad in place of the last two groups (when they were not compressed away).
      if (head.endsWith(':0:1') && !head.endsWith('::1')) forms.push(`${head.slice(0, -4)}:${v4}`);
      forms.push(
        `${parts
          .slice(0, 6)
          .map((p) => p.toString(16))
          .join(':')}:${v4}`,
      );
      for (const form of forms) {
        expect(isIPv6(form), form).toBe(true);
        expect(isIPv6Text(form), form).toBe(true);
      }
    }
  });

  it('agrees with net.isIPv6 (zone ids aside) on random mutations of valid addresses', () => {
    const random = rng(66);
    const alphabet = '0123456789abcdefABCDEFg:.%/ []';
    let disagreements: string[] = [];
    let accepted = 0;
    for (let n = 0; n < 40_000; n++) {
      const base = VALID_V6[randomInt(random, 0, VALID_V6.length - 1)]!;
      let text = base;
      const edits = randomInt(random, 1, 3);
      for (let e = 0; e < edits; e++) {
        const i = randomInt(random, 0, text.length);
        const op = randomInt(random, 0, 2);
        const c = alphabet[randomInt(random, 0, alphabet.length - 1)]!;
        if (op === 0)
          text = text.slice(0, i) + c + text.slice(i); // insert
        else if (op === 1)
          text = text.slice(0, i) + text.slice(i + 1); // delete
        else text = text.slice(0, i) + c + text.slice(i + 1); // replace
      }
      const want = isIPv6(text) && !text.includes('%');
      if (want) accepted++;
      if (isIPv6Text(text) !== want) disagreements.push(text);
    }
    disagreements = [...new Set(disagreements)];
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('isIPv4Text', () => {
  it.each(VALID_V4)('accepts %s', (text) => {
    expect(isIPv4(text)).toBe(true);
    expect(isIPv4Text(text)).toBe(true);
  });

  it.each(INVALID_V4)('rejects %j', (text) => {
    expect(isIPv4Text(text)).toBe(false);
  });

  it('agrees with net.isIPv4 (which also refuses leading zeros) on every 1..3-digit octet and random strings', () => {
    for (let octet = 0; octet < 1000; octet++) {
      for (const text of [`${octet}.0.0.1`, `1.${octet}.0.1`, `1.1.1.${octet}`, `1.1.1.0${octet}`, `1.1.1.00${octet}`]) {
        expect(isIPv4Text(text), text).toBe(isIPv4(text));
      }
    }
    const random = rng(4);
    const alphabet = '0123456789...25';
    for (let n = 0; n < 30_000; n++) {
      let text = '';
      const len = randomInt(random, 0, 17);
      for (let i = 0; i < len; i++) text += alphabet[randomInt(random, 0, alphabet.length - 1)];
      expect(isIPv4Text(text), text).toBe(isIPv4(text));
    }
  });

  it('accepts every IPv4 address of the captures', () => {
    for (const name of ['session-tcp.csv', 'session-udp.csv', 'session-icmp.csv']) {
      for (const line of fixture(name).toString().split('\n').slice(1)) {
        if (line === '') continue;
        const f = line.split(',');
        expect(isIPv4Text(f[5]!), f[5]).toBe(true);
        expect(isIPv4Text(f[7]!), f[7]).toBe(true);
        expect(isIPv4Text(f[1]!), f[1]).toBe(false);
      }
    }
  });
});
