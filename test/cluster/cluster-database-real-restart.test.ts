/**
 * A real PostgreSQL restart under load: a server of the test's own (throwaway-postgres.ts; the
 * shared test server is never stopped) is shut down fast (every session of the three nodes is
 * terminated, 57P01), stays down 2 s, and starts again. The same scenario and checks as the
 * proxy's outage (database-outage.ts): every dropped agent logged out exactly once at its last
 * sign of life + the threshold, no connected agent logged out, every node ready again; and then
 * every node's bus LISTENs on the new server.
 * Skipped where no PostgreSQL binaries are installed; failed instead under ROLLCALL_REQUIRE_POSTGRES=1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { NO_THROWAWAY_POSTGRES, NO_THROWAWAY_POSTGRES_REASON, startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { waitFor } from '../support/wait.js';
import { startCluster, type Cluster } from './cluster-support.js';
import { OUTAGE_ENV, outageLosesNoChange } from './database-outage.js';

describe.skipIf(NO_THROWAWAY_POSTGRES)(`PostgreSQL restarted under load${NO_THROWAWAY_POSTGRES ? ` (skipped: ${NO_THROWAWAY_POSTGRES_REASON})` : ''}`, () => {
  let server: ThrowawayPostgres | null = null;
  let cluster: Cluster | null = null;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await server?.up().catch(() => undefined); // a failed test may have left it down; the nodes close against it
    await cluster?.close();
    await server?.remove();
    cluster = null;
    server = null;
  });

  it('loses no change and doubles none', { timeout: 180_000 }, async () => {
    const pg = (server = await startThrowawayPostgres());
    const c = (cluster = await startCluster(['A', 'B', 'C'], OUTAGE_ENV, { databaseUrl: pg.url }));
    const startedAt = async (): Promise<number> => (await c.sql.query<{ at: Date }>('SELECT pg_postmaster_start_time() AS at')).rows[0]?.at.getTime() ?? Number.NaN;
    const before = await startedAt();
    await outageLosesNoChange(c, { begin: () => pg.down(), end: () => pg.up() }, sockets);
    // It was a new server process, and each node's bus listens on it again (the poll alone would hide a lost LISTEN).
    expect(await startedAt()).toBeGreaterThan(before);
    await waitFor('every node LISTENing again', async () => (await c.sql.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE query = $1 AND backend_type = 'client backend'", [`LISTEN "rollcall_bus_${c.schema.schema}"`])).rows[0]?.n === 3, 10_000);
  });
});
