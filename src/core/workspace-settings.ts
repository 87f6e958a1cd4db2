/**
 * Rules for a workspace's own settings: its name, the default and timeout activities, and where
 * and which events are called back. A patch is validated whole before anything is stored.
 */
import { checkFriendlyName } from './activities.js';
import { ok, refuse, type Result } from './errors.js';
import type { Activity, Workspace } from './resources.js';

export interface WorkspacePatch {
  readonly friendlyName?: string;
  readonly defaultActivitySid?: string;
  readonly timeoutActivitySid?: string;
  /** An absolute http(s) URL, or null to clear it. */
  readonly eventCallbackUrl?: string | null;
  /** Comma-separated event types, or null to clear it. */
  readonly eventsFilter?: string | null;
  readonly multiTaskEnabled?: boolean;
}

const EVENT_TYPE = /^[a-z]+(?:\.[a-z_]+)+$/;

/** What a new workspace starts with, as on Twilio: Offline (the logout activity), Available, Unavailable. */
export const NEW_WORKSPACE_ACTIVITIES: readonly { readonly friendlyName: string; readonly available: boolean }[] = [
  { friendlyName: 'Offline', available: false },
  { friendlyName: 'Available', available: true },
  { friendlyName: 'Unavailable', available: false },
];

export interface WorkspaceCreation {
  readonly friendlyName: string;
  readonly eventCallbackUrl?: string;
  readonly eventsFilter?: string;
  /** Twilio's default is true. */
  readonly multiTaskEnabled?: boolean;
  /** Twilio's `Template`: `NONE` (the default) or `FIFO`. */
  readonly template?: string;
}

export interface CheckedWorkspaceCreation {
  readonly friendlyName: string;
  readonly eventCallbackUrl: string | null;
  readonly eventsFilter: string | null;
  readonly multiTaskEnabled: boolean;
  readonly template?: 'FIFO';
}

/** A new workspace's settings, or a refusal naming the field and value at fault. */
export function checkWorkspaceCreation(input: WorkspaceCreation): Result<CheckedWorkspaceCreation> {
  const name = checkFriendlyName(input.friendlyName);
  if (!name.ok) return name;
  const url = checkCallbackUrl(input.eventCallbackUrl ?? null);
  if (!url.ok) return url;
  const filter = checkEventsFilter(input.eventsFilter ?? null);
  if (!filter.ok) return filter;
  const template = input.template ?? 'NONE';
  if (template !== 'NONE' && template !== 'FIFO') return refuse('invalid-parameter', `Template ${template} is not valid: use FIFO or NONE`, 'Template');
  const checked = { friendlyName: name.value, eventCallbackUrl: url.value, eventsFilter: filter.value, multiTaskEnabled: input.multiTaskEnabled ?? true };
  return ok(template === 'FIFO' ? { ...checked, template } : checked);
}

/** The workspace after `patch`, or a refusal naming the field at fault. */
export function applyWorkspacePatch(current: Workspace, patch: WorkspacePatch, activities: readonly Activity[], at: number): Result<Workspace> {
  let next: Workspace = { ...current, updatedAt: at };
  if (patch.friendlyName !== undefined) {
    const name = checkFriendlyName(patch.friendlyName);
    if (!name.ok) return name;
    next = { ...next, friendlyName: name.value };
  }
  for (const [key, field] of [['defaultActivitySid', 'DefaultActivitySid'], ['timeoutActivitySid', 'TimeoutActivitySid']] as const) {
    const sid = patch[key];
    if (sid === undefined) continue;
    if (!activities.some((a) => a.sid === sid)) return refuse('invalid-parameter', `${field} ${sid} is not an activity of workspace ${current.sid}`, field);
    next = { ...next, [key]: sid };
  }
  if (patch.eventCallbackUrl !== undefined) {
    const url = checkCallbackUrl(patch.eventCallbackUrl);
    if (!url.ok) return url;
    next = { ...next, eventCallbackUrl: url.value };
  }
  if (patch.multiTaskEnabled !== undefined) next = { ...next, multiTaskEnabled: patch.multiTaskEnabled };
  if (patch.eventsFilter !== undefined) {
    const filter = checkEventsFilter(patch.eventsFilter);
    if (!filter.ok) return filter;
    next = { ...next, eventsFilter: filter.value };
  }
  return ok(next);
}

/** An absolute http(s) URL (null or blank clears it); the refusal quotes the value and names `field`. */
export function checkCallbackUrl(value: string | null, field = 'EventCallbackUrl'): Result<string | null> {
  if (value === null || value.trim() === '') return ok(null);
  const refusal = refuse('invalid-parameter', `${field} must be an absolute http or https URL; "${value}" is not one`, field);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refusal;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? ok(value) : refusal;
}

function checkEventsFilter(value: string | null): Result<string | null> {
  if (value === null || value.trim() === '') return ok(null);
  const types = value.split(',').map((t) => t.trim());
  const bad = types.find((t) => !EVENT_TYPE.test(t));
  if (bad !== undefined) return refuse('invalid-parameter', `EventsFilter must be a comma-separated list of event types such as worker.activity.update; "${bad}" is not one`, 'EventsFilter');
  return ok(types.join(','));
}
