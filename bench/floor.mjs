/**
 * The floor: a Node.js process that reads the same bytes from the same kind of
 * pipe as the exporter (`cat FILE` spawned, stdout a pipe, one file after the
 * other as the exporter's three table calls) and discards them.
 *
 * Twice: as the issue defines the floor (the stream read the usual way, a new
 * 64 KiB Buffer per read), then into four reused buffers with the socket's
 * `onread` option, as the exporter reads jool's pipe since the fifth pass
 * (src/jool/pipe-reader.ts). The targets are against the first; the second is
 * what reading alone costs the exporter now.
 * Prints {"seconds", "cpuSeconds" (this process only, not cat), "bytes",
 * "reused": {"seconds", "cpuSeconds"}}.
 */
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';

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

const buffers = Array.from({ length: 4 }, () => new Uint8Array(64 * 1024));
function intoReusedBuffers(stdout) {
  // The same takeover of the pipe's handle as pipe-reader.ts, before anything is read.
  const handle = stdout._handle;
  handle.readStop();
  handle.reading = false;
  stdout._handle = null;
  let bytes = 0;
  let next = 0;
  return new Promise((resolve) => {
    const socket = new Socket({
      handle,
      readable: true,
      writable: false,
      onread: {
        buffer: () => buffers[next++ % buffers.length],
        callback: (n) => {
          bytes += n;
        },
      },
    });
    socket.on('close', () => resolve(bytes));
    socket.resume();
  });
}

const floor = await readAll(asStream);
const reused = await readAll(intoReusedBuffers);
if (reused.bytes !== floor.bytes) throw new Error(`read ${reused.bytes} bytes into reused buffers, ${floor.bytes} as a stream`);
console.log(JSON.stringify({ ...floor, reused: { seconds: reused.seconds, cpuSeconds: reused.cpuSeconds } }));
