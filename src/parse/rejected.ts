/**
 * Rejected rows, the same way in every parser: counted, the first one kept
 * (truncated) with its reason as the example the log shows. A malformed row
 * never stops a parse.
 */

export interface RejectedRows {
  count: number;
  /** The first rejected line (truncated), for the log. */
  example?: string;
  /** Why the example was rejected. */
  reason?: string;
}

/** Longest example kept: enough to recognise a row, bounded whatever the input. */
export const EXAMPLE_MAX = 200;

/** Thrown by a row parser for a malformed row; caught per row by the parser's loop, never beyond it. */
export class RowError {
  constructor(readonly reason: string) {}
}

/** Counts one rejected row; `line` is only read for the first one (a function, so the hot path makes no string). */
export function noteRejected(rejected: RejectedRows, reason: string, line: string | (() => string)): void {
  if (rejected.count++ > 0) return;
  const text = typeof line === 'string' ? line : line();
  rejected.reason = reason;
  rejected.example = text.length > EXAMPLE_MAX ? text.slice(0, EXAMPLE_MAX) : text;
}
