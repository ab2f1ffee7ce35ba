import { describe, expect, it } from 'vitest';
import { createDemoJool } from '../../src/demo/demo-jool.js';
import type { Pool4Entry } from '../../src/model.js';
import { PROTOCOLS, type Protocol } from '../../src/model.js';
import { POOL4_CSV_HEADER, parsePool4Csv } from '../../src/parse/pool4-csv.js';
import { fixture } from './support.js';

/** 192.0.2.x as a uint32, written out (not computed by the code under test). */
const TEST_NET_1 = 0xc0000200;

function entry(fields: Partial<Pool4Entry> & Pick<Pool4Entry, 'protocol' | 'address' | 'minPort' | 'maxPort' | 'text'>): Pool4Entry {
  return { mark: 0, prefixLength: 32, iterations: 1024, iterationsFixed: false, ...fields };
}

const TCP = [
  entry({ protocol: 'tcp', address: TEST_NET_1 + 1, text: '192.0.2.1', minPort: 1024, maxPort: 2047 }),
  entry({ protocol: 'tcp', address: TEST_NET_1 + 2, text: '192.0.2.2', minPort: 3000, maxPort: 3999 }),
];
const UDP = [
  entry({ protocol: 'udp', mark: 7, address: TEST_NET_1 + 3, text: '192.0.2.3', minPort: 5000, maxPort: 5999 }),
  entry({ protocol: 'udp', address: TEST_NET_1 + 1, text: '192.0.2.1', minPort: 1024, maxPort: 2047 }),
  entry({ protocol: 'udp', address: TEST_NET_1 + 2, text: '192.0.2.2', minPort: 2048, maxPort: 65535 }),
];
const ICMP = [
  entry({ protocol: 'icmp', address: TEST_NET_1 + 1, text: '192.0.2.1', minPort: 1024, maxPort: 2047 }),
  entry({ protocol: 'icmp', address: TEST_NET_1 + 2, text: '192.0.2.2', minPort: 3000, maxPort: 3099 }),
];

describe('parsePool4Csv on the Jool 4.1.9 captures', () => {
  const cases: ReadonlyArray<readonly [string, number, Pool4Entry[]]> = [
    ['pool4-tcp.csv', 1, TCP],
    ['pool4-tcp-noheaders.csv', 0, TCP],
    ['pool4-udp.csv', 1, UDP],
    ['pool4-udp-noheaders.csv', 0, UDP],
    ['pool4-icmp.csv', 1, ICMP],
    ['pool4-icmp-noheaders.csv', 0, ICMP],
    ['empty-pool4-tcp.csv', 1, []],
  ];
  for (const [name, headers, entries] of cases) {
    it(`reads ${name}`, () => {
      const result = parsePool4Csv(fixture(name).toString('latin1'));
      expect(result).toEqual({ entries, rejected: { count: 0 }, headers });
    });
  }

  it('keeps the mark of pool4-udp.csv (mark 7 on 192.0.2.3)', () => {
    const { entries } = parsePool4Csv(fixture('pool4-udp.csv').toString('latin1'));
    expect(entries.map((e) => [e.text, e.mark])).toEqual([
      ['192.0.2.3', 7],
      ['192.0.2.1', 0],
      ['192.0.2.2', 0],
    ]);
  });

  it('the header it skips is the one Jool prints', () => {
    expect(fixture('pool4-tcp.csv').toString('latin1').split('\n')[0]).toBe(POOL4_CSV_HEADER);
  });
});

describe('parsePool4Csv on Jool 3', () => {
  it('reads 3.5.5+ output: all protocols after one 7-column header', () => {
    const text = [
      POOL4_CSV_HEADER,
      '0,TCP,192.0.2.1,61001,65535,1024,0',
      '0,UDP,192.0.2.1,61001,65535,1024,0',
      '3,ICMP,192.0.2.1,0,65535,5000,1',
      '',
    ].join('\n');
    const result = parsePool4Csv(text);
    expect(result.headers).toBe(1);
    expect(result.rejected.count).toBe(0);
    expect(result.entries.map((e) => [e.protocol, e.mark, e.minPort, e.maxPort, e.iterations, e.iterationsFixed])).toEqual([
      ['tcp', 0, 61001, 65535, 1024, false],
      ['udp', 0, 61001, 65535, 1024, false],
      ['icmp', 3, 0, 65535, 5000, true],
    ]);
  });

  it('reads 3.4 to 3.5.4 output: 5 columns, no iterations', () => {
    const text = 'Mark,Protocol,Address,Min port,Max port\n0,TCP,192.0.2.1,1,65535\n1,UDP,192.0.2.7,100,200\n';
    const result = parsePool4Csv(text);
    expect(result.headers).toBe(1);
    expect(result.rejected.count).toBe(0);
    expect(result.entries).toEqual([
      {
        mark: 0,
        protocol: 'tcp',
        address: TEST_NET_1 + 1,
        prefixLength: 32,
        minPort: 1,
        maxPort: 65535,
        iterations: null,
        iterationsFixed: null,
        text: '192.0.2.1',
      },
      {
        mark: 1,
        protocol: 'udp',
        address: TEST_NET_1 + 7,
        prefixLength: 32,
        minPort: 100,
        maxPort: 200,
        iterations: null,
        iterationsFixed: null,
        text: '192.0.2.7',
      },
    ]);
  });

  it('accepts 5- and 7-column rows mixed, CRLF and blank lines', () => {
    const result = parsePool4Csv('\r\n0,TCP,192.0.2.1,1,2\r\n\n0,TCP,192.0.2.2,1,2,infinite,1\r\n');
    expect(result.rejected.count).toBe(0);
    expect(result.entries.map((e) => [e.text, e.iterations, e.iterationsFixed])).toEqual([
      ['192.0.2.1', null, null],
      ['192.0.2.2', 'infinite', true],
    ]);
  });
});

describe('parsePool4Csv: Address with a prefix', () => {
  const cases: ReadonlyArray<readonly [string, number, number]> = [
    ['192.0.2.8/30', TEST_NET_1 + 8, 30],
    ['192.0.2.0/24', TEST_NET_1, 24],
    ['192.0.2.9/32', TEST_NET_1 + 9, 32],
    ['192.0.2.9', TEST_NET_1 + 9, 32],
    ['198.51.100.0/22', 0xc6336400, 22],
    ['0.0.0.0/0', 0, 0],
    ['255.255.255.255', 0xffffffff, 32],
    // A host part (Jool prints the prefix's own address; be safe anyway): the range starts at the network address.
    ['192.0.2.9/30', TEST_NET_1 + 8, 30],
  ];
  for (const [text, address, prefixLength] of cases) {
    it(`reads ${text}`, () => {
      const { entries, rejected } = parsePool4Csv(`0,TCP,${text},1,65535,2059,0\n`);
      expect(rejected.count).toBe(0);
      expect(entries).toEqual([
        { mark: 0, protocol: 'tcp', address, prefixLength, minPort: 1, maxPort: 65535, iterations: 2059, iterationsFixed: false, text },
      ]);
    });
  }
});

describe('parsePool4Csv: Iterations and Iterations fixed', () => {
  const cases: ReadonlyArray<readonly [string, string, Pool4Entry['iterations'], boolean]> = [
    ['1024', '0', 1024, false], // auto
    ['999', '1', 999, true], // --max-iterations 999
    ['infinite', '1', 'infinite', true], // --max-iterations infinity, as display_entry_csv prints it
    ['Infinite', '1', 'infinite', true],
    ['infinity', '1', 'infinite', true],
    ['0', '1', 0, true],
    ['4294967295', '1', 4294967295, true],
    ['8192', 'FALSE', 8192, false],
    ['8192', 'true', 8192, true],
  ];
  for (const [iterations, fixed, wantIterations, wantFixed] of cases) {
    it(`reads ${iterations},${fixed}`, () => {
      const { entries, rejected } = parsePool4Csv(`0,UDP,192.0.2.100,1,65535,${iterations},${fixed}\n`);
      expect(rejected.count).toBe(0);
      expect(entries[0]!.iterations).toBe(wantIterations);
      expect(entries[0]!.iterationsFixed).toBe(wantFixed);
    });
  }
});

describe('parsePool4Csv: malformed rows', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['0,TCP,192.0.2.1,1024', 'expected 5 or 7 fields, got 4'],
    ['0,TCP,192.0.2.1,1024,2047,1024', 'expected 5 or 7 fields, got 6'],
    ['0,TCP,192.0.2.1,1024,2047,1024,0,extra', 'expected 5 or 7 fields, got 8'],
    ['-1,TCP,192.0.2.1,1024,2047', 'bad Mark'],
    ['01,TCP,192.0.2.1,1024,2047', 'bad Mark'],
    ['4294967296,TCP,192.0.2.1,1024,2047', 'bad Mark'],
    ['x,TCP,192.0.2.1,1024,2047', 'bad Mark'],
    [',TCP,192.0.2.1,1024,2047', 'bad Mark'],
    ['0,tcp,192.0.2.1,1024,2047', 'bad Protocol'],
    ['0,SCTP,192.0.2.1,1024,2047', 'bad Protocol'],
    ['0,TCP,192.0.2,1024,2047', 'bad Address'],
    ['0,TCP,192.0.2.01,1024,2047', 'bad Address'],
    ['0,TCP,0xc0.0.2.1,1024,2047', 'bad Address'],
    ['0,TCP,192.0.2.256,1024,2047', 'bad Address'],
    ['0,TCP,2001:db8::1,1024,2047', 'bad Address'],
    ['0,TCP, 192.0.2.1,1024,2047', 'bad Address'],
    ['0,TCP,192.0.2.0/33,1024,2047', 'bad Address (prefix length)'],
    ['0,TCP,192.0.2.0/024,1024,2047', 'bad Address (prefix length)'],
    ['0,TCP,192.0.2.0/,1024,2047', 'bad Address (prefix length)'],
    ['0,TCP,192.0.2.0/24/1,1024,2047', 'bad Address (prefix length)'],
    ['0,TCP,192.0.2.1,65536,65536', 'bad Min port'],
    ['0,TCP,192.0.2.1,1024,65536', 'bad Max port'],
    ['0,TCP,192.0.2.1,,2047', 'bad Min port'],
    ['0,TCP,192.0.2.1,1024,-1', 'bad Max port'],
    ['0,TCP,192.0.2.1,2048,2047', 'Min port above Max port'],
    ['0,TCP,192.0.2.1,1024,2047,auto,0', 'bad Iterations'],
    ['0,TCP,192.0.2.1,1024,2047,-5,1', 'bad Iterations'],
    ['0,TCP,192.0.2.1,1024,2047,4294967296,1', 'bad Iterations'],
    ['0,TCP,192.0.2.1,1024,2047,,1', 'bad Iterations'],
    ['0,TCP,192.0.2.1,1024,2047,1024,2', 'bad Iterations fixed'],
    ['0,TCP,192.0.2.1,1024,2047,1024,', 'bad Iterations fixed'],
    ['|          0 |   TCP |       1024 ( auto) |       192.0.2.1 |  1024- 2047 |', 'expected 5 or 7 fields, got 1'],
    ['192.0.2.1/32', 'expected 5 or 7 fields, got 1'], // Jool 3.3's --pool4 --display: not CSV
  ];
  for (const [row, reason] of cases) {
    it(`rejects ${JSON.stringify(row)}: ${reason}`, () => {
      const result = parsePool4Csv(`${row}\n0,TCP,192.0.2.9,1,2\n`);
      expect(result.rejected).toEqual({ count: 1, example: row, reason });
      expect(result.entries.map((e) => e.text)).toEqual(['192.0.2.9']);
    });
  }

  it('counts every bad row and keeps the first as the example, truncated', () => {
    const long = `0,TCP,${'9'.repeat(300)},1,2`;
    const result = parsePool4Csv(`${long}\n0,TCP,192.0.2.1,1,2\nnope\n0,TCP,192.0.2.2,5,4\n`);
    expect(result.rejected.count).toBe(3);
    expect(result.rejected.reason).toBe('bad Address');
    expect(result.rejected.example).toBe(long.slice(0, 200));
    expect(result.entries).toHaveLength(1);
  });

  it('reads nothing from empty output', () => {
    expect(parsePool4Csv('')).toEqual({ entries: [], rejected: { count: 0 }, headers: 0 });
  });
});

describe('parsePool4Csv on the demo source', () => {
  async function stdout(args: string[]): Promise<string> {
    const jool = createDemoJool({ now: () => Date.UTC(2025, 2, 3, 8, 0, 0) });
    const call = jool(args, { timeoutMs: 60_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of call.stdout) chunks.push(chunk);
    expect((await call.exit).exitCode).toBe(0);
    return Buffer.concat(chunks).toString('latin1');
  }

  for (const protocol of PROTOCOLS) {
    it(`reads the demo's pool4 display --${protocol} --csv (with and without headers)`, async () => {
      for (const headers of [true, false]) {
        const args = ['-i', 'default', 'pool4', 'display', `--${protocol}`, '--csv', ...(headers ? [] : ['--no-headers'])];
        const text = await stdout(args);
        const result = parsePool4Csv(text);
        expect(result.rejected.count).toBe(0);
        expect(result.headers).toBe(headers ? 1 : 0);
        const rows = text.split('\n').filter((line) => line !== '' && !line.startsWith('Mark,'));
        expect(result.entries).toHaveLength(rows.length);
        expect(result.entries.length).toBeGreaterThanOrEqual(4);
        expect(
          result.entries.every((e) => e.protocol === (protocol as Protocol) && e.prefixLength === 32 && e.iterationsFixed === false),
        ).toBe(true);
        expect(result.entries.map((e) => e.text)).toEqual(rows.map((row) => row.split(',')[2]));
      }
    });
  }
});
