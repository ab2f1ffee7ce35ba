#!/usr/bin/env node
/**
 * Start-up time to the first /metrics: the packaged single executable (after `npm run package`,
 * from dist/deb/tree), the esbuild bundle on node, and the tsc output on node. Each is started
 * RUNS times with the demo source; the time from spawn() to the first 200 answer of /metrics that
 * holds jool_up is printed (median, min, max). Figures only: nothing is asserted.
 *
 * Usage: node bench/startup.mjs [RUNS]   (default 5)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const candidates = [
  { name: 'single executable (the .deb)', command: join(root, 'dist/deb/tree/usr/bin/jool-session-exporter'), args: [] },
  { name: 'bundle on node', command: process.execPath, args: [join(root, 'dist/bundle/jool-session-exporter.cjs')] },
  { name: 'tsc output on node', command: process.execPath, args: [join(root, 'dist/src/main.js')] },
];

async function once({ command, args }) {
  const started = performance.now();
  const child = spawn(command, [...args, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=1h'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: '/nonexistent' },
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited: ${log}`);
      const port = /address=127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      if (port !== undefined) {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        if (response?.status === 200 && (await response.text()).includes('jool_up{')) return performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

for (const candidate of candidates) {
  if (!existsSync(candidate.command) || !candidate.args.every((a) => existsSync(a))) {
    console.log(`${candidate.name}: not built, skipped`);
    continue;
  }
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once(candidate));
  times.sort((a, b) => a - b);
  const ms = (t) => `${Math.round(t)} ms`;
  console.log(
    `${candidate.name}: first /metrics after ${ms(times[Math.floor(times.length / 2)])} (median of ${runs}; min ${ms(times[0])}, max ${ms(times.at(-1))})`,
  );
}
