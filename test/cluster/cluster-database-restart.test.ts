/**
 * PostgreSQL going away under load and coming back, as the nodes see it: every link of the three
 * nodes cut by a proxy for 2 s, new ones refused meanwhile (database-outage.ts has the scenario
 * and its checks; cluster-database-real-restart.test.ts stops and starts a real server).
 * Skipped without ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, it } from 'vitest';
import type WebSocket from 'ws';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { startCluster, type Cluster } from './cluster-support.js';
import { OUTAGE_ENV, outageLosesNoChange } from './database-outage.js';

describe.skipIf(NO_POSTGRES)(`PostgreSQL going away under load${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await cluster?.close();
    cluster = null;
  });

  it('loses no change and doubles none', { timeout: 180_000 }, async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C'], OUTAGE_ENV, { databaseProxy: true }));
    const db = c.dbProxy;
    if (!db) throw new Error('no database proxy');
    await outageLosesNoChange(c, {
      begin: () => {
        db.refuseNew = true;
        db.drop();
        return Promise.resolve();
      },
      end: () => {
        db.refuseNew = false;
        return Promise.resolve();
      },
    }, sockets);
  });
});
