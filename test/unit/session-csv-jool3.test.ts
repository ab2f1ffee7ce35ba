/**
 * Jool 3's documented session output (issue #9, item 1): its UDP and ICMP rows may end with an
 * empty State field (`...,00:00:50.236,`). Such rows are sessions, in both dialects of "Expires
 * in"; a non-empty State on them, or an empty one on TCP, is still a bad row.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/model.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import { referenceParse, tableRows } from './support.js';

const DOCS_EXAMPLE = readFileSync(fileURLToPath(new URL('../fixtures/jool-docs/jool-docs-example-session.csv', import.meta.url)));

describe("Jool 3's docs example (TCP and ICMP rows in one file)", () => {
  it('the ICMP row with its empty State is a session of the ICMP table', () => {
    const result = parseSessionCsv('icmp', DOCS_EXAMPLE);
    expect(result.headers).toBe(1);
    expect(tableRows(result.table)).toEqual([
      {
        protocol: 'ICMP',
        ipv6Remote: '2001:db8::2',
        ipv6RemotePort: 13371,
        ipv6Local: '64:ff9b::5db8:d877',
        ipv6LocalPort: 13371,
        ipv4Local: '192.0.2.1',
        ipv4LocalPort: 1402,
        ipv4Remote: '93.184.216.119',
        ipv4RemotePort: 1402,
        expiresMs: 50_236,
        state: null,
      },
    ]);
    // The two TCP rows do not belong to the ICMP table: rejected for their protocol, nothing else.
    expect(result.rejected.count).toBe(2);
    expect(result.rejected.reason).toMatch(/protocol/);
  });

  it('the TCP rows parse with their states and Jool 3 expiries', () => {
    const result = parseSessionCsv('tcp', DOCS_EXAMPLE);
    const rows = tableRows(result.table);
    expect(rows.map((r) => [r.expiresMs, r.state])).toEqual([
      [177_044, 'V4_FIN_V6_FIN_RCV'],
      [232_236, 'V4_FIN_V6_FIN_RCV'],
    ]);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.reason).toMatch(/protocol/);
  });
});

const BODY = '2001:db8::9,44957,64:ff9b::c633:6401,5000,192.0.2.2,4393,198.51.100.1,5000';

describe('an empty State field on UDP and ICMP rows', () => {
  const CASES: ReadonlyArray<readonly [Protocol, string, number]> = [
    ['udp', '0:29:54.140', 1_794_140], // Jool 4
    ['udp', '00:29:54.14', 1_794_014], // Jool 3: milliseconds unpadded
    ['icmp', '0:00:50', 50_000],
    ['icmp', '00:00:50.236', 50_236],
  ];

  it.each(CASES)('%s row expiring in %s, with and without the empty State, with CRLF too', (protocol, expiry, ms) => {
    const row = `${protocol.toUpperCase()},${BODY},${expiry}`;
    const result = parseSessionCsv(protocol, `${row},\n${row}\n${row},\r\n`);
    expect(result.rejected.count).toBe(0);
    const rows = tableRows(result.table);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect([r.expiresMs, r.state]).toEqual([ms, null]);
    // The unit tests' reference agrees.
    expect(referenceParse(protocol, `${row},\n`).rows).toHaveLength(1);
  });

  it.each([
    ['udp', 'UDP', ',ESTABLISHED', /too many fields/],
    ['icmp', 'ICMP', ', ', /too many fields/],
    ['udp', 'UDP', ',,', /too many fields/],
  ] as const)('%s row ending in %s is still rejected', (protocol, name, tail, reason) => {
    const result = parseSessionCsv(protocol, `${name},${BODY},0:00:01${tail}\n`);
    expect(result.table.length).toBe(0);
    expect(result.rejected.count).toBe(1);
    expect(result.rejected.reason).toMatch(reason);
  });

  it('a TCP row with an empty State is still rejected', () => {
    const result = parseSessionCsv('tcp', `TCP,${BODY},0:00:01,\n`);
    expect(result.table.length).toBe(0);
    expect(result.rejected.reason).toMatch(/state/i);
  });
});
