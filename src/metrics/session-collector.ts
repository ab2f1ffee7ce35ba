/**
 * The jool_* metrics: what the last poll of each instance found, and how the
 * polling itself goes. Every family is declared here, once, with its help text.
 */
import { PROTOCOLS, TCP_STATES } from '../model.js';
import { type ExporterStatus, FAILURE_REASONS } from '../status/model.js';
import { EXPIRY_BUCKETS_SECONDS } from '../table/aggregate.js';
import { desc, type Family, histogramSamples, type MetricDesc } from './families.js';

const I = 'jool_instance';

export const SESSIONS = desc(
  'jool_sessions',
  'gauge',
  [I, 'protocol'],
  'Sessions in the session table of the Jool instance, per protocol, as of the last successful poll.',
);
export const TCP_SESSIONS = desc(
  'jool_tcp_sessions',
  'gauge',
  [I, 'state'],
  'TCP sessions per TCP state (Jool state names), as of the last successful poll.',
);
export const EXPIRY = desc(
  'jool_session_expiry_seconds',
  'histogram',
  [I, 'protocol'],
  'Time until each session expires unless traffic refreshes it, as of the last successful poll.',
);
export const BIB_ENTRIES = desc(
  'jool_bib_entries',
  'gauge',
  [I, 'protocol'],
  'Distinct IPv4 transport addresses (pool4 address and port) used by the sessions: the BIB entries in use.',
);
export const CLIENTS = desc(
  'jool_session_clients',
  'gauge',
  [I, 'protocol'],
  'Distinct IPv6 client addresses (IPv6 Remote Address) with at least one session.',
);
export const UP = desc('jool_up', 'gauge', [I], 'Whether the last poll of the Jool instance succeeded (1) or failed (0).');
export const POLL_DURATION = desc(
  'jool_session_poll_duration_seconds',
  'gauge',
  [I],
  'How long the last poll of the instance took (all tables).',
);
export const LAST_SUCCESS = desc(
  'jool_session_poll_last_success_timestamp_seconds',
  'gauge',
  [I],
  'Unix time when the last successful poll of the instance finished.',
);
export const POLLS = desc('jool_session_polls_total', 'counter', [I], 'Polls of the instance finished, successful or not.');
export const FAILURES = desc(
  'jool_session_poll_failures_total',
  'counter',
  [I, 'reason'],
  'Failed polls, by reason: spawn (jool could not run), exit (non-zero exit status), timeout, ' +
    'parse (output is no session table), dialect (Jool generation unknown or unsupported), ' +
    'too_large (a table past --poll.max-rows), internal (an exporter bug).',
);
export const REJECTED = desc(
  'jool_session_rows_rejected_total',
  'counter',
  [I, 'protocol'],
  'Malformed session rows skipped while parsing jool output.',
);
export const JOOL_INFO = desc(
  'jool_version_info',
  'gauge',
  [I, 'version', 'dialect'],
  'The jool client in use for the instance: its version and CLI generation (3 or 4). Always 1.',
);

export const DISCOVERY_RUNS = desc(
  'jool_instance_discovery_runs_total',
  'counter',
  [],
  'Runs of instance discovery (--jool.instance=*), successful or not.',
);
export const DISCOVERY_FAILURES = desc(
  'jool_instance_discovery_failures_total',
  'counter',
  [],
  'Failed runs of instance discovery; the instances found before keep being polled.',
);
export const UNREACHABLE = desc(
  'jool_instances_unreachable',
  'gauge',
  [],
  "Instances that `jool instance display` lists but that neither the exporter's namespace nor any --jool.netns reaches: not polled.",
);

export const SESSION_FAMILIES: readonly MetricDesc[] = [
  SESSIONS,
  TCP_SESSIONS,
  EXPIRY,
  BIB_ENTRIES,
  CLIENTS,
  UP,
  POLL_DURATION,
  LAST_SUCCESS,
  POLLS,
  FAILURES,
  REJECTED,
  JOOL_INFO,
  DISCOVERY_RUNS,
  DISCOVERY_FAILURES,
  UNREACHABLE,
];

export function collectSessionMetrics(status: ExporterStatus): Family[] {
  const families = new Map<MetricDesc, Family>(SESSION_FAMILIES.map((d) => [d, { desc: d, samples: [] }]));
  const add = (d: MetricDesc, labels: Record<string, string | number>, value: number) => families.get(d)!.samples.push({ labels, value });

  if (status.discovery !== undefined) {
    add(DISCOVERY_RUNS, {}, status.discovery.runs);
    add(DISCOVERY_FAILURES, {}, status.discovery.failures);
    add(UNREACHABLE, {}, status.discovery.unreachable.length);
  }

  for (const instance of status.instances) {
    const name = instance.name;
    // Health series exist from the start (at 0), so that rate() and dashboards work before the first fault.
    add(POLLS, { [I]: name }, instance.polls);
    for (const reason of FAILURE_REASONS) add(FAILURES, { [I]: name, reason }, instance.failures[reason]);
    for (const protocol of PROTOCOLS) add(REJECTED, { [I]: name, protocol }, instance.rejectedRows[protocol]);
    if (instance.up === undefined) continue; // no poll finished yet: no claim about Jool at all
    add(UP, { [I]: name }, instance.up ? 1 : 0);
    if (instance.lastPollDurationSeconds !== undefined) add(POLL_DURATION, { [I]: name }, instance.lastPollDurationSeconds);
    if (instance.lastSuccessTimestampSeconds !== undefined) add(LAST_SUCCESS, { [I]: name }, instance.lastSuccessTimestampSeconds);
    if (instance.jool !== undefined) add(JOOL_INFO, { [I]: name, version: instance.jool.version, dialect: instance.jool.dialect }, 1);

    // Session series only from a successful last poll: while jool fails they are absent, not stale.
    if (instance.tables === undefined) continue;
    for (const protocol of PROTOCOLS) {
      const { aggregate } = instance.tables[protocol];
      const labels = { [I]: name, protocol };
      add(SESSIONS, labels, aggregate.sessions);
      add(BIB_ENTRIES, labels, aggregate.bibEntries);
      add(CLIENTS, labels, aggregate.clients);
      families
        .get(EXPIRY)!
        .samples.push(
          ...histogramSamples(labels, EXPIRY_BUCKETS_SECONDS, aggregate.expiryBuckets, aggregate.sessions, aggregate.expirySumSeconds),
        );
    }
    const tcp = instance.tables.tcp.aggregate;
    TCP_STATES.forEach((state, code) => {
      add(TCP_SESSIONS, { [I]: name, state }, tcp.tcpStates[code]!);
    });
  }
  return [...families.values()];
}
