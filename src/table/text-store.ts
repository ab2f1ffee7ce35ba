/**
 * The interners' text store: the text of every id, as the bytes it was read from (interner.ts
 * has the why).
 */

export interface TextBytes {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
}

/**
 * The text of every id, as the bytes it was read from, back to back (the ids' strings are made
 * only when asked for: a 1M-row poll reads about 250k distinct addresses, and a string each was a
 * tenth of the poll's garbage).
 */
export function createTextStore(ids: number, bytesPerId: number, sealedTexts?: TextBytes) {
  let bytes = sealedTexts?.bytes ?? new Uint8Array(bytesPerId * ids);
  let offsets = sealedTexts?.offsets ?? new Uint32Array(ids + 1);
  let count = sealedTexts === undefined ? 0 : offsets.length - 1;
  const strings: string[] = [];

  const text = (id: number) =>
    Buffer.from(bytes.buffer, bytes.byteOffset + offsets[id]!, offsets[id + 1]! - offsets[id]!).toString('latin1');
  return {
    get count() {
      return count;
    },
    /** Appends the text of the next id. */
    add(from: Uint8Array, start: number, end: number): void {
      const at = offsets[count]!;
      const length = end - start;
      if (at + length > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, at + length));
        grown.set(bytes);
        bytes = grown;
      }
      for (let i = 0; i < length; i++) bytes[at + i] = from[start + i]!;
      if (count + 2 > offsets.length) {
        const grown = new Uint32Array(offsets.length * 2);
        grown.set(offsets);
        offsets = grown;
      }
      offsets[++count] = at + length;
    },
    text,
    values(): readonly string[] {
      for (let id = strings.length; id < count; id++) strings.push(text(id));
      return strings;
    },
    texts: (): TextBytes => ({ bytes: bytes.subarray(0, offsets[count]), offsets: offsets.subarray(0, count + 1) }),
    /** Trims the store to its content (the doubling leaves up to half of it unused). */
    trim(): void {
      bytes = bytes.slice(0, offsets[count]);
      offsets = offsets.slice(0, count + 1);
    },
  };
}

export type TextStore = ReturnType<typeof createTextStore>;
