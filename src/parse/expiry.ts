/**
 * Jool's "Expires in" column.
 *
 * Jool 4 prints `H:MM:SS` and, only when the milliseconds are not zero,
 * `.mmm` zero-padded (`1:59:40.344`, `1:59:40`, `1193:01:56.860`).
 * Jool 3 prints `HH:MM:SS.m`, always with the milliseconds and not padded
 * (`00:02:57.44` is 2 min 57.044 s). Both are "an integer count of
 * milliseconds after the dot", so one rule reads both generations and no
 * dialect switch is needed here.
 *
 * Neither generation can print more than 2^32 - 1 ms (1193:02:47.295): the kernel module
 * computes the expiry with jiffies_to_msecs(), which returns an unsigned int, and Jool 4 also
 * clamps it to MAX_U32 and carries it to userspace as a u32 (src/mod/common/nl/attribute.c,
 * `__u32 dying_time` in src/usr/nl/session.h; Jool 3.5: mod/common/nl/session.c). A larger value
 * is not Jool's, and is rejected like any other malformed expiry. That is what lets the session
 * table keep expiries in a Uint32Array (table/session-table.ts).
 */

const COLON = 0x3a;
const DOT = 0x2e;
const DIGIT_0 = 0x30;

/** The largest expiry Jool can print: 2^32 - 1 ms. */
export const MAX_EXPIRY_MS = 0xffff_ffff;

/** Milliseconds, or -1 when the bytes are not an expiry. */
export function parseExpiryBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let hours = 0;
  // Hours are unpadded (Jool 4) or padded to two digits (Jool 3); 7 digits at most, so that the
  // sum below stays an exact integer before it is checked against MAX_EXPIRY_MS.
  while (i < end && bytes[i] !== COLON) {
    const digit = bytes[i]! - DIGIT_0;
    if (digit < 0 || digit > 9 || i - start >= 7) return -1;
    hours = hours * 10 + digit;
    i++;
  }
  if (i === start || i === end) return -1;
  const minutes = twoDigits(bytes, i + 1, end);
  if (minutes < 0 || minutes > 59 || bytes[i + 3] !== COLON) return -1;
  const seconds = twoDigits(bytes, i + 4, end);
  if (seconds < 0 || seconds > 59) return -1;
  i += 6;
  let millis = 0;
  if (i < end) {
    if (bytes[i] !== DOT || end - i < 2 || end - i > 4) return -1;
    for (i++; i < end; i++) {
      const digit = bytes[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) return -1;
      millis = millis * 10 + digit;
    }
  }
  const ms = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
  return ms > MAX_EXPIRY_MS ? -1 : ms;
}

function twoDigits(bytes: Uint8Array, at: number, end: number): number {
  if (at + 2 > end) return -1;
  const tens = bytes[at]! - DIGIT_0;
  const ones = bytes[at + 1]! - DIGIT_0;
  if (tens < 0 || tens > 9 || ones < 0 || ones > 9) return -1;
  return tens * 10 + ones;
}

export function parseExpiry(text: string): number {
  const bytes = Buffer.from(text, 'latin1');
  return parseExpiryBytes(bytes, 0, bytes.length);
}
