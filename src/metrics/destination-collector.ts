/**
 * What the NAT64 is used for: the busiest IPv4 destinations and services (remote
 * ports), and how many subscribers talk to each of those destinations. Computed
 * by the poll (src/table/destinations.ts); this only turns the report into
 * families.
 *
 * Cardinality: at most --destinations.top series per instance, protocol and
 * family, whatever the table holds; none when it is 0. The `destination` and
 * `port` label sets follow the table from poll to poll.
 */
import { PROTOCOLS } from '../model.js';
import type { ExporterStatus } from '../status/model.js';
import { desc, type Family, type MetricDesc } from './families.js';

const I = 'jool_instance';

export const TOP_DESTINATION_SESSIONS = desc(
  'jool_top_destination_sessions',
  'gauge',
  [I, 'protocol', 'destination'],
  'Sessions of the --destinations.top IPv4 destinations (IPv4 Remote Address) holding the most sessions ' +
    '(ties: lowest address first), as of the last successful poll. The destination set changes between polls.',
);
export const TOP_DESTINATION_SUBSCRIBERS = desc(
  'jool_top_destination_subscribers',
  'gauge',
  [I, 'protocol', 'destination'],
  'Distinct subscribers (IPv6 Remote Address cut to --clients.prefix-length) with a session ' +
    'to each destination of jool_top_destination_sessions, as of the last successful poll.',
);
export const TOP_SERVICE_SESSIONS = desc(
  'jool_top_service_sessions',
  'gauge',
  [I, 'protocol', 'port'],
  'TCP and UDP sessions of the --destinations.top remote ports (IPv4 Remote L4-ID) holding the most ' +
    'sessions (ties: lowest port first), as of the last successful poll. The port set changes between polls.',
);

export const DESTINATION_FAMILIES: readonly MetricDesc[] = [TOP_DESTINATION_SESSIONS, TOP_DESTINATION_SUBSCRIBERS, TOP_SERVICE_SESSIONS];

export function collectDestinationMetrics(status: ExporterStatus): Family[] {
  const sessions: Family = { desc: TOP_DESTINATION_SESSIONS, samples: [] };
  const subscribers: Family = { desc: TOP_DESTINATION_SUBSCRIBERS, samples: [] };
  const services: Family = { desc: TOP_SERVICE_SESSIONS, samples: [] };
  for (const instance of status.instances) {
    // Only from a successful last poll: while jool fails these are absent, not stale (as the session metrics).
    if (instance.tables === undefined) continue;
    for (const protocol of PROTOCOLS) {
      const report = instance.tables[protocol].destinations;
      const labels = { [I]: instance.name, protocol };
      // Already cut to --destinations.top by the poll (empty when 0).
      for (const d of report.topDestinations) {
        sessions.samples.push({ labels: { ...labels, destination: d.destination }, value: d.sessions });
        subscribers.samples.push({ labels: { ...labels, destination: d.destination }, value: d.subscribers });
      }
      for (const s of report.topServices) services.samples.push({ labels: { ...labels, port: String(s.port) }, value: s.sessions });
    }
  }
  return [sessions, subscribers, services];
}
