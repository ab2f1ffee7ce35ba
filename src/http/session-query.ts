/**
 * The query parameters of /sessions.csv, validated into a filter. Anything
 * unknown or malformed is refused with a one-line reason (HTTP 400), never
 * silently ignored: a typo must not return the whole table.
 */
import type ipaddr from 'ipaddr.js';
import { parseDuration } from '../duration.js';
import { isProtocol, PROTOCOLS, type Protocol, TCP_STATES } from '../model.js';
import { isIPv4Text, isIPv6Text, parseAddress } from '../table/address.js';

export interface Cidr {
  readonly text: string;
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

export interface SessionQuery {
  /** Instances to show; null means every configured instance. */
  readonly instances: readonly string[] | null;
  readonly protocols: readonly Protocol[];
  /** TCP state codes to keep (rows of other protocols have no state and are dropped); null: all. */
  readonly states: ReadonlySet<number> | null;
  /** Matched against IPv6 Remote Address (the client). */
  readonly client: readonly Cidr[] | null;
  /** Matched against IPv4 Local Address (the pool4 address). */
  readonly pool4: readonly Cidr[] | null;
  /** Matched against IPv4 Remote Address (the server). */
  readonly remote: readonly Cidr[] | null;
  /** Keep sessions that expire within this many ms (of the poll). */
  readonly expiresWithinMs: number | null;
  readonly limit: number | null;
}

export const QUERY_PARAMETERS = ['instance', 'protocol', 'state', 'client', 'pool4', 'remote', 'expires_within', 'limit'] as const;

export class QueryError extends Error {}

type RawQuery = Record<string, unknown>;

/** Every value of a parameter: repeated (`?protocol=tcp&protocol=udp`) or comma-separated (`?protocol=tcp,udp`). */
function values(query: RawQuery, name: string): string[] | null {
  const raw = query[name];
  if (raw === undefined) return null;
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((item) => typeof item === 'string')) throw new QueryError(`parameter "${name}" is malformed`);
  const parts = (list as string[]).flatMap((item) => item.split(',')).map((item) => item.trim());
  if (parts.some((part) => part === '')) throw new QueryError(`parameter "${name}" has an empty value`);
  return parts;
}

function single(query: RawQuery, name: string): string | null {
  const list = values(query, name);
  if (list === null) return null;
  if (list.length !== 1) throw new QueryError(`parameter "${name}" takes one value, got ${list.length}`);
  return list[0]!;
}

function cidrs(query: RawQuery, name: string, kind: 'ipv4' | 'ipv6', column: string): Cidr[] | null {
  const list = values(query, name);
  if (list === null) return null;
  const family = kind === 'ipv4' ? 'IPv4' : 'IPv6';
  return list.map((text) => {
    // Strict forms only: ipaddr.js would also read inet_aton shorthand ("10" as 0.0.0.10, "010" as
    // octal), turning a typo into a different address instead of an error.
    const [address = '', length, ...extra] = text.split('/');
    const isValid = address.includes(':') ? isIPv6Text : isIPv4Text;
    if (extra.length > 0 || !isValid(address) || (length !== undefined && !/^\d{1,3}$/.test(length))) {
      throw new QueryError(`${name}=${text} is not an ${family} address or CIDR prefix`);
    }
    const parsed = parseAddress(address);
    if (parsed.kind() !== kind) {
      throw new QueryError(`${name}=${text} is not ${family} (${name} is matched against ${column})`);
    }
    const bits = length === undefined ? (kind === 'ipv4' ? 32 : 128) : Number(length);
    if (bits > (kind === 'ipv4' ? 32 : 128)) throw new QueryError(`${name}=${text} is not an ${family} address or CIDR prefix`);
    const range: [ipaddr.IPv4 | ipaddr.IPv6, number] = [parsed, bits];
    return { text, range };
  });
}

export function parseSessionQuery(query: RawQuery, configuredInstances: readonly string[]): SessionQuery {
  for (const name of Object.keys(query)) {
    if (!(QUERY_PARAMETERS as readonly string[]).includes(name)) {
      throw new QueryError(`unknown parameter "${name}" (known: ${QUERY_PARAMETERS.join(', ')})`);
    }
  }
  const instances = values(query, 'instance');
  for (const instance of instances ?? []) {
    if (!configuredInstances.includes(instance)) {
      throw new QueryError(`instance "${instance}" is not polled by this exporter (polled: ${configuredInstances.join(', ')})`);
    }
  }
  const protocolValues = values(query, 'protocol')?.map((p) => p.toLowerCase()) ?? null;
  for (const protocol of protocolValues ?? []) {
    if (!isProtocol(protocol)) throw new QueryError(`protocol=${protocol} is not one of ${PROTOCOLS.join(', ')}`);
  }
  const stateValues = values(query, 'state')?.map((s) => s.toUpperCase()) ?? null;
  const states =
    stateValues === null
      ? null
      : new Set(
          stateValues.map((state) => {
            const code = (TCP_STATES as readonly string[]).indexOf(state);
            if (code < 0) throw new QueryError(`state=${state} is not a TCP state (${TCP_STATES.join(', ')})`);
            return code;
          }),
        );

  const expiresWithin = single(query, 'expires_within');
  let expiresWithinMs: number | null = null;
  if (expiresWithin !== null) {
    try {
      expiresWithinMs = parseDuration(expiresWithin);
    } catch (error) {
      throw new QueryError(`expires_within: ${(error as Error).message}`);
    }
  }
  const limitText = single(query, 'limit');
  let limit: number | null = null;
  if (limitText !== null) {
    if (!/^\d{1,9}$/.test(limitText)) throw new QueryError(`limit=${limitText} is not a whole number of rows`);
    limit = Number(limitText);
  }

  return {
    instances: instances === null ? null : [...new Set(instances)],
    protocols: protocolValues === null ? PROTOCOLS : PROTOCOLS.filter((p) => protocolValues.includes(p)),
    states,
    client: cidrs(query, 'client', 'ipv6', 'IPv6 Remote Address'),
    pool4: cidrs(query, 'pool4', 'ipv4', 'IPv4 Local Address'),
    remote: cidrs(query, 'remote', 'ipv4', 'IPv4 Remote Address'),
    expiresWithinMs,
    limit,
  };
}
