#!/usr/bin/env node
/**
 * What starting the jool calls costs the exporter's main thread, with a large heap: the old way
 * (child_process.spawn() in the exporter: fork() copies the page tables of the whole process)
 * against the spawner process (src/jool/spawner.ts: one IPC message a call). Each way runs in a
 * fresh node process that first fills HEAP_MB of memory (mostly typed arrays, like the exporter's
 * columns of a large table), then makes CALLS calls of
 * `cat FILE` (a 3.4 MB file, about a 30k-row session table), one at a time as the poller does,
 * reading every byte. Printed: the main thread's time inside the call that starts jool (spawn(),
 * or the runner's call), and the event-loop delay p99 and max (perf_hooks, 1 ms resolution) over
 * the calls, and over an idle second before them (the machine's own noise). Figures only: nothing
 * is asserted.
 *
 * Usage: node bench/spawn.mjs [--calls=30] [--heap-mb=250]   (after npm run build; npm run bench runs it)
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? true];
  }),
);
const CALLS = Number(args.calls ?? 30);
const HEAP_MB = Number(args['heap-mb'] ?? 250);

/**
 * About `mb` MB of resident memory, as the exporter holds a large table: typed-array columns (what
 * fork() copies the page tables of), plus some objects. Mostly typed arrays, so that the garbage
 * collector's pauses do not drown what is measured here.
 */
function fillMemory(mb) {
  const kept = [];
  for (let i = 0; i < mb / 8; i++) kept.push(new Float64Array(1024 * 1024).fill(i + 1));
  for (let i = 0; i < 100_000; i++) kept.push({ row: i, address: `2001:db8::${i.toString(16)}` });
  return kept;
}

async function drainAll(stdout) {
  let bytes = 0;
  for await (const chunk of stdout) bytes += chunk.length;
  return bytes;
}

/** The old runner's way: spawn() on this thread, detached, stdout and stderr piped. */
async function direct(file) {
  const started = performance.now();
  const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C' } });
  const blocked = performance.now() - started;
  child.stderr.resume();
  const closed = new Promise((resolve) => child.on('close', resolve));
  const bytes = await drainAll(child.stdout);
  await closed;
  return { blocked, bytes };
}

async function measure(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spawn-'));
  const file = join(dir, 'table.csv');
  writeFileSync(file, randomFillSync(Buffer.alloc(3_400_000)));
  let call = direct;
  if (mode === 'spawner') {
    const { createProcessRunner } = await import('../dist/src/jool/process-runner.js');
    const run = createProcessRunner({ command: ['cat'] });
    call = async (path) => {
      const started = performance.now();
      const jool = run([path], { timeoutMs: 60_000 });
      const blocked = performance.now() - started;
      const bytes = await drainAll(jool.stdout);
      await jool.exit;
      return { blocked, bytes };
    };
    await call(file); // the exporter's first call (jool --version) starts the spawner while it is small
  }
  const heap = fillMemory(HEAP_MB);
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  // The machine's own noise first: the same monitor over an idle second.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  idle.disable();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const blocked = [];
  for (let i = 0; i < CALLS; i++) {
    const result = await call(file);
    if (result.bytes !== 3_400_000) throw new Error(`${mode}: read ${result.bytes} bytes of 3400000`);
    blocked.push(result.blocked);
  }
  delay.disable();
  blocked.sort((a, b) => a - b);
  rmSync(dir, { recursive: true, force: true });
  void heap.length;
  return {
    mode,
    rssMb,
    blockedMedianMs: blocked[Math.floor(blocked.length / 2)],
    blockedMaxMs: blocked.at(-1),
    loopP99Ms: delay.percentile(99) / 1e6,
    loopMaxMs: delay.max / 1e6,
    idleP99Ms: idle.percentile(99) / 1e6,
  };
}

if (args.child) {
  process.stdout.write(JSON.stringify(await measure(args.child)));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const fmt = (n) => n.toFixed(1).padStart(7);
console.log(`jool calls started with ${HEAP_MB} MB of table in memory (${CALLS} calls of cat, 3.4 MB each, one at a time):`);
console.log(
  `${'how'.padEnd(34)} ${'RSS MB'.padStart(7)} ${'start, median ms'.padStart(17)} ${'max'.padStart(7)} ${'loop p99'.padStart(9)} ${'max'.padStart(7)} ${'idle p99'.padStart(9)}`,
);
for (const mode of ['direct', 'spawner']) {
  const result = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, `--child=${mode}`, `--calls=${CALLS}`, `--heap-mb=${HEAP_MB}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode}: exit ${code}`))));
  });
  const name = mode === 'direct' ? 'spawn() in the exporter (before)' : 'through the spawner process';
  console.log(
    `${name.padEnd(34)} ${fmt(result.rssMb)} ${fmt(result.blockedMedianMs).padStart(17)} ${fmt(result.blockedMaxMs)} ${fmt(result.loopP99Ms).padStart(9)} ${fmt(result.loopMaxMs)} ${fmt(result.idleP99Ms).padStart(9)}`,
  );
}
