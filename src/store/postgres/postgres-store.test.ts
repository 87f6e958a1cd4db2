import { describe, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON } from '../../../test/support/postgres.js';
import { describeStoreContracts, type StoreFactory } from '../contracts/index.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const engine = 'PostgreSQL (a schema per test)';

if (NO_POSTGRES) {
  // No server named by ROLLCALL_TEST_DATABASE_URL: shown as skipped with the reason (CI always sets it,
  // and with ROLLCALL_REQUIRE_POSTGRES=1 test/support/postgres.ts fails instead of skipping).
  describe.skip(`Store contract: ${engine}`, () => { // skipped: no PostgreSQL server (reason above)
    it.skip(NO_POSTGRES_REASON, () => undefined); // the reason is the test's name, so the run shows it
  });
} else {
  const factory: StoreFactory = async (clock) => {
    const schema = await createTestSchema();
    const open = () => createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    let store: PostgresStore = await open();
    return {
      get store() {
        return store;
      },
      async reopen() {
        await store.close();
        store = await open();
        return store;
      },
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  };
  describeStoreContracts(engine, factory);
}
