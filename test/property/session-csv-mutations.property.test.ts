/**
 * Property tests on damaged output: rows truncated, given extra fields, bytes flipped, inserted or
 * deleted, commas doubled, the output cut into chunks anywhere. The parser never throws, never
 * counts a bad row as a session, never loses a good one, and agrees with the reference parser
 * on every line.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cuts, type MutatedTable, mutate, mutation, sessionTable } from './arbitraries.js';
import { parseText } from './parse-support.js';
import { referenceParseSessions } from './reference-session-parser.js';

const SEED = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 9);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed: SEED, numRuns: RUNS };

const damaged: fc.Arbitrary<MutatedTable> = fc
  .tuple(sessionTable({ maxRows: 12 }), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .filter(([t]) => t.text.length > 0)
  .map(([t, mutations]) => mutate(t, mutations));

const damagedAndCut = damaged.chain((m) => fc.tuple(fc.constant(m), cuts(m.text.length)));

function firstRejectedMatches(example: string | undefined, rejected: readonly string[]): void {
  if (rejected.length === 0) {
    expect(example).toBeUndefined();
    return;
  }
  // The example is the start of the first bad line (at most 200 bytes of it; an overlong line
  // may be shown by what had arrived when it became too long).
  const shown = example!.replace(/\r$/, '');
  expect(rejected[0]!.replace(/\r$/, '').startsWith(shown)).toBe(true);
  expect(shown.length).toBeLessThanOrEqual(200);
}

describe('damaged tables', () => {
  it('parse exactly as the reference does, chunked anywhere, without throwing', () => {
    fc.assert(
      fc.property(damagedAndCut, ([m, cutPoints]) => {
        const ref = referenceParseSessions(m.protocol, m.text);
        const parsed = parseText(m.protocol, m.text, cutPoints);
        expect(parsed.sessions).toEqual(ref.sessions);
        expect(parsed.headers).toBe(ref.headers);
        expect(parsed.rejectedCount).toBe(ref.rejected.length);
        firstRejectedMatches(parsed.rejectedExample, ref.rejected);
      }),
      params,
    );
  });

  it('never lose a line nobody touched', () => {
    fc.assert(
      fc.property(damagedAndCut, ([m, cutPoints]) => {
        const parsed = parseText(m.protocol, m.text, cutPoints);
        // Untouched lines are valid sessions: each comes out, in order.
        const expected = m.untouched.map((line) => referenceParseSessions(m.protocol, line).sessions[0]);
        let next = 0;
        for (const s of parsed.sessions) if (next < expected.length && fc.stringify(s) === fc.stringify(expected[next])) next++;
        expect(next).toBe(expected.length);
        // And every line is either a session, a header, blank or counted as rejected: none vanish.
        const lines = m.text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
        const blank = lines.filter((l) => l === '' || l === '\r').length;
        expect(parsed.sessions.length + parsed.headers + parsed.rejectedCount + blank).toBe(lines.length);
      }),
      params,
    );
  });

  it('agree with the reference on over-long lines, for any line limit and chunking', () => {
    const withLimit = fc.tuple(damagedAndCut, fc.integer({ min: 1, max: 300 }));
    fc.assert(
      fc.property(withLimit, ([[m, cutPoints], maxLineBytes]) => {
        const ref = referenceParseSessions(m.protocol, m.text, maxLineBytes);
        const parsed = parseText(m.protocol, m.text, cutPoints, maxLineBytes);
        expect(parsed.sessions).toEqual(ref.sessions);
        expect(parsed.headers).toBe(ref.headers);
        expect(parsed.rejectedCount).toBe(ref.rejected.length);
        firstRejectedMatches(parsed.rejectedExample, ref.rejected);
      }),
      params,
    );
  });

  it('pure garbage bytes never throw and never make a session the reference would not', () => {
    const garbage = fc.tuple(
      fc.constantFrom('tcp', 'udp', 'icmp' as const),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    fc.assert(
      fc.property(
        garbage.chain(([p, text]) => fc.tuple(fc.constant(p), fc.constant(text), cuts(text.length))),
        ([p, text, cutPoints]) => {
          const ref = referenceParseSessions(p, text);
          const parsed = parseText(p, text, cutPoints);
          expect(parsed.sessions).toEqual(ref.sessions);
          expect(parsed.rejectedCount).toBe(ref.rejected.length);
        },
      ),
      params,
    );
  });
});
