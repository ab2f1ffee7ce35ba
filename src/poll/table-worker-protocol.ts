/**
 * The messages between the exporter (table-worker.ts) and its table worker thread
 * (table-worker-program.ts), and the flow control's two sizes.
 *
 * To the worker: start a table, a chunk of jool's output (in a slot of the table's ring), finish
 * (with the analysis's options when the table is wanted whole). From the worker: slots parsed (with
 * the row count, which --poll.max-rows bounds), the finished table (its arrays moved), or why it
 * failed. Several tables may be in progress at once (one per polled instance), told apart by id.
 */
import type { Protocol } from '../model.js';
import type { RejectedRows } from '../parse/rejected.js';
import type { AnalysisOptions, TableAnalysis } from '../table/analyse-table.js';
import type { TableSize } from '../table/session-table.js';
import type { TableParts } from '../table/table-transfer.js';

/**
 * Each table's chunks reach the worker through a ring of slots in memory shared with it: the main
 * thread copies a chunk of jool's output into the next free slot and tells the worker which; the
 * worker confirms slots once parsed, and they are filled again. No buffer is made or moved per
 * chunk. A slot holds a pipe's read (pipe-reader.ts); a bigger chunk takes several.
 */
export const SLOT_BYTES = 64 * 1024;
/** Slots of a ring: at most this many chunks (1 MiB) are on their way at once. */
export const SLOTS = 16;

/**
 * Slots confirmed at once: a message per chunk would cost more than the copy. At most half the
 * ring, so that a worker that has parsed everything it was sent has always confirmed enough for
 * the exporter to send more.
 */
export const ACK_SLOTS = 4;

/** The worker thread's nice value, over the exporter's: the main thread, serving scrapes, comes first. */
export const WORKER_NICE = 10;

export type ToWorker =
  | {
      readonly type: 'start';
      readonly id: number;
      readonly protocol: Protocol;
      readonly expected?: TableSize;
      readonly maxRows: number;
      /** The table's ring: SLOTS x SLOT_BYTES, shared, not copied. */
      readonly ring: SharedArrayBuffer;
    }
  /** Slot `slot` of the ring holds the next `bytes` bytes of jool's output. */
  | { readonly type: 'chunk'; readonly id: number; readonly slot: number; readonly bytes: number }
  | { readonly type: 'finish'; readonly id: number; readonly analysis?: AnalysisOptions };

export type FromWorker =
  /** `slots` more slots are parsed (free again), and the table has `rows` rows so far. */
  | { readonly type: 'read'; readonly id: number; readonly slots: number; readonly rows: number }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly table: TableParts;
      readonly rejected: RejectedRows;
      readonly headers: number;
      readonly analysis?: TableAnalysis;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
