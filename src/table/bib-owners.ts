/**
 * A number per BIB entry (pool4 address id, port) seen in a table: an open-addressing hash table
 * in typed arrays, which grows with the entries actually seen.
 *
 * Subscribers use it for the owner of each BIB entry. It replaced per-address pages of 1,024 ports:
 * Jool spreads a pool4 address's BIB entries over its whole port range, so every page of every
 * address was touched however small the table (64 pool4 addresses: 16 MiB of pages for each
 * protocol's table, a 100k-row poll spending most of its time allocating and zeroing them). Here
 * the memory follows the BIB entries: 10 bytes a slot, at most two slots an entry.
 */

const FIRST_SLOTS = 4096;
const MAX_LOAD = 0.5;

export interface BibOwners {
  /** The number stored for (address, port), or 0 when there is none. */
  get(address: number, port: number): number;
  /** Stores `value` (not 0) for (address, port). */
  set(address: number, port: number, value: number): void;
  /** BIB entries stored. */
  readonly size: number;
}

function slotHash(address: number, port: number): number {
  let hash = Math.imul(address, 0x9e3779b1) ^ Math.imul(port, 0x85ebca6b);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  return hash ^ (hash >>> 12);
}

/**
 * `expectedEntries`: how many entries will be stored, when known (the table's aggregate counts its
 * distinct BIB entries first): the table is made at its final size at once. Growing it by doubling
 * left as much garbage again as its final size (20 MB for a million-row table) and rehashed
 * every entry several times.
 */
export function createBibOwners(expectedEntries = 0): BibOwners {
  let slots = FIRST_SLOTS;
  while (expectedEntries > slots * MAX_LOAD) slots *= 2;
  // Slot k: addresses[k] is the address id + 1 (0: empty), ports[k] its port, values[k] the number.
  let addresses = new Uint32Array(slots);
  let ports = new Uint16Array(slots);
  let values = new Uint32Array(slots);
  let size = 0;

  /** The slot of (address, port), or of the empty slot where it would go. */
  function slotOf(address: number, port: number): number {
    const mask = addresses.length - 1;
    const key = address + 1;
    let slot = slotHash(address, port) & mask;
    while (addresses[slot] !== 0 && (addresses[slot] !== key || ports[slot] !== port)) slot = (slot + 1) & mask;
    return slot;
  }

  function grow(): void {
    const [oldAddresses, oldPorts, oldValues] = [addresses, ports, values];
    addresses = new Uint32Array(oldAddresses.length * 2);
    ports = new Uint16Array(oldAddresses.length * 2);
    values = new Uint32Array(oldAddresses.length * 2);
    for (let k = 0; k < oldAddresses.length; k++) {
      if (oldAddresses[k] === 0) continue;
      const slot = slotOf(oldAddresses[k]! - 1, oldPorts[k]!);
      addresses[slot] = oldAddresses[k]!;
      ports[slot] = oldPorts[k]!;
      values[slot] = oldValues[k]!;
    }
  }

  return {
    get(address, port) {
      return values[slotOf(address, port)]!;
    },
    set(address, port, value) {
      const slot = slotOf(address, port);
      if (addresses[slot] === 0) {
        addresses[slot] = address + 1;
        ports[slot] = port;
        size++;
      }
      values[slot] = value;
      if (size > addresses.length * MAX_LOAD) grow();
    },
    get size() {
      return size;
    },
  };
}
