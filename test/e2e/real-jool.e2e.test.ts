/**
 * The exporter against a real Jool: Debian's kernel and Jool's DKMS module in
 * QEMU, with real NAT64 traffic (test/e2e/vm/scenario.sh), the exporter on the
 * host running `jool` in the VM through test/e2e/jool-vm.
 *
 * Ground truth is what `jool` itself prints, run through the same channel:
 * `session display`, `pool4 display`, `stats display`, `instance display`.
 * The scenario raises every Jool timeout to 10 h and sends nothing once it is
 * over, so the tables are static while the test runs: truth taken before and
 * after reading the exporter must agree (checked), and only the "Expires in"
 * column moves (ignored when rows are compared). Jool's counters are not all
 * static: the command channel's own IPv4 packets cross instance "default"'s
 * netfilter hook (JSTAT_RECEIVED4, JSTAT_POOL4_MISMATCH grow with every
 * command), so counters are checked as truth-before <= metric <= truth-after.
 *
 * Instance "alt" lives in network namespace "alt" of the VM. The exporter
 * polls it as `--jool.instance=alt@alt`, i.e. through `ip netns exec alt
 * <jool.path> ...`; on the host `ip` is test/e2e/bin/ip (first in the
 * exporter's PATH), which turns that into `JOOL_VM_NETNS=alt jool-vm ...`.
 *
 * Run: `.ci/e2e-setup && npm run test:e2e` (root, Debian). Without the
 * prerequisites the suite is skipped with a warning, except under CI (env CI
 * set), where it fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildImage, CACHE_DIR, E2E_DIR, freePort, JOOL_VM, missingPrerequisites, REPO_DIR, sleep, Vm } from './vm.js';

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const TCP_STATES = ['V4_INIT', 'V6_INIT', 'ESTABLISHED', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'];
// Columns of Jool's session CSV.
const COL = { v6Remote: 1, v4Local: 5, v4LocalId: 6, expires: 9, state: 10 } as const;
const MAIN_JS = path.join(REPO_DIR, 'dist', 'src', 'main.js');
/** The `ip` stand-in: `ip netns exec NS CMD...` → `JOOL_VM_NETNS=NS exec CMD...` (jool-vm only). */
const BIN_DIR = path.join(E2E_DIR, 'bin');
const IP_STANDIN = path.join(BIN_DIR, 'ip');
const IP_STANDIN_REFUSED = 99;
/** Environment of an exporter that reaches instances in other namespaces (NAME@NETNS). */
const withIpStandIn = (): Record<string, string> => ({ PATH: `${BIN_DIR}${path.delimiter}${process.env.PATH ?? ''}` });

/** A Jool instance as the exporter labels it (`key`), and where jool reaches it. */
interface Instance {
  key: string;
  name: string;
  netns?: string;
}
const DEFAULT: Instance = { key: 'default', name: 'default' };
const ALT: Instance = { key: 'alt@alt', name: 'alt', netns: 'alt' };
const INSTANCES = [DEFAULT, ALT];
/** Jool's "stats" that are current counts, exported as gauges of their own. */
const GAUGE_STATS = { JSTAT_SESSIONS: 'jool_stats_sessions', JSTAT_BIB_ENTRIES: 'jool_stats_bib_entries' } as const;
/** --clients.top's default: every subscriber of the scenario fits. */
const CLIENTS_TOP = 10;

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

async function takeTruth(vm: Vm, instance: Instance): Promise<Truth> {
  const tables = {} as Record<Protocol, Table>;
  let header = '';
  for (const p of PROTOCOLS) {
    const r = await vm.jool(['-i', instance.name, 'session', 'display', `--${p}`, '--csv', '--numeric'], instance.netns);
    if (r.code !== 0) throw new Error(`truth: jool exited ${r.code}: ${r.stderr}`);
    const csv = parseCsv(r.stdout);
    header = csv.header;
    tables[p] = csv.rows;
  }
  return { header, tables };
}

const sameTruth = (a: Truth, b: Truth) => PROTOCOLS.every((p) => keys(a.tables[p]).join('\n') === keys(b.tables[p]).join('\n'));

/** Distinct BIB entries (IPv4 Local address # L4-ID) of a session table. */
const bibKey = (r: string[]) => `${r[COL.v4Local]}#${r[COL.v4LocalId]}`;

// ---- pool4
type Ranges = Array<[number, number]>; // sorted, merged, inclusive
const POOL4_HEADER = 'Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed';

/** `jool pool4 display --PROTO --csv`: per address, the union of its entries' port ranges. */
async function takePool4(vm: Vm, instance: Instance, p: Protocol): Promise<Map<string, Ranges>> {
  const r = await vm.jool(['-i', instance.name, 'pool4', 'display', `--${p}`, '--csv'], instance.netns);
  if (r.code !== 0) throw new Error(`truth: jool pool4 display exited ${r.code}: ${r.stderr}`);
  const csv = parseCsv(r.stdout);
  expect(csv.header).toBe(POOL4_HEADER);
  const raw = new Map<string, Ranges>();
  for (const [, protocol, address, min, max] of csv.rows) {
    expect(protocol).toBe(p.toUpperCase());
    // Jool prints one row per address (a prefix only as ADDR/LEN, which this scenario never makes).
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    raw.set(address!, [...(raw.get(address!) ?? []), [Number(min), Number(max)]]);
  }
  const merged = new Map<string, Ranges>();
  for (const [address, ranges] of raw) {
    const out: Ranges = [];
    for (const [lo, hi] of ranges.sort((a, b) => a[0] - b[0])) {
      const last = out[out.length - 1];
      if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
      else out.push([lo, hi]);
    }
    merged.set(address, out);
  }
  return merged;
}

const portCount = (ranges: Ranges) => ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
const inRanges = (ranges: Ranges, port: number) => ranges.some(([lo, hi]) => port >= lo && port <= hi);

/** What the pool4 metrics of one protocol must say, from pool4 and the session table. */
function expectedPool4(pool4: Map<string, Ranges>, sessions: Table) {
  const used = new Map([...pool4.keys()].map((a) => [a, 0]));
  let outside = 0;
  for (const bib of new Set(sessions.map(bibKey))) {
    const [address, port] = bib.split('#') as [string, string];
    const ranges = pool4.get(address);
    if (ranges && inRanges(ranges, Number(port))) used.set(address, used.get(address)! + 1);
    else outside++;
  }
  const capacity = new Map([...pool4].map(([a, r]) => [a, portCount(r)]));
  const totalCapacity = [...capacity.values()].reduce((a, b) => a + b, 0);
  const totalUsed = [...used.values()].reduce((a, b) => a + b, 0);
  const maxAddress = Math.max(0, ...[...used].map(([a, u]) => u / capacity.get(a)!));
  return { capacity, used, outside, ratio: totalUsed / totalCapacity, maxAddress };
}

// ---- Jool's counters
async function takeStats(vm: Vm, instance: Instance): Promise<Map<string, number>> {
  const r = await vm.jool(['-i', instance.name, 'stats', 'display', '--csv', '--all'], instance.netns);
  if (r.code !== 0) throw new Error(`truth: jool stats display exited ${r.code}: ${r.stderr}`);
  const csv = parseCsv(r.stdout);
  expect(csv.header).toBe('Stat,Value');
  return new Map(csv.rows.map(([name, v]) => [name!, Number(v)]));
}

// ---- subscribers
/** The eight 16-bit groups of an IPv6 address in text form. */
function ipv6Groups(text: string): number[] {
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const part = (t: string) => (t === '' ? [] : t.split(':').map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`not an IPv6 address: ${text}`);
  return groups;
}

/** A canonical key of the /len prefix of an address (groups in hex, host bits zeroed). */
function prefixKey(address: string, len: number): string {
  return `${ipv6Groups(address)
    .map((g, i) => {
      const bits = Math.max(0, Math.min(16, len - 16 * i));
      return (bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff)).toString(16);
    })
    .join(':')}/${len}`;
}

/** The key of an exporter's `subscriber` label: ADDR (len 128) or PREFIX/len, host bits zero. */
function labelKey(label: string, len: number): string {
  const [address, given] = label.split('/') as [string, string | undefined];
  expect(given === undefined ? 128 : Number(given), `label ${label}`).toBe(len);
  const key = prefixKey(address, len);
  expect(key, `${label} has host bits set`).toBe(prefixKey(address, 128).replace(/\/128$/, `/${len}`));
  return key;
}

/** Per subscriber (prefixKey): sessions and distinct BIB entries. */
function expectedSubscribers(sessions: Table, len: number) {
  const count = new Map<string, number>();
  const bibs = new Map<string, Set<string>>();
  for (const r of sessions) {
    const k = prefixKey(r[COL.v6Remote]!, len);
    count.set(k, (count.get(k) ?? 0) + 1);
    bibs.set(k, (bibs.get(k) ?? new Set()).add(bibKey(r)));
  }
  return { count, bib: new Map([...bibs].map(([k, set]) => [k, set.size])) };
}

/** Checks every subscriber metric of one instance against its session tables. */
function checkSubscribers(samples: Sample[], instance: Instance, truth: Truth, len: number): void {
  for (const p of PROTOCOLS) {
    const labels = { jool_instance: instance.key, protocol: p };
    const want = expectedSubscribers(truth.tables[p], len);
    const where = `${instance.key} ${p} /${len}`;
    expect(value(samples, 'jool_session_subscribers', labels), where).toBe(want.count.size);
    expect(value(samples, 'jool_sessions_per_subscriber_count', labels), where).toBe(want.count.size);
    expect(value(samples, 'jool_sessions_per_subscriber_sum', labels), where).toBe(truth.tables[p].length);
    expect(value(samples, 'jool_bib_entries_per_subscriber_count', labels), where).toBe(want.count.size);
    // Each BIB entry belongs to one IPv6 transport address, so to one subscriber.
    expect(value(samples, 'jool_bib_entries_per_subscriber_sum', labels), where).toBe(distinct(truth.tables[p], bibKey));
    // With at most --clients.top subscribers, the "top" series list every one of them.
    expect(want.count.size, `${where}: more subscribers than --clients.top`).toBeLessThanOrEqual(CLIENTS_TOP);
    const top = (name: string) => new Map(find(samples, name, labels).map((s) => [labelKey(s.labels.subscriber!, len), s.value]));
    expect(top('jool_top_subscriber_sessions'), where).toEqual(want.count);
    expect(top('jool_top_subscriber_bib_entries'), where).toEqual(want.bib);
  }
}

/** Runs a command on the host; resolves with its exit status and output. */
function runHost(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    fs.writeSync(
      log,
      `# ${Object.entries(env)
        .map(([k, v]) => `${k}=${v} `)
        .join('')}node ${args.join(' ')}\n`,
    );
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

  /**
   * Metrics from a poll of `key` that started after this call: waits for two
   * more finished polls (the first may have started before).
   */
  async freshMetrics(key: string): Promise<Sample[]> {
    const polls = async () => value(await this.metrics(), 'jool_session_polls_total', { jool_instance: key }) ?? 0;
    const start = await polls();
    await this.waitFor(`two more polls of ${key}`, async () => (await polls()) >= start + 2);
    return this.metrics();
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
  // One exporter for both instances: "default" in the root namespace, "alt" in namespace alt.
  const main = new Exporter('main');
  const truth = {} as Record<string, Truth>;
  let failed = false;
  const timings: Record<string, number> = {};
  const suiteStarted = Date.now();

  const startExporter = async (e: Exporter, flags: string[], env?: Record<string, string>) => {
    exporters.push(e);
    await e.start(vm, flags, env);
  };

  /** Metrics plus truth taken just before and just after them, which must agree (the tables are static). */
  const metricsWithTruth = async (e: Exporter, instance: Instance) => {
    for (let attempt = 0; ; attempt++) {
      const before = await takeTruth(vm, instance);
      const samples = await e.metrics();
      const after = await takeTruth(vm, instance);
      if (sameTruth(before, after)) return { samples, truth: after };
      if (attempt === 2) throw new Error(`the session tables of ${instance.key} keep changing; the scenario should leave them static`);
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
      for (const instance of INSTANCES) truth[instance.key] = await takeTruth(vm, instance);
      t = Date.now();
      await startExporter(main, [`--jool.instance=${DEFAULT.key}`, `--jool.instance=${ALT.key}`], withIpStandIn());
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
    console.log(`e2e timings (ms): ${JSON.stringify({ ...timings, wholeSuite: Date.now() - suiteStarted })}`);
    if (failed) {
      console.error(vm.consoleLog());
      for (const e of exporters) console.error(e.log());
    }
  });

  describe('the channel (test/e2e/jool-vm, vm-exec, bin/ip)', () => {
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

    it("serves concurrent jool-vm processes, each with jool's exit status", async () => {
      const run = (args: string[], env: Record<string, string> = {}) => runHost(JOOL_VM, args, vm.env(env));
      const tcp = ['session', 'display', '--tcp', '--csv', '--numeric'];
      const results = await Promise.all([
        run(tcp),
        run(tcp),
        run(tcp),
        run(['-i', 'nope', ...tcp]),
        run(['-i', 'alt', ...tcp], { JOOL_VM_NETNS: 'alt' }),
      ]);
      for (const r of results.slice(0, 3)) {
        expect(r.code).toBe(0);
        expect(keys(parseCsv(r.stdout).rows)).toEqual(keys(truth.default!.tables.tcp));
      }
      expect(results[3]!.code).toBe(3); // missing instance: header on stdout, then exit 3
      expect(results[3]!.stdout).toBe(`${truth.default!.header}\n`);
      expect(results[4]!.code).toBe(0);
      expect(keys(parseCsv(results[4]!.stdout).rows)).toEqual(keys(truth[ALT.key]!.tables.tcp));
    });

    it('bin/ip runs `ip netns exec NS jool-vm ...` as JOOL_VM_NETNS=NS jool-vm ..., and refuses anything else', async () => {
      const env = vm.env();
      const udp = ['session', 'display', '--udp', '--csv', '--numeric'];
      const inAlt = await runHost(IP_STANDIN, ['netns', 'exec', 'alt', JOOL_VM, '-i', 'alt', ...udp], env);
      expect(inAlt.code, inAlt.stderr).toBe(0);
      expect(keys(parseCsv(inAlt.stdout).rows)).toEqual(keys(truth[ALT.key]!.tables.udp));
      // jool's own exit status comes through: "default" is not in namespace alt.
      const wrongNs = await runHost(IP_STANDIN, ['netns', 'exec', 'alt', JOOL_VM, '-i', 'default', ...udp], env);
      expect(wrongNs.code).toBe(3);
      for (const args of [['link'], ['netns', 'exec', 'alt', 'ls'], ['netns', 'list']]) {
        const r = await runHost(IP_STANDIN, args, env);
        expect(r.code, args.join(' ')).toBe(IP_STANDIN_REFUSED);
        expect(r.stderr).toMatch(/stand-in.*only 'ip netns exec NS/);
      }
    });
  });

  it('the scenario left sessions in all three tables of both instances, and "default" in all seven TCP states', () => {
    for (const instance of INSTANCES) {
      for (const p of PROTOCOLS) expect(truth[instance.key]!.tables[p].length, `${instance.key} ${p}`).toBeGreaterThan(0);
    }
    const tcp = truth.default!.tables.tcp;
    const states = Object.fromEntries(TCP_STATES.map((s) => [s, tcp.filter((r) => r[COL.state] === s).length]));
    console.log('TCP states of "default" in the VM:', states);
    for (const s of TCP_STATES) expect(states[s], s).toBeGreaterThan(0);
    // V4_INIT (IPv4 SYN to a static BIB entry, RST from the IPv6 side) lives on a 10 h TCP
    // timeout here, not on RFC 6146's 6 s TCP_INCOMING_SYN.
    for (const r of tcp.filter((row) => row[COL.state] === 'V4_INIT')) {
      const [h, m] = r[COL.expires]!.split(':').map(Number) as [number, number];
      expect(h * 60 + m, r.join(',')).toBeGreaterThan(9 * 60);
    }
  });

  for (const instance of INSTANCES) {
    const labelled = { jool_instance: instance.key };
    describe(`instance ${instance.key} (${instance.netns ? `namespace ${instance.netns}, through bin/ip` : 'root namespace'})`, () => {
      // One /metrics answer with the truth around it, for the checks that only read them
      // (each truth costs three jool calls, slow through `ip netns exec` under TCG).
      let snapshot: { samples: Sample[]; truth: Truth };
      beforeAll(async () => {
        try {
          snapshot = await metricsWithTruth(main, instance);
        } catch (e) {
          failed = true;
          throw e;
        }
      });

      it('jool_up is 1 and jool_sessions counts the rows of each table', async () => {
        const { samples, truth: t } = snapshot;
        expect(value(samples, 'jool_up', labelled)).toBe(1);
        for (const p of PROTOCOLS) {
          expect(value(samples, 'jool_sessions', { ...labelled, protocol: p }), p).toBe(t.tables[p].length);
        }
      });

      it('jool_tcp_sessions matches every TCP state', async () => {
        const { samples, truth: t } = snapshot;
        for (const state of TCP_STATES) {
          const expected = t.tables.tcp.filter((r) => r[COL.state] === state).length;
          const got = value(samples, 'jool_tcp_sessions', { ...labelled, state }) ?? 0;
          expect(got, state).toBe(expected);
        }
        // No state outside Jool's seven.
        for (const s of find(samples, 'jool_tcp_sessions', labelled)) {
          expect(TCP_STATES).toContain(s.labels.state);
        }
      });

      it('jool_bib_entries counts distinct IPv4 transport addresses (pool4 address, port)', async () => {
        const { samples, truth: t } = snapshot;
        for (const p of PROTOCOLS) {
          expect(value(samples, 'jool_bib_entries', { ...labelled, protocol: p }), p).toBe(distinct(t.tables[p], bibKey));
        }
        // The scenario shares BIB entries among sessions (one UDP socket, several destinations).
        if (instance === DEFAULT) expect(distinct(t.tables.udp, bibKey)).toBeLessThan(t.tables.udp.length);
      });

      it('jool_session_clients counts distinct IPv6 clients', async () => {
        const { samples, truth: t } = snapshot;
        for (const p of PROTOCOLS) {
          expect(value(samples, 'jool_session_clients', { ...labelled, protocol: p }), p).toBe(
            distinct(t.tables[p], (r) => r[COL.v6Remote]!),
          );
        }
      });

      it('jool_session_expiry_seconds has one observation per session, all within the 10 h timeout', async () => {
        const { samples, truth: t } = snapshot;
        for (const p of PROTOCOLS) {
          const labels = { ...labelled, protocol: p };
          const n = t.tables[p].length;
          expect(value(samples, 'jool_session_expiry_seconds_count', labels), p).toBe(n);
          expect(value(samples, 'jool_session_expiry_seconds_bucket', { ...labels, le: '+Inf' }), p).toBe(n);
          const sum = value(samples, 'jool_session_expiry_seconds_sum', labels)!;
          expect(sum, p).toBeGreaterThan(n * 9 * 3600);
          expect(sum, p).toBeLessThanOrEqual(n * 10 * 3600);
        }
      });

      it('subscribers (--clients.prefix-length=128): jool_session_subscribers, the per-subscriber histograms, the top subscribers', async () => {
        const { samples, truth: t } = snapshot;
        checkSubscribers(samples, instance, t, 128);
        // Spelled out for the busiest TCP client: the first "top" series is it, with its session count.
        const want = expectedSubscribers(t.tables.tcp, 128).count;
        const busiest = Math.max(...want.values());
        const top = find(samples, 'jool_top_subscriber_sessions', { ...labelled, protocol: 'tcp' });
        expect(top[0]!.value).toBe(busiest);
        expect(want.get(labelKey(top[0]!.labels.subscriber!, 128))).toBe(busiest);
      });

      it('pool4: jool_pool4_configured, _ports, _ports_used, _utilization_ratio, jool_bib_entries_outside_pool4 match pool4 display and the sessions', async () => {
        const pool4 = {} as Record<Protocol, Map<string, Ranges>>;
        for (const p of PROTOCOLS) pool4[p] = await takePool4(vm, instance, p);
        const { samples, truth: t } = snapshot;
        for (const p of PROTOCOLS) {
          const labels = { ...labelled, protocol: p };
          const want = expectedPool4(pool4[p], t.tables[p]);
          const where = `${instance.key} ${p}`;
          expect(value(samples, 'jool_pool4_configured', labels), where).toBe(1);
          const perAddress = (name: string) => new Map(find(samples, name, labels).map((s) => [s.labels.address!, s.value]));
          expect(perAddress('jool_pool4_ports'), where).toEqual(want.capacity);
          expect(perAddress('jool_pool4_ports_used'), where).toEqual(want.used);
          expect(value(samples, 'jool_pool4_utilization_ratio', labels), where).toBeCloseTo(want.ratio, 12);
          expect(value(samples, 'jool_pool4_address_max_utilization_ratio', labels), where).toBeCloseTo(want.maxAddress, 12);
          expect(value(samples, 'jool_bib_entries_outside_pool4', labels), where).toBe(want.outside);
          // Mark 0 only: no per-mark series.
          expect(find(samples, 'jool_pool4_mark_ports', labels), where).toEqual([]);
        }
        if (instance === DEFAULT) {
          // What the scenario made: 192.0.2.1 ports 10000-19999 per protocol, and one orphan
          // TCP BIB entry (192.0.2.1#5000, left by `pool4 remove --quick`) outside pool4.
          expect(pool4.tcp).toEqual(new Map([['192.0.2.1', [[10000, 19999]]]]));
          expect(expectedPool4(pool4.tcp, t.tables.tcp).outside).toBe(1);
          expect(expectedPool4(pool4.udp, t.tables.udp).outside).toBe(0);
        }
      });

      it("Jool's counters: jool_stats_total, jool_stats_sessions, jool_stats_bib_entries match stats display", async () => {
        const before = await takeStats(vm, instance);
        const samples = await main.freshMetrics(instance.key); // from a poll that started after `before`
        const after = await takeStats(vm, instance);
        const t = snapshot.truth; // static tables (checked when it was taken)

        const counters = find(samples, 'jool_stats_total', labelled);
        const names = [...after.keys()].filter((n) => !(n in GAUGE_STATS));
        expect(counters.map((s) => s.labels.stat).sort()).toEqual(names.sort());
        expect(names.length).toBeGreaterThan(50); // --all: the zeros too
        for (const s of counters) {
          const stat = s.labels.stat!;
          expect(s.value, stat).toBeGreaterThanOrEqual(before.get(stat)!);
          expect(s.value, stat).toBeLessThanOrEqual(after.get(stat)!);
        }
        const moved = names.filter((n) => after.get(n) !== before.get(n)).map((n) => `${n} ${before.get(n)}..${after.get(n)}`);
        console.log(`${instance.key}: counters that moved while the test read them: ${moved.join(', ') || 'none'}`);
        expect(after.get('JSTAT_SUCCESS')).toBeGreaterThan(0);

        // The two current counts are gauges, equal to the tables (which are static).
        for (const [stat, metric] of Object.entries(GAUGE_STATS)) {
          expect(before.get(stat), stat).toBe(after.get(stat));
          expect(value(samples, metric, labelled), metric).toBe(after.get(stat));
          expect(find(samples, 'jool_stats_total', { ...labelled, stat }), stat).toEqual([]);
        }
        const sessions = PROTOCOLS.reduce((n, p) => n + (value(samples, 'jool_sessions', { ...labelled, protocol: p }) ?? NaN), 0);
        expect(value(samples, 'jool_stats_sessions', labelled)).toBe(sessions);
        expect(sessions).toBe(PROTOCOLS.reduce((n, p) => n + t.tables[p].length, 0));
        // Every BIB entry of the scenario, the static ones included, has a session: Jool's BIB
        // count is then the sum of the distinct (address, port) of the sessions.
        const bibs = PROTOCOLS.reduce((n, p) => n + (value(samples, 'jool_bib_entries', { ...labelled, protocol: p }) ?? NaN), 0);
        expect(value(samples, 'jool_stats_bib_entries', labelled)).toBe(bibs);
      });

      for (const p of PROTOCOLS) {
        it(`/sessions.csv?instance=${instance.key}&protocol=${p} has the rows jool prints`, async () => {
          for (let attempt = 0; ; attempt++) {
            const before = await takeTruth(vm, instance);
            const r = await main.get(`/sessions.csv?instance=${instance.key}&protocol=${p}`);
            const after = await takeTruth(vm, instance);
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
  }

  it('instance alt is invisible from the root namespace: jool exits 3 there', async () => {
    const r = await vm.jool(['-i', 'alt', 'session', 'display', '--csv', '--numeric']);
    expect(r.code).toBe(3);
  });

  describe('discovery (--jool.instance=*)', () => {
    it('`jool instance display` (root namespace) lists both instances, each with its namespace id', async () => {
      const r = await vm.jool(['instance', 'display', '--csv']);
      expect(r.code).toBe(0);
      const csv = parseCsv(r.stdout);
      expect(csv.header).toBe('Namespace,Name,Framework');
      expect(csv.rows.map((row) => row[1]).sort()).toEqual(['alt', 'default']);
      expect(new Set(csv.rows.map((row) => row[0])).size).toBe(2);
    });

    it('with --jool.netns=alt: finds "default" and "alt@alt", polls both, none unreachable; subscribers per /64', async () => {
      const e = new Exporter('discover');
      const t = Date.now();
      await startExporter(e, ['--jool.instance=*', '--jool.netns=alt', '--clients.prefix-length=64'], withIpStandIn());
      await e.waitReady();
      timings.discoveryReady = Date.now() - t;
      const samples = await e.metrics();
      expect(
        find(samples, 'jool_up', {})
          .map((s) => s.labels.jool_instance)
          .sort(),
      ).toEqual([ALT.key, DEFAULT.key]);
      for (const instance of INSTANCES) expect(value(samples, 'jool_up', { jool_instance: instance.key }), instance.key).toBe(1);
      expect(value(samples, 'jool_instances_unreachable', {})).toBe(0);
      expect(value(samples, 'jool_instance_discovery_failures_total', {})).toBe(0);
      expect(value(samples, 'jool_instance_discovery_runs_total', {})).toBeGreaterThan(0);

      for (const instance of INSTANCES) {
        const { samples: s, truth: tr } = await metricsWithTruth(e, instance);
        for (const p of PROTOCOLS) {
          expect(value(s, 'jool_sessions', { jool_instance: instance.key, protocol: p }), `${instance.key} ${p}`).toBe(tr.tables[p].length);
        }
        checkSubscribers(s, instance, tr, 64);
      }
      // The scenario has a client in a second /64 (2001:db8:1:1::10): two TCP subscribers of "default".
      expect(expectedSubscribers(truth.default!.tables.tcp, 64).count.size).toBe(2);
      await e.stop();
    });

    it('without --jool.netns: "alt" is unreachable (jool_instances_unreachable 1) and not polled', async () => {
      const e = new Exporter('discover-no-netns');
      await startExporter(e, ['--jool.instance=*']);
      await e.waitReady();
      await e.waitFor('a discovery run', async () => (value(await e.metrics(), 'jool_instance_discovery_runs_total', {}) ?? 0) > 0);
      const samples = await e.metrics();
      expect(value(samples, 'jool_instances_unreachable', {})).toBe(1);
      expect(value(samples, 'jool_instance_discovery_failures_total', {})).toBe(0);
      expect(value(samples, 'jool_up', { jool_instance: 'default' })).toBe(1);
      const instances = new Set(samples.map((s) => s.labels.jool_instance).filter((i) => i !== undefined));
      expect([...instances]).toEqual(['default']);
      expect(e.log()).toMatch(/not polled.*instance=alt/);
      await e.stop();
    });
  });

  describe('failures', () => {
    it('a missing instance: jool prints the header and exits 3; jool_up 0, a poll failure with reason="exit"', async () => {
      const r = await vm.jool(['-i', 'nope', 'session', 'display', '--tcp', '--csv', '--numeric']);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(`${truth.default!.header}\n`);
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

    it("a static BIB entry outside pool4 is refused (exit 22); the scenario's orphan is what `pool4 remove --quick` left", async () => {
      const r = await vm.jool(['-i', 'default', 'bib', 'add', '--tcp', '2001:db8:1::12#8002', '192.0.2.1#5001']);
      expect(r.code).toBe(22);
      expect(r.stderr).toMatch(/does not belong to pool4/);
    });

    // Last: it unloads the module.
    it('the module unloaded: jool exits 22 (jool.ko gone), then 253 (jool_common.ko gone too); jool_up 0', async () => {
      const up = async (key: string) => value(await main.metrics(), 'jool_up', { jool_instance: key });
      for (const instance of INSTANCES) expect(await up(instance.key), instance.key).toBe(1);

      // jool_common.ko owns the generic netlink family, jool.ko the NAT64:
      // without jool.ko the kernel answers "NAT64 Jool has not been modprobed"
      // (exit 22); without both, the family is gone (exit 253).
      expect((await vm.exec(['rmmod', 'jool'])).code).toBe(0);
      const r22 = await vm.jool(['session', 'display', '--csv', '--numeric']);
      expect(r22.code).toBe(22);
      for (const instance of INSTANCES) {
        await main.waitFor(`jool_up 0 for ${instance.key} after rmmod jool`, async () => (await up(instance.key)) === 0);
      }
      // The failed poll dropped the instance's table-derived series, pool4 and counters too.
      const down = await main.metrics();
      for (const name of ['jool_sessions', 'jool_pool4_ports', 'jool_stats_total', 'jool_stats_sessions', 'jool_session_subscribers']) {
        expect(find(down, name, { jool_instance: 'default' }), name).toEqual([]);
      }

      expect((await vm.exec(['rmmod', 'jool_common'])).code).toBe(0);
      const r253 = await vm.jool(['session', 'display', '--csv', '--numeric']);
      expect(r253.code).toBe(253);
      expect(r253.stdout).toBe('');
      expect(r253.stderr).toMatch(/socket family doesn't seem to exist/);
      const failuresBefore =
        value(await main.metrics(), 'jool_session_poll_failures_total', { jool_instance: 'default', reason: 'exit' }) ?? 0;
      await main.waitFor('another failed poll after rmmod jool_common', async () => {
        const s = await main.metrics();
        return (value(s, 'jool_session_poll_failures_total', { jool_instance: 'default', reason: 'exit' }) ?? 0) > failuresBefore;
      });
      const samples = await main.metrics();
      for (const instance of INSTANCES) expect(value(samples, 'jool_up', { jool_instance: instance.key }), instance.key).toBe(0);
    });
  });
});
