/**
 * Turns address text, read straight from a byte buffer, into small dense ids.
 *
 * A session table repeats the same addresses millions of times (a client has
 * many sessions, pool4 has a handful of addresses, popular servers recur).
 * Interning keeps one string per distinct address instead of one per row and
 * gives aggregation cheap integer keys ("distinct clients" = distinct ids).
 *
 * An id is one exact text, as Jool printed it, so that /sessions.csv prints the
 * rows back byte for byte. The hot path never touches a JS string: the text of
 * each id is also kept as bytes in one arena, and a probe compares a hash and
 * then bytes with bytes, all in typed arrays. Text is validated, and its binary
 * form (32 or 128 bits, address-bytes.ts) kept by id, once, on first sight; so
 * later stages (subscribers, pool4) mask and compare numbers, never re-parse.
 */
import { parseIPv4Bytes, parseIPv6Bytes } from './address-bytes.js';

export interface Interner {
  /** Text of each distinct value, indexed by id. */
  readonly values: readonly string[];
  /** Number of distinct values seen. */
  readonly size: number;
  /** Id of the address in `bytes[start, end)`; interns it on first sight. Returns -1 when it is not an address. */
  intern(bytes: Uint8Array, start: number, end: number): number;
  /** Id of a JS string (same rules as `intern`), for callers that are not parsing bytes. */
  internString(text: string): number;
}

export interface IPv4Interner extends Interner {
  /** The address of an id, as an unsigned 32-bit number. */
  address(id: number): number;
}

export interface IPv6Interner extends Interner {
  /** Word `word` (0 to 3, most significant first) of the 128-bit address of an id. */
  word(id: number, word: number): number;
}

const MAX_LOAD = 0.5;
const INITIAL_SLOTS = 1024;

/** Parses bytes[start, end) into `out` (`stride` words); false when it is not an address. */
type BinaryParser = (bytes: Uint8Array, start: number, end: number, out: Uint32Array) => boolean;

function createTextInterner(parse: BinaryParser, stride: number) {
  const values: string[] = [];
  const scratch = new Uint32Array(stride);
  let binary = new Uint32Array(INITIAL_SLOTS * stride);
  // Text bytes of every id, back to back: id's text is arena[offsets[id], offsets[id + 1]).
  let arena = new Uint8Array(16 * INITIAL_SLOTS);
  let offsets = new Uint32Array(INITIAL_SLOTS + 1);
  // Open addressing, linear probing: slot k holds its text's hash at 2k and id + 1 at 2k + 1 (0: empty).
  let slots = new Int32Array(INITIAL_SLOTS * 2);
  let lastId = -1;

  function sameBytes(id: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = offsets[id]!;
    if (offsets[id + 1]! - from !== end - start) return false;
    for (let i = start, j = from; i < end; i++, j++) if (bytes[i] !== arena[j]) return false;
    return true;
  }

  function insert(hash: number, slot: number, bytes: Uint8Array, start: number, end: number): number {
    const id = values.length;
    values.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
    if ((id + 2) * stride > binary.length || id + 2 > offsets.length) {
      const grown = new Uint32Array(binary.length * 2);
      grown.set(binary);
      binary = grown;
      const grownOffsets = new Uint32Array(offsets.length * 2);
      grownOffsets.set(offsets);
      offsets = grownOffsets;
    }
    binary.set(scratch, id * stride);
    const from = offsets[id]!;
    if (from + (end - start) > arena.length) {
      const grown = new Uint8Array(Math.max(arena.length * 2, from + (end - start)));
      grown.set(arena);
      arena = grown;
    }
    arena.set(bytes.subarray(start, end), from);
    offsets[id + 1] = from + (end - start);
    slots[slot * 2] = hash;
    slots[slot * 2 + 1] = id + 1;
    if (values.length > (slots.length >>> 1) * MAX_LOAD) grow();
    return id;
  }

  function grow(): void {
    const old = slots;
    slots = new Int32Array(old.length * 2);
    const mask = (slots.length >>> 1) - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k + 1] === 0) continue;
      let slot = old[k]! & mask;
      while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = old[k]!;
      slots[slot * 2 + 1] = old[k + 1]!;
    }
  }

  function intern(bytes: Uint8Array, start: number, end: number): number {
    // Jool prints sessions grouped by BIB entry: a row often repeats the address of the row before.
    if (lastId >= 0 && sameBytes(lastId, bytes, start, end)) return lastId;
    // FNV-1a over the bytes, finished with murmur3's fmix32 (FNV's low bits, which the mask keeps, mix poorly).
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    const mask = (slots.length >>> 1) - 1;
    let slot = hash & mask;
    for (;;) {
      const entry = slots[slot * 2 + 1]!;
      if (entry === 0) break;
      if (slots[slot * 2] === hash && sameBytes(entry - 1, bytes, start, end)) {
        lastId = entry - 1;
        return lastId;
      }
      slot = (slot + 1) & mask;
    }
    if (!parse(bytes, start, end, scratch)) return -1;
    lastId = insert(hash, slot, bytes, start, end);
    return lastId;
  }

  return {
    values,
    intern,
    internString(text: string): number {
      const bytes = Buffer.from(text, 'latin1');
      return intern(bytes, 0, bytes.length);
    },
    binary: () => binary,
  };
}

function parseIPv4Into(bytes: Uint8Array, start: number, end: number, out: Uint32Array): boolean {
  const address = parseIPv4Bytes(bytes, start, end);
  out[0] = address;
  return address >= 0;
}

export function createIPv4Interner(): IPv4Interner {
  const core = createTextInterner(parseIPv4Into, 1);
  return {
    values: core.values,
    get size() {
      return core.values.length;
    },
    intern: core.intern,
    internString: core.internString,
    address: (id) => core.binary()[id]!,
  };
}

export function createIPv6Interner(): IPv6Interner {
  const core = createTextInterner(parseIPv6Bytes, 4);
  return {
    values: core.values,
    get size() {
      return core.values.length;
    },
    intern: core.intern,
    internString: core.internString,
    word: (id, word) => core.binary()[id * 4 + word]!,
  };
}
