/**
 * The activity roll-up on PostgreSQL: the same per worker, UTC day, activity and "began with an
 * automatic logout" sums as store/sqlite/activity-rollup.ts (read its header for the fold), kept
 * by the log's writers in the inserting transaction. The worker's row is locked by then, so two
 * entries of one worker never fold at once.
 */
import type { LoggedEntry } from '../sqlite/activity-rollup.js';
import { DAY_MS } from '../sqlite/activity-rollup.js';
import type { Tx } from './database.js';

const second = (at: number): number => Math.floor(at / 1000) * 1000;

/** Adds `sign × [fromAt, toAt)` (whole seconds) to the activity's UTC days. */
async function add(tx: Tx, workerSid: string, activitySid: string, cause: string, fromAt: number, toAt: number, sign: 1 | -1): Promise<void> {
  const automatic = cause === 'offline-threshold' ? 1 : 0;
  for (let at = fromAt; at < toAt;) {
    const day = Math.floor(at / DAY_MS);
    const end = Math.min(toAt, (day + 1) * DAY_MS);
    await tx.run(`INSERT INTO activity_rollup (worker_sid, day, activity_sid, automatic, ms) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (worker_sid, day, activity_sid, automatic) DO UPDATE SET ms = activity_rollup.ms + excluded.ms`,
    [workerSid, day, activitySid, automatic, sign * (end - at)]);
    at = end;
  }
}

/** Folds a just-inserted log entry into the roll-up; call it inside the inserting transaction. */
export async function foldLogged(tx: Tx, e: LoggedEntry): Promise<void> {
  const prev = await tx.one<{ to_activity_sid: string; cause: string; effective_at: number }>(
    `SELECT to_activity_sid, cause, effective_at FROM activity_log WHERE worker_sid = $1 AND effective_at <= $2 AND id <> $3
      ORDER BY effective_at DESC, id DESC LIMIT 1`, [e.workerSid, e.effectiveAt, e.id]);
  const nextAt = (await tx.one<{ at: number | null }>('SELECT MIN(effective_at) AS at FROM activity_log WHERE worker_sid = $1 AND effective_at > $2',
    [e.workerSid, e.effectiveAt]))?.at ?? null;
  const at = second(e.effectiveAt);
  if (nextAt === null) {
    if (prev) await add(tx, e.workerSid, prev.to_activity_sid, prev.cause, second(prev.effective_at), at, 1);
    return;
  }
  if (prev) await add(tx, e.workerSid, prev.to_activity_sid, prev.cause, at, second(nextAt), -1);
  await add(tx, e.workerSid, e.toActivitySid, e.cause, at, second(nextAt), 1);
}

/** Appends an activity-log entry and folds it; resolves to its id. */
export async function appendLog(tx: Tx, entry: {
  workspaceSid: string; workerSid: string; fromActivitySid: string | null; toActivitySid: string; cause: string; actor: string;
  evidence: string | null; effectiveAt: number; recordedAt: number;
}): Promise<number> {
  const row = await tx.one<{ id: number }>(`INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
  [entry.workspaceSid, entry.workerSid, entry.fromActivitySid, entry.toActivitySid, entry.cause, entry.actor, entry.evidence, entry.effectiveAt, entry.recordedAt]);
  if (!row) throw new Error('activity_log insert returned no id');
  await foldLogged(tx, { id: row.id, workerSid: entry.workerSid, toActivitySid: entry.toActivitySid, cause: entry.cause, effectiveAt: entry.effectiveAt });
  return row.id;
}
