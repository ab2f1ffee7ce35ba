/**
 * The table builder with a size hint (the previous poll's row count): whatever the hint, too
 * small, exact, too big or absent, the finished table holds the same rows. And the hint does what
 * it is for: a table of about the hinted size is built in place (its columns are the first block,
 * no copy), one far smaller is copied to exact size, one that outgrew the headroom is joined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COLUMNS, createSessionTableBuilder, firstBlockRows, type RowValues, type SessionTable } from '../../src/table/session-table.js';

/** Row i of a table, every column a different function of i (so a row out of place shows). */
function row(i: number): RowValues {
  return {
    ipv6Remote: i % 977,
    ipv6RemotePort: (i * 7) % 65536,
    ipv6Local: i % 50_021,
    ipv6LocalPort: (i * 13 + 1) % 65536,
    ipv4Local: i % 61,
    ipv4LocalPort: (i * 31 + 2) % 65536,
    ipv4Remote: i % 49_999,
    ipv4RemotePort: (i * 3 + 5) % 65536,
    expiresMs: (i * 21_474_837) % 2 ** 32, // whole milliseconds up to Jool's 2^32 - 1
    state: i % 7,
  };
}

function build(rows: number, expectedRows?: number): SessionTable {
  const builder = createSessionTableBuilder('udp', expectedRows);
  for (let i = 0; i < rows; i++) builder.append(row(i));
  expect(builder.length).toBe(rows);
  return builder.finish();
}

const MAX_ROWS = 200_000;
const expected = Object.fromEntries(COLUMNS.map((column) => [column, Array.from({ length: MAX_ROWS }, (_, i) => row(i)[column])]));

/** Every column holds exactly rows 0..rows-1, and nothing past them is visible. */
function expectRows(table: SessionTable, rows: number): void {
  expect(table.length).toBe(rows);
  for (const column of COLUMNS) {
    // These rows' IPv6 locals are not the IPv4 remote embedded in pool6: the builder stores them
    // (an empty table has nothing to store).
    const values = table[column];
    if (values === null) {
      if (rows > 0) expect.fail(`${column} not stored (rows ${rows})`);
      continue;
    }
    const want = expected[column]!;
    expect(values.length, column).toBe(rows);
    for (let i = 0; i < rows; i++) {
      if (values[i] !== want[i]) expect.fail(`${column}[${i}] = ${values[i]}, expected ${want[i]} (rows ${rows})`);
    }
  }
}

describe('createSessionTableBuilder with expectedRows', () => {
  // Row counts around the block size (65536) and the first block (1024); hints from none to far off.
  const sizes = [0, 1, 1023, 1024, 1025, 5000, 65_535, 65_536, 65_537, 200_000];
  const hints = (rows: number) => [0, 1, Math.floor(rows / 3), rows - 1, rows, rows + 1, Math.ceil(rows * 1.2), rows * 3 + 5000];

  it('gives the same table whatever the hint', () => {
    for (const rows of sizes) {
      for (const hint of hints(rows)) {
        const table = build(rows, hint);
        expectRows(table, rows);
      }
    }
  });

  it('gives the same table whatever the hint: random sizes and hints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_ROWS }), fc.integer({ min: 0, max: 300_000 }), (rows, hint) => {
        expectRows(build(rows, hint), rows);
      }),
      { numRuns: 25 },
    );
  });

  it('builds a table of the hinted size in place: its columns are the first block, not a copy', () => {
    const rows = 200_000;
    for (const hint of [rows, rows - 1000, Math.floor(rows / (1 + 1 / 8))]) {
      const table = build(rows, hint);
      expectRows(table, rows);
      // The column is a view of the block allocated up front (hint plus headroom), not an exact copy.
      expect(table.ipv6Remote.buffer.byteLength, `hint ${hint}`).toBe(firstBlockRows(hint) * 4);
      expect(table.expiresMs.buffer.byteLength).toBe(firstBlockRows(hint) * 4);
    }
    // Without a hint, 200k rows are joined from blocks into exact-size columns.
    expect(build(rows).ipv6Remote.buffer.byteLength).toBe(rows * 4);
  });

  it('copies a table far smaller than the hint to exact size, and joins one that outgrew it', () => {
    const rows = 100_000;
    const shrunk = build(rows, rows * 4); // the table shrank to a quarter since the last poll
    expectRows(shrunk, rows);
    expect(shrunk.ipv6Remote.buffer.byteLength).toBe(rows * 4);
    const grown = build(rows, rows / 2); // it doubled
    expectRows(grown, rows);
    expect(grown.ipv6Remote.buffer.byteLength).toBe(rows * 4);
  });

  it('sizes the first block from the hint only when the hint is bigger than a small table', () => {
    expect(firstBlockRows(0)).toBe(1024);
    expect(firstBlockRows(Number.NaN)).toBe(1024);
    expect(firstBlockRows(500)).toBe(1024);
    expect(firstBlockRows(8000)).toBe(9000);
    expect(firstBlockRows(1_000_000)).toBe(1_125_000);
  });
});
