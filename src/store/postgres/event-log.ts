/**
 * Recording a workspace event on PostgreSQL, with the callbacks it owes (the outbox), inside the
 * caller's transaction: a callback is owed exactly when its event committed.
 */
import { assignmentCallbackParams, eventCallbackParams, passesEventsFilter } from '../../core/callbacks.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import type { Tx } from './database.js';

interface AssignmentRow {
  url: string | null; fallback: string | null; workflow_sid: string; queue_sid: string | null; task_attributes: string; priority: number;
  task_start: number; worker_attributes: string;
}

const OWE = `INSERT INTO callback_outbox (account_sid, workspace_sid, kind, event_sid, event_type, reservation_sid, url, fallback_url, params, status, next_attempt_at, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)`;

/** A workspace's event callback settings, as `recordEvent` reads them (a caller that has them may hand them in). */
export interface CallbackSettings { readonly event_callback_url: string | null; readonly events_filter: string | null }

/** Owes the workspace's event callback for `event` (if set and let through), and a new reservation's assignment callback. */
async function enqueueCallbacks(tx: Tx, event: WorkspaceEvent, settings?: CallbackSettings): Promise<void> {
  const ws = settings ?? await tx.one<CallbackSettings>('SELECT event_callback_url, events_filter FROM workspaces WHERE sid = $1', [event.workspaceSid]);
  if (ws?.event_callback_url && passesEventsFilter(ws.events_filter, event.eventType)) {
    tx.send(OWE, [event.accountSid, event.workspaceSid, 'event', event.sid, event.eventType, null, ws.event_callback_url, null,
      JSON.stringify(eventCallbackParams(event)), event.at]);
  }
  if (event.eventType !== 'reservation.created') return;
  const a = await tx.one<AssignmentRow>(`SELECT f.assignment_callback_url AS url, f.fallback_assignment_callback_url AS fallback, t.workflow_sid, t.queue_sid,
      t.attributes AS task_attributes, t.priority, COALESCE(t.virtual_start_at, t.created_at) AS task_start, w.attributes AS worker_attributes
    FROM reservations r JOIN tasks t ON t.sid = r.task_sid JOIN workflows f ON f.sid = t.workflow_sid JOIN workers w ON w.sid = r.worker_sid WHERE r.sid = $1`,
  [event.resourceSid]);
  if (!a?.url) return;
  const params = assignmentCallbackParams({
    accountSid: event.accountSid, workspaceSid: event.workspaceSid, workflowSid: a.workflow_sid, taskQueueSid: a.queue_sid,
    workerSid: event.data.worker_sid ?? '', taskSid: event.data.task_sid ?? '', reservationSid: event.resourceSid,
    taskAttributes: a.task_attributes, workerAttributes: a.worker_attributes, taskAgeS: (event.at - a.task_start) / 1000, taskPriority: a.priority,
  });
  tx.send(OWE, [event.accountSid, event.workspaceSid, 'assignment', event.sid, event.eventType, event.resourceSid, a.url, a.fallback,
    JSON.stringify(params), event.at]);
}

/** The events each open transaction recorded, written together just before its commit. */
const pending = new WeakMap<Tx, WorkspaceEvent[]>();

/**
 * Stores an event and the callbacks it owes in the caller's transaction; the caller publishes it
 * after commit. `settings`, when given, must have been read in this transaction. The event row
 * itself is written at the end of the transaction (`writeEvents`), so it cannot be read back
 * before the commit.
 */
export async function recordEvent(tx: Tx, event: WorkspaceEvent, settings?: CallbackSettings): Promise<void> {
  let events = pending.get(tx);
  if (!events) {
    pending.set(tx, (events = []));
    const recorded = events;
    tx.beforeCommit(() => writeEvents(tx, recorded));
  }
  events.push(event);
  await enqueueCallbacks(tx, event, settings);
}

/**
 * A transaction's events, in the order recorded, numbered in commit order (`commit_seq`, see
 * schema.ts migration 2): each workspace's lock, in SID order, then one insert that takes the
 * numbers, sent behind the transaction's other statements and just before its COMMIT. The lock is
 * held from there until the commit is visible, so a reader that sees number k of a workspace sees
 * every number below it. (The deferred trigger of migration 2 did the same with a lock and an
 * `UPDATE` per event at commit; it now fires only for rows inserted without a number.)
 */
function writeEvents(tx: Tx, events: readonly WorkspaceEvent[]): void {
  for (const workspaceSid of [...new Set(events.map((e) => e.workspaceSid))].sort()) {
    tx.send("SELECT pg_advisory_xact_lock(hashtextextended('rollcall:event-commit:' || current_schema() || ':' || $1, 0))", [workspaceSid]);
  }
  const column = (pick: (e: WorkspaceEvent) => string | number | null): (string | number | null)[] => events.map(pick);
  tx.send(`INSERT INTO events (sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at, commit_seq)
    SELECT e.sid, e.account_sid, e.workspace_sid, e.event_type, e.resource_type, e.resource_sid, e.actor_type, e.actor_sid, e.description, e.data, e.cause, e.evidence, e.at,
      nextval('events_commit_seq')
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int8[])
      WITH ORDINALITY AS e(sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at, n)
    ORDER BY e.n`,
  [column((e) => e.sid), column((e) => e.accountSid), column((e) => e.workspaceSid), column((e) => e.eventType), column((e) => e.resourceType),
    column((e) => e.resourceSid), column((e) => e.actorType), column((e) => e.actorSid), column((e) => e.description), column((e) => JSON.stringify(e.data)),
    column((e) => e.cause), column((e) => (e.evidence ? JSON.stringify(e.evidence) : null)), column((e) => e.at)]);
}
