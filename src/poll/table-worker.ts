/**
 * Session tables parsed and analysed on a worker thread (table-worker-program.ts is the thread's
 * side).
 *
 * Why: parsing a million-row table is about a second of CPU and a hundred megabytes of garbage,
 * and working out its subscribers, destinations and pool4 usage a few tenths more. On the main
 * thread, even cut into slices, this delayed scrapes, and its garbage collections paused the event
 * loop for 10-40 ms at a time (docs/performance.md). On the worker, the main thread only reads
 * jool's pipe and serves HTTP; the garbage is the worker's own heap's; and the parse runs on the
 * second core while the main thread reads the next chunk.
 *
 * Each chunk of jool's stdout is copied into a slot of the table's ring, memory shared with the
 * worker (table-worker-protocol.ts), and the worker is told which slot; the finished table comes
 * back as moved typed arrays (table/table-transfer.ts), with its analysis. At most SLOTS chunks
 * are on their way at once: when the worker falls behind, push() returns a promise and the caller
 * stops reading jool's pipe until the worker has caught up, as it did when the parse ran on the
 * main thread. Rings are kept for the next tables: nothing is allocated per chunk.
 *
 * One worker per exporter, started for the first table and unref'd (it never keeps the process
 * alive). It is kept from poll to poll: a new worker runs its first tables on cold code (a
 * million-row poll took 0.8 s more CPU). It is ended, and the next table starts a new one:
 *  - once idle for IDLE_MS (polls are rare, and a cold start costs little against the interval);
 *  - after a round of tables (those with less than ROUND_GAP_MS between them: a poll's) SHRINK
 *    times smaller than its biggest round: the memory a thread's allocator kept from the big
 *    tables (freed, not given back to the system) goes with it, and the new worker's cold start
 *    is on small tables.
 * A worker that dies fails the tables it was working on (the poll fails as an internal error)
 * and nothing else; the next table starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { Protocol } from '../model.js';
import { createSessionCsvParser, type ParseResult } from '../parse/session-csv.js';
import { type AnalysisOptions, analyseTable, type TableAnalysis } from '../table/analyse-table.js';
import type { SessionTable, TableSize } from '../table/session-table.js';
import { tableFromParts } from '../table/table-transfer.js';
import { type FromWorker, SLOT_BYTES, SLOTS, type ToWorker } from './table-worker-protocol.js';

/**
 * The worker's program as one script, where there is no table-worker-program.js beside this file:
 * the single bundle defines it (packaging/bundle.mjs), as vitest's configs do for the sources.
 */
declare const __TABLE_WORKER_SOURCE__: string | undefined;

/** One table being parsed, on this thread or on the worker. */
export interface TableParse {
  /**
   * Hands over the next chunk of jool's output. A promise when too much is still on its way: read
   * no more until it resolves, and keep the chunk's bytes as they are until then (they may not all
   * be copied yet). Otherwise the chunk's memory is the caller's again at once.
   */
  push(chunk: Uint8Array): Promise<void> | undefined;
  /** Rows parsed so far (on the worker: as last heard), for a caller that bounds a table's size. */
  readonly rows: number;
  /**
   * The table, once every chunk is parsed, and with `analysis` its analysis too (unless the table
   * is over maxRows); rejects if the worker died.
   */
  finish(analysis?: AnalysisOptions): Promise<ParsedTable>;
}

export interface ParsedTable extends ParseResult {
  /** Present when finish() was given the analysis's options. */
  readonly analysis?: TableAnalysis;
}

export type StartTableParse = (protocol: Protocol, options: { readonly expected?: TableSize; readonly maxRows: number }) => TableParse;

/** Parsing on the calling thread, chunk by chunk as the caller pushes them. */
export const parseOnThisThread: StartTableParse = (protocol, { expected, maxRows }) => {
  const parser = createSessionCsvParser(protocol, expected === undefined ? {} : { expected });
  return {
    push(chunk) {
      parser.push(chunk);
      return undefined;
    },
    get rows() {
      return parser.rows;
    },
    async finish(analysis) {
      const parsed = parser.finish();
      // Past the bound the table fails whole (too_large): not worth analysing.
      if (analysis === undefined || parsed.table.length > maxRows) return parsed;
      return { ...parsed, analysis: await analyseTable(parsed.table, analysis) };
    },
  };
};

export interface TableWorker {
  readonly start: StartTableParse;
  /** Whether a worker thread runs now (one is started for a table and ended once idle). */
  readonly running: boolean;
  /** Terminates the worker; tables in progress fail. A later table starts a new one. */
  stop(): Promise<void>;
}

interface Job {
  readonly protocol: Protocol;
  /** The table's ring (SLOTS x SLOT_BYTES, shared with the worker), until the table is done. */
  ring: Uint8Array | undefined;
  /** The slot the next chunk goes to. */
  nextSlot: number;
  rows: number;
  /** Slots sent and not yet confirmed parsed. */
  inFlight: number;
  /** The caller waiting for room to push. */
  resume?: () => void;
  /** The caller waiting for the table. */
  settle?: { resolve(result: ParsedTable): void; reject(error: Error): void };
  failure?: Error;
}

function newWorker(): Worker {
  const options = { name: 'tables' };
  if (typeof __TABLE_WORKER_SOURCE__ === 'string') return new Worker(__TABLE_WORKER_SOURCE__, { ...options, eval: true });
  return new Worker(new URL('./table-worker-program.js', import.meta.url), options);
}

/**
 * How long the worker may sit without a table before it is ended: longer than the usual poll
 * interval (15 s), so that it is ended only when polls are rare, where its cold start costs
 * little against the interval.
 */
const IDLE_MS = 60_000;
/** A round of tables this many times smaller than the worker's biggest ends the worker. */
const SHRINK = 4;
/** Idle this long, a round of tables is over: longer than between two tables of a poll, shorter than a poll interval. */
const ROUND_GAP_MS = 500;
/** Rings kept for the next tables (one per table in progress: one per polled instance). */
const SPARE_RINGS = 4;

export function createTableWorker(options: { readonly idleMs?: number } = {}): TableWorker {
  const idleMs = options.idleMs ?? IDLE_MS;
  let worker: Worker | undefined;
  let nextId = 0;
  const jobs = new Map<number, Job>();
  let idle: NodeJS.Timeout | undefined;
  /** Rows of the tables of the current round (since the worker last had none), and of its biggest round. */
  let roundRows = 0;
  let biggestRound = 0;
  const spareRings: Uint8Array[] = [];
  const takeRing = () => spareRings.pop() ?? new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  /** A table is done: its ring is free for another (a worker still reading it only reads a table that is given up). */
  const giveBackRing = (job: Job) => {
    if (job.ring !== undefined && spareRings.length < SPARE_RINGS) spareRings.push(job.ring);
    job.ring = undefined;
  };

  const end = (current: Worker) => {
    if (worker !== current) return;
    worker = undefined;
    void current.terminate();
  };

  /**
   * After a table is done: once the worker has had nothing to do for ROUND_GAP_MS, its round of
   * tables is over, and it is ended if the round shrank, else once idle for idleMs in all.
   */
  const endIfIdle = () => {
    if (jobs.size > 0 || worker === undefined) return;
    clearTimeout(idle);
    const current = worker;
    const gap = Math.min(ROUND_GAP_MS, idleMs);
    idle = setTimeout(() => {
      if (jobs.size > 0 || worker !== current) return;
      biggestRound = Math.max(biggestRound, roundRows);
      const shrunk = roundRows * SHRINK < biggestRound;
      roundRows = 0;
      if (shrunk) end(current);
      else idle = setTimeout(() => jobs.size === 0 && end(current), idleMs - gap).unref();
    }, gap).unref();
  };

  /** The worker is gone: every table it was parsing fails with `error`. */
  const lost = (dead: Worker, error: Error) => {
    if (worker !== dead) return;
    worker = undefined;
    for (const [id, job] of jobs) fail(id, job, error);
  };

  const fail = (id: number, job: Job, error: Error) => {
    jobs.delete(id);
    giveBackRing(job);
    roundRows += job.rows;
    job.failure = error;
    job.resume?.();
    job.settle?.reject(error);
    endIfIdle();
  };

  const onMessage = (message: FromWorker) => {
    const job = jobs.get(message.id);
    if (job === undefined) return;
    if (message.type === 'read') {
      job.rows = message.rows;
      job.inFlight -= message.slots;
      // ACK_SLOTS <= SLOTS / 2: a worker that has caught up has always confirmed this much.
      if (job.resume !== undefined && job.inFlight <= SLOTS / 2) {
        const resume = job.resume;
        job.resume = undefined;
        resume();
      }
    } else if (message.type === 'done') {
      let table: SessionTable;
      try {
        table = tableFromParts(message.table);
      } catch (error) {
        fail(message.id, job, new Error(`the ${job.protocol} table from the worker thread is unreadable: ${(error as Error).message}`));
        return;
      }
      jobs.delete(message.id);
      giveBackRing(job);
      roundRows += table.length;
      const { rejected, headers, analysis } = message;
      job.settle?.resolve(analysis === undefined ? { table, rejected, headers } : { table, rejected, headers, analysis });
      endIfIdle();
    } else {
      fail(message.id, job, new Error(`parsing the ${job.protocol} table on the worker thread failed: ${message.message}`));
    }
  };

  const running = (): Worker => {
    if (worker !== undefined) return worker;
    const started = newWorker();
    started.on('message', onMessage);
    started.on('error', (error) => lost(started, new Error(`the table worker thread failed: ${error.stack ?? error.message}`)));
    started.on('exit', (code) => lost(started, new Error(`the table worker thread exited with code ${code}`)));
    started.unref(); // after the listeners: adding a 'message' listener refs the port again
    worker = started;
    roundRows = 0;
    biggestRound = 0;
    return started;
  };

  const post = (message: ToWorker, transfer?: ArrayBuffer[]) => running().postMessage(message, transfer);

  const start: StartTableParse = (protocol, { expected, maxRows }) => {
    const id = nextId++;
    const job: Job = { protocol, ring: takeRing(), nextSlot: 0, rows: 0, inFlight: 0 };
    jobs.set(id, job);
    clearTimeout(idle);
    try {
      post({
        type: 'start',
        id,
        protocol,
        maxRows,
        ring: job.ring!.buffer as SharedArrayBuffer,
        ...(expected === undefined ? {} : { expected }),
      });
    } catch (error) {
      jobs.delete(id); // no thread could be started: this poll fails (internal), the next one tries again
      throw error;
    }
    const room = () => new Promise<void>((resolve) => (job.resume = resolve));
    /** Copies `chunk` into the ring slot by slot; when the ring is full, the rest waits for the worker. */
    const send = (chunk: Uint8Array): Promise<void> | undefined => {
      for (let offset = 0; offset < chunk.length; ) {
        if (job.failure !== undefined) return undefined;
        if (job.inFlight === SLOTS) return room().then(() => send(chunk.subarray(offset)));
        const bytes = Math.min(SLOT_BYTES, chunk.length - offset);
        const slot = job.nextSlot;
        job.nextSlot = (slot + 1) % SLOTS;
        job.ring!.set(chunk.subarray(offset, offset + bytes), slot * SLOT_BYTES);
        job.inFlight++;
        post({ type: 'chunk', id, slot, bytes });
        offset += bytes;
      }
      return job.inFlight === SLOTS ? room() : undefined;
    };
    return {
      push: send,
      get rows() {
        return job.rows;
      },
      finish(analysis) {
        if (job.failure !== undefined) return Promise.reject(job.failure);
        const result = new Promise<ParsedTable>((resolve, reject) => {
          job.settle = { resolve, reject };
        });
        post({ type: 'finish', id, ...(analysis === undefined ? {} : { analysis }) });
        return result;
      },
    };
  };

  return {
    start,
    get running() {
      return worker !== undefined;
    },
    async stop() {
      clearTimeout(idle);
      const current = worker;
      if (current === undefined) return;
      lost(current, new Error('the table worker thread was stopped'));
      await current.terminate();
    },
  };
}
