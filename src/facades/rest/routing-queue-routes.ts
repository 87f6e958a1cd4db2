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
import { readPaging } from './paging.js';
import { ParamReader } from './params.js';
import {
  answer, created, deleted, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { answerPage, ordered, readOrdering } from './routing-lists.js';
import { restTaskQueue } from './routing-wire.js';

const TASK_ORDERS = ['FIFO', 'LIFO'] as const;

/** An activity SID, or '' to clear it (the queue then leaves the worker's activity alone). */
function readActivity(p: ParamReader, name: string): string | null | undefined {
  if (p.string(name) === '') return null;
  return p.sid('activity', name);
}

function readQueueInput(p: ParamReader): TaskQueueInput {
  const taskOrder = p.string('TaskOrder');
  if (taskOrder !== undefined && !(TASK_ORDERS as readonly string[]).includes(taskOrder)) p.fail('TaskOrder', 'TaskOrder must be FIFO or LIFO');
  const input: Record<string, unknown> = {
    friendlyName: p.string('FriendlyName'),
    targetWorkers: p.string('TargetWorkers'),
    reservationActivitySid: readActivity(p, 'ReservationActivitySid'),
    assignmentActivitySid: readActivity(p, 'AssignmentActivitySid'),
    maxReservedWorkers: p.integer('MaxReservedWorkers', 1, 50),
    taskOrder,
  };
  if (input.friendlyName !== undefined && String(input.friendlyName).trim() === '') p.fail('FriendlyName', 'FriendlyName must not be empty');
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TaskQueueInput;
}

async function queueOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<TaskQueue>> {
  const sid = call.path.taskQueueSid ?? '';
  const queue = await deps.routingStore.findTaskQueue(workspaceSid, sid);
  return queue ? { ok: true, value: queue } : refuse('not-found', `TaskQueue ${sid} was not found`);
}

/** The worker attributes a list is asked to match: `EvaluateWorkerAttributes`, or `WorkerSid`'s. */
async function workerAttributesFilter(p: ParamReader, call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<Record<string, unknown> | null>> {
  const evaluated = p.attributes('EvaluateWorkerAttributes');
  const workerSid = p.sid('worker', 'WorkerSid');
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

async function listQueues(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const friendlyName = p.string('FriendlyName');
  const compare = readOrdering<TaskQueue>(p, [{ name: 'DateCreated', value: (q) => q.createdAt }, { name: 'DateUpdated', value: (q) => q.updatedAt }]);
  const paging = readPaging(p);
  const worker = await workerAttributesFilter(p, call, deps, workspace.value.sid);
  if (p.refusal) return p.refusal;
  if (!worker.ok) return worker;
  const queues = (await deps.routingStore.listTaskQueues(workspace.value.sid))
    .filter((q) => (friendlyName === undefined || q.friendlyName === friendlyName) && (worker.value === null || targets(q, worker.value)));
  const activities = await deps.store.listActivities(workspace.value.sid);
  return answerPage(call, 'task_queues', ordered(queues, compare), paging, (q) => restTaskQueue(q, activities, call.links));
}

async function createQueue(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  p.required('FriendlyName');
  const input = readQueueInput(p);
  if (p.refusal) return p.refusal;
  const result = await deps.routingStore.createTaskQueue(workspace.value.sid, input);
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

async function updateQueue(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const input = readQueueInput(p);
  if (p.refusal) return p.refusal;
  const result = await deps.routingStore.updateTaskQueue(workspace.value.sid, call.path.taskQueueSid ?? '', input);
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
  { method: 'GET', url: `${WS}/TaskQueues`, handler: listQueues },
  { method: 'POST', url: `${WS}/TaskQueues`, handler: createQueue },
  { method: 'GET', url: `${WS}/TaskQueues/:taskQueueSid`, handler: fetchQueue },
  { method: 'POST', url: `${WS}/TaskQueues/:taskQueueSid`, handler: updateQueue },
  { method: 'DELETE', url: `${WS}/TaskQueues/:taskQueueSid`, handler: deleteQueue },
];
