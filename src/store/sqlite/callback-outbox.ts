/**
 * The callback outbox on SQLite. `enqueue` runs inside the transaction that records an event
 * (PresenceWriter.recordEvent), so a callback is owed exactly when its event committed, and a
 * restart finds every undelivered one. The dispatcher (service/callback-dispatcher) claims due
 * rows and records each attempt's outcome; delivered and failed rows stay as the delivery log.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { assignmentCallbackParams, eventCallbackParams, passesEventsFilter, type CallbackKind, type CallbackParams } from '../../core/callbacks.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import type { CallbackAttemptOutcome, CallbackDelivery, CallbackStore } from '../../service/callback-ports.js';
import type { Clock } from '../../service/ports.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';

interface OutboxRow {
  id: number; account_sid: string; workspace_sid: string; kind: string; event_sid: string | null; event_type: string | null;
  reservation_sid: string | null; url: string; fallback_url: string | null; params: string; status: string; attempts: number;
  next_attempt_at: number | null; last_attempt_at: number | null; last_url: string | null; last_http_status: number | null;
  last_error: string | null; answer: string | null; created_at: number;
}

interface AssignmentRow {
  url: string | null; fallback: string | null; workflow_sid: string; queue_sid: string | null; task_attributes: string; priority: number;
  task_start: number; worker_attributes: string;
}

const toDelivery = (r: OutboxRow): CallbackDelivery => ({
  id: r.id, accountSid: r.account_sid, workspaceSid: r.workspace_sid, kind: r.kind as CallbackKind, eventSid: r.event_sid, eventType: r.event_type,
  reservationSid: r.reservation_sid, url: r.url, fallbackUrl: r.fallback_url, params: JSON.parse(r.params) as CallbackParams,
  status: r.status as CallbackDelivery['status'], attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastAttemptAt: r.last_attempt_at,
  lastUrl: r.last_url, lastHttpStatus: r.last_http_status, lastError: r.last_error, answer: r.answer, createdAt: r.created_at,
});

/** Writes owed callbacks inside the caller's transaction. */
export class CallbackOutbox {
  private readonly q;

  constructor(db: BetterSqlite3.Database) {
    this.q = {
      workspace: db.prepare<[string], { event_callback_url: string | null; events_filter: string | null }>('SELECT event_callback_url, events_filter FROM workspaces WHERE sid = ?'),
      assignment: db.prepare<[string], AssignmentRow>(`SELECT f.assignment_callback_url AS url, f.fallback_assignment_callback_url AS fallback, t.workflow_sid, t.queue_sid,
          t.attributes AS task_attributes, t.priority, COALESCE(t.virtual_start_at, t.created_at) AS task_start, w.attributes AS worker_attributes
        FROM reservations r JOIN tasks t ON t.sid = r.task_sid JOIN workflows f ON f.sid = t.workflow_sid JOIN workers w ON w.sid = r.worker_sid WHERE r.sid = ?`),
      insert: db.prepare(`INSERT INTO callback_outbox (account_sid, workspace_sid, kind, event_sid, event_type, reservation_sid, url, fallback_url, params, status, next_attempt_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`),
    };
  }

  /** Owes the workspace's event callback for `event` (if set and let through), and a new reservation's assignment callback. */
  enqueue(event: WorkspaceEvent): void {
    const ws = this.q.workspace.get(event.workspaceSid);
    if (ws?.event_callback_url && passesEventsFilter(ws.events_filter, event.eventType)) {
      this.q.insert.run(event.accountSid, event.workspaceSid, 'event', event.sid, event.eventType, null, ws.event_callback_url, null,
        JSON.stringify(eventCallbackParams(event)), event.at, event.at);
    }
    if (event.eventType !== 'reservation.created') return;
    const a = this.q.assignment.get(event.resourceSid);
    if (!a?.url) return;
    const params = assignmentCallbackParams({
      accountSid: event.accountSid, workspaceSid: event.workspaceSid, workflowSid: a.workflow_sid, taskQueueSid: a.queue_sid,
      workerSid: event.data.worker_sid ?? '', taskSid: event.data.task_sid ?? '', reservationSid: event.resourceSid,
      taskAttributes: a.task_attributes, workerAttributes: a.worker_attributes, taskAgeS: (event.at - a.task_start) / 1000, taskPriority: a.priority,
    });
    this.q.insert.run(event.accountSid, event.workspaceSid, 'assignment', event.sid, event.eventType, event.resourceSid, a.url, a.fallback,
      JSON.stringify(params), event.at, event.at);
  }
}

export function createCallbackQueries(db: BetterSqlite3.Database, clock: Clock): CallbackStore {
  const prepare = cachedPrepare(db);
  return {
    async claimDueCallbacks(limit, leaseMs) {
      return writeTx(db, () => {
        const now = clock.now();
        const rows = prepare<[number, number], OutboxRow>("SELECT * FROM callback_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?").all(now, limit);
        // A lease: a row in flight is not claimed again, and one a crash left in flight is retried when it ends.
        const lease = prepare('UPDATE callback_outbox SET next_attempt_at = ? WHERE id = ?');
        for (const r of rows) lease.run(now + leaseMs, r.id);
        return rows.map(toDelivery);
      });
    },
    async nextCallbackDueAt() {
      return prepare<[], { at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM callback_outbox WHERE status = 'pending'").get()?.at ?? null;
    },
    async recordCallbackAttempt(id: number, outcome: CallbackAttemptOutcome) {
      prepare(`UPDATE callback_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_attempt_at = ?, last_url = ?, last_http_status = ?,
          last_error = ?, answer = COALESCE(?, answer) WHERE id = ?`)
        .run(outcome.status, outcome.nextAttemptAt, clock.now(), outcome.url, outcome.httpStatus, outcome.error, outcome.answer, id);
    },
    async listCallbackDeliveries(workspaceSid, filter) {
      const rows = prepare<[string, number, number], OutboxRow>('SELECT * FROM (SELECT * FROM callback_outbox WHERE workspace_sid = ? AND id > ? ORDER BY id DESC LIMIT ?) ORDER BY id')
        .all(workspaceSid, filter.afterId ?? 0, filter.limit);
      return rows.map(toDelivery);
    },
  };
}
