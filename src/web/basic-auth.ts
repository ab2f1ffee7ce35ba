/**
 * basic_auth_users: checking a password against its bcrypt hash, as exporter-toolkit does, with
 * the costs under control.
 *
 * - One bcrypt at a time (the toolkit's bcrypt mutex), run on a worker thread (bcrypt-worker.ts):
 *   the event loop stays free, so scrapes, /healthz and the poller do not wait for a check, and a
 *   flood of guesses is accepted as fast as it comes and meets the queue's bound.
 * - A bounded queue: past `queueLimit` pending checks the answer is "busy" at once (the caller
 *   sends 429 with Retry-After), so a flood of wrong passwords costs one core, not unbounded memory
 *   and latency.
 * - Successful checks are cached by a SHA-256 of (user, hash, password): a scrape with good
 *   credentials skips bcrypt and the queue. The password is never stored, only the digest; a
 *   changed hash in the config is a different key.
 * - An unknown user is compared against a dummy hash of the same cost, so the answer takes as long
 *   as for a known user with a wrong password: timing does not tell which users exist.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createBcryptWorker } from './bcrypt-worker.js';

export type AuthResult = 'ok' | 'denied' | 'busy';

export interface BasicAuth {
  /** Checks an Authorization header against `users` (user → bcrypt hash). */
  check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<AuthResult>;
  /** Checks waiting or running (for tests and the bench). */
  pending(): number;
  /** Ends the bcrypt worker (on exporter stop; a later check would start a new one). */
  stop(): Promise<void>;
}

export interface BasicAuthOptions {
  /** Most checks waiting or running before "busy"; default 16 (about 1.5 s of work at cost 10). */
  readonly queueLimit?: number;
  /** Most cached successful checks; default 256. */
  readonly cacheSize?: number;
}

/** user and password of a Basic Authorization header, or undefined. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  const match = header === undefined ? null : /^basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const BCRYPT_BASE64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A well-formed hash of nothing anyone knows, of the given cost: bcrypt runs in full, then never matches. */
function dummyHash(cost: string): string {
  const chars = [...randomBytes(53)].map((byte) => BCRYPT_BASE64[byte % 64]);
  // The last salt character carries 2 bits only: keep it one bcrypt accepts as is.
  chars[21] = '.';
  return `$2b$${cost}$${chars.join('')}`;
}

export function createBasicAuth(options: BasicAuthOptions = {}): BasicAuth {
  const queueLimit = options.queueLimit ?? 16;
  const cacheSize = options.cacheSize ?? 256;
  /** digest → true; a Map keeps insertion order, so the oldest entry is dropped first. */
  const cache = new Map<string, true>();
  const dummies = new Map<string, string>();
  const worker = createBcryptWorker();
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;

  /** The dummy for the users' highest cost (an unknown user must not answer faster than a known one). */
  const dummyFor = (users: ReadonlyMap<string, string>): string => {
    let cost = '10';
    for (const hash of users.values()) if (hash.slice(4, 6) > cost) cost = hash.slice(4, 6);
    let dummy = dummies.get(cost);
    if (dummy === undefined) {
      dummy = dummyHash(cost);
      dummies.set(cost, dummy);
    }
    return dummy;
  };

  const compareInTurn = (password: string, hash: string): Promise<boolean> => {
    pending++;
    const turn = tail.then(() => worker.compare(password, hash));
    tail = turn.catch(() => undefined);
    return turn.finally(() => pending--);
  };

  return {
    pending: () => pending,
    stop: () => worker.stop(),
    async check(users, authorization) {
      const credentials = parseBasicAuthorization(authorization);
      if (credentials === undefined) return 'denied';
      const known = users.get(credentials.user);
      const hash = known ?? dummyFor(users);
      const key = createHash('sha256')
        .update(credentials.user)
        .update('\0')
        .update(hash)
        .update('\0')
        .update(credentials.password)
        .digest('base64');
      if (known !== undefined && cache.has(key)) return 'ok';
      if (pending >= queueLimit) return 'busy';
      let match: boolean;
      try {
        match = await compareInTurn(credentials.password, hash);
      } catch {
        match = false; // the worker died (the next check starts another); bad hashes were refused at start
      }
      if (!match || known === undefined) return 'denied';
      cache.set(key, true);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
      return 'ok';
    },
  };
}
