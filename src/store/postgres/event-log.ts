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

/**
 * Stores an event and the callbacks it owes in the caller's transaction; the caller publishes it
 * after commit. `settings`, when given, must have been read in this transaction.
 */
export async function recordEvent(tx: Tx, event: WorkspaceEvent, settings?: CallbackSettings): Promise<void> {
  tx.send(`INSERT INTO events (sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  [event.sid, event.accountSid, event.workspaceSid, event.eventType, event.resourceType, event.resourceSid, event.actorType, event.actorSid,
    event.description, JSON.stringify(event.data), event.cause, event.evidence ? JSON.stringify(event.evidence) : null, event.at]);
  await enqueueCallbacks(tx, event, settings);
}
