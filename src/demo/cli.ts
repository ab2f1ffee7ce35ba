/**
 * `jool ARGV` as the real 4.1.9 client reads it: main()'s getopt for the
 * instance, then mode and operation (unique prefixes accepted), then argp for
 * the operation's flags. Error texts and exit codes follow captures of the
 * real client; where the demo deliberately differs, a comment says so.
 */
import { SESSION_CSV_HEADER } from '../model.js';
import { DISPLAY_OPTS, EXIT_EINVAL, EXIT_USAGE, JOOL_VERSION, MAIN_HELP, MAIN_USAGE, MODES, parseArgp } from './argp.js';
import { type CommandContext, fixedTail, globalBody, instanceDisplay, instanceTable, statsBody, tableStream } from './commands.js';
import type { Body } from './process.js';
import { bytes } from './process.js';
import { POOL4_SEPARATOR, renderBib, renderPool4, renderSessions } from './render.js';

function fixed(code: number, stdout: string, stderr = ''): Body {
  return async function* (io) {
    if (stderr) io.err(stderr);
    if (stdout) yield bytes(stdout);
    return { exitCode: code };
  };
}

/** Parses argv like jool's main() and returns the body of the simulated process. */
export function runCommand(ctx: CommandContext, argv: readonly string[]): Body {
  if (argv.length === 0) return fixed(0, MAIN_HELP);
  const main = parseMainOptions(argv);
  if (main.kind === 'exit') return main.body;
  const rest = argv.slice(main.next);

  const modeLabels = MODES.map((m) => m[0]);
  if (rest.length === 0) {
    return fixed(EXIT_EINVAL, '', `More arguments expected.\nPossible follow-ups: ${modeLabels.map((l) => `${l} `).join('')}\n`);
  }
  const mode = matchToken(modeLabels, rest[0]!);
  if (!modeLabels.includes(mode)) return fixed(EXIT_EINVAL, '', mode);
  const ops = MODES.find((m) => m[0] === mode)![1];
  if (rest.length === 1) {
    return fixed(EXIT_EINVAL, '', `More arguments expected.\nPossible follow-ups: ${ops.map((l) => `${l} `).join('')}\n`);
  }
  const op = matchToken(ops, rest[1]!);
  if (!ops.includes(op)) return fixed(EXIT_EINVAL, '', op);
  if (op !== 'display') {
    // Deliberate difference: the demo is read-only; it simulates the display operations only.
    return fixed(EXIT_USAGE, '', `${op}: the demo jool does not simulate '${mode} ${op}'\n`);
  }
  return displayCommand(ctx, mode, main.iname, rest.slice(2));
}

type MainOptions =
  | { readonly kind: 'ok'; readonly iname: string | undefined; readonly next: number }
  | { readonly kind: 'exit'; readonly body: Body };

/** getopt_long("+?Vi:f:"): stops at the first non-option; any getopt error prints the help (and exits 0). */
function parseMainOptions(argv: readonly string[]): MainOptions {
  const exit = (body: Body): MainOptions => ({ kind: 'exit', body });
  let iname: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const opt = arg.startsWith('--') ? mainLongOption(argv, i) : mainShortOption(argv, i);
    if ('error' in opt) return exit(fixed(0, MAIN_HELP, `jool: ${opt.error}\n`));
    i = opt.next;
    if (opt.name === 'help') return exit(fixed(0, MAIN_HELP));
    if (opt.name === 'version') return exit(fixed(0, `${JOOL_VERSION}\n`));
    if (opt.name === 'usage') return exit(fixed(0, MAIN_USAGE));
    if (opt.name === 'file') {
      // Deliberate difference: the demo has no file system to read an instance name from.
      return exit(fixed(EXIT_EINVAL, '', `Error: The demo jool does not support --file ('${opt.value}'); use --instance.\n`));
    }
    iname = opt.value;
  }
  return { kind: 'ok', iname, next: i };
}

/** One main option: its name, its value, and the index of the last argv element it used. */
type MainOption = { readonly name: string; readonly value: string | undefined; readonly next: number } | { readonly error: string };

const MAIN_LONG = ['help', 'version', 'usage', 'instance', 'file'];

function mainLongOption(argv: readonly string[], i: number): MainOption {
  const arg = argv[i]!;
  const eq = arg.indexOf('=');
  const name = arg.slice(2, eq < 0 ? undefined : eq);
  const matches = MAIN_LONG.includes(name) ? [name] : MAIN_LONG.filter((o) => o.startsWith(name));
  if (matches.length !== 1) {
    return { error: matches.length === 0 ? `unrecognized option '${arg}'` : `option '${arg}' is ambiguous` };
  }
  const opt = matches[0]!;
  const takesArg = opt === 'instance' || opt === 'file';
  if (eq >= 0 && !takesArg) return { error: `option '--${opt}' doesn't allow an argument` };
  if (!takesArg) return { name: opt, value: undefined, next: i };
  if (eq >= 0) return { name: opt, value: arg.slice(eq + 1), next: i };
  const value = argv[i + 1];
  if (value === undefined) return { error: `option '--${opt}' requires an argument` };
  return { name: opt, value, next: i + 1 };
}

function mainShortOption(argv: readonly string[], i: number): MainOption {
  const arg = argv[i]!;
  const ch = arg[1]!;
  if (ch === 'i' || ch === 'f') {
    const name = ch === 'i' ? 'instance' : 'file';
    if (arg.length > 2) return { name, value: arg.slice(2), next: i };
    const value = argv[i + 1];
    if (value === undefined) return { error: `option requires an argument -- '${ch}'` };
    return { name, value, next: i + 1 };
  }
  if (ch === 'V') return { name: 'version', value: undefined, next: i };
  if (ch === '?') return { name: 'help', value: undefined, next: i };
  return { error: `invalid option -- '${ch}'` };
}

/** A mode or operation: exact or unique prefix, else the client's complaint (which is not a label). */
function matchToken(labels: readonly string[], token: string): string {
  if (labels.includes(token)) return token;
  const found = labels.filter((l) => l.startsWith(token));
  if (found.length === 0) return `Unexpected token: '${token}'\nAvailable options: ${labels.map((l) => `${l} `).join('')}\n`;
  if (found.length > 1) return `Ambiguous token: '${token}'\nAvailable options: ${found.map((l) => `${l} `).join('')}\n`;
  return found[0]!;
}

function displayCommand(ctx: CommandContext, mode: string, iname: string | undefined, args: readonly string[]): Body {
  const parsed = parseArgp('display', DISPLAY_OPTS[mode]!, args);
  if (parsed.kind === 'exit') return fixed(parsed.code, parsed.stdout, parsed.stderr);
  const csv = parsed.flags.has('csv');
  const noHeaders = parsed.flags.has('no-headers');
  const csvHeader = csv && !noHeaders;

  switch (mode) {
    case 'instance':
      return instanceDisplay(ctx, csv, noHeaders, iname !== undefined);
    case 'stats':
      if (parsed.flags.has('explain')) {
        // Deliberate difference: the 69 explanations are not bundled.
        return fixed(EXIT_USAGE, '', "display: the demo jool does not implement '--explain'\n");
      }
      return instanceTable(ctx, iname, csvHeader ? 'Stat,Value\n' : '', (sim) => statsBody(ctx, sim, csv, parsed.flags.has('all')));
    case 'global':
      return instanceTable(ctx, iname, csvHeader ? 'Field,Value\n' : '', () => globalBody(ctx.cfg.timeouts, csv));
    case 'pool4': {
      const header = noHeaders
        ? ''
        : csv
          ? 'Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed\n'
          : `${POOL4_SEPARATOR}|       Mark | Proto |     Max iterations |         Address |       Ports |\n`;
      return instanceTable(ctx, iname, header, (sim) => {
        const t = sim.tables[parsed.proto]!;
        return fixedTail(renderPool4(t, csv) + (csv ? '' : POOL4_SEPARATOR));
      });
    }
    case 'bib':
      return instanceTable(ctx, iname, csvHeader ? 'Protocol,IPv6 Address,IPv6 L4-ID,IPv4 Address,IPv4 L4-ID,Static?\n' : '', (sim) =>
        tableStream(ctx, sim, (sink, from, _after, _now, budget) => renderBib(sim, sim.tables[parsed.proto]!, sink, from, budget, csv)),
      );
    default:
      return instanceTable(
        ctx,
        iname,
        // Text mode prints its dash line whatever --no-headers says.
        csv ? (noHeaders ? '' : `${SESSION_CSV_HEADER}\n`) : '---------------------------------\n',
        (sim) =>
          tableStream(ctx, sim, (sink, from, after, now, budget) =>
            renderSessions(sim, sim.tables[parsed.proto]!, sink, from, after, now, budget, csv),
          ),
      );
  }
}
