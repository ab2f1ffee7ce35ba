/** Runs the real parser on text, whole or in chunks, and reads its table back as plain sessions. */

import { NO_STATE, type Protocol, TCP_STATES } from '../../src/model.js';
import { createSessionCsvParser, type ParseResult } from '../../src/parse/session-csv.js';
import { ipv6LocalAt } from '../../src/table/session-table.js';
import type { RefSession } from './reference-session-parser.js';

export interface Parsed {
  sessions: RefSession[];
  headers: number;
  rejectedCount: number;
  rejectedExample: string | undefined;
}

/**
 * Feeds `bytes` cut at `cutPoints`, each chunk copied into one scratch buffer that is scribbled
 * over after the push: a parser that keeps a caller's chunk instead of copying it is caught.
 */
export function parseInChunks(protocol: Protocol, bytes: Uint8Array, cutPoints: readonly number[] = [], maxLineBytes?: number): Parsed {
  const parser = createSessionCsvParser(protocol, maxLineBytes === undefined ? {} : { maxLineBytes });
  const scratch = new Uint8Array(bytes.length);
  let from = 0;
  for (const to of [...cutPoints, bytes.length]) {
    if (to <= from) continue;
    const chunk = scratch.subarray(0, to - from);
    chunk.set(bytes.subarray(from, to));
    parser.push(chunk);
    chunk.fill(0x58 /* X */);
    from = to;
  }
  return read(parser.finish());
}

export function parseText(protocol: Protocol, text: string, cutPoints: readonly number[] = [], maxLineBytes?: number): Parsed {
  return parseInChunks(protocol, Buffer.from(text, 'latin1'), cutPoints, maxLineBytes);
}

function read(result: ParseResult): Parsed {
  const t = result.table;
  const sessions: RefSession[] = [];
  for (let i = 0; i < t.length; i++) {
    const state = t.state[i]!;
    sessions.push({
      ipv6Remote: t.ipv6Remotes.values[t.ipv6Remote[i]!]!,
      ipv6RemotePort: t.ipv6RemotePort[i]!,
      ipv6Local: t.ipv6Locals.values[ipv6LocalAt(t, i)]!,
      ipv6LocalPort: t.ipv6LocalPort[i]!,
      ipv4Local: t.ipv4Locals.values[t.ipv4Local[i]!]!,
      ipv4LocalPort: t.ipv4LocalPort[i]!,
      ipv4Remote: t.ipv4Remotes.values[t.ipv4Remote[i]!]!,
      ipv4RemotePort: t.ipv4RemotePort[i]!,
      expiresMs: t.expiresMs[i]!,
      state: state === NO_STATE ? null : (TCP_STATES[state] ?? `?${state}`),
    });
  }
  return {
    sessions,
    headers: result.headers,
    rejectedCount: result.rejected.count,
    rejectedExample: result.rejected.example,
  };
}
