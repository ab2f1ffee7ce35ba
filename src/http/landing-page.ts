/**
 * The page at `/`: links to every endpoint, the state of each instance, and
 * per instance what a glance should answer: how full (pool4 utilisation per
 * address, as bars), who (top subscribers) and what for (top destinations and
 * services). Everything comes from the last poll's reports; nothing is
 * computed here but sorting a few short lists.
 */
import { PROTOCOLS, type Protocol } from '../model.js';
import type { ExporterStatus, InstanceStatus } from '../status/model.js';
import type { Pool4Report } from '../table/pool4.js';
import { href, html, page, type SafeHtml } from './html.js';

export interface LandingPageOptions {
  readonly status: ExporterStatus;
  readonly telemetryPath: string;
  readonly version: string;
  /** The session browser and /sessions.csv are served (not --web.disable-sessions-csv). Default true. */
  readonly sessionsCsv?: boolean;
}

/** Addresses drawn per protocol (the fullest first); the rest are counted. */
const BARS_PER_PROTOCOL = 16;
/** Rows of each "top" list on the page. */
const TOP_ROWS = 10;

export function landingPage(options: LandingPageOptions): string {
  const { status } = options;
  const sessions = options.sessionsCsv ?? true;
  const link = (params: Record<string, string>, text: string): SafeHtml =>
    sessions ? html`<a href="${href('/sessions', params)}">${text}</a>` : html`${text}`;
  const rows = status.instances.map((instance) => {
    const state = instance.up === undefined ? 'first poll running' : instance.up ? 'up' : 'down';
    const counts = instance.tables ? PROTOCOLS.map((p) => instance.tables![p].table.length).join(' / ') : '-';
    const polled = instance.lastSuccessTimestampSeconds ? new Date(instance.lastSuccessTimestampSeconds * 1000).toISOString() : '-';
    const error = instance.lastError && !instance.up ? `${instance.lastError.reason}: ${instance.lastError.message}` : '';
    return html`<tr><td>${link({ instance: instance.name }, instance.name)}</td><td>${state}</td><td class="n">${counts}</td>
<td>${polled}</td><td>${error}</td></tr>`;
  });
  return page(
    'Jool session exporter',
    html`
<h1>Jool session exporter</h1>
<p>Version ${options.version}. Prometheus exporter for the session tables of <a href="https://nicmx.github.io/Jool">Jool</a>.</p>
<ul>
<li><a href="${options.telemetryPath}">${options.telemetryPath}</a>: metrics</li>
${
  sessions
    ? html`<li><a href="/sessions">/sessions</a>: the session browser (the last poll's sessions, filtered, in a table)</li>
<li><a href="/sessions.csv">/sessions.csv</a>: the session tables of the last poll, in Jool's CSV format
 (filters: instance, protocol, state, client, pool4, remote, expires_within, limit; e.g.
 <a href="/sessions.csv?protocol=tcp&amp;state=ESTABLISHED&amp;limit=100">?protocol=tcp&amp;state=ESTABLISHED&amp;limit=100</a>)</li>`
    : ''
}
<li><a href="/healthz">/healthz</a>: liveness</li>
<li><a href="/readyz">/readyz</a>: readiness (after the first poll)</li>
</ul>
<h2>Instances</h2>
<table><tr><th>Instance</th><th>State</th><th>Sessions TCP / UDP / ICMP</th><th>Last successful poll</th><th>Last error</th></tr>
${rows}
</table>
${status.instances.map((instance) => instanceSection(instance, link))}`,
  );
}

type Link = (params: Record<string, string>, text: string) => SafeHtml;

function instanceSection(instance: InstanceStatus, link: Link): SafeHtml {
  const tables = instance.tables;
  if (tables === undefined) return html``;
  const name = instance.name;
  const entries = <T>(pick: (p: Protocol) => readonly T[]) =>
    PROTOCOLS.flatMap((protocol) => pick(protocol).map((item) => ({ protocol, ...item })));
  const subscribers = entries((p) => tables[p].subscribers.topBySessions)
    .sort((a, b) => b.value - a.value)
    .slice(0, TOP_ROWS);
  const destinations = entries((p) => tables[p].destinations.topDestinations)
    .sort((a, b) => b.sessions - a.sessions)
    .slice(0, TOP_ROWS);
  const services = entries((p) => tables[p].destinations.topServices)
    .sort((a, b) => b.sessions - a.sessions)
    .slice(0, TOP_ROWS);
  return html`
<h2 class="instance">Instance ${name}</h2>
<div class="grid">
<div><h3>pool4 utilisation per address</h3>${instance.pool4 ? PROTOCOLS.map((p) => pool4Bars(p, instance.pool4![p], name, link)) : ''}</div>
<div><h3>Top subscribers (sessions)</h3>${
    subscribers.length === 0
      ? html`<p class="muted">None (or --clients.top=0).</p>`
      : html`
<table class="top-subscribers"><tr><th>Subscriber</th><th>Protocol</th><th>Sessions</th></tr>
${subscribers.map(
  (s) => html`<tr><td class="mono">${link({ instance: name, protocol: s.protocol, client: s.subscriber }, s.subscriber)}</td>
<td>${s.protocol}</td><td class="n">${s.value}</td></tr>`,
)}
</table>`
  }</div>
<div><h3>Top destinations</h3>${
    destinations.length === 0
      ? html`<p class="muted">None (or --destinations.top=0).</p>`
      : html`
<table class="top-destinations"><tr><th>Destination</th><th>Protocol</th><th>Sessions</th><th>Subscribers</th></tr>
${destinations.map(
  (d) => html`<tr><td class="mono">${link({ instance: name, protocol: d.protocol, remote: d.destination }, d.destination)}</td>
<td>${d.protocol}</td><td class="n">${d.sessions}</td><td class="n">${d.subscribers}</td></tr>`,
)}
</table>`
  }
${
  services.length === 0
    ? ''
    : html`<h3>Top services (remote ports)</h3>
<table class="top-services"><tr><th>Port</th><th>Protocol</th><th>Sessions</th></tr>
${services.map((s) => html`<tr><td class="n">${s.port}</td><td>${s.protocol}</td><td class="n">${s.sessions}</td></tr>`)}
</table>`
}</div>
</div>`;
}

function pool4Bars(protocol: Protocol, report: Pool4Report, instance: string, link: Link): SafeHtml {
  if (!report.configured) {
    return html`<p class="muted">${protocol}: pool4 is empty; Jool uses ports 61001-65535 of the node's own
addresses (capacity unknown).</p>`;
  }
  if (report.addresses.length === 0) return html`<p class="muted">${protocol}: no pool4 entry (not translated).</p>`;
  const ratio = (a: { used: number; capacity: number }) => (a.capacity > 0 ? a.used / a.capacity : 0);
  const fullest = [...report.addresses]
    .sort((a, b) => ratio(b) - ratio(a) || a.address.localeCompare(b.address))
    .slice(0, BARS_PER_PROTOCOL);
  const more = report.addresses.length + report.addressesOmitted - fullest.length;
  const bars = fullest.map((a) => {
    const percent = ratio(a) * 100;
    const level = percent >= 90 ? ' full' : percent >= 70 ? ' warn' : '';
    return html`<tr><td class="mono">${link({ instance, protocol, pool4: a.address }, a.address)}</td>
<td><div class="bar${level}" title="${a.used} of ${a.capacity} ports"><span style="width:${percent.toFixed(1)}%"></span></div></td>
<td class="n">${percent.toFixed(1)} %</td><td class="n">${a.used} / ${a.capacity}</td></tr>`;
  });
  return html`<table class="pool4" data-protocol="${protocol}"><tr>
<th colspan="4">${protocol}: ${report.used} of ${report.capacity} ports used</th></tr>
${bars}
${more > 0 ? html`<tr><td colspan="4" class="muted">and ${more} more addresses, less full</td></tr>` : ''}
</table>`;
}
