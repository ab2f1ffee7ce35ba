import { describe, expect, it } from 'vitest';
import { instanceNameProblem, parseJoolVersion, sessionDisplayArgs, VERSION_ARGS } from '../../src/jool/commands.js';
import { PROTOCOLS } from '../../src/model.js';
import { fixture } from './support.js';

describe('sessionDisplayArgs: Jool 4', () => {
  it.each(PROTOCOLS)('%s: exact argv', (protocol) => {
    expect(sessionDisplayArgs(4, 'alt', protocol)).toEqual([
      '-i',
      'alt',
      'session',
      'display',
      `--${protocol}`,
      '--csv',
      '--numeric',
      '--no-headers',
    ]);
  });

  it('puts -i NAME before the mode (after `display`, -i would mean --icmp)', () => {
    for (const protocol of PROTOCOLS) {
      const args = sessionDisplayArgs(4, 'default', protocol);
      expect(args.indexOf('-i')).toBe(0);
      expect(args[args.indexOf('-i') + 1]).toBe('default');
      expect(args.indexOf('-i')).toBeLessThan(args.indexOf('session'));
      expect(args.indexOf('session') + 1).toBe(args.indexOf('display'));
      expect(args.lastIndexOf('-i')).toBe(0);
    }
  });

  it('passes an instance name verbatim, as one argument (no shell)', () => {
    for (const name of ['a b', '-x', '$(id)', 'x;y', "it's"]) {
      const args = sessionDisplayArgs(4, name, 'udp');
      expect(args[1]).toBe(name);
      expect(args).toHaveLength(8);
    }
  });
});

describe('sessionDisplayArgs: Jool 3', () => {
  it.each(PROTOCOLS)('%s: exact argv (one instance, no --no-headers in Jool 3)', (protocol) => {
    expect(sessionDisplayArgs(3, 'default', protocol)).toEqual(['--session', '--display', `--${protocol}`, '--csv', '--numeric']);
  });
});

describe('sessionDisplayArgs: both dialects', () => {
  it('always ask for CSV with --numeric and exactly one protocol', () => {
    for (const dialect of [3, 4] as const) {
      for (const protocol of PROTOCOLS) {
        const args = sessionDisplayArgs(dialect, 'default', protocol);
        expect(args).toContain('--csv');
        expect(args).toContain('--numeric');
        const protocolFlags = args.filter((a) => ['--tcp', '--udp', '--icmp'].includes(a));
        expect(protocolFlags).toEqual([`--${protocol}`]);
      }
    }
  });

  it('VERSION_ARGS is `jool --version`', () => {
    expect(VERSION_ARGS).toEqual(['--version']);
  });
});

describe('parseJoolVersion', () => {
  it('reads the real `jool --version` output of 4.1.9', () => {
    const stdout = fixture('version.txt').toString();
    expect(parseJoolVersion(stdout)).toEqual({ version: '4.1.9.0', dialect: 4 });
  });

  it.each([
    ['4.1.9.0', '4.1.9.0', 4],
    ['4.1.9.0\n', '4.1.9.0', 4],
    ['  4.0.0\n', '4.0.0', 4],
    ['3.5.8', '3.5.8', 3],
    ['3.5.8\n', '3.5.8', 3],
    ['Jool 3.5.8', '3.5.8', 3],
    ['v4.1.12', '4.1.12', 4],
    ['4.1.9.0-dirty', '4.1.9.0', 4],
  ] as const)('%j -> %s (Jool %i)', (stdout, version, dialect) => {
    expect(parseJoolVersion(stdout)).toEqual({ version, dialect });
  });

  it.each([
    '',
    'garbage',
    '4',
    '4.1',
    'v',
    '5.0.0',
    '2.9.9',
    '14.1.9',
    '0.4.1.9',
    "Error: Jool's socket family doesn't seem to exist.",
    'Usage: jool [OPTION...]',
    'jool: 4.1.9',
  ])('%j -> null', (stdout) => {
    expect(parseJoolVersion(stdout)).toBeNull();
  });
});

describe("instanceNameProblem (Jool's iname_validate: 1..15 chars, ASCII 32..127)", () => {
  it.each(['default', 'a', 'abcdefghijklmno', ' ', 'a b', '~!@#$%^&*()_+{}', 'x\x7f', '-i', 'UPPER'])('accepts %j', (name) => {
    expect(instanceNameProblem(name)).toBeNull();
  });

  it('accepts every printable ASCII character 32..127', () => {
    for (let code = 32; code <= 127; code++) {
      expect(instanceNameProblem(`a${String.fromCharCode(code)}`), `code ${code}`).toBeNull();
    }
  });

  it('refuses every control character and every character above 127', () => {
    for (const code of [...Array.from({ length: 32 }, (_, i) => i), 128, 160, 0xe9, 0xff, 0x100, 0x20ac]) {
      const problem = instanceNameProblem(`a${String.fromCharCode(code)}b`);
      expect(problem, `code ${code}`).not.toBeNull();
      expect(problem).toMatch(/character/);
    }
    expect(instanceNameProblem('caf\u00e9')).toMatch(/character/);
    expect(instanceNameProblem('\u{1F600}')).toMatch(/character/);
  });

  it('refuses empty and over 15 characters', () => {
    expect(instanceNameProblem('')).toMatch(/empty/);
    expect(instanceNameProblem('abcdefghijklmnop')).toMatch(/longer than the 15 characters/);
    expect(instanceNameProblem('abcdefghijklmnop')).toContain('abcdefghijklmnop');
    expect(instanceNameProblem('x'.repeat(100))).not.toBeNull();
  });
});
