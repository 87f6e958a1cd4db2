import { describe, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON } from '../../../test/support/postgres.js';
import type { ContractStore, StoreFactory } from '../contracts/handle.js';
import { describeNodeContract } from '../contracts/node-contract.js';
import { describeOutageHoldContract } from '../contracts/outage-hold-contract.js';
import { describePresenceContract } from '../contracts/presence-contract.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const engine = 'PostgreSQL (a schema per test)';

if (NO_POSTGRES) {
  describe.skip(`Store contract: ${engine}`, () => {
    it.skip(NO_POSTGRES_REASON, () => undefined);
  });
} else {
  const factory: StoreFactory = async (clock) => {
    const schema = await createTestSchema();
    const open = () => createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    let store: PostgresStore = await open();
    const asContract = (s: PostgresStore): ContractStore => s as unknown as ContractStore;
    return {
      get store() {
        return asContract(store);
      },
      async reopen() {
        await store.close();
        store = await open();
        return asContract(store);
      },
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  };
  // The suites that need only the Store port; the routing, report and retention ports come with the next merge.
  describePresenceContract(engine, factory);
  describeNodeContract(engine, factory);
  describeOutageHoldContract(engine, factory);
}
