/** Log lines: control characters from jool's output never reach the log raw (issue #9, item 5). */
import { describe, expect, it } from 'vitest';
import { createLogger, formatLine } from '../../src/log.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
// Every C0 control, DEL, every C1 control, and U+2028/U+2029.
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), 0x2028, 0x2029].map(
  (code) => String.fromCharCode(code),
);
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('control characters are escaped', () => {
  it.each(CONTROLS.map((c) => [c.charCodeAt(0).toString(16), c]))('U+%s in a logfmt value', (_code, c) => {
    const line = formatLine('logfmt', 'warn', 'malformed rows skipped', { example: `TCP,2001:db8::1${c}x,80` }, NOW);
    expect(line).not.toMatch(RAW);
    // Quoted and escaped the JSON way, so the value reads back exactly.
    const quoted = /example=("(?:[^"\\]|\\.)*")$/.exec(line)![1]!;
    expect(JSON.parse(quoted)).toBe(`TCP,2001:db8::1${c}x,80`);
  });

  it.each(CONTROLS.map((c) => [c.charCodeAt(0).toString(16), c]))('U+%s in a JSON value', (_code, c) => {
    const line = formatLine('json', 'warn', 'malformed rows skipped', { example: `a${c}b` }, NOW);
    expect(line).not.toMatch(RAW);
    expect(JSON.parse(line).example).toBe(`a${c}b`);
  });

  it('an ESC sequence and a BEL from a hostile row: one line, nothing a terminal acts on', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    log.warn('malformed rows skipped', { example: 'UDP,\u001b[2J\u0007,1\nlevel=error msg=forged' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('example="UDP,\\u001b[2J\\u0007,1\\nlevel=error msg=forged"');
    expect(lines[0]!.split('\n')).toHaveLength(1);
  });

  it('plain values stay bare, and non-control Unicode is kept as is', () => {
    expect(formatLine('logfmt', 'info', 'x', { instance: 'default', n: 3, addr: 'é' }, NOW)).toBe(
      'ts=2026-01-02T03:04:05.000Z level=info msg=x instance=default n=3 addr=é',
    );
  });
});
