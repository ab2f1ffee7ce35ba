/** The page at `/`: links to every endpoint and the state of each instance at a glance. */
import type { ExporterStatus } from '../poll/status.js';

/** Text for HTML: the five characters that could open markup or end an attribute, as entities. */
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function landingPage(options: { status: ExporterStatus; telemetryPath: string; version: string }): string {
  const rows = options.status.instances
    .map((instance) => {
      const state = instance.up === undefined ? 'first poll running' : instance.up ? 'up' : 'down';
      const counts = instance.tables
        ? `${instance.tables.tcp.table.length} / ${instance.tables.udp.table.length} / ${instance.tables.icmp.table.length}`
        : '-';
      const polled = instance.lastSuccessTimestampSeconds
        ? new Date(instance.lastSuccessTimestampSeconds * 1000).toISOString()
        : '-';
      const error = instance.lastError && !instance.up ? `${instance.lastError.reason}: ${instance.lastError.message}` : '';
      const name = encodeURIComponent(instance.name);
      return `<tr><td><a href="/sessions.csv?instance=${name}">${escapeHtml(instance.name)}</a></td><td>${state}</td><td>${counts}</td><td>${polled}</td><td>${escapeHtml(error)}</td></tr>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Jool session exporter</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>
</head><body>
<h1>Jool session exporter</h1>
<p>Version ${escapeHtml(options.version)}. Prometheus exporter for the session tables of <a href="https://nicmx.github.io/Jool">Jool</a>.</p>
<ul>
<li><a href="${escapeHtml(options.telemetryPath)}">${escapeHtml(options.telemetryPath)}</a>: metrics</li>
<li><a href="/sessions.csv">/sessions.csv</a>: the session tables of the last poll, in Jool's CSV format
 (filters: instance, protocol, state, client, pool4, remote, expires_within, limit; e.g.
 <a href="/sessions.csv?protocol=tcp&amp;state=ESTABLISHED&amp;limit=100">?protocol=tcp&amp;state=ESTABLISHED&amp;limit=100</a>)</li>
<li><a href="/healthz">/healthz</a>: liveness</li>
<li><a href="/readyz">/readyz</a>: readiness (after the first poll)</li>
</ul>
<h2>Instances</h2>
<table><tr><th>Instance</th><th>State</th><th>Sessions TCP / UDP / ICMP</th><th>Last successful poll</th><th>Last error</th></tr>
${rows}
</table>
</body></html>
`;
}
