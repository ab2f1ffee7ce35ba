import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Protocol, SESSION_CSV_HEADER, TCP_STATES } from '../../src/model.js';
import { createSessionCsvParser, type ParseResult, parseSessionCsv } from '../../src/parse/session-csv.js';
import { ipv6LocalAt, type SessionTable } from '../../src/table/session-table.js';
import { fixture, pushInChunks, randomInt, referenceParse, rng, tableRows } from './support.js';

const CAPTURES: ReadonlyArray<readonly [string, Protocol, number]> = [
  ['session-tcp.csv', 'tcp', 520],
  ['session-tcp-noheaders.csv', 'tcp', 520],
  ['session-default-table.csv', 'tcp', 520],
  ['session-udp.csv', 'udp', 4004],
  ['session-udp-noheaders.csv', 'udp', 4004],
  ['session-icmp.csv', 'icmp', 1001],
  ['session-icmp-noheaders.csv', 'icmp', 1001],
];

function distinct(values: string[]): number {
  return new Set(values).size;
}

function parseChunked(protocol: Protocol, bytes: Uint8Array, nextSize: () => number, maxLineBytes?: number): ParseResult {
  const parser = createSessionCsvParser(protocol, maxLineBytes === undefined ? {} : { maxLineBytes });
  pushInChunks(parser, bytes, nextSize);
  return parser.finish();
}

/** Everything observable about a parse, for whole-result comparisons. */
function snapshot(result: ParseResult) {
  const t = result.table;
  return {
    rows: tableRows(t),
    headers: result.headers,
    rejected: result.rejected.count,
    reason: result.rejected.reason,
    distinct: [t.ipv6Remotes.size, t.ipv6Locals.size, t.ipv4Locals.size, t.ipv4Remotes.size],
  };
}

const TCP_ROW = 'TCP,2001:db8::a,57867,64:ff9b::c000:205,80,192.0.2.1,1024,192.0.2.5,80,1:59:55.808,ESTABLISHED';
const UDP_ROW = 'UDP,2001:db8::9,44957,64:ff9b::c633:6401,5000,192.0.2.2,4393,198.51.100.1,5000,0:29:54.140';
const ICMP_ROW = 'ICMP,2001:db8::4,1,64:ff9b::c633:6401,1,192.0.2.1,1028,198.51.100.1,1028,0:09:52.780';

/** Replaces field `index` of a CSV row. */
function withField(row: string, index: number, value: string): string {
  const f = row.split(',');
  f[index] = value;
  return f.join(',');
}

describe('parseSessionCsv on the Jool 4.1.9 captures', () => {
  it.each(CAPTURES)('%s (%s) matches the naive reference row for row', (name, protocol, sessions) => {
    const bytes = fixture(name);
    const ref = referenceParse(protocol, bytes.toString('latin1'));
    // The reference itself must see the capture the README describes.
    expect(ref.rows).toHaveLength(sessions);
    expect(ref.rejected).toBe(0);

    const result = parseSessionCsv(protocol, bytes);
    expect(result.table.protocol).toBe(protocol);
    expect(result.table.length).toBe(sessions);
    expect(result.rejected.count).toBe(0);
    expect(result.rejected.example).toBeUndefined();
    expect(result.headers).toBe(ref.headers);
    expect(result.headers).toBe(name.includes('noheaders') ? 0 : 1);
    expect(tableRows(result.table)).toEqual(ref.rows);

    // Interners hold exactly the distinct values, no more (rejected or duplicate text never lands there).
    const t = result.table;
    expect(t.ipv6Remotes.size).toBe(distinct(ref.rows.map((r) => r.ipv6Remote)));
    expect(t.ipv6Locals.size).toBe(distinct(ref.rows.map((r) => r.ipv6Local)));
    expect(t.ipv4Locals.size).toBe(distinct(ref.rows.map((r) => r.ipv4Local)));
    expect(t.ipv4Remotes.size).toBe(distinct(ref.rows.map((r) => r.ipv4Remote)));
    expect(new Set(t.ipv6Remotes.values).size).toBe(t.ipv6Remotes.size);
    // Jool's own tables need neither copy column (table/session-table.ts): every IPv6 local is its
    // IPv4 remote embedded in pool6, every IPv6 local L4-ID the one NAT64 keeps.
    expect(t.ipv6Local).toBeNull();
    expect(t.ipv6LocalOfRemote!.length).toBe(t.ipv4Remotes.size);
    expect(t.ipv6LocalPort).toBe(t.protocol === 'icmp' ? t.ipv6RemotePort : t.ipv4RemotePort);
    // Every column is exactly `length` long (finish() trims the growth slack).
    for (const column of [
      t.ipv6Remote,
      t.ipv6RemotePort,
      t.ipv6LocalPort,
      t.ipv4Local,
      t.ipv4LocalPort,
      t.ipv4Remote,
      t.ipv4RemotePort,
      t.expiresMs,
      t.state,
    ]) {
      expect(column.length).toBe(sessions);
    }
  });

  it('TCP capture has the README state counts', () => {
    const { table } = parseSessionCsv('tcp', fixture('session-tcp.csv'));
    const counts: Record<string, number> = {};
    for (const row of tableRows(table)) counts[row.state!] = (counts[row.state!] ?? 0) + 1;
    expect(counts).toEqual({
      ESTABLISHED: 300,
      V6_FIN_RCV: 40,
      V4_FIN_RCV: 40,
      V4_FIN_V6_FIN_RCV: 40,
      TRANS: 40,
      V6_INIT: 40,
      V4_INIT: 20,
    });
    // ...and tcp-states.csv (the capture's own count) agrees.
    const expected = Object.fromEntries(
      fixture('tcp-states.csv')
        .toString()
        .trim()
        .split('\n')
        .map((l) => {
          const [state, n] = l.split(',');
          return [state!, Number(n)];
        }),
    );
    expect(counts).toEqual(expected);
  });

  it('UDP and ICMP rows carry no state; TCP rows always do', () => {
    for (const [name, protocol] of CAPTURES) {
      const rows = tableRows(parseSessionCsv(protocol, fixture(name)).table);
      for (const row of rows) {
        if (protocol === 'tcp') expect(TCP_STATES).toContain(row.state);
        else expect(row.state).toBeNull();
      }
    }
  });

  it.each([
    ['empty-session-tcp.csv', 'tcp', 1],
    ['empty-session-udp.csv', 'udp', 1],
    ['empty-session-icmp.csv', 'icmp', 1],
    ['empty-session-tcp-noheaders.csv', 'tcp', 0],
    ['empty-session-udp-noheaders.csv', 'udp', 0],
    ['empty-session-icmp-noheaders.csv', 'icmp', 0],
  ] as const)('%s is an empty table with %i header(s)', (name, protocol, headers) => {
    const bytes = fixture(name);
    const result = parseSessionCsv(protocol, bytes);
    expect(result.table.length).toBe(0);
    expect(result.headers).toBe(headers);
    expect(result.rejected.count).toBe(0);
    // Same when streamed byte by byte.
    const streamed = parseChunked(protocol, bytes, () => 1);
    expect(streamed.table.length).toBe(0);
    expect(streamed.headers).toBe(headers);
  });

  it('the header in the captures is the one model.ts knows', () => {
    const first = fixture('session-udp.csv').toString('latin1').split('\n')[0];
    expect(first).toBe(SESSION_CSV_HEADER);
  });

  it('a capture parsed as the wrong protocol rejects every row (and keeps the first as example)', () => {
    const bytes = fixture('session-udp.csv');
    const result = parseSessionCsv('tcp', bytes);
    expect(result.table.length).toBe(0);
    expect(result.rejected.count).toBe(4004);
    expect(result.rejected.reason).toMatch(/TCP/);
    expect(result.rejected.example).toBe(bytes.toString('latin1').split('\n')[1]);
  });
});

describe('chunk-boundary independence', () => {
  it.each(CAPTURES)('%s: 1-byte chunks, random chunks and one chunk give the same table', (name, protocol) => {
    const bytes = fixture(name);
    const whole = snapshot(parseSessionCsv(protocol, bytes));
    expect(snapshot(parseChunked(protocol, bytes, () => 1))).toEqual(whole);
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      expect(snapshot(parseChunked(protocol, bytes, () => randomInt(random, 1, 300)))).toEqual(whole);
    }
    const random = rng(99);
    expect(snapshot(parseChunked(protocol, bytes, () => randomInt(random, 1, 20_000)))).toEqual(whole);
  });

  it('chunks cut at every position of a line (two chunks) parse the same', () => {
    const text = `${SESSION_CSV_HEADER}\n${TCP_ROW}\r\n${withField(TCP_ROW, 10, 'TRANS')}\nTCP,bad\n${TCP_ROW}`;
    const bytes = Buffer.from(text, 'latin1');
    const whole = snapshot(parseSessionCsv('tcp', bytes));
    expect(whole.rows).toHaveLength(3);
    expect(whole.rejected).toBe(1);
    expect(whole.headers).toBe(1);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = createSessionCsvParser('tcp');
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      expect(snapshot(parser.finish()), `cut at ${cut}`).toEqual(whole);
    }
  });

  it('empty chunks are harmless', () => {
    const parser = createSessionCsvParser('udp');
    parser.push(new Uint8Array(0));
    parser.push(Buffer.from(UDP_ROW.slice(0, 10)));
    parser.push(new Uint8Array(0));
    parser.push(Buffer.from(`${UDP_ROW.slice(10)}\n`));
    parser.push(new Uint8Array(0));
    const result = parser.finish();
    expect(result.table.length).toBe(1);
    expect(result.rejected.count).toBe(0);
  });

  it('accepts plain Uint8Array chunks (not only Buffers) and strings in parseSessionCsv', () => {
    const text = `${ICMP_ROW}\n${ICMP_ROW}\n`;
    const parser = createSessionCsvParser('icmp');
    parser.push(new Uint8Array(Buffer.from(text)));
    expect(parser.finish().table.length).toBe(2);
    expect(parseSessionCsv('icmp', text).table.length).toBe(2);
  });
});

describe('line handling', () => {
  it('final line without a newline is parsed', () => {
    const result = parseSessionCsv('udp', `${UDP_ROW}\n${withField(UDP_ROW, 2, '1')}`);
    expect(result.table.length).toBe(2);
    expect(result.table.ipv6RemotePort[1]).toBe(1);
  });

  it('final line without a newline is parsed when it arrives split over chunks', () => {
    const parser = createSessionCsvParser('udp');
    parser.push(Buffer.from(UDP_ROW.slice(0, 30)));
    parser.push(Buffer.from(UDP_ROW.slice(30)));
    const result = parser.finish();
    expect(tableRows(result.table)).toEqual(referenceParse('udp', UDP_ROW).rows);
  });

  it('CRLF line endings are accepted (also split between the CR and the LF)', () => {
    const text = `${SESSION_CSV_HEADER}\r\n${TCP_ROW}\r\n${TCP_ROW}\r\n`;
    const result = parseSessionCsv('tcp', text);
    expect(result.table.length).toBe(2);
    expect(result.headers).toBe(1);
    expect(result.rejected.count).toBe(0);
    expect(tableRows(result.table)[1]!.state).toBe('ESTABLISHED');

    const parser = createSessionCsvParser('tcp');
    const cr = text.indexOf('\r', text.indexOf(TCP_ROW)) + 1;
    parser.push(Buffer.from(text.slice(0, cr)));
    parser.push(Buffer.from(text.slice(cr)));
    const split = parser.finish();
    expect(split.table.length).toBe(2);
    expect(split.rejected.count).toBe(0);
  });

  it('a CR inside a field is not a line end', () => {
    const result = parseSessionCsv('tcp', `${withField(TCP_ROW, 10, 'EST\rABLISHED')}\n`);
    expect(result.table.length).toBe(0);
    expect(result.rejected.count).toBe(1);
  });

  it('blank lines (LF and CRLF) are skipped, not rejected', () => {
    const result = parseSessionCsv('icmp', `\n\n${ICMP_ROW}\n\r\n\n${ICMP_ROW}\n\n`);
    expect(result.table.length).toBe(2);
    expect(result.rejected.count).toBe(0);
    expect(result.headers).toBe(0);
  });

  it('a header line is accepted anywhere and counted each time', () => {
    const text = [SESSION_CSV_HEADER, UDP_ROW, SESSION_CSV_HEADER, UDP_ROW, SESSION_CSV_HEADER].join('\n');
    const result = parseSessionCsv('udp', text);
    expect(result.headers).toBe(3);
    expect(result.table.length).toBe(2);
    expect(result.rejected.count).toBe(0);
    expect(snapshot(parseChunked('udp', Buffer.from(text), () => 7))).toEqual(snapshot(result));
  });

  it('a 0-byte output is an empty table', () => {
    const result = parseSessionCsv('tcp', '');
    expect(result.table.length).toBe(0);
    expect(result.headers).toBe(0);
    expect(result.rejected).toEqual({ count: 0 });
  });
});

describe('malformed rows', () => {
  const CASES: ReadonlyArray<readonly [string, Protocol, string, RegExp]> = [
    ['UDP row with 11 fields (trailing state)', 'udp', `${UDP_ROW},ESTABLISHED`, /too many fields/],
    ['UDP row with two trailing commas', 'udp', `${UDP_ROW},,`, /too many fields/],
    ['ICMP row with a space as State', 'icmp', `${ICMP_ROW}, `, /too many fields/],
    ['UDP row with an empty expiry and an empty State', 'udp', `${withField(UDP_ROW, 9, '')},`, /Expires in/],
    ['ICMP row with 9 fields', 'icmp', ICMP_ROW.split(',').slice(0, 9).join(','), /too few fields/],
    ['TCP row with 10 fields (no state)', 'tcp', TCP_ROW.split(',').slice(0, 10).join(','), /too few fields.*State/],
    ['TCP row with 12 fields', 'tcp', `${TCP_ROW},x`, /too many fields/],
    ['a single field', 'tcp', 'TCP', /too few fields/],
    ['wrong protocol name (UDP row in the TCP table)', 'tcp', withField(TCP_ROW, 0, 'UDP'), /protocol/],
    ['lower-case protocol name', 'tcp', withField(TCP_ROW, 0, 'tcp'), /protocol/],
    ['protocol name with a suffix', 'icmp', withField(ICMP_ROW, 0, 'ICMPv6'), /protocol/],
    ['IPv4 with a leading zero', 'tcp', withField(TCP_ROW, 5, '192.0.2.01'), /IPv4 Local Address/],
    ['IPv4 octet 256', 'tcp', withField(TCP_ROW, 7, '192.0.2.256'), /IPv4 Remote Address/],
    ['IPv4 with 3 octets', 'tcp', withField(TCP_ROW, 5, '192.0.2'), /IPv4 Local Address/],
    ['IPv4 where IPv6 belongs', 'tcp', withField(TCP_ROW, 1, '192.0.2.1'), /IPv6 Remote Address/],
    ['IPv6 where IPv4 belongs', 'tcp', withField(TCP_ROW, 7, '64:ff9b::1'), /IPv4 Remote Address/],
    ['IPv6 garbage', 'tcp', withField(TCP_ROW, 1, '2001:db8:::a'), /IPv6 Remote Address/],
    ['IPv6 with a non-hex digit', 'udp', withField(UDP_ROW, 3, '64:ff9g::1'), /IPv6 Local Address/],
    ['IPv6 with a zone id', 'tcp', withField(TCP_ROW, 1, 'fe80::1%eth0'), /IPv6 Remote Address/],
    ['IPv6 in brackets', 'tcp', withField(TCP_ROW, 3, '[64:ff9b::1]'), /IPv6 Local Address/],
    ['empty address', 'udp', withField(UDP_ROW, 1, ''), /IPv6 Remote Address/],
    ['port 65536', 'tcp', withField(TCP_ROW, 2, '65536'), /IPv6 Remote L4-ID/],
    ['port 99999', 'udp', withField(UDP_ROW, 8, '99999'), /IPv4 Remote L4-ID/],
    ['port with 6 digits', 'udp', withField(UDP_ROW, 6, '100000'), /IPv4 Local L4-ID/],
    ['port with a letter', 'icmp', withField(ICMP_ROW, 4, '8O'), /IPv6 Local L4-ID/],
    ['negative port', 'icmp', withField(ICMP_ROW, 2, '-1'), /IPv6 Remote L4-ID/],
    ['port with a space', 'udp', withField(UDP_ROW, 2, ' 1'), /IPv6 Remote L4-ID/],
    ['empty port', 'udp', withField(UDP_ROW, 2, ''), /IPv6 Remote L4-ID/],
    ['expiry with 60 minutes', 'tcp', withField(TCP_ROW, 9, '1:60:00'), /Expires in/],
    ['expiry with unpadded minutes', 'tcp', withField(TCP_ROW, 9, '1:5:00'), /Expires in/],
    ['expiry abc', 'udp', withField(UDP_ROW, 9, 'abc'), /Expires in/],
    ['expiry with 4 ms digits', 'udp', withField(UDP_ROW, 9, '0:00:01.1234'), /Expires in/],
    ['expiry .1234 alone', 'udp', withField(UDP_ROW, 9, '.1234'), /Expires in/],
    ['empty expiry', 'icmp', withField(ICMP_ROW, 9, ''), /Expires in/],
    ['unknown TCP state', 'tcp', withField(TCP_ROW, 10, 'CLOSED'), /state/i],
    ['lower-case TCP state', 'tcp', withField(TCP_ROW, 10, 'established'), /state/i],
    ['TCP state with trailing space', 'tcp', withField(TCP_ROW, 10, 'TRANS '), /state/i],
    ['empty TCP state', 'tcp', `${TCP_ROW.split(',').slice(0, 10).join(',')},`, /state/i],
  ];

  it.each(CASES)('%s is rejected', (_what, protocol, bad, reason) => {
    const good = { tcp: TCP_ROW, udp: UDP_ROW, icmp: ICMP_ROW }[protocol];
    // The reference agrees that the row is bad and the template good.
    expect(referenceParse(protocol, `${bad}\n${good}\n`).rejected).toBe(1);

    const result = parseSessionCsv(protocol, `${good}\n${bad}\n${good}\n`);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.reason).toMatch(reason);
    expect(result.rejected.example).toBe(bad);
    expect(result.table.length).toBe(2);
    // Nothing of the rejected row leaks into the interners (only the good row's addresses).
    expect(result.table.ipv6Remotes.values).toEqual([good.split(',')[1]]);
    expect(result.table.ipv4Remotes.values).toEqual([good.split(',')[7]]);
  });

  // "too few fields (no X)" must name the field that is MISSING, i.e. the one after the line's last field.
  it.each([
    ['tcp', 'TCP', 'IPv6 Remote Address'],
    ['tcp', 'TCP,2001:db8::a', 'IPv6 Remote L4-ID'],
    ['tcp', 'TCP,2001:db8::a,57867', 'IPv6 Local Address'],
    ['udp', UDP_ROW.split(',').slice(0, 5).join(','), 'IPv4 Local Address'],
    ['icmp', ICMP_ROW.split(',').slice(0, 9).join(','), 'Expires in'],
    ['tcp', TCP_ROW.split(',').slice(0, 10).join(','), 'State'],
  ] as const)('%s row %j: the reason names the missing field (%s)', (protocol, row, missing) => {
    const result = parseSessionCsv(protocol, row);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.reason).toBe(`too few fields (no ${missing})`);
  });

  it('keeps the first rejected row as the example, counts all, keeps every good row around them', () => {
    const bad1 = withField(TCP_ROW, 10, 'NOPE');
    const bad2 = withField(TCP_ROW, 2, '70000');
    const lines = [TCP_ROW, bad1, withField(TCP_ROW, 10, 'TRANS'), bad2, bad2, withField(TCP_ROW, 10, 'V4_INIT')];
    const result = parseSessionCsv('tcp', lines.join('\n'));
    expect(result.rejected.count).toBe(3);
    expect(result.rejected.example).toBe(bad1);
    expect(result.rejected.reason).toMatch(/state/i);
    expect(tableRows(result.table).map((r) => r.state)).toEqual(['ESTABLISHED', 'TRANS', 'V4_INIT']);
  });

  it('the example is truncated for long lines', () => {
    const bad = withField(UDP_ROW, 9, 'x'.repeat(1000));
    const result = parseSessionCsv('udp', `${bad}\n`);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.example!.length).toBeLessThanOrEqual(200);
    expect(bad.startsWith(result.rejected.example!)).toBe(true);
  });

  it('a real capture with garbage spliced in keeps every good row (vs the reference), in any chunking', () => {
    const random = rng(7);
    const lines = fixture('session-tcp.csv').toString('latin1').split('\n');
    const garbage = [
      'TCP,2001:db8::a,1,64:ff9b::1,80,192.0.2.1,1,192.0.2.5,80,1:59:55.808,CLOSED',
      'TCP,2001:db8::a,1,64:ff9b::1,80,192.0.2.01,1,192.0.2.5,80,1:59:55.808,ESTABLISHED',
      'UDP,2001:db8::9,44957,64:ff9b::c633:6401,5000,192.0.2.2,4393,198.51.100.1,5000,0:29:54.140',
      'garbage',
      ',,,,,,,,,,',
      'TCP,2001:db8::a,1,64:ff9b::1,80,192.0.2.1,1,192.0.2.5,80,1:5:55,ESTABLISHED',
    ];
    const mixed: string[] = [];
    for (const line of lines) {
      if (random() < 0.05) mixed.push(garbage[randomInt(random, 0, garbage.length - 1)]!);
      mixed.push(line);
    }
    const text = mixed.join('\n');
    const ref = referenceParse('tcp', text);
    expect(ref.rejected).toBeGreaterThan(5);
    expect(ref.rows).toHaveLength(520);
    const bytes = Buffer.from(text, 'latin1');
    for (const result of [parseSessionCsv('tcp', bytes), parseChunked('tcp', bytes, () => randomInt(random, 1, 64))]) {
      expect(result.rejected.count).toBe(ref.rejected);
      expect(result.rejected.example).toBe(ref.rejectedLines[0]);
      expect(tableRows(result.table)).toEqual(ref.rows);
    }
  });
});

describe('overlong lines', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a line of exactly maxLineBytes is parsed, one byte more is rejected, in any chunking', () => {
    const len = TCP_ROW.length;
    for (const [max, rows, rejected] of [
      [len, 1, 0],
      [len - 1, 0, 1],
    ] as const) {
      const bytes = Buffer.from(`${TCP_ROW}\n${UDP_ROW.slice(0, 10)}\n`);
      for (const next of [() => 1, () => 5, () => 1_000_000]) {
        const result = parseChunked('tcp', bytes, next, max);
        expect(result.table.length).toBe(rows);
        // The second, short line is always a bad row, never swallowed by the overlong handling.
        expect(result.rejected.count).toBe(rejected + 1);
        if (rejected) expect(result.rejected.reason).toMatch(new RegExp(`longer than ${max}`));
      }
    }
  });

  it('an overlong line in the middle of a chunk is rejected and the next lines parse', () => {
    const long = `TCP,${'a'.repeat(5000)}`;
    const result = parseSessionCsv('tcp', `${TCP_ROW}\n${long}\n${TCP_ROW}\n`);
    expect(result.table.length).toBe(2);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.reason).toMatch(/longer than 4096 bytes/);
    expect(result.rejected.example).toBe(long.slice(0, 200));
  });

  it('an overlong line split across many chunks is rejected once and the rest parses', () => {
    const long = `TCP,${'b'.repeat(20_000)}`;
    const bytes = Buffer.from(`${TCP_ROW}\n${long}\n${TCP_ROW}\n${long}`); // last one without newline
    for (const size of [1, 3, 100, 4095, 4096, 4097, 9000]) {
      const result = parseChunked('tcp', bytes, () => size);
      expect(result.table.length, `chunks of ${size}`).toBe(2);
      expect(result.rejected.count, `chunks of ${size}`).toBe(2);
      expect(result.rejected.reason).toMatch(/longer than 4096/);
      expect(result.rejected.example).toBe(long.slice(0, 200));
    }
  });

  it('does not buffer an overlong line whole', () => {
    const concat = vi.spyOn(Buffer, 'concat');
    const parser = createSessionCsvParser('udp', { maxLineBytes: 1000 });
    const chunk = Buffer.alloc(512, 0x41);
    for (let i = 0; i < 4000; i++) parser.push(chunk); // a 2 MB line
    parser.push(Buffer.from(`\n${UDP_ROW}\n`));
    const result = parser.finish();
    expect(result.table.length).toBe(1);
    expect(result.rejected.count).toBe(1);
    const largest = Math.max(0, ...concat.mock.results.map((r) => (r.value as Buffer).length));
    expect(largest).toBeLessThanOrEqual(1000 + 512);
  });

  it('the default limit is generous enough for the longest real row', () => {
    const longest =
      'TCP,ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255,65535,ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255,65535,' +
      '255.255.255.255,65535,255.255.255.255,65535,1193:02:47.295,V4_FIN_V6_FIN_RCV';
    const result = parseSessionCsv('tcp', longest);
    expect(result.rejected.count).toBe(0);
    expect(tableRows(result.table)).toEqual(referenceParse('tcp', longest).rows);
  });
});

describe('row values', () => {
  it('reads ports 0 and 65535 and both expiry generations', () => {
    const rows = [
      withField(withField(TCP_ROW, 2, '0'), 9, '0:00:00'),
      withField(withField(TCP_ROW, 8, '65535'), 9, '00:02:57.44'), // Jool 3
      withField(TCP_ROW, 9, '1193:01:56.860'),
      withField(TCP_ROW, 9, '00:00:01.5'),
    ];
    const parsed = tableRows(parseSessionCsv('tcp', rows.join('\n')).table);
    expect(parsed.map((r) => r.expiresMs)).toEqual([0, 177_044, 4_294_916_860, 1005]);
    expect(parsed[0]!.ipv6RemotePort).toBe(0);
    expect(parsed[1]!.ipv4RemotePort).toBe(65535);
  });

  it('keeps Jool\'s largest expiry exactly, and rejects a larger one as a bad "Expires in" (TCP, UDP with either ending)', () => {
    const largest = withField(TCP_ROW, 9, '1193:02:47.295');
    const tcp = parseSessionCsv('tcp', [largest, withField(TCP_ROW, 9, '1193:02:47.296')].join('\n'));
    expect(Array.from(tcp.table.expiresMs)).toEqual([2 ** 32 - 1]);
    expect(tcp.rejected.count).toBe(1);
    expect(tcp.rejected.reason).toBe('bad Expires in');
    const udpRow = UDP_ROW.split(',').slice(0, 10);
    udpRow[9] = '4000:00:00';
    const udp = parseSessionCsv('udp', [udpRow.join(','), `${udpRow.join(',')},`].join('\n'));
    expect(udp.table.length).toBe(0);
    expect(udp.rejected.count).toBe(2);
    expect(udp.rejected.reason).toBe('bad Expires in');
  });

  it('maps every TCP state name to its own code', () => {
    const text = TCP_STATES.map((s) => withField(TCP_ROW, 10, s)).join('\n');
    const result = parseSessionCsv('tcp', text);
    expect(Array.from(result.table.state)).toEqual(TCP_STATES.map((_, i) => i));
  });

  it('interns repeated addresses to the same id and distinct ones to distinct ids', () => {
    const rows = [
      TCP_ROW,
      withField(TCP_ROW, 1, '2001:db8::b'),
      TCP_ROW,
      withField(TCP_ROW, 1, '2001:db8::b'),
      withField(TCP_ROW, 1, '2001:db8::c'),
    ];
    const t = parseSessionCsv('tcp', rows.join('\n')).table;
    expect(Array.from(t.ipv6Remote)).toEqual([0, 1, 0, 1, 2]);
    expect(t.ipv6Remotes.values).toEqual(['2001:db8::a', '2001:db8::b', '2001:db8::c']);
  });
});

// Two gaps mutation testing found (issue 12): each of these fails if one check is dropped.
describe('checks that another check would otherwise hide', () => {
  const row = (fields: Partial<Record<number, string>>) => {
    const base = [
      'TCP',
      '2001:db8::1',
      '40000',
      '64:ff9b::c633:6401',
      '80',
      '192.0.2.1',
      '1024',
      '198.51.100.1',
      '80',
      '1:59:55.668',
      'ESTABLISHED',
    ];
    for (const [k, v] of Object.entries(fields)) base[Number(k)] = v!;
    return base.join(',');
  };

  it('rejects a 6-character port whose value fits (000080), in every port column', () => {
    for (const column of [2, 4, 6, 8]) {
      const parsed = parseSessionCsv('tcp', `${row({ [column]: '000080' })}\n${row({ [column]: '00080' })}\n`);
      expect(parsed.table.length, `column ${column}`).toBe(1);
      expect(parsed.table.ipv6RemotePort[0] === 80 || parsed.table.ipv6LocalPort[0] === 80 || parsed.table.ipv4LocalPort[0] === 80).toBe(
        true,
      );
      expect(parsed.rejected.count).toBe(1);
      expect(parsed.rejected.reason).toMatch(/^bad .*L4-ID$/);
      expect(parsed.rejected.example).toContain('000080');
    }
  });

  it('rejects an over-long last line that has no newline, when it arrives in the final chunk', () => {
    const good = row({});
    const long = row({ 1: '2001:db8:1:2:3:4:5:6' }); // a valid row, longer than the limit below
    const maxLineBytes = good.length;
    expect(long.length).toBeGreaterThan(maxLineBytes);
    for (const split of [0, 1, good.length + 1, good.length + 5]) {
      const bytes = Buffer.from(`${good}\n${long}`, 'latin1');
      const parser = createSessionCsvParser('tcp', { maxLineBytes });
      if (split > 0) parser.push(bytes.subarray(0, split));
      parser.push(bytes.subarray(split));
      const parsed = parser.finish();
      expect(parsed.table.length, `split ${split}`).toBe(1);
      expect(parsed.rejected.count).toBe(1);
      expect(parsed.rejected.reason).toBe(`line longer than ${maxLineBytes} bytes`);
    }
  });
});

// table/session-table.ts stores neither the IPv6 local address nor its L4-ID while every row is
// what NAT64 makes of the others; from the first row that is not, it stores both columns for
// every row, those before included. Row counts cross the first block (1024 rows without a hint)
// and a whole block (65536).
describe('the columns NAT64 makes copies of', () => {
  const ROWS = 66_000;
  const hex = (n: number) => n.toString(16);
  /** Row i as Jool prints it: the IPv6 local is 64:ff9b:: + the IPv4 remote, its L4-ID the kept one. */
  function jool(protocol: Protocol, i: number): string[] {
    const remote = [198, 51, (i >> 8) & 0xff, i & 0xff];
    const local = `64:ff9b::${hex((remote[0]! << 8) | remote[1]!)}:${hex((remote[2]! << 8) | remote[3]!)}`;
    const v6port = String(1024 + (i % 60_000));
    const v4port = String(i % 65_536);
    const client = `2001:db8::${hex(i % 5000)}`;
    if (protocol === 'icmp') return ['ICMP', client, v6port, local, v6port, '192.0.2.1', v4port, remote.join('.'), v4port, '0:00:59'];
    const dport = String(443 + (i % 7));
    const fields = [protocol.toUpperCase(), client, v6port, local, dport, '192.0.2.1', v4port, remote.join('.'), dport, '1:00:00'];
    return protocol === 'tcp' ? [...fields, 'ESTABLISHED'] : fields;
  }
  const joolRows = new Map<Protocol, string[][]>();
  /** The table as Jool prints it, row `at` changed by `change`. */
  function rowsOf(protocol: Protocol, at = -1, change: (fields: string[]) => void = () => {}): string[][] {
    let rows = joolRows.get(protocol);
    if (rows === undefined) {
      rows = Array.from({ length: ROWS }, (_, i) => jool(protocol, i));
      joolRows.set(protocol, rows);
    }
    return rows.map((fields, i) => {
      if (i !== at) return fields;
      const changed = [...fields];
      change(changed);
      return changed;
    });
  }
  const textOf = (rows: string[][]) => `${rows.map((fields) => fields.join(',')).join('\n')}\n`;
  /** Every row's IPv6 local address and L4-ID read back as written (the other columns have tests of their own). */
  function expectLocals(t: SessionTable, rows: string[][]): void {
    expect(t.length).toBe(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [address, port] = [t.ipv6Locals.text(ipv6LocalAt(t, i)), t.ipv6LocalPort[i]];
      if (address !== rows[i]![3] || port !== Number(rows[i]![4]))
        expect.fail(`row ${i}: ${address} #${port}, wrote ${rows[i]![3]} #${rows[i]![4]}`);
    }
  }

  it.each<Protocol>(['tcp', 'udp', 'icmp'])('%s: stored as neither column while every row is as NAT64 makes it', (protocol) => {
    const rows = rowsOf(protocol);
    const t = parseSessionCsv(protocol, textOf(rows)).table;
    expect(t.ipv6Local).toBeNull();
    expect(t.ipv6LocalOfRemote!.length).toBe(t.ipv4Remotes.size);
    expect(t.ipv6LocalPort).toBe(protocol === 'icmp' ? t.ipv6RemotePort : t.ipv4RemotePort);
    expectLocals(t, rows);
  });

  it.each([0, 1, 1023, 1024, 40_000, 65_536, ROWS - 1])(
    'an IPv6 local in another prefix at row %i: the column is stored for every row',
    (at) => {
      const rows = rowsOf('tcp', at, (fields) => {
        fields[3] = `2001:db8:64::${fields[3]!.slice('64:ff9b::'.length)}`;
      });
      for (const expected of [0, ROWS]) {
        const parser = createSessionCsvParser('tcp', {
          expected: { rows: expected, ipv6Remotes: 0, ipv6Locals: 0, ipv4Locals: 0, ipv4Remotes: 0 },
        });
        parser.push(Buffer.from(textOf(rows), 'latin1'));
        const t = parser.finish().table;
        expect(t.ipv6Local).not.toBeNull();
        expect(t.ipv6LocalOfRemote).toBeNull();
        expect(t.ipv6LocalPort).toBe(t.ipv4RemotePort);
        expectLocals(t, rows);
      }
    },
  );

  it.each([0, 1023, 1024, 65_536, ROWS - 1])(
    'an IPv6 local L4-ID that is not the kept one at row %i: the column is stored for every row',
    (at) => {
      for (const protocol of ['udp', 'icmp'] as const) {
        const rows = rowsOf(protocol, at, (fields) => {
          fields[4] = String((Number(fields[4]) + 1) % 65_536);
        });
        const t = parseSessionCsv(protocol, textOf(rows)).table;
        expect(t.ipv6Local).toBeNull();
        expect(t.ipv6LocalPort).not.toBe(t.ipv4RemotePort);
        expect(t.ipv6LocalPort).not.toBe(t.ipv6RemotePort);
        expectLocals(t, rows);
      }
    },
  );
});
