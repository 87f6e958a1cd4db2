/**
 * The EventBridge dialect the `twilio-taskrouter` SDK speaks: epoch-second dates, JSON-string
 * attributes, `{contents, after_sid}` lists, `{message}` errors, a `version` on workers.
 */
import type { RefusalCode } from '../../core/errors.js';
import type { Activity, Worker } from '../../core/resources.js';
import type { Reservation, Task, TaskQueue, WorkerChannel } from '../../core/routing-resources.js';
import type { Transfer } from '../../core/transfers.js';

const epochS = (ms: number): number => Math.floor(ms / 1000);

export function ebWorker(w: Worker): Record<string, unknown> {
  return {
    account_sid: w.accountSid,
    activity_name: w.activityName,
    activity_sid: w.activitySid,
    attributes: w.attributes,
    available: w.available,
    date_created: epochS(w.createdAt),
    date_status_changed: epochS(w.statusChangedAt),
    date_updated: epochS(w.updatedAt),
    friendly_name: w.friendlyName,
    sid: w.sid,
    workspace_sid: w.workspaceSid,
    version: String(w.version),
  };
}

export function ebActivity(a: Activity): Record<string, unknown> {
  return {
    account_sid: a.accountSid,
    available: a.available,
    date_created: epochS(a.createdAt),
    date_updated: epochS(a.updatedAt),
    friendly_name: a.friendlyName,
    sid: a.sid,
    workspace_sid: a.workspaceSid,
  };
}

/** One `AfterSid` page of a list ordered as given. */
export function ebPage<T extends { sid: string }>(
  items: readonly T[],
  params: Record<string, unknown>,
  render: (item: T) => Record<string, unknown>,
): { contents: Record<string, unknown>[]; after_sid: string | null } {
  const pageSize = clampPageSize(params.PageSize);
  const after = typeof params.AfterSid === 'string' ? params.AfterSid : null;
  const start = after === null ? 0 : items.findIndex((i) => i.sid === after) + 1;
  const page = start === 0 && after !== null ? [] : items.slice(start, start + pageSize);
  const more = start + pageSize < items.length;
  return { contents: page.map(render), after_sid: more && page.length > 0 ? (page[page.length - 1] as T).sid : null };
}

/** `PageSize` as the SDK sends it (a number, or a string of one): 1–1000, 50 when absent or unreadable. */
export function clampPageSize(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 50;
}

/** The one table from refusal codes to EventBridge HTTP statuses. */
export const EB_STATUS: Readonly<Record<RefusalCode, number>> = {
  'not-found': 404,
  'invalid-parameter': 400,
  unauthenticated: 401,
  forbidden: 403,
  'version-mismatch': 412,
  conflict: 409,
  'payload-too-large': 413,
};

export function ebTask(t: Task, nowMs: number): Record<string, unknown> {
  return {
    account_sid: t.accountSid,
    addons: '{}',
    age: Math.max(0, Math.floor((nowMs - t.virtualStartAt) / 1000)),
    assignment_status: t.assignmentStatus,
    attributes: t.attributes,
    date_created: epochS(t.createdAt),
    date_updated: epochS(t.updatedAt),
    priority: t.priority,
    queue_name: t.queueName,
    queue_sid: t.queueSid,
    reason: t.reason,
    routing_target: t.routingTarget,
    sid: t.sid,
    task_channel_sid: t.taskChannelSid,
    task_channel_unique_name: t.taskChannelUniqueName,
    timeout: t.timeoutS,
    workflow_name: t.workflowName,
    workflow_sid: t.workflowSid,
    workspace_sid: t.workspaceSid,
    version: String(t.version),
    virtual_start_time: epochS(t.virtualStartAt),
  };
}

/** A reservation's transfers: `task_transfer` (the one it offers) and `active_outgoing_task_transfer` (the one it started). */
export interface ReservationTransfers {
  readonly incoming?: Transfer | null;
  readonly outgoing?: Transfer | null;
}

// The SDK builds a Transfer from either key whenever it is present (even null), so absent ones are left out.
export function ebReservation(r: Reservation, task: Task | null, nowMs: number, transfers: ReservationTransfers = {}): Record<string, unknown> {
  return {
    account_sid: r.accountSid,
    date_created: epochS(r.createdAt),
    date_updated: epochS(r.updatedAt),
    reservation_status: r.status,
    reservation_timeout: r.timeoutS,
    sid: r.sid,
    task_sid: r.taskSid,
    worker_name: r.workerName,
    worker_sid: r.workerSid,
    workspace_sid: r.workspaceSid,
    version: String(r.version),
    ...(task ? { task: ebTask(task, nowMs) } : {}),
    ...(transfers.incoming ? { task_transfer: ebTransfer(transfers.incoming) } : {}),
    ...(transfers.outgoing ? { active_outgoing_task_transfer: ebTransfer(transfers.outgoing) } : {}),
  };
}

/** The Transfer object (`TT…`): what `task.transfer()` and its cancel answer, and every `task.transfer-*` event carries. */
export function ebTransfer(t: Transfer): Record<string, unknown> {
  return {
    account_sid: t.accountSid,
    workspace_sid: t.workspaceSid,
    task_sid: t.taskSid,
    sid: t.sid,
    date_created: epochS(t.createdAt),
    date_updated: epochS(t.updatedAt),
    initiating_reservation_sid: t.initiatingReservationSid,
    initiating_worker_sid: t.initiatingWorkerSid,
    initiating_queue_sid: t.initiatingQueueSid,
    initiating_workflow_sid: t.initiatingWorkflowSid,
    transfer_mode: t.mode,
    transfer_to: t.to,
    transfer_type: t.type,
    transfer_status: t.status,
    transfer_failed_reason: t.failedReason,
  };
}

export function ebWorkerChannel(c: WorkerChannel): Record<string, unknown> {
  const busy = c.reserved + c.assigned;
  return {
    account_sid: c.accountSid,
    assigned_tasks: c.assigned,
    available: c.available ? 1 : 0,
    available_capacity_percentage: c.capacity === 0 ? 0 : Math.max(0, Math.round(((c.capacity - busy) / c.capacity) * 100)),
    configured_capacity: c.capacity,
    date_created: epochS(c.createdAt),
    date_updated: epochS(c.updatedAt),
    last_reserved_time: c.lastReservedAt,
    sid: c.sid,
    task_channel_sid: c.taskChannelSid,
    task_channel_unique_name: c.taskChannelUniqueName,
    worker_sid: c.workerSid,
    workspace_sid: c.workspaceSid,
  };
}

export function ebTaskQueue(q: TaskQueue, activities: readonly Activity[]): Record<string, unknown> {
  const nameOf = (sid: string | null): string | null => (sid === null ? null : activities.find((a) => a.sid === sid)?.friendlyName ?? null);
  return {
    account_sid: q.accountSid,
    assignment_activity_name: nameOf(q.assignmentActivitySid),
    assignment_activity_sid: q.assignmentActivitySid,
    date_created: epochS(q.createdAt),
    date_updated: epochS(q.updatedAt),
    friendly_name: q.friendlyName,
    lifo_queue: q.taskOrder === 'LIFO',
    max_reserved_workers: q.maxReservedWorkers,
    reservation_activity_name: nameOf(q.reservationActivitySid),
    reservation_activity_sid: q.reservationActivitySid,
    sid: q.sid,
    target_workers: q.targetWorkers,
    task_order: q.taskOrder,
    workspace_sid: q.workspaceSid,
  };
}
