/** The IPv4 interner (interner.ts has the why). */
import { parseIPv4Bytes } from './address-bytes.js';
import { capacityFor, type InternerParts, type IPv4Interner, internerOf, noop, sealed } from './interner.js';
import { grownKeyTable, MAX_LOAD, mix, newKeyTable, SEALED, slotsFor } from './key-table.js';
import { createTextStore } from './text-store.js';

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
