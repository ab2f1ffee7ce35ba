/**
 * Prometheus-style durations ("15s", "1m30s", "500ms", "2h"), the format
 * operators already type into prometheus.yml, so flags and query parameters
 * read the same way.
 */

const UNITS_MS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];

// Same grammar as Prometheus' model.ParseDuration: units in decreasing order, each at most once.
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a duration into milliseconds; throws an Error naming the bad text. */
export function parseDuration(text: string): number {
  const match = DURATION_RE.exec(text);
  if (text === '' || match === null) {
    throw new Error(`invalid duration "${text}" (expected e.g. 500ms, 15s, 1m30s, 2h)`);
  }
  let ms = 0;
  for (let i = 0; i < UNITS_MS.length; i++) {
    const digits = match[i + 1];
    if (digits !== undefined) ms += Number(digits) * UNITS_MS[i]![1];
  }
  if (!Number.isSafeInteger(ms)) throw new Error(`duration "${text}" is too large`);
  return ms;
}

/** Formats milliseconds the way Prometheus prints durations ("1m30s", "0s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS_MS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
