import { describe, expect, it } from 'vitest';
import {
  collectDestinationMetrics,
  DESTINATION_FAMILIES,
  TOP_DESTINATION_SESSIONS,
  TOP_DESTINATION_SUBSCRIBERS,
  TOP_SERVICE_SESSIONS,
} from '../../src/metrics/destination-collector.js';
import { SESSION_FAMILIES } from '../../src/metrics/session-collector.js';
import { SUBSCRIBER_FAMILIES } from '../../src/metrics/subscriber-collector.js';
import { PROTOCOLS, type Protocol } from '../../src/model.js';
import type { ExporterStatus } from '../../src/status/model.js';
import type { DestinationReport } from '../../src/table/destinations.js';

/** A status as plain data: only what the collector reads. */
function status(
  instances: ReadonlyArray<{ name: string; destinations: Partial<Record<Protocol, DestinationReport>> | undefined }>,
): ExporterStatus {
  const empty: DestinationReport = { topDestinations: [], topServices: [] };
  return {
    ready: true,
    discovery: undefined,
    instances: instances.map(({ name, destinations }) => ({
      name,
      tables:
        destinations === undefined ? undefined : Object.fromEntries(PROTOCOLS.map((p) => [p, { destinations: destinations[p] ?? empty }])),
    })),
  } as unknown as ExporterStatus;
}

describe('DESTINATION_FAMILIES', () => {
  it('declares three gauges with help, named apart from the other families', () => {
    expect(DESTINATION_FAMILIES.map((d) => [d.name, d.type, d.labelNames])).toEqual([
      ['jool_top_destination_sessions', 'gauge', ['jool_instance', 'protocol', 'destination']],
      ['jool_top_destination_subscribers', 'gauge', ['jool_instance', 'protocol', 'destination']],
      ['jool_top_service_sessions', 'gauge', ['jool_instance', 'protocol', 'port']],
    ]);
    const others = new Set([...SESSION_FAMILIES, ...SUBSCRIBER_FAMILIES].map((d) => d.name));
    for (const d of DESTINATION_FAMILIES) {
      expect(d.help.length, d.name).toBeGreaterThan(40);
      expect(others.has(d.name), d.name).toBe(false);
    }
  });
});

describe('collectDestinationMetrics', () => {
  it("reports the poll's top lists in their order, and nothing for an instance whose poll failed", () => {
    const families = collectDestinationMetrics(
      status([
        { name: 'down', destinations: undefined },
        {
          name: 'up',
          destinations: {
            tcp: {
              topDestinations: [
                { destination: '192.0.2.9', sessions: 7, subscribers: 3 },
                { destination: '192.0.2.1', sessions: 2, subscribers: 1 },
              ],
              topServices: [
                { port: 443, sessions: 8 },
                { port: 80, sessions: 1 },
              ],
            },
            icmp: { topDestinations: [{ destination: '198.51.100.1', sessions: 4, subscribers: 4 }], topServices: [] },
          },
        },
      ]),
    );
    expect(families.map((f) => f.desc)).toEqual([TOP_DESTINATION_SESSIONS, TOP_DESTINATION_SUBSCRIBERS, TOP_SERVICE_SESSIONS]);
    const [sessions, subscribers, services] = families;
    expect(sessions!.samples).toEqual([
      { labels: { jool_instance: 'up', protocol: 'tcp', destination: '192.0.2.9' }, value: 7 },
      { labels: { jool_instance: 'up', protocol: 'tcp', destination: '192.0.2.1' }, value: 2 },
      { labels: { jool_instance: 'up', protocol: 'icmp', destination: '198.51.100.1' }, value: 4 },
    ]);
    expect(subscribers!.samples.map((s) => s.value)).toEqual([3, 1, 4]);
    expect(services!.samples).toEqual([
      { labels: { jool_instance: 'up', protocol: 'tcp', port: '443' }, value: 8 },
      { labels: { jool_instance: 'up', protocol: 'tcp', port: '80' }, value: 1 },
    ]);
  });

  it('every family, empty, with no instance', () => {
    for (const f of collectDestinationMetrics(status([]))) expect(f.samples).toEqual([]);
  });
});
