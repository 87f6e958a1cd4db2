/**
 * The console API's routes (docs/console-api.md): sign-in, logout settings, activities, workers,
 * agent links and the agent desktop's token. Types are checked here; values by the same core
 * rules and services REST uses, so a threshold or a name is refused the same way in both.
 */
import { parseActor } from '../../core/actor.js';
import { isJsonObject } from '../../core/json-object.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { LogoutSettingsPatch } from '../../core/logout-settings.js';
import type { ConsoleSession } from '../../service/console-ports.js';
import {
  ADMIN_COOKIE, AGENT_COOKIE, adminSession, agentSession, answer, cookieOptions, csrfProblem, noContent, originOf, refuseWith, send,
  SESSION_EXPIRED, type ConsoleAnswer, type ConsoleDeps,
} from './console-api.js';
import { isRateLimited, perMinuteLimit } from '../http/rate-limits.js';
import { CONSOLE_REPORT_ROUTES } from './console-report-routes.js';
import { activityRow, CONSOLE_LABELS, settingsBody, workerRow } from './console-wire.js';

type Body = Record<string, unknown>;
type Handler = (session: ConsoleSession, req: FastifyRequest, deps: ConsoleDeps) => Promise<Result<ConsoleAnswer>>;

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();

function bodyOf(req: FastifyRequest): Result<Body> {
  const b = req.body ?? {};
  return isJsonObject(b) ? ok(b) : refuse('invalid-parameter', 'The request body must be a JSON object');
}

/** Reads optional typed fields; the first wrong one is refused by name. */
function fields<T extends Record<string, 'string' | 'boolean' | 'number'>>(body: Body, spec: T): Result<{ [K in keyof T]?: T[K] extends 'string' ? string : T[K] extends 'boolean' ? boolean : number }> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(spec)) {
    const value = body[name];
    if (value === undefined) continue;
    const what = type === 'number' ? (name === 'threshold_s' ? 'a whole number of seconds from 1 to 86400' : 'a number') : type === 'boolean' ? 'true or false' : 'text';
    if (typeof value !== type) return refuse('invalid-parameter', `${CONSOLE_LABELS[name] ?? name} must be ${what}`, name);
    out[name] = value;
  }
  return ok(out as { [K in keyof T]?: T[K] extends 'string' ? string : T[K] extends 'boolean' ? boolean : number });
}

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name] ?? '';

export async function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      const problem = csrfProblem(req, deps.publicUrl);
      if (problem) return refuseWith(reply, 403, 'cross-origin', problem);
    });
    scope.setErrorHandler((error: { statusCode?: number; message: string }, req, reply) => {
      const status = error.statusCode ?? 500;
      if (isRateLimited(error)) return refuseWith(reply, 429, 'throttled', error.message);
      if (status >= 400 && status < 500) return refuseWith(reply, status === 413 ? 413 : 400, 'invalid-parameter', `The request could not be read: ${error.message}`);
      deps.log.error({ err: error, url: req.url, method: req.method }, 'console request failed');
      return refuseWith(reply, 500, 'internal', 'Something went wrong on the server; it has been logged.');
    });
    scope.setNotFoundHandler((req, reply) => refuseWith(reply, 404, 'not-found', `No console API at ${req.method} ${req.url}`));

    registerSessionRoutes(scope, deps);
    const admin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, handler: Handler) =>
      scope.route({
        method, url,
        preHandler: async (req, reply) => {
          const session = await adminSession(req, deps);
          if (!session) return refuseWith(reply, 401, 'session-expired', SESSION_EXPIRED);
          sessions.set(req, session);
        },
        handler: async (req, reply) => send(reply, await handler(sessions.get(req) as ConsoleSession, req, deps)),
      });
    admin('GET', '/settings', async (s, _req, d) => answer(settingsBody(await d.feed.settings(s.workspaceSid))));
    admin('PUT', '/settings', updateSettings);
    admin('PUT', '/settings/outage-breaker', updateBreaker);
    admin('POST', '/outage-hold/end', async (s, _req, d) => {
      const result = await d.admin.updateWorkspace(s.workspaceSid, {}, s.credentialSid, { endOutageHold: true });
      return result.ok ? answer(settingsBody(await d.feed.settings(s.workspaceSid))) : result;
    });
    admin('GET', '/activities', async (s, _req, d) => answer({ activities: (await d.feed.activities(s.workspaceSid)).map(activityRow) }));
    admin('POST', '/activities', createActivity);
    admin('PATCH', '/activities/:sid', renameActivity);
    admin('DELETE', '/activities/:sid', async (s, req, d) => {
      const result = await d.admin.deleteActivity({ workspaceSid: s.workspaceSid, activitySid: param(req, 'sid'), actor: s.credentialSid });
      return result.ok ? noContent : result;
    });
    admin('GET', '/workers', async (s, _req, d) => answer({ workers: (await d.console.team(s.workspaceSid)).map(workerRow), server_time: d.clock.now() }));
    admin('POST', '/workers', createWorker);
    admin('PATCH', '/workers/:sid', updateWorker);
    admin('DELETE', '/workers/:sid', async (s, req, d) => {
      const result = await d.admin.deleteWorker({ workspaceSid: s.workspaceSid, workerSid: param(req, 'sid'), actor: s.credentialSid });
      return result.ok ? noContent : result;
    });
    admin('POST', '/workers/:sid/agent-links', async (s, req, d) => {
      const link = await d.console.createAgentLink(s.workspaceSid, param(req, 'sid'), s.credentialSid);
      if (!link.ok) return link;
      return answer({ url: `${originOf(req, d.publicUrl)}/console/agent?link=${link.value.token}`, expires_at: link.value.expiresAt }, 201);
    });
    for (const route of CONSOLE_REPORT_ROUTES) admin('GET', route.url, route.handler);
    registerAgentRoutes(scope, deps);
  }, { prefix: '/console/api' });
}

function registerSessionRoutes(scope: FastifyInstance, deps: ConsoleDeps): void {
  // Every attempt counts here; the console service's own throttle counts failures only.
  const limit = perMinuteLimit(scope, deps.signInPerMin);
  scope.post('/session', { onRequest: limit ? [limit] : [] }, async (req, reply) => {
    const body = bodyOf(req);
    if (!body.ok) return send(reply, body);
    const { username, password } = body.value;
    if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
      return send(reply, refuse('invalid-parameter', 'Enter an Account SID or API key SID, and its auth token or secret', 'username'));
    }
    const signedIn = await deps.console.signIn(username.trim(), password, req.ip);
    if (!signedIn.ok && 'throttled' in signedIn) {
      const retryAfterS = Math.ceil(signedIn.throttled.retryAfterMs / 1000);
      deps.log.warn({ address: req.ip }, 'console sign-in throttled after repeated failures');
      return reply.code(429).header('retry-after', String(retryAfterS)).send({ message: `Too many failed sign-ins. Try again in ${retryAfterS} s.`, code: 'throttled', retry_after_s: retryAfterS });
    }
    if (!signedIn.ok) return send(reply, signedIn);
    const { token, session } = signedIn.value;
    reply.setCookie(ADMIN_COOKIE, token, cookieOptions(req, deps.publicUrl, session.expiresAt, deps.clock.now()));
    deps.log.info({ credentialSid: session.credentialSid }, 'console sign-in');
    return send(reply, answer(await sessionBody(session, deps)));
  });
  scope.get('/session', async (req, reply) => {
    const session = await adminSession(req, deps);
    if (!session) return refuseWith(reply, 401, 'session-expired', SESSION_EXPIRED);
    return send(reply, answer(await sessionBody(session, deps)));
  });
  scope.delete('/session', async (req, reply) => {
    await deps.console.signOut(req.cookies[ADMIN_COOKIE]);
    reply.clearCookie(ADMIN_COOKIE, { path: '/console' });
    return send(reply, noContent);
  });
}

async function sessionBody(session: ConsoleSession, deps: ConsoleDeps): Promise<Record<string, unknown>> {
  const workspace = await deps.console.workspace(session);
  return {
    account_sid: session.accountSid,
    credential_sid: session.credentialSid,
    kind: parseActor(session.credentialSid).type === 'api_key' ? 'api_key' : 'account',
    expires_at: session.expiresAt,
    workspace: { sid: workspace.sid, friendly_name: workspace.friendlyName },
    server_time: deps.clock.now(),
  };
}

async function updateSettings(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { enabled: 'boolean', threshold_s: 'number', logout_activity_sid: 'string' });
  if (!f.ok) return f;
  let patch: LogoutSettingsPatch = {};
  if (f.value.enabled !== undefined) patch = { ...patch, enabled: f.value.enabled };
  if (f.value.threshold_s !== undefined) patch = { ...patch, thresholdS: f.value.threshold_s };
  if (f.value.logout_activity_sid !== undefined) patch = { ...patch, logoutActivitySid: f.value.logout_activity_sid };
  const result = await d.admin.updateLogoutSettings(s.workspaceSid, patch, s.credentialSid);
  return result.ok ? answer(settingsBody(await d.feed.settings(s.workspaceSid))) : result;
}

/** The mass-disconnect breaker's settings (stored on the workspace, as REST's `OutageBreaker*`). */
async function updateBreaker(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { enabled: 'boolean', share_percent: 'number', min_agents: 'number', window_s: 'number', hold_s: 'number' });
  if (!f.ok) return f;
  const v = f.value;
  const breaker = { enabled: v.enabled, sharePercent: v.share_percent, minAgents: v.min_agents, windowS: v.window_s, holdS: v.hold_s };
  const result = await d.admin.updateWorkspace(s.workspaceSid, {}, s.credentialSid, { breaker });
  return result.ok ? answer(settingsBody(await d.feed.settings(s.workspaceSid))) : result;
}

async function activityAnswer(d: ConsoleDeps, workspaceSid: string, sid: string, status: 200 | 201): Promise<Result<ConsoleAnswer>> {
  const found = (await d.feed.activities(workspaceSid)).find((a) => a.activity.sid === sid);
  return found ? answer(activityRow(found), status) : refuse('not-found', `Activity ${sid} was not found`);
}

async function createActivity(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { friendly_name: 'string', available: 'boolean' });
  if (!f.ok) return f;
  if (f.value.friendly_name === undefined) return refuse('invalid-parameter', 'friendly_name is required', 'friendly_name');
  const created = await d.admin.createActivity({ workspaceSid: s.workspaceSid, friendlyName: f.value.friendly_name, available: f.value.available ?? false, actor: s.credentialSid });
  return created.ok ? activityAnswer(d, s.workspaceSid, created.value.sid, 201) : created;
}

async function renameActivity(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { friendly_name: 'string' });
  if (!f.ok) return f;
  if (f.value.friendly_name === undefined) return refuse('invalid-parameter', 'friendly_name is required', 'friendly_name');
  const sid = param(req, 'sid');
  const renamed = await d.admin.updateActivity({ workspaceSid: s.workspaceSid, activitySid: sid, friendlyName: f.value.friendly_name, actor: s.credentialSid });
  return renamed.ok ? activityAnswer(d, s.workspaceSid, sid, 200) : renamed;
}

async function memberAnswer(d: ConsoleDeps, workspaceSid: string, sid: string, status: 200 | 201): Promise<Result<ConsoleAnswer>> {
  const [member] = await d.console.team(workspaceSid, [sid]);
  return member ? answer(workerRow(member), status) : refuse('not-found', `Worker ${sid} was not found`);
}

async function createWorker(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { friendly_name: 'string', attributes: 'string', activity_sid: 'string' });
  if (!f.ok) return f;
  if (f.value.friendly_name === undefined) return refuse('invalid-parameter', 'friendly_name is required', 'friendly_name');
  const created = await d.admin.createWorker({
    workspaceSid: s.workspaceSid, friendlyName: f.value.friendly_name, attributes: f.value.attributes ?? '{}', actor: s.credentialSid,
    ...(f.value.activity_sid !== undefined ? { activitySid: f.value.activity_sid } : {}),
  });
  return created.ok ? memberAnswer(d, s.workspaceSid, created.value.sid, 201) : created;
}

async function updateWorker(s: ConsoleSession, req: FastifyRequest, d: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const f = fields(body.value, { friendly_name: 'string', attributes: 'string', activity_sid: 'string' });
  if (!f.ok) return f;
  const sid = param(req, 'sid');
  const updated = await d.admin.updateWorker({
    workspaceSid: s.workspaceSid, workerSid: sid, actor: s.credentialSid, cause: 'admin', rejectPendingReservations: false,
    ...(f.value.friendly_name !== undefined ? { friendlyName: f.value.friendly_name } : {}),
    ...(f.value.attributes !== undefined ? { attributes: f.value.attributes } : {}),
    ...(f.value.activity_sid !== undefined ? { activitySid: f.value.activity_sid } : {}),
  });
  return updated.ok ? memberAnswer(d, s.workspaceSid, sid, 200) : updated;
}

function registerAgentRoutes(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.post('/agent/session', async (req, reply) => {
    const body = bodyOf(req);
    if (!body.ok) return send(reply, body);
    const link = body.value.link;
    if (typeof link !== 'string' || link === '') return send(reply, refuse('invalid-parameter', 'link is required', 'link'));
    const opened = await deps.console.redeemAgentLink(link);
    if (!opened.ok) return send(reply, opened);
    const { token, session } = opened.value;
    reply.setCookie(AGENT_COOKIE, token, cookieOptions(req, deps.publicUrl, session.expiresAt, deps.clock.now()));
    const [member] = await deps.console.team(session.workspaceSid, [session.workerSid as string]);
    return send(reply, answer({ worker_sid: session.workerSid, friendly_name: member?.worker.friendlyName ?? null }));
  });
  scope.delete('/agent/session', async (req, reply) => {
    await deps.console.signOut(req.cookies[AGENT_COOKIE]);
    reply.clearCookie(AGENT_COOKIE, { path: '/console' });
    return send(reply, noContent);
  });
  scope.post('/agent/token', async (req, reply) => send(reply, await agentToken(req, reply, deps)));
  scope.get('/agent/notice', async (req, reply) => {
    const session = await actingSession(req, deps, (req.query as Record<string, unknown>).worker_sid);
    if (!session.ok) return send(reply, session);
    const notice = await deps.console.agentNotice(session.value.workspaceSid, session.value.workerSid);
    if (!notice.ok) return send(reply, notice);
    const n = notice.value;
    const body = n === null ? null : {
      effective_at: n.effectiveAt, activity_name: n.toActivityName, cause: n.cause,
      evidence: n.evidence && { reason: n.evidence.reason, last_seen_at: n.evidence.lastSeenAt, threshold_ms: n.evidence.thresholdMs, due_at: n.evidence.dueAt },
    };
    return send(reply, answer({ notice: body }));
  });
}

/**
 * Who the agent desktop acts for: an admin naming a worker, or the agent session's own worker.
 * An admin session wins when a worker is named, so an admin can open any worker's desktop.
 */
async function actingSession(req: FastifyRequest, deps: ConsoleDeps, workerSid: unknown): Promise<Result<{ session: ConsoleSession; workspaceSid: string; workerSid: string }>> {
  if (typeof workerSid === 'string' && workerSid !== '') {
    const admin = await adminSession(req, deps);
    if (admin) return ok({ session: admin, workspaceSid: admin.workspaceSid, workerSid });
  }
  const agent = await agentSession(req, deps);
  if (agent?.workerSid) return ok({ session: agent, workspaceSid: agent.workspaceSid, workerSid: agent.workerSid });
  return refuse('unauthenticated', SESSION_EXPIRED);
}

async function agentToken(req: FastifyRequest, _reply: FastifyReply, deps: ConsoleDeps): Promise<Result<ConsoleAnswer>> {
  const body = bodyOf(req);
  if (!body.ok) return body;
  const acting = await actingSession(req, deps, body.value.worker_sid);
  if (!acting.ok) return acting;
  const issued = await deps.console.agentToken(acting.value.session, acting.value.workerSid);
  if (!issued.ok) return issued;
  const origin = originOf(req, deps.publicUrl);
  const settings = await deps.feed.settings(acting.value.workspaceSid);
  return answer({
    token: issued.value.token, expires_at: issued.value.expiresAt, worker_sid: issued.value.workerSid, friendly_name: issued.value.friendlyName,
    logout_activity_sid: settings.settings.logoutActivitySid, logout_activity_name: settings.logoutActivityName,
    eb_server: `${origin}/v1/wschannels`, ws_server: `${origin.replace(/^http/, 'ws')}/v1/wschannels`,
  });
}
