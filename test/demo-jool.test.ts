import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDemoJool, type DemoJoolRunner, type DemoOptions, formatExpires, formatIPv6 } from '../src/demo/demo-jool.js';
import { SESSION_CSV_HEADER, TCP_STATES } from '../src/model.js';

// ---------------------------------------------------------------------------
// Shapes of the real jool 4.1.9 output, derived from captures-4.1.9
// (session-*.csv, pool4-*.csv, stats-all.csv, instance.csv, bib-*.csv). The
// last describe block checks these same regexes against the captures when
// ../shared is around, so they cannot drift into describing only the demo.

const PORT = String.raw`(?:0|[1-9]\d{0,4})`;
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = String.raw`(?:${OCTET}\.){3}${OCTET}`;
const IPV6 = String.raw`[0-9a-f:]+`; // plus isCanonicalIPv6()
const EXPIRES = String.raw`(?:0|[1-9]\d*):[0-5]\d:[0-5]\d(?:\.\d{3})?`;
const STATE = TCP_STATES.join('|');
const ENDPOINTS = `(${IPV6}),(${PORT}),(${IPV6}),(${PORT}),(${IPV4}),(${PORT}),(${IPV4}),(${PORT}),(${EXPIRES})`;
const SESSION_ROW = {
  tcp: new RegExp(`^TCP,${ENDPOINTS},(${STATE})$`),
  udp: new RegExp(`^UDP,${ENDPOINTS}$`),
  icmp: new RegExp(`^ICMP,${ENDPOINTS}$`),
} as const;
const POOL4_HEADER = 'Mark,Protocol,Address,Min port,Max port,Iterations,Iterations fixed';
const POOL4_ROW = new RegExp(`^(\\d+),(TCP|UDP|ICMP),(${IPV4}),(${PORT}),(${PORT}),(\\d+|infinite),([01])$`);
const STATS_ROW = /^(JSTAT\w+),(0|[1-9]\d*)$/;
const INSTANCE_HEADER = 'Namespace,Name,Framework';
const INSTANCE_ROW = /^([0-9a-f]+),([\x20-\x2b\x2d-\x7e]{1,15}),(netfilter|iptables)$/;
const BIB_HEADER = 'Protocol,IPv6 Address,IPv6 L4-ID,IPv4 Address,IPv4 L4-ID,Static?';
const BIB_ROW = new RegExp(`^(TCP|UDP|ICMP),(${IPV6}),(${PORT}),(${IPV4}),(${PORT}),([01])$`);

/** The counters of `jool stats display --csv --all`, in 4.1.9's order: read from the real capture. */
const JSTAT_ORDER = readFileSync(fileURLToPath(new URL('./fixtures/jool-4.1.9/stats-all.csv', import.meta.url)), 'latin1')
  .split('\n')
  .slice(1)
  .filter(Boolean)
  .map((row) => row.split(',')[0]);
/** Jool reports these two as current counts, not running totals. */
const GAUGES = new Set(['JSTAT_BIB_ENTRIES', 'JSTAT_SESSIONS']);

/** RFC 5952 form, checked with WHATWG URL's serializer rather than the code under test. */
function isCanonicalIPv6(address: string): boolean {
  try {
    return new URL(`http://[${address}]/`).hostname === `[${address}]`;
  } catch {
    return false;
  }
}

function expandIPv6(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return words.map((w) => parseInt(w, 16));
}

function ipv4ToNumber(dotted: string): number {
  return dotted.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** What jool prints for 64:ff9b::/96 + the IPv4 address. */
function pool6Address(dotted: string): string {
  const n = ipv4ToNumber(dotted);
  const canonical = new URL(`http://[64:ff9b::${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}]/`).hostname;
  return canonical.slice(1, -1);
}

function expiresToMs(text: string): number {
  const m = /^(\d+):(\d\d):(\d\d)(?:\.(\d{3}))?$/.exec(text)!;
  return Number(m[1]) * 3_600_000 + Number(m[2]) * 60_000 + Number(m[3]) * 1000 + Number(m[4] ?? 0);
}

// ---------------------------------------------------------------------------
// Harness

const EPOCH = Date.UTC(2025, 2, 3, 8, 0, 0);
const MIN = 60_000;

function demo(options: DemoOptions = {}): { jool: DemoJoolRunner; clock: { t: number } } {
  const clock = { t: EPOCH };
  return { jool: createDemoJool({ now: () => clock.t, ...options }), clock };
}

interface Run {
  readonly stdout: string;
  readonly chunks: readonly Buffer[];
  readonly exit: Awaited<ReturnType<DemoJoolRunner>['exit']>;
}

async function run(jool: DemoJoolRunner, args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  const call = jool(args, { timeoutMs });
  const chunks: Buffer[] = [];
  for await (const chunk of call.stdout) chunks.push(chunk);
  const exit = await call.exit;
  return { stdout: Buffer.concat(chunks).toString('latin1'), chunks, exit };
}

const lines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

interface Session {
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly v6: string;
  readonly v6port: number;
  readonly local6: string;
  readonly local6port: number;
  readonly v4: string;
  readonly v4port: number;
  readonly remote4: string;
  readonly remote4port: number;
  readonly expires: string;
  readonly expiresMs: number;
  readonly state?: string;
  /** The session's identity: both transport addresses on the IPv6 side (as Jool keys it). */
  readonly key: string;
}

function parseSessions(proto: Session['proto'], csv: string, header = true): Session[] {
  const rows = lines(csv);
  if (header) expect(rows.shift()).toBe(SESSION_CSV_HEADER);
  return rows.map((row) => {
    const f = SESSION_ROW[proto].exec(row);
    if (f === null) expect.fail(`not a jool ${proto} session row: ${JSON.stringify(row)}`);
    return {
      proto,
      v6: f[1]!,
      v6port: Number(f[2]),
      local6: f[3]!,
      local6port: Number(f[4]),
      v4: f[5]!,
      v4port: Number(f[6]),
      remote4: f[7]!,
      remote4port: Number(f[8]),
      expires: f[9]!,
      expiresMs: expiresToMs(f[9]!),
      ...(proto === 'tcp' ? { state: f[10]! } : {}),
      key: `${f[1]}#${f[2]}>${f[3]}#${f[4]}`,
    };
  });
}

async function sessions(jool: DemoJoolRunner, proto: Session['proto'], instance?: string): Promise<Session[]> {
  const r = await run(jool, [...(instance ? ['-i', instance] : []), 'session', 'display', `--${proto}`, '--csv', '--numeric']);
  expect(r.exit).toMatchObject({ exitCode: 0, signal: null, stderr: '' });
  return parseSessions(proto, r.stdout);
}

async function stats(jool: DemoJoolRunner): Promise<Map<string, number>> {
  const r = await run(jool, ['stats', 'display', '--csv', '--all']);
  expect(r.exit.exitCode).toBe(0);
  const rows = lines(r.stdout);
  expect(rows.shift()).toBe('Stat,Value');
  return new Map(
    rows.map((row) => {
      const m = STATS_ROW.exec(row);
      if (m === null) expect.fail(`not a jool stats row: ${row}`);
      return [m[1]!, Number(m[2])];
    }),
  );
}

const TIMEOUT_MS = { tcp: 2 * 3_600_000, udp: 5 * MIN, icmp: MIN };
const TRANSITORY = new Set(['V4_INIT', 'V6_INIT', 'V4_FIN_V6_FIN_RCV', 'TRANS']);

// ---------------------------------------------------------------------------

describe('formatting helpers', () => {
  it('prints "Expires in" like Jool 4 (H:MM:SS, .mmm only when not zero, hours unpadded)', () => {
    expect(formatExpires(0)).toBe('0:00:00');
    expect(formatExpires(7_180_000)).toBe('1:59:40');
    expect(formatExpires(7_180_344)).toBe('1:59:40.344');
    expect(formatExpires(359_949_928)).toBe('99:59:09.928');
    expect(formatExpires(4_294_916_860)).toBe('1193:01:56.860');
    expect(formatExpires(5 * MIN + 7)).toBe('0:05:00.007');
  });

  it('prints IPv6 addresses like inet_ntop (RFC 5952)', () => {
    expect(formatIPv6([0x64, 0xff9b, 0, 0, 0, 0, 0xc633, 0x6401])).toBe('64:ff9b::c633:6401');
    expect(formatIPv6([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x205])).toBe('64:ff9b::c000:205');
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa])).toBe('2001:db8::a');
    expect(formatIPv6([0x2001, 0xdb8, 0, 0x1200, 0, 0, 0, 1])).toBe('2001:db8:0:1200::1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(formatIPv6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x201])).toBe('::ffff:192.0.2.1');
  });
});

describe('demo jool: argv and output shapes', () => {
  let jool: DemoJoolRunner;
  beforeAll(() => {
    ({ jool } = demo({ rampMs: 0 }));
  });

  it('answers --version', async () => {
    const r = await run(jool, ['--version']);
    expect(r.stdout).toBe('4.1.9.0\n');
    expect(r.exit).toMatchObject({ exitCode: 0, signal: null, stderr: '' });
  });

  for (const proto of ['tcp', 'udp', 'icmp'] as const) {
    it(`prints the ${proto.toUpperCase()} session table with Jool's header and row format`, async () => {
      const r = await run(jool, ['session', 'display', `--${proto}`, '--csv', '--numeric']);
      expect(r.exit).toMatchObject({ exitCode: 0, signal: null, stderr: '' });
      expect(r.stdout.startsWith(`${SESSION_CSV_HEADER}\n`)).toBe(true);
      expect(r.stdout.endsWith('\n')).toBe(true);
      const rows = lines(r.stdout).slice(1);
      expect(rows.length).toBeGreaterThan(proto === 'icmp' ? 20 : 500);
      for (const row of rows) expect(row.split(',')).toHaveLength(proto === 'tcp' ? 11 : 10);

      const list = parseSessions(proto, r.stdout);
      const pool4 = lines((await run(jool, ['pool4', 'display', `--${proto}`, '--csv', '--no-headers'])).stdout).map((row) =>
        row.split(','),
      );
      for (const s of list) {
        expect(isCanonicalIPv6(s.v6), s.v6).toBe(true);
        expect(s.v6.startsWith('2001:db8:')).toBe(true);
        expect(s.local6).toBe(pool6Address(s.remote4));
        expect(s.remote4).toMatch(/^(198\.51\.100|203\.0\.113)\./);
        expect(pool4.some(([, , addr, min, max]) => addr === s.v4 && s.v4port >= Number(min) && s.v4port <= Number(max))).toBe(true);
        if (proto === 'icmp') {
          // The ICMP identifier stands in for the port on each side.
          expect(s.local6port).toBe(s.v6port);
          expect(s.remote4port).toBe(s.v4port);
        } else {
          expect(s.local6port).toBe(s.remote4port);
        }
        if (s.expires.includes('.')) expect(s.expires.endsWith('.000')).toBe(false);
        expect(s.expiresMs).toBeGreaterThan(0);
        const limit = proto === 'tcp' && TRANSITORY.has(s.state!) ? 4 * MIN : TIMEOUT_MS[proto];
        expect(s.expiresMs, `${s.state} ${s.expires}`).toBeLessThanOrEqual(limit);
      }
      // Jool dumps by IPv4 transport address, then by remote.
      const order = list.map((s) => [ipv4ToNumber(s.v4), s.v4port, ipv4ToNumber(s.remote4), s.remote4port]);
      const sorted = [...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]! || a[3]! - b[3]!);
      expect(order).toEqual(sorted);
      // Both "Expires in" variants occur, as in the captures.
      expect(list.some((s) => s.expires.includes('.'))).toBe(true);
      if (proto === 'tcp') expect(new Set(list.map((s) => s.state))).toEqual(new Set(TCP_STATES));
    });
  }

  it('prints the same bytes whatever the chunk size (a chunk may end inside a BIB entry)', async () => {
    const clock = { t: EPOCH };
    const big = createDemoJool({ now: () => clock.t, rampMs: 0 });
    const small = createDemoJool({ now: () => clock.t, rampMs: 0, chunkBytes: 1024 });
    for (const proto of ['tcp', 'udp', 'icmp']) {
      const args = ['session', 'display', `--${proto}`, '--csv', '--numeric'];
      const a = await run(big, args);
      const b = await run(small, args);
      expect(b.stdout).toBe(a.stdout);
      expect(b.chunks.length).toBeGreaterThan(a.chunks.length);
      for (const chunk of b.chunks) expect(chunk.length).toBeLessThan(1024 + 256);
    }
  });

  it('defaults to the TCP table and drops exactly the header with --no-headers', async () => {
    const plain = await run(jool, ['session', 'display', '--csv', '--numeric']);
    const tcp = await run(jool, ['session', 'display', '--tcp', '--csv', '--numeric']);
    const bare = await run(jool, ['session', 'display', '--csv', '--numeric', '--no-headers']);
    expect(plain.stdout).toBe(tcp.stdout);
    expect(bare.stdout).toBe(plain.stdout.slice(SESSION_CSV_HEADER.length + 1));
  });

  it('prints pool4 like Jool: per-protocol ranges on 192.0.2.1-4, Max Iterations auto', async () => {
    for (const proto of ['tcp', 'udp', 'icmp']) {
      const r = await run(jool, ['pool4', 'display', `--${proto}`, '--csv']);
      expect(r.exit.exitCode).toBe(0);
      const rows = lines(r.stdout);
      expect(rows.shift()).toBe(POOL4_HEADER);
      expect(rows.map((row) => row.split(',')[2])).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
      for (const row of rows) {
        const m = POOL4_ROW.exec(row)!;
        expect(m, row).not.toBeNull();
        expect(m[2]).toBe(proto.toUpperCase());
        expect(Number(m[4])).toBeLessThan(Number(m[5]));
        expect(`${m[1]},${m[6]},${m[7]}`).toBe('0,1024,0');
      }
      expect((await run(jool, ['pool4', 'display', `--${proto}`, '--csv', '--no-headers'])).stdout).toBe(
        rows.map((row) => `${row}\n`).join(''),
      );
    }
    expect((await run(jool, ['pool4', 'display', '--csv'])).stdout).toContain('0,TCP,192.0.2.1,');
  });

  it('prints all 69 counters in Jool order with --all, and only the non-zero ones without it', async () => {
    const r = await run(jool, ['stats', 'display', '--csv', '--all']);
    const rows = lines(r.stdout);
    expect(rows.shift()).toBe('Stat,Value');
    for (const row of rows) expect(row).toMatch(STATS_ROW);
    expect(rows.map((row) => row.split(',')[0])).toEqual(JSTAT_ORDER);
    const nonZero = rows.filter((row) => !row.endsWith(',0'));
    expect(lines((await run(jool, ['stats', 'display', '--csv'])).stdout)).toEqual(['Stat,Value', ...nonZero]);
    expect((await run(jool, ['stats', 'display', '--csv', '--all', '--no-headers'])).stdout).toBe(rows.map((row) => `${row}\n`).join(''));
  });

  it('lists its instance(s)', async () => {
    const r = await run(jool, ['instance', 'display', '--csv']);
    const rows = lines(r.stdout);
    expect(rows.shift()).toBe(INSTANCE_HEADER);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(INSTANCE_ROW);
    expect(rows[0]).toMatch(/,default,netfilter$/);
    expect((await run(jool, ['instance', 'display', '--csv', '--no-headers'])).stdout).toBe(`${rows[0]}\n`);
  });

  it('prints the BIB (bib display), one entry per IPv4 transport address', async () => {
    const r = await run(jool, ['bib', 'display', '--udp', '--csv', '--numeric']);
    const rows = lines(r.stdout);
    expect(rows.shift()).toBe(BIB_HEADER);
    for (const row of rows) expect(row).toMatch(BIB_ROW);
    expect(new Set(rows.map((row) => row.split(',').slice(3, 5).join('#'))).size).toBe(rows.length);
  });

  it('prints the text formats too', async () => {
    const tcp = lines((await run(jool, ['session', 'display', '--numeric'])).stdout);
    expect(tcp[0]).toBe('---------------------------------');
    expect(tcp[1]).toMatch(new RegExp(`^\\((${STATE})\\) Expires in ${EXPIRES}$`));
    expect(tcp[2]).toMatch(new RegExp(`^Remote: ${IPV4}#${PORT}\\t${IPV6}#${PORT}$`));
    expect(tcp[3]).toMatch(new RegExp(`^Local: ${IPV4}#${PORT}\\t${IPV6}#${PORT}$`));
    expect(tcp[4]).toBe('---------------------------------');
    const stats = lines((await run(jool, ['stats', 'display'])).stdout);
    for (const row of stats) expect(row).toMatch(/^JSTAT\w+: [1-9]\d*$/);
    const pool4 = (await run(jool, ['pool4', 'display', '--udp'])).stdout;
    expect(pool4).toContain('|          0 |   UDP |       1024 ( auto) |       192.0.2.1 |  1024- 1279 |\n');
  });

  it('accepts the argv spellings the real client does', async () => {
    const reference = (await run(jool, ['session', 'display', '--udp', '--csv', '--numeric'])).stdout;
    for (const args of [
      ['-i', 'default', 'session', 'display', '--udp', '--csv', '--numeric'],
      ['--instance', 'default', 'session', 'display', '--csv', '--udp', '--numeric'],
      ['--instance=default', 'session', 'display', '-u', '--csv', '--numeric'],
      ['-idefault', 'se', 'disp', '--numeric', '--cs', '--udp'],
    ]) {
      const r = await run(jool, args);
      expect(r.exit, args.join(' ')).toMatchObject({ exitCode: 0, stderr: '' });
      expect(r.stdout, args.join(' ')).toBe(reference);
    }
  });
});

describe('demo jool: failures like the real client', () => {
  let jool: DemoJoolRunner;
  beforeAll(() => {
    ({ jool } = demo());
  });
  const missing = "Error: The kernel module returned error 3: This namespace lacks an instance named 'nope'.\n";

  it('unknown instance: header on stdout, then error 3', async () => {
    for (const args of [
      ['-i', 'nope', 'session', 'display', '--csv', '--numeric'],
      ['--instance=nope', 'session', 'display', '--udp', '--csv', '--numeric'],
    ]) {
      const r = await run(jool, args);
      expect(r.stdout).toBe(`${SESSION_CSV_HEADER}\n`);
      expect(r.exit).toMatchObject({ exitCode: 3, signal: null, stderr: missing });
    }
    const noHeaders = await run(jool, ['-i', 'nope', 'session', 'display', '--csv', '--no-headers']);
    expect(noHeaders.stdout).toBe('');
    expect(noHeaders.exit.exitCode).toBe(3);
    const st = await run(jool, ['-i', 'nope', 'stats', 'display', '--csv']);
    expect(st.stdout).toBe('Stat,Value\n');
    expect(st.exit).toMatchObject({ exitCode: 3, stderr: missing });
    const p4 = await run(jool, ['-i', 'nope', 'pool4', 'display', '--csv']);
    expect(p4.stdout).toBe(`${POOL4_HEADER}\n`);
    expect(p4.exit.exitCode).toBe(3);
  });

  it('instance name over 15 characters: header, then exit 234', async () => {
    const r = await run(jool, ['-i', 'this-name-is-way-too-long', 'session', 'display', '--csv']);
    expect(r.stdout).toBe(`${SESSION_CSV_HEADER}\n`);
    expect(r.exit).toMatchObject({
      exitCode: 234,
      stderr: 'Error: The instance name must be a null-terminated ascii string, 15 characters max.\n',
    });
  });

  it("unknown option: exit 64 with argp's message, nothing on stdout", async () => {
    const r = await run(jool, ['session', 'display', '--bogus']);
    expect(r.stdout).toBe('');
    expect(r.exit).toMatchObject({
      exitCode: 64,
      signal: null,
      stderr: "display: unrecognized option '--bogus'\nTry `display --help' or `display --usage' for more information.\n",
    });
    const short = await run(jool, ['session', 'display', '--csv', '-x']);
    expect(short.exit).toMatchObject({ exitCode: 64, stderr: expect.stringMatching(/^display: invalid option -- 'x'\n/) });
    const extra = await run(jool, ['session', 'display', 'extra']);
    expect(extra.exit).toMatchObject({ exitCode: 64, stderr: expect.stringMatching(/^display: Too many arguments\n/) });
    const numeric = await run(jool, ['pool4', 'display', '--numeric']);
    expect(numeric.exit).toMatchObject({ exitCode: 64, stderr: expect.stringMatching(/unrecognized option '--numeric'/) });
  });

  it('two protocols, unknown or missing mode: exit 234', async () => {
    const two = await run(jool, ['session', 'display', '--tcp', '--udp']);
    expect(two.stdout).toBe('');
    expect(two.exit).toMatchObject({ exitCode: 234, stderr: 'Error: Only one protocol is allowed per request.\n' });
    const token = await run(jool, ['sesion', 'display']);
    expect(token.exit).toMatchObject({ exitCode: 234, stderr: expect.stringMatching(/^Unexpected token: 'sesion'\n/) });
    const ambiguous = await run(jool, ['s', 'display']);
    expect(ambiguous.exit).toMatchObject({ exitCode: 234, stderr: "Ambiguous token: 's'\nAvailable options: stats session \n" });
    const short = await run(jool, ['session']);
    expect(short.exit).toMatchObject({ exitCode: 234, stderr: 'More arguments expected.\nPossible follow-ups: display \n' });
  });

  it('bare jool prints its help and exits 0; write operations are refused', async () => {
    const bare = await run(jool, []);
    expect(bare.exit.exitCode).toBe(0);
    expect(bare.stdout).toMatch(/^Usage\n=====\njool \(/);
    const add = await run(jool, ['pool4', 'add', '--tcp', '192.0.2.9', '1-2']);
    expect(add.exit.exitCode).toBe(64);
  });
});

describe('demo jool: the simulation', () => {
  it('is deterministic under a seed and differs across seeds', async () => {
    const a = demo({ seed: 7 });
    const b = demo({ seed: 7 });
    const c = demo({ seed: 8 });
    for (const step of [0, 45_000, 10 * MIN]) {
      for (const x of [a, b, c]) x.clock.t = EPOCH + step;
      for (const args of [
        ['session', 'display', '--tcp', '--csv', '--numeric'],
        ['session', 'display', '--udp', '--csv', '--numeric'],
        ['session', 'display', '--icmp', '--csv', '--numeric'],
        ['stats', 'display', '--csv', '--all'],
        ['instance', 'display', '--csv'],
      ]) {
        const [ra, rb, rc] = await Promise.all([run(a.jool, args), run(b.jool, args), run(c.jool, args)]);
        expect(ra.stdout).toBe(rb.stdout);
        if (args[0] === 'session') expect(ra.stdout).not.toBe(rc!.stdout);
      }
    }
  });

  it('keeps endpoint-independent mappings: one IPv6 transport address, one IPv4 transport address', async () => {
    const { jool } = demo({ rampMs: 0 });
    for (const proto of ['tcp', 'udp', 'icmp'] as const) {
      const list = await sessions(jool, proto);
      const forward = new Map<string, string>();
      const backward = new Map<string, string>();
      for (const s of list) {
        const six = `${s.v6}#${s.v6port}`;
        const four = `${s.v4}#${s.v4port}`;
        expect(forward.get(six) ?? four, `${proto} ${six}`).toBe(four);
        expect(backward.get(four) ?? six, `${proto} ${four}`).toBe(six);
        forward.set(six, four);
        backward.set(four, six);
      }
      expect(new Set(list.map((s) => s.key)).size).toBe(list.length);
      // Several sessions share a BIB entry (a peer-to-peer port talks to many remotes, Windows pings use id 1).
      expect(forward.size).toBeLessThan(proto === 'udp' ? list.length * 0.9 : list.length);
      // `bib display` lists exactly those entries, plus static ones without sessions.
      const bib = lines((await run(jool, ['bib', 'display', `--${proto}`, '--csv', '--numeric', '--no-headers'])).stdout);
      const mapped = new Set(bib.map((row) => row.split(',')).map((f) => `${f[1]}#${f[2]}=${f[3]}#${f[4]}`));
      for (const [six, four] of forward) expect(mapped.has(`${six}=${four}`)).toBe(true);
      // Dynamic entries live exactly as long as their sessions.
      const dynamic = bib.filter((row) => row.endsWith(',0')).map((row) => row.split(',').slice(1, 3).join('#'));
      for (const six of dynamic) expect(forward.has(six), six).toBe(true);
      expect(bib.length).toBeGreaterThanOrEqual(forward.size);
    }
  });

  it('models subscribers: /56 prefixes with several hosts, a few heavy ones', async () => {
    const { jool } = demo({ rampMs: 0 });
    const all = [...(await sessions(jool, 'tcp')), ...(await sessions(jool, 'udp')), ...(await sessions(jool, 'icmp'))];
    const prefix56 = (address: string): string => {
      const w = expandIPv6(address);
      return `${w[0]}:${w[1]}:${w[2]}:${w[3]! >> 8}`;
    };
    const bySubscriber = new Map<string, { sessions: number; hosts: Set<string> }>();
    for (const s of all) {
      const p = prefix56(s.v6);
      const entry = bySubscriber.get(p) ?? { sessions: 0, hosts: new Set() };
      entry.sessions++;
      entry.hosts.add(s.v6);
      bySubscriber.set(p, entry);
    }
    const hosts = new Set(all.map((s) => s.v6));
    expect(hosts.size).toBeGreaterThan(100);
    expect(bySubscriber.size).toBeGreaterThan(20);
    expect(bySubscriber.size).toBeLessThan(hosts.size / 2);
    expect([...bySubscriber.values()].filter((e) => e.hosts.size >= 3).length).toBeGreaterThan(5);
    const counts = [...bySubscriber.values()].map((e) => e.sessions).sort((x, y) => y - x);
    const mean = all.length / counts.length;
    expect(counts[0]!).toBeGreaterThan(4 * mean);
  });

  it('moves on with the clock: sessions expire, new ones appear, TCP states advance legally', async () => {
    const { jool, clock } = demo({ rampMs: 0 });
    // Where a state can be 20 s later (RFC 6146 plus Jool's probe of an expired ESTABLISHED session).
    const reachable: Record<string, readonly string[]> = {
      V6_INIT: ['V6_INIT', 'ESTABLISHED', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'],
      V4_INIT: ['V4_INIT', 'ESTABLISHED', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'],
      ESTABLISHED: ['ESTABLISHED', 'V4_FIN_RCV', 'V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'],
      V4_FIN_RCV: ['V4_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'],
      V6_FIN_RCV: ['V6_FIN_RCV', 'V4_FIN_V6_FIN_RCV', 'TRANS'],
      V4_FIN_V6_FIN_RCV: ['V4_FIN_V6_FIN_RCV'],
      TRANS: ['TRANS', 'ESTABLISHED'],
    };
    let before = new Map((await sessions(jool, 'tcp')).map((s) => [s.key, s]));
    const moves = new Map<string, number>();
    // Handshakes take milliseconds, closes and probes take longer: look closely first, then from afar.
    const steps = [...Array<number>(12).fill(250), ...Array<number>(6).fill(20_000)];
    for (const step of steps) {
      clock.t += step;
      const after = new Map((await sessions(jool, 'tcp')).map((s) => [s.key, s]));
      for (const [key, s] of after) {
        const old = before.get(key);
        if (!old) continue;
        expect(reachable[old.state!], `${old.state} -> ${s.state}`).toContain(s.state);
        expect(s.v4 + s.v4port).toBe(old.v4 + old.v4port);
        if (old.state !== s.state) moves.set(`${old.state}->${s.state}`, (moves.get(`${old.state}->${s.state}`) ?? 0) + 1);
      }
      if (step >= 1000) {
        expect([...after.keys()].some((k) => !before.has(k))).toBe(true);
        expect([...before.keys()].some((k) => !after.has(k))).toBe(true);
      }
      before = after;
    }
    for (const move of ['V6_INIT->ESTABLISHED', 'ESTABLISHED->V6_FIN_RCV', 'ESTABLISHED->V4_FIN_RCV', 'ESTABLISHED->TRANS']) {
      expect(moves.get(move), move).toBeGreaterThan(0);
    }
    expect((moves.get('V6_FIN_RCV->V4_FIN_V6_FIN_RCV') ?? 0) + (moves.get('V4_FIN_RCV->V4_FIN_V6_FIN_RCV') ?? 0)).toBeGreaterThan(0);
  });

  it('expires UDP and ICMP sessions at their deadline unless traffic refreshed them', async () => {
    const { jool, clock } = demo({ rampMs: 0 });
    for (const proto of ['udp', 'icmp'] as const) {
      const t1 = clock.t;
      const first = await sessions(jool, proto);
      clock.t += TIMEOUT_MS[proto] / 2;
      const later = new Map((await sessions(jool, proto)).map((s) => [s.key, s]));
      let expired = 0;
      let survivedByRefresh = 0;
      for (const s of first) {
        const deadline = t1 + s.expiresMs;
        const again = later.get(s.key);
        if (again === undefined) {
          // A session may only disappear once its deadline has passed.
          expect(deadline, `${s.key} vanished early`).toBeLessThanOrEqual(clock.t);
          expired++;
          continue;
        }
        const newDeadline = clock.t + again.expiresMs;
        expect(newDeadline).toBeGreaterThanOrEqual(deadline);
        if (deadline <= clock.t) {
          expect(newDeadline).toBeGreaterThan(deadline);
          survivedByRefresh++;
        }
      }
      expect(expired).toBeGreaterThan(first.length / 10);
      expect(survivedByRefresh).toBeLessThan(expired);
    }
  });

  it('fills the pool over ~30 minutes, then hovers near 90%', () => {
    const { jool, clock } = demo();
    const usage = (): number => {
      const v = jool.control.inspect();
      return v.pool4.tcp.used / v.pool4.tcp.total;
    };
    const start = usage();
    clock.t += 30 * MIN;
    const at30 = usage();
    const later: number[] = [];
    for (let m = 60; m <= 180; m += 10) {
      clock.t = EPOCH + m * MIN;
      later.push(usage());
    }
    console.log(
      `demo pool4 TCP usage: start ${(start * 100).toFixed(0)}%, 30 min ${(at30 * 100).toFixed(0)}%, 1-3 h ${later.map((u) => (u * 100).toFixed(0)).join('/')}%`,
    );
    expect(start).toBeLessThan(0.4);
    expect(at30).toBeGreaterThan(0.6);
    for (const u of later) {
      expect(u).toBeGreaterThan(0.75);
      expect(u).toBeLessThanOrEqual(1);
    }
    expect(Math.max(...later) - Math.min(...later)).toBeGreaterThan(0.02);
    const v = jool.control.inspect();
    const total = v.sessions.tcp + v.sessions.udp + v.sessions.icmp;
    expect(total).toBeGreaterThan(2000);
    expect(total).toBeLessThan(5000);
  });

  it('counts like Jool: counters only grow, BIB/session gauges match the tables, BIB6_NOT_FOUND when pool4 runs out', async () => {
    // The captures' UDP timeout (30 min) overflows the demo's small UDP pool4 at full load.
    const { jool, clock } = demo({ rampMs: 0, timeouts: { udp: 30 * MIN } });
    let previous = await stats(jool);
    expect([...previous.keys()]).toEqual(JSTAT_ORDER);
    for (let i = 0; i < 5; i++) {
      clock.t += 2 * MIN;
      const current = await stats(jool);
      for (const [name, value] of current) {
        if (!GAUGES.has(name)) expect(value, name).toBeGreaterThanOrEqual(previous.get(name)!);
      }
      for (const name of ['JSTAT_RECEIVED6', 'JSTAT_RECEIVED4', 'JSTAT_SUCCESS']) {
        expect(current.get(name)!, name).toBeGreaterThan(previous.get(name)!);
      }
      previous = current;
    }
    const rows = (await sessions(jool, 'tcp')).length + (await sessions(jool, 'udp')).length + (await sessions(jool, 'icmp')).length;
    let bibRows = 0;
    for (const proto of ['tcp', 'udp', 'icmp']) {
      bibRows += lines((await run(jool, ['bib', 'display', `--${proto}`, '--csv', '--numeric', '--no-headers'])).stdout).length;
    }
    const final = await stats(jool);
    expect(final.get('JSTAT_SESSIONS')).toBe(rows);
    expect(final.get('JSTAT_BIB_ENTRIES')).toBe(bibRows);
    const view = jool.control.inspect();
    expect(view.pool4.udp.used / view.pool4.udp.total).toBeGreaterThan(0.97);
    expect(final.get('JSTAT_BIB6_NOT_FOUND')!).toBeGreaterThan(0);

    // With Jool's defaults and a fresh morning the pool has room, and nothing is refused.
    const calm = demo();
    expect((await stats(calm.jool)).get('JSTAT_BIB6_NOT_FOUND')).toBe(0);
  });

  it('serves several instances, each with its own table and pool4', async () => {
    const { jool } = demo({ instances: ['default', 'alt'] });
    const rows = lines((await run(jool, ['instance', 'display', '--csv', '--no-headers'])).stdout);
    expect(rows.map((row) => row.split(',')[1])).toEqual(['default', 'alt']);
    const alt = await sessions(jool, 'udp', 'alt');
    const main = await sessions(jool, 'udp');
    expect(alt.length).toBeGreaterThan(0);
    const altAddresses = new Set(alt.map((s) => s.v4));
    for (const s of main) expect(altAddresses.has(s.v4)).toBe(false);
    expect((await run(jool, ['-i', 'other', 'session', 'display', '--csv'])).exit.exitCode).toBe(3);

    // A name Jool could not hold fails when used, as with the real client, not when the demo starts.
    const odd = demo({ instances: ['default', 'a-name-much-too-long'] }).jool;
    expect(lines((await run(odd, ['instance', 'display', '--csv', '--no-headers'])).stdout)).toHaveLength(1);
    expect((await run(odd, ['-i', 'a-name-much-too-long', 'session', 'display', '--csv'])).exit.exitCode).toBe(234);
  });
});

describe('demo jool: streaming, scale and faults', () => {
  it('streams ~1,000,000 sessions in 64 KiB chunks without blocking the event loop', async () => {
    const t0 = performance.now();
    const { jool } = demo({ scale: 335, rampMs: 0, historyMs: 12 * MIN });
    const built = performance.now() - t0;
    const view = jool.control.inspect();
    const expected = view.sessions.tcp + view.sessions.udp + view.sessions.icmp;
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let bytes = 0;
    let chunks = 0;
    let biggest = 0;
    let lastByte = 0;
    const t1 = performance.now();
    for (const proto of ['tcp', 'udp', 'icmp']) {
      const call = jool(['session', 'display', `--${proto}`, '--csv', '--numeric', '--no-headers'], { timeoutMs: 120_000 });
      for await (const chunk of call.stdout) {
        chunks++;
        bytes += chunk.length;
        biggest = Math.max(biggest, chunk.length);
        lastByte = chunk[chunk.length - 1]!;
      }
      expect((await call.exit).exitCode).toBe(0);
      expect(lastByte).toBe(10);
    }
    const printed = performance.now() - t1;
    ticking = false;
    console.log(
      `demo jool: ${expected} sessions (${(bytes / 1e6).toFixed(0)} MB of CSV); building the simulation took ` +
        `${built.toFixed(0)} ms, streaming the three tables ${printed.toFixed(0)} ms in ${chunks} chunks ` +
        `(the event loop turned ${ticks} times meanwhile)`,
    );
    expect(expected).toBeGreaterThanOrEqual(1_000_000);
    expect(bytes / expected).toBeGreaterThan(90);
    expect(bytes / expected).toBeLessThan(160);
    expect(chunks).toBeGreaterThan(1000);
    expect(biggest).toBeLessThanOrEqual(65_536 + 256);
    expect(ticks).toBeGreaterThan(chunks / 2);
  }, 120_000);

  it('stops streaming when aborted, and reports the kill', async () => {
    const { jool } = demo({ scale: 20 });
    const call = jool(['session', 'display', '--udp', '--csv', '--numeric'], { timeoutMs: 60_000 });
    let chunks = 0;
    for await (const chunk of call.stdout) {
      expect(chunk.length).toBeGreaterThan(0);
      if (++chunks === 2) call.abort();
    }
    expect(chunks).toBe(2);
    expect(await call.exit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    call.abort();
  });

  it('dies of SIGPIPE when the reader walks away', async () => {
    const { jool } = demo({ scale: 20 });
    const call = jool(['session', 'display', '--tcp', '--csv', '--numeric'], { timeoutMs: 60_000 });
    for await (const chunk of call.stdout) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(await call.exit).toMatchObject({ exitCode: null, signal: 'SIGPIPE' });
  });

  it('injects faults on request, then behaves again', async () => {
    const { jool } = demo();
    jool.control.failNext('exit');
    const exit = await run(jool, ['session', 'display', '--csv', '--numeric']);
    expect(exit.stdout).toBe('');
    expect(exit.exit).toMatchObject({
      exitCode: 253,
      stderr: expect.stringMatching(/^Error: Jool's socket family doesn't seem to exist\.\n/),
    });

    jool.control.failNext('hang');
    const hang = await run(jool, ['session', 'display', '--csv', '--numeric'], 50);
    expect(hang.stdout).toBe('');
    expect(hang.exit).toMatchObject({ exitCode: null, signal: 'SIGKILL', failure: 'timeout' });

    jool.control.failNext('garbage');
    const garbage = await run(jool, ['session', 'display', '--csv', '--numeric']);
    expect(garbage.exit.exitCode).toBe(0);
    const body = lines(garbage.stdout).slice(1);
    expect(body.some((row) => !SESSION_ROW.tcp.test(row) && !SESSION_ROW.udp.test(row))).toBe(true);

    jool.control.failNext('crash');
    const crash = await run(jool, ['session', 'display', '--udp', '--csv', '--numeric']);
    expect(crash.exit).toMatchObject({ exitCode: null, signal: 'SIGSEGV' });
    expect(crash.stdout.startsWith(SESSION_CSV_HEADER)).toBe(true);

    const fine = await run(jool, ['session', 'display', '--csv', '--numeric']);
    expect(fine.exit).toMatchObject({ exitCode: 0, signal: null });
    parseSessions('tcp', fine.stdout);
  });

  it('kills a normal call that outlives its timeout', async () => {
    const { jool } = demo();
    const call = jool(['session', 'display', '--csv', '--numeric'], { timeoutMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const chunks: Buffer[] = [];
    for await (const chunk of call.stdout) chunks.push(chunk);
    expect(chunks).toHaveLength(0);
    expect(await call.exit).toMatchObject({ exitCode: null, signal: 'SIGKILL', failure: 'timeout' });
  });
});

// ---------------------------------------------------------------------------
// Against the real thing: the Jool 4.1.9 captures in test/fixtures.

const CAPTURES = fileURLToPath(new URL('./fixtures/jool-4.1.9/', import.meta.url));

describe('demo jool against the real jool 4.1.9 captures', () => {
  const capture = (name: string): string => readFileSync(CAPTURES + name, 'latin1');

  it('the shape regexes describe the real output', () => {
    for (const proto of ['tcp', 'udp', 'icmp'] as const) {
      const rows = lines(capture(`session-${proto}.csv`));
      expect(rows.shift()).toBe(SESSION_CSV_HEADER);
      for (const row of rows) {
        const m = SESSION_ROW[proto].exec(row);
        expect(m, row).not.toBeNull();
        expect(isCanonicalIPv6(m![1]!) && isCanonicalIPv6(m![3]!)).toBe(true);
        expect(m![3]).toBe(pool6Address(m![7]!));
      }
    }
    for (const proto of ['tcp', 'udp', 'icmp']) {
      const rows = lines(capture(`pool4-${proto}.csv`));
      expect(rows.shift()).toBe(POOL4_HEADER);
      for (const row of rows) expect(row).toMatch(POOL4_ROW);
      const bib = lines(capture(`bib-${proto}.csv`));
      expect(bib.shift()).toBe(BIB_HEADER);
      for (const row of bib) expect(row).toMatch(BIB_ROW);
    }
    const stats = lines(capture('stats-all.csv'));
    expect(stats.shift()).toBe('Stat,Value');
    expect(stats.map((row) => row.split(',')[0])).toEqual(JSTAT_ORDER);
    for (const row of stats) expect(row).toMatch(STATS_ROW);
    const instances = lines(capture('instance.csv'));
    expect(instances.shift()).toBe(INSTANCE_HEADER);
    for (const row of instances) expect(row).toMatch(INSTANCE_ROW);
  });

  it('prints the same bytes, stderr and exit status as the real client where the output does not depend on traffic', async () => {
    const { jool } = demo();
    const cases: readonly (readonly [readonly string[], string])[] = [
      [['--version'], 'version.txt'],
      [[], 'error-no-args.txt'],
      [['session', 'display', '--help'], 'help-session-display.txt'],
      [['session', 'display', '--usage'], 'usage-session-display.txt'],
      [['session', 'display', '--bogus'], 'error-bad-option.txt'],
      [['session', 'display', '--tcp', '--udp'], 'error-two-protos.txt'],
      [['-i', 'this-name-is-way-too-long', 'session', 'display'], 'error-bad-instance-name.txt'],
      [['-i', 'nope', 'session', 'display', '--csv'], 'error-nope.csv'],
      [['-i', 'nope', 'session', 'display'], 'error-nope.txt'],
      [['-i', 'nope', 'session', 'display', '--udp', '--csv', '--numeric'], 'error-nope-udp.csv'],
      [['-i', 'nope', 'stats', 'display', '--csv'], 'error-nope-stats.csv'],
    ];
    for (const [args, file] of cases) {
      const r = await run(jool, args);
      const stderr = existsSync(`${CAPTURES + file}.stderr`) ? capture(`${file}.stderr`) : '';
      expect(r.stdout, file).toBe(capture(file));
      expect(r.exit.exitCode, file).toBe(Number(capture(`${file}.rc`)));
      expect(r.exit.stderr, file).toBe(stderr);
    }
    expect(lines((await run(jool, ['pool4', 'display', '--csv'])).stdout)[0]).toBe(lines(capture('pool4-tcp.csv'))[0]);
    expect(lines((await run(jool, ['instance', 'display', '--csv'])).stdout)[0]).toBe(lines(capture('instance.csv'))[0]);
  });
});
