/** Row shapes of the SQLite schema and their mapping to the core's records. */
import type { Deadline, Disconnection } from '../../core/presence.js';
import type {
  Account,
  Activity,
  ActivityLogEntry,
  ApiKey,
  DisconnectEpisode,
  LogoutSettings,
  Worker,
  Workspace,
  WorkspaceEvent,
} from '../../core/resources.js';

export interface AccountRow { sid: string; friendly_name: string; auth_token: string; created_at: number }
export interface ApiKeyRow { sid: string; account_sid: string; friendly_name: string; secret: string; created_at: number; revoked_at: number | null }
export interface WorkspaceRow {
  sid: string; account_sid: string; friendly_name: string; default_activity_sid: string; timeout_activity_sid: string;
  event_callback_url: string | null; events_filter: string | null; multi_task_enabled: number; created_at: number; updated_at: number;
}
export interface ActivityRow { sid: string; workspace_sid: string; account_sid: string; friendly_name: string; available: number; created_at: number; updated_at: number }
export interface WorkerRow {
  sid: string; workspace_sid: string; account_sid: string; friendly_name: string; attributes: string; activity_sid: string;
  activity_name: string; activity_available: number; created_at: number; updated_at: number; status_changed_at: number;
  version: number; presence: string; deadline_id: number | null; due_at: number | null;
}
export interface SettingsRow { workspace_sid: string; logout_activity_sid: string; enabled: number; threshold_ms: number; updated_at: number; updated_by?: string | null }
export interface LogRow {
  id: number; workspace_sid: string; worker_sid: string; from_activity_sid: string | null; to_activity_sid: string;
  cause: string; actor: string; evidence: string | null; effective_at: number; recorded_at: number;
}
export interface EpisodeRow { id: number; worker_sid: string; last_seen_at: number; detected_at: number; reason: string; ended_at: number | null; outcome: string | null }
export interface EventRow {
  sid: string; account_sid: string; workspace_sid: string; event_type: string; resource_type: string; resource_sid: string;
  actor_type: string; actor_sid: string | null; description: string; data: string; cause: string | null; evidence: string | null; at: number;
}

/** The presence machine's state kept as JSON on the worker row. */
export interface StoredPresence {
  endedLastSeenAt: number | null;
  disconnection: Disconnection | null;
  nextDeadlineId: number;
}

export const INITIAL_STORED_PRESENCE: StoredPresence = { endedLastSeenAt: null, disconnection: null, nextDeadlineId: 1 };

export const toAccount = (r: AccountRow): Account => ({ sid: r.sid, friendlyName: r.friendly_name, authToken: r.auth_token, createdAt: r.created_at });

export const toApiKey = (r: ApiKeyRow): ApiKey => ({
  sid: r.sid, accountSid: r.account_sid, friendlyName: r.friendly_name, secret: r.secret, createdAt: r.created_at, revokedAt: r.revoked_at,
});

export const toWorkspace = (r: WorkspaceRow): Workspace => ({
  sid: r.sid, accountSid: r.account_sid, friendlyName: r.friendly_name, defaultActivitySid: r.default_activity_sid,
  timeoutActivitySid: r.timeout_activity_sid, eventCallbackUrl: r.event_callback_url, eventsFilter: r.events_filter,
  multiTaskEnabled: r.multi_task_enabled === 1,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toActivity = (r: ActivityRow): Activity => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, friendlyName: r.friendly_name,
  available: r.available === 1, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toWorker = (r: WorkerRow): Worker => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, friendlyName: r.friendly_name, attributes: r.attributes,
  activitySid: r.activity_sid, activityName: r.activity_name, available: r.activity_available === 1, createdAt: r.created_at,
  updatedAt: r.updated_at, statusChangedAt: r.status_changed_at, version: r.version,
});

export const toDeadline = (r: WorkerRow): Deadline | null =>
  r.deadline_id === null || r.due_at === null ? null : { id: r.deadline_id, dueAt: r.due_at };

export const toSettings = (r: SettingsRow): LogoutSettings => ({
  workspaceSid: r.workspace_sid, logoutActivitySid: r.logout_activity_sid, enabled: r.enabled === 1, thresholdMs: r.threshold_ms, updatedAt: r.updated_at,
  updatedBy: r.updated_by ?? null,
});

export const toLogEntry = (r: LogRow): ActivityLogEntry => ({
  id: r.id, workspaceSid: r.workspace_sid, workerSid: r.worker_sid, fromActivitySid: r.from_activity_sid, toActivitySid: r.to_activity_sid,
  cause: r.cause as ActivityLogEntry['cause'], actor: r.actor, evidence: r.evidence === null ? null : JSON.parse(r.evidence),
  effectiveAt: r.effective_at, recordedAt: r.recorded_at,
});

export const toEpisode = (r: EpisodeRow): DisconnectEpisode => ({
  id: r.id, workerSid: r.worker_sid, lastSeenAt: r.last_seen_at, detectedAt: r.detected_at,
  reason: r.reason as DisconnectEpisode['reason'], endedAt: r.ended_at, outcome: r.outcome as DisconnectEpisode['outcome'],
});

export const toEvent = (r: EventRow): WorkspaceEvent => ({
  sid: r.sid, accountSid: r.account_sid, workspaceSid: r.workspace_sid, eventType: r.event_type as WorkspaceEvent['eventType'],
  resourceType: r.resource_type as WorkspaceEvent['resourceType'], resourceSid: r.resource_sid,
  actorType: r.actor_type as WorkspaceEvent['actorType'], actorSid: r.actor_sid, description: r.description, data: JSON.parse(r.data),
  cause: r.cause as WorkspaceEvent['cause'], evidence: r.evidence === null ? null : JSON.parse(r.evidence), at: r.at,
});
