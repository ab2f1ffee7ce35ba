/**
 * Address validation for interned session-table text. It runs once per
 * distinct address, but a big table has hundreds of thousands of those, so it
 * is a single pass over the characters rather than a general-purpose parser.
 * Both accept exactly what inet_ntop prints (what Jool's client uses) and
 * nothing looser: leading zeros in an IPv4 octet, zone ids or brackets mark
 * text that Jool did not write.
 */
import ipaddr from 'ipaddr.js';

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
}

/** Dotted quad in text[start, end), no leading zeros, each octet <= 255. */
function isDottedQuad(text: string, start: number, end: number): boolean {
  let octets = 0;
  let i = start;
  while (octets < 4) {
    const first = i;
    let value = 0;
    while (i < end && i - first < 3) {
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      i++;
    }
    const digits = i - first;
    if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(first) === 0x30)) return false;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
  }
  return i === end;
}

/** An IPv4 address held as a 32-bit number, as inet_ntop prints it. */
export function formatIPv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

export function isIPv4Text(text: string): boolean {
  return text.length >= 7 && text.length <= 15 && isDottedQuad(text, 0, text.length);
}

export function isIPv6Text(text: string): boolean {
  const length = text.length;
  if (length < 2 || length > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    compressed = true;
    i = 2;
    if (i === length) return true; // "::"
  }
  for (;;) {
    const start = i;
    while (i < length && i - start < 5 && isHexDigit(text.charCodeAt(i))) i++;
    const digits = i - start;
    if (i < length && text.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 (::ffff:192.0.2.1): takes the place of the last two groups.
      if (!isDottedQuad(text, start, length)) return false;
      groups += 2;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups++;
    if (i === length) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < length && text.charCodeAt(i) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === length) break; // trailing "::"
    } else if (i === length) {
      return false; // trailing single ":"
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/**
 * Parses address text with ipaddr.js, minding one trap: ipaddr.js reads the
 * deprecated IPv4-compatible form "::a.b.c.d" (which glibc's inet_ntop prints
 * for ::/96) as the IPv4-MAPPED ::ffff:a.b.c.d, a different address; written
 * "0::a.b.c.d" it reads it right.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const compatible = text.startsWith('::') && text.indexOf(':', 2) < 0 && text.includes('.');
  return ipaddr.parse(compatible ? `0${text}` : text);
}
