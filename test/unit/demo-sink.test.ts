import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../src/demo/inet-ntop.js';
import { newSink, putExpires, sinkBuffer } from '../../src/demo/sink.js';
import { formatExpiry } from '../../src/format/expiry.js';

/** The demo's byte writer of "Expires in" must print what the exporter's formatter prints. */
function written(ms: number): string {
  const sink = newSink(64);
  sink.pos = putExpires(sink.buf, 0, ms);
  return sinkBuffer(sink).toString('latin1');
}

describe('demo byte writers', () => {
  it('putExpires prints what formatExpiry prints', () => {
    const samples = [0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, 7_180_344, 359_949_928, 4_294_916_860];
    // and a spread of values with every digit position exercised
    for (let ms = 7; ms < 40 * 3_600_000; ms = Math.floor(ms * 1.37) + 13) samples.push(ms);
    for (const ms of samples) expect(written(ms), String(ms)).toBe(formatExpiry(ms));
  });

  it('formatIPv6 prints the dotted tail inet_ntop uses, unlike the RFC 5952 labels', () => {
    expect(formatIPv6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x201])).toBe('::ffff:192.0.2.1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0xc000, 0x201])).toBe('::192.0.2.1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1])).toBe('2001:db8:0:1::1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
  });
});
