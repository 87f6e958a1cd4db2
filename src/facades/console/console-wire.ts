/**
 * The console dialect (docs/console-api.md): snake_case JSON, epoch-millisecond instants, and
 * refusals as `{message, code, field}`. The rules behind a refusal are the core's, shared with
 * REST; only the field names differ, so the REST name in a message becomes the console's label.
 */
import type { Refusal, RefusalCode } from '../../core/errors.js';
import type { LogoutEvidence } from '../../core/presence.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import type { SequencedEvent, TeamMember } from '../../service/console-ports.js';
import type { ActivitySummary, SettingsView } from '../../service/console-feed.js';

/** The one table from refusal codes to HTTP statuses in this dialect. */
export const CONSOLE_STATUS: Readonly<Record<RefusalCode, number>> = {
  'invalid-parameter': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'version-mismatch': 412,
  'payload-too-large': 413,
};

/** REST's field names as the console names them, and how a person reads them. */
const FIELDS: Readonly<Record<string, { readonly field: string; readonly label: string }>> = {
  'offline_config.presence_ttl': { field: 'threshold_s', label: 'The offline threshold' },
  'offline_config.presence': { field: 'enabled', label: 'Automatic status update' },
  taskrouter_offline_activity_sid: { field: 'logout_activity_sid', label: 'The logout activity' },
  FriendlyName: { field: 'friendly_name', label: 'The name' },
  Attributes: { field: 'attributes', label: 'Attributes' },
  ActivitySid: { field: 'activity_sid', label: 'The activity' },
  Available: { field: 'available', label: 'Available' },
  // The mass-disconnect breaker (REST's Workspace extension).
  OutageBreakerSharePercent: { field: 'breaker_share_percent', label: 'The share of agents' },
  OutageBreakerMinAgents: { field: 'breaker_min_agents', label: 'The minimum number of agents' },
  OutageBreakerWindowSeconds: { field: 'breaker_window_s', label: 'The window' },
  OutageBreakerHoldSeconds: { field: 'breaker_hold_s', label: 'The hold' },
  EndOutageHold: { field: 'end_outage_hold', label: 'Ending the hold' },
  // Reports (their query is renamed to these by reporting/report-params.ts).
  StartDate: { field: 'start_date', label: 'The start date' },
  EndDate: { field: 'end_date', label: 'The end date' },
  TimeZone: { field: 'time_zone', label: 'The time zone' },
  Granularity: { field: 'granularity', label: 'Granularity' },
  Rounding: { field: 'rounding', label: 'Rounding' },
  WorkerSid: { field: 'worker_sid', label: 'The worker' },
  Threshold: { field: 'threshold', label: 'Thresholds' },
};

/** Range names a report's message may mention in passing ("after StartDate"), read as a person would. */
const IN_PASSING: readonly [RegExp, string][] = [[/\bStartDate\b/g, 'the start date'], [/\bEndDate\b/g, 'the end date'], [/\bTimeZone\b/g, 'the time zone']];

/** The console's own field names as a person reads them (for type refusals made in the facade). */
export const CONSOLE_LABELS: Readonly<Record<string, string>> = Object.fromEntries(Object.values(FIELDS).map((f) => [f.field, f.label]));

export interface ConsoleError {
  readonly message: string;
  readonly code: string;
  readonly field?: string;
}

export function consoleError(refusal: Refusal): { status: number; body: ConsoleError } {
  const status = CONSOLE_STATUS[refusal.code];
  const named = refusal.field === undefined ? undefined : FIELDS[refusal.field];
  if (!named) return { status, body: refusal.field === undefined ? { message: refusal.message, code: refusal.code } : { message: refusal.message, code: refusal.code, field: refusal.field } };
  const field = refusal.field as string;
  let message = refusal.message.startsWith(field) ? named.label + refusal.message.slice(field.length) : refusal.message;
  for (const [name, words] of IN_PASSING) message = message.replace(name, words);
  return { status, body: { message, code: refusal.code, field: named.field } };
}

export function evidence(e: LogoutEvidence | null): Record<string, unknown> | null {
  if (!e) return null;
  const held = e.breaker ? { outage_hold: { sid: e.breaker.holdSid, ordinary_due_at: e.breaker.ordinaryDueAt, until_at: e.breaker.untilAt, end_reason: e.breaker.endReason } } : {};
  return { reason: e.reason, last_seen_at: e.lastSeenAt, threshold_ms: e.thresholdMs, due_at: e.dueAt, ...held };
}

export function workerRow(m: TeamMember): Record<string, unknown> {
  const w = m.worker;
  const d = m.disconnection;
  const auto = m.lastAutomatic;
  return {
    sid: w.sid,
    friendly_name: w.friendlyName,
    attributes: w.attributes,
    activity_sid: w.activitySid,
    activity_name: w.activityName,
    available: w.available,
    status_changed_at: w.statusChangedAt,
    version: w.version,
    connections: m.connections,
    disconnected: d ? { last_seen_at: d.lastSeenAt, reason: d.reason, exempt: d.exempt, overridden: d.overridden, logged_out: d.loggedOut } : null,
    logout_due_at: m.logoutDueAt,
    last_automatic: auto
      ? { cause: auto.cause, from_activity_name: auto.fromActivityName, to_activity_name: auto.toActivityName, effective_at: auto.effectiveAt, evidence: evidence(auto.evidence) }
      : null,
  };
}

export function activityRow(a: ActivitySummary): Record<string, unknown> {
  return { sid: a.activity.sid, friendly_name: a.activity.friendlyName, available: a.activity.available, is_logout_activity: a.isLogoutActivity, workers: a.workers };
}

export function settingsBody(view: SettingsView): Record<string, unknown> {
  const s = view.settings;
  return {
    logout_activity_sid: s.logoutActivitySid,
    logout_activity_name: view.logoutActivityName,
    enabled: s.enabled,
    threshold_s: Math.round(s.thresholdMs / 1000),
    updated_at: s.updatedAt,
    updated_by: s.updatedBy,
    outage_breaker: {
      enabled: view.breaker.enabled,
      share_percent: view.breaker.sharePercent,
      min_agents: view.breaker.minAgents,
      window_s: view.breaker.windowMs / 1000,
      hold_s: view.breaker.holdMs / 1000,
    },
    outage_hold: view.outageHold === null ? null : {
      sid: view.outageHold.sid,
      tripped_at: view.outageHold.trippedAt,
      until_at: view.outageHold.untilAt,
      disconnections: view.outageHold.disconnections,
      connected_workers: view.outageHold.connectedWorkers,
      held_workers: view.outageHold.heldWorkers,
    },
  };
}

export function changeBody(item: SequencedEvent): Record<string, unknown> {
  const e: WorkspaceEvent = item.event;
  return {
    seq: item.seq,
    sid: e.sid,
    event_type: e.eventType,
    resource_sid: e.resourceSid,
    description: e.description,
    cause: e.cause,
    actor_sid: e.actorSid,
    at: e.at,
    evidence: evidence(e.evidence),
  };
}
