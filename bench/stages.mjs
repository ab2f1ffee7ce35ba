/**
 * CPU time of each stage of a poll, in process, on the generated tables read
 * from disk (no pipe, no HTTP): parse, aggregate, subscribers, pool4. For
 * profiling (`node --cpu-prof bench/stages.mjs DIR`) and for finding which
 * stage a change moves. Prints one line per protocol and stage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePool4Csv } from '../dist/src/parse/pool4-csv.js';
import { createSessionCsvParser } from '../dist/src/parse/session-csv.js';
import { aggregateTable } from '../dist/src/table/aggregate.js';
import { computePool4 } from '../dist/src/table/pool4.js';
import { computeSubscribers } from '../dist/src/table/subscribers.js';

const dir = process.argv[2];
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const totals = {};
function stage(name, fn) {
  const start = cpu();
  const value = fn();
  totals[name] = (totals[name] ?? 0) + cpu() - start;
  return value;
}
const pool4 = ['tcp', 'udp', 'icmp'].flatMap((p) => parsePool4Csv(readFileSync(join(dir, `pool4-${p}.csv`), 'latin1')).entries);
for (const protocol of ['tcp', 'udp', 'icmp']) {
  const bytes = readFileSync(join(dir, `session-${protocol}.csv`));
  const parsed = stage('parse', () => {
    const parser = createSessionCsvParser(protocol);
    for (let at = 0; at < bytes.length; at += 65536) parser.push(bytes.subarray(at, at + 65536));
    return parser.finish();
  });
  const aggregate = stage('aggregate', () => aggregateTable(parsed.table));
  // As a poll does: told what the aggregate found about the BIB entries.
  stage('subscribers', () => computeSubscribers(parsed.table, { prefixLength: 56, top: 10 }, aggregate));
  stage('pool4', () => computePool4(pool4, parsed.table));
}
for (const [name, ms] of Object.entries(totals)) console.log(`${name.padEnd(12)} ${ms.toFixed(0).padStart(6)} ms CPU`);
