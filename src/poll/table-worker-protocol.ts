/**
 * The messages between the exporter (table-worker.ts) and its table worker thread
 * (table-worker-program.ts), and the flow control's two sizes.
 *
 * To the worker: start a table, a chunk of jool's output (its buffer moved), finish (with the
 * analysis's options when the table is wanted whole). From the worker: bytes parsed so far (with
 * the row count, which --poll.max-rows bounds), the finished table (its arrays moved), or why it
 * failed. Several tables may be in progress at once (one per polled instance), told apart by id.
 */
import type { Protocol } from '../model.js';
import type { RejectedRows } from '../parse/rejected.js';
import type { AnalysisOptions, TableAnalysis } from '../table/analyse-table.js';
import type { TableSize } from '../table/session-table.js';
import type { TableParts } from '../table/table-transfer.js';

/** Bytes handed to the worker and not yet confirmed parsed, at most: 16 chunks of a pipe. */
export const MAX_IN_FLIGHT = 1024 * 1024;

/**
 * Parsed bytes confirmed at once: a message per chunk of a pipe cost more than moving the chunk.
 * Less than half of MAX_IN_FLIGHT, so that a worker that has parsed everything it was sent has
 * always confirmed enough for the exporter to send more.
 */
export const ACK_BYTES = 256 * 1024;

/** The worker thread's nice value, over the exporter's: the main thread, serving scrapes, comes first. */
export const WORKER_NICE = 10;

export type ToWorker =
  | { readonly type: 'start'; readonly id: number; readonly protocol: Protocol; readonly expected?: TableSize; readonly maxRows: number }
  | { readonly type: 'chunk'; readonly id: number; readonly chunk: Uint8Array }
  | { readonly type: 'finish'; readonly id: number; readonly analysis?: AnalysisOptions };

export type FromWorker =
  | { readonly type: 'read'; readonly id: number; readonly bytes: number; readonly rows: number }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly table: TableParts;
      readonly rejected: RejectedRows;
      readonly headers: number;
      readonly analysis?: TableAnalysis;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
