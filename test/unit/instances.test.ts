/**
 * NAME@NETNS instance specs: parsing, the namespace-name rule, and the
 * command that runs jool inside a namespace.
 */
import { describe, expect, it } from 'vitest';
import { instanceSpec, joolCommand, netnsNameProblem, parseInstanceSpec } from '../../src/jool/instances.js';

describe('parseInstanceSpec', () => {
  it.each([
    ['default', { key: 'default', name: 'default', netns: undefined }],
    ['alt', { key: 'alt', name: 'alt', netns: undefined }],
    ['alt@x64', { key: 'alt@x64', name: 'alt', netns: 'x64' }],
    ['default@ns-1', { key: 'default@ns-1', name: 'default', netns: 'ns-1' }],
    ['a b~!#$%^&*()', { key: 'a b~!#$%^&*()', name: 'a b~!#$%^&*()', netns: undefined }],
    // The 15-character limit is jool's, on the name alone.
    [
      'abcdefghijklmno@a-much-longer-namespace',
      { key: 'abcdefghijklmno@a-much-longer-namespace', name: 'abcdefghijklmno', netns: 'a-much-longer-namespace' },
    ],
    // Namespace names are file names: dots are fine unless the whole name is . or ..
    ['a@...', { key: 'a@...', name: 'a', netns: '...' }],
    ['a@.hidden', { key: 'a@.hidden', name: 'a', netns: '.hidden' }],
  ])('%j', (text, expected) => {
    expect(parseInstanceSpec(text)).toStrictEqual(expected);
  });

  it('splits at the last "@", so an instance whose name holds "@" can still be named in a namespace', () => {
    expect(parseInstanceSpec('a@b@x64')).toStrictEqual({ key: 'a@b@x64', name: 'a@b', netns: 'x64' });
  });

  it('the key is the text given', () => {
    for (const text of ['default', 'alt@x64', 'a@b@c']) expect(parseInstanceSpec(text).key).toBe(text);
  });

  it.each([
    ['', /empty/],
    ['@x64', /empty/],
    ['abcdefghijklmnop', /15 characters/],
    ['abcdefghijklmnop@x64', /15 characters/],
    ['caf\u00e9', /character/],
    ['a\tb@x64', /character/],
    ['a@', /"" is not a network namespace name/],
    ['a@.', /"\." is not a network namespace name/],
    ['a@..', /"\.\." is not a network namespace name/],
    ['a@x/y', /"x\/y" is not a network namespace name/],
    ['a@/run/netns/x', /is not a network namespace name/],
    ['a@x\0y', /is not a network namespace name/],
  ])('%j is refused', (text, message) => {
    expect(() => parseInstanceSpec(text)).toThrow(message);
  });
});

describe('instanceSpec', () => {
  it("an instance in the exporter's own namespace is keyed by its name", () => {
    expect(instanceSpec('default')).toStrictEqual({ key: 'default', name: 'default', netns: undefined });
    expect(instanceSpec('default', undefined)).toStrictEqual({ key: 'default', name: 'default', netns: undefined });
  });

  it('an instance in a named namespace is keyed NAME@NETNS', () => {
    expect(instanceSpec('alt', 'x64')).toStrictEqual({ key: 'alt@x64', name: 'alt', netns: 'x64' });
  });

  it('round-trips through parseInstanceSpec', () => {
    for (const [name, netns] of [
      ['default', undefined],
      ['alt', 'x64'],
      ['a@b', 'ns'],
    ] as const) {
      const spec = instanceSpec(name, netns);
      expect(parseInstanceSpec(spec.key)).toStrictEqual(spec);
    }
  });

  it('the same name in two namespaces gets two keys', () => {
    expect(instanceSpec('default', 'a').key).not.toBe(instanceSpec('default', 'b').key);
    expect(instanceSpec('default').key).not.toBe(instanceSpec('default', 'a').key);
  });

  it('an own-namespace name with "@" looks like NAME@NETNS (a known limit of the label format; discovery keeps the first)', () => {
    expect(instanceSpec('a@x').key).toBe(instanceSpec('a', 'x').key);
  });
});

describe('netnsNameProblem', () => {
  it.each(['x64', 'ns-1', 'ns_1', 'a.b', '...', '.hidden', 'a b', 'NS', 'a@b', 'x'.repeat(255)])('%j is fine', (name) => {
    expect(netnsNameProblem(name)).toBeNull();
  });

  it.each(['', '.', '..', '/', 'x/y', '/run/netns/x', 'x/', 'a\0b'])('%j is refused, naming it', (name) => {
    const problem = netnsNameProblem(name);
    expect(problem).not.toBeNull();
    expect(problem).toContain('is not a network namespace name');
    expect(problem).toContain('/run/netns');
    if (!name.includes('\0')) expect(problem).toContain(`"${name}"`);
  });
});

describe('joolCommand', () => {
  it("is jool itself in the exporter's own namespace", () => {
    expect(joolCommand('jool', undefined)).toEqual(['jool']);
    expect(joolCommand('/usr/local/bin/jool', undefined)).toEqual(['/usr/local/bin/jool']);
    expect(joolCommand('jool', undefined, '/sbin/ip')).toEqual(['jool']);
  });

  it('is `ip netns exec NETNS jool` in a named namespace', () => {
    expect(joolCommand('jool', 'x64')).toEqual(['ip', 'netns', 'exec', 'x64', 'jool']);
    expect(joolCommand('/usr/local/bin/jool', 'ns 1')).toEqual(['ip', 'netns', 'exec', 'ns 1', '/usr/local/bin/jool']);
  });

  it('takes the ip binary to use', () => {
    expect(joolCommand('jool', 'x64', '/sbin/ip')).toEqual(['/sbin/ip', 'netns', 'exec', 'x64', 'jool']);
  });

  it('returns a fresh array each time (callers append arguments)', () => {
    const a = joolCommand('jool', 'x64');
    a.push('session');
    expect(joolCommand('jool', 'x64')).toEqual(['ip', 'netns', 'exec', 'x64', 'jool']);
  });
});
