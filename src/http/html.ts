/**
 * Server-rendered HTML without a framework: a tagged template that escapes
 * every interpolated value unless it is already HTML built by this module.
 * Addresses, instance names and error messages come from Jool and from the
 * request; none of them can reach a page unescaped by accident, because the
 * only way to insert markup is to build it with `html` (or `raw`, for constant
 * text written here).
 */

const SAFE: unique symbol = Symbol('SafeHtml');

/** HTML built by `html`/`raw`: inserted as is. Anything else is text, escaped. */
export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
}

const safe = (text: string): SafeHtml => ({ [SAFE]: true, text });
const isSafe = (value: unknown): value is SafeHtml => typeof value === 'object' && value !== null && SAFE in value;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (isSafe(value)) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

/** html`<td>${text}</td>`: strings and numbers escaped, SafeHtml and arrays of it inserted, null/undefined/booleans dropped. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += render(values[i]!) + strings[i + 1]!;
  return safe(text);
}

/** Constant markup written in this code base (never data). */
export function raw(text: string): SafeHtml {
  return safe(text);
}

/** `path?a=1&b=2` from parameters, empty and undefined ones left out; values percent-encoded. */
export function href(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.append(name, value);
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The page shell: one stylesheet inline (no external assets: the box may have no internet). */
export function page(title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head><body>
${body}
</body></html>
`.text;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#1d2330;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid #dde}
h3{font-size:1em;margin:1em 0 .3em}
a{color:#1a56b8;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;font-size:.92em}td,th{border:1px solid #d4d8e0;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f1f3f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
.mono{font-family:ui-monospace,monospace}
.muted{color:#667}.error{color:#a40000;background:#fff0f0;border:1px solid #e0b0b0;padding:.4em .7em}
form.filters{display:flex;flex-wrap:wrap;gap:.6em 1em;align-items:flex-end;background:#f6f7fa;padding:.7em;border:1px solid #dde}
form.filters label{display:flex;flex-direction:column;font-size:.85em;gap:.15em}
form.filters input,form.filters select{font:inherit;padding:.2em .3em}
.bar{position:relative;width:16em;height:1.1em;background:#e8ebf0;border-radius:2px;overflow:hidden}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#3b82c4}
.bar.warn span{background:#e0a020}.bar.full span{background:#c83232}
.grid{display:flex;flex-wrap:wrap;gap:1.5em}.grid>div{min-width:20em}
`;
