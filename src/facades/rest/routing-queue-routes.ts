/**
 * `/TaskQueues`: list (filters `FriendlyName`, `EvaluateWorkerAttributes`, `WorkerSid`,
 * `Ordering`), create, fetch, update, delete. The store validates (TargetWorkers parsed with its
 * position, activities of the workspace, MaxReservedWorkers 1–50); after every change the routing
 * service re-reads the catalogue so the next pass routes with the new queue.
 */
import { refuse, type Result } from '../../core/errors.js';
import { evaluate, parseExpression } from '../../core/expressions.js';
import type { TaskQueue } from '../../core/routing-resources.js';
import type { TaskQueueInput } from '../../service/routing-ports.js';
import { PAGING, pagingOf } from './paging.js';
import {
  answer, created, deleted, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { formParams, jsonObject, nonEmptyText, oneOf, required, sid, text, whole, withoutUndefined, type Kind, type ParamsOf } from './rest-params.js';
import { answerPage, comparatorOf, ordered, ordering } from './routing-lists.js';
import { restTaskQueue } from './routing-wire.js';

const TASK_ORDERS = ['FIFO', 'LIFO'] as const;

/** An activity SID, or '' to clear it (the queue then leaves the worker's activity alone). */
function activityOrNone(): Kind<string | null> {
  const activity = sid('activity');
  return { read: (raw, name) => (raw === '' ? { ok: true, value: null } : activity.read(raw, name)), doc: { ...activity.doc, pattern: '^(WA[0-9a-f]{32})?$' } };
}

const QUEUE_FIELDS = {
  FriendlyName: nonEmptyText(),
  TargetWorkers: text({ description: 'An expression over worker attributes; the store refuses it with its position' }),
  ReservationActivitySid: activityOrNone(),
  AssignmentActivitySid: activityOrNone(),
  MaxReservedWorkers: whole(1, 50),
  TaskOrder: oneOf(TASK_ORDERS, (name) => `${name} must be FIFO or LIFO`),
};

function queueInputOf(b: ParamsOf<typeof QUEUE_FIELDS>): TaskQueueInput {
  return withoutUndefined({
    friendlyName: b.FriendlyName, targetWorkers: b.TargetWorkers, reservationActivitySid: b.ReservationActivitySid,
    assignmentActivitySid: b.AssignmentActivitySid, maxReservedWorkers: b.MaxReservedWorkers, taskOrder: b.TaskOrder,
  });
}

async function queueOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<TaskQueue>> {
  const sid = call.path.taskQueueSid ?? '';
  const queue = await deps.routingStore.findTaskQueue(workspaceSid, sid);
  return queue ? { ok: true, value: queue } : refuse('not-found', `TaskQueue ${sid} was not found`);
}

/** The worker attributes a list is asked to match: `EvaluateWorkerAttributes`, or `WorkerSid`'s. */
async function workerAttributesFilter(evaluated: string | undefined, workerSid: string | undefined, deps: RestDeps, workspaceSid: string): Promise<Result<Record<string, unknown> | null>> {
  if (evaluated !== undefined) return { ok: true, value: JSON.parse(evaluated) as Record<string, unknown> };
  if (workerSid === undefined) return { ok: true, value: null };
  const worker = await deps.store.findWorker(workspaceSid, workerSid);
  if (!worker) return refuse('not-found', `Worker ${workerSid} was not found`);
  return { ok: true, value: JSON.parse(worker.attributes) as Record<string, unknown> };
}

function targets(queue: TaskQueue, worker: Record<string, unknown>): boolean {
  const parsed = parseExpression(queue.targetWorkers);
  return parsed.ok && evaluate(parsed.value, { worker, defaultScope: 'worker' });
}

const LIST_QUEUES = {
  querystring: formParams({
    FriendlyName: text(), Ordering: ordering(['DateCreated', 'DateUpdated']), EvaluateWorkerAttributes: jsonObject(), WorkerSid: sid('worker'), ...PAGING,
  }),
};

async function listQueues(call: RestCall<typeof LIST_QUEUES>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const { FriendlyName: friendlyName, Ordering: order } = call.query;
  const compare = comparatorOf<TaskQueue>(order, { DateCreated: (q) => q.createdAt, DateUpdated: (q) => q.updatedAt });
  const paging = pagingOf(call.query);
  const worker = await workerAttributesFilter(call.query.EvaluateWorkerAttributes, call.query.WorkerSid, deps, workspace.value.sid);
  if (!worker.ok) return worker;
  const queues = (await deps.routingStore.listTaskQueues(workspace.value.sid))
    .filter((q) => (friendlyName === undefined || q.friendlyName === friendlyName) && (worker.value === null || targets(q, worker.value)));
  const activities = await deps.store.listActivities(workspace.value.sid);
  return answerPage(call, 'task_queues', ordered(queues, compare), paging, (q) => restTaskQueue(q, activities, call.links));
}

const CREATE_QUEUE = { body: formParams({ ...QUEUE_FIELDS, FriendlyName: required(nonEmptyText()) }) };

async function createQueue(call: RestCall<typeof CREATE_QUEUE>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.createTaskQueue(workspace.value.sid, queueInputOf(call.body));
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return created(restTaskQueue(result.value, await deps.store.listActivities(workspace.value.sid), call.links));
}

async function fetchQueue(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const queue = await queueOf(call, deps, workspace.value.sid);
  if (!queue.ok) return queue;
  return answer(restTaskQueue(queue.value, await deps.store.listActivities(workspace.value.sid), call.links));
}

const UPDATE_QUEUE = { body: formParams(QUEUE_FIELDS) };

async function updateQueue(call: RestCall<typeof UPDATE_QUEUE>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.updateTaskQueue(workspace.value.sid, call.path.taskQueueSid ?? '', queueInputOf(call.body));
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return answer(restTaskQueue(result.value, await deps.store.listActivities(workspace.value.sid), call.links));
}

async function deleteQueue(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.deleteTaskQueue(workspace.value.sid, call.path.taskQueueSid ?? '');
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return deleted();
}

const WS = '/Workspaces/:workspaceSid';

export const ROUTING_QUEUE_ROUTES: readonly RestRoute[] = [
  route('GET', `${WS}/TaskQueues`, LIST_QUEUES, listQueues),
  route('POST', `${WS}/TaskQueues`, CREATE_QUEUE, createQueue),
  route('GET', `${WS}/TaskQueues/:taskQueueSid`, {}, fetchQueue),
  route('POST', `${WS}/TaskQueues/:taskQueueSid`, UPDATE_QUEUE, updateQueue),
  route('DELETE', `${WS}/TaskQueues/:taskQueueSid`, {}, deleteQueue),
];
