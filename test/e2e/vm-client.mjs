#!/usr/bin/env node
import fs from 'node:fs';
// Host side of the e2e VM's command channel (the VM side is vm/agent.c).
//
// One TCP connection per command to 127.0.0.1:PORT, which QEMU forwards
// (hostfwd, user-mode network with restrict=on) to vm-agent in the VM.
// Request: argc, then each argument as (length, bytes); response: frames
// 'O' (stdout chunk), 'E' (stderr chunk), then 'X' (exit status). All
// integers are 32-bit big-endian. Calls are independent, so concurrent calls
// need no locking; stdout is written as it arrives (with back-pressure), so
// a table of any size streams through.
//
// As a command:   vm-client.mjs [--jool] [--] ARG...
//   --jool   run `jool ARG...` (inside `ip netns exec $JOOL_VM_NETNS` when
//            that variable is set); without it, ARG... is any command.
// The port is $JOOL_VM_PORT, else the one in test/e2e/.cache/vm.port (written
// by the suite when the VM is up). Exit status: the command's own; 125 when
// the channel itself failed (no VM, connection lost), with a message on stderr.
//
// As a module:    import { runInVm } from './vm-client.mjs'
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHANNEL_FAILURE = 125;
const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_PORT_FILE = path.join(here, '.cache', 'vm.port');

export function vmPort(env = process.env) {
  if (env.JOOL_VM_PORT) return Number(env.JOOL_VM_PORT);
  const file = env.JOOL_VM_PORT_FILE || DEFAULT_PORT_FILE;
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    throw new Error(`no VM: JOOL_VM_PORT is not set and ${file} does not exist (is the e2e VM running?)`);
  }
}

function encodeRequest(argv) {
  const parts = [u32(argv.length)];
  for (const arg of argv) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Runs argv in the VM. onStdout/onStderr get Buffers as they arrive; onStdout
 * may return false to ask for back-pressure, then call the resume function it
 * got. Resolves to the exit status; rejects when the channel fails.
 */
export function streamInVm(argv, { port = vmPort(), onStdout, onStderr, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let exitCode = null;
    let timer;
    const fail = (message) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`vm channel (127.0.0.1:${port}): ${message}`));
    };
    if (timeoutMs) timer = setTimeout(() => fail(`no exit status within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => {
      // Not socket.end(): the agent takes a half-close as "client gone" and
      // kills the command.
      socket.write(encodeRequest(argv));
    });
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]);
        const len = buf.readUInt32BE(1);
        if (buf.length < 5 + len) break;
        const payload = buf.subarray(5, 5 + len);
        buf = buf.subarray(5 + len);
        if (type === 'O') {
          if (onStdout && onStdout(payload, () => socket.resume()) === false) socket.pause();
        } else if (type === 'E') {
          onStderr?.(payload);
        } else if (type === 'X') {
          exitCode = payload.readUInt32BE(0);
        } else {
          return fail(`unknown frame type ${JSON.stringify(type)}`);
        }
      }
    });
    socket.on('error', (e) => fail(e.code || e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      if (exitCode === null) reject(new Error(`vm channel (127.0.0.1:${port}): closed before the exit status (VM not up, or it died)`));
      else resolve(exitCode);
    });
  });
}

/** Runs argv in the VM and collects everything: { code, stdout, stderr } (strings). */
export async function runInVm(argv, options = {}) {
  const out = [];
  const err = [];
  const code = await streamInVm(argv, {
    ...options,
    onStdout: (b) => {
      out.push(Buffer.from(b));
    },
    onStderr: (b) => err.push(Buffer.from(b)),
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** `jool ARGS...` in the VM, in namespace `netns` when given. */
export function joolArgv(args, netns) {
  return netns ? ['ip', 'netns', 'exec', netns, 'jool', ...args] : ['jool', ...args];
}

async function main() {
  let args = process.argv.slice(2);
  let jool = false;
  if (args[0] === '--jool') {
    jool = true;
    args = args.slice(1);
  }
  if (args[0] === '--') args = args.slice(1);
  const argv = jool ? joolArgv(args, process.env.JOOL_VM_NETNS) : args;
  if (argv.length === 0) {
    process.stderr.write('usage: vm-client.mjs [--jool] [--] ARG...\n');
    process.exitCode = 2;
    return;
  }
  try {
    const code = await streamInVm(argv, {
      onStdout: (b, resume) => {
        if (process.stdout.write(b)) return true;
        process.stdout.once('drain', resume);
        return false;
      },
      onStderr: (b) => process.stderr.write(b),
    });
    // Let stdout drain by itself: exitCode, not process.exit().
    process.exitCode = code;
  } catch (e) {
    process.stderr.write(`jool-vm: ${e.message}\n`);
    process.exitCode = CHANNEL_FAILURE;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // EPIPE when our reader went away: nothing left to do.
  process.stdout.on('error', () => process.exit(CHANNEL_FAILURE));
  await main();
}
