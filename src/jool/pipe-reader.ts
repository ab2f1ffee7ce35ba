/**
 * Reads jool's stdout pipe into a few reused buffers, chunk by chunk as the consumer asks.
 *
 * Why: a net.Socket read the usual way allocates a fresh 64 KiB Buffer for every read. For a
 * million-session table that is ~1,800 buffers and 120 MB of new memory a poll: page faults on
 * every new page, garbage collections that pause the event loop, and freed memory that glibc's
 * heap keeps (RSS stays up after the table shrinks). Measured on the bench's 1M-row tables
 * (docs/performance.md, "Reading the pipe"): a Node.js process reading and discarding the bytes
 * the usual way used 0.43 s of CPU, through reused buffers 0.07 s.
 *
 * Node's `onread` option makes libuv read into memory the caller gives (the `buffer` function is
 * asked for the next buffer after each read). The chunks handed out are views of that memory: a
 * chunk is valid until the consumer asks for the next one (JoolCall's contract, runner.ts). While
 * the consumer has not caught up and every buffer is full, the socket stops reading and jool
 * waits on a full pipe (back-pressure, as with a paused stream).
 */
import { Socket } from 'node:net';

/** A read of a pipe returns at most this much (Linux's default pipe capacity is 64 KiB too). */
export const CHUNK_BYTES = 64 * 1024;
/** Buffers of one call: one being read into, the rest read ahead of the consumer. */
const BUFFERS_PER_CALL = 4;
/** Buffers kept between calls (a poll makes its calls one after another, several instances at once). */
const MAX_SPARE = 4 * BUFFERS_PER_CALL;
const spare: Uint8Array[] = [];

const takeBuffer = (): Uint8Array => spare.pop() ?? new Uint8Array(CHUNK_BYTES);

export interface PipeReader {
  /** The socket now reading the pipe: its 'close' and 'error' events are the pipe's. */
  readonly socket: Socket;
  /** The pipe's bytes in order; each chunk is valid only until the next is asked for. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Nobody will read the chunks: the rest of the output is read and dropped, so the pipe can end. */
  discard(): void;
}

/**
 * Takes over `received`, a socket on jool's stdout that must not have read anything yet (one just
 * received over the spawner's IPC channel: net.Socket only starts reading at the next turn of the
 * event loop). The new socket starts paused: nothing is read before the chunks are asked for (or
 * discard() is called).
 */
export function readPipe(received: Socket): PipeReader {
  // _handle is Node's private libuv handle; no public API hands a socket's handle to a new Socket
  // (the only way to give an existing descriptor `onread`). The old socket is left without one, so
  // nothing it does later can close the pipe under the new one.
  const internals = received as unknown as { _handle: { readStop(): number; reading: boolean } | null };
  const handle = internals._handle;
  if (handle === null) throw new Error('the pipe is closed already');
  handle.readStop();
  handle.reading = false;
  internals._handle = null;

  const owned: Uint8Array[] = [];
  for (let i = 0; i < BUFFERS_PER_CALL; i++) owned.push(takeBuffer());
  const free = owned.slice(1);
  /** What libuv reads into next (asked for by Node after every read). */
  let reading = owned[0]!;
  const filled: Uint8Array[] = [];
  /** The chunk the consumer holds: its buffer is free again once the next chunk is asked for. */
  let held: Uint8Array | undefined;
  let paused = true;
  let discarding = false;
  let ended = false;
  let closed = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const socket = new Socket({
    handle,
    readable: true,
    writable: false,
    pauseOnCreate: true,
    onread: {
      buffer: () => reading,
      callback(bytes: number, buffer: Uint8Array): boolean {
        if (discarding) return true;
        filled.push(buffer.subarray(0, bytes));
        // There is always a free buffer here: reading stops (below) before the last one is taken.
        reading = free.pop()!;
        wake?.();
        paused = free.length === 0;
        return !paused; // false: Node stops reading the pipe until resume()
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  socket.on('end', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', (error) => {
    failure = error;
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    closed = true;
    wake?.();
    giveBack();
  });
  /** Once no read can come and the consumer holds no chunk, the buffers go to the next call. */
  const giveBack = () => {
    if (!closed || !discarding) return;
    for (const buffer of owned) if (spare.length < MAX_SPARE) spare.push(buffer);
    owned.length = 0;
  };

  const resume = () => {
    if (!paused) return;
    paused = false;
    socket.resume();
  };
  const release = () => {
    if (held === undefined) return;
    free.push(new Uint8Array(held.buffer, 0, CHUNK_BYTES));
    held = undefined;
    resume();
  };
  const discard = () => {
    discarding = true;
    held = undefined;
    filled.length = 0;
    resume();
    giveBack();
  };

  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      resume();
      for (;;) {
        release();
        const next = filled.shift();
        if (next !== undefined) {
          held = next;
          yield next;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      // Done, failed, or the consumer stopped early (break): the pipe is read to its end and dropped.
      discard();
    }
  }

  return { socket, chunks: chunks(), discard };
}
