/**
 * The session browser (/sessions): the last poll's sessions as an HTML page,
 * with the filters of /sessions.csv as a form (same parser, same row
 * selection: session-query.ts and rowFilter in session-rows.ts), at most
 * `limit` rows (default 100) and the total that matched. A client, pool4
 * address or destination links to the same page filtered by it; the same
 * selection is one click away as CSV.
 */

import { formatExpiry } from '../format/expiry.js';
import { PROTOCOLS, TCP_STATES } from '../model.js';
import type { ExporterStatus, InstanceStatus } from '../status/model.js';
import { ipv6LocalAt, type SessionTable } from '../table/session-table.js';
import { href, html, page, type SafeHtml } from './html.js';
import { parseSessionQuery, QueryError, type SessionQuery } from './session-query.js';
import { rowFilter } from './session-rows.js';

/** Rows shown when the query gives no limit. */
export const DEFAULT_BROWSER_LIMIT = 100;
/** A page is for reading: past this, /sessions.csv is the tool. */
export const MAX_BROWSER_LIMIT = 5000;

export interface BrowserPage {
  readonly status: number;
  readonly body: string;
}

/** One row to show: where it is, not a copy of it. */
interface Hit {
  readonly instance: string;
  readonly table: SessionTable;
  readonly row: number;
}

/**
 * The form sends every field, empty ones included: those mean "no filter" here, whereas
 * /sessions.csv refuses an empty value. Values are kept as text, for the form and the links.
 */
function formParams(raw: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const list = (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
    if (list.length === 0) continue;
    params[name] = list.map((v) => (typeof v === 'string' ? v : '')).join(',');
  }
  return params;
}

export async function sessionBrowserPage(status: ExporterStatus, raw: Record<string, unknown>): Promise<BrowserPage> {
  const params = formParams(raw);
  const names = status.instances.map((instance) => instance.name);
  let query: SessionQuery;
  try {
    query = parseSessionQuery(params, names);
    if (query.limit !== null && query.limit > MAX_BROWSER_LIMIT) {
      throw new QueryError(`limit=${query.limit} is more than ${MAX_BROWSER_LIMIT} rows for a page; /sessions.csv serves any number`);
    }
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return { status: 400, body: render(status, params, html`<p class="error">Bad filter: ${error.message}</p>`) };
  }
  if (!status.ready) {
    return {
      status: 503,
      body: render(status, params, html`<p class="error">The first poll has not finished yet: no sessions to show.</p>`),
    };
  }
  const limit = query.limit ?? DEFAULT_BROWSER_LIMIT;
  const selected = status.instances.filter((instance) => query.instances === null || query.instances.includes(instance.name));
  const { hits, total } = await select(selected, query, limit);
  const down = selected.filter((instance) => instance.tables === undefined);
  const body = html`
${
  down.length > 0
    ? html`<p class="error">No sessions from ${down.map((i) => i.name).join(', ')}: ` +
      `${down.map((i) => i.lastError?.message ?? 'no successful poll yet').join('; ')}</p>`
    : ''
}
<p id="summary">Showing <b id="shown">${hits.length}</b> of <b id="total">${total}</b> matching sessions
(<a id="csv" href="${href('/sessions.csv', { ...params, limit: params.limit ?? String(limit) })}">this selection as CSV</a>,
<a href="${href('/sessions.csv', { ...params, limit: undefined })}">all ${total} as CSV</a>).</p>
${hits.length > 0 ? resultTable(hits, params) : html`<p class="muted">No session matches.</p>`}`;
  return { status: 200, body: render(status, params, body) };
}

/**
 * Longest stretch of filtering between two turns of the event loop (as read-table.ts): the total needs every
 * row, and a scrape must not wait. By time, not rows: a CIDR filter parses each distinct address it meets,
 * so a slice of rows can cost anything from microseconds to a second.
 */
const YIELD_EVERY_MS = 4;
const ROWS_BETWEEN_CLOCK_READS = 1024;

/**
 * The first `limit` matching rows, in /sessions.csv's order (instance, protocol, table order), and how many match
 * in all. The total takes a pass over every row (and a parse of every distinct address a CIDR filter looks at):
 * done in slices, so a million-row table never holds up a scrape.
 */
async function select(instances: readonly InstanceStatus[], query: SessionQuery, limit: number): Promise<{ hits: Hit[]; total: number }> {
  const hits: Hit[] = [];
  let total = 0;
  for (const instance of instances) {
    if (instance.tables === undefined) continue;
    for (const protocol of query.protocols) {
      const table = instance.tables[protocol].table;
      const matches = rowFilter(table, query);
      let lastYield = performance.now();
      for (let from = 0; from < table.length; from += ROWS_BETWEEN_CLOCK_READS) {
        const to = Math.min(table.length, from + ROWS_BETWEEN_CLOCK_READS);
        for (let row = from; row < to; row++) {
          if (!matches(row)) continue;
          total++;
          if (hits.length < limit) hits.push({ instance: instance.name, table, row });
        }
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
    }
  }
  return { hits, total };
}

function resultTable(hits: readonly Hit[], params: Record<string, string>): SafeHtml {
  // A link to this page with one more filter (replacing the same filter), the rest of the query kept.
  const filtered = (name: string, value: string) => href('/sessions', { ...params, [name]: value });
  const rows = hits.map(({ instance, table: t, row: i }) => {
    const client = t.ipv6Remotes.text(t.ipv6Remote[i]!);
    const pool4 = t.ipv4Locals.text(t.ipv4Local[i]!);
    const remote = t.ipv4Remotes.text(t.ipv4Remote[i]!);
    const state = t.state[i]!;
    return html`<tr>
<td><a href="${filtered('instance', instance)}">${instance}</a></td><td>${t.protocol}</td>
<td class="mono"><a class="client" href="${filtered('client', client)}">${client}</a> <span
class="muted">#${t.ipv6RemotePort[i]!}</span></td>
<td class="mono">${t.ipv6Locals.text(ipv6LocalAt(t, i))} <span class="muted">#${t.ipv6LocalPort[i]!}</span></td>
<td class="mono"><a class="pool4" href="${filtered('pool4', pool4)}">${pool4}</a> <span class="muted">#${t.ipv4LocalPort[i]!}</span></td>
<td class="mono"><a class="remote" href="${filtered('remote', remote)}">${remote}</a> <span
class="muted">#${t.ipv4RemotePort[i]!}</span></td>
<td class="n">${formatExpiry(t.expiresMs[i]!)}</td><td>${state < TCP_STATES.length ? TCP_STATES[state] : ''}</td>
</tr>`;
  });
  return html`<table id="sessions">
<thead><tr><th>Instance</th><th>Protocol</th><th>Client (IPv6 remote)</th><th>IPv6 local</th><th>pool4 (IPv4 local)</th>
<th>Destination (IPv4 remote)</th><th>Expires in</th><th>State</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function render(status: ExporterStatus, params: Record<string, string>, content: SafeHtml): string {
  const field = (name: string, label: string, hint: string, list?: string) =>
    html`<label>${label}<input name="${name}" value="${params[name] ?? ''}"
placeholder="${hint}"${list ? html` list="${list}"` : ''}></label>`;
  const options = (id: string, values: readonly string[]) =>
    html`<datalist id="${id}">${values.map((v) => html`<option value="${v}">`)}</datalist>`;
  return page(
    'Sessions: Jool session exporter',
    html`
<h1>Sessions</h1>
<p class="muted"><a href="/">Jool session exporter</a> · the session tables of the last successful poll of each instance.
Filters as <a href="/sessions.csv">/sessions.csv</a>: comma-separate several values; addresses take a CIDR prefix.</p>
<form class="filters" method="get" action="/sessions">
${field('instance', 'Instance', 'all', 'instances')}
${field('protocol', 'Protocol', 'tcp,udp,icmp', 'protocols')}
${field('state', 'TCP state', 'any', 'states')}
${field('client', 'Client (IPv6)', '2001:db8::/56')}
${field('pool4', 'pool4 (IPv4)', '192.0.2.0/24')}
${field('remote', 'Destination (IPv4)', '203.0.113.7')}
${field('expires_within', 'Expires within', '30s')}
<label>Limit<input name="limit" type="number" min="0" max="${MAX_BROWSER_LIMIT}"
value="${params.limit ?? String(DEFAULT_BROWSER_LIMIT)}"></label>
<button type="submit" id="apply">Apply</button> <a href="/sessions">clear</a>
${options(
  'instances',
  status.instances.map((i) => i.name),
)}${options('protocols', PROTOCOLS)}${options('states', TCP_STATES)}
</form>
${content}`,
  );
}
