/**
 * Timings that used to be assertions in unit tests (test/unit/pool4.test.ts,
 * test/unit/subscribers.test.ts), where a loaded machine made them fail: here
 * they are measured and printed, best of a few runs, next to the budget they
 * had. `node bench/budgets.mjs` after `npm run build`; run by `npm run bench`.
 */

import { NO_STATE } from '../dist/src/model.js';
import { parsePool4Csv } from '../dist/src/parse/pool4-csv.js';
import { parseSessionCsv } from '../dist/src/parse/session-csv.js';
import { aggregateTable } from '../dist/src/table/aggregate.js';
import { computePool4 } from '../dist/src/table/pool4.js';
import { createSessionTableBuilder, emptySessionTable } from '../dist/src/table/session-table.js';
import { computeSubscribers, computeSubscribersInSlices } from '../dist/src/table/subscribers.js';
import { rng } from './generate.mjs';

function fastest(runs, fn) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
const line = (name, ms, budget) =>
  console.log(`${name.padEnd(72)} ${ms.toFixed(1).padStart(8)} ms  (budget ${budget} ms${ms > budget ? ', OVER' : ''})`);

{
  const pool = parsePool4Csv('0,TCP,10.0.0.0/16,1024,65535,8192,0\n').entries;
  const sessions = parseSessionCsv('tcp', 'TCP,2001:db8::1,1,64:ff9b::1,1,10.0.255.255,2000,192.0.2.1,1,0:01:00,ESTABLISHED\n').table;
  line(
    'pool4: a /16 with one range (65,536 addresses)',
    fastest(5, () => computePool4(pool, sessions)),
    50,
  );
}
{
  let csv = '';
  for (let i = 0; i < 65536; i++) csv += `0,TCP,10.0.${i >> 8}.${i & 255},1024,65535,8192,0\n`;
  const pool = parsePool4Csv(csv).entries;
  line(
    'pool4: the same /16 as Jool prints it (one row per address)',
    fastest(5, () => computePool4(pool, emptySessionTable('tcp'))),
    100,
  );
}
{
  // 1M rows, 100k clients in 25k /56s, 2 sessions per BIB entry, in client order as Jool prints.
  const random = rng(99);
  const builder = createSessionTableBuilder('udp');
  const clients = [];
  for (let c = 0; c < 100_000; c++) {
    const site = c >>> 2;
    const iid = (1 + Math.floor(random() * 0xfffe)).toString(16);
    clients.push(
      builder.ipv6Remotes.internString(`2001:db8:${(site >>> 8).toString(16)}:${(((site & 0xff) << 8) | (c & 3)).toString(16)}::${iid}`),
    );
  }
  const l6 = builder.ipv6Locals.internString('64:ff9b::c633:6401');
  const pool4 = Array.from({ length: 32 }, (_, i) => builder.ipv4Locals.internString(`192.0.2.${i + 1}`));
  const r4 = builder.ipv4Remotes.internString('198.51.100.1');
  for (let i = 0; i < 1_000_000; i++) {
    const bib = i >>> 1;
    builder.append({
      ipv6Remote: clients[Math.floor(i / 10)],
      ipv6RemotePort: 1024 + ((i % 10) >>> 1),
      ipv6Local: l6,
      ipv6LocalPort: 53,
      ipv4Local: pool4[bib % 32],
      ipv4LocalPort: Math.floor(bib / 32) & 0xffff,
      ipv4Remote: r4,
      ipv4RemotePort: i & 0xffff,
      expiresMs: 60_000,
      state: NO_STATE,
    });
  }
  const table = builder.finish();
  // What a poll hands the subscribers (the BIB entries found in runs, as Jool prints them).
  const aggregate = aggregateTable(table);
  for (const prefixLength of [128, 56]) {
    line(
      `subscribers: 1M rows, 100k clients, /${prefixLength}, computeSubscribers`,
      fastest(3, () => computeSubscribers(table, { prefixLength, top: 10 }, aggregate)),
      2000,
    );
    let longestStall = 0;
    let last = performance.now();
    let running = true;
    const spin = () => {
      const now = performance.now();
      longestStall = Math.max(longestStall, now - last);
      last = now;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const start = performance.now();
    await computeSubscribersInSlices(table, { prefixLength, top: 10 }, aggregate);
    const sliced = performance.now() - start;
    running = false;
    line(`subscribers: the same, computeSubscribersInSlices`, sliced, 2000);
    line(`subscribers: the same, longest event-loop stall while sliced`, longestStall, 10);
  }
}
