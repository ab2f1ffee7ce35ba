/**
 * What keeps big objects alive in a V8 heap snapshot: the largest nodes (default: over 1 MB) and,
 * for each, one shortest path from the GC roots, weak edges skipped. With bench/ingest.mjs:
 *   BENCH_HEAP_SNAPSHOT=/tmp/shrunk.heapsnapshot node --expose-gc bench/ingest.mjs DIR TINY ROWS
 *   node bench/retainers.mjs /tmp/shrunk.heapsnapshot [min-bytes]
 */
import { readFileSync } from 'node:fs';

const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const min = Number(process.argv[3] ?? 1e6);
const { node_fields, edge_fields, node_types, edge_types } = snap.snapshot.meta;
const NF = node_fields.length,
  EF = edge_fields.length;
const nodes = snap.nodes,
  edges = snap.edges,
  strings = snap.strings;
const nTypes = node_types[0],
  eTypes = edge_types[0];
const N = nodes.length / NF;
const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + 4] * EF;
  firstEdge[i + 1] = e;
}
const name = (i) => strings[nodes[i * NF + 1]];
const type = (i) => nTypes[nodes[i * NF]];
const size = (i) => nodes[i * NF + 3];
// BFS from root (node 0), skipping weak edges.
const parent = new Int32Array(N).fill(-1),
  parentEdge = new Int32Array(N).fill(-1);
parent[0] = 0;
const queue = [0];
for (let q = 0; q < queue.length; q++) {
  const i = queue[q];
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) {
    const et = eTypes[edges[e]];
    if (et === 'weak' || et === 'shortcut') continue;
    const to = edges[e + 2] / NF;
    if (parent[to] !== -1) continue;
    parent[to] = i;
    parentEdge[to] = e;
    queue.push(to);
  }
}
const edgeName = (e) => {
  const et = eTypes[edges[e]];
  return et === 'element' || et === 'hidden' ? `[${edges[e + 1]}]` : strings[edges[e + 1]];
};
let total = 0;
const big = [];
for (let i = 0; i < N; i++) if (size(i) >= min) big.push(i);
big.sort((a, b) => size(b) - size(a));
for (const i of big.slice(0, 15)) {
  total += size(i);
  const path = [];
  for (let j = i; j !== 0 && path.length < 25; j = parent[j]) {
    if (parent[j] === -1) {
      path.push('(unreachable)');
      break;
    }
    path.push(`${type(j)}:${name(j).slice(0, 40)} <-${edgeName(parentEdge[j])}-`);
  }
  console.log(`${(size(i) / 1e6).toFixed(1)} MB ${type(i)} ${name(i).slice(0, 40)}\n   ${path.join('\n   ')}`);
}
console.log('total of listed', (total / 1e6).toFixed(1), 'MB; nodes over threshold', big.length);
