/**
 * IPv6 text exactly as the jool client prints it (glibc's inet_ntop). A copy
 * on purpose, independent of the exporter's RFC 5952 labels (table/subscribers.ts),
 * which deliberately never print the dotted tail inet_ntop uses for ::/96 and ::ffff:0:0/96.
 */
import { formatIPv4 } from '../table/address.js';

/** inet_ntop(AF_INET6): lowercase, no leading zeros, longest run (>= 2) of zero words as "::" (RFC 5952). */
export function formatIPv6(words: ArrayLike<number>): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // glibc prints IPv4-compatible and IPv4-mapped addresses with a dotted tail.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const tail = formatIPv4(((words[6]! << 16) | words[7]!) >>> 0);
    return bestLen === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += words[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

/** Text as bytes, for the output paths that write bytes rather than strings. */
export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
