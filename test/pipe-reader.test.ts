/**
 * Reading jool's stdout into reused buffers (src/jool/pipe-reader.ts), through the real process
 * runner, spawner and pipes: every byte in order whatever the consumer's pace, a few buffers
 * for a whole call and again for the next, back-pressure on jool, and a consumer that stops early.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../src/jool/process-runner.js';
import { stopSpawner } from '../src/jool/spawner.js';

afterAll(() => stopSpawner());

const dir = mkdtempSync(path.join(tmpdir(), 'pipe-reader-'));
/** 3.5 MB without a period a lost or repeated chunk could hide in. */
const content = Buffer.alloc(3_500_000);
for (let i = 0; i < content.length; i++) content[i] = (i * 2654435761) >>> 24;
const file = path.join(dir, 'table.bin');
writeFileSync(file, content);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const cat = createProcessRunner({ command: ['/bin/cat'] });

/** Reads one call, now and then slowly (the pipe fills meanwhile); its bytes and the ArrayBuffers they came in. */
async function readAll(slowEvery: number) {
  const call = cat([file], { timeoutMs: 60_000 });
  const hash = createHash('sha256');
  const buffers = new Set<ArrayBufferLike>();
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of call.stdout) {
    hash.update(chunk);
    bytes += chunk.length;
    buffers.add(chunk.buffer);
    if (++chunks % slowEvery === 0) await sleep(5);
  }
  return { bytes, chunks, hash: hash.digest('hex'), buffers, exit: await call.exit };
}

describe('reading a pipe into reused buffers', () => {
  it('hands over every byte in order through at most four buffers, and the next call reuses them', async () => {
    const first = await readAll(7);
    expect(first.bytes).toBe(content.length);
    expect(first.hash).toBe(sha(content));
    expect(first.exit).toMatchObject({ exitCode: 0, signal: null });
    expect(first.chunks).toBeGreaterThan(50); // pipe-sized reads: 3.5 MB is 54 or more
    expect(first.buffers.size).toBeLessThanOrEqual(4);
    const second = await readAll(3);
    expect(second.hash).toBe(sha(content));
    expect([...second.buffers].every((buffer) => first.buffers.has(buffer))).toBe(true);
  }, 60_000);

  it('holds jool back while the consumer does not read on (the pipe fills), and drains the rest once it stops', async () => {
    const call = createProcessRunner({ command: ['/bin/sh', '-c'] })(['head -c 20000000 /dev/zero; echo done >&2'], {
      timeoutMs: 60_000,
    });
    let exited = false;
    void call.exit.then(() => (exited = true));
    let first: number | undefined;
    for await (const chunk of call.stdout) {
      first = chunk.length;
      // 20 MB do not fit in a pipe and four buffers: jool cannot finish while this consumer waits.
      await sleep(500);
      expect(exited).toBe(false);
      break; // the rest is read and dropped: the call still ends, and jool with it
    }
    expect(first).toBeGreaterThan(0);
    const exit = await call.exit;
    expect(exit).toMatchObject({ exitCode: 0, signal: null, stderr: 'done\n' });
  }, 60_000);

  it('keeps each chunk intact until the next is asked for, though jool writes on meanwhile', async () => {
    const call = cat([file], { timeoutMs: 60_000 });
    let offset = 0;
    let mismatches = 0;
    for await (const chunk of call.stdout) {
      const before = sha(chunk);
      await sleep(1); // the socket may read ahead into the other buffers meanwhile
      if (sha(chunk) !== before || !content.subarray(offset, offset + chunk.length).equals(chunk)) mismatches++;
      offset += chunk.length;
    }
    expect(offset).toBe(content.length);
    expect(mismatches).toBe(0);
  }, 60_000);
});
