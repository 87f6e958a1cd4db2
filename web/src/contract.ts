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
  outage_breaker: OutageBreaker;
  /** The mass-disconnect breaker's active hold, or null. */
  outage_hold: OutageHold | null;
}

/** The mass-disconnect breaker's settings (docs/presence.md). */
export interface OutageBreaker {
  enabled: boolean;
  share_percent: number;
  min_agents: number;
  window_s: number;
  hold_s: number;
}

export interface OutageHold {
  sid: string;
  tripped_at: number;
  until_at: number;
  /** Counted at the trip. */
  disconnections: number;
  connected_workers: number;
  /** Workers whose logout it postpones now. */
  held_workers: number;
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
  /** Present when the mass-disconnect breaker postponed this logout. */
  outage_hold?: { sid: string; ordinary_due_at: number; until_at: number; end_reason: string | null };
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

// ── Reports (docs/console-api.md › Reports) ──────────────────────────────────────────────────

/** Whole seconds, with hours beside them; `billed_hours` is whole with started-hour rounding. */
export interface ReportFigures {
  active_seconds: number;
  active_hours: number;
  saved_seconds: number;
  saved_hours: number;
  billed_hours: number;
}

export interface ActiveUserHours {
  start_at: number;
  end_at: number;
  data_until: number;
  time_zone: string;
  granularity: 'day' | 'month';
  rounding: 'none' | 'started-hour';
  logout_activity_sid: string;
  logout_activity_name: string;
  total: ReportFigures & { active_workers: number };
  periods: (ReportFigures & { period: string; start_at: number; end_at: number; active_workers: number })[];
  workers: (ReportFigures & { worker_sid: string; friendly_name: string | null; deleted: boolean })[];
}

export interface ThresholdCandidate {
  threshold_seconds: number;
  current: boolean;
  logouts: number;
  false_logouts: number;
  active_seconds: number;
  active_hours: number;
  saved_seconds: number;
  saved_hours: number;
}

export interface ThresholdAdvice {
  start_at: number;
  end_at: number;
  data_until: number;
  time_zone: string;
  automatic_update: boolean;
  current_threshold_seconds: number;
  false_logout_window_seconds: number;
  workers: number;
  episodes: number;
  without_automatic_logout: { active_seconds: number; active_hours: number };
  actual: { logouts: number; false_logouts: number; active_seconds: number; active_hours: number };
  candidates: ThresholdCandidate[];
}

export interface LogEvidence {
  reason: string;
  last_seen_at: number;
  threshold_ms: number;
  due_at: number;
}

export interface LogEntry {
  id: number;
  worker_sid: string;
  worker_name: string | null;
  from_activity_sid: string | null;
  from_activity_name: string | null;
  to_activity_sid: string;
  to_activity_name: string | null;
  cause: string;
  actor: string | null;
  evidence: LogEvidence | null;
  effective_at: number;
  recorded_at: number;
}

export interface Episode {
  id: number;
  worker_sid: string;
  worker_name: string | null;
  start_at: number;
  detected_at: number;
  reason: string;
  outcome: 'reconnected' | 'logged-out' | 'overridden' | null;
  end_at: number | null;
  logout_at: number | null;
  reconnect_at: number | null;
  duration_s: number | null;
  exempt: boolean | null;
}

export interface WorkerHistory {
  worker_sid: string;
  start_at: number;
  end_at: number;
  data_until: number;
  time_zone: string;
  initial_activity: { activity_sid: string; activity_name: string | null; effective_at: number } | null;
  activity_log: LogEntry[];
  disconnections: Episode[];
  truncated: boolean;
}
