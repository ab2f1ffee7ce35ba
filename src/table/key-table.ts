/**
 * The interners' lookup table (interner.ts has the why): open addressing with linear probing over
 * one Int32Array, the key's words stored in the slot beside id + 1, so that a hit reads one cache
 * line and a lookup allocates nothing.
 */

/** Entries per slot before the table grows. */
export const MAX_LOAD = 0.5;
export const INITIAL_SLOTS = 1024;

/** Slots of a lookup table that holds `ids` without growing. */
export function slotsFor(ids: number): number {
  let slots = INITIAL_SLOTS;
  while (ids > slots * MAX_LOAD) slots *= 2;
  return slots;
}

/** murmur3's fmix32: spreads a 32-bit key over the bits the table's mask keeps. */
export function mix(key: number): number {
  let hash = key ^ (key >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/**
 * Slots of `stride` int32s: the key's `stride - 1` words, then id + 1 (0: empty). Linear probing;
 * the key is in the slot, so a hit touches one cache line.
 */
export interface KeyTable {
  slots: Int32Array;
  mask: number;
}

export function newKeyTable(stride: number, slots: number): KeyTable {
  return { slots: new Int32Array(slots * stride), mask: slots - 1 };
}

/** The same table with twice the slots, every entry placed again (`hashOf` reads a slot's key). */
export function grownKeyTable(old: KeyTable, stride: number, hashOf: (slots: Int32Array, at: number) => number): KeyTable {
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

/** A lookup table for a sealed interner: nothing found, nothing to add. */
export const SEALED: KeyTable = { slots: new Int32Array(0), mask: -1 };
