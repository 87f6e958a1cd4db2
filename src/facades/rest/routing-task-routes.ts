/**
 * `/Tasks`: list (filters `AssignmentStatus` (repeatable), `WorkflowSid`, `WorkflowName`,
 * `TaskQueueSid`, `TaskQueueName`, `Priority`, `EvaluateTaskAttributes`, `HasAddons`, `RoutingTarget`,
 * `Ordering`), create (also `TaskQueueSid`, `RoutingTarget`, `VirtualStartTime`), fetch, update
 * (`Attributes`, `Priority`, `VirtualStartTime`, `AssignmentStatus` with `Reason`), delete.
 * Every change goes through the routing service, so routing passes and agent pushes follow. The
 * ETag is the task's version; `If-Match` with another one is refused with 412.
 */
import { refuse, type Result } from '../../core/errors.js';
import { evaluate, parseExpression } from '../../core/expressions.js';
import type { AssignmentStatus, Task } from '../../core/routing-resources.js';
import type { TaskFilter, TaskInput, TaskOrderKey, TaskSlice } from '../../service/routing-ports.js';
import { PAGING, pageByPosition, pageEnvelope, pagingOf } from './paging.js';
import {
  answer, created, deleted, ifMatchVersion, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { date, flag, formParams, jsonObject, list, oneOf, sid, text, unsupported, whole, withoutUndefined, type Kind } from './rest-params.js';
import { ordering } from './routing-lists.js';
import { restTask, versionEtag } from './routing-wire.js';

const STATUSES: readonly AssignmentStatus[] = ['pending', 'reserved', 'assigned', 'canceled', 'wrapping', 'completed'];
/** What a caller may ask a task to become; the rest are routing's to decide. */
const REQUESTABLE: readonly AssignmentStatus[] = ['canceled', 'wrapping', 'completed'];
const MAX_PRIORITY = 2 ** 31 - 1;

const mustBeOneOf = (values: readonly string[]) => (name: string, value: string) => `${name} must be one of ${values.join(', ')} (got ${value})`;

/** `EvaluateTaskAttributes`: an expression over task attributes, parsed with its position. */
const taskExpression: Kind<(t: Task) => boolean> = {
  read(raw, name) {
    const parsed = parseExpression(raw);
    if (!parsed.ok) return { ok: false, message: `${name}: ${parsed.error.message}` };
    return { ok: true, value: (t) => evaluate(parsed.value, { task: JSON.parse(t.attributes) as Record<string, unknown>, defaultScope: 'task' }) };
  },
  doc: { type: 'string', description: 'An expression over task attributes, as in TargetWorkers' },
};

const TASK_ORDER_KEYS: readonly TaskOrderKey[] = ['DateCreated', 'Priority', 'VirtualStartTime'];

const LIST_TASKS = {
  querystring: formParams({
    AssignmentStatus: list(oneOf(STATUSES, mustBeOneOf(STATUSES))),
    WorkflowSid: text(), WorkflowName: text(), TaskQueueSid: text(), TaskQueueName: text(),
    Priority: whole(0, MAX_PRIORITY), RoutingTarget: sid('worker'), HasAddons: flag(), EvaluateTaskAttributes: taskExpression,
    Ordering: ordering(TASK_ORDER_KEYS, true),
    ...PAGING,
  }),
};

async function listTasks(call: RestCall<typeof LIST_TASKS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const q = call.query;
  const filter: TaskFilter = withoutUndefined({
    assignmentStatus: q.AssignmentStatus,
    workflowSid: q.WorkflowSid,
    workflowName: q.WorkflowName,
    taskQueueSid: q.TaskQueueSid,
    taskQueueName: q.TaskQueueName,
    priority: q.Priority,
    routingTarget: q.RoutingTarget,
  });
  const matches = q.EvaluateTaskAttributes;
  // `Ordering=Attribute:asc|desc[,…]` over DateCreated, Priority and VirtualStartTime, as Twilio takes it.
  const order: TaskSlice['order'] | undefined = q.Ordering?.map(({ name, descending }) => ({ key: name, descending }));
  const paging = pagingOf(q);
  // No task has add-ons here.
  const read = (offset: number, limit: number) => (q.HasAddons === true ? Promise.resolve([])
    : deps.routingStore.sliceTasks(workspace.value.sid, filter, { offset, limit, ...(order ? { order } : {}), ...(matches ? { matches } : {}) }));
  const page = await pageByPosition(paging.request, read);
  if (!page.ok) return page;
  const now = deps.clock.now();
  return answer(pageEnvelope('tasks', page.value.items.map((t) => restTask(t, now, call.links)), page.value, paging, { url: call.url, query: call.rawQuery }));
}

/** Without `WorkflowSid`, the workspace's only workflow, as TaskRouter does; else it is required. */
async function workflowFor(given: string | undefined, deps: RestDeps, workspaceSid: string): Promise<Result<string>> {
  if (given !== undefined) return { ok: true, value: given };
  const workflows = await deps.routingStore.listWorkflows(workspaceSid);
  const only = workflows.length === 1 ? workflows[0]?.sid : undefined;
  return only !== undefined ? { ok: true, value: only } : refuse('invalid-parameter', 'WorkflowSid is required when the workspace does not have exactly one workflow', 'WorkflowSid');
}

const CREATE_TASK = {
  body: formParams({
    WorkflowSid: text({ description: 'Required unless the workspace has exactly one workflow' }), Attributes: jsonObject(),
    Priority: whole(0, MAX_PRIORITY), Timeout: whole(1, 365 * 86_400), TaskChannel: text(), TaskQueueSid: sid('taskQueue'),
    RoutingTarget: sid('worker'), VirtualStartTime: date(),
    IgnoreCapacity: unsupported('a task is offered only to a worker with free capacity on its channel'),
  }),
};

async function createTask(call: RestCall<typeof CREATE_TASK>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const b = call.body;
  const workflowSid = await workflowFor(b.WorkflowSid, deps, workspace.value.sid);
  if (!workflowSid.ok) return workflowSid;
  const taskInput = withoutUndefined({
    workflowSid: workflowSid.value, attributes: b.Attributes, priority: b.Priority, timeoutS: b.Timeout, taskChannel: b.TaskChannel,
    taskQueueSid: b.TaskQueueSid, routingTarget: b.RoutingTarget, virtualStartAt: b.VirtualStartTime,
  }) as TaskInput;
  const result = await deps.routing.createTask(workspace.value.sid, taskInput, call.principal.credentialSid);
  return result.ok ? created(restTask(result.value, deps.clock.now(), call.links), versionEtag(result.value)) : result;
}

async function fetchTask(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const task = await deps.routingStore.findTask(workspace.value.sid, call.path.taskSid ?? '');
  if (!task) return refuse('not-found', `Task ${call.path.taskSid} was not found`);
  return answer(restTask(task, deps.clock.now(), call.links), versionEtag(task));
}

const UPDATE_TASK = {
  body: formParams({
    Attributes: jsonObject(), Priority: whole(0, MAX_PRIORITY),
    AssignmentStatus: oneOf(REQUESTABLE, (name) => `${name} must be one of ${REQUESTABLE.join(', ')}`), Reason: text(),
    TaskChannel: unsupported('a task keeps the channel it was created on'), VirtualStartTime: date(),
  }),
};

async function updateTask(call: RestCall<typeof UPDATE_TASK>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  const { Attributes: attributes, Priority: priority, AssignmentStatus: status, Reason: reason, VirtualStartTime: virtualStartAt } = call.body;
  if (!version.ok) return version;
  const result = await deps.routing.updateTask(workspace.value.sid, call.path.taskSid ?? '', {
    ...(attributes !== undefined ? { attributes } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(virtualStartAt !== undefined ? { virtualStartAt } : {}),
    ...(status !== undefined ? { assignmentStatus: status } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(version.value !== undefined ? { ifMatchVersion: version.value } : {}),
    actor: call.principal.credentialSid,
  });
  return result.ok ? answer(restTask(result.value, deps.clock.now(), call.links), versionEtag(result.value)) : result;
}

async function deleteTask(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  if (!version.ok) return version;
  const sid = call.path.taskSid ?? '';
  // The version is checked in the delete's own transaction.
  const result = await deps.routing.deleteTask(workspace.value.sid, sid, version.value);
  return result.ok ? deleted() : result;
}

const WS = '/Workspaces/:workspaceSid';

export const ROUTING_TASK_ROUTES: readonly RestRoute[] = [
  route('GET', `${WS}/Tasks`, LIST_TASKS, listTasks),
  route('POST', `${WS}/Tasks`, CREATE_TASK, createTask),
  route('GET', `${WS}/Tasks/:taskSid`, {}, fetchTask),
  route('POST', `${WS}/Tasks/:taskSid`, UPDATE_TASK, updateTask),
  route('DELETE', `${WS}/Tasks/:taskSid`, {}, deleteTask),
];
