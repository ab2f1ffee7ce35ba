/**
 * /sessions.csv's row writer alone (no HTTP, no socket): the CPU time to turn a generated table
 * into its CSV chunks, per protocol and in all. For profiling:
 * `node --cpu-prof bench/sessions-csv.mjs bench/.data/rows-1000000-seed-1`.
 * An optional second argument names another build of session-rows.js to compare with.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSessionQuery } from '../dist/src/http/session-query.js';
import { createSessionCsvParser } from '../dist/src/parse/session-csv.js';

const [dir, other] = process.argv.slice(2);
const { sessionCsvChunks } = await import(other ? resolve(other) : '../dist/src/http/session-rows.js');
const tables = {};
for (const protocol of ['tcp', 'udp', 'icmp']) {
  const bytes = readFileSync(join(dir, `session-${protocol}.csv`));
  const parser = createSessionCsvParser(protocol);
  for (let at = 0; at < bytes.length; at += 65536) parser.push(bytes.subarray(at, at + 65536));
  tables[protocol] = { table: parser.finish().table };
}
const instance = { name: 'default', tables };
const rows = Object.values(tables).reduce((n, t) => n + t.table.length, 0);

for (let round = 1; round <= 3; round++) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let bytes = 0;
  let chunks = 0;
  for (const chunk of sessionCsvChunks([instance], parseSessionQuery({}, ['default']))) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length; // a socket encodes a string chunk
    chunks++;
  }
  const used = process.cpuUsage(cpu);
  console.log(
    `round ${round}: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${chunks} chunks: ` +
      `${((performance.now() - start) / 1000).toFixed(3)} s wall, ${((used.user + used.system) / 1e6).toFixed(3)} s CPU`,
  );
}
