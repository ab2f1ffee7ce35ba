import { describe, expect, it } from 'vitest';
import type { Pool4Entry } from '../../src/model.js';
import { NO_STATE, PROTOCOLS, type Protocol } from '../../src/model.js';
import { parsePool4Csv } from '../../src/parse/pool4-csv.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import { computePool4, computePool4InSlices, EMPTY_POOL4_MIN_PORT, MAX_LISTED_ADDRESSES, type Pool4Report } from '../../src/table/pool4.js';
import { createSessionTableBuilder, emptySessionTable, type SessionTable } from '../../src/table/session-table.js';
import { fixture, type RefRow, randomInt, referenceParse, rng } from './support.js';

// ---------------------------------------------------------------------------
// Naive reference: every (address, port) of pool4 as a string in a Set, from the CSV text with
// String.split, and the BIB entries as a Set of "address#port" strings from the naive session parser.

function refDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function refNumber(dotted: string): number {
  return dotted.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

interface RefEntry {
  mark: number;
  protocol: string;
  addresses: string[];
  min: number;
  max: number;
}

function refPool4(text: string): RefEntry[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== '' && !line.startsWith('Mark,'))
    .map((line) => {
      const [mark, protocol, address, min, max] = line.split(',') as [string, string, string, string, string];
      const [dotted, length = '32'] = address.split('/') as [string, string | undefined];
      const size = 2 ** (32 - Number(length));
      const base = Math.floor(refNumber(dotted) / size) * size;
      const addresses: string[] = [];
      for (let k = 0; k < size; k++) addresses.push(refDotted(base + k));
      return { mark: Number(mark), protocol: protocol.toLowerCase(), addresses, min: Number(min), max: Number(max) };
    });
}

function reference(poolText: string, protocol: Protocol, sessions: readonly RefRow[]): Pool4Report {
  const all = refPool4(poolText);
  const configured = all.length > 0;
  const own = all.filter((e) => e.protocol === protocol);
  const taddrs = new Set<string>();
  const byMark = new Map<number, Set<string>>();
  const portsByAddress = new Map<string, Set<number>>();
  for (const e of own) {
    const markSet = byMark.get(e.mark) ?? new Set<string>();
    byMark.set(e.mark, markSet);
    for (const address of e.addresses) {
      const ports = portsByAddress.get(address) ?? new Set<number>();
      portsByAddress.set(address, ports);
      for (let port = e.min; port <= e.max; port++) {
        taddrs.add(`${address}#${port}`);
        markSet.add(`${address}#${port}`);
        ports.add(port);
      }
    }
  }
  const bib = new Set(sessions.map((r) => `${r.ipv4Local}#${r.ipv4LocalPort}`));
  const usedByAddress = new Map<string, number>();
  let outside = 0;
  for (const taddr of bib) {
    const [address, port] = taddr.split('#') as [string, string];
    if (!configured) {
      if (Number(port) < 61001) outside++;
    } else if (taddrs.has(taddr)) {
      usedByAddress.set(address, (usedByAddress.get(address) ?? 0) + 1);
    } else {
      outside++;
    }
  }
  if (!configured)
    return { configured, capacity: 0, used: 0, outside, addresses: [], addressesOmitted: 0, marks: [], maxAddressUtilization: 0 };
  const addresses = [...portsByAddress]
    .sort((a, b) => refNumber(a[0]) - refNumber(b[0]))
    .map(([address, ports]) => ({ address, capacity: ports.size, used: usedByAddress.get(address) ?? 0 }));
  const used = addresses.reduce((sum, a) => sum + a.used, 0);
  return {
    configured,
    capacity: taddrs.size,
    used,
    outside,
    addresses,
    addressesOmitted: 0,
    marks: [...byMark].sort((a, b) => a[0] - b[0]).map(([mark, set]) => ({ mark, capacity: set.size })),
    maxAddressUtilization: Math.max(0, ...addresses.map((a) => a.used / a.capacity)),
  };
}

// ---------------------------------------------------------------------------
// Helpers

/** Session CSV with one row per (IPv4 Local address, port); `repeat` rows per BIB entry (same entry, other servers). */
function sessionCsv(protocol: Protocol, bibs: ReadonlyArray<readonly [string, number]>, repeat = 1): string {
  const name = protocol.toUpperCase();
  let out = '';
  bibs.forEach(([address, port], i) => {
    for (let r = 0; r < repeat; r++) {
      out +=
        `${name},2001:db8::${(i + 1).toString(16)},${40000 + (i % 20000)},64:ff9b::c633:64${(r + 1).toString(16).padStart(2, '0')},80,` +
        `${address},${port},198.51.100.${r + 1},80,0:01:00.000${protocol === 'tcp' ? ',ESTABLISHED' : ''}\n`;
    }
  });
  return out;
}

function table(protocol: Protocol, csv: string): SessionTable {
  const result = parseSessionCsv(protocol, csv);
  expect(result.rejected.count).toBe(0);
  return result.table;
}

function entries(text: string): Pool4Entry[] {
  const result = parsePool4Csv(text);
  expect(result.rejected.count).toBe(0);
  return result.entries;
}

/** computePool4 checked against the naive reference on the same texts. */
function check(poolText: string, protocol: Protocol, sessionText: string): Pool4Report {
  const report = computePool4(entries(poolText), table(protocol, sessionText));
  expect(report).toEqual(reference(poolText, protocol, referenceParse(protocol, sessionText).rows));
  return report;
}

function pool4Capture(protocol: Protocol): string {
  return fixture(`pool4-${protocol}.csv`).toString('latin1');
}

// ---------------------------------------------------------------------------

describe('computePool4 on the Jool 4.1.9 captures', () => {
  // The whole pool4 (all three captures), as the poll passes it.
  const wholePool = PROTOCOLS.map(pool4Capture).join('');

  it('matches the reference for every protocol (session-P.csv against pool4-P.csv)', () => {
    for (const protocol of PROTOCOLS) check(wholePool, protocol, fixture(`session-${protocol}.csv`).toString('latin1'));
  });

  it('TCP: 192.0.2.1 1024-2047 and 192.0.2.2 3000-3999; every BIB entry of session-tcp.csv inside', () => {
    const report = computePool4(entries(wholePool), table('tcp', fixture('session-tcp.csv').toString('latin1')));
    // Counted from the captures by hand (cut -d, -f6,7 | sort -u): 258 on .1, 244 on .2.
    expect(report.capacity).toBe(1024 + 1000);
    expect(report.addresses).toEqual([
      { address: '192.0.2.1', capacity: 1024, used: 258 },
      { address: '192.0.2.2', capacity: 1000, used: 244 },
    ]);
    expect(report.used).toBe(502);
    expect(report.outside).toBe(0);
    expect(report.marks).toEqual([{ mark: 0, capacity: 2024 }]);
    expect(report.maxAddressUtilization).toBe(258 / 1024);
  });

  it('UDP: mark 7 on 192.0.2.3 counts in the address union and in its own mark', () => {
    const report = computePool4(entries(wholePool), table('udp', fixture('session-udp.csv').toString('latin1')));
    expect(report.addresses).toEqual([
      { address: '192.0.2.1', capacity: 1024, used: 0 },
      { address: '192.0.2.2', capacity: 63488, used: 36 },
      { address: '192.0.2.3', capacity: 1000, used: 0 },
    ]);
    expect(report.capacity).toBe(1024 + 63488 + 1000);
    expect(report.marks).toEqual([
      { mark: 0, capacity: 1024 + 63488 },
      { mark: 7, capacity: 1000 },
    ]);
    expect(report.used).toBe(36);
    expect(report.outside).toBe(0);
  });

  it('ICMP: identifiers count like ports', () => {
    const report = computePool4(entries(wholePool), table('icmp', fixture('session-icmp.csv').toString('latin1')));
    expect(report.capacity).toBe(1024 + 100);
    expect(report.used).toBe(21);
    expect(report.addresses.map((a) => a.used)).toEqual([20, 1]);
  });

  it('an empty pool4 (empty-pool4-tcp.csv) is not configured: no capacity, ports below 61001 are outside', () => {
    const poolText = fixture('empty-pool4-tcp.csv').toString('latin1');
    const sessions = sessionCsv('tcp', [
      ['192.0.2.1', 61001],
      ['192.0.2.1', 65535],
      ['192.0.2.1', 61000],
      ['203.0.113.9', 80],
    ]);
    const report = check(poolText, 'tcp', sessions);
    expect(report).toEqual({
      configured: false,
      capacity: 0,
      used: 0,
      outside: 2,
      addresses: [],
      addressesOmitted: 0,
      marks: [],
      maxAddressUtilization: 0,
    });
    expect(EMPTY_POOL4_MIN_PORT).toBe(61001);
  });
});

describe('computePool4: capacity', () => {
  it('counts a port once when ranges of one address overlap or touch', () => {
    const pool =
      '0,TCP,192.0.2.1,100,200,1024,0\n0,TCP,192.0.2.1,150,300,1024,0\n0,TCP,192.0.2.1,301,310,1024,0\n0,TCP,192.0.2.1,100,100,1024,0\n';
    const report = check(pool, 'tcp', '');
    expect(report.addresses).toEqual([{ address: '192.0.2.1', capacity: 211, used: 0 }]);
    expect(report.capacity).toBe(211);
  });

  it('unions marks per address but keeps each mark whole in the mark capacity', () => {
    // The example of the pool4 documentation (jool-4-usr-flags-pool4.md).
    const pool = ['1,TCP,192.0.2.1,1500,2500,1024,0', '0,TCP,192.0.2.1,1000,3000,2059,0', '0,TCP,192.0.2.8/30,1,65535,2059,0'].join('\n');
    const report = check(pool, 'tcp', '');
    expect(report.addresses).toEqual([
      { address: '192.0.2.1', capacity: 2001, used: 0 },
      { address: '192.0.2.8', capacity: 65535, used: 0 },
      { address: '192.0.2.9', capacity: 65535, used: 0 },
      { address: '192.0.2.10', capacity: 65535, used: 0 },
      { address: '192.0.2.11', capacity: 65535, used: 0 },
    ]);
    expect(report.capacity).toBe(2001 + 4 * 65535);
    expect(report.marks).toEqual([
      { mark: 0, capacity: 2001 + 4 * 65535 },
      { mark: 1, capacity: 1001 },
    ]);
  });

  it('gives every address of a prefix (/24, /30, /32) and splits a prefix where a single address adds ports', () => {
    const pool = [
      '0,UDP,192.0.2.0/24,1000,1999,1024,0',
      '0,UDP,192.0.2.5,1500,2500,1024,0',
      '5,UDP,192.0.2.5/32,3000,3000,1024,1',
      '0,UDP,198.51.100.4/30,0,0,infinite,1',
    ].join('\n');
    const report = check(pool, 'udp', '');
    expect(report.addresses).toHaveLength(256 + 4);
    expect(report.addresses[5]).toEqual({ address: '192.0.2.5', capacity: 1502, used: 0 });
    expect(report.addresses[4]).toEqual({ address: '192.0.2.4', capacity: 1000, used: 0 });
    expect(report.addresses.slice(256).map((a) => `${a.address}:${a.capacity}`)).toEqual([
      '198.51.100.4:1',
      '198.51.100.5:1',
      '198.51.100.6:1',
      '198.51.100.7:1',
    ]);
    expect(report.capacity).toBe(255 * 1000 + 1502 + 4);
    expect(report.marks).toEqual([
      { mark: 0, capacity: 255 * 1000 + 1501 + 4 },
      { mark: 5, capacity: 1 },
    ]);
  });

  it('sorts addresses numerically, not as text', () => {
    const pool = '0,ICMP,192.0.2.10,1,1,1024,0\n0,ICMP,192.0.2.9,1,1,1024,0\n0,ICMP,10.0.0.1,1,1,1024,0\n0,ICMP,192.0.2.100,1,1,1024,0\n';
    expect(check(pool, 'icmp', '').addresses.map((a) => a.address)).toEqual(['10.0.0.1', '192.0.2.9', '192.0.2.10', '192.0.2.100']);
  });

  it('ignores entries of other protocols, which only make pool4 configured', () => {
    const report = check(
      '0,TCP,192.0.2.1,1,65535,1024,0\n',
      'udp',
      sessionCsv('udp', [
        ['192.0.2.1', 5000],
        ['192.0.2.1', 5001],
      ]),
    );
    // Jool falls back to its implicit pool only when all three protocols are empty: UDP has no pool4 at all.
    expect(report).toEqual({
      configured: true,
      capacity: 0,
      used: 0,
      outside: 2,
      addresses: [],
      addressesOmitted: 0,
      marks: [],
      maxAddressUtilization: 0,
    });
  });

  it('reads Jool 3.4 rows (no iterations) like the others', () => {
    const report = check('Mark,Protocol,Address,Min port,Max port\n0,TCP,192.0.2.1,10,19\n0,UDP,192.0.2.1,10,99\n', 'udp', '');
    expect(report.capacity).toBe(90);
  });
});

describe('computePool4: usage', () => {
  const pool = '0,TCP,192.0.2.1,10,13,1024,0\n0,TCP,192.0.2.2,10,19,1024,0\n3,TCP,192.0.2.8/30,100,199,1024,0\n';

  it('counts BIB entries (not sessions) inside pool4, per address, and the others as outside', () => {
    const sessions = sessionCsv(
      'tcp',
      [
        ['192.0.2.1', 10], // inside
        ['192.0.2.1', 13], // inside
        ['192.0.2.1', 14], // address in pool4, port outside its ranges
        ['192.0.2.2', 19], // inside
        ['192.0.2.9', 150], // inside, through the /30 of mark 3
        ['192.0.2.9', 10], // port of another address's range
        ['192.0.2.3', 10], // address outside pool4
        ['203.0.113.1', 10], // address outside pool4
      ],
      3,
    ); // three sessions per BIB entry: counted once
    const report = check(pool, 'tcp', sessions);
    expect(report.used).toBe(4);
    expect(report.outside).toBe(4);
    expect(report.addresses.filter((a) => a.used > 0)).toEqual([
      { address: '192.0.2.1', capacity: 4, used: 2 },
      { address: '192.0.2.2', capacity: 10, used: 1 },
      { address: '192.0.2.9', capacity: 100, used: 1 },
    ]);
  });

  it('gives the pool utilization (used / capacity) and the fullest address', () => {
    const sessions = sessionCsv('tcp', [
      ['192.0.2.1', 10],
      ['192.0.2.1', 11],
      ['192.0.2.1', 12],
      ['192.0.2.2', 15],
    ]);
    const report = check(pool, 'tcp', sessions);
    expect(report.capacity).toBe(4 + 10 + 4 * 100);
    expect(report.used).toBe(4);
    expect(report.used / report.capacity).toBe(4 / 414);
    expect(report.maxAddressUtilization).toBe(0.75);
  });

  it('reaches 1 when an address is full', () => {
    const sessions = sessionCsv(
      'tcp',
      [10, 11, 12, 13].map((port) => ['192.0.2.1', port] as const),
    );
    expect(check(pool, 'tcp', sessions).maxAddressUtilization).toBe(1);
  });

  it('is 0 with an empty table', () => {
    const report = computePool4(entries(pool), emptySessionTable('tcp'));
    expect(report.used).toBe(0);
    expect(report.outside).toBe(0);
    expect(report.maxAddressUtilization).toBe(0);
    expect(report.capacity).toBe(414);
  });

  it('matches the reference on random pools and tables', () => {
    const random = rng(4);
    for (let round = 0; round < 60; round++) {
      const protocol = PROTOCOLS[round % 3]!;
      const lines: string[] = [];
      const count = randomInt(random, 0, 6);
      for (let i = 0; i < count; i++) {
        const length = [32, 32, 32, 31, 30, 29, 28][randomInt(random, 0, 6)]!;
        const address = `192.0.2.${randomInt(random, 0, 40)}`;
        const min = randomInt(random, 0, 300);
        const max = min + randomInt(random, 0, 200);
        const proto = random() < 0.8 ? protocol : PROTOCOLS[randomInt(random, 0, 2)]!;
        lines.push(
          `${randomInt(random, 0, 2) === 2 ? 9 : 0},${proto.toUpperCase()},${address}${length === 32 ? '' : `/${length}`},${min},${max},1024,0`,
        );
      }
      const bibs: Array<[string, number]> = [];
      for (let i = randomInt(random, 0, 80); i > 0; i--) {
        bibs.push([`192.0.2.${randomInt(random, 0, 50)}`, random() < 0.1 ? randomInt(random, 60990, 61010) : randomInt(random, 0, 520)]);
      }
      check(lines.join('\n'), protocol, sessionCsv(protocol, bibs, randomInt(random, 1, 2)));
    }
  });
});

describe('computePool4InSlices', () => {
  it('gives the same report as computePool4 on a table of several slices', async () => {
    const builder = createSessionTableBuilder('udp');
    const client = builder.ipv6Remotes.internString('2001:db8::1');
    const local6 = builder.ipv6Locals.internString('64:ff9b::c633:6401');
    const remote = builder.ipv4Remotes.internString('198.51.100.1');
    const locals = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '203.0.113.1'].map((a) => builder.ipv4Locals.internString(a));
    const random = rng(9);
    for (let i = 0; i < 200_000; i++) {
      builder.append({
        ipv6Remote: client,
        ipv6RemotePort: i & 0xffff,
        ipv6Local: local6,
        ipv6LocalPort: 53,
        ipv4Local: locals[randomInt(random, 0, 3)]!,
        ipv4LocalPort: randomInt(random, 0, 65535),
        ipv4Remote: remote,
        ipv4RemotePort: 53,
        expiresMs: 1000,
        state: NO_STATE,
      });
    }
    const t = builder.finish();
    const pool = entries('0,UDP,192.0.2.1,1024,65535,1024,0\n0,UDP,192.0.2.2,0,32767,1024,0\n');
    const whole = computePool4(pool, t);
    expect(await computePool4InSlices(pool, t)).toEqual(whole);
    expect(whole.used + whole.outside).toBeGreaterThan(100_000);
  });
});

// The time these take is measured in bench/budgets.mjs, not asserted here.
describe('computePool4 with absurdly short prefixes', () => {
  it('expands a /16 with one range: 65,536 addresses', () => {
    const pool = entries('0,TCP,10.0.0.0/16,1024,65535,8192,0\n');
    const sessions = table(
      'tcp',
      sessionCsv('tcp', [
        ['10.0.255.255', 2000],
        ['10.0.0.0', 1024],
        ['10.1.0.0', 2000],
      ]),
    );
    const report = computePool4(pool, sessions);
    expect(report.addresses).toHaveLength(65536);
    expect(report.addresses[0]).toEqual({ address: '10.0.0.0', capacity: 64512, used: 1 });
    expect(report.addresses[65535]).toEqual({ address: '10.0.255.255', capacity: 64512, used: 1 });
    expect(report.capacity).toBe(65536 * 64512);
    expect(report.used).toBe(2);
    expect(report.outside).toBe(1);
    expect(report.maxAddressUtilization).toBe(1 / 64512);
  });

  it('handles the same /16 printed as Jool prints it (one row per address)', () => {
    let csv = '';
    for (let i = 0; i < 65536; i++) csv += `0,TCP,10.0.${i >> 8}.${i & 255},1024,65535,8192,0\n`;
    const pool = entries(csv);
    const report = computePool4(pool, emptySessionTable('tcp'));
    expect(report.capacity).toBe(65536 * 64512);
    expect(report.addresses).toHaveLength(65536);
    expect(report.addresses[256]).toEqual({ address: '10.0.1.0', capacity: 64512, used: 0 });
  });

  it('keeps totals exact past MAX_LISTED_ADDRESSES and lists only that many addresses', () => {
    const pool = entries('0,UDP,10.0.0.0/8,1,65535,infinite,1\n2,UDP,10.0.0.0/8,1,100,1024,0\n');
    const report = computePool4(
      pool,
      table(
        'udp',
        sessionCsv('udp', [
          ['10.255.0.1', 5],
          ['10.0.0.1', 5],
        ]),
      ),
    );
    expect(report.capacity).toBe(2 ** 24 * 65535);
    expect(report.marks).toEqual([
      { mark: 0, capacity: 2 ** 24 * 65535 },
      { mark: 2, capacity: 2 ** 24 * 100 },
    ]);
    expect(report.addresses).toHaveLength(MAX_LISTED_ADDRESSES);
    expect(report.addressesOmitted).toBe(2 ** 24 - MAX_LISTED_ADDRESSES);
    // The unlisted address's BIB entry still counts in the totals.
    expect(report.used).toBe(2);
    expect(report.maxAddressUtilization).toBe(1 / 65535);
  });
});

// Cases mutation testing found untested (issue #12): each checks against the naive reference, in both
// the one-entry-per-address path and the sweep over overlapping entries (forced by an extra overlap).
describe('computePool4 merging edges', () => {
  /** Two entries on one far-away address: makes buildSegments take its sweep path. */
  const OVERLAP = '0,TCP,203.0.113.9,1,10,1024,0\n0,TCP,203.0.113.9,5,20,1024,0\n';

  for (const [path, extra] of [
    ['one entry per address', ''],
    ['overlapping entries', OVERLAP],
  ] as const) {
    describe(path, () => {
      it('joins ranges of one address that share exactly one port', () => {
        const pool = `0,TCP,192.0.2.1,1000,2000,1024,0\n1,TCP,192.0.2.1,2000,3000,1024,0\n${extra}`;
        const report = check(
          pool,
          'tcp',
          sessionCsv('tcp', [
            ['192.0.2.1', 2000],
            ['192.0.2.1', 3001],
          ]),
        );
        expect(report.addresses[0]).toEqual({ address: '192.0.2.1', capacity: 2001, used: 1 });
        expect(report.marks.slice(0, 2)).toEqual([
          { mark: 0, capacity: 1001 + (extra ? 20 : 0) },
          { mark: 1, capacity: 1001 },
        ]);
      });

      it('keeps a one-port hole between two ranges of one address', () => {
        const pool = `0,TCP,192.0.2.1,1000,1999,1024,0\n0,TCP,192.0.2.1,2001,3000,1024,0\n${extra}`;
        const report = check(
          pool,
          'tcp',
          sessionCsv('tcp', [
            ['192.0.2.1', 2000],
            ['192.0.2.1', 1999],
            ['192.0.2.1', 2001],
          ]),
        );
        expect(report.addresses[0]).toEqual({ address: '192.0.2.1', capacity: 2000, used: 2 });
        expect(report.outside).toBe(1);
      });

      it('does not merge neighbouring addresses with the same max port but different min ports', () => {
        const pool = `0,TCP,192.0.2.1,1000,2000,1024,0\n0,TCP,192.0.2.2,1500,2000,1024,0\n0,TCP,192.0.2.3,1500,2500,1024,0\n${extra}`;
        const report = check(
          pool,
          'tcp',
          sessionCsv('tcp', [
            ['192.0.2.2', 1200],
            ['192.0.2.2', 1600],
            ['192.0.2.3', 2400],
          ]),
        );
        expect(report.addresses.slice(0, 3)).toEqual([
          { address: '192.0.2.1', capacity: 1001, used: 0 },
          { address: '192.0.2.2', capacity: 501, used: 1 },
          { address: '192.0.2.3', capacity: 1001, used: 1 },
        ]);
        expect(report.outside).toBe(1);
      });

      it('does not merge equal ranges across a gap between address blocks', () => {
        const pool = `0,TCP,192.0.2.0/31,1000,2000,1024,0\n0,TCP,192.0.2.3,1000,2000,1024,0\n0,TCP,192.0.2.4/30,1000,2000,1024,0\n${extra}`;
        const report = check(
          pool,
          'tcp',
          sessionCsv('tcp', [
            ['192.0.2.2', 1500],
            ['192.0.2.3', 1500],
            ['192.0.2.7', 1000],
          ]),
        );
        expect(report.addresses.slice(0, 7).map((a) => a.address)).toEqual([
          '192.0.2.0',
          '192.0.2.1',
          '192.0.2.3',
          '192.0.2.4',
          '192.0.2.5',
          '192.0.2.6',
          '192.0.2.7',
        ]);
        expect(report.used).toBe(2);
        expect(report.outside).toBe(1);
      });
    });
  }

  it('stops listing at MAX_LISTED_ADDRESSES when the cap falls inside a later segment', () => {
    // Segments of 2^19, 2^18 and 2^19 addresses (different ranges, so never merged): the cap falls 2^18 into the third.
    const pool = entries('0,UDP,10.0.0.0/13,1,100,1024,0\n0,UDP,10.8.0.0/14,1,200,1024,0\n0,UDP,10.16.0.0/13,1,300,1024,0\n');
    const report = computePool4(
      pool,
      table(
        'udp',
        sessionCsv('udp', [
          ['10.16.0.1', 5],
          ['10.23.255.255', 5],
        ]),
      ),
    );
    expect(MAX_LISTED_ADDRESSES).toBe(2 ** 20);
    expect(report.addresses).toHaveLength(MAX_LISTED_ADDRESSES);
    expect(report.addressesOmitted).toBe(2 ** 18);
    expect(report.addresses[2 ** 19 - 1]).toEqual({ address: '10.7.255.255', capacity: 100, used: 0 });
    expect(report.addresses[2 ** 19]).toEqual({ address: '10.8.0.0', capacity: 200, used: 0 });
    expect(report.addresses[2 ** 19 + 2 ** 18]).toEqual({ address: '10.16.0.0', capacity: 300, used: 0 });
    expect(report.addresses[2 ** 19 + 2 ** 18 + 1]).toEqual({ address: '10.16.0.1', capacity: 300, used: 1 });
    expect(report.addresses[2 ** 20 - 1]).toEqual({ address: '10.19.255.255', capacity: 300, used: 0 });
    expect(report.capacity).toBe(2 ** 19 * 100 + 2 ** 18 * 200 + 2 ** 19 * 300);
    expect(report.used).toBe(2);
  });
});
