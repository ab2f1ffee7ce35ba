import { describe, it, expect } from 'vitest';
import { createInterner } from '../../src/table/interner.js';
import { isIPv4Text, isIPv6Text } from '../../src/table/address.js';
import { rng, randomInt } from './support.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const all = (bytes: Uint8Array) => [bytes, 0, bytes.length] as const;

function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

describe('createInterner', () => {
  it('gives dense ids in order of first sight, the same id for the same bytes', () => {
    const interner = createInterner(isIPv4Text);
    expect(interner.size).toBe(0);
    expect(interner.intern(...all(bytes('192.0.2.1')))).toBe(0);
    expect(interner.intern(...all(bytes('192.0.2.2')))).toBe(1);
    expect(interner.intern(...all(bytes('192.0.2.1')))).toBe(0);
    expect(interner.intern(...all(bytes('198.51.100.1')))).toBe(2);
    expect(interner.intern(...all(bytes('192.0.2.2')))).toBe(1);
    expect(interner.size).toBe(3);
    expect(interner.values).toEqual(['192.0.2.1', '192.0.2.2', '198.51.100.1']);
  });

  it('interns a slice of a larger buffer by its bytes, not by position', () => {
    const interner = createInterner(isIPv6Text);
    const line = bytes('TCP,2001:db8::a,1,2001:db8::a,2,2001:db8::b');
    const fields: Array<[number, number]> = [];
    let start = 0;
    for (let i = 0; i <= line.length; i++) {
      if (i === line.length || line[i] === 0x2c) {
        fields.push([start, i]);
        start = i + 1;
      }
    }
    expect(interner.intern(line, ...fields[1]!)).toBe(0);
    expect(interner.intern(line, ...fields[3]!)).toBe(0);
    expect(interner.intern(line, ...fields[5]!)).toBe(1);
    expect(interner.intern(line, ...fields[0]!)).toBe(-1); // "TCP"
    expect(interner.values).toEqual(['2001:db8::a', '2001:db8::b']);
  });

  it('handles a subarray view with a byteOffset', () => {
    const interner = createInterner(isIPv4Text);
    const big = bytes('xxxx10.0.0.1yyyy');
    const view = big.subarray(4, 12);
    expect(interner.intern(view, 0, view.length)).toBe(0);
    expect(interner.values[0]).toBe('10.0.0.1');
    expect(interner.intern(big, 4, 12)).toBe(0);
  });

  it('returns -1 for invalid text, every time, without adding it to values', () => {
    const interner = createInterner(isIPv4Text);
    for (let i = 0; i < 5; i++) {
      expect(interner.intern(...all(bytes('192.0.2.01')))).toBe(-1);
      expect(interner.intern(...all(bytes('not an address')))).toBe(-1);
      expect(interner.intern(...all(bytes('')))).toBe(-1);
    }
    expect(interner.size).toBe(0);
    expect(interner.values).toEqual([]);
    // A valid value after the garbage still gets id 0.
    expect(interner.intern(...all(bytes('192.0.2.1')))).toBe(0);
    expect(interner.intern(...all(bytes('192.0.2.01')))).toBe(-1);
  });

  it('validates each distinct value once', () => {
    const seen = new Map<string, number>();
    const interner = createInterner((text) => {
      seen.set(text, (seen.get(text) ?? 0) + 1);
      return !text.startsWith('bad');
    });
    for (let round = 0; round < 3; round++) {
      for (const text of ['a', 'b', 'bad1', 'a', 'bad2', 'bad1', 'c']) interner.internString(text);
    }
    expect(Object.fromEntries(seen)).toEqual({ a: 1, b: 1, bad1: 1, bad2: 1, c: 1 });
    expect(interner.values).toEqual(['a', 'b', 'c']);
  });

  it('keeps refusing after thousands of distinct invalid values, and valid ones still intern', () => {
    const interner = createInterner((text) => !text.startsWith('x'));
    expect(interner.internString('keep')).toBe(0);
    for (let i = 0; i < 5000; i++) expect(interner.internString(`x${i}`)).toBe(-1);
    for (let i = 0; i < 5000; i += 7) expect(interner.internString(`x${i}`)).toBe(-1);
    for (let i = 0; i < 3000; i++) expect(interner.internString(`v${i}`)).toBe(i + 1);
    expect(interner.internString('keep')).toBe(0);
    for (let i = 0; i < 3000; i++) expect(interner.internString(`v${i}`)).toBe(i + 1);
    expect(interner.size).toBe(3001);
  });

  it('keeps every id stable while growing past 100k entries', () => {
    const interner = createInterner(isIPv4Text);
    const random = rng(11);
    const texts: string[] = [];
    const seen = new Set<number>();
    while (texts.length < 120_000) {
      const n = randomInt(random, 0, 2 ** 32 - 1);
      if (seen.has(n)) continue;
      seen.add(n);
      texts.push(v4(n));
    }
    texts.forEach((text, i) => {
      expect(interner.intern(...all(bytes(text)))).toBe(i);
      // Re-check an older id now and then, while the table grows.
      if (i % 997 === 0) {
        const j = randomInt(random, 0, i);
        expect(interner.internString(texts[j]!)).toBe(j);
      }
    });
    expect(interner.size).toBe(texts.length);
    expect(interner.values).toEqual(texts);
    // Every id is still found, in a shuffled order.
    const order = texts.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomInt(random, 0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) expect(interner.intern(...all(bytes(texts[i]!)))).toBe(i);
    expect(interner.size).toBe(texts.length);
  });

  it('distinguishes texts that share prefixes, lengths and characters', () => {
    const interner = createInterner(() => true);
    const texts = ['1.1.1.1', '1.1.1.11', '11.1.1.1', '1.1.11.1', 'ab', 'ba', 'a', 'aa', 'aaa', ''];
    const ids = texts.map((t) => interner.internString(t));
    expect(ids).toEqual(texts.map((_, i) => i));
    expect(texts.map((t) => interner.internString(t))).toEqual(ids);
  });

  it('treats bytes as latin1: high bytes round-trip and stay distinct', () => {
    const interner = createInterner(() => true);
    const hi = new Uint8Array([0x41, 0xe9, 0xff]);
    const lo = new Uint8Array([0x41, 0xe9, 0xfe]);
    expect(interner.intern(hi, 0, 3)).toBe(0);
    expect(interner.intern(lo, 0, 3)).toBe(1);
    expect(interner.intern(hi, 0, 3)).toBe(0);
    expect(interner.values[0]).toBe('A\u00e9\u00ff');
    expect(interner.internString('A\u00e9\u00ff')).toBe(0);
  });

  it('internString and intern agree', () => {
    const interner = createInterner(isIPv6Text);
    expect(interner.internString('2001:db8::1')).toBe(0);
    expect(interner.intern(...all(bytes('2001:db8::1')))).toBe(0);
    expect(interner.internString('2001:db8::2')).toBe(1);
    expect(interner.internString('fe80::1%eth0')).toBe(-1);
  });
});
