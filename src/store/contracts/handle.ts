/**
 * What every contract suite gets from an engine: a fresh, isolated store on a ManualClock (a real
 * database: a file, a schema), able to close and open the same database again. An engine's test
 * file hands the same factory to every suite (see index.ts). Not part of the build; vitest imports it.
 */
import type { ManualClock } from '../../service/clocks.js';
import type { RetentionStore, Store } from '../../service/ports.js';
import type { ReportStore } from '../../service/report-ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';

/** The parts of the store the suites check. */
export type ContractStore = Store & RoutingStore & ReportStore & RetentionStore;

export interface StoreHandle {
  readonly store: ContractStore;
  /** Closes this handle's store and opens the same database again (durability checks). */
  reopen(): Promise<ContractStore>;
  dispose(): Promise<void>;
}

export type StoreFactory = (clock: ManualClock) => Promise<StoreHandle>;
