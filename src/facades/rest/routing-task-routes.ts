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
import { pageByPosition, pageEnvelope, readPaging } from './paging.js';
import { ParamReader, withoutUndefined } from './params.js';
import {
  answer, created, deleted, ifMatchVersion, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { readOrderingKeys } from './routing-lists.js';
import { restTask, versionEtag } from './routing-wire.js';

const STATUSES: readonly AssignmentStatus[] = ['pending', 'reserved', 'assigned', 'canceled', 'wrapping', 'completed'];
/** What a caller may ask a task to become; the rest are routing's to decide. */
const REQUESTABLE: readonly AssignmentStatus[] = ['canceled', 'wrapping', 'completed'];
const MAX_PRIORITY = 2 ** 31 - 1;

function readStatuses(p: ParamReader): AssignmentStatus[] | undefined {
  const list = p.list('AssignmentStatus');
  if (list === undefined) return undefined;
  const bad = list.find((s) => !(STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) return p.fail('AssignmentStatus', `AssignmentStatus must be one of ${STATUSES.join(', ')} (got ${bad})`);
  return list as AssignmentStatus[];
}

/** `EvaluateTaskAttributes`: an expression over task attributes, parsed with its position. */
function readTaskExpression(p: ParamReader): ((t: Task) => boolean) | null {
  const source = p.string('EvaluateTaskAttributes');
  if (source === undefined) return null;
  const parsed = parseExpression(source);
  if (!parsed.ok) {
    p.fail('EvaluateTaskAttributes', `EvaluateTaskAttributes: ${parsed.error.message}`);
    return null;
  }
  return (t) => evaluate(parsed.value, { task: JSON.parse(t.attributes) as Record<string, unknown>, defaultScope: 'task' });
}

async function listTasks(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const assignmentStatus = readStatuses(p);
  const filter: TaskFilter = withoutUndefined({
    assignmentStatus,
    workflowSid: p.has('WorkflowSid') ? p.string('WorkflowSid') ?? '' : undefined,
    workflowName: p.string('WorkflowName'),
    taskQueueSid: p.has('TaskQueueSid') ? p.string('TaskQueueSid') ?? '' : undefined,
    taskQueueName: p.string('TaskQueueName'),
    priority: p.integer('Priority', 0, MAX_PRIORITY),
    routingTarget: p.sid('worker', 'RoutingTarget'),
  });
  const hasAddons = p.boolean('HasAddons');
  const matches = readTaskExpression(p);
  const order = readTaskOrdering(p);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  // No task has add-ons here.
  const read = (offset: number, limit: number) => (hasAddons === true ? Promise.resolve([])
    : deps.routingStore.sliceTasks(workspace.value.sid, filter, { offset, limit, ...(order ? { order } : {}), ...(matches ? { matches } : {}) }));
  const page = await pageByPosition(paging.request, read);
  if (!page.ok) return page;
  const now = deps.clock.now();
  return answer(pageEnvelope('tasks', page.value.items.map((t) => restTask(t, now, call.links)), page.value, paging, { url: call.url, query: call.query }));
}

/** `Ordering=Attribute:asc|desc[,…]` over DateCreated, Priority and VirtualStartTime, as Twilio takes it. */
function readTaskOrdering(p: ParamReader): TaskSlice['order'] | undefined {
  const keys: readonly TaskOrderKey[] = ['DateCreated', 'Priority', 'VirtualStartTime'];
  return readOrderingKeys(p, keys, true)?.map(({ name, descending }) => ({ key: name, descending }));
}

/** Without `WorkflowSid`, the workspace's only workflow, as TaskRouter does; else it is required. */
async function workflowFor(p: ParamReader, deps: RestDeps, workspaceSid: string): Promise<string | undefined> {
  const given = p.string('WorkflowSid');
  if (given !== undefined) return given;
  const workflows = await deps.routingStore.listWorkflows(workspaceSid);
  if (workflows.length === 1) return workflows[0]?.sid;
  return p.fail('WorkflowSid', 'WorkflowSid is required when the workspace does not have exactly one workflow');
}

async function createTask(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const input: Record<string, unknown> = {
    workflowSid: await workflowFor(p, deps, workspace.value.sid),
    attributes: p.attributes(),
    priority: p.integer('Priority', 0, MAX_PRIORITY),
    timeoutS: p.integer('Timeout', 1, 365 * 86_400),
    taskChannel: p.string('TaskChannel'),
    taskQueueSid: p.sid('taskQueue', 'TaskQueueSid'),
    routingTarget: p.sid('worker', 'RoutingTarget'),
    virtualStartAt: p.date('VirtualStartTime'),
  };
  p.unsupported('IgnoreCapacity', 'a task is offered only to a worker with free capacity on its channel');
  if (p.refusal) return p.refusal;
  const taskInput = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TaskInput;
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

async function updateTask(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  const p = new ParamReader(call.body);
  const attributes = p.attributes();
  const priority = p.integer('Priority', 0, MAX_PRIORITY);
  const status = p.string('AssignmentStatus');
  if (status !== undefined && !(REQUESTABLE as readonly string[]).includes(status)) p.fail('AssignmentStatus', `AssignmentStatus must be one of ${REQUESTABLE.join(', ')}`);
  const reason = p.string('Reason');
  p.unsupported('TaskChannel', 'a task keeps the channel it was created on');
  const virtualStartAt = p.date('VirtualStartTime');
  if (p.refusal) return p.refusal;
  if (!version.ok) return version;
  const result = await deps.routing.updateTask(workspace.value.sid, call.path.taskSid ?? '', {
    ...(attributes !== undefined ? { attributes } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(virtualStartAt !== undefined ? { virtualStartAt } : {}),
    ...(status !== undefined ? { assignmentStatus: status as AssignmentStatus } : {}),
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
  { method: 'GET', url: `${WS}/Tasks`, handler: listTasks },
  { method: 'POST', url: `${WS}/Tasks`, handler: createTask },
  { method: 'GET', url: `${WS}/Tasks/:taskSid`, handler: fetchTask },
  { method: 'POST', url: `${WS}/Tasks/:taskSid`, handler: updateTask },
  { method: 'DELETE', url: `${WS}/Tasks/:taskSid`, handler: deleteTask },
];
