import { describe, expect, it } from 'vitest';
import { createBibOwners } from '../../src/table/bib-owners.js';
import { randomInt, rng } from './support.js';

describe('BIB owners', () => {
  // Expected entries: none (grows from its first size), too few (grows from there), about right, far too many.
  it.each([0, 1_000, 60_000, 1_000_000])(
    'gives back what was set for each (address, port), 0 for the rest (%i entries expected)',
    (expected) => {
      const owners = createBibOwners(expected);
      const reference = new Map<number, number>();
      const random = rng(31);
      for (let i = 0; i < 60_000; i++) {
        // Few addresses, ports anywhere: the shape of a NAT64's BIB; address ids past 65535 too.
        const address = i % 10 === 0 ? randomInt(random, 65_536, 200_000) : randomInt(random, 0, 63);
        const port = randomInt(random, 0, 65_535);
        const key = address * 65_536 + port;
        expect(owners.get(address, port)).toBe(reference.get(key) ?? 0);
        const value = randomInt(random, 1, 0xffffffff);
        owners.set(address, port, value);
        reference.set(key, value);
      }
      expect(owners.size).toBe(reference.size);
      for (const [key, value] of reference) expect(owners.get(Math.floor(key / 65_536), key % 65_536)).toBe(value);
      expect(owners.get(64, 0)).toBe(0);
    },
  );

  it('port 0 and address 0 are entries like any other', () => {
    const owners = createBibOwners();
    owners.set(0, 0, 5);
    expect(owners.get(0, 0)).toBe(5);
    expect(owners.get(0, 1)).toBe(0);
    expect(owners.get(1, 0)).toBe(0);
    owners.set(0, 0, 6);
    expect(owners.size).toBe(1);
    expect(owners.get(0, 0)).toBe(6);
  });
});
