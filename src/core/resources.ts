/**
 * The records Rollcall keeps, in TaskRouter's words. Instants are epoch milliseconds (`…At`),
 * durations milliseconds (`…Ms`); `attributes` is kept as the JSON string TaskRouter exchanges.
 */
import type { TransferEventType } from './transfers.js';
import type { ActivityCause, DisconnectReason, LogoutEvidence } from './presence.js';

export interface Account {
  readonly sid: string;
  readonly friendlyName: string;
  readonly authToken: string;
  readonly createdAt: number;
}

export interface ApiKey {
  readonly sid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly secret: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface Workspace {
  readonly sid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly defaultActivitySid: string;
  readonly timeoutActivitySid: string;
  readonly eventCallbackUrl: string | null;
  readonly eventsFilter: string | null;
  /**
   * Multi-tasking (Twilio's `MultiTaskEnabled`): a worker takes as many tasks per channel as the
   * channel's capacity, and routing never changes its activity (the queues' reservation and
   * assignment activities are not applied). Off: those activities are applied.
   */
  readonly multiTaskEnabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Activity {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly available: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Worker {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly attributes: string;
  readonly activitySid: string;
  readonly activityName: string;
  readonly available: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly statusChangedAt: number;
  /** Grows on every visible change; the EventBridge `version` and the REST `ETag`. */
  readonly version: number;
}

/** The Flex logout settings of a workspace (Flex Configuration `offline_config` and friends). */
export interface LogoutSettings {
  readonly workspaceSid: string;
  readonly logoutActivitySid: string;
  /** `offline_config.presence`. */
  readonly enabled: boolean;
  /** `offline_config.presence_ttl`, in milliseconds here (whole seconds on the wire). */
  readonly thresholdMs: number;
  readonly updatedAt: number;
  /** The credential (account, API key) that made the last change; null for the installation's defaults. */
  readonly updatedBy: string | null;
}

/** One row of the append-only activity log. */
export interface ActivityLogEntry {
  readonly id: number;
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly fromActivitySid: string | null;
  readonly toActivitySid: string;
  readonly cause: ActivityCause | 'created';
  readonly actor: string;
  readonly evidence: LogoutEvidence | null;
  readonly effectiveAt: number;
  readonly recordedAt: number;
}

/** One disconnection of a worker, from its last sign of life to its reconnection or logout. */
export interface DisconnectEpisode {
  readonly id: number;
  readonly workerSid: string;
  readonly lastSeenAt: number;
  readonly detectedAt: number;
  readonly reason: DisconnectReason;
  readonly endedAt: number | null;
  readonly outcome: 'reconnected' | 'logged-out' | 'overridden' | null;
}

export type EventType =
  | 'worker.activity.update'
  | 'worker.attributes.update'
  | 'worker.created'
  | 'worker.deleted'
  | 'activity.created'
  | 'activity.updated'
  | 'activity.deleted'
  | 'workspace.updated'
  | 'workspace.outage_hold.started'
  | 'workspace.outage_hold.ended'
  | 'worker.channel.availability.update'
  | 'worker.capacity.update'
  | 'task.created'
  | 'task.updated'
  | 'task.canceled'
  | 'task.completed'
  | 'task.wrapup'
  | 'task.deleted'
  | 'task-queue.entered'
  | 'task-queue.moved'
  | 'reservation.created'
  | 'reservation.accepted'
  | 'reservation.rejected'
  | 'reservation.timeout'
  | 'reservation.canceled'
  | 'reservation.rescinded'
  | 'reservation.wrapup'
  | 'reservation.completed'
  | TransferEventType;

/** A committed change, stored for the Events API and fanned out to sessions after commit. */
export interface WorkspaceEvent {
  readonly sid: string;
  readonly accountSid: string;
  readonly workspaceSid: string;
  readonly eventType: EventType;
  readonly resourceType: 'worker' | 'activity' | 'workspace' | 'task' | 'reservation' | 'task_queue' | 'workflow' | 'task_channel';
  readonly resourceSid: string;
  readonly actorType: 'worker' | 'account' | 'api_key' | 'system';
  readonly actorSid: string | null;
  readonly description: string;
  /** Twilio's `event_data`, string-valued as Twilio sends it. */
  readonly data: Readonly<Record<string, string | null>>;
  readonly cause: ActivityCause | null;
  readonly evidence: LogoutEvidence | null;
  readonly at: number;
}
