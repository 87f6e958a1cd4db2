/**
 * Routing resources in the REST dialect (wire.ts's conventions): TaskChannel, WorkerChannel,
 * TaskQueue, Workflow, Task and Reservation as the `twilio` library's TaskRouter v1 types read
 * them — snake_case, ISO dates, `attributes` and `configuration` as JSON strings, absolute `url`
 * and `links`. Tasks and reservations carry no `version`: it is their ETag.
 */
import type { Activity } from '../../core/resources.js';
import type { Reservation, Task, TaskChannel, TaskQueue, Workflow, WorkerChannel } from '../../core/routing-resources.js';
import { isoDate, type Links } from './wire.js';

/** Absolute URLs of routing resources, from wire.ts's `Links`. */
export const routingUrls = {
  taskChannel: (links: Links, ws: string, tc: string): string => `${links.workspace(ws)}/TaskChannels/${tc}`,
  workerChannel: (links: Links, ws: string, wk: string, wc: string): string => `${links.worker(ws, wk)}/Channels/${wc}`,
  taskQueue: (links: Links, ws: string, wq: string): string => `${links.workspace(ws)}/TaskQueues/${wq}`,
  workflow: (links: Links, ws: string, ww: string): string => `${links.workspace(ws)}/Workflows/${ww}`,
  task: (links: Links, ws: string, wt: string): string => `${links.workspace(ws)}/Tasks/${wt}`,
};

/** Which list a reservation was reached through: its `url` lives under that path, as on Twilio. */
export type ReservationPath = 'task' | 'worker';

export function restTaskChannel(c: TaskChannel, links: Links): Record<string, unknown> {
  return {
    account_sid: c.accountSid,
    date_created: isoDate(c.createdAt),
    date_updated: isoDate(c.updatedAt),
    friendly_name: c.friendlyName,
    sid: c.sid,
    unique_name: c.uniqueName,
    workspace_sid: c.workspaceSid,
    // Routing never optimises across channels; the field says so.
    channel_optimized_routing: false,
    url: routingUrls.taskChannel(links, c.workspaceSid, c.sid),
    links: { workspace: links.workspace(c.workspaceSid) },
  };
}

export function restWorkerChannel(c: WorkerChannel, links: Links): Record<string, unknown> {
  const busy = c.reserved + c.assigned;
  return {
    account_sid: c.accountSid,
    assigned_tasks: c.assigned,
    available: c.available,
    available_capacity_percentage: c.capacity === 0 ? 0 : Math.max(0, Math.round(((c.capacity - busy) / c.capacity) * 100)),
    configured_capacity: c.capacity,
    date_created: isoDate(c.createdAt),
    date_updated: isoDate(c.updatedAt),
    sid: c.sid,
    task_channel_sid: c.taskChannelSid,
    task_channel_unique_name: c.taskChannelUniqueName,
    worker_sid: c.workerSid,
    workspace_sid: c.workspaceSid,
    url: routingUrls.workerChannel(links, c.workspaceSid, c.workerSid, c.sid),
  };
}

export function restTaskQueue(q: TaskQueue, activities: readonly Activity[], links: Links): Record<string, unknown> {
  const nameOf = (sid: string | null): string | null => (sid === null ? null : activities.find((a) => a.sid === sid)?.friendlyName ?? null);
  const url = routingUrls.taskQueue(links, q.workspaceSid, q.sid);
  return {
    account_sid: q.accountSid,
    assignment_activity_sid: q.assignmentActivitySid,
    assignment_activity_name: nameOf(q.assignmentActivitySid),
    date_created: isoDate(q.createdAt),
    date_updated: isoDate(q.updatedAt),
    friendly_name: q.friendlyName,
    max_reserved_workers: q.maxReservedWorkers,
    reservation_activity_sid: q.reservationActivitySid,
    reservation_activity_name: nameOf(q.reservationActivitySid),
    sid: q.sid,
    target_workers: q.targetWorkers,
    task_order: q.taskOrder,
    url,
    workspace_sid: q.workspaceSid,
    links: {
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
      list_statistics: `${links.workspace(q.workspaceSid)}/TaskQueues/Statistics`,
      workspace: links.workspace(q.workspaceSid),
      ...(q.assignmentActivitySid ? { assignment_activity: links.activity(q.workspaceSid, q.assignmentActivitySid) } : {}),
      ...(q.reservationActivitySid ? { reservation_activity: links.activity(q.workspaceSid, q.reservationActivitySid) } : {}),
    },
  };
}

export function restWorkflow(w: Workflow, links: Links): Record<string, unknown> {
  return {
    account_sid: w.accountSid,
    assignment_callback_url: w.assignmentCallbackUrl,
    configuration: w.configuration,
    date_created: isoDate(w.createdAt),
    date_updated: isoDate(w.updatedAt),
    document_content_type: 'application/json',
    fallback_assignment_callback_url: w.fallbackAssignmentCallbackUrl,
    friendly_name: w.friendlyName,
    sid: w.sid,
    task_reservation_timeout: w.taskReservationTimeoutS,
    workspace_sid: w.workspaceSid,
    url: routingUrls.workflow(links, w.workspaceSid, w.sid),
    links: { workspace: links.workspace(w.workspaceSid) },
  };
}

/** A task as REST shows it; `age` is counted on the store's clock (`nowMs`). */
export function restTask(t: Task, nowMs: number, links: Links): Record<string, unknown> {
  const url = routingUrls.task(links, t.workspaceSid, t.sid);
  return {
    account_sid: t.accountSid,
    age: Math.max(0, Math.floor((nowMs - t.virtualStartAt) / 1000)),
    assignment_status: t.assignmentStatus,
    attributes: t.attributes,
    addons: '{}',
    date_created: isoDate(t.createdAt),
    date_updated: isoDate(t.updatedAt),
    task_queue_entered_date: t.queueSid === null ? null : isoDate(t.targetSince),
    priority: t.priority,
    reason: t.reason,
    sid: t.sid,
    task_queue_sid: t.queueSid,
    task_queue_friendly_name: t.queueName,
    task_channel_sid: t.taskChannelSid,
    task_channel_unique_name: t.taskChannelUniqueName,
    timeout: t.timeoutS,
    workflow_sid: t.workflowSid,
    workflow_friendly_name: t.workflowName,
    workspace_sid: t.workspaceSid,
    url,
    links: {
      reservations: `${url}/Reservations`,
      workflow: routingUrls.workflow(links, t.workspaceSid, t.workflowSid),
      workspace: links.workspace(t.workspaceSid),
      ...(t.queueSid ? { task_queue: routingUrls.taskQueue(links, t.workspaceSid, t.queueSid) } : {}),
    },
    virtual_start_time: isoDate(t.virtualStartAt),
    ignore_capacity: false,
    routing_target: t.routingTarget,
  };
}

export function restReservation(r: Reservation, path: ReservationPath, links: Links): Record<string, unknown> {
  const task = routingUrls.task(links, r.workspaceSid, r.taskSid);
  const worker = links.worker(r.workspaceSid, r.workerSid);
  return {
    account_sid: r.accountSid,
    date_created: isoDate(r.createdAt),
    date_updated: isoDate(r.updatedAt),
    reservation_status: r.status,
    sid: r.sid,
    task_sid: r.taskSid,
    worker_name: r.workerName,
    worker_sid: r.workerSid,
    workspace_sid: r.workspaceSid,
    url: `${path === 'task' ? task : worker}/Reservations/${r.sid}`,
    links: { task, worker, workspace: links.workspace(r.workspaceSid) },
  };
}

/** The ETag of a task or a reservation: its version, quoted (as wire.ts's `workerEtag`). */
export const versionEtag = (resource: { readonly version: number }): string => `"${resource.version}"`;
