/**
 * Turns address text, read straight from a byte buffer, into small dense ids.
 *
 * A session table repeats the same addresses millions of times (a client has
 * many sessions, pool4 has a handful of addresses, popular servers recur).
 * Interning keeps one string per distinct address instead of one per row and
 * gives aggregation cheap integer keys ("distinct clients" = distinct ids).
 *
 * An id is one exact text, as Jool printed it, so that /sessions.csv prints the
 * rows back byte for byte. The hot path still never compares text: each text is
 * parsed into its binary form (address-bytes.ts), which is also its validation,
 * and looked up by those 32 or 128 bits in an open-addressing table of typed
 * arrays with the key stored in the slot. That is exact because the key is the
 * text itself in another form:
 *  - IPv4: the strict dotted quad (no leading zeros) is the only spelling of its value;
 *  - IPv6: the canonical spelling (RFC 5952, what Jool's client prints) is the only one of its
 *    value; any other spelling (upper case, leading zeros, a dotted tail, another "::") is rare
 *    and keyed by its text in a Map instead, so it keeps an id of its own.
 * A text lookup costs a hash, a probe and byte compares in far-apart memory (about 250 ns a
 * lookup at 50k addresses in a profile); a binary one, a few cache-resident integer compares.
 * The binary form is kept by id, so later stages (subscribers, pool4) mask and compare numbers.
 */
import { CANONICAL_IPV6, NOT_IPV6, parseIPv4Bytes, scanIPv6Bytes } from './address-bytes.js';

export interface Interner {
  /**
   * Text of each distinct value, indexed by id. Made on first use (from the bytes kept by id) and
   * kept: a poll makes no string per address, only what a consumer asks for.
   */
  readonly values: readonly string[];
  /** Text of one id (not kept: for a consumer that needs a few). */
  text(id: number): string;
  /** The text of every id as latin1 bytes, back to back: id's text is bytes[offsets[id], offsets[id + 1]). */
  texts(): TextBytes;
  /** Number of distinct values seen. */
  readonly size: number;
  /** Id of the address in `bytes[start, end)`; interns it on first sight. Returns -1 when it is not an address. */
  intern(bytes: Uint8Array, start: number, end: number): number;
  /** Id of a JS string (same rules as `intern`), for callers that are not parsing bytes. */
  internString(text: string): number;
  /**
   * No more interning: frees the lookup table (the bigger part of an interner of many addresses,
   * and of no use to a finished table, which only reads ids' texts and bits) and trims the rest to
   * size. `intern` throws afterwards.
   */
  seal(): void;
}

export interface IPv4Interner extends Interner {
  /** The address of an id, as an unsigned 32-bit number. */
  address(id: number): number;
  /** A sealed interner's arrays (`bits`: one address per id), to rebuild it elsewhere (restoreIPv4Interner). */
  parts(): InternerParts;
}

export interface IPv6Interner extends Interner {
  /**
   * Word `word` (0 to 3, most significant first) of the 128-bit address of an id. Throws for an
   * interner made with `keepBits` false.
   */
  word(id: number, word: number): number;
  /**
   * `intern` for the IPv6 local address of a NAT64 session, already scanned by the caller
   * (`spelling` and `words` from scanIPv6Bytes, not NOT_IPV6), whose IPv4 remote address has id
   * `ipv4Id` and value `ipv4Address`. Same id as `intern`, found faster: see embeddedIds below.
   */
  internLocal(
    bytes: Uint8Array,
    start: number,
    end: number,
    spelling: number,
    words: Uint32Array,
    ipv4Id: number,
    ipv4Address: number,
  ): number;
  /**
   * The id `internLocal` gave the IPv4 remote `ipv4Id` embedded in the prefix (see embeddedIds
   * below), or -1 when it gave none. Before seal() only.
   */
  embeddedId(ipv4Id: number): number;
  /** embeddedId() for the IPv4 remotes 0 to `ipv4Count` - 1, as an array of its own. Before seal() only. */
  embeddedIds(ipv4Count: number): Int32Array;
  /** A sealed interner's arrays (`bits`: four words per id), to rebuild it elsewhere (restoreIPv6Interner). */
  parts(): InternerParts;
}

/**
 * All a sealed interner holds, as typed arrays of their own (each its own ArrayBuffer): what a
 * table parsed on the worker thread sends back, moved rather than copied (table-transfer.ts).
 */
export interface InternerParts extends TextBytes {
  readonly bits: Uint32Array;
}

export interface TextBytes {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
}

const MAX_LOAD = 0.5;
const INITIAL_SLOTS = 1024;
/** Room beyond the expected count: an address population changes a little from one poll to the next. */
const HEADROOM = 1 / 8;

/** Ids to make room for: `expected` (a hint, 0 when unknown) plus headroom, at least INITIAL_SLOTS. */
function capacityFor(expected: number): number {
  return Math.max(INITIAL_SLOTS, Math.ceil(expected * (1 + HEADROOM)));
}

/** Slots of a lookup table that holds `ids` without growing. */
function slotsFor(ids: number): number {
  let slots = INITIAL_SLOTS;
  while (ids > slots * MAX_LOAD) slots *= 2;
  return slots;
}

/** murmur3's fmix32: spreads a 32-bit key over the bits the table's mask keeps. */
function mix(key: number): number {
  let hash = key ^ (key >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/**
 * The text of every id, as the bytes it was read from, back to back (the ids' strings are made
 * only when asked for: a 1M-row poll reads about 250k distinct addresses, and a string each was a
 * tenth of the poll's garbage).
 */
function createTextStore(ids: number, bytesPerId: number, sealedTexts?: TextBytes) {
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

/** What both interners share, around their own `intern` and `seal`. */
function internerOf(store: ReturnType<typeof createTextStore>, intern: Interner['intern'], seal: () => void): Interner {
  return {
    get values() {
      return store.values();
    },
    get size() {
      return store.count;
    },
    text: store.text,
    texts: store.texts,
    intern,
    internString: (text) => intern(Buffer.from(text, 'latin1'), 0, text.length),
    seal,
  };
}

/** A lookup table for a sealed interner: nothing found, nothing to add. */
const SEALED: KeyTable = { slots: new Int32Array(0), mask: -1 };

function sealed(): never {
  throw new Error('this interner is sealed: its table is finished');
}

/**
 * Slots of `stride` int32s: the key's `stride - 1` words, then id + 1 (0: empty). Linear probing;
 * the key is in the slot, so a hit touches one cache line.
 */
interface KeyTable {
  slots: Int32Array;
  mask: number;
}

function newKeyTable(stride: number, slots: number): KeyTable {
  return { slots: new Int32Array(slots * stride), mask: slots - 1 };
}

/** The same table with twice the slots, every entry placed again (`hashOf` reads a slot's key). */
function grownKeyTable(old: KeyTable, stride: number, hashOf: (slots: Int32Array, at: number) => number): KeyTable {
  const grown = newKeyTable(stride, (old.mask + 1) * 2);
  const { slots, mask } = grown;
  for (let at = 0; at < old.slots.length; at += stride) {
    if (old.slots[at + stride - 1] === 0) continue;
    let slot = hashOf(old.slots, at) & mask;
    while (slots[slot * stride + stride - 1] !== 0) slot = (slot + 1) & mask;
    for (let k = 0; k < stride; k++) slots[slot * stride + k] = old.slots[at + k]!;
  }
  return grown;
}

/**
 * `expected`: how many distinct addresses to make room for (the same column's count in the
 * previous poll, 0 when unknown): the arrays then grow, and the lookup table is rebuilt, only when
 * the population outgrows it. Only a hint: the interner is the same either way.
 */
export function createIPv4Interner(expected = 0): IPv4Interner {
  const capacity = capacityFor(expected);
  const store = createTextStore(capacity, 15);
  let addresses = new Uint32Array(capacity);
  let table = newKeyTable(2, slotsFor(capacity));
  // Jool prints sessions grouped by BIB entry: a row often repeats the address of the row before.
  let lastAddress = -1;
  let lastId = -1;
  const hashOf = (slots: Int32Array, at: number) => mix(slots[at]!);

  function intern(bytes: Uint8Array, start: number, end: number): number {
    const address = parseIPv4Bytes(bytes, start, end);
    if (address < 0) return -1;
    if (address === lastAddress) return lastId;
    if (table === SEALED) sealed();
    const key = address | 0;
    const { slots, mask } = table;
    let slot = mix(key) & mask;
    for (;;) {
      const entry = slots[slot * 2 + 1]!;
      if (entry === 0) break;
      if (slots[slot * 2] === key) {
        lastAddress = address;
        lastId = entry - 1;
        return lastId;
      }
      slot = (slot + 1) & mask;
    }
    const id = store.count;
    store.add(bytes, start, end);
    if (id === addresses.length) {
      const grown = new Uint32Array(addresses.length * 2);
      grown.set(addresses);
      addresses = grown;
    }
    addresses[id] = address;
    slots[slot * 2] = key;
    slots[slot * 2 + 1] = id + 1;
    if (store.count > (mask + 1) * MAX_LOAD) table = grownKeyTable(table, 2, hashOf);
    lastAddress = address;
    lastId = id;
    return id;
  }

  const seal = () => {
    table = SEALED;
    lastAddress = -1;
    addresses = addresses.slice(0, store.count);
    store.trim();
  };
  const parts = (): InternerParts => {
    if (table !== SEALED) throw new Error('only a sealed interner has parts');
    return { ...store.texts(), bits: addresses };
  };
  return Object.assign(internerOf(store, intern, seal), { address: (id: number) => addresses[id]!, parts });
}

/** The sealed interner whose parts these are (IPv4Interner.parts), on this thread. */
export function restoreIPv4Interner(parts: InternerParts): IPv4Interner {
  const addresses = parts.bits;
  return Object.assign(internerOf(createTextStore(0, 0, parts), sealed, noop), {
    address: (id: number) => addresses[id]!,
    parts: () => parts,
  });
}

/**
 * `expected`: as for createIPv4Interner.
 *
 * embeddedIds: a NAT64 session's IPv6 local address is its IPv4 remote address embedded in pool6
 * (RFC 6052), and pool6 is nearly always a /96 (64:ff9b::/96), whose low 32 bits are the IPv4
 * address. Such an IPv6 local's id then follows from the IPv4 remote's id, which the parser has
 * looked up anyway: `embeddedIds[ipv4Id]` is id + 1 of the canonical address `prefix ∥ that IPv4
 * address`, where `prefix` is the first 96 bits of the first canonical address seen. One read of
 * an array of 4 bytes per IPv4 remote replaces a probe of the lookup table, whose 20-byte slots
 * for tens of thousands of destinations do not stay in cache: that probe was a third of a 1M-row
 * parse in a profile (bench/stages.mjs). An address outside the prefix, or another spelling,
 * takes the lookup table as in `intern`; the id is the same either way.
 *
 * `keepBits`: whether to keep each address's 128 bits for word() (the lookup table has its own
 * copy until seal()). Only the subscribers read them, for the clients; the IPv6 locals' (16 bytes
 * per distinct destination, held with the table) are not kept.
 */
export function createIPv6Interner(expected = 0, keepBits = true): IPv6Interner {
  const capacity = capacityFor(expected);
  const store = createTextStore(capacity, 24);
  let words = new Uint32Array(keepBits ? capacity * 4 : 0);
  let table = newKeyTable(5, slotsFor(capacity));
  /** Ids of the spellings that are not canonical, by text (see the top of this file). */
  const others = new Map<string, number>();
  const scratch = new Uint32Array(4);
  // The previous canonical address (see createIPv4Interner).
  const last = new Uint32Array(4);
  let lastId = -1;
  const hashOf = (slots: Int32Array, at: number) => hash4(slots[at]!, slots[at + 1]!, slots[at + 2]!, slots[at + 3]!);

  function hash4(w0: number, w1: number, w2: number, w3: number): number {
    return mix(w0 ^ mix(w1 ^ mix(w2 ^ mix(w3))));
  }

  function add(bytes: Uint8Array, start: number, end: number, w: Uint32Array): number {
    const id = store.count;
    store.add(bytes, start, end);
    if (!keepBits) return id;
    if (id * 4 === words.length) {
      const grown = new Uint32Array(words.length * 2);
      grown.set(words);
      words = grown;
    }
    words.set(w, id * 4);
    return id;
  }

  let embeddedIds = new Int32Array(0);
  let hasPrefix = false;
  const prefix = new Uint32Array(3);

  function intern(bytes: Uint8Array, start: number, end: number): number {
    if (table === SEALED) sealed();
    const spelling = scanIPv6Bytes(bytes, start, end, scratch);
    if (spelling === NOT_IPV6) return -1;
    return internScanned(bytes, start, end, spelling, scratch);
  }

  function internLocal(
    bytes: Uint8Array,
    start: number,
    end: number,
    spelling: number,
    w: Uint32Array,
    ipv4Id: number,
    ipv4Address: number,
  ): number {
    if (table === SEALED) sealed();
    if (spelling !== CANONICAL_IPV6 || w[3] !== ipv4Address) return internScanned(bytes, start, end, spelling, w);
    if (!hasPrefix) {
      prefix.set(w.subarray(0, 3));
      hasPrefix = true;
    }
    if (w[2] !== prefix[2] || w[1] !== prefix[1] || w[0] !== prefix[0]) return internScanned(bytes, start, end, spelling, w);
    if (ipv4Id < embeddedIds.length) {
      const known = embeddedIds[ipv4Id]!;
      if (known !== 0) return known - 1;
    } else {
      const grown = new Int32Array(Math.max(INITIAL_SLOTS, embeddedIds.length * 2, ipv4Id + 1));
      grown.set(embeddedIds);
      embeddedIds = grown;
    }
    const id = internScanned(bytes, start, end, spelling, w);
    embeddedIds[ipv4Id] = id + 1;
    return id;
  }

  /** intern() after the scan: `w` holds the address, `spelling` is not NOT_IPV6. */
  function internScanned(bytes: Uint8Array, start: number, end: number, spelling: number, w: Uint32Array): number {
    if (spelling !== CANONICAL_IPV6) {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
      let id = others.get(text);
      if (id === undefined) {
        id = add(bytes, start, end, w);
        others.set(text, id);
      }
      return id;
    }
    const w0 = w[0]! | 0;
    const w1 = w[1]! | 0;
    const w2 = w[2]! | 0;
    const w3 = w[3]! | 0;
    if (lastId >= 0 && w3 === (last[3]! | 0) && w2 === (last[2]! | 0) && w1 === (last[1]! | 0) && w0 === (last[0]! | 0)) return lastId;
    const { slots, mask } = table;
    let slot = hash4(w0, w1, w2, w3) & mask;
    for (;;) {
      const at = slot * 5;
      const entry = slots[at + 4]!;
      if (entry === 0) break;
      if (slots[at + 3] === w3 && slots[at + 2] === w2 && slots[at + 1] === w1 && slots[at] === w0) {
        last.set(w);
        lastId = entry - 1;
        return lastId;
      }
      slot = (slot + 1) & mask;
    }
    const id = add(bytes, start, end, w);
    const at = slot * 5;
    slots[at] = w0;
    slots[at + 1] = w1;
    slots[at + 2] = w2;
    slots[at + 3] = w3;
    slots[at + 4] = id + 1;
    if (store.count - others.size > (mask + 1) * MAX_LOAD) table = grownKeyTable(table, 5, hashOf);
    last.set(w);
    lastId = id;
    return id;
  }

  const embeddedId = (ipv4Id: number) => (ipv4Id < embeddedIds.length ? embeddedIds[ipv4Id]! - 1 : -1);
  const embeddedIdsOf = (ipv4Count: number) => {
    if (table === SEALED) sealed();
    const ids = new Int32Array(ipv4Count);
    for (let i = 0; i < ipv4Count; i++) ids[i] = embeddedId(i);
    return ids;
  };

  const seal = () => {
    table = SEALED;
    lastId = -1;
    others.clear();
    embeddedIds = new Int32Array(0);
    words = words.slice(0, store.count * 4);
    store.trim();
  };
  const parts = (): InternerParts => {
    if (table !== SEALED) throw new Error('only a sealed interner has parts');
    return { ...store.texts(), bits: words };
  };
  return Object.assign(internerOf(store, intern, seal), {
    word: keepBits ? (id: number, word: number) => words[id * 4 + word]! : noBits,
    internLocal,
    embeddedId,
    embeddedIds: embeddedIdsOf,
    parts,
  });
}

/** The sealed interner whose parts these are (IPv6Interner.parts), on this thread. */
export function restoreIPv6Interner(parts: InternerParts): IPv6Interner {
  const words = parts.bits;
  // An interner made without its bits has none to give (createIPv6Interner's keepBits).
  const keptBits = words.length === parts.offsets.length * 4 - 4;
  return Object.assign(internerOf(createTextStore(0, 0, parts), sealed, noop), {
    word: keptBits ? (id: number, word: number) => words[id * 4 + word]! : noBits,
    internLocal: sealed,
    embeddedId: sealed,
    embeddedIds: sealed,
    parts: () => parts,
  });
}

function noop(): void {}

function noBits(): never {
  throw new Error('this interner keeps no address bits (createIPv6Interner with keepBits false)');
}
