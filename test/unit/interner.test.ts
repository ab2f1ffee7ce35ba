import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { scanIPv6Bytes } from '../../src/table/address-bytes.js';
import { createIPv4Interner } from '../../src/table/ipv4-interner.js';
import { createIPv6Interner, restoreIPv6Interner } from '../../src/table/ipv6-interner.js';
import { randomInt, rng } from './support.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const all = (bytes: Uint8Array) => [bytes, 0, bytes.length] as const;

function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

describe('address interners', () => {
  it('gives dense ids in order of first sight, the same id for the same bytes', () => {
    const interner = createIPv4Interner();
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
    const interner = createIPv6Interner();
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
    const interner = createIPv4Interner();
    const big = bytes('xxxx10.0.0.1yyyy');
    const view = big.subarray(4, 12);
    expect(interner.intern(view, 0, view.length)).toBe(0);
    expect(interner.values[0]).toBe('10.0.0.1');
    expect(interner.intern(big, 4, 12)).toBe(0);
  });

  it('returns -1 for invalid text, every time, without adding it to values', () => {
    const interner = createIPv4Interner();
    for (let i = 0; i < 5; i++) {
      expect(interner.intern(...all(bytes('192.0.2.01')))).toBe(-1);
      expect(interner.intern(...all(bytes('not an address')))).toBe(-1);
      expect(interner.intern(...all(bytes('')))).toBe(-1);
      expect(interner.intern(...all(bytes('192.0.2.1\u00e9')))).toBe(-1);
    }
    expect(interner.size).toBe(0);
    expect(interner.values).toEqual([]);
    // A valid value after the garbage still gets id 0.
    expect(interner.intern(...all(bytes('192.0.2.1')))).toBe(0);
    expect(interner.intern(...all(bytes('192.0.2.01')))).toBe(-1);
  });

  it('keeps every id stable while growing past 100k entries', () => {
    const interner = createIPv4Interner();
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

  it('distinguishes addresses that share prefixes, lengths and characters', () => {
    const interner = createIPv4Interner();
    const texts = ['1.1.1.1', '1.1.1.11', '11.1.1.1', '1.1.11.1', '0.0.0.0', '255.255.255.255', '128.0.0.0'];
    const ids = texts.map((t) => interner.internString(t));
    expect(ids).toEqual(texts.map((_, i) => i));
    expect(texts.map((t) => interner.internString(t))).toEqual(ids);
    expect(texts.map((_, id) => interner.address(id))).toEqual([0x01010101, 0x0101010b, 0x0b010101, 0x01010b01, 0, 0xffffffff, 0x80000000]);
  });

  it('keeps each spelling as Jool printed it (its own id), with its 128 bits', () => {
    const interner = createIPv6Interner();
    expect(interner.internString('2001:db8::1')).toBe(0);
    expect(interner.internString('2001:DB8:0:0::1')).toBe(1);
    expect(interner.internString('2001:db8::1')).toBe(0);
    expect(interner.internString('::')).toBe(2);
    expect(interner.internString('::ffff:192.0.2.1')).toBe(3);
    expect(interner.internString('::ffff:c000:201')).toBe(4);
    expect(interner.values).toEqual(['2001:db8::1', '2001:DB8:0:0::1', '::', '::ffff:192.0.2.1', '::ffff:c000:201']);
    expect([0, 1, 2, 3].map((w) => interner.word(0, w))).toEqual([0x20010db8, 0, 0, 1]);
    expect([0, 1, 2, 3].map((w) => interner.word(1, w))).toEqual([0x20010db8, 0, 0, 1]);
    expect([0, 1, 2, 3].map((w) => interner.word(4, w))).toEqual([0, 0, 0xffff, 0xc0000201]);
  });

  it('without its bits (keepBits false, as for the IPv6 locals): the same ids and texts, and no word() to read', () => {
    const random = rng(5);
    const texts = Array.from({ length: 3000 }, () => `2001:db8::${randomInt(random, 0, 5000).toString(16)}`);
    texts.push('2001:DB8::1', '64:ff9b::192.0.2.1');
    const withBits = createIPv6Interner(100);
    const without = createIPv6Interner(100, false);
    expect(texts.map((t) => without.internString(t))).toEqual(texts.map((t) => withBits.internString(t)));
    for (const interner of [withBits, without]) interner.seal();
    expect(without.values).toEqual(withBits.values);
    expect(() => without.word(0, 0)).toThrow(/keeps no address bits/);
    expect(without.parts().bits).toHaveLength(0);
    expect(withBits.parts().bits).toHaveLength(withBits.size * 4);
    // Moved to another thread, each is what it was.
    const [restoredWith, restoredWithout] = [restoreIPv6Interner(withBits.parts()), restoreIPv6Interner(without.parts())];
    expect(restoredWithout.values).toEqual(withBits.values);
    expect(() => restoredWithout.word(0, 0)).toThrow(/keeps no address bits/);
    expect([0, 1, 2, 3].map((w) => restoredWith.word(0, w))).toEqual([0, 1, 2, 3].map((w) => withBits.word(0, w)));
  });

  it('keeps every IPv6 id stable while growing past 100k entries', () => {
    const interner = createIPv6Interner();
    const random = rng(12);
    const texts = new Set<string>();
    while (texts.size < 110_000)
      texts.add(`2001:db8:${randomInt(random, 0, 0xffff).toString(16)}::${randomInt(random, 1, 0xffff).toString(16)}`);
    const list = [...texts];
    for (const [i, text] of list.entries()) expect(interner.internString(text)).toBe(i);
    for (let i = list.length - 1; i >= 0; i -= 3) expect(interner.internString(list[i]!)).toBe(i);
    expect(interner.size).toBe(list.length);
  });

  it('gives every spelling of one value its own id, however they interleave (canonical by bits, others by text)', () => {
    const interner = createIPv6Interner();
    const random = rng(13);
    const spellings = ['2001:db8::1', '2001:DB8::1', '2001:db8:0:0:0:0:0:1', '2001:db8::0:1', '2001:0db8::1'];
    const ids = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const text = spellings[randomInt(random, 0, spellings.length - 1)]!;
      const id = interner.internString(text);
      if (!ids.has(text)) ids.set(text, id);
      expect(id, text).toBe(ids.get(text));
      expect(interner.values[id]).toBe(text);
      expect([0, 1, 2, 3].map((w) => interner.word(id, w))).toEqual([0x20010db8, 0, 0, 1]);
    }
    expect(interner.size).toBe(spellings.length);
    expect(new Set(ids.values()).size).toBe(spellings.length);
  });

  it('text(id), texts() and values say the same, also for ids added after values was first read', () => {
    const interner = createIPv6Interner();
    const random = rng(14);
    const added: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3000; i++) {
        const text = `2001:db8:${randomInt(random, 1, 0xffff).toString(16)}::${randomInt(random, 1, 0xffff).toString(16)}`;
        if (interner.internString(text) === added.length) added.push(text);
      }
      expect(interner.values).toEqual(added);
      const { bytes, offsets } = interner.texts();
      expect(offsets.length).toBe(added.length + 1);
      for (const [id, text] of added.entries()) {
        expect(interner.text(id)).toBe(text);
        expect(Buffer.from(bytes.subarray(offsets[id], offsets[id + 1])).toString('latin1')).toBe(text);
      }
    }
  });

  it("once sealed, keeps every id's text and bits and refuses to intern", () => {
    const v6 = createIPv6Interner();
    const v4 = createIPv4Interner();
    const texts6 = ['2001:db8::1', '2001:DB8::1', '64:ff9b::c633:6401'];
    const texts4 = ['192.0.2.1', '198.51.100.7'];
    for (const t of texts6) v6.internString(t);
    for (const t of texts4) v4.internString(t);
    v6.seal();
    v4.seal();
    expect(v6.values).toEqual(texts6);
    expect(v4.values).toEqual(texts4);
    expect(texts6.map((_, id) => v6.text(id))).toEqual(texts6);
    expect([0, 1, 2, 3].map((w) => v6.word(2, w))).toEqual([0x0064ff9b, 0, 0, 0xc6336401]);
    expect(v4.address(1)).toBe(0xc6336407);
    expect(v6.texts().offsets).toHaveLength(texts6.length + 1);
    expect(() => v6.internString('2001:db8::1')).toThrow(/sealed/);
    expect(() => v4.internString('192.0.2.1')).toThrow(/sealed/);
    expect(v6.size).toBe(3);
  });

  it('a size hint (none, too small, exact, too big) changes nothing but the allocation', () => {
    const random = rng(15);
    const texts6 = Array.from(
      { length: 5000 },
      () => `2001:db8:${randomInt(random, 1, 0xffff).toString(16)}::${randomInt(random, 1, 0xffff).toString(16)}`,
    );
    const texts4 = Array.from({ length: 5000 }, () => v4(randomInt(random, 0, 2 ** 32 - 1)));
    const ids = (interner: { internString(text: string): number }, texts: string[]) => texts.map((t) => interner.internString(t));
    const plain6 = ids(createIPv6Interner(), texts6);
    const plain4 = ids(createIPv4Interner(), texts4);
    for (const hint of [0, 10, 4000, 5000, 50_000]) {
      const v6 = createIPv6Interner(hint);
      const v4i = createIPv4Interner(hint);
      expect(ids(v6, texts6)).toEqual(plain6);
      expect(ids(v4i, texts4)).toEqual(plain4);
      expect(v6.values).toEqual([...new Set(texts6)]);
      expect(v4i.values).toEqual([...new Set(texts4)]);
    }
  });

  it("internLocal gives intern's id, whether the address embeds its IPv4 remote in the first /96 seen or not", () => {
    const random = rng(16);
    const remotes = createIPv4Interner();
    const viaLocal = createIPv6Interner();
    const viaIntern = createIPv6Interner();
    const words = new Uint32Array(4);
    const prefixes = ['64:ff9b::', '2001:db8:64::', '64:ff9b:1::'];
    for (let i = 0; i < 20_000; i++) {
      // Up to 3000 distinct IPv4 remotes (the ids outgrow the first array), a few spelt otherwise.
      const ipv4 = v4(0xc0000000 + randomInt(random, 0, 3000));
      const prefix = prefixes[randomInt(random, 0, 9) < 8 ? 0 : randomInt(random, 1, 2)]!;
      const embedded = ipaddr.IPv6.parse(`${prefix}${ipv4}`).toRFC5952String();
      const spellings = [embedded, `${prefix}${ipv4}`, embedded.toUpperCase(), `2001:db8::${randomInt(random, 1, 50).toString(16)}`];
      const text = spellings[randomInt(random, 0, 9) < 7 ? 0 : randomInt(random, 1, 3)]!;
      const ipv4Id = remotes.internString(ipv4);
      // The IPv4 remote of a row need not be the one embedded: sometimes it is another one.
      const remoteId = randomInt(random, 0, 9) < 9 ? ipv4Id : remotes.internString(v4(randomInt(random, 0, 2 ** 32 - 1)));
      const b = bytes(text);
      const spelling = scanIPv6Bytes(b, 0, b.length, words);
      const id = viaLocal.internLocal(b, 0, b.length, spelling, words, remoteId, remotes.address(remoteId));
      expect(id, text).toBe(viaIntern.internString(text));
      expect(viaLocal.values[id]).toBe(text);
    }
    expect(viaLocal.values).toEqual(viaIntern.values);
    expect(viaLocal.size).toBeGreaterThan(3000);
  });

  it('internString and intern agree', () => {
    const interner = createIPv6Interner();
    expect(interner.internString('2001:db8::1')).toBe(0);
    expect(interner.intern(...all(bytes('2001:db8::1')))).toBe(0);
    expect(interner.internString('2001:db8::2')).toBe(1);
    expect(interner.internString('fe80::1%eth0')).toBe(-1);
  });
});
