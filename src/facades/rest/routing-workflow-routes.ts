/**
 * `/Workflows`: list (filter `FriendlyName`), create, fetch, update, delete. The store parses the
 * `Configuration` and refuses an invalid one with where the problem is (filter index, target
 * index, expression position); after every change the routing service re-reads the catalogue.
 * Callback URLs are kept and shown but not called: Rollcall offers tasks to agents' sessions.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { Workflow } from '../../core/routing-resources.js';
import type { WorkflowInput } from '../../service/routing-ports.js';
import { PAGING, pagingOf } from './paging.js';
import {
  answer, created, deleted, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { flag, formParams, nonEmptyText, refine, required, text, whole, withoutUndefined, type Kind, type ParamsOf } from './rest-params.js';
import { answerPage } from './routing-lists.js';
import { restWorkflow } from './routing-wire.js';

/** An absolute http(s) URL, or '' to clear it. */
const urlOrNone: Kind<string | null> = {
  read(raw, name) {
    if (raw === '') return { ok: true, value: null };
    const url = URL.canParse(raw) ? new URL(raw) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { ok: false, message: `${name} must be an absolute http or https URL` };
    return { ok: true, value: raw };
  },
  doc: { type: 'string', format: 'uri', description: "An absolute http or https URL; '' clears it" },
};

const WORKFLOW_FIELDS = {
  FriendlyName: nonEmptyText(),
  // Tasks keep their place in the workflow when it changes; re-placing them is not offered.
  ReEvaluateTasks: refine(flag(), (v) => v, (name) => `${name} is not supported yet: waiting tasks keep their place`),
  Configuration: text({ description: 'The workflow configuration, as a JSON string; the store refuses it with where the problem is' }),
  TaskReservationTimeout: whole(1, 86_400),
  AssignmentCallbackUrl: urlOrNone,
  FallbackAssignmentCallbackUrl: urlOrNone,
};

function workflowInputOf(b: ParamsOf<typeof WORKFLOW_FIELDS>): WorkflowInput {
  return withoutUndefined({
    friendlyName: b.FriendlyName, configuration: b.Configuration, taskReservationTimeoutS: b.TaskReservationTimeout,
    assignmentCallbackUrl: b.AssignmentCallbackUrl, fallbackAssignmentCallbackUrl: b.FallbackAssignmentCallbackUrl,
  });
}

async function workflowOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<Workflow>> {
  const sid = call.path.workflowSid ?? '';
  const workflow = await deps.routingStore.findWorkflow(workspaceSid, sid);
  return workflow ? { ok: true, value: workflow } : refuse('not-found', `Workflow ${sid} was not found`);
}

const LIST_WORKFLOWS = { querystring: formParams({ FriendlyName: text(), ...PAGING }) };

async function listWorkflows(call: RestCall<typeof LIST_WORKFLOWS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const friendlyName = call.query.FriendlyName;
  const paging = pagingOf(call.query);
  const workflows = (await deps.routingStore.listWorkflows(workspace.value.sid)).filter((w) => friendlyName === undefined || w.friendlyName === friendlyName);
  return answerPage(call, 'workflows', workflows, paging, (w) => restWorkflow(w, call.links));
}

const CREATE_WORKFLOW = {
  body: formParams({ ...WORKFLOW_FIELDS, FriendlyName: required(WORKFLOW_FIELDS.FriendlyName), Configuration: required(WORKFLOW_FIELDS.Configuration) }),
};

async function createWorkflow(call: RestCall<typeof CREATE_WORKFLOW>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.createWorkflow(workspace.value.sid, workflowInputOf(call.body));
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

const UPDATE_WORKFLOW = { body: formParams(WORKFLOW_FIELDS) };

async function updateWorkflow(call: RestCall<typeof UPDATE_WORKFLOW>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routingStore.updateWorkflow(workspace.value.sid, call.path.workflowSid ?? '', workflowInputOf(call.body));
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
  route('GET', `${WS}/Workflows`, LIST_WORKFLOWS, listWorkflows),
  route('POST', `${WS}/Workflows`, CREATE_WORKFLOW, createWorkflow),
  route('GET', `${WS}/Workflows/:workflowSid`, {}, fetchWorkflow),
  route('POST', `${WS}/Workflows/:workflowSid`, UPDATE_WORKFLOW, updateWorkflow),
  route('DELETE', `${WS}/Workflows/:workflowSid`, {}, deleteWorkflow),
];
