/**
 * The floor: a Node.js process that reads the same bytes from the same kind of
 * pipe as the exporter (`cat FILE` spawned, stdout a pipe, one file after the
 * other as the exporter's three table calls) and discards them.
 * Prints {"seconds": ..., "cpuSeconds": ... (this process only, not cat), "bytes": ...}.
 */
import { spawn } from 'node:child_process';

const files = process.argv.slice(2);
const started = performance.now();
const cpuStart = process.cpuUsage();
let bytes = 0;
for (const file of files) {
  const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const chunk of child.stdout) bytes += chunk.length;
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
}
const cpu = process.cpuUsage(cpuStart);
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes }));
