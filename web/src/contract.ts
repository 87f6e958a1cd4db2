/**
 * The shapes of the console API (docs/console-api.md), as the browser receives them.
 * Instants are epoch milliseconds (`…_at`); durations name their unit.
 */

export type SessionKind = 'account' | 'api_key';

export interface Session {
  account_sid: string;
  credential_sid: string;
  kind: SessionKind;
  expires_at: number;
  workspace: { sid: string; friendly_name: string };
  server_time: number;
}

export interface Settings {
  logout_activity_sid: string;
  logout_activity_name: string;
  enabled: boolean;
  threshold_s: number;
  updated_at: number | null;
  /** The credential SID of the last change; null while the installation's defaults apply. */
  updated_by: string | null;
}

export interface Activity {
  sid: string;
  friendly_name: string;
  available: boolean;
  is_logout_activity: boolean;
  /** How many workers are in it now. */
  workers: number;
}

export type DisconnectReason = 'closed' | 'heartbeat-lost' | 'server-restart' | 'node-lost';

export interface Evidence {
  reason: DisconnectReason;
  last_seen_at: number;
  threshold_ms: number;
  due_at: number;
}

export interface Disconnection {
  last_seen_at: number;
  reason: DisconnectReason;
  exempt: boolean;
  overridden: boolean;
  logged_out: boolean;
}

export interface AutomaticChange {
  cause: string;
  from_activity_name: string;
  to_activity_name: string;
  effective_at: number;
  evidence: Evidence | null;
}

export interface WorkerRow {
  sid: string;
  friendly_name: string;
  /** A JSON object, as a string. */
  attributes: string;
  activity_sid: string;
  activity_name: string;
  available: boolean;
  status_changed_at: number;
  version: number | string;
  /** Live sessions now; 0 means disconnected or never connected. */
  connections: number;
  disconnected: Disconnection | null;
  logout_due_at: number | null;
  last_automatic: AutomaticChange | null;
}

export interface ChangeEvent {
  seq: number;
  sid: string;
  event_type: string;
  resource_sid: string;
  description: string;
  cause: string | null;
  actor_sid: string | null;
  at: number;
  evidence: Evidence | null;
}

export interface Snapshot {
  server_time: number;
  seq: number;
  workers: WorkerRow[];
  activities: Activity[];
  settings: Settings;
}

export interface WorkersFrame {
  server_time: number;
  rows: WorkerRow[];
  removed: string[];
}

export interface AgentLink {
  url: string;
  expires_at: number;
}

export interface AgentToken {
  token: string;
  expires_at: number;
  worker_sid: string;
  friendly_name: string;
  eb_server: string;
  ws_server: string;
  /** Where "Sign out" puts the agent: the workspace's logout activity. */
  logout_activity_sid: string;
  logout_activity_name: string;
}

export interface AgentNotice {
  effective_at: number;
  activity_name: string;
  cause: string;
  evidence: Evidence | null;
}

/** A refusal body: `field` only when one input is at fault. */
export interface Refusal {
  message: string;
  code?: string;
  field?: string;
  retry_after_s?: number;
}
