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
import { SID_PREFIXES, isSid } from '../../core/sids.js';
import { z } from 'zod';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
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

/** A SID of `kind` in a JSON body, refused with a message naming `field`. */
function jsonSid(kind: 'workspace' | 'activity', field: string, what: string) {
  const message = `${field} must be ${what} SID (${SID_PREFIXES[kind]} followed by 32 hex digits)`;
  return z.string({ error: () => message }).refine((v) => isSid(kind, v), { error: () => message })
    .meta({ type: 'string', pattern: `^${SID_PREFIXES[kind]}[0-9a-f]{32}$` }).optional();
}

/**
 * The JSON body, snake_case as on the wire. Types are checked here; values (an unavailable
 * activity, 1–86 400 s) by core/logout-settings, where the console's changes are checked too.
 */
const CONFIGURATION = z.object({
  taskrouter_workspace_sid: jsonSid('workspace', 'taskrouter_workspace_sid', 'a workspace'),
  taskrouter_offline_activity_sid: jsonSid('activity', 'taskrouter_offline_activity_sid', 'an activity'),
  offline_config: z.object({
    presence: z.boolean({ error: () => 'offline_config.presence must be true or false' }).optional(),
    presence_ttl: z.number({ error: () => `offline_config.presence_ttl must be a whole number of seconds from 1 to ${MAX_THRESHOLD_S}` })
      .meta({ type: 'integer', minimum: 1, maximum: MAX_THRESHOLD_S }).optional(),
  }, { error: () => 'offline_config must be an object {presence, presence_ttl}' }).optional(),
});

const UPDATE_CONFIGURATION = { body: CONFIGURATION, bodyType: 'application/json' } as const;

function patchOf(body: z.output<typeof CONFIGURATION>): LogoutSettingsPatch {
  const { taskrouter_offline_activity_sid: activitySid, offline_config: offline } = body;
  return {
    ...(activitySid !== undefined ? { logoutActivitySid: activitySid } : {}),
    ...(offline?.presence !== undefined ? { enabled: offline.presence } : {}),
    ...(offline?.presence_ttl !== undefined ? { thresholdS: offline.presence_ttl } : {}),
  };
}

async function updateConfiguration(call: RestCall<typeof UPDATE_CONFIGURATION>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspaceSid = call.body.taskrouter_workspace_sid;
  const workspace = await flexWorkspace(call, deps, workspaceSid);
  if (!workspace.ok) {
    return workspaceSid === undefined ? workspace : refuse('invalid-parameter', `taskrouter_workspace_sid ${workspaceSid} is not a workspace of this account`, 'taskrouter_workspace_sid');
  }
  const result = await deps.admin.updateLogoutSettings(workspace.value.sid, patchOf(call.body), call.principal.credentialSid);
  if (!result.ok) return result;
  // Naming a workspace makes it the Flex workspace: the one the logout settings shown here belong to.
  if (workspaceSid !== undefined) await deps.store.setFlexWorkspace(call.principal.accountSid, workspace.value.sid);
  return render(call, deps, workspace.value);
}

export const FLEX_ROUTES: readonly RestRoute[] = [
  route('GET', '/Configuration', {}, fetchConfiguration),
  route('POST', '/Configuration', UPDATE_CONFIGURATION, updateConfiguration),
];
