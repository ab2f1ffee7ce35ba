/**
 * One size, one fresh process (run by bench/run.mjs, with --expose-gc): the real
 * exporter (startExporter from dist/, the real process runner and HTTP server)
 * polling the jool stand-in, which `cat`s the generated tables.
 *
 * Polls, paced by the poll interval, the stand-in switched between them:
 *   1. a tiny table: the baseline RSS (after a full GC);
 *   2. the big table, while the tiny one is held: cold (code not yet optimised);
 *   3. the big table again: warm, as every poll of a running exporter is, with no
 *      scrape to serve: the ingest time and CPU;
 *   4. the big table again, while the previous big one is held: event-loop delay
 *      and /metrics latency under concurrent scrapes from another process; then
 *      /sessions.csv, all rows, downloaded by another process (bench/download.mjs);
 *   5. the tiny table: the big one is dropped; RSS after a full GC;
 *   6. the tiny table again: RSS after a full GC, once what /sessions.csv and the last big poll
 *      left behind (freed memory the allocator has not given back yet) had a poll to go.
 * BENCH_TABLES=main-thread: --poll.disable-table-worker, the tables parsed and analysed on the
 * main thread rather than on the table worker (to measure both). Prints one JSON object on stdout.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { parseCommandLine } from '../dist/src/config.js';
import { startExporter } from '../dist/src/exporter.js';
import { createProcessRunner } from '../dist/src/jool/process-runner.js';
import { silentLogger } from '../dist/src/log.js';

const here = dirname(fileURLToPath(import.meta.url));
const [bigDir, tinyDir, rowsText] = process.argv.slice(2);
const rows = Number(rowsText);
const pointer = join(bigDir, '..', `pointer-${process.pid}`);
const gc = globalThis.gc ?? (() => {});
const MB = 1024 * 1024;
const epochNow = () => performance.timeOrigin + performance.now();

// Long enough for a big poll plus /sessions.csv between polls 3 and 4, whatever the size.
const intervalMs = Math.round(2000 + rows * 0.006);

function fullGc() {
  gc();
  gc();
}

// Peak RSS and heap, sampled; maxRSS from the kernel is the lifetime peak and says the same for RSS.
let peakHeap = 0;
// (v8's heap statistics, not process.memoryUsage(), which reads /proc and would be the bench's own load.)
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
}, 20);

const plan = [tinyDir, bigDir, bigDir, bigDir, tinyDir, tinyDir];
writeFileSync(pointer, plan[0]);
// The stand-in's pointer is this run's alone: gone with it, however the run ends.
process.on('exit', () => rmSync(pointer, { force: true }));
const polls = []; // per poll: { firstByte, live }
let current = { firstByte: undefined };
let delay;

// The process runner, wrapped to note when the first byte of the first table arrives.
const runIn = () => {
  const run = createProcessRunner({ command: [join(here, 'jool-standin.sh')] });
  return (args, options) => {
    const call = run(args, options);
    if (!(args.includes('session') && args.includes('--tcp'))) return call;
    const poll = current;
    if (polls.length === 3) {
      delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
    }
    const stdout = (async function* () {
      for await (const chunk of call.stdout) {
        if (poll.firstByte === undefined) {
          poll.firstByte = epochNow();
          poll.cpu = process.cpuUsage();
        }
        yield chunk;
      }
    })();
    return { ...call, stdout };
  };
};

const command = parseCommandLine(
  [
    `--jool.path=${join(here, 'jool-standin.sh')}`,
    '--jool.dialect=4',
    '--jool.timeout=10m',
    `--poll.interval=${intervalMs}ms`,
    '--clients.prefix-length=56',
    '--web.listen-address=127.0.0.1:0',
    ...(process.env.BENCH_TABLES === 'main-thread' ? ['--poll.disable-table-worker'] : []),
  ],
  { BENCH_JOOL_POINTER: pointer },
);
process.env.BENCH_JOOL_POINTER = pointer;
const config = command.config;

let pollDone;
let nextPoll = new Promise((resolve) => (pollDone = resolve));
const result = { rows, intervalMs };

result.tableWorker = !config.disableTableWorker;
const exporter = await startExporter(config, silentLogger, runIn);
const base = `http://127.0.0.1:${exporter.address.port}`;
// The status goes live in store.replace: note the time, and point the stand-in at the next table
// before the next poll starts.
const replace = exporter.store.replace.bind(exporter.store);
exporter.store.replace = (status) => {
  replace(status);
  const live = epochNow();
  const n = polls.length;
  const cpu = current.cpu === undefined ? undefined : process.cpuUsage(current.cpu);
  polls.push({ ...current, live, cpuSeconds: cpu && (cpu.user + cpu.system) / 1e6, up: status.up, error: status.lastError?.message });
  if (n === 3) delay.disable();
  current = { firstByte: undefined };
  if (n + 1 < plan.length) writeFileSync(pointer, plan[n + 1]);
  const resolve = pollDone;
  nextPoll = new Promise((r) => (pollDone = r));
  resolve(status);
};

async function waitPoll() {
  const status = await nextPoll;
  if (status.up !== true) throw new Error(`poll failed: ${status.lastError?.message}`);
  return status;
}

/** GET `path` from another process (bench/download.mjs), sampling this process's RSS meanwhile. */
function downloadTimed(path) {
  return new Promise((resolve, reject) => {
    let rssPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 10);
    const child = spawn(process.execPath, [join(here, 'download.mjs'), base + path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`bench/download.mjs ${path} exited ${code}`));
      else resolve({ ...JSON.parse(out), rssPeak });
    });
  });
}

// 1. Tiny table: baseline.
await waitPoll();
fullGc();
result.baselineRssMb = process.memoryUsage.rss() / MB;

// 2. Big table, cold. 3. Warm. Start the scrapers for poll 4 meanwhile.
await waitPoll();
await waitPoll();
const scraper = spawn(process.execPath, [join(here, 'scraper.mjs'), `${base}/metrics`, '4'], { stdio: ['pipe', 'pipe', 'inherit'] });
let scrapes = '';
scraper.stdout.on('data', (chunk) => (scrapes += chunk));
// Listened for now: a scraper that ended early must not leave the bench waiting for its 'close'.
const scraperClosed = new Promise((resolve) => scraper.once('close', resolve));

// 4. Big table, under scrapes. `let`, dropped below: a const here would keep the big table alive to
// the end of this module, and "RSS after the shrink" would measure the bench, not the exporter.
let status = await waitPoll();
scraper.stdin.end();
await scraperClosed;
const poll = polls[3];
const seconds = ({ live, firstByte }) => (live - firstByte) / 1000;
result.ingestSeconds = seconds(polls[2]);
result.coldIngestSeconds = seconds(polls[1]);
result.ingestSecondsWithScrapes = seconds(poll);
// CPU seconds of the exporter's process (not of cat).
result.ingestCpuSeconds = polls[2].cpuSeconds;
result.coldIngestCpuSeconds = polls[1].cpuSeconds;
result.ingestCpuSecondsWithScrapes = poll.cpuSeconds;
result.eventLoopDelayMs = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
const { samples, errors: scrapeErrors } = JSON.parse(scrapes);
const during = samples
  .filter(([start, ms]) => start >= poll.firstByte && start + ms <= poll.live)
  .map(([, ms]) => ms)
  .sort((a, b) => a - b);
const pick = (q) => during[Math.min(during.length - 1, Math.floor(q * during.length))];
result.metrics = { scrapes: during.length, p50: pick(0.5), p99: pick(0.99), max: during[during.length - 1], errors: scrapeErrors };
result.aggregates = Object.fromEntries(
  Object.entries(status.tables).map(([protocol, { aggregate, subscribers }]) => [
    protocol,
    { ...aggregate, subscribers: subscribers.subscribers },
  ]),
);
status = undefined;
fullGc();
result.heldRssMb = process.memoryUsage.rss() / MB;
const held = process.memoryUsage();
result.heldHeapMb = held.heapUsed / MB;
result.heldDetailMb = {
  heapTotal: held.heapTotal / MB,
  heapUsed: held.heapUsed / MB,
  external: held.external / MB,
  arrayBuffers: held.arrayBuffers / MB,
};
const csvCpu = process.cpuUsage();
const csv = await downloadTimed('/sessions.csv');
const csvCpuUsed = process.cpuUsage(csvCpu);
result.sessionsCsv = {
  status: csv.status,
  seconds: csv.seconds,
  // The exporter's CPU only: the client is bench/download.mjs, another process.
  cpuSeconds: (csvCpuUsed.user + csvCpuUsed.system) / 1e6,
  bytes: csv.bytes,
  rssGrowthMb: (csv.rssPeak - result.heldRssMb * MB) / MB,
};

// 5. Tiny table again: the big one must go.
await waitPoll();
fullGc();
result.shrunkRssMb = process.memoryUsage.rss() / MB;
// BENCH_HEAP_SNAPSHOT=FILE: what is still alive after the shrink, for bench/retainers.mjs.
if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
const shrunk = process.memoryUsage();
result.shrunkDetailMb = {
  heapTotal: shrunk.heapTotal / MB,
  heapUsed: shrunk.heapUsed / MB,
  external: shrunk.external / MB,
  arrayBuffers: shrunk.arrayBuffers / MB,
};
// 6. Tiny again.
await waitPoll();
fullGc();
result.settledRssMb = process.memoryUsage.rss() / MB;
result.peakRssMb = process.resourceUsage().maxRSS / 1024;
result.peakHeapMb = peakHeap / MB;

clearInterval(sampler);
await exporter.stop();
process.stdout.write(JSON.stringify(result));
