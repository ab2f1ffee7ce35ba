/**
 * pool4 capacity and usage: how many transport addresses pool4 offers, how many
 * the BIB entries hold, and where exhaustion starts. Computed by the poll
 * (src/table/pool4.ts); this only turns the reports into families. Every family
 * is declared here, once, with its help text.
 *
 * Cardinality: two series (ports, ports_used) per pool4 address and protocol,
 * plus a handful per protocol; mark series only where pool4 uses a mark other
 * than 0, one per (protocol, mark).
 */
import { PROTOCOLS } from '../model.js';
import type { ExporterStatus } from '../status/model.js';
import { desc, type Family, type MetricDesc } from './families.js';

const I = 'jool_instance';

export const POOL4_CONFIGURED = desc(
  'jool_pool4_configured',
  'gauge',
  [I, 'protocol'],
  'Whether pool4 has entries (1) or is empty (0). When empty, Jool uses ports 61001-65535 ' +
    "of the node's own addresses, and the pool4 capacity and utilization series are absent.",
);
export const POOL4_PORTS = desc(
  'jool_pool4_ports',
  'gauge',
  [I, 'protocol', 'address'],
  'pool4 capacity of the IPv4 address: distinct ports (ICMP identifiers) that pool4 entries of any mark give it.',
);
export const POOL4_PORTS_USED = desc(
  'jool_pool4_ports_used',
  'gauge',
  [I, 'protocol', 'address'],
  'Ports of the pool4 address held by BIB entries (distinct IPv4 Local ' +
    'address and L4-ID of the sessions) that lie inside its pool4 ranges.',
);
export const POOL4_UTILIZATION = desc(
  'jool_pool4_utilization_ratio',
  'gauge',
  [I, 'protocol'],
  'BIB entries inside pool4 divided by the pool4 capacity of the protocol ' +
    '(all addresses and marks). Absent when the protocol has no pool4 capacity.',
);
export const POOL4_ADDRESS_MAX_UTILIZATION = desc(
  'jool_pool4_address_max_utilization_ratio',
  'gauge',
  [I, 'protocol'],
  'Highest ports used / ports of any single pool4 address: exhaustion starts ' +
    'at the fullest address. Absent when the protocol has no pool4 capacity.',
);
export const POOL4_MARK_PORTS = desc(
  'jool_pool4_mark_ports',
  'gauge',
  [I, 'protocol', 'mark'],
  'pool4 capacity per mark: distinct (address, port) of the entries with that mark. Only when ' +
    'the instance uses a mark other than 0. Usage is not split by mark: sessions do not show it.',
);
export const BIB_OUTSIDE_POOL4 = desc(
  'jool_bib_entries_outside_pool4',
  'gauge',
  [I, 'protocol'],
  'BIB entries whose IPv4 address or port is not in pool4 (for example orphans of ' +
    '`pool4 remove --quick`). With an empty pool4: those with a port below 61001.',
);

export const POOL4_FAMILIES: readonly MetricDesc[] = [
  POOL4_CONFIGURED,
  POOL4_PORTS,
  POOL4_PORTS_USED,
  POOL4_UTILIZATION,
  POOL4_ADDRESS_MAX_UTILIZATION,
  POOL4_MARK_PORTS,
  BIB_OUTSIDE_POOL4,
];

export function collectPool4Metrics(status: ExporterStatus): Family[] {
  const families = new Map<MetricDesc, Family>(POOL4_FAMILIES.map((d) => [d, { desc: d, samples: [] }]));
  const add = (d: MetricDesc, labels: Record<string, string | number>, value: number) => families.get(d)!.samples.push({ labels, value });

  for (const instance of status.instances) {
    // Only from a successful last poll: while jool fails these are absent, not stale (as the session metrics).
    const pool4 = instance.pool4;
    if (pool4 === undefined) continue;
    const markedPool = PROTOCOLS.some((protocol) => pool4[protocol].marks.some(({ mark }) => mark !== 0));
    for (const protocol of PROTOCOLS) {
      const report = pool4[protocol];
      const labels = { [I]: instance.name, protocol };
      add(POOL4_CONFIGURED, labels, report.configured ? 1 : 0);
      add(BIB_OUTSIDE_POOL4, labels, report.outside);
      if (!report.configured) continue; // Jool's implicit pool: no capacity to claim
      for (const { address, capacity, used } of report.addresses) {
        add(POOL4_PORTS, { ...labels, address }, capacity);
        add(POOL4_PORTS_USED, { ...labels, address }, used);
      }
      if (report.capacity > 0) {
        add(POOL4_UTILIZATION, labels, report.used / report.capacity);
        add(POOL4_ADDRESS_MAX_UTILIZATION, labels, report.maxAddressUtilization);
      }
      if (markedPool) for (const { mark, capacity } of report.marks) add(POOL4_MARK_PORTS, { ...labels, mark: String(mark) }, capacity);
    }
  }
  return [...families.values()];
}
