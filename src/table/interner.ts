/**
 * Turns address text, read straight from a byte buffer, into small dense ids.
 *
 * A session table repeats the same few addresses millions of times (a client
 * has many sessions, pool4 has a handful of addresses). Interning keeps one
 * string per distinct address instead of one per row, lets the parser work on
 * bytes without allocating, validates each distinct address only once, and
 * gives aggregation cheap integer keys ("distinct clients" = distinct ids).
 */

export interface Interner {
  /** Text of each distinct value, indexed by id. */
  readonly values: readonly string[];
  /** Number of distinct values seen. */
  readonly size: number;
  /** Id of `bytes[start, end)`; interns it on first sight. Returns -1 when the validator rejects it. */
  intern(bytes: Uint8Array, start: number, end: number): number;
  /** Id of a JS string (same rules as `intern`), for callers that are not parsing bytes. */
  internString(text: string): number;
}

const EMPTY = -1;
const MAX_LOAD = 0.5;
// Rejected text is remembered (as a negative slot entry) so that a flood of identical garbage is
// validated once; a bounded number of them, so random garbage cannot grow the table without end.
const MAX_REMEMBERED_REJECTS = 1024;

export function createInterner(isValid: (text: string) => boolean): Interner {
  const values: string[] = [];
  const rejected: string[] = [];
  // Open addressing with linear probing. The hash sits beside the id in its own typed array, so a
  // probe compares two integers in cache before it ever touches a string.
  let slotEntry = new Int32Array(1024).fill(EMPTY);
  let slotHash = new Uint32Array(1024);
  let used = 0;

  function grow(): void {
    const entries = slotEntry;
    const hashes = slotHash;
    slotEntry = new Int32Array(entries.length * 2).fill(EMPTY);
    slotHash = new Uint32Array(entries.length * 2);
    const mask = slotEntry.length - 1;
    for (let old = 0; old < entries.length; old++) {
      if (entries[old] === EMPTY) continue;
      let slot = hashes[old]! & mask;
      while (slotEntry[slot] !== EMPTY) slot = (slot + 1) & mask;
      slotEntry[slot] = entries[old]!;
      slotHash[slot] = hashes[old]!;
    }
  }

  function sameText(text: string, bytes: Uint8Array, start: number, end: number): boolean {
    if (text.length !== end - start) return false;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) !== bytes[start + i]) return false;
    }
    return true;
  }

  // Jool prints sessions grouped by BIB entry, so a row often repeats the address of the row
  // before it; checking the last hit first skips the hash probe and its cache misses.
  let lastId = -1;

  function intern(bytes: Uint8Array, start: number, end: number): number {
    if (lastId >= 0 && sameText(values[lastId]!, bytes, start, end)) return lastId;
    const id = lookupOrInsert(bytes, start, end);
    if (id >= 0) lastId = id;
    return id;
  }

  function lookupOrInsert(bytes: Uint8Array, start: number, end: number): number {
    // FNV-1a over the bytes: cheap, and good enough on short address text.
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    // FNV's low bits mix poorly and the table indexes by low bits: finish with murmur3's fmix32.
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash = (hash ^ (hash >>> 16)) >>> 0;
    const mask = slotEntry.length - 1;
    let slot = hash & mask;
    for (;;) {
      const entry = slotEntry[slot]!;
      if (entry === EMPTY) break;
      if (slotHash[slot] === hash) {
        if (entry >= 0) {
          if (sameText(values[entry]!, bytes, start, end)) return entry;
        } else if (sameText(rejected[-2 - entry]!, bytes, start, end)) {
          return -1;
        }
      }
      slot = (slot + 1) & mask;
    }
    // latin1 maps each byte to one UTF-16 unit, so the text compares 1:1 with the bytes above.
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
    let id = -1;
    if (isValid(text)) {
      id = values.length;
      values.push(text);
      slotEntry[slot] = id;
    } else {
      if (rejected.length >= MAX_REMEMBERED_REJECTS) return -1;
      slotEntry[slot] = -2 - rejected.length;
      rejected.push(text);
    }
    slotHash[slot] = hash;
    if (++used > slotEntry.length * MAX_LOAD) grow();
    return id;
  }

  return {
    values,
    get size() {
      return values.length;
    },
    intern,
    internString(text: string): number {
      const bytes = Buffer.from(text, 'latin1');
      return intern(bytes, 0, bytes.length);
    },
  };
}
