/**
 * The REST facade: TaskRouter (`/v1/Workspaces/...`), Flex Configuration (`/v1/Configuration`)
 * and API keys (`/2010-04-01/Accounts/{AC}/Keys`), as the official `twilio` library calls them
 * when its `baseUrl` points here. Every request is authenticated with HTTP Basic first, then its
 * query and body are validated by the route's declared schema (rest-params.ts) before the handler
 * reads the typed values; every handler returns a Result, and refusals become Twilio error
 * bodies through REST_ERRORS alone.
 */
import { isJsonObject } from '../../core/json-object.js';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseIfMatch } from '../../core/if-match.js';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { Workspace } from '../../core/resources.js';
import type { AdminService } from '../../service/admin-service.js';
import { authenticate, type ApiKeys, type Principal } from '../../service/credentials.js';
import type { CallbackStore } from '../../service/callback-ports.js';
import type { Clock, Log, Store } from '../../service/ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import type { RoutingService } from '../../service/routing-service.js';
import type { ReportsService } from '../../service/reports-service.js';
import type { StatisticsService } from '../../service/statistics-service.js';
import { tagOf, type OpenApiRouteConfig } from './rest-openapi.js';
import { BODY_NOT_PARAMS, ValidationRefusal, validatorCompiler } from './rest-validation.js';
import { isRateLimited, type LimitHook } from '../http/rate-limits.js';
import { errorBody, Links, METHOD_NOT_ALLOWED, REST_ERRORS, TOO_MANY_REQUESTS } from './wire.js';

export interface RestDeps {
  readonly store: Store;
  readonly admin: AdminService;
  readonly statistics: StatisticsService;
  readonly reports: ReportsService;
  /** Routing changes (tasks, reservations, worker channels, the hold) go through the service. */
  readonly routing: RoutingService;
  /** Reads of routing resources, and catalogue writes followed by `routing.reloadCatalog`. */
  readonly routingStore: RoutingStore;
  readonly keys: ApiKeys;
  /** The callback outbox, read by the CallbackDeliveries extension. */
  readonly callbacks: CallbackStore;
  readonly clock: Clock;
  /** `ROLLCALL_PUBLIC_URL`; without it links are built from the request's Host and X-Forwarded-*. */
  readonly publicUrl: string | null;
  readonly log: Log;
  /** Requests a minute per client address; 0: no limit. */
  readonly limitPerMin: number;
}

/** Query or form parameters as they arrived (strings, arrays for repeated keys). */
export type Params = Readonly<Record<string, unknown>>;

/**
 * What a route declares of its input (rest-params.ts `formParams`, or zod for a JSON body): Fastify
 * validates the request with it before the handler runs, the handler reads the typed values, and
 * the OpenAPI document describes it (rest-openapi.ts). Path parameters are declared by the URL.
 */
export interface RestSchema {
  readonly querystring?: z.ZodType;
  readonly body?: z.ZodType;
  /** The media type of the body, for the OpenAPI document; form-encoded unless said. */
  readonly bodyType?: 'application/x-www-form-urlencoded' | 'application/json';
}

type NoParams = Readonly<Record<string, never>>;
type QueryOf<S> = S extends { readonly querystring: z.ZodType<infer Q> } ? Q : NoParams;
type BodyOf<S> = S extends { readonly body: z.ZodType<infer B> } ? B : NoParams;

/** One authenticated request, as a handler sees it: its parameters already read by the route's schema. */
export interface RestCall<S extends RestSchema = RestSchema> {
  readonly principal: Principal;
  readonly links: Links;
  /** Path parameters. */
  readonly path: Readonly<Record<string, string>>;
  readonly query: QueryOf<S>;
  readonly body: BodyOf<S>;
  /** The query as it arrived, for list links that keep the request's filters verbatim. */
  readonly rawQuery: Params;
  /** The absolute URL of the request, without its query string. */
  readonly url: string;
  /** The If-Match header, if any, unquoted. */
  readonly ifMatch: string | undefined;
  /** The Accept header, if any (reports and exports answer CSV or NDJSON on request). */
  readonly accept: string | undefined;
}

export type RestAnswer =
  | { readonly status: 200 | 201; readonly body: unknown; readonly etag?: string }
  | { readonly status: 204 }
  /** A streamed body (CSV, NDJSON): produced as the client reads it, never held whole. */
  | { readonly status: 200; readonly stream: AsyncIterable<string>; readonly contentType: string; readonly filename: string };

export type RestHandler<S extends RestSchema = RestSchema> = (call: RestCall<S>, deps: RestDeps) => Promise<Result<RestAnswer>>;

export interface RestRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the plugin's prefix. */
  readonly url: string;
  readonly schema: RestSchema;
  readonly handler: RestHandler;
}

/** A route whose handler reads the values `schema` declares. */
export function route<S extends RestSchema>(method: RestRoute['method'], url: string, schema: S, handler: RestHandler<S>): RestRoute {
  // The schema is what Fastify validates with, so the call a handler gets matches it.
  return { method, url, schema, handler: handler as unknown as RestHandler };
}

/** The path parameters of a route URL (`:workspaceSid`), as the schema that documents them. */
export function pathSchemaOf(url: string): z.ZodType | undefined {
  const names = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? '');
  if (names.length === 0) return undefined;
  return z.object(Object.fromEntries(names.map((name) => [name, z.string().meta({ description: PATH_PARAMS[name] ?? name })])));
}

const PATH_PARAMS: Readonly<Record<string, string>> = {
  workspaceSid: 'The Workspace SID (WS…)', workerSid: 'The Worker SID (WK…)', activitySid: 'The Activity SID (WA…)',
  taskQueueSid: 'The TaskQueue SID (WQ…)', workflowSid: 'The Workflow SID (WW…)', taskSid: 'The Task SID (WT…)',
  reservationSid: 'The Reservation SID (WR…)', taskChannelSid: 'The TaskChannel SID (TC…) or unique name',
  workerChannelSid: 'The WorkerChannel SID (WC…), or the TaskChannel SID or unique name', eventSid: 'The Event SID (EV…)',
  accountSid: 'The Account SID (AC…)', keySid: 'The API key SID (SK…)', keyFile: 'The API key SID followed by .json (SK….json)',
};

const principals = new WeakMap<FastifyRequest, Principal>();
const rawQueries = new WeakMap<FastifyRequest, Params>();

/** Registers a group of routes under `prefix` with authentication, errors and 404/405 in Twilio's form. */
export async function registerRestRoutes(app: FastifyInstance, prefix: string, routes: readonly RestRoute[], deps: RestDeps, limit: LimitHook | null = null): Promise<void> {
  await app.register(async (scope) => {
    // Before authentication: a flood of bad credentials costs no secret comparisons past the limit.
    if (limit) scope.addHook('onRequest', limit);
    scope.addHook('onRequest', async (req, reply) => {
      const principal = await principalOf(req, deps);
      if (!principal) {
        // The same answer for every failure: nobody learns which part of the credentials was wrong.
        return reply.code(401).header('www-authenticate', 'Basic realm="Rollcall"').send(errorBody(401, REST_ERRORS.unauthenticated.code, 'Authentication failed'));
      }
      principals.set(req, principal);
    });
    scope.addHook('preValidation', async (req) => {
      rawQueries.set(req, (req.query ?? {}) as Params);
    });
    scope.setValidatorCompiler(validatorCompiler);
    scope.setErrorHandler((error: { statusCode?: number; message: string }, req, reply) => {
      const status = error.statusCode ?? 500;
      if (error instanceof ValidationRefusal) return reply.code(400).send(errorBody(400, REST_ERRORS['invalid-parameter'].code, error.message));
      if (isRateLimited(error)) return reply.code(429).send(errorBody(TOO_MANY_REQUESTS.status, TOO_MANY_REQUESTS.code, error.message));
      if (status === 413) return reply.code(413).send(errorBody(413, REST_ERRORS['payload-too-large'].code, 'The request body is too large'));
      if (status >= 400 && status < 500) return reply.code(400).send(errorBody(400, REST_ERRORS['invalid-parameter'].code, `The request could not be read: ${error.message}`));
      deps.log.error({ err: error, url: req.url, method: req.method }, 'REST request failed');
      return reply.code(500).send(errorBody(500, 20500, 'Internal error'));
    });
    scope.setNotFoundHandler((req, reply) => {
      void reply.code(404).send(errorBody(404, REST_ERRORS['not-found'].code, `The requested resource ${req.url.split('?')[0]} was not found`));
    });
    const methodsByUrl = new Map<string, Set<string>>();
    for (const r of routes) {
      const params = pathSchemaOf(r.url);
      const config: OpenApiRouteConfig = { rest: { tag: tagOf(prefix, r.url) } };
      scope.route({
        method: r.method, url: r.url, schema: { ...r.schema, ...(params ? { params } : {}) }, config,
        handler: (req, reply) => run(r.handler, req, reply, deps),
      });
      methodsByUrl.set(r.url, (methodsByUrl.get(r.url) ?? new Set()).add(r.method));
    }
    for (const [url, methods] of methodsByUrl) {
      const others = (['GET', 'POST', 'DELETE'] as const).filter((m) => !methods.has(m));
      if (others.length === 0) continue;
      scope.route({
        method: others,
        url,
        handler: async (req, reply) => reply.code(METHOD_NOT_ALLOWED.status).header('allow', [...methods].join(', '))
          .send(errorBody(METHOD_NOT_ALLOWED.status, METHOD_NOT_ALLOWED.code, `${req.method} is not allowed on this resource`)),
      });
    }
  }, { prefix });
}

async function principalOf(req: FastifyRequest, deps: RestDeps): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return authenticate(deps.store, decoded.slice(0, colon), decoded.slice(colon + 1));
}

/** The public base URL: configured, or the one the client used (through a proxy if any). */
export function baseUrlOf(req: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  // Fastify reads X-Forwarded-Proto/-Host into these only from a trusted proxy (ROLLCALL_TRUST_PROXY).
  return `${req.protocol}://${req.host}`;
}

async function run(handler: RestHandler, req: FastifyRequest, reply: FastifyReply, deps: RestDeps): Promise<FastifyReply> {
  const principal = principals.get(req);
  if (!principal) throw new Error('REST handler reached without a principal');
  if (req.body !== undefined && req.body !== null && !isJsonObject(req.body)) {
    const { status, code } = REST_ERRORS['invalid-parameter'];
    return reply.code(status).send(errorBody(status, code, BODY_NOT_PARAMS));
  }
  const base = baseUrlOf(req, deps.publicUrl);
  const ifMatch = req.headers['if-match'];
  const call: RestCall = {
    principal,
    links: new Links(base),
    path: (req.params ?? {}) as Record<string, string>,
    // Validated by the route's schema (or {} where it declares none: nothing is read from them).
    query: (req.query ?? {}) as NoParams,
    body: (req.body ?? {}) as NoParams,
    rawQuery: rawQueries.get(req) ?? {},
    url: `${base}${req.url.split('?')[0]}`,
    ifMatch: typeof ifMatch === 'string' ? ifMatch : undefined,
    accept: req.headers.accept,
  };
  const result = await handler(call, deps);
  if (!result.ok) {
    const { status, code } = REST_ERRORS[result.refusal.code];
    return reply.code(status).send(errorBody(status, code, result.refusal.message));
  }
  const answer = result.value;
  if (answer.status === 204) return reply.code(204).send();
  if ('stream' in answer) {
    return reply.code(200).type(answer.contentType).header('content-disposition', `attachment; filename="${answer.filename}"`)
      .send(Readable.from(answer.stream, { objectMode: false, highWaterMark: 64 * 1024 }));
  }
  if (answer.etag !== undefined) void reply.header('etag', answer.etag);
  return reply.code(answer.status).send(answer.body);
}

/** The workspace named in the path, if it belongs to the caller's account (else not found). */
export async function workspaceOf(call: RestCall, deps: RestDeps, sid = call.path.workspaceSid ?? ''): Promise<Result<Workspace>> {
  const workspace = await deps.store.findWorkspace(sid);
  if (!workspace || workspace.accountSid !== call.principal.accountSid) return refuse('not-found', `Workspace ${sid} was not found`);
  return ok(workspace);
}

/** The worker version an If-Match header asks for; a value that is no version can never match. */
export function ifMatchVersion(call: RestCall): Result<number | undefined> {
  const ifMatch = parseIfMatch(call.ifMatch);
  if (ifMatch.kind === 'invalid') return refuse('version-mismatch', `If-Match "${ifMatch.text}" does not match the resource's ETag`);
  return ok(ifMatch.kind === 'version' ? ifMatch.version : undefined);
}

export const answer = (body: unknown, etag?: string): Result<RestAnswer> => ok(etag === undefined ? { status: 200, body } : { status: 200, body, etag });
export const created = (body: unknown, etag?: string): Result<RestAnswer> => ok(etag === undefined ? { status: 201, body } : { status: 201, body, etag });
export const deleted = (): Result<RestAnswer> => ok({ status: 204 });
