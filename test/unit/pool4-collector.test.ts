import { describe, expect, it } from 'vitest';
import type { Family, Sample } from '../../src/metrics/families.js';
import { collectPool4Metrics, POOL4_FAMILIES } from '../../src/metrics/pool4-collector.js';
import { createMetricsRenderer } from '../../src/metrics/registry.js';
import { PROTOCOLS, type Protocol } from '../../src/model.js';
import { parsePool4Csv } from '../../src/parse/pool4-csv.js';
import { parseSessionCsv } from '../../src/parse/session-csv.js';
import type { ExporterStatus } from '../../src/status/model.js';
import { computePool4, type Pool4Report } from '../../src/table/pool4.js';
import { fixture } from './support.js';

type Pool4 = Record<Protocol, Pool4Report>;

function pool4Of(poolText: string, sessions: Partial<Record<Protocol, string>> = {}): Pool4 {
  const { entries, rejected } = parsePool4Csv(poolText);
  expect(rejected.count).toBe(0);
  return Object.fromEntries(
    PROTOCOLS.map((protocol) => [protocol, computePool4(entries, parseSessionCsv(protocol, sessions[protocol] ?? '').table)]),
  ) as Pool4;
}

/** Only the fields the collector reads; the rest of InstanceStatus does not matter here. */
function status(instances: Array<{ name: string; pool4: Pool4 | undefined }>): ExporterStatus {
  return { instances, ready: true } as unknown as ExporterStatus;
}

function family(families: Family[], name: string): Sample[] {
  const found = families.find((f) => f.desc.name === name);
  expect(found, name).toBeDefined();
  return found!.samples;
}

/** "name{label=value,...} value" lines, sorted, for whole-family comparisons. */
function lines(families: Family[], name: string): string[] {
  return family(families, name)
    .map(
      (s) =>
        `${Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} ${s.value}`,
    )
    .sort();
}

const CAPTURES = PROTOCOLS.map((p) => fixture(`pool4-${p}.csv`).toString('latin1')).join('');
const CAPTURE_SESSIONS = Object.fromEntries(PROTOCOLS.map((p) => [p, fixture(`session-${p}.csv`).toString('latin1')])) as Record<
  Protocol,
  string
>;

describe('POOL4_FAMILIES', () => {
  it('declares every family once, with help text and the jool_instance label', () => {
    const names = POOL4_FAMILIES.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual([
      'jool_bib_entries_outside_pool4',
      'jool_pool4_address_max_utilization_ratio',
      'jool_pool4_configured',
      'jool_pool4_mark_ports',
      'jool_pool4_ports',
      'jool_pool4_ports_used',
      'jool_pool4_utilization_ratio',
    ]);
    for (const d of POOL4_FAMILIES) {
      expect(d.type).toBe('gauge');
      expect(d.help.length).toBeGreaterThan(20);
      expect(d.labelNames[0]).toBe('jool_instance');
    }
  });

  it('collect() returns every declared family, in order, even with nothing to report', () => {
    const families = collectPool4Metrics(status([]));
    expect(families.map((f) => f.desc)).toEqual(POOL4_FAMILIES);
    expect(families.every((f) => f.samples.length === 0)).toBe(true);
  });
});

describe('collectPool4Metrics on the captures', () => {
  const families = collectPool4Metrics(status([{ name: 'default', pool4: pool4Of(CAPTURES, CAPTURE_SESSIONS) }]));

  it('gives capacity and usage per address, union over marks', () => {
    expect(lines(families, 'jool_pool4_ports')).toEqual([
      'jool_instance=default,protocol=icmp,address=192.0.2.1 1024',
      'jool_instance=default,protocol=icmp,address=192.0.2.2 100',
      'jool_instance=default,protocol=tcp,address=192.0.2.1 1024',
      'jool_instance=default,protocol=tcp,address=192.0.2.2 1000',
      'jool_instance=default,protocol=udp,address=192.0.2.1 1024',
      'jool_instance=default,protocol=udp,address=192.0.2.2 63488',
      'jool_instance=default,protocol=udp,address=192.0.2.3 1000',
    ]);
    expect(lines(families, 'jool_pool4_ports_used')).toEqual([
      'jool_instance=default,protocol=icmp,address=192.0.2.1 20',
      'jool_instance=default,protocol=icmp,address=192.0.2.2 1',
      'jool_instance=default,protocol=tcp,address=192.0.2.1 258',
      'jool_instance=default,protocol=tcp,address=192.0.2.2 244',
      'jool_instance=default,protocol=udp,address=192.0.2.1 0',
      'jool_instance=default,protocol=udp,address=192.0.2.2 36',
      'jool_instance=default,protocol=udp,address=192.0.2.3 0',
    ]);
  });

  it('gives the pool and fullest-address ratios per protocol', () => {
    const ratio = (name: string, protocol: Protocol) => family(families, name).find((s) => s.labels.protocol === protocol)!.value;
    expect(ratio('jool_pool4_utilization_ratio', 'tcp')).toBeCloseTo(502 / 2024, 12);
    expect(ratio('jool_pool4_utilization_ratio', 'udp')).toBeCloseTo(36 / 65512, 12);
    expect(ratio('jool_pool4_utilization_ratio', 'icmp')).toBeCloseTo(21 / 1124, 12);
    expect(ratio('jool_pool4_address_max_utilization_ratio', 'tcp')).toBeCloseTo(258 / 1024, 12);
    expect(ratio('jool_pool4_address_max_utilization_ratio', 'udp')).toBeCloseTo(36 / 63488, 12);
    // 20 of 1024 on 192.0.2.1 beats 1 of 100 on 192.0.2.2.
    expect(ratio('jool_pool4_address_max_utilization_ratio', 'icmp')).toBeCloseTo(20 / 1024, 12);
  });

  it('is configured, with no BIB entry outside pool4', () => {
    expect(lines(families, 'jool_pool4_configured')).toEqual([
      'jool_instance=default,protocol=icmp 1',
      'jool_instance=default,protocol=tcp 1',
      'jool_instance=default,protocol=udp 1',
    ]);
    expect(lines(families, 'jool_bib_entries_outside_pool4')).toEqual([
      'jool_instance=default,protocol=icmp 0',
      'jool_instance=default,protocol=tcp 0',
      'jool_instance=default,protocol=udp 0',
    ]);
  });

  it('exports the mark capacity, for every protocol, because the UDP pool uses mark 7', () => {
    expect(lines(families, 'jool_pool4_mark_ports')).toEqual([
      'jool_instance=default,protocol=icmp,mark=0 1124',
      'jool_instance=default,protocol=tcp,mark=0 2024',
      'jool_instance=default,protocol=udp,mark=0 64512',
      'jool_instance=default,protocol=udp,mark=7 1000',
    ]);
  });
});

describe('collectPool4Metrics: which series exist', () => {
  it('no mark series when every entry has mark 0', () => {
    const text = ['tcp', 'icmp'].map((p) => fixture(`pool4-${p}.csv`).toString('latin1')).join('');
    const families = collectPool4Metrics(status([{ name: 'a', pool4: pool4Of(text) }]));
    expect(family(families, 'jool_pool4_mark_ports')).toEqual([]);
    expect(family(families, 'jool_pool4_ports')).toHaveLength(4);
  });

  it('empty pool4: configured 0, outside-pool4 count, and no capacity, usage or ratio series', () => {
    const sessions =
      'TCP,2001:db8::1,1000,64:ff9b::c633:6401,80,192.0.2.1,1024,198.51.100.1,80,0:01:00.000,ESTABLISHED\n' +
      'TCP,2001:db8::1,1001,64:ff9b::c633:6401,80,192.0.2.1,62000,198.51.100.1,80,0:01:00.000,ESTABLISHED\n';
    const families = collectPool4Metrics(
      status([{ name: 'empty', pool4: pool4Of(fixture('empty-pool4-tcp.csv').toString('latin1'), { tcp: sessions }) }]),
    );
    expect(lines(families, 'jool_pool4_configured')).toEqual([
      'jool_instance=empty,protocol=icmp 0',
      'jool_instance=empty,protocol=tcp 0',
      'jool_instance=empty,protocol=udp 0',
    ]);
    // Port 1024 is not in Jool's implicit pool (61001-65535): an orphan, e.g. of a flushed pool4.
    expect(lines(families, 'jool_bib_entries_outside_pool4')).toEqual([
      'jool_instance=empty,protocol=icmp 0',
      'jool_instance=empty,protocol=tcp 1',
      'jool_instance=empty,protocol=udp 0',
    ]);
    for (const name of [
      'jool_pool4_ports',
      'jool_pool4_ports_used',
      'jool_pool4_utilization_ratio',
      'jool_pool4_address_max_utilization_ratio',
      'jool_pool4_mark_ports',
    ]) {
      expect(family(families, name), name).toEqual([]);
    }
  });

  it('a protocol without entries while another has some: configured, every BIB entry outside, no ratio', () => {
    const udp = 'UDP,2001:db8::1,1000,64:ff9b::c633:6401,53,192.0.2.1,5000,198.51.100.1,53,0:01:00.000\n';
    const families = collectPool4Metrics(status([{ name: 'a', pool4: pool4Of(fixture('pool4-tcp.csv').toString('latin1'), { udp }) }]));
    expect(lines(families, 'jool_pool4_configured')).toEqual([
      'jool_instance=a,protocol=icmp 1',
      'jool_instance=a,protocol=tcp 1',
      'jool_instance=a,protocol=udp 1',
    ]);
    expect(lines(families, 'jool_bib_entries_outside_pool4')).toEqual([
      'jool_instance=a,protocol=icmp 0',
      'jool_instance=a,protocol=tcp 0',
      'jool_instance=a,protocol=udp 1',
    ]);
    expect(lines(families, 'jool_pool4_utilization_ratio')).toEqual(['jool_instance=a,protocol=tcp 0']);
    expect(lines(families, 'jool_pool4_address_max_utilization_ratio')).toEqual(['jool_instance=a,protocol=tcp 0']);
  });

  it('an instance whose last poll failed (no pool4) has no pool4 series at all; the others keep theirs', () => {
    const families = collectPool4Metrics(
      status([
        { name: 'down', pool4: undefined },
        { name: 'up', pool4: pool4Of(CAPTURES) },
      ]),
    );
    for (const f of families)
      expect(
        f.samples.every((s) => s.labels.jool_instance === 'up'),
        f.desc.name,
      ).toBe(true);
    expect(family(families, 'jool_pool4_configured')).toHaveLength(3);
  });
});

describe('collectPool4Metrics through prom-client', () => {
  it('renders valid exposition text', async () => {
    const current = status([{ name: 'default', pool4: pool4Of(CAPTURES, CAPTURE_SESSIONS) }]);
    const renderer = createMetricsRenderer({
      status: () => current,
      collectors: [{ descs: POOL4_FAMILIES, collect: collectPool4Metrics }],
      version: 'test',
    });
    const { body } = await renderer.render(undefined);
    expect(body).toContain('# TYPE jool_pool4_ports gauge\n');
    expect(body).toContain('jool_pool4_ports{jool_instance="default",protocol="udp",address="192.0.2.2"} 63488\n');
    expect(body).toContain('jool_pool4_mark_ports{jool_instance="default",protocol="udp",mark="7"} 1000\n');
    expect(body).toContain('jool_pool4_configured{jool_instance="default",protocol="tcp"} 1\n');
    expect(body).toMatch(/^# HELP jool_bib_entries_outside_pool4 /m);
  });
});
