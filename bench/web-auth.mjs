#!/usr/bin/env node
// Basic authentication costs, measured (figures, not assertions: the machine may be shared).
//
//   npm run build && node bench/web-auth.mjs
//
// 1. One bcryptjs check at cost 10 (what every uncached password costs).
// 2. A real exporter (demo source) with basic_auth_users: latency of a scrape with cached
//    credentials and of /healthz, alone and while a flood of wrong passwords keeps the check
//    queue full, and the event loop's longest stall during the flood.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { parseCommandLine } from '../dist/src/config.js';
import { startExporter } from '../dist/src/exporter.js';
import { createLogger } from '../dist/src/log.js';

const ms = (x) => `${x.toFixed(1)} ms`;
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

const hash = bcrypt.hashSync('scrape-secret', 10);
const times = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  await bcrypt.compare(`wrong-${i}`, hash);
  times.push(performance.now() - t);
}
console.log(`bcryptjs compare, cost 10: median ${ms(quantile(times, 0.5))}, max ${ms(Math.max(...times))} (10 checks)`);

const dir = mkdtempSync(join(tmpdir(), 'jool-bench-auth-'));
const file = join(dir, 'web.yml');
writeFileSync(file, `basic_auth_users:\n  prometheus: '${hash}'\n`);
const parsed = parseCommandLine(['--source=demo', '--web.listen-address=127.0.0.1:0', `--web.config.file=${file}`], {});
const exporter = await startExporter(parsed.config, createLogger({ level: 'error' }));
const url = `http://127.0.0.1:${exporter.address.port}`;
const good = { authorization: `Basic ${Buffer.from('prometheus:scrape-secret').toString('base64')}` };
const timed = async (path, headers = {}) => {
  const t = performance.now();
  const response = await fetch(url + path, { headers });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - t };
};

while ((await timed('/readyz', good)).status !== 200) await new Promise((r) => setTimeout(r, 50));
const measure = async (n) => {
  const scrape = [];
  const health = [];
  for (let i = 0; i < n; i++) {
    scrape.push((await timed('/metrics', good)).ms);
    health.push((await timed('/healthz')).ms);
  }
  return { scrape, health };
};
const quiet = await measure(20);
console.log(
  `no flood:   cached scrape median ${ms(quantile(quiet.scrape, 0.5))} max ${ms(Math.max(...quiet.scrape))}; /healthz median ${ms(quantile(quiet.health, 0.5))}`,
);

// The flood, from another process (its client work must not count against the exporter): keep
// 32 wrong guesses in flight; the queue holds 16, the rest get 429 at once.
const FLOODER = `
  const counts = { 401: 0, 429: 0 };
  let stop = false;
  process.stdin.on('data', () => (stop = true));
  const one = async (i) => {
    while (!stop) {
      const r = await fetch(process.argv[1], { headers: { authorization: 'Basic ' + Buffer.from('prometheus:guess-' + i + '-' + Math.random()).toString('base64') } });
      await r.arrayBuffer();
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
  };
  console.log('started');
  Promise.all(Array.from({ length: 32 }, (_, i) => one(i))).then(() => console.log(JSON.stringify(counts)));
`;
const flooder = spawn(process.execPath, ['-e', FLOODER, `${url}/metrics`], { stdio: ['pipe', 'pipe', 'inherit'] });
flooder.stdout.setEncoding('utf8');
let output = '';
flooder.stdout.on('data', (chunk) => (output += chunk));
while (!output.includes('started')) await new Promise((r) => setTimeout(r, 20));
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
await new Promise((r) => setTimeout(r, 500));
const busy = await measure(20);
loop.disable();
flooder.stdin.end('stop');
await once(flooder, 'exit');
const counts = JSON.parse(output.trim().split('\n').at(-1));
console.log(
  `flood:      cached scrape median ${ms(quantile(busy.scrape, 0.5))} max ${ms(Math.max(...busy.scrape))}; /healthz median ${ms(quantile(busy.health, 0.5))} max ${ms(Math.max(...busy.health))}`,
);
console.log(
  `            wrong guesses answered: ${counts[401]} checked (401), ${counts[429]} refused at once (429); event loop stall max ${ms(loop.max / 1e6)}`,
);
console.log(
  `            load average while measuring: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (cores: 2 here; other jobs share them)`,
);
await exporter.stop();
rmSync(dir, { recursive: true, force: true });
