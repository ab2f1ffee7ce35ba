/**
 * Turns address text, read straight from a byte buffer, into small dense ids.
 *
 * A session table repeats the same addresses millions of times (a client has
 * many sessions, pool4 has a handful of addresses, popular servers recur).
 * Interning keeps one string per distinct address instead of one per row and
 * gives aggregation cheap integer keys ("distinct clients" = distinct ids).
 *
 * The key is the address's binary form (32 or 128 bits), parsed from the bytes
 * as they are scanned (address-bytes.ts): a probe compares integers held in one
 * typed array, never a string, and text is made only for an address's first
 * sighting. An id is one address: two spellings of it (Jool prints only
 * inet_ntop's) share the id and the text first seen. The binary form is kept
 * by id too, so later stages (subscribers) mask prefixes without re-parsing.
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

/** Text of a slice of bytes; latin1 maps each byte to one UTF-16 unit. */
function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function internString(intern: Interner['intern'], value: string): number {
  const bytes = Buffer.from(value, 'latin1');
  return intern(bytes, 0, bytes.length);
}

/** A growable Uint32Array with `stride` words a value. */
function createBinaryStore(stride: number) {
  let words = new Uint32Array(INITIAL_SLOTS * stride);
  return {
    get words() {
      return words;
    },
    ensure(ids: number): void {
      if (ids * stride <= words.length) return;
      const next = new Uint32Array(words.length * 2);
      next.set(words);
      words = next;
    },
  };
}

export function createIPv4Interner(): IPv4Interner {
  const values: string[] = [];
  const store = createBinaryStore(1);
  // Open addressing, linear probing; slot k holds [address, id + 1] at 2k (id + 1 = 0: empty).
  let slots = new Int32Array(INITIAL_SLOTS * 2);
  let lastAddress = -1;
  let lastId = -1;

  function slotOf(table: Int32Array, address: number): number {
    const mask = (table.length >>> 1) - 1;
    // murmur3's fmix32: every bit of the address reaches the low bits the mask keeps.
    let h = Math.imul(address ^ (address >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let slot = (h ^ (h >>> 16)) & mask;
    while (table[slot * 2 + 1] !== 0 && table[slot * 2] !== (address | 0)) slot = (slot + 1) & mask;
    return slot;
  }

  function grow(): void {
    const old = slots;
    slots = new Int32Array(old.length * 2);
    for (let k = 0; k < old.length; k += 2) {
      if (old[k + 1] === 0) continue;
      const slot = slotOf(slots, old[k]! >>> 0);
      slots[slot * 2] = old[k]!;
      slots[slot * 2 + 1] = old[k + 1]!;
    }
  }

  function intern(bytes: Uint8Array, start: number, end: number): number {
    const address = parseIPv4Bytes(bytes, start, end);
    if (address < 0) return -1;
    // Jool prints sessions grouped by BIB entry: a row often repeats the address of the row before.
    if (address === lastAddress) return lastId;
    const slot = slotOf(slots, address);
    let id = slots[slot * 2 + 1]! - 1;
    if (id < 0) {
      id = values.length;
      values.push(text(bytes, start, end));
      store.ensure(id + 1);
      store.words[id] = address;
      slots[slot * 2] = address | 0;
      slots[slot * 2 + 1] = id + 1;
      if (values.length > (slots.length >>> 1) * MAX_LOAD) grow();
    }
    lastAddress = address;
    lastId = id;
    return id;
  }

  return {
    values,
    get size() {
      return values.length;
    },
    intern,
    internString: (value) => internString(intern, value),
    address: (id) => store.words[id]!,
  };
}

const STRIDE = 5; // per slot: four address words and id + 1 (0: empty)

export function createIPv6Interner(): IPv6Interner {
  const values: string[] = [];
  const store = createBinaryStore(4);
  const parsed = new Uint32Array(4);
  const last = new Uint32Array(4);
  let lastId = -1;
  let slots = new Int32Array(INITIAL_SLOTS * STRIDE);

  function hashOf(w0: number, w1: number, w2: number, w3: number): number {
    let h = Math.imul(w0 ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(h ^ w1, 0x85ebca6b);
    h = Math.imul(h ^ w2, 0xc2b2ae35);
    h = Math.imul(h ^ w3, 0x27d4eb2f);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The slot holding the address, or the empty slot where it would go. */
  function slotOf(table: Int32Array, w0: number, w1: number, w2: number, w3: number): number {
    const mask = table.length / STRIDE - 1;
    let slot = hashOf(w0, w1, w2, w3) & mask;
    for (;;) {
      const at = slot * STRIDE;
      if (table[at + 4] === 0) return slot;
      if (table[at] === (w0 | 0) && table[at + 1] === (w1 | 0) && table[at + 2] === (w2 | 0) && table[at + 3] === (w3 | 0)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  function grow(): void {
    const old = slots;
    slots = new Int32Array(old.length * 2);
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at + 4] === 0) continue;
      const to = slotOf(slots, old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!) * STRIDE;
      for (let k = 0; k < STRIDE; k++) slots[to + k] = old[at + k]!;
    }
  }

  function intern(bytes: Uint8Array, start: number, end: number): number {
    if (!parseIPv6Bytes(bytes, start, end, parsed)) return -1;
    const w0 = parsed[0]!;
    const w1 = parsed[1]!;
    const w2 = parsed[2]!;
    const w3 = parsed[3]!;
    if (lastId >= 0 && w3 === last[3] && w2 === last[2] && w1 === last[1] && w0 === last[0]) return lastId;
    const at = slotOf(slots, w0, w1, w2, w3) * STRIDE;
    let id = slots[at + 4]! - 1;
    if (id < 0) {
      id = values.length;
      values.push(text(bytes, start, end));
      store.ensure(id + 1);
      store.words.set(parsed, id * 4);
      slots[at] = w0;
      slots[at + 1] = w1;
      slots[at + 2] = w2;
      slots[at + 3] = w3;
      slots[at + 4] = id + 1;
      if (values.length > (slots.length / STRIDE) * MAX_LOAD) grow();
    }
    last.set(parsed);
    lastId = id;
    return id;
  }

  return {
    values,
    get size() {
      return values.length;
    },
    intern,
    internString: (value) => internString(intern, value),
    word: (id, word) => store.words[id * 4 + word]!,
  };
}
