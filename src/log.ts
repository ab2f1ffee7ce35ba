/**
 * Structured logging in logfmt (the format of node_exporter and Prometheus),
 * or JSON, on stderr. One line per event; keys are stable for log pipelines.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

/**
 * Characters that must never reach a log raw: C0 and C1 controls, DEL, and the Unicode line and
 * paragraph separators. Values come from jool's output (a hostile row can hold ESC or BEL, which
 * a terminal would act on) and would otherwise forge or garble log lines.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const HAS_CONTROL = new RegExp(CONTROL.source); // not global: .test() keeps no state between calls

/** JSON text with every character of CONTROL written as \uXXXX (JSON.stringify leaves DEL, C1, U+2028/9 raw). */
function escapeControls(json: string): string {
  return json.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function logfmtValue(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=\\]+$/.test(text) && !HAS_CONTROL.test(text) ? text : escapeControls(JSON.stringify(text));
}

export function formatLine(format: LogFormat, level: LogLevel, msg: string, fields: LogFields, now: Date): string {
  const record: LogFields = { ts: now.toISOString(), level, msg, ...fields };
  if (format === 'json') return escapeControls(JSON.stringify(record));
  const parts: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) parts.push(`${key}=${logfmtValue(value)}`);
  }
  return parts.join(' ');
}

export function createLogger(options: { level?: LogLevel; format?: LogFormat; write?: (line: string) => void } = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const format = options.format ?? 'logfmt';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const at =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[level] >= threshold) write(formatLine(format, level, msg, fields, new Date()));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = createLogger({ write: () => {} });
