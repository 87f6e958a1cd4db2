/**
 * The REST dialect the `twilio` library reads: snake_case JSON, `YYYY-MM-DDTHH:mm:ssZ` dates
 * (RFC 2822 on the 2010 API), `attributes` as a JSON string, absolute `url` and `links`, and
 * Twilio error bodies. REST has no `version` field: a worker's version is its ETag.
 */
import type { RefusalCode } from '../../core/errors.js';
import type { LogoutEvidence } from '../../core/presence.js';
import type { BreakerSettings, OutageHoldRecord } from '../../core/outage-breaker.js';
import type { Activity, ApiKey, Worker, Workspace, WorkspaceEvent } from '../../core/resources.js';

/** The one table from refusal codes to HTTP statuses and Twilio error codes. */
export const REST_ERRORS: Readonly<Record<RefusalCode, { readonly status: number; readonly code: number }>> = {
  'invalid-parameter': { status: 400, code: 20001 },
  unauthenticated: { status: 401, code: 20003 },
  forbidden: { status: 403, code: 20403 },
  'not-found': { status: 404, code: 20404 },
  conflict: { status: 409, code: 20409 },
  'version-mismatch': { status: 412, code: 20412 },
  'payload-too-large': { status: 413, code: 20413 },
};

/** Twilio's code for a method a resource does not have. */
export const METHOD_NOT_ALLOWED = { status: 405, code: 20004 } as const;

/** Twilio's code for a rate limit (the `twilio` library retries it with `autoRetry`). */
export const TOO_MANY_REQUESTS = { status: 429, code: 20429 } as const;

export interface ErrorBody {
  readonly code: number;
  readonly message: string;
  readonly more_info: string;
  readonly status: number;
}

export function errorBody(status: number, code: number, message: string): ErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** `2026-11-25T14:00:00Z`: seconds, no fraction (the library parses exactly this). */
export const isoDate = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** `Wed, 25 Nov 2026 14:00:00 +0000`, the 2010 API's date format. */
export const rfc2822Date = (ms: number): string => new Date(ms).toUTCString().replace(/GMT$/, '+0000');

/** Absolute URLs of resources, from the public base URL. */
export class Links {
  constructor(readonly base: string) {}

  workspace(ws: string): string {
    return `${this.base}/v1/Workspaces/${ws}`;
  }

  activity(ws: string, wa: string): string {
    return `${this.workspace(ws)}/Activities/${wa}`;
  }

  worker(ws: string, wk: string): string {
    return `${this.workspace(ws)}/Workers/${wk}`;
  }

  event(ws: string, ev: string): string {
    return `${this.workspace(ws)}/Events/${ev}`;
  }

  configuration(): string {
    return `${this.base}/v1/Configuration`;
  }

  key(ac: string, sk: string): string {
    return `${this.base}/2010-04-01/Accounts/${ac}/Keys/${sk}.json`;
  }
}

export function restWorkspace(ws: Workspace, activities: readonly Activity[], links: Links): Record<string, unknown> {
  const nameOf = (sid: string): string | null => activities.find((a) => a.sid === sid)?.friendlyName ?? null;
  const url = links.workspace(ws.sid);
  return {
    account_sid: ws.accountSid,
    date_created: isoDate(ws.createdAt),
    date_updated: isoDate(ws.updatedAt),
    default_activity_name: nameOf(ws.defaultActivitySid),
    default_activity_sid: ws.defaultActivitySid,
    event_callback_url: ws.eventCallbackUrl,
    events_filter: ws.eventsFilter,
    friendly_name: ws.friendlyName,
    multi_task_enabled: ws.multiTaskEnabled,
    // Queue order is what routing does, not a setting (anything else is refused).
    prioritize_queue_order: 'FIFO',
    sid: ws.sid,
    timeout_activity_name: nameOf(ws.timeoutActivitySid),
    timeout_activity_sid: ws.timeoutActivitySid,
    url,
    links: {
      activities: `${url}/Activities`,
      workers: `${url}/Workers`,
      events: `${url}/Events`,
    },
  };
}

export function restActivity(a: Activity, links: Links): Record<string, unknown> {
  return {
    account_sid: a.accountSid,
    available: a.available,
    date_created: isoDate(a.createdAt),
    date_updated: isoDate(a.updatedAt),
    friendly_name: a.friendlyName,
    sid: a.sid,
    workspace_sid: a.workspaceSid,
    url: links.activity(a.workspaceSid, a.sid),
    links: { workspace: links.workspace(a.workspaceSid) },
  };
}

export function restWorker(w: Worker, links: Links): Record<string, unknown> {
  const url = links.worker(w.workspaceSid, w.sid);
  return {
    account_sid: w.accountSid,
    activity_name: w.activityName,
    activity_sid: w.activitySid,
    attributes: w.attributes,
    available: w.available,
    date_created: isoDate(w.createdAt),
    date_status_changed: isoDate(w.statusChangedAt),
    date_updated: isoDate(w.updatedAt),
    friendly_name: w.friendlyName,
    sid: w.sid,
    workspace_sid: w.workspaceSid,
    url,
    links: {
      statistics: `${url}/Statistics`,
      activity: links.activity(w.workspaceSid, w.activitySid),
      workspace: links.workspace(w.workspaceSid),
    },
  };
}

/** The ETag header of a worker: its version, quoted. */
export const workerEtag = (w: Worker): string => `"${w.version}"`;

function resourceUrl(e: WorkspaceEvent, links: Links): string {
  if (e.resourceType === 'worker') return links.worker(e.workspaceSid, e.resourceSid);
  if (e.resourceType === 'activity') return links.activity(e.workspaceSid, e.resourceSid);
  return links.workspace(e.workspaceSid);
}

/** Our addition to Twilio's event: why an automatic change happened, in the REST dialect. */
export function restEvidence(evidence: LogoutEvidence | null): Record<string, unknown> | null {
  if (!evidence) return null;
  return {
    reason: evidence.reason,
    last_seen_date: isoDate(evidence.lastSeenAt),
    last_seen_date_ms: evidence.lastSeenAt,
    threshold_ms: evidence.thresholdMs,
    due_date: isoDate(evidence.dueAt),
    due_date_ms: evidence.dueAt,
    ...(evidence.breaker ? { outage_hold: {
      sid: evidence.breaker.holdSid,
      date_tripped: isoDate(evidence.breaker.trippedAt),
      date_until: isoDate(evidence.breaker.untilAt),
      ordinary_due_date: isoDate(evidence.breaker.ordinaryDueAt),
      ordinary_due_date_ms: evidence.breaker.ordinaryDueAt,
      date_ended: evidence.breaker.endedAt === null ? null : isoDate(evidence.breaker.endedAt),
      end_reason: evidence.breaker.endReason,
    } } : {}),
  };
}

/** The breaker's settings and active hold on a workspace answer (Rollcall extension). */
export function restOutageBreaker(settings: BreakerSettings, hold: OutageHoldRecord | null): Record<string, unknown> {
  return {
    outage_breaker: {
      enabled: settings.enabled,
      share_percent: settings.sharePercent,
      min_agents: settings.minAgents,
      window_seconds: settings.windowMs / 1000,
      hold_seconds: settings.holdMs / 1000,
    },
    outage_hold: hold === null ? null : {
      sid: hold.sid,
      date_tripped: isoDate(hold.trippedAt),
      date_until: isoDate(hold.untilAt),
      disconnections: hold.disconnections,
      connected_workers: hold.connectedWorkers,
      held_workers: hold.heldWorkers,
    },
  };
}

export function restEvent(e: WorkspaceEvent, links: Links): Record<string, unknown> {
  return {
    account_sid: e.accountSid,
    actor_sid: e.actorSid,
    actor_type: e.actorType,
    actor_url: e.actorType === 'worker' && e.actorSid ? links.worker(e.workspaceSid, e.actorSid) : null,
    description: e.description,
    event_data: e.data,
    event_date: isoDate(e.at),
    event_date_ms: e.at,
    event_type: e.eventType,
    resource_sid: e.resourceSid,
    resource_type: e.resourceType,
    resource_url: resourceUrl(e, links),
    sid: e.sid,
    source: 'rollcall',
    source_ip_address: null,
    url: links.event(e.workspaceSid, e.sid),
    workspace_sid: e.workspaceSid,
    cause: e.cause,
    evidence: restEvidence(e.evidence),
  };
}

/** An API key on the 2010 API; the secret only in the answer to its creation. */
export function restKey(k: ApiKey, withSecret: boolean): Record<string, unknown> {
  const key: Record<string, unknown> = {
    sid: k.sid,
    friendly_name: k.friendlyName,
    date_created: rfc2822Date(k.createdAt),
    date_updated: rfc2822Date(k.createdAt),
  };
  if (withSecret) key.secret = k.secret;
  return key;
}

/**
 * Fastify's `frameworkErrors`: a request Fastify cannot even route (a lone `%` in the path, a
 * malformed header) is answered in Twilio's form, with the offending URL, not Fastify's own body.
 */
export function frameworkErrorBody(error: { code?: string; message: string }, url: string): ErrorBody {
  const message = error.code === 'FST_ERR_BAD_URL' ? `The URL ${url} is malformed (a % not followed by two hex digits?)` : `The request could not be read: ${error.message}`;
  return errorBody(400, REST_ERRORS['invalid-parameter'].code, message);
}
