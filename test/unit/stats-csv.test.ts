import { describe, expect, it } from 'vitest';
import { createDemoJool } from '../../src/demo/demo-jool.js';
import { parseStatsCsv, STAT_NAME } from '../../src/parse/stats-csv.js';
import { fixture } from './support.js';

const text = (name: string): string => fixture(name).toString('latin1');

/** Naive reference: every `JSTAT...,digits` line of a two-column capture, by String.split. */
function referenceStats(name: string): Array<{ name: string; value: number }> {
  return text(name)
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('Stat,'))
    .map((line) => {
      const [stat, value, ...rest] = line.split(',');
      expect(rest).toEqual([]);
      return { name: stat!, value: Number(value) };
    });
}

describe('parseStatsCsv: real captures (Jool 4.1.9)', () => {
  it.each([
    ['stats-all.csv', 69, 1],
    ['stats-all-noheaders.csv', 69, 0],
    ['stats.csv', 6, 1],
    ['empty-stats-all.csv', 69, 1],
  ])('%s: %i stats, %i header line(s), nothing rejected', (name, count, headers) => {
    const result = parseStatsCsv(text(name));
    expect(result.stats).toEqual(referenceStats(name));
    expect(result.stats).toHaveLength(count);
    expect(result.headers).toBe(headers);
    expect(result.rejected).toEqual({ count: 0 });
  });

  it('reads the same stats with and without headers', () => {
    expect(parseStatsCsv(text('stats-all-noheaders.csv')).stats).toEqual(parseStatsCsv(text('stats-all.csv')).stats);
  });

  it('keeps the values of the busy capture (and Jool order)', () => {
    const { stats } = parseStatsCsv(text('stats-all.csv'));
    const byName = new Map(stats.map((s) => [s.name, s.value]));
    expect(byName.get('JSTAT_RECEIVED6')).toBe(6616);
    expect(byName.get('JSTAT_BIB_ENTRIES')).toBe(560);
    expect(byName.get('JSTAT_SESSIONS')).toBe(5525);
    expect(byName.get('JSTAT_UNKNOWN_ICMP6_TYPE')).toBe(27);
    expect(byName.get('JSTAT_BIB6_NOT_FOUND')).toBe(0);
    expect(stats[0]!.name).toBe('JSTAT_RECEIVED6');
    expect(stats.at(-1)!.name).toBe('JSTAT_UNKNOWN');
  });

  it('every real stat name matches the name rule (JSTAT_, JSTAT64_, JSTAT46_)', () => {
    const names = referenceStats('stats-all.csv').map((s) => s.name);
    for (const name of names) expect(name).toMatch(STAT_NAME);
    expect(names.filter((n) => n.startsWith('JSTAT64_'))).toHaveLength(11);
    expect(names.filter((n) => n.startsWith('JSTAT46_'))).toHaveLength(11);
  });

  it('the --explain form (quoted Explanation, some on several lines) gives the same stats', () => {
    const explain = text('stats-all-explain.csv');
    // The capture really has multi-line explanations: more lines than rows.
    expect(explain.split('\n').filter((l) => l !== '').length).toBeGreaterThan(70);
    const result = parseStatsCsv(explain);
    expect(result.stats).toEqual(referenceStats('stats-all.csv'));
    expect(result.headers).toBe(1);
    expect(result.rejected).toEqual({ count: 0 });
  });

  it('the --explain form with CRLF line ends and without headers', () => {
    const explain = text('stats-all-explain.csv').split('\n').slice(1).join('\r\n');
    const result = parseStatsCsv(explain);
    expect(result.stats).toEqual(referenceStats('stats-all.csv'));
    expect(result.headers).toBe(0);
    expect(result.rejected.count).toBe(0);
  });

  it.each(['empty-stats.csv', 'error-nope-stats.csv'])('%s: the header alone, no stats', (name) => {
    expect(parseStatsCsv(text(name))).toEqual({ stats: [], rejected: { count: 0 }, headers: 1 });
  });

  it('error-no-module-stats.csv: empty output, no stats', () => {
    expect(text('error-no-module-stats.csv')).toBe('');
    expect(parseStatsCsv(text('error-no-module-stats.csv'))).toEqual({ stats: [], rejected: { count: 0 }, headers: 0 });
  });

  it('the error capture exits non-zero after printing its header (the poll, not the parser, fails it)', () => {
    expect(text('error-nope-stats.csv.rc').trim()).toBe('3');
    expect(text('error-nope-stats.csv.stderr')).toContain("lacks an instance named 'nope'");
  });
});

describe('parseStatsCsv: the demo source', () => {
  async function run(args: readonly string[]): Promise<string> {
    const jool = createDemoJool({ now: () => Date.UTC(2025, 2, 3, 9, 0, 0), rampMs: 0 });
    const call = jool(args, { timeoutMs: 60_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of call.stdout) chunks.push(chunk);
    expect((await call.exit).exitCode).toBe(0);
    return Buffer.concat(chunks).toString('latin1');
  }

  it("parses `stats display --csv --all` with the capture's names in its order", async () => {
    const result = parseStatsCsv(await run(['-i', 'default', 'stats', 'display', '--csv', '--all']));
    expect(result.rejected).toEqual({ count: 0 });
    expect(result.headers).toBe(1);
    expect(result.stats.map((s) => s.name)).toEqual(referenceStats('stats-all.csv').map((s) => s.name));
    for (const s of result.stats) expect(Number.isSafeInteger(s.value) && s.value >= 0).toBe(true);
    expect(result.stats.find((s) => s.name === 'JSTAT_SESSIONS')!.value).toBeGreaterThan(0);
  });
});

describe('parseStatsCsv: values', () => {
  const value = (v: string) => parseStatsCsv(`JSTAT_SUCCESS,${v}\n`);

  it.each([
    ['0', 0],
    ['7', 7],
    ['007', 7],
    ['9007199254740991', 2 ** 53 - 1],
    ['9007199254740992', 2 ** 53],
  ])('reads %s exactly', (v, expected) => {
    expect(value(v).stats).toEqual([{ name: 'JSTAT_SUCCESS', value: expected }]);
  });

  it('above 2^53 values are the nearest double (documented precision loss)', () => {
    expect(value('9007199254740993').stats[0]!.value).toBe(2 ** 53);
    expect(value('18446744073709551615').stats[0]!.value).toBe(2 ** 64);
  });

  it.each([
    ['-1', 'negative Value'],
    ['', 'empty Value'],
    ['1.5', 'bad Value (not a non-negative integer)'],
    ['1e3', 'bad Value (not a non-negative integer)'],
    ['+1', 'bad Value (not a non-negative integer)'],
    [' 1', 'bad Value (not a non-negative integer)'],
    ['abc', 'bad Value (not a non-negative integer)'],
    ['0x10', 'bad Value (not a non-negative integer)'],
    ['18446744073709551616', 'Value exceeds 64 bits'],
    ['123456789012345678901234567890', 'Value exceeds 64 bits'],
  ])('rejects %j: %s', (v, reason) => {
    expect(value(v)).toEqual({ stats: [], headers: 0, rejected: { count: 1, example: `JSTAT_SUCCESS,${v}`, reason } });
  });
});

describe('parseStatsCsv: malformed rows', () => {
  it.each([
    ['JSTAT_SUCCESS', 'too few fields (no Value)'],
    ['JSTAT_SUCCESS: 5', 'too few fields (no Value)'],
    ['jstat_success,5', 'bad Stat name'],
    ['JSTAT-SUCCESS,5', 'bad Stat name'],
    ['SUCCESS,5', 'bad Stat name'],
    [',5', 'bad Stat name'],
    [' JSTAT_SUCCESS,5', 'bad Stat name'],
    ['JSTAT_SUCCESS,5,6', 'too many fields (only a quoted Explanation may follow Value)'],
    ['JSTAT_SUCCESS,5,', 'too many fields (only a quoted Explanation may follow Value)'],
    ['JSTAT_SUCCESS,5,"x",7', 'unterminated quoted Explanation'],
    ['JSTAT_SUCCESS,5,"', 'unterminated quoted Explanation'],
    ['JSTAT_SUCCESS,5,"never closed', 'unterminated quoted Explanation'],
  ])('%j: %s', (line, reason) => {
    const result = parseStatsCsv(`Stat,Value\nJSTAT_RECEIVED6,1\n${line}\nJSTAT_RECEIVED4,2\n`);
    // The good rows around the bad one are kept.
    expect(result.stats).toEqual([
      { name: 'JSTAT_RECEIVED6', value: 1 },
      { name: 'JSTAT_RECEIVED4', value: 2 },
    ]);
    expect(result.rejected).toEqual({ count: 1, example: line, reason });
    expect(result.headers).toBe(1);
  });

  it('counts every bad row, keeps the first as the example', () => {
    const result = parseStatsCsv('JSTAT_A,x\nJSTAT_B,1\nbad\nJSTAT_C,-2\nJSTAT_D,3,4\n');
    expect(result.stats).toEqual([{ name: 'JSTAT_B', value: 1 }]);
    expect(result.rejected).toEqual({ count: 4, example: 'JSTAT_A,x', reason: 'bad Value (not a non-negative integer)' });
  });

  it('rejects a repeated stat, keeping the first value (one series per stat)', () => {
    const result = parseStatsCsv('JSTAT_SUCCESS,1\nJSTAT_SUCCESS,2\n');
    expect(result.stats).toEqual([{ name: 'JSTAT_SUCCESS', value: 1 }]);
    expect(result.rejected).toEqual({ count: 1, example: 'JSTAT_SUCCESS,2', reason: 'duplicate stat JSTAT_SUCCESS' });
  });

  it('truncates a long example to 200 characters', () => {
    const line = 'X'.repeat(1000);
    const result = parseStatsCsv(line);
    expect(result.rejected.example).toBe('X'.repeat(200));
    expect(result.rejected.count).toBe(1);
  });

  it('an explanation left open at the end of the output rejects its row', () => {
    const result = parseStatsCsv('JSTAT_A,1,"fine"\nJSTAT_B,2,"starts\nand goes on\n');
    expect(result.stats).toEqual([{ name: 'JSTAT_A', value: 1 }]);
    expect(result.rejected).toEqual({ count: 1, example: 'JSTAT_B,2,"starts', reason: 'unterminated quoted Explanation' });
  });

  it('an explanation with blank lines, commas and quotes inside (Jool does not escape them)', () => {
    const result = parseStatsCsv('Stat,Value,Explanation\nJSTAT_A,1,"one, "two"\n\nthree, four"\nJSTAT_B,2,"x"\n');
    expect(result.stats).toEqual([
      { name: 'JSTAT_A', value: 1 },
      { name: 'JSTAT_B', value: 2 },
    ]);
    expect(result.rejected.count).toBe(0);
  });

  it('a line that is neither a row nor the end of an explanation breaks the row before it', () => {
    const result = parseStatsCsv('JSTAT_A,1,"fine"\ngarbage\nJSTAT_B,2,"b"\n');
    expect(result.stats).toEqual([{ name: 'JSTAT_B', value: 2 }]);
    expect(result.rejected).toEqual({ count: 1, example: 'JSTAT_A,1,"fine"', reason: 'unterminated quoted Explanation' });
  });

  it('skips empty lines, accepts CRLF and a missing final newline, never throws on junk', () => {
    expect(parseStatsCsv('\r\nStat,Value\r\n\r\nJSTAT_A,1\r\nJSTAT_B,2').stats).toEqual([
      { name: 'JSTAT_A', value: 1 },
      { name: 'JSTAT_B', value: 2 },
    ]);
    expect(parseStatsCsv('')).toEqual({ stats: [], rejected: { count: 0 }, headers: 0 });
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    expect(() => parseStatsCsv(junk)).not.toThrow();
  });

  it('headers are any line starting with "Stat," (2 and 3 columns, repeated)', () => {
    const result = parseStatsCsv('Stat,Value\nJSTAT_A,1\nStat,Value,Explanation\nJSTAT_B,2,"b"\n');
    expect(result.headers).toBe(2);
    expect(result.stats).toHaveLength(2);
  });
});
