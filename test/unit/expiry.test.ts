import { describe, expect, it } from 'vitest';
import { formatExpiry } from '../../src/format/expiry.js';
import { parseExpiry, parseExpiryBytes } from '../../src/parse/expiry.js';
import { fixture, randomInt, refExpiry, rng } from './support.js';

const H = 3_600_000;
const M = 60_000;
const S = 1000;

/** Every "Expires in" value of the session captures. */
function captureExpiries(): string[] {
  const out: string[] = [];
  for (const name of [
    'session-tcp.csv',
    'session-udp.csv',
    'session-icmp.csv',
    'session-tcp-noheaders.csv',
    'session-udp-noheaders.csv',
    'session-icmp-noheaders.csv',
    'session-default-table.csv',
  ]) {
    for (const line of fixture(name).toString('latin1').split('\n')) {
      if (line === '' || line.startsWith('Protocol,')) continue;
      out.push(line.split(',')[9]!);
    }
  }
  return out;
}

describe('parseExpiry: Jool 4 (H:MM:SS[.mmm])', () => {
  it.each([
    ['0:00:00', 0],
    ['0:00:01', S],
    ['0:00:00.001', 1],
    ['0:00:00.999', 999],
    ['0:00:00.010', 10],
    ['1:59:40.344', H + 59 * M + 40 * S + 344],
    ['1:59:40', H + 59 * M + 40 * S],
    ['0:09:52.780', 9 * M + 52 * S + 780],
    ['23:59:59.999', 24 * H - 1],
    ['99:59:09.928', 99 * H + 59 * M + 9 * S + 928],
    ['100:00:00', 100 * H],
    ['1193:01:56.860', 1193 * H + M + 56 * S + 860],
    ['1193:02:47.295', 2 ** 32 - 1],
    ['0001193:02:47.295', 2 ** 32 - 1],
  ])('%s = %i ms', (text, ms) => {
    expect(parseExpiry(text)).toBe(ms);
  });

  // Jool keeps an expiry in a u32 of milliseconds (jiffies_to_msecs()): it cannot print more, and
  // the session table stores expiries in a Uint32Array.
  it.each(['1193:02:47.296', '1193:02:48', '1194:00:00', '1234567:00:00', '9999999:59:59.999'])(
    '%s is past what Jool can print: -1',
    (text) => {
      expect(refExpiry(text)).toBeNull();
      expect(parseExpiry(text)).toBe(-1);
    },
  );
});

describe('parseExpiry: Jool 3 (HH:MM:SS.m, ms unpadded)', () => {
  it.each([
    ['00:02:57.44', 177_044],
    ['00:00:01.5', 1005],
    ['00:00:01.50', 1050],
    ['00:00:01.500', 1500],
    ['01:00:00.0', H],
    ['02:00:00.999', 2 * H + 999],
    ['00:04:00.7', 4 * M + 7],
  ])('%s = %i ms', (text, ms) => {
    expect(parseExpiry(text)).toBe(ms);
  });
});

describe('parseExpiry: malformed', () => {
  it.each([
    '',
    'abc',
    '.1234',
    '1:60:00',
    '1:5:00',
    '1:00:60',
    '1:00:5',
    ':00:00',
    '1:00',
    '1:00:',
    '1',
    '1:',
    '1:00:0',
    '1:00:00.',
    '1:00:00.1234',
    '1:00:00.-1',
    '1:00:00.1a',
    '1:00:00:00',
    '1::00:00',
    '-1:00:00',
    '+1:00:00',
    ' 1:00:00',
    '1:00:00 ',
    '1:00:00,5',
    '1:0a:00',
    '1:00:0a',
    'a:00:00',
    '12345678:00:00',
    '1:00:00.5.5',
    '1:00.00',
    '1-00-00',
    '1:00:00\r',
  ])('%j is rejected (-1)', (text) => {
    expect(refExpiry(text)).toBeNull(); // the reference agrees it is bad
    expect(parseExpiry(text)).toBe(-1);
  });
});

describe('parseExpiryBytes', () => {
  it('reads only bytes[start, end) of a larger buffer', () => {
    const buf = Buffer.from('TCP,x,1:02:03.004,ESTABLISHED');
    const start = buf.indexOf(',', 4) + 1;
    const end = buf.indexOf(',', start);
    expect(parseExpiryBytes(buf, start, end)).toBe(H + 2 * M + 3 * S + 4);
  });

  it('does not read digits that lie past `end`', () => {
    const buf = Buffer.from('1:02:03.456');
    expect(parseExpiryBytes(buf, 0, 7)).toBe(H + 2 * M + 3 * S); // "1:02:03"
    expect(parseExpiryBytes(buf, 0, 9)).toBe(H + 2 * M + 3 * S + 4); // "1:02:03.4"
    expect(parseExpiryBytes(buf, 0, 6)).toBe(-1); // "1:02:0"
    expect(parseExpiryBytes(buf, 0, 4)).toBe(-1); // "1:02", then ":03" outside
    expect(parseExpiryBytes(buf, 0, 8)).toBe(-1); // "1:02:03."
    expect(parseExpiryBytes(buf, 3, 3)).toBe(-1); // empty
  });

  it('works on a subarray with a byteOffset', () => {
    const big = Buffer.from('xxxxxxxx0:00:07.5xxxx');
    const view = big.subarray(8, 17);
    expect(parseExpiryBytes(view, 0, view.length)).toBe(7005);
  });

  it('agrees with the regex reference on random strings made of expiry characters', () => {
    const random = rng(42);
    const alphabet = '0123456789::..0123456789';
    let valid = 0;
    for (let n = 0; n < 20_000; n++) {
      let s = '';
      const len = randomInt(random, 0, 14);
      for (let i = 0; i < len; i++) s += alphabet[randomInt(random, 0, alphabet.length - 1)];
      const want = refExpiry(s);
      if (want !== null) valid++;
      expect(parseExpiry(s), JSON.stringify(s)).toBe(want ?? -1);
    }
    // Random mutation of valid values too, so the valid side is exercised.
    for (let n = 0; n < 5000; n++) {
      const s = formatExpiry(randomInt(random, 0, 2 ** 32 - 1));
      const i = randomInt(random, 0, s.length - 1);
      const mutated = s.slice(0, i) + alphabet[randomInt(random, 0, alphabet.length - 1)] + s.slice(i + 1);
      const want = refExpiry(mutated);
      if (want !== null) valid++;
      expect(parseExpiry(mutated), JSON.stringify(mutated)).toBe(want ?? -1);
    }
    expect(valid).toBeGreaterThan(1000);
  });
});

describe('formatExpiry', () => {
  it.each([
    [0, '0:00:00'],
    [1, '0:00:00.001'],
    [10, '0:00:00.010'],
    [999, '0:00:00.999'],
    [S, '0:00:01'],
    [59 * S, '0:00:59'],
    [M, '0:01:00'],
    [10 * M + 5 * S + 120, '0:10:05.120'],
    [H + 59 * M + 40 * S + 344, '1:59:40.344'],
    [99 * H + 59 * M + 9 * S + 928, '99:59:09.928'],
    [1193 * H + M + 56 * S + 860, '1193:01:56.860'],
    [2 ** 32 - 1, '1193:02:47.295'],
  ])('%i ms prints as %s', (ms, text) => {
    expect(formatExpiry(ms)).toBe(text);
  });

  it('clamps negatives to 0 and rounds fractions', () => {
    expect(formatExpiry(-5)).toBe('0:00:00');
    expect(formatExpiry(1.4)).toBe('0:00:00.001');
    expect(formatExpiry(999.6)).toBe('0:00:01');
  });

  it('prints every expiry of the 4.1.9 captures exactly as Jool did: format(parse(x)) === x', () => {
    const values = captureExpiries();
    expect(values.length).toBe(3 * 520 + 2 * 4004 + 2 * 1001);
    expect(values.some((v) => !v.includes('.'))).toBe(true); // both shapes are covered
    expect(values.some((v) => v.includes('.'))).toBe(true);
    for (const x of values) {
      const ms = parseExpiry(x);
      expect(ms, x).toBe(refExpiry(x));
      expect(formatExpiry(ms), x).toBe(x);
    }
  });

  it('round-trips parse(format(ms)) === ms over the whole 32-bit range', () => {
    const random = rng(1234);
    const samples = [0, 1, 999, 1000, 59_999, 60_000, H - 1, H, 100 * H - 1, 100 * H, 2 ** 32 - 1];
    for (let n = 0; n < 20_000; n++) samples.push(randomInt(random, 0, 2 ** 32 - 1));
    for (const ms of samples) {
      const text = formatExpiry(ms);
      expect(text).toMatch(/^\d+:[0-5]\d:[0-5]\d(\.\d{3})?$/);
      expect(text.endsWith('.000')).toBe(false);
      expect(parseExpiry(text), text).toBe(ms);
    }
  });

  it('Jool 3 values reformat into Jool 4 shape with the same milliseconds', () => {
    expect(formatExpiry(parseExpiry('00:02:57.44'))).toBe('0:02:57.044');
    expect(formatExpiry(parseExpiry('00:00:01.5'))).toBe('0:00:01.005');
    expect(formatExpiry(parseExpiry('01:00:00.0'))).toBe('1:00:00');
  });
});
