/**
 * Rules for activities and the events their changes publish. The logout activity is protected:
 * it can be renamed, never deleted, and it is never available (logout-settings.ts keeps the
 * last rule where the settings are written; `available` can never change after creation).
 */
import { ok, refuse, type Result } from './errors.js';
import { actorFields, parseActor } from './actor.js';
import type { EventContext } from './events.js';
import type { Activity, LogoutSettings, Workspace, WorkspaceEvent } from './resources.js';

/** TaskRouter's limit on friendly names of activities and workers. */
export const MAX_FRIENDLY_NAME_LENGTH = 64;

/** A friendly name as given, or a refusal naming `field`. */
export function checkFriendlyName(value: string, field = 'FriendlyName'): Result<string> {
  if (value.trim() === '') return refuse('invalid-parameter', `${field} must not be empty`, field);
  if (value.length > MAX_FRIENDLY_NAME_LENGTH) return refuse('invalid-parameter', `${field} must be at most ${MAX_FRIENDLY_NAME_LENGTH} characters`, field);
  return ok(value);
}

/** `available` is fixed when an activity is created; asking for the value it has is no change. */
export function checkAvailableUnchanged(activity: Activity, requested: boolean | undefined): Result<void> {
  if (requested === undefined || requested === activity.available) return ok(undefined);
  return refuse('invalid-parameter', `Available cannot change after an activity is created; ${activity.friendlyName} stays ${activity.available ? 'available' : 'unavailable'}`, 'Available');
}

export interface ActivityReferences {
  readonly workspace: Workspace;
  readonly settings: LogoutSettings;
  /** How many workers are in the activity now. */
  readonly workersInActivity: number;
  /** Task queues that name the activity as their reservation or assignment activity. */
  readonly queuesUsing: readonly string[];
}

/**
 * Whether an activity may be deleted: never the logout activity, never the workspace's default
 * or timeout activity, never one a task queue names, never one that a worker is in. Each
 * refusal says what to do instead.
 */
export function checkActivityDeletion(activity: Activity, refs: ActivityReferences): Result<void> {
  const name = activity.friendlyName;
  if (activity.sid === refs.settings.logoutActivitySid) {
    return refuse('conflict', `${name} is the logout activity: it can be renamed but never deleted`);
  }
  if (activity.sid === refs.workspace.defaultActivitySid) {
    return refuse('conflict', `${name} is the workspace's default activity (DefaultActivitySid); make another activity the default before deleting it`);
  }
  if (activity.sid === refs.workspace.timeoutActivitySid) {
    return refuse('conflict', `${name} is the workspace's timeout activity (TimeoutActivitySid); make another activity the timeout activity before deleting it`);
  }
  if (refs.queuesUsing.length > 0) {
    const queues = refs.queuesUsing.join(', ');
    return refuse('conflict', `${name} is the reservation or assignment activity of task queue${refs.queuesUsing.length === 1 ? '' : 's'} ${queues}; change ${refs.queuesUsing.length === 1 ? 'it' : 'them'} before deleting it`);
  }
  if (refs.workersInActivity > 0) {
    const who = refs.workersInActivity === 1 ? '1 worker is' : `${refs.workersInActivity} workers are`;
    return refuse('conflict', `${who} in ${name}; move them to another activity before deleting it`);
  }
  return ok(undefined);
}

export type ActivityEventType = 'activity.created' | 'activity.updated' | 'activity.deleted';

export function activityEvent(ctx: EventContext, activity: Activity, eventType: ActivityEventType): WorkspaceEvent {
  const verb = { 'activity.created': 'created', 'activity.updated': 'updated', 'activity.deleted': 'deleted' }[eventType];
  return {
    sid: ctx.sid,
    accountSid: ctx.workspace.accountSid,
    workspaceSid: ctx.workspace.sid,
    eventType,
    resourceType: 'activity',
    resourceSid: activity.sid,
    ...actorFields(parseActor(ctx.actor)),
    description: `Activity ${activity.friendlyName} ${verb}`,
    data: {
      activity_sid: activity.sid,
      activity_name: activity.friendlyName,
      activity_available: String(activity.available),
      workspace_sid: ctx.workspace.sid,
      workspace_name: ctx.workspace.friendlyName,
    },
    cause: null,
    evidence: null,
    at: ctx.at,
  };
}

/** `workspace.updated`; `ctx.workspace` is the workspace after the change. */
export function workspaceEvent(ctx: EventContext, activities: readonly Activity[]): WorkspaceEvent {
  const ws = ctx.workspace;
  const nameOf = (sid: string): string | null => activities.find((a) => a.sid === sid)?.friendlyName ?? null;
  return {
    sid: ctx.sid,
    accountSid: ws.accountSid,
    workspaceSid: ws.sid,
    eventType: 'workspace.updated',
    resourceType: 'workspace',
    resourceSid: ws.sid,
    ...actorFields(parseActor(ctx.actor)),
    description: `Workspace ${ws.friendlyName} updated`,
    data: {
      workspace_sid: ws.sid,
      workspace_name: ws.friendlyName,
      default_activity_sid: ws.defaultActivitySid,
      default_activity_name: nameOf(ws.defaultActivitySid),
      timeout_activity_sid: ws.timeoutActivitySid,
      timeout_activity_name: nameOf(ws.timeoutActivitySid),
      event_callback_url: ws.eventCallbackUrl,
      events_filter: ws.eventsFilter,
    },
    cause: null,
    evidence: null,
    at: ctx.at,
  };
}
