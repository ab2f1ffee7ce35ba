/**
 * Everything a poll works out from one finished session table: its aggregate, its subscribers,
 * its destinations and its share of pool4. The same steps on the main thread or on the table
 * worker (poll/table-worker.ts), each in slices so that neither thread's event loop waits long.
 */
import type { Pool4Entry } from '../model.js';
import { aggregateTableInSlices, type TableAggregate } from './aggregate.js';
import { computeDestinationsInSlices, type DestinationReport } from './destinations.js';
import { computePool4InSlices, type Pool4Report } from './pool4.js';
import type { SessionTable } from './session-table.js';
import { mapAndComputeSubscribersInSlices, type SubscriberOptions, type SubscriberReport } from './subscribers.js';

export interface AnalysisOptions {
  /** Subscriber = client address cut to this prefix length; top N subscribers get their own series. */
  readonly clients: SubscriberOptions;
  /** Top N destinations and services get their own series; 0: not computed at all. */
  readonly destinationsTop: number;
  /** The whole pool4, every protocol's entries (an empty pool4 is decided across all three). */
  readonly pool4: readonly Pool4Entry[];
}

export interface TableAnalysis {
  readonly aggregate: TableAggregate;
  readonly subscribers: SubscriberReport;
  readonly destinations: DestinationReport;
  readonly pool4: Pool4Report;
}

export async function analyseTable(table: SessionTable, options: AnalysisOptions): Promise<TableAnalysis> {
  // First: what it finds about the BIB entries spares the subscribers their table of owners, or sizes it.
  const aggregate = await aggregateTableInSlices(table);
  const subscribers = await mapAndComputeSubscribersInSlices(table, options.clients, aggregate);
  return {
    aggregate,
    subscribers: subscribers.report,
    // After the subscribers: "distinct subscribers per destination" reuses their client → subscriber map.
    destinations: await computeDestinationsInSlices(table, subscribers.map, options.destinationsTop),
    pool4: await computePool4InSlices(options.pool4, table),
  };
}
