/**
 * Every store contract, one suite per capability, for an engine's test file to run with its
 * factory: `describeStoreContracts('PostgreSQL', factory)`. A suite checks behaviour through the
 * ports only, so any engine that passes them all can back Rollcall. Not part of the build.
 */
import { describeAdminContract } from './admin-contract.js';
import type { StoreFactory } from './handle.js';
import { describeNodeContract } from './node-contract.js';
import { describeOutageHoldContract } from './outage-hold-contract.js';
import { describePresenceContract } from './presence-contract.js';
import { describeReportContract } from './report-contract.js';
import { describeRetentionContract } from './retention-contract.js';
import { describeRoutingContract } from './routing-contract.js';

export type { ContractStore, StoreFactory, StoreHandle } from './handle.js';

export function describeStoreContracts(engine: string, factory: StoreFactory): void {
  describePresenceContract(engine, factory);
  describeNodeContract(engine, factory);
  describeAdminContract(engine, factory);
  describeRoutingContract(engine, factory);
  describeReportContract(engine, factory);
  describeRetentionContract(engine, factory);
  describeOutageHoldContract(engine, factory);
}
