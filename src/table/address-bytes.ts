/**
 * Address text read straight from a byte buffer into its binary form, for the
 * interner's hot path: no string is made. Accepts exactly what isIPv4Text and
 * isIPv6Text (address.ts) accept, the text inet_ntop prints and nothing
 * looser; test/unit/address-bytes.test.ts holds them to that.
 */

const DOT = 0x2e;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

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

/** What scanIPv6Bytes found: not an address, the one canonical spelling of its value, or another. */
export const NOT_IPV6 = 0;
export const CANONICAL_IPV6 = 1;
export const OTHER_IPV6 = 2;

/**
 * IPv6 text in bytes[start, end) into `out` as four 32-bit words (most
 * significant first). Returns false, leaving `out` undefined, when the text is
 * not an address.
 */
export function parseIPv6Bytes(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean {
  return scanIPv6Bytes(bytes, start, end, out) !== NOT_IPV6;
}

/**
 * parseIPv6Bytes, also telling whether the text is the canonical spelling of its value: lower
 * case, no leading zeros, no dotted IPv4 tail, and "::" exactly on the longest run of two or more
 * zero groups (the first of equal runs), as RFC 5952 and glibc's inet_ntop (which Jool's client
 * prints with) write it; inet_ntop's dotted tail for ::/96 and ::ffff:0:0/96 counts as another
 * spelling, which only costs a slower lookup. A value has at most one canonical spelling, which is
 * what lets the interner key canonical text by its 128 bits and never compare text (interner.ts).
 */
export function scanIPv6Bytes(bytes: Uint8Array, start: number, end: number, out: Uint32Array): number {
  const length = end - start;
  if (length < 2 || length > 45) return NOT_IPV6;
  const groups = GROUPS;
  let count = 0;
  let gap = -1; // index in `groups` where "::" stands
  let canonical = true;
  let i = start;
  if (bytes[i] === COLON) {
    if (bytes[i + 1] !== COLON) return NOT_IPV6;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    // One group: 1 to 4 hex digits (HEX says each byte's value, and whether it is upper case).
    const first = i;
    let value = 0;
    let hex = HEX[bytes[i]!]!;
    while (hex >= 0 && i - first < 4) {
      value = (value << 4) | (hex & 15);
      if (hex > 15) canonical = false; // upper case
      i++;
      hex = i < end ? HEX[bytes[i]!]! : -1;
    }
    if (i < end && bytes[i] === DOT) {
      // Embedded IPv4 (::ffff:192.0.2.1): takes the place of the last two groups.
      const v4 = parseIPv4Bytes(bytes, first, end);
      if (v4 < 0 || count > 6) return NOT_IPV6;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      canonical = false;
      i = end;
      break;
    }
    const digits = i - first;
    if (digits === 0 || hex >= 0 || count === 8) return NOT_IPV6; // no digit, or a fifth one
    if (digits > 1 && bytes[first] === DIGIT_0) canonical = false; // leading zero
    groups[count++] = value;
    if (i === end) break;
    if (bytes[i] !== COLON) return NOT_IPV6;
    i++;
    if (i < end && bytes[i] === COLON) {
      if (gap >= 0) return NOT_IPV6;
      gap = count;
      i++;
    } else if (i === end) {
      return NOT_IPV6; // trailing single ":"
    }
  }
  if (gap >= 0 ? count > 7 : count !== 8) return NOT_IPV6;
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
  if (!canonical) return OTHER_IPV6;
  // Canonical: "::" exactly where RFC 5952 puts it (or nowhere, as the text has it).
  const run = zeroRunToCompress(groups);
  const expected = run < 0 ? -1 : run >>> 4;
  return gap === expected && (gap < 0 || 8 - count === (run & 15)) ? CANONICAL_IPV6 : OTHER_IPV6;
}

/**
 * Where RFC 5952 writes "::" in eight 16-bit groups: the longest run of two or more zero groups,
 * the first of equal runs. Returned as start * 16 + length (start = run >>> 4, length = run & 15),
 * or -1 when no run is long enough. A number, not an object: the interner asks this for every
 * canonical-looking address it reads.
 */
export function zeroRunToCompress(groups: ArrayLike<number>): number {
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  return bestStart < 0 ? -1 : bestStart * 16 + bestLength;
}

/** Per byte: its hex value (0 to 15), plus 16 when it is an upper-case letter; -1 when it is no hex digit. */
const HEX = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let x = 0; x < 6; x++) {
    table[0x61 + x] = 10 + x;
    table[0x41 + x] = 16 + 10 + x;
  }
  return table;
})();

/** Scratch for scanIPv6Bytes: one call at a time, never reentrant. */
const GROUPS = new Uint32Array(8);
