/**
 * parseInstanceList: the `jool instance display --csv` output discovery
 * believes, checked against the captures and a naive String.split reading.
 */
import { describe, expect, it } from 'vitest';
import { parseInstanceList } from '../../src/poll/discovery.js';
import { fixture } from './support.js';

/** Naive reference: split lines and commas, drop the header and blank lines. */
function naive(text: string): Array<{ namespace: string; name: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'Namespace,Name,Framework')
    .map((line) => {
      const [namespace, name] = line.split(',');
      return { namespace: namespace!, name: name! };
    });
}

const CAPTURED = [
  { namespace: '312d780', name: 'alt' },
  { namespace: '9809dcc0', name: 'default' },
  { namespace: '9809dcc0', name: 'empty' },
];

describe('parseInstanceList on the Jool 4.1.9 captures', () => {
  it.each(['instance.csv', 'instance-noheaders.csv', 'instance-from-x64.csv'])('%s', (name) => {
    const text = fixture(name).toString('utf8');
    const result = parseInstanceList(text);
    expect(result.unreadable).toBeUndefined();
    expect(result.listed).toEqual(naive(text));
    expect(result.listed).toEqual(CAPTURED);
  });

  it("the list is the same from another namespace (jool lists every namespace's instances)", () => {
    expect(parseInstanceList(fixture('instance-from-x64.csv').toString('utf8'))).toEqual(
      parseInstanceList(fixture('instance.csv').toString('utf8')),
    );
  });

  it('the table output (no --csv) is unreadable, not an empty list', () => {
    const result = parseInstanceList(fixture('instance.txt').toString('utf8'));
    expect(result.unreadable).toBe('+--------------------+-----------------+-----------+');
  });

  it('CRLF line ends read the same', () => {
    const text = fixture('instance.csv').toString('utf8');
    expect(parseInstanceList(text.replace(/\n/g, '\r\n'))).toEqual({ listed: CAPTURED, unreadable: undefined });
  });

  it('without a final newline reads the same', () => {
    const text = fixture('instance-noheaders.csv').toString('utf8').trimEnd();
    expect(parseInstanceList(text)).toEqual({ listed: CAPTURED, unreadable: undefined });
  });
});

describe('parseInstanceList: no instances', () => {
  it.each([
    ['empty output', ''],
    ['a newline', '\n'],
    ['the header alone', 'Namespace,Name,Framework\n'],
    ['the header alone, CRLF', 'Namespace,Name,Framework\r\n'],
  ])('%s is a readable empty list', (_, text) => {
    expect(parseInstanceList(text)).toEqual({ listed: [], unreadable: undefined });
  });
});

describe('parseInstanceList: a line it does not understand makes the whole list unreadable', () => {
  const rows = ['312d780,alt,netfilter', '9809dcc0,default,netfilter', '9809dcc0,empty,iptables'];

  it.each([0, 1, 2, 3])('garbage at position %i', (at) => {
    const lines = ['Namespace,Name,Framework', ...rows];
    lines.splice(at + 1, 0, 'jool: something went wrong');
    const result = parseInstanceList(`${lines.join('\n')}\n`);
    expect(result.unreadable).toBe('jool: something went wrong');
  });

  it('garbage as the first line, before the header', () => {
    const result = parseInstanceList(['Error: nope', 'Namespace,Name,Framework', ...rows].join('\n'));
    expect(result.unreadable).toBe('Error: nope');
  });

  it.each([
    ['a framework other than netfilter/iptables', '312d780,alt,nftables'],
    ['an upper-case framework', '312d780,alt,Netfilter'],
    ['a missing framework', '312d780,alt'],
    ['an extra column', '312d780,alt,netfilter,x'],
    ['a namespace that is not hex', 'xyz,alt,netfilter'],
    ['an empty namespace', ',alt,netfilter'],
    ['an empty name', '312d780,,netfilter'],
    ['a different header', 'Namespace,Name,Framework,Extra'],
    ['a header with trailing blanks', 'Namespace,Name,Framework '],
    ['trailing blanks', '312d780,alt,netfilter '],
  ])('%s', (_, line) => {
    const result = parseInstanceList([...rows, line].join('\n'));
    expect(result.unreadable).toBe(line);
  });

  it('the unreadable line is reported without its CR', () => {
    expect(parseInstanceList('312d780,alt,netfilter\r\nbad line\r\n').unreadable).toBe('bad line');
  });

  it('a very long unreadable line is cut to 200 characters', () => {
    const line = 'x'.repeat(10_000);
    const result = parseInstanceList(line);
    expect(result.unreadable).toBe('x'.repeat(200));
  });

  it('both frameworks are read', () => {
    expect(parseInstanceList('1,a,netfilter\n2,b,iptables\n').listed).toEqual([
      { namespace: '1', name: 'a' },
      { namespace: '2', name: 'b' },
    ]);
  });

  it('names with blanks and punctuation (all jool allows but commas) are read whole', () => {
    expect(parseInstanceList('ffff8880,a b~!@#$%^&*(),netfilter\n').listed).toEqual([{ namespace: 'ffff8880', name: 'a b~!@#$%^&*()' }]);
  });
});
