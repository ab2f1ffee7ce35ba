/**
 * What the exporter knows about each Jool instance, as of its last poll: the status model that
 * poll/ produces and metrics/ and http/ read (the store that holds it is store.ts).
 *
 * Every status is immutable; a finished poll replaces its instance's status in
 * one assignment. Readers (/metrics, /sessions.csv) take `store.current` once
 * and read only that object, so they always see one complete poll per
 * instance, never a half-read table or a mix of two polls.
 */

import type { Dialect } from '../jool/commands.js';
import { PROTOCOLS, type Protocol } from '../model.js';
import type { TableAggregate } from '../table/aggregate.js';
import type { DestinationReport } from '../table/destinations.js';
import type { Pool4Report } from '../table/pool4.js';
import type { SessionTable } from '../table/session-table.js';
import type { SubscriberReport } from '../table/subscribers.js';

/**
 * Why a poll failed; every value is exported (at 0) from the start. `too_large`: a table past
 * --poll.max-rows (the call is killed); `internal`: an unexpected exception in the exporter itself.
 */
export const FAILURE_REASONS = ['spawn', 'exit', 'timeout', 'parse', 'dialect', 'too_large', 'internal'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface PolledTable {
  readonly table: SessionTable;
  readonly aggregate: TableAggregate;
  readonly subscribers: SubscriberReport;
  readonly destinations: DestinationReport;
}

/** One of Jool's own counters (`jool stats display`), in Jool's order. */
export interface JoolStat {
  readonly name: string;
  readonly value: number;
}

export interface JoolVersion {
  readonly version: string;
  readonly dialect: Dialect;
}

export interface InstanceStatus {
  readonly name: string;
  /** Polls finished, successful or not. */
  readonly polls: number;
  /** Result of the last poll; undefined before the first one finishes. */
  readonly up: boolean | undefined;
  readonly lastPollDurationSeconds: number | undefined;
  readonly lastSuccessTimestampSeconds: number | undefined;
  readonly failures: Readonly<Record<FailureReason, number>>;
  readonly rejectedRows: Readonly<Record<Protocol, number>>;
  readonly lastError: { readonly reason: FailureReason; readonly message: string } | undefined;
  /** The tables of the last poll, present only when that poll succeeded. */
  readonly tables: Readonly<Record<Protocol, PolledTable>> | undefined;
  /** pool4 capacity and usage, per protocol, from the same poll as `tables`. */
  readonly pool4: Readonly<Record<Protocol, Pool4Report>> | undefined;
  /** Jool's counters from the same poll; undefined also where Jool has none (Jool 3). */
  readonly stats: readonly JoolStat[] | undefined;
  readonly jool: JoolVersion | undefined;
}

/** How `--jool.instance=*` discovery is going; undefined when it is not used. */
export interface DiscoveryStatus {
  readonly runs: number;
  readonly failures: number;
  readonly lastError: string | undefined;
  /** Instances that jool lists but that no configured namespace reaches. */
  readonly unreachable: readonly { readonly name: string; readonly namespace: string }[];
}

export interface ExporterStatus {
  readonly instances: readonly InstanceStatus[];
  readonly discovery: DiscoveryStatus | undefined;
  /** True once every instance has finished a poll (successful or not): from then on, answers are real. */
  readonly ready: boolean;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

export function initialStatus(name: string): InstanceStatus {
  return {
    name,
    polls: 0,
    up: undefined,
    lastPollDurationSeconds: undefined,
    lastSuccessTimestampSeconds: undefined,
    failures: zeros(FAILURE_REASONS),
    rejectedRows: zeros(PROTOCOLS),
    lastError: undefined,
    tables: undefined,
    pool4: undefined,
    stats: undefined,
    jool: undefined,
  };
}
