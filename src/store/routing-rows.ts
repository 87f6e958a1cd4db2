/**
 * Row shapes of the routing tables (migration 3) and their mapping to routing records, and the
 * reads both engines make in the same SQL: the same text on SQLite and PostgreSQL, so one module
 * serves both (placeholders and anything engine-specific stay with each engine).
 */
import { BoundedCache } from '../core/bounded-cache.js';
import { parseExpression } from '../core/expressions.js';
import { routingPresence, type CandidateWorker } from '../core/routing.js';
import { parseWorkflowConfig, type WorkflowConfig } from '../core/workflow-config.js';
import type {
  AssignmentStatus, Reservation, ReservationStatus, Task, TaskChannel, TaskQueue, Workflow, WorkerChannel,
} from '../core/routing-resources.js';

export interface TaskChannelRow { sid: string; workspace_sid: string; account_sid: string; unique_name: string; friendly_name: string; created_at: number; updated_at: number }
export interface WorkerChannelRow {
  sid: string; workspace_sid: string; account_sid: string; worker_sid: string; task_channel_sid: string; unique_name: string;
  capacity: number; available: number; reserved: number; assigned: number; last_reserved_at: number | null; created_at: number; updated_at: number;
}
export interface TaskQueueRow {
  sid: string; workspace_sid: string; account_sid: string; friendly_name: string; target_workers: string; reservation_activity_sid: string | null;
  assignment_activity_sid: string | null; max_reserved_workers: number; task_order: string; created_at: number; updated_at: number;
}
export interface WorkflowRow {
  sid: string; workspace_sid: string; account_sid: string; friendly_name: string; configuration: string; task_reservation_timeout_s: number;
  assignment_callback_url: string | null; fallback_assignment_callback_url: string | null; created_at: number; updated_at: number;
}
export interface TaskRow {
  sid: string; workspace_sid: string; account_sid: string; workflow_sid: string; workflow_name: string; queue_sid: string | null; queue_name: string | null;
  task_channel_sid: string; task_channel_unique_name: string; attributes: string; priority: number; timeout_s: number; assignment_status: string;
  reason: string | null; filter_index: number; target_index: number; target_since: number; target_due_at: number | null; expires_at: number;
  excluded_workers: string; version: number; created_at: number; updated_at: number;
  routing_target: string | null; virtual_start_at: number | null; transfer_sid: string | null; transfer_worker_sid: string | null;
}
export interface ReservationRow {
  sid: string; workspace_sid: string; account_sid: string; task_sid: string; worker_sid: string; worker_name: string; status: string;
  timeout_at: number | null; timeout_s: number; version: number; created_at: number; updated_at: number; transfer_sid: string | null;
}

export const TASK_CHANNEL_SELECT = 'SELECT tc.*, ws.account_sid FROM task_channels tc JOIN workspaces ws ON ws.sid = tc.workspace_sid';
export const WORKER_CHANNEL_SELECT = `SELECT wc.*, tc.unique_name, tc.workspace_sid, ws.account_sid FROM worker_channels wc
  JOIN task_channels tc ON tc.sid = wc.task_channel_sid JOIN workspaces ws ON ws.sid = tc.workspace_sid`;
export const QUEUE_SELECT = 'SELECT q.*, ws.account_sid FROM task_queues q JOIN workspaces ws ON ws.sid = q.workspace_sid';
export const WORKFLOW_SELECT = 'SELECT f.*, ws.account_sid FROM workflows f JOIN workspaces ws ON ws.sid = f.workspace_sid';
export const TASK_SELECT = `SELECT t.*, ws.account_sid, f.friendly_name AS workflow_name, q.friendly_name AS queue_name, tc.unique_name AS task_channel_unique_name
  FROM tasks t JOIN workspaces ws ON ws.sid = t.workspace_sid JOIN workflows f ON f.sid = t.workflow_sid
  LEFT JOIN task_queues q ON q.sid = t.queue_sid JOIN task_channels tc ON tc.sid = t.task_channel_sid`;
export const RESERVATION_SELECT = `SELECT r.*, ws.account_sid, w.friendly_name AS worker_name FROM reservations r
  JOIN workspaces ws ON ws.sid = r.workspace_sid JOIN workers w ON w.sid = r.worker_sid`;

export const toTaskChannel = (r: TaskChannelRow): TaskChannel => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, uniqueName: r.unique_name, friendlyName: r.friendly_name,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toWorkerChannel = (r: WorkerChannelRow): WorkerChannel => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, workerSid: r.worker_sid, taskChannelSid: r.task_channel_sid,
  taskChannelUniqueName: r.unique_name, capacity: r.capacity, available: r.available === 1, reserved: r.reserved, assigned: r.assigned,
  lastReservedAt: r.last_reserved_at, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toTaskQueue = (r: TaskQueueRow): TaskQueue => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, friendlyName: r.friendly_name, targetWorkers: r.target_workers,
  reservationActivitySid: r.reservation_activity_sid, assignmentActivitySid: r.assignment_activity_sid, maxReservedWorkers: r.max_reserved_workers,
  taskOrder: r.task_order === 'LIFO' ? 'LIFO' : 'FIFO', createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toWorkflow = (r: WorkflowRow): Workflow => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, friendlyName: r.friendly_name, configuration: r.configuration,
  taskReservationTimeoutS: r.task_reservation_timeout_s, assignmentCallbackUrl: r.assignment_callback_url,
  fallbackAssignmentCallbackUrl: r.fallback_assignment_callback_url, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toTask = (r: TaskRow): Task => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, workflowSid: r.workflow_sid, workflowName: r.workflow_name,
  queueSid: r.queue_sid, queueName: r.queue_name, taskChannelSid: r.task_channel_sid, taskChannelUniqueName: r.task_channel_unique_name,
  attributes: r.attributes, priority: r.priority, timeoutS: r.timeout_s, assignmentStatus: r.assignment_status as AssignmentStatus,
  reason: r.reason, filterIndex: r.filter_index, targetIndex: r.target_index, targetSince: r.target_since,
  excludedWorkers: JSON.parse(r.excluded_workers) as string[], version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
  routingTarget: r.routing_target, virtualStartAt: r.virtual_start_at ?? r.created_at,
  transferSid: r.transfer_sid, transferWorkerSid: r.transfer_worker_sid,
});

export const toReservation = (r: ReservationRow): Reservation => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, taskSid: r.task_sid, workerSid: r.worker_sid, workerName: r.worker_name,
  status: r.status as ReservationStatus, timeoutAt: r.timeout_at, timeoutS: r.timeout_s, version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
  transferSid: r.transfer_sid,
});


/** A worker as routing reads it (`CANDIDATE_SELECT`); its channels come from `WORKER_CHANNEL_SELECT`. */
export interface CandidateRow { sid: string; attributes: string; activity_available: number; status_changed_at: number; presence: string; connections: number }

export const CANDIDATE_SELECT = `SELECT w.sid, w.attributes, a.available AS activity_available, w.status_changed_at, w.presence,
  (SELECT COUNT(*) FROM connections c WHERE c.worker_sid = w.sid) AS connections FROM workers w JOIN activities a ON a.sid = w.activity_sid`;

/** The routing view of a worker: connected while it has a connection, idle since its last activity change or offer. */
export function candidateOf(row: CandidateRow, channels: readonly WorkerChannelRow[]): CandidateWorker {
  const stored = JSON.parse(row.presence) as { disconnection: unknown };
  let attributes: Record<string, unknown> = {};
  try {
    attributes = JSON.parse(row.attributes) as Record<string, unknown>;
  } catch {
    // Attributes are validated on the way in; an unreadable one routes as empty.
  }
  let idleSince = row.status_changed_at;
  for (const c of channels) if (c.last_reserved_at !== null && c.last_reserved_at > idleSince) idleSince = c.last_reserved_at;
  return {
    sid: row.sid, attributes, activityAvailable: row.activity_available === 1,
    presence: routingPresence(row.connections > 0, stored.disconnection),
    channels: new Map(channels.map((c) => [c.task_channel_sid, { capacity: c.capacity, busy: c.reserved + c.assigned, available: c.available === 1 }])),
    idleSince,
  };
}

/** Worker channels grouped by worker. */
export function byWorker(rows: readonly WorkerChannelRow[]): Map<string, WorkerChannelRow[]> {
  const channels = new Map<string, WorkerChannelRow[]>();
  for (const c of rows) {
    const list = channels.get(c.worker_sid) ?? [];
    list.push(c);
    channels.set(c.worker_sid, list);
  }
  return channels;
}

/**
 * The catalogue's reads, the same on both engines but for the placeholder (`?` on SQLite, `$n` on
 * PostgreSQL) and the column that keeps insertion order (`rowid`, `seq`).
 */
export function catalogReads(param: (n: number) => string, insertionOrder: 'rowid' | 'seq') {
  return {
    channels: `${TASK_CHANNEL_SELECT} WHERE tc.workspace_sid = ${param(1)} ORDER BY tc.created_at, tc.${insertionOrder}`,
    workerChannels: `${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid = ${param(1)} ORDER BY tc.created_at, tc.${insertionOrder}`,
    queues: `${QUEUE_SELECT} WHERE q.workspace_sid = ${param(1)} ORDER BY q.created_at, q.${insertionOrder}`,
    queue: `${QUEUE_SELECT} WHERE q.workspace_sid = ${param(1)} AND q.sid = ${param(2)}`,
    workflows: `${WORKFLOW_SELECT} WHERE f.workspace_sid = ${param(1)} ORDER BY f.created_at, f.${insertionOrder}`,
    workflow: `${WORKFLOW_SELECT} WHERE f.workspace_sid = ${param(1)} AND f.sid = ${param(2)}`,
  };
}

// Parsing is pure, so results are kept by source text: a burst of offers parses each workflow and
// TargetWorkers once, not once per reservation. Sources are few (one per workflow and queue); the
// caches are bounded anyway, since every edit of a workflow or queue brings a new text. One cache
// for both engines.
const configs = new BoundedCache<string, WorkflowConfig | null>(1000);
const expressions = new BoundedCache<string, ReturnType<typeof parseExpression>>(1000);

export function parsedConfig(source: string): WorkflowConfig | null {
  return configs.get(source, (text) => {
    const parsed = parseWorkflowConfig(text, () => true);
    return parsed.ok ? parsed.value : null;
  });
}

export function parsedExpression(source: string): ReturnType<typeof parseExpression> {
  return expressions.get(source, parseExpression);
}
