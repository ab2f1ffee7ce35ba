/**
 * What the exporter knows about each Jool instance, as of its last poll.
 *
 * Every status is immutable; a finished poll replaces its instance's status in
 * one assignment. Readers (/metrics, /sessions.csv) take `store.current` once
 * and read only that object, so they always see one complete poll per
 * instance, never a half-read table or a mix of two polls.
 */
import { PROTOCOLS, type Protocol } from '../model.js';
import type { TableAggregate } from '../table/aggregate.js';
import type { SessionTable } from '../table/session-table.js';
import type { Dialect } from '../jool/commands.js';

/** Why a poll failed; every value is exported (at 0) from the start. */
export const FAILURE_REASONS = ['spawn', 'exit', 'timeout', 'parse', 'dialect'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface PolledTable {
  readonly table: SessionTable;
  readonly aggregate: TableAggregate;
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
  /** When the poll that produced `tables` finished (ms since the epoch). */
  readonly tablesPolledAt: number | undefined;
  readonly jool: JoolVersion | undefined;
}

export interface ExporterStatus {
  readonly instances: readonly InstanceStatus[];
  /** True once every instance has finished a poll (successful or not): from then on, answers are real. */
  readonly ready: boolean;
}

export interface StatusStore {
  readonly current: ExporterStatus;
  replace(status: InstanceStatus): void;
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
    tablesPolledAt: undefined,
    jool: undefined,
  };
}

export function createStatusStore(instanceNames: readonly string[]): StatusStore {
  let current: ExporterStatus = { instances: instanceNames.map(initialStatus), ready: false };
  return {
    get current() {
      return current;
    },
    replace(status: InstanceStatus): void {
      const instances = current.instances.map((old) => (old.name === status.name ? status : old));
      current = { instances, ready: instances.every((instance) => instance.polls > 0) };
    },
  };
}
