/**
 * Registers the REST facade: TaskRouter, Flex Configuration and iam API keys under `/v1`, API
 * keys under `/2010-04-01` too. Both answer in Twilio's REST dialect (wire.ts) behind HTTP Basic.
 */
import type { FastifyInstance } from 'fastify';
import { CALLBACK_ROUTES } from './callback-routes.js';
import { EVENT_ROUTES } from './event-routes.js';
import { FLEX_ROUTES } from './flex-routes.js';
import { IAM_KEY_ROUTES } from './iam-key-routes.js';
import { KEY_ROUTES } from './key-routes.js';
import { REPORT_ROUTES } from './report-routes.js';
import { perMinuteLimit } from '../http/rate-limits.js';
import { registerOpenApi } from './rest-openapi.js';
import { registerRestRoutes, type RestDeps, type RestRoute } from './rest-api.js';
import { ROUTING_ROUTES } from './routing-routes.js';
import { STATISTICS_ROUTES } from './statistics-routes.js';
import { WORKER_ROUTES } from './worker-routes.js';
import { WORKSPACE_ROUTES } from './workspace-routes.js';

export type { RestDeps } from './rest-api.js';

/** Every REST route, under the prefix it is served at (also read by the fuzzer). */
export const REST_ROUTE_SETS: readonly { readonly prefix: string; readonly routes: readonly RestRoute[] }[] = [
  { prefix: '/v1', routes: [...WORKSPACE_ROUTES, ...WORKER_ROUTES, ...STATISTICS_ROUTES, ...EVENT_ROUTES, ...FLEX_ROUTES, ...ROUTING_ROUTES, ...IAM_KEY_ROUTES, ...CALLBACK_ROUTES, ...REPORT_ROUTES] },
  { prefix: '/2010-04-01', routes: KEY_ROUTES },
];

export async function registerRestFacade(app: FastifyInstance, deps: RestDeps): Promise<void> {
  // One counter per address across both prefixes: the limit is on the REST API, not per route.
  const limit = perMinuteLimit(app, deps.limitPerMin);
  // Before the routes: the generator collects them as they are added.
  await registerOpenApi(app);
  for (const set of REST_ROUTE_SETS) await registerRestRoutes(app, set.prefix, set.routes, deps, limit);
}
