/**
 * Bulk seeding for the scale bench on PostgreSQL: N workers in three statements instead of N
 * `createWorker` transactions (each locks the workspace row, so they run one at a time: minutes at
 * 100 000). The rows are those `createWorker` writes — the worker (activity Available, the
 * initial presence state), one WorkerChannel per TaskChannel, the `created` row of the activity
 * log — without the `worker.created` event, which only the Events API and the console read.
 * Workers are named `agent-<i>`; the SIDs come back in index order.
 */
import pg from 'pg';
import { INITIAL_STORED_PRESENCE } from '../src/store/sqlite/rows.js';

export interface SeedTarget {
  readonly databaseUrl: string;
  readonly workspaceSid: string;
  readonly activitySid: string;
  readonly actor: string;
}

export async function seedWorkers(target: SeedTarget, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const at = (await client.query<{ now: string }>("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now")).rows[0]?.now;
    const params = [target.workspaceSid, target.activitySid, at, JSON.stringify(INITIAL_STORED_PRESENCE), count];
    await client.query(`INSERT INTO workers (sid, workspace_sid, friendly_name, attributes, activity_sid, created_at, updated_at, status_changed_at, version, presence)
      SELECT 'WK' || replace(gen_random_uuid()::text, '-', ''), $1, 'agent-' || i, '{}', $2, $3, $3, $3, 1, $4
        FROM generate_series(0, $5::int - 1) AS i`, params);
    await client.query(`INSERT INTO worker_channels (sid, worker_sid, task_channel_sid, capacity, available, created_at, updated_at)
      SELECT 'WC' || replace(gen_random_uuid()::text, '-', ''), w.sid, tc.sid, 1, 1, $2, $2
        FROM workers w JOIN task_channels tc ON tc.workspace_sid = w.workspace_sid
       WHERE w.workspace_sid = $1 AND w.friendly_name LIKE 'agent-%'`, [target.workspaceSid, at]);
    await client.query(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
      SELECT w.workspace_sid, w.sid, NULL, w.activity_sid, 'created', $2, NULL, $3, $3
        FROM workers w WHERE w.workspace_sid = $1 AND w.friendly_name LIKE 'agent-%' ORDER BY w.seq`, [target.workspaceSid, target.actor, at]);
    await client.query('COMMIT');
    // Fresh statistics, as a live database has them: without, the planner takes the new tables for
    // empty, and the nodes' start-up read of every worker's channels ran for minutes.
    await client.query('ANALYZE workers, worker_channels, activity_log');
    const rows = (await client.query<{ sid: string }>(
      "SELECT sid FROM workers WHERE workspace_sid = $1 AND friendly_name LIKE 'agent-%' ORDER BY substr(friendly_name, 7)::int", [target.workspaceSid])).rows;
    if (rows.length !== count) throw new Error(`seeded ${rows.length} workers, expected ${count}`);
    return rows.map((r) => r.sid);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
