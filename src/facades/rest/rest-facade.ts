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
import { registerRestRoutes, type RestDeps } from './rest-api.js';
import { ROUTING_ROUTES } from './routing-routes.js';
import { STATISTICS_ROUTES } from './statistics-routes.js';
import { WORKER_ROUTES } from './worker-routes.js';
import { WORKSPACE_ROUTES } from './workspace-routes.js';

export type { RestDeps } from './rest-api.js';

export async function registerRestFacade(app: FastifyInstance, deps: RestDeps): Promise<void> {
  // One counter per address across both prefixes: the limit is on the REST API, not per route.
  const limit = perMinuteLimit(app, deps.limitPerMin);
  await registerRestRoutes(app, '/v1', [...WORKSPACE_ROUTES, ...WORKER_ROUTES, ...STATISTICS_ROUTES, ...EVENT_ROUTES, ...FLEX_ROUTES, ...ROUTING_ROUTES, ...IAM_KEY_ROUTES, ...CALLBACK_ROUTES, ...REPORT_ROUTES], deps, limit);
  await registerRestRoutes(app, '/2010-04-01', KEY_ROUTES, deps, limit);
}
