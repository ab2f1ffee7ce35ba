/**
 * The exporter against a real Jool: Debian's kernel and Jool's DKMS module in
 * QEMU, with real NAT64 traffic (test/e2e/vm/scenario.sh), the exporter on the
 * host running `jool` in the VM through test/e2e/jool-vm.
 *
 * Ground truth is `jool session display --csv --numeric` run through the same
 * channel. The scenario raises every Jool timeout to 10 h and sends nothing
 * once it is over, so the tables are static while the test runs: truth taken
 * before and after reading the exporter must agree (checked), and only the
 * "Expires in" column moves (ignored when rows are compared).
 *
 * Run: `.ci/e2e-setup && npm run test:e2e` (root, Debian). Without the
 * prerequisites the suite is skipped with a warning, except under CI (env CI
 * set), where it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildImage, CACHE_DIR, freePort, JOOL_VM, missingPrerequisites, REPO_DIR, sleep, Vm } from './vm.js';

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const TCP_STATES = ['V4_INIT', 'V6_INIT', 'ESTABLISHED', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'];
// Columns of Jool's session CSV.
const COL = { v6Remote: 1, v4Local: 5, v4LocalId: 6, expires: 9, state: 10 } as const;
const MAIN_JS = path.join(REPO_DIR, 'dist', 'src', 'main.js');

// ---------------------------------------------------------------- skip or fail
const underE2eConfig = process.env.JOOL_E2E === '1';
const missing = underE2eConfig ? missingPrerequisites() : undefined;
const onCi = Boolean(process.env.CI);
if (!underE2eConfig) {
  console.warn('real-jool.e2e.test.ts: skipped (run it with `npm run test:e2e`, which uses vitest.e2e.config.ts)');
} else if (missing && !onCi) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! E2E SUITE SKIPPED: ${missing}\n!! (under CI, i.e. with CI set, this is a failure)\n${'!'.repeat(78)}\n`,
  );
}

// ---------------------------------------------------------------- helpers
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[3]!;
    samples.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return samples;
}

function find(samples: Sample[], name: string, labels: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample that matches; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = find(samples, name, labels);
  if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

type Table = string[][]; // rows of fields, header excluded
interface Truth {
  header: string;
  tables: Record<Protocol, Table>;
}

/** A row as a string without its "Expires in" column (which moves with time). */
const rowKey = (fields: string[]) => fields.filter((_, i) => i !== COL.expires).join(',');
const keys = (table: Table) => table.map(rowKey).sort();
const distinct = (table: Table, f: (r: string[]) => string) => new Set(table.map(f)).size;

function parseCsv(csv: string): { header: string; rows: Table } {
  const lines = csv.split('\n').filter((l) => l !== '');
  return { header: lines[0] ?? '', rows: lines.slice(1).map((l) => l.split(',')) };
}

async function takeTruth(vm: Vm, instance: string, netns?: string): Promise<Truth> {
  const tables = {} as Record<Protocol, Table>;
  let header = '';
  for (const p of PROTOCOLS) {
    const r = await vm.jool(['-i', instance, 'session', 'display', `--${p}`, '--csv', '--numeric'], netns);
    if (r.code !== 0) throw new Error(`truth: jool exited ${r.code}: ${r.stderr}`);
    const csv = parseCsv(r.stdout);
    header = csv.header;
    tables[p] = csv.rows;
  }
  return { header, tables };
}

const sameTruth = (a: Truth, b: Truth) => PROTOCOLS.every((p) => keys(a.tables[p]).join('\n') === keys(b.tables[p]).join('\n'));

class Exporter {
  readonly logFile: string;
  url = '';
  private child?: ChildProcess;
  private exit?: string;

  constructor(readonly name: string) {
    this.logFile = path.join(CACHE_DIR, `exporter-${name}.log`);
  }

  async start(vm: Vm, flags: string[], env: Record<string, string> = {}): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const args = [
      MAIN_JS,
      `--jool.path=${JOOL_VM}`,
      '--poll.interval=1s',
      '--jool.timeout=30s',
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ];
    const log = fs.openSync(this.logFile, 'w');
    fs.writeSync(log, `# ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}node ${args.join(' ')}\n`);
    this.child = spawn(process.execPath, args, { cwd: REPO_DIR, env: vm.env(env), stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.child.on('exit', (code, signal) => {
      this.exit = `exited with ${code ?? signal}`;
    });
    // Never outlive the test process, whatever happens to it.
    const child = this.child;
    process.once('exit', () => child.kill('SIGKILL'));
  }

  async get(pathAndQuery: string): Promise<{ status: number; body: string }> {
    const res = await fetch(this.url + pathAndQuery);
    return { status: res.status, body: await res.text() };
  }

  async metrics(): Promise<Sample[]> {
    const r = await this.get('/metrics');
    expect(r.status).toBe(200);
    return parseMetrics(r.body);
  }

  /** Polls `check` (every 250 ms) until it returns true; fails with the log otherwise. */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw new Error(`exporter ${this.name} ${this.exit} while waiting for ${what}\n${this.log()}`);
      try {
        if (await check()) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`exporter ${this.name}: no ${what} within ${timeoutMs} ms\n${this.log()}`);
      await sleep(250);
    }
  }

  waitReady(): Promise<void> {
    return this.waitFor('200 on /readyz', async () => (await this.get('/readyz')).status === 200);
  }

  /** Gives the exporter a couple of poll intervals (--poll.interval=1s). */
  async settle(): Promise<void> {
    await sleep(2500);
  }

  log(): string {
    try {
      return `----- exporter ${this.name} log (${this.logFile}) -----\n${fs.readFileSync(this.logFile, 'utf8')}\n----- end -----`;
    } catch {
      return `(no log for exporter ${this.name})`;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exit) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------- the suite
describe.skipIf(!underE2eConfig || (missing !== undefined && !onCi))('exporter against real Jool 4 in QEMU', () => {
  const vm = new Vm();
  const exporters: Exporter[] = [];
  const main = new Exporter('default');
  let truth: Truth;
  let failed = false;
  const timings: Record<string, number> = {};

  const startExporter = async (e: Exporter, flags: string[], env?: Record<string, string>) => {
    exporters.push(e);
    await e.start(vm, flags, env);
  };

  /** Metrics plus truth taken just before and just after them, which must agree (the tables are static). */
  const metricsWithTruth = async (e: Exporter, instance: string, netns?: string) => {
    for (let attempt = 0; ; attempt++) {
      const before = await takeTruth(vm, instance, netns);
      const samples = await e.metrics();
      const after = await takeTruth(vm, instance, netns);
      if (sameTruth(before, after)) return { samples, truth: after };
      if (attempt === 2) throw new Error(`the session tables of ${instance} keep changing; the scenario should leave them static`);
      await e.settle();
    }
  };

  beforeAll(async () => {
    if (missing) throw new Error(`e2e prerequisites missing under CI: ${missing}. Run .ci/e2e-setup first.`);
    if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} does not exist: run \`npm run build\` first`);
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    try {
      let t = Date.now();
      process.stderr.write(buildImage());
      timings.image = Date.now() - t;
      t = Date.now();
      await vm.boot();
      timings.bootAndScenario = Date.now() - t;
      truth = await takeTruth(vm, 'default');
      t = Date.now();
      await startExporter(main, ['--jool.instance=default']);
      await main.waitReady();
      timings.exporterReady = Date.now() - t;
      console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
    } catch (e) {
      failed = true; // afterAll prints the logs
      throw e;
    }
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    await Promise.all(exporters.map((e) => e.stop()));
    await vm.poweroff();
    if (failed) {
      console.error(vm.consoleLog());
      for (const e of exporters) console.error(e.log());
    }
  });

  describe('the channel (test/e2e/jool-vm, vm-exec)', () => {
    it('relays stdout, stderr and the exit status', async () => {
      const r = await vm.exec(['sh', '-c', 'echo out; echo err >&2; exit 42']);
      expect(r).toEqual({ code: 42, stdout: 'out\n', stderr: 'err\n' });
    });

    it('streams big outputs intact', async () => {
      // 200,000 lines, 1.3 MB: many frames, some of them split across TCP reads.
      const r = await vm.exec(['seq', '200000']);
      const lines = r.stdout.split('\n');
      expect(r.code).toBe(0);
      expect(lines).toHaveLength(200001);
      expect(lines.every((l, i) => l === (i === 200000 ? '' : String(i + 1)))).toBe(true);
    });

    it('serves concurrent jool-vm processes, each with jool\'s exit status', async () => {
      const run = (args: string[], env: Record<string, string> = {}) =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          const c = spawn(JOOL_VM, args, { env: vm.env(env), stdio: ['ignore', 'pipe', 'ignore'] });
          let stdout = '';
          c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          c.on('close', (code) => resolve({ code, stdout }));
        });
      const tcp = ['session', 'display', '--tcp', '--csv', '--numeric'];
      const results = await Promise.all([run(tcp), run(tcp), run(tcp), run(['-i', 'nope', ...tcp]), run(['-i', 'alt', ...tcp], { JOOL_VM_NETNS: 'alt' })]);
      for (const r of results.slice(0, 3)) {
        expect(r.code).toBe(0);
        expect(keys(parseCsv(r.stdout).rows)).toEqual(keys(truth.tables.tcp));
      }
      expect(results[3]!.code).toBe(3); // missing instance: header on stdout, then exit 3
      expect(results[3]!.stdout).toBe(`${truth.header}\n`);
      expect(results[4]!.code).toBe(0);
      expect(parseCsv(results[4]!.stdout).rows.length).toBeGreaterThan(0);
    });
  });

  describe('instance "default" (root namespace)', () => {
    it('the scenario left sessions in all three tables and in at least five TCP states', () => {
      for (const p of PROTOCOLS) expect(truth.tables[p].length, p).toBeGreaterThan(0);
      const states = new Set(truth.tables.tcp.map((r) => r[COL.state]));
      expect(states.size).toBeGreaterThanOrEqual(5);
      console.log(
        'TCP states in the VM:',
        Object.fromEntries([...states].map((s) => [s, truth.tables.tcp.filter((r) => r[COL.state] === s).length])),
      );
    });

    it('jool_up is 1 and jool_sessions counts the rows of each table', async () => {
      const { samples, truth: t } = await metricsWithTruth(main, 'default');
      expect(value(samples, 'jool_up', { jool_instance: 'default' })).toBe(1);
      for (const p of PROTOCOLS) {
        expect(value(samples, 'jool_sessions', { jool_instance: 'default', protocol: p }), p).toBe(t.tables[p].length);
      }
    });

    it('jool_tcp_sessions matches every TCP state', async () => {
      const { samples, truth: t } = await metricsWithTruth(main, 'default');
      for (const state of TCP_STATES) {
        const expected = t.tables.tcp.filter((r) => r[COL.state] === state).length;
        const got = value(samples, 'jool_tcp_sessions', { jool_instance: 'default', state }) ?? 0;
        expect(got, state).toBe(expected);
      }
      // No state outside Jool's seven.
      for (const s of find(samples, 'jool_tcp_sessions', { jool_instance: 'default' })) {
        expect(TCP_STATES).toContain(s.labels.state);
      }
    });

    it('jool_bib_entries counts distinct IPv4 transport addresses (pool4 address, port)', async () => {
      const { samples, truth: t } = await metricsWithTruth(main, 'default');
      for (const p of PROTOCOLS) {
        const expected = distinct(t.tables[p], (r) => `${r[COL.v4Local]}#${r[COL.v4LocalId]}`);
        expect(value(samples, 'jool_bib_entries', { jool_instance: 'default', protocol: p }), p).toBe(expected);
      }
      // The scenario shares BIB entries among sessions (one UDP socket, several destinations).
      expect(distinct(t.tables.udp, (r) => `${r[COL.v4Local]}#${r[COL.v4LocalId]}`)).toBeLessThan(t.tables.udp.length);
    });

    it('jool_session_clients counts distinct IPv6 clients', async () => {
      const { samples, truth: t } = await metricsWithTruth(main, 'default');
      for (const p of PROTOCOLS) {
        expect(value(samples, 'jool_session_clients', { jool_instance: 'default', protocol: p }), p).toBe(
          distinct(t.tables[p], (r) => r[COL.v6Remote]!),
        );
      }
    });

    it('jool_session_expiry_seconds has one observation per session, all within the 10 h timeout', async () => {
      const { samples, truth: t } = await metricsWithTruth(main, 'default');
      for (const p of PROTOCOLS) {
        const labels = { jool_instance: 'default', protocol: p };
        const n = t.tables[p].length;
        expect(value(samples, 'jool_session_expiry_seconds_count', labels), p).toBe(n);
        expect(value(samples, 'jool_session_expiry_seconds_bucket', { ...labels, le: '+Inf' }), p).toBe(n);
        const sum = value(samples, 'jool_session_expiry_seconds_sum', labels)!;
        expect(sum, p).toBeGreaterThan(n * 9 * 3600);
        expect(sum, p).toBeLessThanOrEqual(n * 10 * 3600);
      }
    });

    for (const p of PROTOCOLS) {
      it(`/sessions.csv?instance=default&protocol=${p} has the rows jool prints`, async () => {
        for (let attempt = 0; ; attempt++) {
          const before = await takeTruth(vm, 'default');
          const r = await main.get(`/sessions.csv?instance=default&protocol=${p}`);
          const after = await takeTruth(vm, 'default');
          if (!sameTruth(before, after) && attempt < 2) continue;
          expect(r.status).toBe(200);
          const csv = parseCsv(r.body);
          expect(csv.header).toBe(after.header);
          expect(keys(csv.rows)).toEqual(keys(after.tables[p]));
          return;
        }
      });
    }
  });

  describe('instance "alt" (namespace alt, through JOOL_VM_NETNS=alt)', () => {
    // The exporter has no per-instance command prefix yet: a second exporter
    // whose jool-vm runs `ip netns exec alt jool ...`.
    const alt = new Exporter('alt');

    it('is polled like any other instance', async () => {
      await startExporter(alt, ['--jool.instance=alt'], { JOOL_VM_NETNS: 'alt' });
      await alt.waitReady();
      const { samples, truth: t } = await metricsWithTruth(alt, 'alt', 'alt');
      expect(value(samples, 'jool_up', { jool_instance: 'alt' })).toBe(1);
      for (const p of PROTOCOLS) {
        expect(t.tables[p].length, `alt ${p} truth`).toBeGreaterThan(0);
        expect(value(samples, 'jool_sessions', { jool_instance: 'alt', protocol: p }), p).toBe(t.tables[p].length);
      }
      for (const state of TCP_STATES) {
        const expected = t.tables.tcp.filter((r) => r[COL.state] === state).length;
        expect(value(samples, 'jool_tcp_sessions', { jool_instance: 'alt', state }) ?? 0, state).toBe(expected);
      }
      const r = await alt.get('/sessions.csv?instance=alt&protocol=udp');
      expect(keys(parseCsv(r.body).rows)).toEqual(keys(t.tables.udp));
    });

    it('is invisible from the root namespace: jool exits 3 there', async () => {
      const r = await vm.jool(['-i', 'alt', 'session', 'display', '--csv', '--numeric']);
      expect(r.code).toBe(3);
    });
  });

  describe('failures', () => {
    it('a missing instance: jool prints the header and exits 3; jool_up 0, a poll failure with reason="exit"', async () => {
      const r = await vm.jool(['-i', 'nope', 'session', 'display', '--tcp', '--csv', '--numeric']);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(`${truth.header}\n`);
      expect(r.stderr).toMatch(/lacks an instance named 'nope'/);

      const nope = new Exporter('nope');
      await startExporter(nope, ['--jool.instance=nope']);
      await nope.waitFor('a failed poll of nope in /metrics', async () => {
        const s = await nope.metrics();
        return (value(s, 'jool_session_poll_failures_total', { jool_instance: 'nope', reason: 'exit' }) ?? 0) > 0;
      });
      const samples = await nope.metrics();
      expect(value(samples, 'jool_up', { jool_instance: 'nope' })).toBe(0);
      expect(value(samples, 'jool_session_poll_failures_total', { jool_instance: 'nope', reason: 'exit' })).toBeGreaterThan(0);
      await nope.stop();
    });

    // Last: it unloads the module.
    it('the module unloaded: jool exits 22 (jool.ko gone), then 253 (jool_common.ko gone too); jool_up 0', async () => {
      expect(value(await main.metrics(), 'jool_up', { jool_instance: 'default' })).toBe(1);

      // jool_common.ko owns the generic netlink family, jool.ko the NAT64:
      // without jool.ko the kernel answers "NAT64 Jool has not been modprobed"
      // (exit 22); without both, the family is gone (exit 253).
      expect((await vm.exec(['rmmod', 'jool'])).code).toBe(0);
      const r22 = await vm.jool(['session', 'display', '--csv', '--numeric']);
      expect(r22.code).toBe(22);
      await main.waitFor('jool_up 0 after rmmod jool', async () => value(await main.metrics(), 'jool_up', { jool_instance: 'default' }) === 0);

      expect((await vm.exec(['rmmod', 'jool_common'])).code).toBe(0);
      const r253 = await vm.jool(['session', 'display', '--csv', '--numeric']);
      expect(r253.code).toBe(253);
      expect(r253.stdout).toBe('');
      expect(r253.stderr).toMatch(/socket family doesn't seem to exist/);
      const failuresBefore = value(await main.metrics(), 'jool_session_poll_failures_total', { jool_instance: 'default', reason: 'exit' }) ?? 0;
      await main.waitFor('another failed poll after rmmod jool_common', async () => {
        const s = await main.metrics();
        return (value(s, 'jool_session_poll_failures_total', { jool_instance: 'default', reason: 'exit' }) ?? 0) > failuresBefore;
      });
      const samples = await main.metrics();
      expect(value(samples, 'jool_up', { jool_instance: 'default' })).toBe(0);
    });
  });
});
