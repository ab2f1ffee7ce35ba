/**
 * The floor: a Node.js process that reads the same bytes from the same kind of
 * pipe as the exporter (`cat FILE` spawned, stdout a pipe, one file after the
 * other as the exporter's three table calls) and discards them.
 *
 * Twice: as the issue defines the floor (the stream read the usual way, a new
 * 64 KiB Buffer per read), then into four reused buffers with the socket's
 * `onread` option: the exporter's own reader (src/jool/pipe-reader.ts, from dist/),
 * as it reads jool's pipe since the fifth pass. The targets are against the first; the second is
 * what reading alone costs the exporter now.
 * Prints {"seconds", "cpuSeconds" (this process only, not cat), "bytes",
 * "reused": {"seconds", "cpuSeconds"}}.
 */
import { spawn } from 'node:child_process';
import { readPipe } from '../dist/src/jool/pipe-reader.js';

const files = process.argv.slice(2);

async function readAll(read) {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let bytes = 0;
  for (const file of files) {
    const child = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    bytes += await read(child.stdout);
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  }
  const cpu = process.cpuUsage(cpuStart);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes };
}

async function asStream(stdout) {
  let bytes = 0;
  for await (const chunk of stdout) bytes += chunk.length;
  return bytes;
}

/** The exporter's own reader (its takeover of the pipe and its four reused buffers), from dist/. */
async function intoReusedBuffers(stdout) {
  let bytes = 0;
  for await (const chunk of readPipe(stdout).chunks) bytes += chunk.length;
  return bytes;
}

const floor = await readAll(asStream);
const reused = await readAll(intoReusedBuffers);
if (reused.bytes !== floor.bytes) throw new Error(`read ${reused.bytes} bytes into reused buffers, ${floor.bytes} as a stream`);
console.log(JSON.stringify({ ...floor, reused: { seconds: reused.seconds, cpuSeconds: reused.cpuSeconds } }));
