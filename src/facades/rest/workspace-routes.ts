/** `/v1/Workspaces` and `/v1/Workspaces/{WS}/Activities`: parse, call the admin service, render. */
import { refuse, type Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import type { WorkspacePatch } from '../../core/workspace-settings.js';
import { pageArray, pageEnvelope, readPaging } from './paging.js';
import { ParamReader, withoutUndefined } from './params.js';
import { answer, created, deleted, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restActivity, restOutageBreaker, restWorkspace } from './wire.js';
import { BREAKER_LIMITS, type BreakerPatch } from '../../core/outage-breaker.js';

async function listWorkspaces(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const p = new ParamReader(call.query);
  const friendlyName = p.string('FriendlyName');
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const all = (await deps.store.listWorkspaces(call.principal.accountSid)).filter((w) => friendlyName === undefined || w.friendlyName === friendlyName);
  const page = pageArray(all, paging.request);
  if (!page.ok) return page;
  const items = await Promise.all(page.value.items.map(async (w) => workspaceBody(w, deps, call)));
  return answer(pageEnvelope('workspaces', items, page.value, paging, { url: call.url, query: call.query }));
}

async function createWorkspace(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const p = new ParamReader(call.body);
  const friendlyName = p.required('FriendlyName');
  const eventCallbackUrl = p.string('EventCallbackUrl');
  const eventsFilter = p.string('EventsFilter');
  const template = p.string('Template');
  const multiTaskEnabled = p.boolean('MultiTaskEnabled');
  checkQueueOrder(p);
  if (p.refusal) return p.refusal;
  const result = await deps.admin.createWorkspace(call.principal.accountSid, { friendlyName, eventCallbackUrl, eventsFilter, template, multiTaskEnabled });
  return result.ok ? created(await workspaceBody(result.value, deps, call)) : result;
}

async function deleteWorkspace(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.admin.deleteWorkspace(call.principal.accountSid, workspace.value.sid);
  return result.ok ? deleted() : result;
}

/** Rollcall serves queues first in first out; asking for anything else is refused. */
function checkQueueOrder(p: ParamReader): void {
  const order = p.string('PrioritizeQueueOrder');
  if (order !== undefined && order !== 'FIFO') p.fail('PrioritizeQueueOrder', `PrioritizeQueueOrder ${order} is not supported: only FIFO`);
}

async function fetchWorkspace(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  return answer(await workspaceBody(workspace.value, deps, call));
}

/**
 * Twilio's workspace, plus Rollcall's `routing_hold_while_disconnected` (rule 8), `outage_breaker`
 * and `outage_hold` (the mass-disconnect breaker; docs/protocol.md).
 */
async function workspaceBody(workspace: Workspace, deps: RestDeps, call: RestCall): Promise<Record<string, unknown>> {
  const breaker = await deps.store.outageBreaker(workspace.sid);
  return {
    ...restWorkspace(workspace, await deps.store.listActivities(workspace.sid), call.links),
    routing_hold_while_disconnected: deps.routing.isHoldingDisconnected(workspace.sid),
    ...(breaker ? restOutageBreaker(breaker.settings, breaker.hold) : {}),
  };
}

/** The breaker's parameters (Rollcall extension); ranges are the core's, refusals name the parameter. */
function readBreakerPatch(p: ParamReader): BreakerPatch {
  const { sharePercent, minAgents, windowS, holdS } = BREAKER_LIMITS;
  return {
    enabled: p.boolean('OutageBreakerEnabled'),
    sharePercent: p.integer(sharePercent.param, sharePercent.min, sharePercent.max),
    minAgents: p.integer(minAgents.param, minAgents.min, minAgents.max),
    windowS: p.integer(windowS.param, windowS.min, windowS.max),
    holdS: p.integer(holdS.param, holdS.min, holdS.max),
  };
}

async function updateWorkspace(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const patch: WorkspacePatch = {
    friendlyName: p.string('FriendlyName'),
    defaultActivitySid: p.sid('activity', 'DefaultActivitySid'),
    timeoutActivitySid: p.sid('activity', 'TimeoutActivitySid'),
    eventCallbackUrl: p.string('EventCallbackUrl'),
    eventsFilter: p.string('EventsFilter'),
    multiTaskEnabled: p.boolean('MultiTaskEnabled'),
  };
  checkQueueOrder(p);
  const routingHold = p.boolean('RoutingHoldWhileDisconnected');
  const breaker = withoutUndefined(readBreakerPatch(p));
  const endOutageHold = p.boolean('EndOutageHold');
  if (endOutageHold === false) p.fail('EndOutageHold', 'EndOutageHold only takes true (end the active outage hold now)');
  if (p.refusal) return p.refusal;
  const updated = await deps.admin.updateWorkspace(workspace.value.sid, withoutUndefined(patch), call.principal.credentialSid, {
    routingHold, breaker: Object.keys(breaker).length > 0 ? breaker : undefined, endOutageHold,
  });
  if (!updated.ok) return updated;
  return answer(await workspaceBody(updated.value, deps, call));
}

async function listActivities(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const friendlyName = p.string('FriendlyName');
  const available = p.boolean('Available');
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const matches = (a: Activity): boolean => (friendlyName === undefined || a.friendlyName === friendlyName) && (available === undefined || a.available === available);
  const page = pageArray((await deps.store.listActivities(workspace.value.sid)).filter(matches), paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope('activities', page.value.items.map((a) => restActivity(a, call.links)), page.value, paging, { url: call.url, query: call.query }));
}

async function createActivity(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const friendlyName = p.required('FriendlyName');
  // Unavailable unless asked: a new activity never makes workers routable by surprise.
  const available = p.boolean('Available') ?? false;
  if (p.refusal) return p.refusal;
  const result = await deps.admin.createActivity({ workspaceSid: workspace.value.sid, friendlyName, available, actor: call.principal.credentialSid });
  return result.ok ? created(restActivity(result.value, call.links)) : result;
}

async function fetchActivity(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const activity = await deps.store.findActivity(workspace.value.sid, call.path.activitySid ?? '');
  if (!activity) return refuse('not-found', `Activity ${call.path.activitySid} was not found`);
  return answer(restActivity(activity, call.links));
}

async function updateActivity(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const friendlyName = p.string('FriendlyName');
  const available = p.boolean('Available');
  if (p.refusal) return p.refusal;
  const result = await deps.admin.updateActivity({
    workspaceSid: workspace.value.sid, activitySid: call.path.activitySid ?? '', actor: call.principal.credentialSid, friendlyName, available,
  });
  return result.ok ? answer(restActivity(result.value, call.links)) : result;
}

async function deleteActivity(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.admin.deleteActivity({ workspaceSid: workspace.value.sid, activitySid: call.path.activitySid ?? '', actor: call.principal.credentialSid });
  return result.ok ? deleted() : result;
}

export const WORKSPACE_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/Workspaces', handler: listWorkspaces },
  { method: 'POST', url: '/Workspaces', handler: createWorkspace },
  { method: 'GET', url: '/Workspaces/:workspaceSid', handler: fetchWorkspace },
  { method: 'DELETE', url: '/Workspaces/:workspaceSid', handler: deleteWorkspace },
  { method: 'POST', url: '/Workspaces/:workspaceSid', handler: updateWorkspace },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Activities', handler: listActivities },
  { method: 'POST', url: '/Workspaces/:workspaceSid/Activities', handler: createActivity },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Activities/:activitySid', handler: fetchActivity },
  { method: 'POST', url: '/Workspaces/:workspaceSid/Activities/:activitySid', handler: updateActivity },
  { method: 'DELETE', url: '/Workspaces/:workspaceSid/Activities/:activitySid', handler: deleteActivity },
];
