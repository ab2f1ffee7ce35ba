/**
 * The memory settings the shipped service runs the exporter with, read from the systemd unit
 * (its `Environment=` lines for glibc's MALLOC_* variables and NODE_OPTIONS; the Dockerfile sets
 * the same, test/packaging.test.ts checks both). bench/run.mjs starts ingest.mjs with them, so
 * that the bench measures what operators run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UNIT = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy/systemd/jool-session-exporter.service');

/** { NAME: value } of the unit's Environment= lines that tune memory. */
export function serviceMemoryEnv(unitText = readFileSync(UNIT, 'utf8')) {
  const env = {};
  for (const line of unitText.split('\n')) {
    const match = /^Environment=([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match !== null && /^(MALLOC_|NODE_OPTIONS$)/.test(match[1])) env[match[1]] = match[2];
  }
  return env;
}
