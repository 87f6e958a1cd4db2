/**
 * A node whose wall clock is 5 s behind the database's (injected with a preload that shifts
 * Date.now) changes nothing: an agent it held is lost at its true last sign of life on the
 * database's clock and logged out at that + the threshold, on time. Without the store clock the
 * loss would be backdated 5 s and the wake-up 5 s late. Skipped without ROLLCALL_TEST_DATABASE_URL.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { until, waitFor } from '../support/wait.js';
import { activityLog, startCluster, THRESHOLD_S, type Cluster } from './cluster-support.js';

const SKEW_MS = -5000;

describe.skipIf(NO_POSTGRES)(`a node with its clock 5 s off${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  it('loses and logs out an agent at the database\'s instants', async () => {
    const c = (cluster = await startCluster(['skewed'], {
      NODE_OPTIONS: `--import ${path.resolve('test/cluster/skew-clock.mjs')}`, ROLLCALL_TEST_CLOCK_SKEW_MS: String(SKEW_MS),
    }));
    const dbNow = async (): Promise<number> => Number((await c.sql.query<{ now: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS now')).rows[0]?.now);
    const alice = await c.availableAgent('alice');
    const sid = c.workerSid('alice');
    // Longer than the skew, so a backdated loss would not be hidden by the clamp to the opening.
    await until(Date.now() + Math.abs(SKEW_MS) + 500);
    const before = await dbNow();
    alice.disconnect();
    const after = await dbNow();
    const logout = await waitFor('the logout', async () => (await activityLog(c.sql, sid)).find((e) => e.cause === 'offline-threshold'), 15_000);
    const evidence = JSON.parse(logout.evidence ?? '{}') as { lastSeenAt: number; reason: string };
    expect(evidence.reason).toBe('closed');
    // The close is the sign of life: on the database's clock, between the reads around it.
    expect(evidence.lastSeenAt).toBeGreaterThanOrEqual(before - 100);
    expect(evidence.lastSeenAt).toBeLessThanOrEqual(after + 100);
    expect(logout.effective_at).toBe(evidence.lastSeenAt + THRESHOLD_S * 1000);
    // Fired on time: recorded within a second of its due time (a node 5 s behind would fire 5 s late).
    const { rows } = await c.sql.query<{ recorded_at: string }>("SELECT recorded_at FROM activity_log WHERE worker_sid = $1 AND cause = 'offline-threshold'", [sid]);
    const lateMs = Number(rows[0]?.recorded_at) - logout.effective_at;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1000);
  });
});
