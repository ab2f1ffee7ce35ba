/**
 * The jool client's command line as the demo understands it: main's modes and
 * help texts, and argp_parse() for each operation's flags.
 */
import { P_ICMP, P_TCP, P_UDP } from './table.js';

export const JOOL_VERSION = '4.1.9.0';
export const EXIT_EINVAL = 234; // jool returns -EINVAL from main
export const EXIT_USAGE = 64; // argp's EX_USAGE

export const MODES: readonly (readonly [string, readonly string[]])[] = [
  ['instance', ['display', 'add', 'remove', 'flush', 'status']],
  ['stats', ['display']],
  ['global', ['display', 'update']],
  ['pool4', ['display', 'add', 'remove', 'flush']],
  ['bib', ['display', 'add', 'remove']],
  ['session', ['display']],
  ['file', ['handle']],
  ['joold', ['advertise']],
];

// main.c's show_usage() and show_help(), for program name "jool".
export const MAIN_USAGE =
  'jool (\n        [<ARGP1>] <MODE> <OPERATION> [<ARGP2>]\n        | [-h|--help]\n        | (-V|--version)\n        | --usage\n)\n';
export const MAIN_HELP =
  'Usage\n=====\n' +
  MAIN_USAGE +
  '\n' +
  '<ARGP1>\n=======\nEither (--instance|-i) <INSTANCE> or (--file|-f) <FILE>.\n- <INSTANCE> is the instance name\n' +
  '- <FILE> is a path to a JSON file that contains the instance name\n\n' +
  '<MODE>s -> <OPERATION>s\n=======================\n' +
  MODES.map(([mode, ops]) => `- ${mode} -> ${ops.map((op) => `${op} `).join('')}\n`).join('') +
  '\n' +
  '<ARGP2>\n======\nDepends on <MODE> and <OPERATION>. Normally, see respective --help for details.\n' +
  '(Example: jool instance add --help)\n\nReport bugs to jool@nic.mx.\n';

export interface OptSpec {
  readonly long: string;
  readonly short?: string;
  readonly doc: string;
}

const OPT_CSV: OptSpec = { long: 'csv', doc: 'Print in CSV format' };
const OPT_NO_HEADERS: OptSpec = { long: 'no-headers', doc: 'Do not print table headers' };
const OPT_NUMERIC: OptSpec = { long: 'numeric', doc: 'Do not resolve names' };
const OPT_TCP: OptSpec = { long: 'tcp', short: 't', doc: 'Print the TCP table (default)' };
const OPT_UDP: OptSpec = { long: 'udp', short: 'u', doc: 'Print the UDP table' };
const OPT_ICMP: OptSpec = { long: 'icmp', short: 'i', doc: 'Print the ICMP table' };
export const DISPLAY_OPTS: Record<string, readonly OptSpec[]> = {
  session: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV, OPT_NUMERIC],
  bib: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV, OPT_NUMERIC],
  pool4: [OPT_TCP, OPT_UDP, OPT_ICMP, OPT_NO_HEADERS, OPT_CSV],
  stats: [
    { long: 'all', short: 'a', doc: 'Do not filter out zero stats' },
    { long: 'explain', short: 'e', doc: 'Print a description of what each stat means' },
    OPT_NO_HEADERS,
    OPT_CSV,
  ],
  instance: [OPT_NO_HEADERS, OPT_CSV],
  global: [OPT_NO_HEADERS, OPT_CSV],
};
const ARGP_BUILTINS: readonly OptSpec[] = [
  { long: 'help', short: '?', doc: 'Give this help list' },
  { long: 'usage', doc: 'Give a short usage message' },
  { long: 'version', short: 'V', doc: 'Print program version' },
];

// argp lists options by name, byte order (not the locale's).
const byLongName = (x: OptSpec, y: OptSpec): number => (x.long < y.long ? -1 : x.long > y.long ? 1 : 0);

function argpHelp(prog: string, specs: readonly OptSpec[]): string {
  const line = (o: OptSpec): string => `${`${o.short ? `  -${o.short}, ` : '      '}--${o.long}`.padEnd(29) + o.doc}\n`;
  const sorted = [...specs].sort(byLongName);
  return `Usage: ${prog} [OPTION...]\n\n${sorted.map(line).join('')}${ARGP_BUILTINS.map(line).join('')}\nReport bugs to jool@nic.mx.\n`;
}

function argpUsage(prog: string, specs: readonly OptSpec[]): string {
  const all = [...[...specs].sort(byLongName), ...ARGP_BUILTINS];
  const shorts = [
    ...specs
      .filter((o) => o.short)
      .map((o) => o.short!)
      .sort(),
    '?',
    'V',
  ].join('');
  const tokens = [`[-${shorts}]`, ...all.map((o) => `[--${o.long}]`)];
  let out = `Usage: ${prog}`;
  let col = out.length;
  for (const token of tokens) {
    if (col + 1 + token.length > 79) {
      out += `\n            ${token}`;
      col = 12 + token.length;
    } else {
      out += ` ${token}`;
      col += 1 + token.length;
    }
  }
  return `${out}\n`;
}

export type Parsed =
  | { readonly kind: 'ok'; readonly flags: ReadonlySet<string>; readonly proto: number }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

/** argp_parse() as the jool client calls it: long-option prefixes, bundled short flags, errors to EX_USAGE. */
export function parseArgp(prog: string, specs: readonly OptSpec[], args: readonly string[]): Parsed {
  const tryHelp = `Try \`${prog} --help' or \`${prog} --usage' for more information.\n`;
  const usageError = (msg: string): Parsed => ({ kind: 'exit', code: EXIT_USAGE, stdout: '', stderr: `${prog}: ${msg}\n${tryHelp}` });
  const flags = new Set<string>();
  let proto = -1;
  let positional = 0;
  const apply = (o: OptSpec): Parsed | undefined => {
    switch (o.long) {
      case 'help':
        return { kind: 'exit', code: 0, stdout: argpHelp(prog, specs), stderr: '' };
      case 'usage':
        return { kind: 'exit', code: 0, stdout: argpUsage(prog, specs), stderr: '' };
      case 'version':
        return { kind: 'exit', code: 0, stdout: `${JOOL_VERSION}\n`, stderr: '' };
      case 'tcp':
      case 'udp':
      case 'icmp':
        if (proto >= 0)
          return { kind: 'exit', code: EXIT_EINVAL, stdout: '', stderr: 'Error: Only one protocol is allowed per request.\n' };
        proto = o.long === 'tcp' ? P_TCP : o.long === 'udp' ? P_UDP : P_ICMP;
        return undefined;
      default:
        flags.add(o.long);
        return undefined;
    }
  };
  const known = [...specs, ...ARGP_BUILTINS];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional += args.length - i - 1;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const exact = known.find((o) => o.long === name);
      const candidates = exact ? [exact] : known.filter((o) => o.long.startsWith(name));
      if (candidates.length === 0) return usageError(`unrecognized option '${arg}'`);
      if (candidates.length > 1) {
        return usageError(`option '--${name}' is ambiguous; possibilities:${candidates.map((o) => ` '--${o.long}'`).join('')}`);
      }
      const o = candidates[0]!;
      if (eq >= 0) return usageError(`option '--${o.long}' doesn't allow an argument`);
      const r = apply(o);
      if (r) return r;
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (const ch of arg.slice(1)) {
        const o = known.find((k) => k.short === ch);
        if (!o) return usageError(`invalid option -- '${ch}'`);
        const r = apply(o);
        if (r) return r;
      }
    } else {
      positional++;
    }
  }
  // argp permutes non-options to the end, so they are complained about last.
  if (positional > 0) return usageError('Too many arguments');
  return { kind: 'ok', flags, proto: proto < 0 ? P_TCP : proto };
}
