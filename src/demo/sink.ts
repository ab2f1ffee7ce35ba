/** The stdout chunk the demo fills, and the writers of numbers and text into it. */

/**
 * A stdout chunk being filled. The CSV hot path writes ASCII bytes straight
 * into it: building a million rows as JS strings and then encoding them costs
 * several times more than the table walk itself.
 */
export interface Sink {
  buf: Uint8Array;
  pos: number;
}

export function newSink(size: number): Sink {
  return { buf: new Uint8Array(size), pos: 0 };
}

export function reserve(sink: Sink, n: number): void {
  if (sink.pos + n <= sink.buf.length) return;
  const bigger = new Uint8Array(Math.max(sink.buf.length * 2, sink.pos + n));
  bigger.set(sink.buf.subarray(0, sink.pos));
  sink.buf = bigger;
}

export function putString(sink: Sink, text: string): void {
  reserve(sink, text.length);
  const buf = sink.buf;
  let pos = sink.pos;
  for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
  sink.pos = pos;
}

/** The filled part of a sink as a Buffer, without copying. */
export function sinkBuffer(sink: Sink): Buffer {
  return Buffer.from(sink.buf.buffer, sink.buf.byteOffset, sink.pos);
}

export function putBytes(buf: Uint8Array, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) buf[pos++] = src[i]!;
  return pos;
}

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
 * parse/expiry.ts's formatExpiry(), byte for byte (test/unit/demo-sink.test.ts holds them
 * together): a copy because the CSV hot path writes bytes, and a string per row costs more.
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
