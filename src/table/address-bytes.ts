/**
 * Address text read straight from a byte buffer into its binary form, for the
 * interner's hot path: no string is made. Accepts exactly what isIPv4Text and
 * isIPv6Text (address.ts) accept, the text inet_ntop prints and nothing
 * looser; test/unit/address-bytes.test.ts holds them to that.
 */

const DOT = 0x2e;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

/** Hex value of a byte, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * A dotted quad in bytes[start, end) (no leading zeros, octets <= 255) as an
 * unsigned 32-bit number, or -1.
 */
export function parseIPv4Bytes(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || bytes[i] !== DOT) return -1;
      i++;
    }
    const first = i;
    let part = 0;
    while (i < end && i - first < 3) {
      const digit = bytes[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      part = part * 10 + digit;
      i++;
    }
    const digits = i - first;
    if (digits === 0 || part > 255 || (digits > 1 && bytes[first] === DIGIT_0)) return -1;
    value = value * 256 + part;
  }
  return i === end ? value : -1;
}

/**
 * IPv6 text in bytes[start, end) into `out` as four 32-bit words (most
 * significant first). Returns false, leaving `out` undefined, when the text is
 * not an address.
 */
export function parseIPv6Bytes(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean {
  const length = end - start;
  if (length < 2 || length > 45) return false;
  const groups = GROUPS;
  let count = 0;
  let gap = -1; // index in `groups` where "::" stands
  let i = start;
  if (bytes[i] === COLON) {
    if (bytes[i + 1] !== COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const first = i;
    let value = 0;
    while (i < end && i - first < 5) {
      const digit = hexValue(bytes[i]!);
      if (digit < 0) break;
      value = value * 16 + digit;
      i++;
    }
    if (i < end && bytes[i] === DOT) {
      // Embedded IPv4 (::ffff:192.0.2.1): takes the place of the last two groups.
      const v4 = parseIPv4Bytes(bytes, first, end);
      if (v4 < 0 || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - first;
    if (digits === 0 || digits > 4 || count === 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (bytes[i] !== COLON) return false;
    i++;
    if (i < end && bytes[i] === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false; // trailing single ":"
    }
  }
  if (gap >= 0 ? count > 7 : count !== 8) return false;
  if (gap >= 0) {
    // Move the groups after "::" to the end and fill the gap with zeros.
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  out[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  out[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  out[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return true;
}

/** Scratch for parseIPv6Bytes: one call at a time, never reentrant. */
const GROUPS = new Uint32Array(8);
