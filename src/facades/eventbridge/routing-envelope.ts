/**
 * The routing part of the SDK's HTTP envelope: a worker's channels and reservations, answering an
 * offer (accept, reject, wrap, complete) and finishing a task. A worker token acts only on its own
 * reservations and on tasks it holds; an admin token on any in its workspace.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { AssignmentStatus, ReservationStatus } from '../../core/routing-resources.js';
import { isSid } from '../../core/sids.js';
import { grantActor, type TaskRouterGrant } from '../../service/access-tokens.js';
import type { Clock } from '../../service/ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import type { RoutingService } from '../../service/routing-service.js';
import { ebPage, ebReservation, ebTask, ebWorkerChannel } from './dialect.js';
import { transfersCall } from './transfer-envelope.js';

export interface RoutingEnvelopeDeps {
  readonly routingStore: RoutingStore;
  readonly routing: RoutingService;
  readonly clock: Clock;
}

interface Call {
  readonly method: 'GET' | 'POST';
  readonly params: Record<string, unknown>;
  readonly ifMatchVersion: number | undefined;
  /** Holds another worker's pushes until this call's answer is written (see `reservations`). */
  readonly holdPushesOf?: (workerSid: string) => void;
}

const WORKER_SUB = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/Workers\/([^/]+)\/(WorkerChannels|Channels|Reservations|Transfers)(?:\/([^/]+))?\/?$/;
const TASK = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/Tasks\/([^/]+)\/?$/;
const TASKS = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/Tasks\/?$/;
const RESERVATION_STATUSES: readonly ReservationStatus[] = ['accepted', 'rejected', 'wrapping', 'completed'];
const TASK_STATUSES: readonly AssignmentStatus[] = ['canceled', 'wrapping', 'completed'];

/** Answers the call if it is a routing route; null when the path is not one. */
export async function routeRouting(deps: RoutingEnvelopeDeps, grant: TaskRouterGrant, path: string, call: Call): Promise<Result<unknown> | null> {
  const sub = WORKER_SUB.exec(path);
  if (sub) {
    const [, wsSid = '', wkSid = '', resource = '', itemSid] = sub;
    if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
    if (wkSid !== grant.workerSid && grant.role !== 'admin') return refuse('forbidden', `A worker token may only act on its own worker (${grant.workerSid})`);
    if (resource === 'Reservations') return reservations(deps, grant, wsSid, wkSid, itemSid, call);
    if (resource === 'Transfers') return transfersCall(deps.routing, wsSid, wkSid, itemSid, call);
    if (call.method !== 'GET' || itemSid !== undefined) return refuse('not-found', `No resource ${call.method} ${path}`);
    const channels = await deps.routingStore.listWorkerChannels(wsSid, wkSid);
    return channels.ok ? { ok: true, value: ebPage(channels.value, call.params, ebWorkerChannel) } : channels;
  }
  const tasks = TASKS.exec(path);
  if (tasks && call.method === 'POST') {
    const [, wsSid = ''] = tasks;
    if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
    return createTask(deps, grant, wsSid, call.params);
  }
  const task = TASK.exec(path);
  if (task) {
    const [, wsSid = '', wtSid = ''] = task;
    if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
    return taskCall(deps, grant, wsSid, wtSid, call);
  }
  return null;
}

async function reservations(deps: RoutingEnvelopeDeps, grant: TaskRouterGrant, wsSid: string, wkSid: string, reservationSid: string | undefined, call: Call): Promise<Result<unknown>> {
  const now = deps.clock.now();
  if (reservationSid === undefined) {
    if (call.method !== 'GET') return refuse('not-found', 'Reservations are created by routing, not by clients');
    const active = call.params.Active === true || call.params.Active === 'true';
    const list = await deps.routingStore.listReservations(wsSid, { workerSid: wkSid, active });
    const withTasks = await Promise.all(list.map(async (r) => ({
      sid: r.sid, r, task: await deps.routingStore.findTask(wsSid, r.taskSid), transfers: await deps.routingStore.reservationTransfers(r.sid),
    })));
    return { ok: true, value: ebPage(withTasks, call.params, (x) => ebReservation(x.r, x.task, now, x.transfers)) };
  }
  if (call.method === 'GET') {
    const r = await deps.routingStore.findReservation(wsSid, reservationSid);
    if (!r || r.workerSid !== wkSid) return refuse('not-found', `Reservation ${reservationSid} was not found`);
    return { ok: true, value: ebReservation(r, await deps.routingStore.findTask(wsSid, r.taskSid), now, await deps.routingStore.reservationTransfers(r.sid)) };
  }
  const status = call.params.ReservationStatus;
  if (typeof status !== 'string' || !RESERVATION_STATUSES.includes(status as ReservationStatus)) {
    if (typeof call.params.Instruction === 'string') return refuse('invalid-parameter', `Instruction ${call.params.Instruction} needs voice media, which Rollcall does not handle`, 'Instruction');
    return refuse('invalid-parameter', `ReservationStatus must be one of ${RESERVATION_STATUSES.join(', ')}`, 'ReservationStatus');
  }
  const activity = call.params.WorkerActivitySid;
  if (activity !== undefined && !isSid('activity', activity)) return refuse('invalid-parameter', 'WorkerActivitySid must be an activity SID', 'WorkerActivitySid');
  // Answering a transfer's offer tells the transfer's initiator too: like the caller's own pushes,
  // theirs wait for this answer (the SDK's specs listen for them once the answer is in).
  const offered = await deps.routingStore.findReservation(wsSid, reservationSid);
  if (offered?.transferSid && call.holdPushesOf) {
    const { incoming } = await deps.routingStore.reservationTransfers(offered.sid);
    if (incoming) call.holdPushesOf(incoming.initiatingWorkerSid);
  }
  const result = await deps.routing.updateReservation({
    workspaceSid: wsSid, reservationSid, workerSid: wkSid, status: status as ReservationStatus,
    ...(activity !== undefined ? { workerActivitySid: activity as string } : {}),
    ...(call.ifMatchVersion !== undefined ? { ifMatchVersion: call.ifMatchVersion } : {}),
    actor: grantActor(grant),
  });
  if (!result.ok) return result;
  // As Twilio answers: the reservation without its task; the task as it now is comes with the event.
  return { ok: true, value: ebReservation(result.value, null, now) };
}

async function taskCall(deps: RoutingEnvelopeDeps, grant: TaskRouterGrant, wsSid: string, wtSid: string, call: Call): Promise<Result<unknown>> {
  const task = await deps.routingStore.findTask(wsSid, wtSid);
  if (!task) return refuse('not-found', `Task ${wtSid} was not found`);
  if (grant.role !== 'admin') {
    if (grant.workerSid === null) return refuse('forbidden', `A workspace token without the admin role may not read task ${wtSid}`);
    const held = await deps.routingStore.listReservations(wsSid, { taskSid: wtSid, workerSid: grant.workerSid, active: true });
    if (held.length === 0) return refuse('forbidden', `Worker ${grant.workerSid} holds no reservation for task ${wtSid}`);
  }
  if (call.method === 'GET') return { ok: true, value: ebTask(task, deps.clock.now()) };
  const { AssignmentStatus: status, Reason, Attributes, Priority, VirtualStartTime } = call.params;
  const virtualStartAt = VirtualStartTime === undefined ? undefined : readInstant(VirtualStartTime);
  if (virtualStartAt === null) return refuse('invalid-parameter', `VirtualStartTime ${String(VirtualStartTime)} is not an ISO 8601 date-time such as 2026-11-25T14:00:00Z`, 'VirtualStartTime');
  if (status !== undefined && (typeof status !== 'string' || !TASK_STATUSES.includes(status as AssignmentStatus))) {
    return refuse('invalid-parameter', `AssignmentStatus must be one of ${TASK_STATUSES.join(', ')}`, 'AssignmentStatus');
  }
  if (Reason !== undefined && typeof Reason !== 'string') return refuse('invalid-parameter', 'Reason must be a string', 'Reason');
  const attributes = Attributes === undefined ? undefined : typeof Attributes === 'string' ? Attributes : JSON.stringify(Attributes);
  const priority = Priority === undefined ? undefined : Number(Priority);
  const result = await deps.routing.updateTask(wsSid, wtSid, {
    ...(status !== undefined ? { assignmentStatus: status as AssignmentStatus } : {}),
    ...(Reason !== undefined ? { reason: Reason as string } : {}),
    ...(attributes !== undefined ? { attributes } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(virtualStartAt !== undefined ? { virtualStartAt } : {}),
    ...(call.ifMatchVersion !== undefined ? { ifMatchVersion: call.ifMatchVersion } : {}),
    actor: grantActor(grant),
  });
  return result.ok ? { ok: true, value: ebTask(result.value, deps.clock.now()) } : result;
}

/**
 * `worker.createTask(to, from, workflowSid, taskQueueSid, options)`: a task the worker makes for
 * itself (an outbound contact), placed in the queue it names and offered to the worker it routes
 * to (`RoutingTarget`, always the SDK's own worker; an admin token may name another).
 */
async function createTask(deps: RoutingEnvelopeDeps, grant: TaskRouterGrant, wsSid: string, params: Record<string, unknown>): Promise<Result<unknown>> {
  const { WorkflowSid, TaskQueueSid, RoutingTarget, Attributes, TaskChannelUniqueName, TaskChannelSid, VirtualStartTime, Priority, Timeout } = params;
  if (!isSid('workflow', WorkflowSid)) return refuse('invalid-parameter', `WorkflowSid ${String(WorkflowSid)} is not a workflow SID (WW followed by 32 hex digits)`, 'WorkflowSid');
  if (TaskQueueSid !== undefined && !isSid('taskQueue', TaskQueueSid)) return refuse('invalid-parameter', `TaskQueueSid ${String(TaskQueueSid)} is not a task queue SID`, 'TaskQueueSid');
  if (RoutingTarget !== undefined && !isSid('worker', RoutingTarget)) return refuse('invalid-parameter', `RoutingTarget ${String(RoutingTarget)} is not a worker SID`, 'RoutingTarget');
  if (grant.role !== 'admin' && RoutingTarget !== grant.workerSid) return refuse('forbidden', `A worker token may only create tasks routed to its own worker (${grant.workerSid ?? 'none'})`);
  const attributes = Attributes === undefined ? '{}' : typeof Attributes === 'string' ? Attributes : JSON.stringify(Attributes);
  const channel = TaskChannelSid ?? TaskChannelUniqueName;
  if (channel !== undefined && typeof channel !== 'string') return refuse('invalid-parameter', 'TaskChannelUniqueName must be a string', 'TaskChannelUniqueName');
  const virtualStartAt = VirtualStartTime === undefined ? undefined : readInstant(VirtualStartTime);
  if (virtualStartAt === null) return refuse('invalid-parameter', `VirtualStartTime ${String(VirtualStartTime)} is not an ISO 8601 date-time such as 2026-11-25T14:00:00Z`, 'VirtualStartTime');
  const priority = Priority === undefined ? undefined : Number(Priority);
  const timeoutS = Timeout === undefined ? undefined : Number(Timeout);
  const result = await deps.routing.createTask(wsSid, {
    workflowSid: WorkflowSid, attributes,
    ...(TaskQueueSid !== undefined ? { taskQueueSid: TaskQueueSid as string } : {}),
    ...(RoutingTarget !== undefined ? { routingTarget: RoutingTarget as string } : {}),
    ...(channel !== undefined ? { taskChannel: channel } : {}),
    ...(virtualStartAt !== undefined ? { virtualStartAt } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(timeoutS !== undefined ? { timeoutS } : {}),
  }, grantActor(grant));
  return result.ok ? { ok: true, value: ebTask(result.value, deps.clock.now()) } : result;
}

/** An ISO 8601 date-time as epoch ms, or null when it is not one. */
function readInstant(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
