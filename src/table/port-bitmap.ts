/**
 * Which (IPv4 address, port) pairs, i.e. BIB entries, have been seen: one
 * 65,536-bit bitmap (8 KiB) per address id, made on first use, so counting
 * distinct BIB entries needs no hash set whatever the table size.
 */

const WORDS = 65536 / 32;

export interface PortBitmaps {
  /** Marks (address id, port) seen; true when it was not seen before. */
  add(address: number, port: number): boolean;
}

export function createPortBitmaps(addresses: number): PortBitmaps {
  const bitmaps: Array<Uint32Array | undefined> = new Array(addresses);
  return {
    add(address, port) {
      let bitmap = bitmaps[address];
      if (bitmap === undefined) {
        bitmap = new Uint32Array(WORDS);
        bitmaps[address] = bitmap;
      }
      const bit = 1 << (port & 31);
      const word = bitmap[port >>> 5]!;
      if ((word & bit) !== 0) return false;
      bitmap[port >>> 5] = word | bit;
      return true;
    },
  };
}
