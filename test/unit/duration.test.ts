import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/duration.js';
import { randomInt, rng } from './support.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['0ms', 0],
    ['500ms', 500],
    ['1s', S],
    ['15s', 15 * S],
    ['90s', 90 * S],
    ['1m', M],
    ['1m30s', M + 30 * S],
    ['2h', 2 * H],
    ['1h0m1s', H + S],
    ['1d', D],
    ['1w', 7 * D],
    ['1y', 365 * D],
    ['1y2w3d4h5m6s7ms', 365 * D + 14 * D + 3 * D + 4 * H + 5 * M + 6 * S + 7],
    ['1m5ms', M + 5],
    ['5m5s', 5 * M + 5 * S],
    ['007s', 7 * S],
  ])('%s = %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '15',
    's',
    'ms',
    '1.5s',
    '-1s',
    '+1s',
    '1S',
    '1 s',
    ' 1s',
    '1s ',
    '1s1m',
    '1m1h',
    '1s1s',
    '1ms1s',
    '1sec',
    '1min',
    '1h30',
    'PT1S',
    '1e3ms',
    '1μs',
    '1us',
    '1ns',
    'abc',
  ])('%j is refused with an error naming it', (text) => {
    expect(() => parseDuration(text)).toThrow(Error);
    expect(() => parseDuration(text)).toThrow(JSON.stringify(text));
  });

  it('refuses values past Number.MAX_SAFE_INTEGER ms', () => {
    expect(() => parseDuration('999999999999y')).toThrow(/too large/);
    expect(() => parseDuration(`${Number.MAX_SAFE_INTEGER + 2}ms`)).toThrow(/too large/);
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [S, '1s'],
    [15 * S, '15s'],
    [M + 30 * S, '1m30s'],
    [1500, '1s500ms'],
    [2 * H, '2h'],
    [D, '1d'],
    [8 * D, '1w1d'],
    [366 * D + H, '1y1d1h'],
  ])('%i ms = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    const random = rng(5);
    for (let n = 0; n < 5000; n++) {
      const ms = random() < 0.5 ? randomInt(random, 0, 10 * D) : randomInt(random, 0, 2 ** 40);
      const text = formatDuration(ms);
      expect(parseDuration(text), text).toBe(ms);
    }
  });
});
