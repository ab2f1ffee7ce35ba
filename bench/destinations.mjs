#!/usr/bin/env node
// Cost of the top destinations/services computation (src/table/destinations.ts) on a 1M-row
// table, against --destinations.top=0 (not computed). Prints figures; asserts nothing.
// Run: npm run build && node bench/destinations.mjs [rows] [clients] [destinations]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sessionBrowserPage } from '../dist/src/http/session-browser.js';
import { aggregateTableInSlices } from '../dist/src/table/aggregate.js';
import { computeDestinations, computeDestinationsInSlices } from '../dist/src/table/destinations.js';
import { createSessionTableBuilder } from '../dist/src/table/session-table.js';
import { mapAndComputeSubscribersInSlices } from '../dist/src/table/subscribers.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const clients = Number(process.argv[3] ?? 100_000);
const destinations = Number(process.argv[4] ?? 20_000);

// A tiny seeded generator: clients in /56s, destinations Zipf-like (a few very popular), ports
// mostly 443/80/53 with a long tail, like a NAT64 in front of ordinary users.
let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const builder = createSessionTableBuilder('tcp');
const clientIds = Array.from({ length: clients }, (_, i) =>
  builder.ipv6Remotes.internString(`2001:db8:${(i >>> 8).toString(16)}:${(i & 0xff).toString(16)}00::${(1 + (i % 7)).toString(16)}`),
);
const destinationIds = Array.from({ length: destinations }, (_, i) =>
  builder.ipv4Remotes.internString(`${11 + (i >>> 16)}.${(i >>> 8) & 0xff}.${i & 0xff}.${1 + (i % 250)}`),
);
const local = builder.ipv6Locals.internString('64:ff9b::1');
const pool4 = Array.from({ length: 16 }, (_, i) => builder.ipv4Locals.internString(`192.0.2.${i + 1}`));
const PORTS = [443, 443, 443, 443, 80, 80, 53, 5228, 993, 8080];
for (let i = 0; i < rows; i++) {
  const d = Math.floor(destinations * random() ** 3);
  builder.append({
    ipv6Remote: clientIds[Math.floor(random() * clients)],
    ipv6RemotePort: 1024 + (i % 60000),
    ipv6Local: local,
    ipv6LocalPort: 443,
    ipv4Local: pool4[i % 16],
    ipv4LocalPort: 1024 + ((i >>> 4) % 64000),
    ipv4Remote: destinationIds[d],
    ipv4RemotePort: random() < 0.9 ? PORTS[Math.floor(random() * PORTS.length)] : 1 + Math.floor(random() * 65535),
    expiresMs: 7_200_000 * random(),
    state: 0,
  });
}
const table = builder.finish();
const { map } = await mapAndComputeSubscribersInSlices(table, { prefixLength: 56, top: 10 });

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
async function measure(label, fn) {
  const times = [];
  for (let run = 0; run < 7; run++) {
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  console.log(
    `${label.padEnd(44)} median ${median(times).toFixed(1)} ms CPU (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`,
  );
}

console.log(
  `table: ${rows} rows, ${table.ipv6Remotes.size} clients (${map.subscriberIds} /56 subscribers), ${table.ipv4Remotes.size} destinations`,
);
await measure('for scale: the table aggregate (every poll)', () => aggregateTableInSlices(table));
await measure('--destinations.top=0 (off)', () => computeDestinationsInSlices(table, map, 0));
await measure('--destinations.top=10, in one go', () => computeDestinations(table, map, 10));
await measure('--destinations.top=10, in slices (as the poll)', () => computeDestinationsInSlices(table, map, 10));
await measure('--destinations.top=1000, in slices', () => computeDestinationsInSlices(table, map, 1000));

// The session browser counts every match to print the total: one pass over the table per page view.
const emptyTable = createSessionTableBuilder('udp').finish();
const status = {
  ready: true,
  discovery: undefined,
  instances: [
    {
      name: 'default',
      tables: { tcp: { table }, udp: { table: emptyTable }, icmp: { table: createSessionTableBuilder('icmp').finish() } },
    },
  ],
};
const wall = async (label, fn) => {
  const times = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  delay.disable();
  // The longest the event loop (a scrape) waited while the pages were built.
  console.log(
    `${label.padEnd(44)} median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}), ` +
      `event loop blocked at most ${(delay.max / 1e6).toFixed(1)} ms`,
  );
};
await wall('/sessions page, no filter (100 rows shown)', () => sessionBrowserPage(status, {}));
await wall('/sessions page, remote=11.0.0.0/8 (addresses)', () => sessionBrowserPage(status, { remote: '11.0.0.0/8' }));
await wall('/sessions page, client=2001:db8:1::/48', () => sessionBrowserPage(status, { client: '2001:db8:1::/48' }));
