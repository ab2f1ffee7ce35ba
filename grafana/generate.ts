/**
 * Writes grafana/jool-sessions.json from grafana/dashboard.ts. Run with `npm run dashboard`
 * (compiles grafana/ with grafana/tsconfig.json into dist/grafana/, then runs this file).
 * `--check` writes nothing and exits 1 when the committed file is out of date.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDashboard } from './dashboard.js';

// Compiled to dist/grafana/generate.js; the JSON lives in <repo>/grafana/.
const target = fileURLToPath(new URL('../../grafana/jool-sessions.json', import.meta.url));

const json = renderDashboard();
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // not there yet
}

if (process.argv.includes('--check')) {
  if (current !== json) {
    process.stderr.write(`${target} is out of date: run npm run dashboard\n`);
    process.exit(1);
  }
  process.stdout.write(`${target} is up to date\n`);
} else if (current === json) {
  process.stdout.write(`${target} unchanged\n`);
} else {
  // Write then rename: an interrupted run never leaves a truncated dashboard behind.
  writeFileSync(`${target}.tmp`, json);
  renameSync(`${target}.tmp`, target);
  process.stdout.write(`wrote ${target}\n`);
}
