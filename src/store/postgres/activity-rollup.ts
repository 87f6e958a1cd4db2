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

/** Adds `sign × [fromAt, toAt)` (whole seconds) to the activity's UTC days (sent, not awaited). */
function add(tx: Tx, workerSid: string, activitySid: string, cause: string, fromAt: number, toAt: number, sign: 1 | -1): void {
  const automatic = cause === 'offline-threshold' ? 1 : 0;
  for (let at = fromAt; at < toAt;) {
    const day = Math.floor(at / DAY_MS);
    const end = Math.min(toAt, (day + 1) * DAY_MS);
    tx.send(`INSERT INTO activity_rollup (worker_sid, day, activity_sid, automatic, ms) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (worker_sid, day, activity_sid, automatic) DO UPDATE SET ms = activity_rollup.ms + excluded.ms`,
    [workerSid, day, activitySid, automatic, sign * (end - at)]);
    at = end;
  }
}

interface Neighbour { to_activity_sid: string; cause: string; effective_at: number }

/**
 * Inserts an entry and reads, in the same statement, the entry in force at its instant (ties: the
 * latest written) and when the next one starts. The parts of one statement share its snapshot and
 * do not see the row it inserts, which is what the fold wants. One statement instead of three.
 */
const APPEND = `WITH prev AS (
    SELECT to_activity_sid, cause, effective_at FROM activity_log WHERE worker_sid = $2 AND effective_at <= $8 ORDER BY effective_at DESC, id DESC LIMIT 1
  ), next AS (
    SELECT MIN(effective_at) AS at FROM activity_log WHERE worker_sid = $2 AND effective_at > $8
  ), added AS (
    INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
  )
  SELECT added.id, prev.to_activity_sid, prev.cause, prev.effective_at, next.at AS next_at FROM added CROSS JOIN next LEFT JOIN prev ON TRUE`;

/** Folds a new log entry into the roll-up, given its neighbours as they were before it was written. */
function fold(tx: Tx, e: Omit<LoggedEntry, 'id'>, prev: Neighbour | undefined, nextAt: number | null): void {
  const at = second(e.effectiveAt);
  if (nextAt === null) {
    if (prev) add(tx, e.workerSid, prev.to_activity_sid, prev.cause, second(prev.effective_at), at, 1);
    return;
  }
  if (prev) add(tx, e.workerSid, prev.to_activity_sid, prev.cause, at, second(nextAt), -1);
  add(tx, e.workerSid, e.toActivitySid, e.cause, at, second(nextAt), 1);
}

/** Appends an activity-log entry and folds it into the roll-up; resolves to its id. */
export async function appendLog(tx: Tx, entry: {
  workspaceSid: string; workerSid: string; fromActivitySid: string | null; toActivitySid: string; cause: string; actor: string;
  evidence: string | null; effectiveAt: number; recordedAt: number;
}): Promise<number> {
  const row = await tx.one<{ id: number; to_activity_sid: string | null; cause: string | null; effective_at: number | null; next_at: number | null }>(APPEND,
    [entry.workspaceSid, entry.workerSid, entry.fromActivitySid, entry.toActivitySid, entry.cause, entry.actor, entry.evidence, entry.effectiveAt, entry.recordedAt]);
  if (!row) throw new Error('activity_log insert returned no id');
  const prev = row.to_activity_sid !== null && row.cause !== null && row.effective_at !== null
    ? { to_activity_sid: row.to_activity_sid, cause: row.cause, effective_at: row.effective_at } : undefined;
  fold(tx, entry, prev, row.next_at);
  return row.id;
}
