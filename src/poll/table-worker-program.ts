/**
 * The program of the table worker thread (table-worker.ts is the exporter's side, and has the
 * why; table-worker-protocol.ts the messages). It parses the session tables the exporter hands it
 * chunk by chunk, with the same parser as ever, works out what the poll needs from each
 * (table/analyse-table.ts), and sends the finished table back as moved typed arrays.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { createSessionCsvParser, type SessionCsvParser } from '../parse/session-csv.js';
import { analyseTable } from '../table/analyse-table.js';
import { tableParts } from '../table/table-transfer.js';
import { ACK_SLOTS, type FromWorker, SLOT_BYTES, type ToWorker, WORKER_NICE } from './table-worker-protocol.js';

interface Job {
  readonly parser: SessionCsvParser;
  readonly maxRows: number;
  /** The table's ring of slots, shared with the exporter. */
  readonly ring: Uint8Array;
  /** Slots parsed and not yet confirmed. */
  unacked: number;
}

if (parentPort === null) throw new Error('table-worker-program runs on a worker thread only');
const port = parentPort;

// This thread yields the CPU to the main thread, which answers scrapes: on Linux a nice value is
// per thread, and setpriority() on "the calling process" (0) sets the calling thread's. A lower
// priority needs no privilege; if it is refused anyway, the worker runs at the exporter's.
try {
  setPriority(0, WORKER_NICE);
} catch {
  // not Linux, or a seccomp filter: same priority as the main thread
}
const jobs = new Map<number, Job>();
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    // A bug: this table fails (the poll, as an internal error); the worker and other tables go on.
    jobs.delete(message.id);
    post({ type: 'failed', id: message.id, message: (error as Error).stack ?? String(error) });
  });
});

async function handle(message: ToWorker): Promise<void> {
  const { id } = message;
  switch (message.type) {
    case 'start': {
      const parser = createSessionCsvParser(message.protocol, message.expected === undefined ? {} : { expected: message.expected });
      jobs.set(id, { parser, maxRows: message.maxRows, ring: new Uint8Array(message.ring), unacked: 0 });
      return;
    }
    case 'chunk': {
      const job = jobs.get(id);
      if (job === undefined) return;
      const wasWithin = job.parser.rows <= job.maxRows;
      // Past the bound, the rest is not parsed: the exporter kills jool once it hears the count.
      // The parser copies what it keeps (a line cut by the chunk's end): the slot is free after this.
      const start = message.slot * SLOT_BYTES;
      if (wasWithin) job.parser.push(job.ring.subarray(start, start + message.bytes));
      job.unacked++;
      const crossed = wasWithin && job.parser.rows > job.maxRows;
      if (job.unacked >= ACK_SLOTS || crossed) {
        post({ type: 'read', id, slots: job.unacked, rows: job.parser.rows });
        job.unacked = 0;
      }
      return;
    }
    case 'finish': {
      const job = jobs.get(id);
      if (job === undefined) return;
      jobs.delete(id);
      const { table, rejected, headers } = job.parser.finish();
      // Past the bound the table fails whole (too_large): not worth analysing.
      const wanted = message.analysis !== undefined && table.length <= job.maxRows;
      const analysis = wanted ? await analyseTable(table, message.analysis!) : undefined;
      const { parts, transfer } = tableParts(table);
      post({ type: 'done', id, table: parts, rejected, headers, ...(analysis === undefined ? {} : { analysis }) }, transfer);
      return;
    }
  }
}
