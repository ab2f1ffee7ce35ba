/**
 * Turns address text, read straight from a byte buffer, into small dense ids.
 *
 * A session table repeats the same addresses millions of times (a client has
 * many sessions, pool4 has a handful of addresses, popular servers recur).
 * Interning keeps one string per distinct address instead of one per row and
 * gives aggregation cheap integer keys ("distinct clients" = distinct ids).
 *
 * An id is one exact text, as Jool printed it, so that /sessions.csv prints the
 * rows back byte for byte. The hot path still never compares text: each text is
 * parsed into its binary form (address-bytes.ts), which is also its validation,
 * and looked up by those 32 or 128 bits in an open-addressing table of typed
 * arrays with the key stored in the slot. That is exact because the key is the
 * text itself in another form:
 *  - IPv4: the strict dotted quad (no leading zeros) is the only spelling of its value;
 *  - IPv6: the canonical spelling (RFC 5952, what Jool's client prints) is the only one of its
 *    value; any other spelling (upper case, leading zeros, a dotted tail, another "::") is rare
 *    and keyed by its text in a Map instead, so it keeps an id of its own.
 * A text lookup costs a hash, a probe and byte compares in far-apart memory (about 250 ns a
 * lookup at 50k addresses in a profile); a binary one, a few cache-resident integer compares.
 * The binary form is kept by id, so later stages (subscribers, pool4) mask and compare numbers.
 *
 * This file has what both kinds share; ipv4-interner.ts and ipv6-interner.ts are the two kinds,
 * key-table.ts their lookup table, text-store.ts their texts.
 */
import { INITIAL_SLOTS } from './key-table.js';
import type { TextBytes, TextStore } from './text-store.js';

export interface Interner {
  /**
   * Text of each distinct value, indexed by id. Made on first use (from the bytes kept by id) and
   * kept: a poll makes no string per address, only what a consumer asks for.
   */
  readonly values: readonly string[];
  /** Text of one id (not kept: for a consumer that needs a few). */
  text(id: number): string;
  /** The text of every id as latin1 bytes, back to back: id's text is bytes[offsets[id], offsets[id + 1]). */
  texts(): TextBytes;
  /** Number of distinct values seen. */
  readonly size: number;
  /** Id of the address in `bytes[start, end)`; interns it on first sight. Returns -1 when it is not an address. */
  intern(bytes: Uint8Array, start: number, end: number): number;
  /** Id of a JS string (same rules as `intern`), for callers that are not parsing bytes. */
  internString(text: string): number;
  /**
   * No more interning: frees the lookup table (the bigger part of an interner of many addresses,
   * and of no use to a finished table, which only reads ids' texts and bits) and trims the rest to
   * size. `intern` throws afterwards.
   */
  seal(): void;
}

export interface IPv4Interner extends Interner {
  /** The address of an id, as an unsigned 32-bit number. */
  address(id: number): number;
  /** A sealed interner's arrays (`bits`: one address per id), to rebuild it elsewhere (restoreIPv4Interner). */
  parts(): InternerParts;
}

export interface IPv6Interner extends Interner {
  /**
   * Word `word` (0 to 3, most significant first) of the 128-bit address of an id. Throws for an
   * interner made with `keepBits` false.
   */
  word(id: number, word: number): number;
  /**
   * `intern` for the IPv6 local address of a NAT64 session, already scanned by the caller
   * (`spelling` and `words` from scanIPv6Bytes, not NOT_IPV6), whose IPv4 remote address has id
   * `ipv4Id` and value `ipv4Address`. Same id as `intern`, found faster: see embeddedIds in ipv6-interner.ts.
   */
  internLocal(
    bytes: Uint8Array,
    start: number,
    end: number,
    spelling: number,
    words: Uint32Array,
    ipv4Id: number,
    ipv4Address: number,
  ): number;
  /**
   * The id `internLocal` gave the IPv4 remote `ipv4Id` embedded in the prefix (see embeddedIds
   * in ipv6-interner.ts), or -1 when it gave none. Before seal() only.
   */
  embeddedId(ipv4Id: number): number;
  /** embeddedId() for the IPv4 remotes 0 to `ipv4Count` - 1, as an array of its own. Before seal() only. */
  embeddedIds(ipv4Count: number): Int32Array;
  /** A sealed interner's arrays (`bits`: four words per id), to rebuild it elsewhere (restoreIPv6Interner). */
  parts(): InternerParts;
}

/**
 * All a sealed interner holds, as typed arrays of their own (each its own ArrayBuffer): what a
 * table parsed on the worker thread sends back, moved rather than copied (table-transfer.ts).
 */
export interface InternerParts extends TextBytes {
  readonly bits: Uint32Array;
}

/** Room beyond the expected count: an address population changes a little from one poll to the next. */
const HEADROOM = 1 / 8;

/** Ids to make room for: `expected` (a hint, 0 when unknown) plus headroom, at least INITIAL_SLOTS. */
export function capacityFor(expected: number): number {
  return Math.max(INITIAL_SLOTS, Math.ceil(expected * (1 + HEADROOM)));
}

/** What both interners share, around their own `intern` and `seal`. */
export function internerOf(store: TextStore, intern: Interner['intern'], seal: () => void): Interner {
  return {
    get values() {
      return store.values();
    },
    get size() {
      return store.count;
    },
    text: store.text,
    texts: store.texts,
    intern,
    internString: (text) => intern(Buffer.from(text, 'latin1'), 0, text.length),
    seal,
  };
}

export function sealed(): never {
  throw new Error('this interner is sealed: its table is finished');
}

export function noop(): void {}
