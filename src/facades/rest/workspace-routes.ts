/** `/v1/Workspaces` and `/v1/Workspaces/{WS}/Activities`: parse, call the admin service, render. */
import { refuse, type Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import type { WorkspacePatch } from '../../core/workspace-settings.js';
import { PAGING, pageArray, pageEnvelope, pagingOf } from './paging.js';
import { answer, created, deleted, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { flag, formParams, oneOf, refine, required, sid, text, whole, withoutUndefined } from './rest-params.js';
import { restActivity, restOutageBreaker, restWorkspace } from './wire.js';
import { BREAKER_LIMITS } from '../../core/outage-breaker.js';

const LIST_WORKSPACES = { querystring: formParams({ FriendlyName: text(), ...PAGING }) };

async function listWorkspaces(call: RestCall<typeof LIST_WORKSPACES>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const { FriendlyName: friendlyName } = call.query;
  const paging = pagingOf(call.query);
  const all = (await deps.store.listWorkspaces(call.principal.accountSid)).filter((w) => friendlyName === undefined || w.friendlyName === friendlyName);
  const page = pageArray(all, paging.request);
  if (!page.ok) return page;
  const items = await Promise.all(page.value.items.map(async (w) => workspaceBody(w, deps, call)));
  return answer(pageEnvelope('workspaces', items, page.value, paging, { url: call.url, query: call.rawQuery }));
}

/** Rollcall serves queues first in first out; asking for anything else is refused. */
const queueOrder = () => oneOf(['FIFO'], (name, order) => `${name} ${order} is not supported: only FIFO`);

const CREATE_WORKSPACE = {
  body: formParams({
    FriendlyName: required(text()), EventCallbackUrl: text(), EventsFilter: text(), Template: text(), MultiTaskEnabled: flag(), PrioritizeQueueOrder: queueOrder(),
  }),
};

async function createWorkspace(call: RestCall<typeof CREATE_WORKSPACE>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const b = call.body;
  const result = await deps.admin.createWorkspace(call.principal.accountSid, {
    friendlyName: b.FriendlyName, eventCallbackUrl: b.EventCallbackUrl, eventsFilter: b.EventsFilter, template: b.Template, multiTaskEnabled: b.MultiTaskEnabled,
  });
  return result.ok ? created(await workspaceBody(result.value, deps, call)) : result;
}

async function deleteWorkspace(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.admin.deleteWorkspace(call.principal.accountSid, workspace.value.sid);
  return result.ok ? deleted() : result;
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
const { sharePercent, minAgents, windowS, holdS } = BREAKER_LIMITS;
const BREAKER_PARAMS = {
  OutageBreakerEnabled: flag({ description: 'Rollcall: the mass-disconnect breaker on or off (docs/presence.md)' }),
  [sharePercent.param]: whole(sharePercent.min, sharePercent.max, { description: 'Rollcall: the share of connected agents (%) whose drop within the window trips the breaker' }),
  [minAgents.param]: whole(minAgents.min, minAgents.max, { description: 'Rollcall: the breaker never trips with fewer agents connected' }),
  [windowS.param]: whole(windowS.min, windowS.max, { description: 'Rollcall: how far back disconnections count (s)' }),
  [holdS.param]: whole(holdS.min, holdS.max, { description: 'Rollcall: how long logouts are postponed after a trip (s)' }),
  EndOutageHold: refine(flag({ description: 'Rollcall: true ends the active outage hold now' }), (v) => !v, () => 'EndOutageHold only takes true (end the active outage hold now)'),
};

const UPDATE_WORKSPACE = {
  body: formParams({
    FriendlyName: text(), DefaultActivitySid: sid('activity'), TimeoutActivitySid: sid('activity'), EventCallbackUrl: text(), EventsFilter: text(),
    MultiTaskEnabled: flag(), PrioritizeQueueOrder: queueOrder(),
    RoutingHoldWhileDisconnected: flag({ description: 'Rollcall: hold routing to workers whose agent is disconnected (docs/protocol.md)' }),
    ...BREAKER_PARAMS,
  }),
};

async function updateWorkspace(call: RestCall<typeof UPDATE_WORKSPACE>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const b = call.body;
  const patch: WorkspacePatch = {
    friendlyName: b.FriendlyName,
    defaultActivitySid: b.DefaultActivitySid,
    timeoutActivitySid: b.TimeoutActivitySid,
    eventCallbackUrl: b.EventCallbackUrl,
    eventsFilter: b.EventsFilter,
    multiTaskEnabled: b.MultiTaskEnabled,
  };
  const breaker = withoutUndefined({
    enabled: b.OutageBreakerEnabled, sharePercent: b[sharePercent.param], minAgents: b[minAgents.param], windowS: b[windowS.param], holdS: b[holdS.param],
  });
  const updated = await deps.admin.updateWorkspace(workspace.value.sid, withoutUndefined(patch), call.principal.credentialSid, {
    routingHold: b.RoutingHoldWhileDisconnected, breaker: Object.keys(breaker).length > 0 ? breaker : undefined, endOutageHold: b.EndOutageHold,
  });
  if (!updated.ok) return updated;
  return answer(await workspaceBody(updated.value, deps, call));
}

const LIST_ACTIVITIES = { querystring: formParams({ FriendlyName: text(), Available: flag(), ...PAGING }) };

async function listActivities(call: RestCall<typeof LIST_ACTIVITIES>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const { FriendlyName: friendlyName, Available: available } = call.query;
  const paging = pagingOf(call.query);
  const matches = (a: Activity): boolean => (friendlyName === undefined || a.friendlyName === friendlyName) && (available === undefined || a.available === available);
  const page = pageArray((await deps.store.listActivities(workspace.value.sid)).filter(matches), paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope('activities', page.value.items.map((a) => restActivity(a, call.links)), page.value, paging, { url: call.url, query: call.rawQuery }));
}

const CREATE_ACTIVITY = { body: formParams({ FriendlyName: required(text()), Available: flag({ default: false }) }) };

async function createActivity(call: RestCall<typeof CREATE_ACTIVITY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  // Unavailable unless asked: a new activity never makes workers routable by surprise.
  const available = call.body.Available ?? false;
  const result = await deps.admin.createActivity({ workspaceSid: workspace.value.sid, friendlyName: call.body.FriendlyName, available, actor: call.principal.credentialSid });
  return result.ok ? created(restActivity(result.value, call.links)) : result;
}

async function fetchActivity(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const activity = await deps.store.findActivity(workspace.value.sid, call.path.activitySid ?? '');
  if (!activity) return refuse('not-found', `Activity ${call.path.activitySid} was not found`);
  return answer(restActivity(activity, call.links));
}

const UPDATE_ACTIVITY = { body: formParams({ FriendlyName: text(), Available: flag() }) };

async function updateActivity(call: RestCall<typeof UPDATE_ACTIVITY>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.admin.updateActivity({
    workspaceSid: workspace.value.sid, activitySid: call.path.activitySid ?? '', actor: call.principal.credentialSid,
    friendlyName: call.body.FriendlyName, available: call.body.Available,
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
  route('GET', '/Workspaces', LIST_WORKSPACES, listWorkspaces),
  route('POST', '/Workspaces', CREATE_WORKSPACE, createWorkspace),
  route('GET', '/Workspaces/:workspaceSid', {}, fetchWorkspace),
  route('DELETE', '/Workspaces/:workspaceSid', {}, deleteWorkspace),
  route('POST', '/Workspaces/:workspaceSid', UPDATE_WORKSPACE, updateWorkspace),
  route('GET', '/Workspaces/:workspaceSid/Activities', LIST_ACTIVITIES, listActivities),
  route('POST', '/Workspaces/:workspaceSid/Activities', CREATE_ACTIVITY, createActivity),
  route('GET', '/Workspaces/:workspaceSid/Activities/:activitySid', {}, fetchActivity),
  route('POST', '/Workspaces/:workspaceSid/Activities/:activitySid', UPDATE_ACTIVITY, updateActivity),
  route('DELETE', '/Workspaces/:workspaceSid/Activities/:activitySid', {}, deleteActivity),
];
