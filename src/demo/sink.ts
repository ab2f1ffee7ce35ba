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

// The number and expiry writers are shared with /sessions.csv.
export { putBytes, putExpires, putUint } from '../format/bytes.js';
