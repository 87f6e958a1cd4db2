import { describe, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON } from '../../../test/support/postgres.js';
import { describeRoutingContract } from '../routing-contract.js';
import { createPostgresStore } from './postgres-store.js';

const engine = 'PostgreSQL (a schema per test)';

if (NO_POSTGRES) {
  describe.skip(`Routing store contract: ${engine}`, () => {
    it.skip(NO_POSTGRES_REASON, () => undefined);
  });
} else {
  describeRoutingContract(engine, async (clock) => {
    const schema = await createTestSchema();
    const store = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    return {
      store,
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  });
}
