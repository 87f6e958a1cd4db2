/**
 * Builds the workspace events TaskRouter publishes, with Twilio's `event_data` fields (strings,
 * as Twilio sends them) and, for automatic changes, our cause and evidence.
 */
import { actorFields, parseActor } from './actor.js';
import type { ActivityCause, LogoutEvidence } from './presence.js';
import type { Activity, Worker, Workspace, WorkspaceEvent } from './resources.js';

export interface EventContext {
  readonly sid: string;
  readonly workspace: Workspace;
  readonly at: number;
  /** As stored (see core/actor.ts). */
  readonly actor: string;
}

function workerData(worker: Worker, workspace: Workspace): Record<string, string | null> {
  return {
    worker_sid: worker.sid,
    worker_name: worker.friendlyName,
    worker_attributes: worker.attributes,
    worker_activity_sid: worker.activitySid,
    worker_activity_name: worker.activityName,
    worker_version: String(worker.version),
    workspace_sid: workspace.sid,
    workspace_name: workspace.friendlyName,
  };
}

export function workerActivityEvent(
  ctx: EventContext,
  worker: Worker,
  from: Pick<Activity, 'sid' | 'friendlyName'> | null,
  previousSince: number,
  cause: ActivityCause,
  evidence: LogoutEvidence | null,
  effectiveAt: number,
): WorkspaceEvent {
  const inPreviousMs = Math.max(0, effectiveAt - previousSince);
  return {
    sid: ctx.sid,
    accountSid: ctx.workspace.accountSid,
    workspaceSid: ctx.workspace.sid,
    eventType: 'worker.activity.update',
    resourceType: 'worker',
    resourceSid: worker.sid,
    ...actorFields(parseActor(ctx.actor)),
    description: `Worker ${worker.friendlyName} updated to ${worker.activityName} Activity`,
    data: {
      ...workerData(worker, ctx.workspace),
      worker_previous_activity_sid: from?.sid ?? null,
      worker_previous_activity_name: from?.friendlyName ?? null,
      worker_time_in_previous_activity: String(Math.floor(inPreviousMs / 1000)),
      worker_time_in_previous_activity_ms: String(inPreviousMs),
    },
    cause,
    evidence,
    at: ctx.at,
  };
}

export function workerEvent(
  ctx: EventContext,
  worker: Worker,
  eventType: 'worker.attributes.update' | 'worker.created' | 'worker.deleted',
): WorkspaceEvent {
  const verb = { 'worker.attributes.update': 'updated attributes', 'worker.created': 'created', 'worker.deleted': 'deleted' }[eventType];
  return {
    sid: ctx.sid,
    accountSid: ctx.workspace.accountSid,
    workspaceSid: ctx.workspace.sid,
    eventType,
    resourceType: 'worker',
    resourceSid: worker.sid,
    ...actorFields(parseActor(ctx.actor)),
    description: `Worker ${worker.friendlyName} ${verb}`,
    data: workerData(worker, ctx.workspace),
    cause: null,
    evidence: null,
    at: ctx.at,
  };
}
