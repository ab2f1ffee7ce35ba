/**
 * Property tests: random valid Jool session tables (both dialects, every protocol and TCP state,
 * edge expiries, with and without the header and Jool 3's empty State) parse to exactly the
 * sessions they were generated from, and to what the simple reference parser reads, however the
 * output is cut into chunks.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cuts, sessionTable } from './arbitraries.js';
import { parseText } from './parse-support.js';
import { referenceParseSessions } from './reference-session-parser.js';

// Fixed seed by default (reproducible CI); FC_SEED=random explores further.
const SEED = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 9);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed: SEED, numRuns: RUNS };

describe('valid tables', () => {
  it('the reference reads every generated table back exactly (the generator and reference agree)', () => {
    fc.assert(
      fc.property(sessionTable(), (t) => {
        const ref = referenceParseSessions(t.protocol, t.text);
        expect(ref.rejected).toEqual([]);
        expect(ref.sessions).toEqual(t.sessions);
      }),
      params,
    );
  });

  it('parse to exactly the generated sessions, nothing rejected', () => {
    fc.assert(
      fc.property(sessionTable(), (t) => {
        const parsed = parseText(t.protocol, t.text);
        expect(parsed.rejectedCount).toBe(0);
        expect(parsed.sessions).toEqual(t.sessions);
        expect(parsed.headers).toBe(referenceParseSessions(t.protocol, t.text).headers);
      }),
      params,
    );
  });

  it('parse the same whatever the chunk boundaries', () => {
    const withCuts = sessionTable({ maxRows: 15 }).chain((t) => fc.tuple(fc.constant(t), cuts(t.text.length)));
    fc.assert(
      fc.property(withCuts, ([t, cutPoints]) => {
        const parsed = parseText(t.protocol, t.text, cutPoints);
        expect(parsed.rejectedCount).toBe(0);
        expect(parsed.sessions).toEqual(t.sessions);
      }),
      params,
    );
  });

  it('a table read as another protocol is rejected row for row, never half-accepted', () => {
    const other = { tcp: 'udp', udp: 'icmp', icmp: 'tcp' } as const;
    fc.assert(
      fc.property(sessionTable(), (t) => {
        const parsed = parseText(other[t.protocol], t.text);
        expect(parsed.sessions).toEqual([]);
        expect(parsed.rejectedCount).toBe(t.sessions.length);
      }),
      params,
    );
  });
});
