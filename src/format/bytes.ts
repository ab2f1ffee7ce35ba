/**
 * Writers of ASCII numbers and Jool's "Expires in" straight into a byte buffer, for the CSV hot
 * paths (the demo's jool output and /sessions.csv): a JS string per row, encoded afterwards,
 * costs several times more than walking the table. Each writes at `pos` and returns the position
 * after what it wrote; the caller makes sure there is room.
 */

export function putBytes(buf: Uint8Array, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[pos++] = src[i]!;
  return pos;
}

/** A non-negative integer in decimal. */
export function putUint(buf: Uint8Array, pos: number, n: number): number {
  if (n >= 10) {
    let width = 2;
    for (let x = 100; x <= n; x *= 10) width++;
    for (let i = pos + width - 1; i >= pos; i--) {
      buf[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    return pos + width;
  }
  buf[pos] = 48 + n;
  return pos + 1;
}

function put2(buf: Uint8Array, pos: number, n: number): number {
  buf[pos] = 48 + Math.floor(n / 10);
  buf[pos + 1] = 48 + (n % 10);
  return pos + 2;
}

/**
 * format/expiry.ts's formatExpiry() of a whole, non-negative number of milliseconds, byte for
 * byte (test/unit/demo-sink.test.ts and test/unit/session-rows.test.ts hold them together).
 */
export function putExpires(buf: Uint8Array, pos: number, ms: number): number {
  const hours = Math.floor(ms / 3_600_000);
  let rest = ms - hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  rest -= seconds * 1000;
  pos = putUint(buf, pos, hours);
  buf[pos++] = 58;
  pos = put2(buf, pos, minutes);
  buf[pos++] = 58;
  pos = put2(buf, pos, seconds);
  if (rest !== 0) {
    buf[pos++] = 46;
    buf[pos++] = 48 + Math.floor(rest / 100);
    pos = put2(buf, pos, rest % 100);
  }
  return pos;
}
