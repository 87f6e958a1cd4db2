/**
 * `POST /v1/wschannels`: the SDK's HTTP envelope `{url, method, params, token}`. The body is JSON
 * whatever the content type claims (axios sends form-urlencoded, fetch sends text/plain). Answers
 * are `{payload}`; refusals `{message}` with the status from EB_STATUS, and change nothing.
 */
import { isJsonObject, readJsonObject } from '../../core/json-object.js';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseIfMatch, type IfMatch } from '../../core/if-match.js';
import { refuse, type Refusal, type Result } from '../../core/errors.js';
import { isSid } from '../../core/sids.js';
import { grantActor, verifyAccessToken, type TaskRouterGrant, type TokenPolicy } from '../../service/access-tokens.js';
import type { Clock, Store } from '../../service/ports.js';
import type { PresenceService } from '../../service/presence-service.js';
import { perMinuteLimit } from '../http/rate-limits.js';
import { EB_STATUS, ebActivity, ebPage, ebWorker } from './dialect.js';
import { routeRouting, type RoutingEnvelopeDeps } from './routing-envelope.js';
import { routeWorkspace } from './workspace-envelope.js';

export interface EnvelopeDeps extends RoutingEnvelopeDeps {
  readonly store: Store;
  readonly presence: PresenceService;
  readonly clock: Clock;
  readonly bodyLimitBytes: number;
  /** Holds the caller's pushes until its answer is written (the agent channel). */
  readonly pushGate?: { holdPushes(workerSid: string): () => void };
  /** The agent channel: a fresher token for a worker keeps its open sockets alive (updateToken). */
  readonly sessions?: { refreshToken(grant: TaskRouterGrant): void };
  readonly tokenPolicy: TokenPolicy;
  /** Requests a minute per client address; 0: no limit. */
  readonly limitPerMin: number;
}

interface Envelope {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: Record<string, unknown>;
  readonly token: unknown;
}

type Answer = Result<unknown>;

/**
 * The SDK in a browser calls from the contact centre's own origin (Flex UI, an agent desktop), so
 * the envelope answers any origin: the token in the body is the credential, never a cookie.
 */
const CORS: FastifyCorsOptions = {
  origin: '*', methods: ['POST', 'OPTIONS'], allowedHeaders: ['content-type', 'clientversion', 'apiversion', 'if-match'], maxAge: 600, hook: 'onRequest',
};

export async function registerEnvelope(app: FastifyInstance, deps: EnvelopeDeps): Promise<void> {
  // Under its own prefix, so the CORS plugin's preflight route covers the envelope and nothing else.
  await app.register(async (scope) => {
    // First: every answer of this scope, refusals and 429s included, carries the CORS headers.
    await scope.register(cors, CORS);
    // Before the body is read: a flood is refused without parsing a byte of it.
    const limit = perMinuteLimit(scope, deps.limitPerMin);
    if (limit) scope.addHook('onRequest', limit);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.bodyLimitBytes }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      const message = status === 413 ? `The request body exceeds ${deps.bodyLimitBytes} bytes` : status === 500 ? 'Internal error' : error.message;
      if (status === 500) scope.log.error({ err: error }, 'envelope request failed');
      void reply.code(status).send({ message });
    });
    scope.post('/', async (req, reply) => {
      const parsed = parseEnvelope(req.body);
      if (!parsed.ok) return sendRefusal(reply, parsed.refusal);
      const envelope = parsed.value;
      const grant = await verifyAccessToken(deps.store, envelope.token, deps.clock.now(), deps.tokenPolicy);
      if (!grant.ok) return sendRefusal(reply, grant.refusal);
      deps.sessions?.refreshToken(grant.value);
      const ifMatch = req.headers['if-match'];
      const gate = deps.pushGate;
      const hold = (workerSid: string): void => {
        if (!gate) return;
        const release = gate.holdPushes(workerSid);
        reply.raw.once('finish', release);
        reply.raw.once('close', release);
      };
      if (grant.value.workerSid !== null) hold(grant.value.workerSid);
      const answer = await route(deps, grant.value, envelope, typeof ifMatch === 'string' ? ifMatch : undefined, hold);
      if (!answer.ok) return sendRefusal(reply, answer.refusal);
      return reply.code(200).send({ payload: answer.value });
    });
  }, { prefix: '/v1/wschannels' });
}

function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  return reply.code(EB_STATUS[refusal.code]).send({ message: refusal.message });
}

function parseEnvelope(body: unknown): Result<Envelope> {
  if (typeof body !== 'string' || body.trim() === '') return refuse('invalid-parameter', 'The request body must be a JSON envelope {url, method, params, token}');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return refuse('invalid-parameter', 'The request body is not valid JSON');
  }
  if (!isJsonObject(value)) return refuse('invalid-parameter', 'The request body must be a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v.url !== 'string' || v.url === '') return refuse('invalid-parameter', 'The envelope needs a url', 'url');
  const method = typeof v.method === 'string' ? v.method.toUpperCase() : '';
  if (method !== 'GET' && method !== 'POST') return refuse('invalid-parameter', 'The envelope method must be GET or POST', 'method');
  const params = v.params ?? {};
  if (!isJsonObject(params)) return refuse('invalid-parameter', 'The envelope params must be an object', 'params');
  return { ok: true, value: { url: v.url, method, params: params as Record<string, unknown>, token: v.token } };
}

const WORKER_PATH = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/Workers\/([^/]+)(?:\/([A-Za-z]+))?\/?$/;
const WORKSPACE_PATH = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/([A-Za-z]+)\/?$/;

async function route(deps: EnvelopeDeps, grant: TaskRouterGrant, env: Envelope, ifMatch: string | undefined, holdPushesOf: (workerSid: string) => void): Promise<Answer> {
  const path = env.url.split('?')[0] ?? '';
  const worker = WORKER_PATH.exec(path);
  if (worker) {
    const [, wsSid = '', wkSid = '', sub] = worker;
    if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
    if (wkSid !== grant.workerSid && grant.role !== 'admin') return refuse('forbidden', `A worker token may only act on its own worker (${grant.workerSid})`);
    if (sub === undefined && env.method === 'GET') return fetchWorker(deps, wsSid, wkSid);
    if (sub === undefined && env.method === 'POST') return updateWorker(deps, grant, wsSid, wkSid, env.params, ifMatch);
  }
  const ifMatchVersion = versionOf(parseIfMatch(ifMatch));
  if (ifMatchVersion === null) return refuse('invalid-parameter', 'If-Match must be a version number', 'If-Match');
  const routed = await routeRouting(deps, grant, path, { method: env.method, params: env.params, ifMatchVersion, holdPushesOf });
  if (routed) return routed;
  const listed = await routeWorkspace(deps, grant, path, env.method, env.params);
  if (listed) return listed;
  const list = WORKSPACE_PATH.exec(path);
  if (list && env.method === 'GET') {
    const [, wsSid = '', resource] = list;
    if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
    if (resource === 'Activities') return { ok: true, value: ebPage(await deps.store.listActivities(wsSid), env.params, ebActivity) };
  }
  return refuse('not-found', `No resource ${env.method} ${path}`);
}

/** The version an If-Match asks for (undefined: none); null for a value EventBridge refuses (`*` too). */
function versionOf(ifMatch: IfMatch): number | undefined | null {
  if (ifMatch.kind === 'absent') return undefined;
  return ifMatch.kind === 'version' ? ifMatch.version : null;
}

async function fetchWorker(deps: EnvelopeDeps, wsSid: string, wkSid: string): Promise<Answer> {
  const found = await deps.store.findWorker(wsSid, wkSid);
  return found ? { ok: true, value: ebWorker(found) } : refuse('not-found', `Worker ${wkSid} was not found`);
}

async function updateWorker(
  deps: EnvelopeDeps, grant: TaskRouterGrant, wsSid: string, wkSid: string, params: Record<string, unknown>, ifMatch: string | undefined,
): Promise<Answer> {
  const ifMatchVersion = versionOf(parseIfMatch(ifMatch));
  if (ifMatchVersion === null) return refuse('invalid-parameter', 'If-Match must be a worker version', 'If-Match');
  const { ActivitySid, Attributes, RejectPendingReservations } = params;
  if (ActivitySid === undefined && Attributes === undefined) return refuse('invalid-parameter', 'Nothing to update: give ActivitySid or Attributes', 'ActivitySid');
  if (ActivitySid !== undefined && !isSid('activity', ActivitySid)) return refuse('invalid-parameter', `ActivitySid ${String(ActivitySid)} is not an activity SID (WA followed by 32 hex digits)`, 'ActivitySid');
  const reject = parseBoolean(RejectPendingReservations);
  if (reject === null) return refuse('invalid-parameter', `RejectPendingReservations ${String(RejectPendingReservations)} must be true or false`, 'RejectPendingReservations');
  const attributes = Attributes === undefined ? undefined : parseAttributes(Attributes);
  if (attributes === null) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
  const cause = grant.role === 'admin' && wkSid !== grant.workerSid ? 'admin' : 'agent';
  // One transaction: a request refused in any part (say RejectPendingReservations with an available
  // activity) leaves the attributes as they were.
  const result = await deps.presence.changeWorker({
    workspaceSid: wsSid, workerSid: wkSid, actor: grantActor(grant), attributes, ifMatchVersion,
    activity: ActivitySid === undefined ? undefined : { activitySid: ActivitySid as string, cause, rejectPendingReservations: reject },
  });
  return result.ok ? { ok: true, value: ebWorker(result.value.worker) } : result;
}

function parseBoolean(value: unknown): boolean | null {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  return null;
}

/** Attributes as the SDK sends them (an object, or JSON text of one), as canonical JSON; null when neither. */
function parseAttributes(value: unknown): string | null {
  const object = readJsonObject(value);
  return object === null ? null : JSON.stringify(object);
}
