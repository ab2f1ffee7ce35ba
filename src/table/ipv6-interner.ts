/** The IPv6 interner (interner.ts has the why). */
import { CANONICAL_IPV6, NOT_IPV6, scanIPv6Bytes } from './address-bytes.js';
import { capacityFor, type InternerParts, type IPv6Interner, internerOf, noop, sealed } from './interner.js';
import { grownKeyTable, INITIAL_SLOTS, MAX_LOAD, mix, newKeyTable, SEALED, slotsFor } from './key-table.js';
import { createTextStore } from './text-store.js';

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
  /** Ids of the spellings that are not canonical, by text (see the top of interner.ts). */
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

function noBits(): never {
  throw new Error('this interner keeps no address bits (createIPv6Interner with keepBits false)');
}
