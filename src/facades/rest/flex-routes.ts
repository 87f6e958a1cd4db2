/**
 * Flex Configuration, `GET/POST /v1/Configuration`: the logout settings of the account's Flex
 * workspace (`taskrouter_workspace_sid`: the one last named here, else the account's first). POST takes a JSON body, snake_case as on the wire: `taskrouter_workspace_sid`,
 * `taskrouter_offline_activity_sid`, `offline_config: {presence, presence_ttl}`. Unknown fields
 * are ignored; a wrong type is refused naming the field; the change is one transaction and
 * applies at once to pending disconnections (rule 9).
 */
import { refuse, type Result } from '../../core/errors.js';
import { MAX_THRESHOLD_S, type LogoutSettingsPatch } from '../../core/logout-settings.js';
import type { Workspace } from '../../core/resources.js';
import { isSid } from '../../core/sids.js';
import type { Params } from './params.js';
import { answer, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { isoDate } from './wire.js';

async function flexWorkspace(call: RestCall, deps: RestDeps, sid?: string): Promise<Result<Workspace>> {
  if (sid !== undefined) return workspaceOf(call, deps, sid);
  const flexSid = await deps.store.flexWorkspaceSid(call.principal.accountSid);
  return flexSid === null ? refuse('not-found', 'The account has no workspace, so no Flex configuration') : workspaceOf(call, deps, flexSid);
}

async function render(call: RestCall, deps: RestDeps, workspace: Workspace): Promise<Result<RestAnswer>> {
  const settings = await deps.store.logoutSettings(workspace.sid);
  const logoutActivity = await deps.store.findActivity(workspace.sid, settings.logoutActivitySid);
  return answer({
    account_sid: workspace.accountSid,
    date_created: isoDate(workspace.createdAt),
    date_updated: isoDate(Math.max(workspace.updatedAt, settings.updatedAt)),
    status: 'ok',
    taskrouter_workspace_sid: workspace.sid,
    taskrouter_offline_activity_sid: settings.logoutActivitySid,
    // Ours: the logout activity is shown by name, and it can be renamed.
    taskrouter_offline_activity_name: logoutActivity?.friendlyName ?? null,
    offline_config: { presence: settings.enabled, presence_ttl: Math.round(settings.thresholdMs / 1000) },
    url: call.links.configuration(),
  });
}

async function fetchConfiguration(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await flexWorkspace(call, deps);
  return workspace.ok ? render(call, deps, workspace.value) : workspace;
}

type Parsed = { workspaceSid?: string; patch: LogoutSettingsPatch };

/** Types are checked here; values (an unavailable activity, 1–86 400 s) by core/logout-settings. */
function parseConfiguration(body: Params): Result<Parsed> {
  const invalid = (field: string, message: string) => refuse('invalid-parameter', message, field);
  const { taskrouter_workspace_sid: wsSid, taskrouter_offline_activity_sid: activitySid, offline_config: offline } = body;
  if (wsSid !== undefined && !isSid('workspace', wsSid)) return invalid('taskrouter_workspace_sid', 'taskrouter_workspace_sid must be a workspace SID (WS followed by 32 hex digits)');
  if (activitySid !== undefined && !isSid('activity', activitySid)) return invalid('taskrouter_offline_activity_sid', 'taskrouter_offline_activity_sid must be an activity SID (WA followed by 32 hex digits)');
  let patch: LogoutSettingsPatch = activitySid !== undefined ? { logoutActivitySid: activitySid as string } : {};
  if (offline !== undefined) {
    if (typeof offline !== 'object' || offline === null || Array.isArray(offline)) return invalid('offline_config', 'offline_config must be an object {presence, presence_ttl}');
    const { presence, presence_ttl: ttl } = offline as Record<string, unknown>;
    if (presence !== undefined && typeof presence !== 'boolean') return invalid('offline_config.presence', 'offline_config.presence must be true or false');
    if (ttl !== undefined && typeof ttl !== 'number') return invalid('offline_config.presence_ttl', `offline_config.presence_ttl must be a whole number of seconds from 1 to ${MAX_THRESHOLD_S}`);
    if (presence !== undefined) patch = { ...patch, enabled: presence };
    if (ttl !== undefined) patch = { ...patch, thresholdS: ttl };
  }
  return { ok: true, value: { ...(wsSid !== undefined ? { workspaceSid: wsSid as string } : {}), patch } };
}

async function updateConfiguration(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const parsed = parseConfiguration(call.body);
  if (!parsed.ok) return parsed;
  const workspace = await flexWorkspace(call, deps, parsed.value.workspaceSid);
  if (!workspace.ok) {
    return parsed.value.workspaceSid === undefined ? workspace : refuse('invalid-parameter', `taskrouter_workspace_sid ${parsed.value.workspaceSid} is not a workspace of this account`, 'taskrouter_workspace_sid');
  }
  const result = await deps.admin.updateLogoutSettings(workspace.value.sid, parsed.value.patch, call.principal.credentialSid);
  if (!result.ok) return result;
  // Naming a workspace makes it the Flex workspace: the one the logout settings shown here belong to.
  if (parsed.value.workspaceSid !== undefined) await deps.store.setFlexWorkspace(call.principal.accountSid, workspace.value.sid);
  return render(call, deps, workspace.value);
}

export const FLEX_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/Configuration', handler: fetchConfiguration },
  { method: 'POST', url: '/Configuration', handler: updateConfiguration },
];
