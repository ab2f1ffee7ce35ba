// Speed of pool4 capacity maths on absurdly short prefixes (moved out of test/unit/pool4.test.ts,
// where a wall-clock bound failed on a loaded machine). Prints the best of 5 runs.
// Run after `npm run build`: node bench/pool4-short-prefixes.mjs
import { parsePool4Csv } from '../dist/src/parse/pool4-csv.js';
import { parseSessionCsv } from '../dist/src/parse/session-csv.js';
import { computePool4 } from '../dist/src/table/pool4.js';
import { emptySessionTable } from '../dist/src/table/session-table.js';

function best(run) {
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    run();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

const one = parsePool4Csv('0,TCP,10.0.0.0/16,1024,65535,8192,0\n').entries;
const sessions = parseSessionCsv(
  'tcp',
  'TCP,2001:db8::1,40000,64:ff9b::c633:6401,80,10.0.255.255,2000,198.51.100.1,80,0:01:00.000,ESTABLISHED\n',
).table;
console.log(`a /16 as one entry (65,536 addresses): ${best(() => computePool4(one, sessions)).toFixed(1)} ms`);

let csv = '';
for (let i = 0; i < 65536; i++) csv += `0,TCP,10.0.${i >> 8}.${i & 255},1024,65535,8192,0\n`;
const rows = parsePool4Csv(csv).entries;
console.log(`a /16 address by address (65,536 entries): ${best(() => computePool4(rows, emptySessionTable('tcp'))).toFixed(1)} ms`);
