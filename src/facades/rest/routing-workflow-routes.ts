/**
 * `/Workflows`: list (filter `FriendlyName`), create, fetch, update, delete. The store parses the
 * `Configuration` and refuses an invalid one with where the problem is (filter index, target
 * index, expression position); after every change the routing service re-reads the catalogue.
 * Callback URLs are kept and shown but not called: Rollcall offers tasks to agents' sessions.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { Workflow } from '../../core/routing-resources.js';
import type { WorkflowInput } from '../../service/routing-ports.js';
import { readPaging } from './paging.js';
import { ParamReader } from './params.js';
import {
  answer, created, deleted, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { answerPage } from './routing-lists.js';
import { restWorkflow } from './routing-wire.js';

/** An absolute http(s) URL, or '' to clear it. */
function readUrl(p: ParamReader, name: string): string | null | undefined {
  const value = p.string(name);
  if (value === undefined) return undefined;
  if (value === '') return null;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return p.fail(name, `${name} must be an absolute http or https URL`);
  return value;
}

function readWorkflowInput(p: ParamReader): WorkflowInput {
  const friendlyName = p.string('FriendlyName');
  if (friendlyName !== undefined && friendlyName.trim() === '') p.fail('FriendlyName', 'FriendlyName must not be empty');
  // Tasks keep their place in the workflow when it changes; re-placing them is not offered.
  if (p.boolean('ReEvaluateTasks') === true) p.fail('ReEvaluateTasks', 'ReEvaluateTasks is not supported yet: waiting tasks keep their place');
  const input: Record<string, unknown> = {
    friendlyName,
    configuration: p.string('Configuration'),
    taskReservationTimeoutS: p.integer('TaskReservationTimeout', 1, 86_400),
    assignmentCallbackUrl: readUrl(p, 'AssignmentCallbackUrl'),
    fallbackAssignmentCallbackUrl: readUrl(p, 'FallbackAssignmentCallbackUrl'),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as WorkflowInput;
}

async function workflowOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<Workflow>> {
  const sid = call.path.workflowSid ?? '';
  const workflow = await deps.routingStore.findWorkflow(workspaceSid, sid);
  return workflow ? { ok: true, value: workflow } : refuse('not-found', `Workflow ${sid} was not found`);
}

async function listWorkflows(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const friendlyName = p.string('FriendlyName');
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const workflows = (await deps.routingStore.listWorkflows(workspace.value.sid)).filter((w) => friendlyName === undefined || w.friendlyName === friendlyName);
  return answerPage(call, 'workflows', workflows, paging, (w) => restWorkflow(w, call.links));
}

async function createWorkflow(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  p.required('FriendlyName');
  p.required('Configuration');
  const input = readWorkflowInput(p);
  if (p.refusal) return p.refusal;
  const result = await deps.routingStore.createWorkflow(workspace.value.sid, input);
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return created(restWorkflow(result.value, call.links));
}

async function fetchWorkflow(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const workflow = await workflowOf(call, deps, workspace.value.sid);
  return workflow.ok ? answer(restWorkflow(workflow.value, call.links)) : workflow;
}

async function updateWorkflow(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const input = readWorkflowInput(p);
  if (p.refusal) return p.refusal;
  const result = await deps.routingStore.updateWorkflow(workspace.value.sid, call.path.workflowSid ?? '', input);
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return answer(restWorkflow(result.value, call.links));
}

async function deleteWorkflow(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.deleteWorkflow(workspace.value.sid, call.path.workflowSid ?? '');
  if (!result.ok) return result;
  await deps.routing.reloadCatalog(workspace.value.sid);
  return deleted();
}

const WS = '/Workspaces/:workspaceSid';

export const ROUTING_WORKFLOW_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: `${WS}/Workflows`, handler: listWorkflows },
  { method: 'POST', url: `${WS}/Workflows`, handler: createWorkflow },
  { method: 'GET', url: `${WS}/Workflows/:workflowSid`, handler: fetchWorkflow },
  { method: 'POST', url: `${WS}/Workflows/:workflowSid`, handler: updateWorkflow },
  { method: 'DELETE', url: `${WS}/Workflows/:workflowSid`, handler: deleteWorkflow },
];
