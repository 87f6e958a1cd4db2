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
}

const EVENT_TYPE = /^[a-z]+(?:\.[a-z_]+)+$/;

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
  if (patch.eventsFilter !== undefined) {
    const filter = checkEventsFilter(patch.eventsFilter);
    if (!filter.ok) return filter;
    next = { ...next, eventsFilter: filter.value };
  }
  return ok(next);
}

function checkCallbackUrl(value: string | null): Result<string | null> {
  if (value === null || value.trim() === '') return ok(null);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('invalid-parameter', 'EventCallbackUrl must be an absolute http or https URL', 'EventCallbackUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('invalid-parameter', 'EventCallbackUrl must be an absolute http or https URL', 'EventCallbackUrl');
  return ok(value);
}

function checkEventsFilter(value: string | null): Result<string | null> {
  if (value === null || value.trim() === '') return ok(null);
  const types = value.split(',').map((t) => t.trim());
  const bad = types.find((t) => !EVENT_TYPE.test(t));
  if (bad !== undefined) return refuse('invalid-parameter', `EventsFilter must be a comma-separated list of event types such as worker.activity.update; "${bad}" is not one`, 'EventsFilter');
  return ok(types.join(','));
}
