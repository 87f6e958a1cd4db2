/**
 * The TaskRouter routing resources over REST: TaskChannels, worker channels, TaskQueues (and their
 * statistics), Workflows, Tasks and Reservations. Reads come from the routing store; every change
 * that affects routing goes through the routing service (tasks, reservations, worker channels) or
 * is followed by `routing.reloadCatalog` (queues, workflows).
 */
import type { RestRoute } from './rest-api.js';
import { ROUTING_CHANNEL_ROUTES } from './routing-channel-routes.js';
import { ROUTING_QUEUE_ROUTES } from './routing-queue-routes.js';
import { ROUTING_QUEUE_STATISTICS_ROUTES } from './routing-queue-statistics.js';
import { ROUTING_RESERVATION_ROUTES } from './routing-reservation-routes.js';
import { ROUTING_TASK_ROUTES } from './routing-task-routes.js';
import { ROUTING_WORKFLOW_ROUTES } from './routing-workflow-routes.js';

export const ROUTING_ROUTES: readonly RestRoute[] = [
  ...ROUTING_CHANNEL_ROUTES,
  ...ROUTING_QUEUE_STATISTICS_ROUTES,
  ...ROUTING_QUEUE_ROUTES,
  ...ROUTING_WORKFLOW_ROUTES,
  ...ROUTING_TASK_ROUTES,
  ...ROUTING_RESERVATION_ROUTES,
];
