/**
 * The argv of every jool call the exporter makes, for both CLI generations
 * (one place to read to know exactly what we run).
 */
import type { Protocol } from '../model.js';

/** Jool 3 (`jool --session ...`) or Jool 4 (`jool session display ...`). */
export type Dialect = 3 | 4;

export const VERSION_ARGS: readonly string[] = ['--version'];

/**
 * One session table. `--numeric` always: without it Jool resolves every
 * address by reverse DNS, one query per row. `-i NAME` must precede the mode:
 * after `display`, `-i` means `--icmp`.
 */
export function sessionDisplayArgs(dialect: Dialect, instance: string, protocol: Protocol): string[] {
  if (dialect === 3) return ['--session', '--display', `--${protocol}`, '--csv', '--numeric'];
  return ['-i', instance, 'session', 'display', `--${protocol}`, '--csv', '--numeric', '--no-headers'];
}

/**
 * pool4 of one protocol (Jool 4). Jool 3 has no per-protocol filter here and
 * prints all three in one call: `--pool4 --display --csv`.
 */
export function pool4DisplayArgs(dialect: Dialect, instance: string, protocol: Protocol): string[] {
  if (dialect === 3) return ['--pool4', '--display', '--csv'];
  return ['-i', instance, 'pool4', 'display', `--${protocol}`, '--csv', '--no-headers'];
}

/** Jool's counters, all of them (`--all`: zeros too, so every series exists from the start). Jool 4 only. */
export function statsDisplayArgs(instance: string): string[] {
  return ['-i', instance, 'stats', 'display', '--csv', '--all', '--no-headers'];
}

/** Every instance in every network namespace (Jool 4 only). */
export const INSTANCE_DISPLAY_ARGS: readonly string[] = ['instance', 'display', '--csv', '--no-headers'];

/** A cheap call that succeeds only where the instance lives: used to find an instance's namespace. */
export function instanceProbeArgs(instance: string): string[] {
  return ['-i', instance, 'global', 'display', '--csv'];
}

/** Reads `jool --version` output ("4.1.9.0"); null when it is not a version. */
export function parseJoolVersion(stdout: string): { version: string; dialect: Dialect } | null {
  const match = /^\s*(?:jool\s+)?v?(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?/i.exec(stdout);
  if (match === null) return null;
  const major = Number(match[1]);
  if (major !== 3 && major !== 4) return null;
  return {
    version: match[0]
      .trim()
      .replace(/^jool\s+/i, '')
      .replace(/^v/i, ''),
    dialect: major,
  };
}

/**
 * Jool's own rule for instance names (iname_validate): at most 15 characters,
 * none below ASCII 32 and none outside ASCII. Empty is refused too: Jool would
 * take it, but no instance can be created with it.
 */
export function instanceNameProblem(name: string): string | null {
  if (name.length === 0) return 'an instance name cannot be empty';
  if (name.length > 15) return `instance name "${name}" is longer than the 15 characters Jool allows`;
  if (!/^[\x20-\x7f]+$/.test(name)) return `instance name ${JSON.stringify(name)} has a character Jool refuses (control or non-ASCII)`;
  return null;
}
