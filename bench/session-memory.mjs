// Memory a session table costs per row, to size --poll.max-rows (docs/reliability.md).
// Run after `npm run build`:  node --expose-gc bench/session-memory.mjs [rows] [distinct clients]
// Parses a generated UDP table chunk by chunk, as a poll does, and prints the memory held by the
// finished table and the peak seen while it grew (the columns double, then are trimmed).
import { createSessionCsvParser } from '../dist/src/parse/session-csv.js';

const rows = Number(process.argv[2] ?? 2_000_000);
const clients = Number(process.argv[3] ?? 5000);
const gc = globalThis.gc ?? (() => {});
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Rows as Jool prints them: the IPv6 local is the IPv4 remote (198.51.100.x) embedded in 64:ff9b::/96. */
function chunkOf(from, to) {
  let text = '';
  for (let i = from; i < to; i++) {
    const c = i % clients;
    text +=
      `UDP,2001:db8::${(c >> 8).toString(16)}:${(c & 255).toString(16)},${1024 + (i % 60000)},64:ff9b::c633:${(0x6400 + (i % 200)).toString(16)},53,` +
      `192.0.2.${1 + (i % 4)},${1024 + (i % 64000)},198.51.100.${i % 200},53,0:04:${String(i % 60).padStart(2, '0')}.${i % 1000}\n`;
  }
  return Buffer.from(text, 'latin1');
}

gc();
const before = used();
const parser = createSessionCsvParser('udp');
let peak = 0;
const CHUNK = 20_000;
for (let from = 0; from < rows; from += CHUNK) {
  parser.push(chunkOf(from, Math.min(rows, from + CHUNK)));
  if ((from / CHUNK) % 10 === 0) peak = Math.max(peak, used() - before);
}
const result = parser.finish();
peak = Math.max(peak, used() - before);
gc();
const held = used() - before;
console.log(`rows ${result.table.length}, distinct clients ${result.table.ipv6Remotes.size}, rejected ${result.rejected.count}`);
console.log(`held by the table: ${(held / 1e6).toFixed(1)} MB = ${(held / rows).toFixed(1)} bytes a row`);
console.log(`peak while parsing (sampled, garbage included): ${(peak / 1e6).toFixed(1)} MB = ${(peak / rows).toFixed(1)} bytes a row`);
console.log(`process RSS now: ${(process.memoryUsage().rss / 1e6).toFixed(1)} MB`);
