/**
 * The callback outbox on PostgreSQL (CallbackStore). Rows are owed by `recordEvent` (event-log.ts)
 * in the transaction that records their event; the dispatchers of every node claim due rows with
 * `FOR UPDATE SKIP LOCKED` and a lease, so two nodes never send one callback at once. Also the
 * presence gauges the metrics scrape reads. The SQLite twins are store/sqlite/callback-outbox.ts
 * and gauge-queries.ts.
 */
import type { CallbackKind, CallbackParams } from '../../core/callbacks.js';
import type { CallbackDelivery, CallbackStore } from '../../service/callback-ports.js';
import type { PresenceGaugeStore } from '../../service/metrics.js';
import type { PgDatabase } from './database.js';

interface OutboxRow {
  id: number; account_sid: string; workspace_sid: string; kind: string; event_sid: string | null; event_type: string | null;
  reservation_sid: string | null; url: string; fallback_url: string | null; params: string; status: string; attempts: number;
  next_attempt_at: number | null; last_attempt_at: number | null; last_url: string | null; last_http_status: number | null;
  last_error: string | null; answer: string | null; created_at: number;
}

const toDelivery = (r: OutboxRow): CallbackDelivery => ({
  id: r.id, accountSid: r.account_sid, workspaceSid: r.workspace_sid, kind: r.kind as CallbackKind, eventSid: r.event_sid, eventType: r.event_type,
  reservationSid: r.reservation_sid, url: r.url, fallbackUrl: r.fallback_url, params: JSON.parse(r.params) as CallbackParams,
  status: r.status as CallbackDelivery['status'], attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastAttemptAt: r.last_attempt_at,
  lastUrl: r.last_url, lastHttpStatus: r.last_http_status, lastError: r.last_error, answer: r.answer, createdAt: r.created_at,
});

export function createCallbackQueries(db: PgDatabase): CallbackStore {
  return {
    async claimDueCallbacks(limit, leaseMs) {
      return db.tx(async (tx) => {
        // A lease: a row in flight is not claimed again, and one a crash left in flight is retried when it ends.
        const rows = await tx.rows<OutboxRow & { due: number }>(`UPDATE callback_outbox o SET next_attempt_at = $1 FROM (
            SELECT id, next_attempt_at AS due FROM callback_outbox WHERE status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
          ) due WHERE o.id = due.id RETURNING o.*, due.due`, [tx.now + leaseMs, tx.now, limit]);
        // Handed over oldest first, as they were when due (the lease is the store's business).
        return rows.sort((a, b) => a.due - b.due || a.id - b.id).map((r) => ({ ...toDelivery(r), nextAttemptAt: r.due }));
      });
    },
    async nextCallbackDueAt() {
      return (await db.sql.one<{ at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM callback_outbox WHERE status = 'pending'"))?.at ?? null;
    },
    async recordCallbackAttempt(id, outcome) {
      await db.sql.run(`UPDATE callback_outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_attempt_at = $3, last_url = $4, last_http_status = $5,
          last_error = $6, answer = COALESCE($7, answer) WHERE id = $8`,
      [outcome.status, outcome.nextAttemptAt, await db.now(), outcome.url, outcome.httpStatus, outcome.error, outcome.answer, id]);
    },
    async listCallbackDeliveries(workspaceSid, filter) {
      const rows = await db.sql.rows<OutboxRow>('SELECT * FROM (SELECT * FROM callback_outbox WHERE workspace_sid = $1 AND id > $2 ORDER BY id DESC LIMIT $3) recent ORDER BY id',
        [workspaceSid, filter.afterId ?? 0, filter.limit]);
      return rows.map(toDelivery);
    },
  };
}

export function createGaugeQueries(db: PgDatabase): PresenceGaugeStore {
  return {
    async presenceGauges() {
      // One statement, one snapshot: the three numbers agree with each other.
      const row = await db.sql.one<{ connected_workers: number; sessions: number; in_grace: number; held: number }>(`SELECT
        (SELECT COUNT(DISTINCT worker_sid) FROM connections) AS connected_workers, (SELECT COUNT(*) FROM connections) AS sessions,
        (SELECT COUNT(*) FROM deadlines) AS in_grace,
        (SELECT COUNT(*) FROM outage_holds o JOIN outage_hold_workers h ON h.hold_sid = o.sid
           JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE o.ended_at IS NULL) AS held`);
      return { connectedWorkers: row?.connected_workers ?? 0, sessions: row?.sessions ?? 0, workersInGrace: row?.in_grace ?? 0, heldWorkers: row?.held ?? 0 };
    },
  };
}
