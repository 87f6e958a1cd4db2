/**
 * The activity roll-up (migration 11): per worker, UTC day, activity and "began with an automatic
 * logout", the milliseconds (whole seconds) the worker spent there. It holds every *closed* stay,
 * a stay being the time from one log entry to the worker's next one (instants cut to the second,
 * as the billing fold cuts them); the stay from a worker's last entry is still open and is not in
 * it. A monthly report then reads ~4 rows per worker and day instead of ~30 log rows
 * (core/billing-rollup.ts says how the fold stays exact in any zone).
 *
 * Every writer of the log calls `RollupKeeper.logged` right after its insert, in the same
 * transaction (the presence writer, worker creation). An entry that lands after the worker's
 * latest one (the usual case) closes the previous stay; one that lands between two existing
 * entries splits the stay it falls in, taking back the part after it from the activity before.
 * Rows are keyed by activity SID, not by "logout or not", so a later change of the logout activity
 * still judges all time against the current one, as the report does. (A trigger was tried first:
 * SQLite planned its CTEs into scans of the worker's whole history, 1–3 ms per insert; these three
 * statements cost a few µs.)
 */
import type BetterSqlite3 from 'better-sqlite3';

export const DAY_MS = 86_400_000;

/** `floor(x / unit) * unit` in SQLite integer arithmetic (`%` truncates toward zero). */
const floorTo = (x: string, unit: number): string => `((${x}) - (((${x}) % ${unit}) + ${unit}) % ${unit})`;
const toSecond = (x: string): string => floorTo(x, 1000);
const dayOf = (x: string): string => `(${floorTo(x, DAY_MS)} / ${DAY_MS})`;

/**
 * `pieces(worker_sid, act, auto, sign, day, fromAt, toAt, endAt)`: the spans of a CTE `spans
 * (worker_sid, act, auto, fromAt, toAt, sign)` cut at UTC midnights.
 */
const PIECES = `
    pieces(worker_sid, act, auto, sign, day, fromAt, toAt, endAt) AS (
      SELECT worker_sid, act, auto, sign, ${dayOf('fromAt')}, fromAt, MIN(toAt, (${dayOf('fromAt')} + 1) * ${DAY_MS}), toAt
        FROM spans WHERE toAt > fromAt
      UNION ALL
      SELECT worker_sid, act, auto, sign, day + 1, toAt, MIN(endAt, (day + 2) * ${DAY_MS}), endAt FROM pieces WHERE toAt < endAt)`;

/** Every closed stay of the existing log, from scratch (the backfill; also what the tests compare with). */
export const ROLLUP_REBUILD = `
  DELETE FROM activity_rollup;
  INSERT INTO activity_rollup (worker_sid, day, activity_sid, automatic, ms)
  WITH RECURSIVE
    stays AS (
      SELECT worker_sid, to_activity_sid, cause, effective_at,
             LEAD(effective_at) OVER (PARTITION BY worker_sid ORDER BY effective_at, id) AS next_at
        FROM activity_log),
    spans(worker_sid, act, auto, fromAt, toAt, sign) AS (
      SELECT worker_sid, to_activity_sid, cause = 'offline-threshold', ${toSecond('effective_at')}, ${toSecond('next_at')}, 1
        FROM stays WHERE next_at IS NOT NULL),
    ${PIECES}
  SELECT worker_sid, day, act, auto, SUM(toAt - fromAt) FROM pieces WHERE true GROUP BY worker_sid, day, act, auto;`;

/** What the keeper needs of a log entry just inserted. */
export interface LoggedEntry {
  readonly id: number | bigint;
  readonly workerSid: string;
  readonly toActivitySid: string;
  readonly cause: string;
  readonly effectiveAt: number;
}

export interface RollupKeeper {
  /** Folds a just-inserted log entry into the roll-up; call it inside the inserting transaction. */
  logged(entry: LoggedEntry): void;
}

const second = (at: number): number => Math.floor(at / 1000) * 1000;

export function createRollupKeeper(db: BetterSqlite3.Database): RollupKeeper {
  const q = {
    prev: db.prepare<[string, number, number | bigint], { to_activity_sid: string; cause: string; effective_at: number }>(
      `SELECT to_activity_sid, cause, effective_at FROM activity_log WHERE worker_sid = ? AND effective_at <= ? AND id <> ?
        ORDER BY effective_at DESC, id DESC LIMIT 1`),
    next: db.prepare<[string, number], { at: number | null }>('SELECT MIN(effective_at) AS at FROM activity_log WHERE worker_sid = ? AND effective_at > ?'),
    add: db.prepare<[string, number, string, number, number]>(`INSERT INTO activity_rollup (worker_sid, day, activity_sid, automatic, ms) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (worker_sid, day, activity_sid, automatic) DO UPDATE SET ms = ms + excluded.ms`),
  };
  /** Adds `sign × [fromAt, toAt)` (whole seconds) to the activity's UTC days. */
  const add = (workerSid: string, activitySid: string, cause: string, fromAt: number, toAt: number, sign: 1 | -1): void => {
    const automatic = cause === 'offline-threshold' ? 1 : 0;
    for (let at = fromAt; at < toAt;) {
      const day = Math.floor(at / DAY_MS);
      const end = Math.min(toAt, (day + 1) * DAY_MS);
      q.add.run(workerSid, day, activitySid, automatic, sign * (end - at));
      at = end;
    }
  };
  return {
    logged(e) {
      const prev = q.prev.get(e.workerSid, e.effectiveAt, e.id);
      const nextAt = q.next.get(e.workerSid, e.effectiveAt)?.at ?? null;
      const at = second(e.effectiveAt);
      if (nextAt === null) {
        if (prev) add(e.workerSid, prev.to_activity_sid, prev.cause, second(prev.effective_at), at, 1);
        return;
      }
      if (prev) add(e.workerSid, prev.to_activity_sid, prev.cause, at, second(nextAt), -1);
      add(e.workerSid, e.toActivitySid, e.cause, at, second(nextAt), 1);
    },
  };
}
