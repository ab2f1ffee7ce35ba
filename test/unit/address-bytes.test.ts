import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isIPv4Text, isIPv6Text, parseAddress } from '../../src/table/address.js';
import { CANONICAL_IPV6, NOT_IPV6, OTHER_IPV6, parseIPv4Bytes, parseIPv6Bytes, scanIPv6Bytes } from '../../src/table/address-bytes.js';
import { randomInt, rng } from './support.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const v6 = (text: string): number[] | null => {
  const out = new Uint32Array(4);
  return parseIPv6Bytes(bytes(text), 0, text.length, out) ? [...out] : null;
};
const v4 = (text: string) => parseIPv4Bytes(bytes(text), 0, text.length);

/** The words ipaddr.js gives, for comparison. */
function wordsOf(text: string): number[] {
  const parts = (parseAddress(text) as ipaddr.IPv6).parts;
  return [0, 2, 4, 6].map((g) => ((parts[g]! << 16) | parts[g + 1]!) >>> 0);
}

// Text near the edges of the grammar: every one must get the same verdict as isIPv4Text/isIPv6Text.
const V4_CASES = [
  '0.0.0.0',
  '255.255.255.255',
  '256.0.0.1',
  '1.2.3',
  '1.2.3.4.5',
  '01.2.3.4',
  '1.2.3.04',
  '1..2.3',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '1.2.3.-4',
  '1.2.3.4a',
  '1.2.3.',
  '1234.1.1.1',
  '',
];
const V6_CASES = [
  '::',
  '::1',
  '1::',
  '2001:db8::1',
  '2001:db8:0:0:0:0:0:1',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7',
  '1::2::3',
  ':1',
  '1:',
  '1:::2',
  '12345::',
  'g::',
  '::ffff:192.0.2.1',
  '::192.0.2.1',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  '::1.2.3',
  '::01.2.3.4',
  '::256.1.1.1',
  'fe80::1%eth0',
  '[::1]',
  'ABCD:EF01::',
  '1:2:3:4:5:6:7::',
  '::2:3:4:5:6:7:8',
  ':',
  '',
  '1:2:3:4:5:6::7:8',
  '1.2.3.4',
  '::ffff:1.2.3.4:5',
];

describe('parseIPv4Bytes', () => {
  it('accepts exactly what isIPv4Text accepts, with the right value', () => {
    for (const text of V4_CASES) {
      expect(v4(text) >= 0, text).toBe(isIPv4Text(text));
      if (isIPv4Text(text))
        expect(v4(text), text).toBe(
          ipaddr.IPv4.parse(text)
            .toByteArray()
            .reduce((a, b) => a * 256 + b, 0),
        );
    }
    const random = rng(5);
    for (let i = 0; i < 2000; i++) {
      const n = randomInt(random, 0, 2 ** 32 - 1);
      const text = [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
      expect(v4(text)).toBe(n);
    }
  });
});

describe('parseIPv6Bytes', () => {
  it('accepts exactly what isIPv6Text accepts, with the words ipaddr.js reads', () => {
    for (const text of V6_CASES) {
      expect(v6(text) !== null, text).toBe(isIPv6Text(text));
      if (isIPv6Text(text)) expect(v6(text), text).toEqual(wordsOf(text));
    }
  });

  it('reads random addresses in their canonical and in expanded form', () => {
    const random = rng(6);
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, () => (randomInt(random, 0, 2) === 0 ? 0 : randomInt(random, 0, 0xffff)));
      const address = new ipaddr.IPv6(groups);
      const expected = [0, 2, 4, 6].map((g) => ((groups[g]! << 16) | groups[g + 1]!) >>> 0);
      expect(v6(address.toRFC5952String())).toEqual(expected);
      expect(v6(address.toNormalizedString())).toEqual(expected);
      expect(v6(address.toFixedLengthString().toUpperCase())).toEqual(expected);
    }
  });

  it('reads a field inside a larger buffer without looking past its end', () => {
    const line = bytes('TCP,2001:db8::a,1');
    const out = new Uint32Array(4);
    expect(parseIPv6Bytes(line, 4, 15, out)).toBe(true);
    expect([...out]).toEqual([0x20010db8, 0, 0, 0xa]);
    expect(parseIPv6Bytes(line, 4, 17, out)).toBe(false);
  });
});

describe('scanIPv6Bytes: the canonical spelling', () => {
  const verdict = (text: string) => scanIPv6Bytes(bytes(text), 0, text.length, new Uint32Array(4));

  it('calls canonical exactly the RFC 5952 text of the value (what ipaddr.js and inet_ntop print), and only it', () => {
    const random = rng(21);
    let canonicalSeen = 0;
    let otherSeen = 0;
    for (let i = 0; i < 3000; i++) {
      // Runs of zero groups of every length and place, so that "::" has choices to get wrong.
      const groups = Array.from({ length: 8 }, () => (randomInt(random, 0, 1) === 0 ? 0 : randomInt(random, 0, 0xffff)));
      const address = new ipaddr.IPv6(groups);
      const canonical = address.toRFC5952String();
      const spellings = new Set([
        canonical,
        address.toNormalizedString(),
        address.toFixedLengthString(),
        canonical.toUpperCase(),
        // every other place "::" may stand, and none
        ...zeroRunSpellings(groups),
      ]);
      for (const text of spellings) {
        expect(isIPv6Text(text), text).toBe(true);
        const expected = text === canonical ? CANONICAL_IPV6 : OTHER_IPV6;
        expect(verdict(text), text).toBe(expected);
        if (expected === CANONICAL_IPV6) canonicalSeen++;
        else otherSeen++;
      }
    }
    expect(canonicalSeen).toBe(3000);
    expect(otherSeen).toBeGreaterThan(3000);
  });

  it('never calls a dotted IPv4 tail canonical, and rejects what is no address', () => {
    expect(verdict('::ffff:192.0.2.1')).toBe(OTHER_IPV6);
    expect(verdict('64:ff9b::192.0.2.1')).toBe(OTHER_IPV6);
    expect(verdict('::ffff:c000:201')).toBe(CANONICAL_IPV6);
    expect(verdict('2001:db8::1')).toBe(CANONICAL_IPV6);
    expect(verdict('2001:db8:0:1::1')).toBe(CANONICAL_IPV6);
    expect(verdict('2001:db8::1:0:0:1')).toBe(CANONICAL_IPV6); // the first of two equal runs
    expect(verdict('2001:db8:0:0:1::1')).toBe(OTHER_IPV6);
    expect(verdict('2001:db8::1:1:1:1:1')).toBe(OTHER_IPV6); // "::" for one zero group
    expect(verdict('2001:0db8::1')).toBe(OTHER_IPV6);
    expect(verdict('2001:db8::1%eth0')).toBe(NOT_IPV6);
    expect(verdict('2001:db8:::1')).toBe(NOT_IPV6);
    expect(verdict('12345::1')).toBe(NOT_IPV6);
  });
});

/** Every spelling of `groups` with "::" over some run of zero groups (of any length), or over none. */
function zeroRunSpellings(groups: readonly number[]): string[] {
  const hex = groups.map((g) => g.toString(16));
  const out = [hex.join(':')];
  for (let from = 0; from < 8; from++) {
    for (let to = from + 1; to <= 8 && groups[to - 1] === 0; to++) {
      if (groups[from] !== 0) break;
      out.push(`${hex.slice(0, from).join(':')}::${hex.slice(to).join(':')}`);
    }
  }
  return out;
}
