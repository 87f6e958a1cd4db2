/**
 * The one way the console talks to /console/api: JSON both ways, the session cookie, the CSRF
 * header on writes, refusals as ApiError, and a 401 turned into a trip to sign-in that keeps
 * unsaved input (session/drafts.ts).
 */
import type {
  Activity, ActiveUserHours, AgentLink, AgentNotice, AgentToken, OutageBreaker, Refusal, Session, Settings, ThresholdAdvice, WorkerHistory, WorkerRow,
} from './contract';
import { stashDrafts } from './session/drafts';
import { navigate, signInPath } from './shell/router';

export const API = '/console/api';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly field: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(status: number, refusal: Refusal) {
    super(refusal.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = refusal.code;
    this.field = refusal.field;
    this.retryAfterS = refusal.retry_after_s;
  }
}

/** The message to show for anything a call threw. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/** The refusal's message when it names `field`, for an inline error under that input. */
export function fieldError(error: unknown, field: string): string | null {
  return error instanceof ApiError && error.field === field ? error.message : null;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  /** Off for calls whose 401 is an answer, not an expiry (sign-in, the agent's own session). */
  redirectOn401?: boolean;
}

let redirecting = false;

/** Sends the user to sign-in, remembering where they were and what they had typed. */
export function expireSession(): void {
  if (redirecting || window.location.pathname.startsWith('/console/sign-in')) return;
  redirecting = true;
  stashDrafts();
  navigate(signInPath(window.location.pathname + window.location.search, true), { replace: true });
  queueMicrotask(() => {
    redirecting = false;
  });
}

async function refusalOf(response: Response): Promise<Refusal> {
  try {
    const body = (await response.json()) as Partial<Refusal>;
    if (typeof body.message === 'string') return body as Refusal;
  } catch {
    // Not JSON (a proxy's page, say): fall through to the status line.
  }
  return { message: `The server answered ${response.status} ${response.statusText}`.trim() };
}

export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Rollcall-Csrf'] = '1';
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, { message: 'Cannot reach the Rollcall server. Check the connection and try again.', code: 'network' });
  }
  if (response.ok) {
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  const error = new ApiError(response.status, await refusalOf(response));
  if (response.status === 401 && options.redirectOn401 !== false) expireSession();
  throw error;
}

const seg = encodeURIComponent;

/** A report's query in the console's names (`start_date`, `time_zone`, …); empty values are left out. */
export type ReportQuery = Readonly<Record<string, string | undefined>>;

export function queryString(query: ReportQuery): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') q.set(name, value);
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

/** A download link (CSV, NDJSON): the browser fetches it with the session cookie. */
export const exportUrl = (file: string, query: ReportQuery): string => `${API}/reports/${file}${queryString(query)}`;

export const api = {
  session: {
    get: () => request<Session>('GET', '/session', { redirectOn401: false }),
    signIn: (username: string, password: string) =>
      request<Session>('POST', '/session', { body: { username, password }, redirectOn401: false }),
    signOut: () => request<void>('DELETE', '/session', { redirectOn401: false }),
  },
  settings: {
    get: () => request<Settings>('GET', '/settings'),
    update: (change: Partial<Pick<Settings, 'enabled' | 'threshold_s' | 'logout_activity_sid'>>) =>
      request<Settings>('PUT', '/settings', { body: change }),
    updateBreaker: (change: Partial<OutageBreaker>) => request<Settings>('PUT', '/settings/outage-breaker', { body: change }),
    /** Ends the active outage hold: held workers get their ordinary due times back. */
    endOutageHold: () => request<Settings>('POST', '/outage-hold/end'),
  },
  activities: {
    list: () => request<{ activities: Activity[] }>('GET', '/activities'),
    create: (friendly_name: string, available: boolean) =>
      request<Activity>('POST', '/activities', { body: { friendly_name, available } }),
    rename: (sid: string, friendly_name: string) =>
      request<Activity>('PATCH', `/activities/${seg(sid)}`, { body: { friendly_name } }),
    remove: (sid: string) => request<void>('DELETE', `/activities/${seg(sid)}`),
  },
  workers: {
    list: () => request<{ workers: WorkerRow[]; server_time: number }>('GET', '/workers'),
    create: (body: { friendly_name: string; attributes?: string; activity_sid?: string }) =>
      request<WorkerRow>('POST', '/workers', { body }),
    update: (sid: string, body: { friendly_name?: string; attributes?: string; activity_sid?: string }) =>
      request<WorkerRow>('PATCH', `/workers/${seg(sid)}`, { body }),
    remove: (sid: string) => request<void>('DELETE', `/workers/${seg(sid)}`),
    createAgentLink: (sid: string) => request<AgentLink>('POST', `/workers/${seg(sid)}/agent-links`),
  },
  reports: {
    activeUserHours: (query: ReportQuery) => request<ActiveUserHours>('GET', `/reports/active-user-hours${queryString(query)}`),
    thresholdAdvisor: (query: ReportQuery) => request<ThresholdAdvice>('GET', `/reports/threshold-advisor${queryString(query)}`),
    history: (query: ReportQuery) => request<WorkerHistory>('GET', `/reports/history${queryString(query)}`),
  },
  agent: {
    endSession: () => request<void>('DELETE', '/agent/session', { redirectOn401: false }),
    startSession: (link: string) =>
      request<{ worker_sid: string; friendly_name: string }>('POST', '/agent/session', { body: { link }, redirectOn401: false }),
    token: (workerSid: string | null, redirect: boolean) =>
      request<AgentToken>('POST', '/agent/token', { body: workerSid ? { worker_sid: workerSid } : {}, redirectOn401: redirect }),
    notice: (workerSid: string) =>
      request<{ notice: AgentNotice | null }>('GET', `/agent/notice?worker_sid=${seg(workerSid)}`, { redirectOn401: false }),
  },
};
