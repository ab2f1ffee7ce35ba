#!/usr/bin/env node
/**
 * Writes jool-session-exporter(1) in troff from the flag table of the built program
 * (dist/src/config.js), so that the manual page and --help cannot disagree.
 *
 * Usage: node packaging/manpage.mjs VERSION > jool-session-exporter.1
 */
import { envName, FLAGS } from '../dist/src/config.js';

const version = process.argv[2] ?? 'unknown';
/** Escapes text for troff: backslashes, and a leading dot or quote that would read as a request. */
const roff = (text) =>
  text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/, '\\&$1');

const lines = [
  `.TH JOOL-SESSION-EXPORTER 1 "" "jool-session-exporter ${version}" "User Commands"`,
  '.SH NAME',
  'jool\\-session\\-exporter \\- Prometheus exporter for the session tables of Jool (NAT64)',
  '.SH SYNOPSIS',
  '.B jool\\-session\\-exporter',
  '[\\fIflags\\fR]',
  '.SH DESCRIPTION',
  'Polls',
  '.B jool session display',
  '(and pool4, counters and subscribers) on an interval and serves the result at',
  '.I /metrics',
  'and',
  '.IR /sessions.csv .',
  'Every flag can also be set by an environment variable; a flag beats its variable.',
  'The systemd unit reads them from',
  '.IR /etc/default/jool\\-session\\-exporter .',
  '.SH OPTIONS',
  '.TP',
  '.BR \\-h ", " \\-\\-help',
  'Show the help and exit.',
  '.TP',
  '.B \\-\\-version',
  'Show the version and exit.',
];
for (const flag of FLAGS) {
  lines.push('.TP');
  lines.push(flag.boolean ? `.B \\-\\-${roff(flag.name)}` : `.BI \\-\\-${roff(flag.name)}= VALUE${flag.multiple ? ' " ..."' : ''}`);
  lines.push(roff(flag.help));
  const fallback = flag.default === undefined ? 'none' : `"${flag.default}"`;
  lines.push('.br');
  lines.push(roff(`Default: ${fallback}. Environment: ${envName(flag.name)}.`));
}
lines.push(
  '.SH FILES',
  '.TP',
  '.I /etc/default/jool\\-session\\-exporter',
  'Settings of the systemd unit (JOOL_SESSION_EXPORTER_* variables and ARGS).',
  '.SH SEE ALSO',
  '.BR jool (8)',
);
process.stdout.write(`${lines.join('\n')}\n`);
