/**
 * `/v1/Workspaces/{WS}/Events`: every committed change, oldest first, with Twilio's fields and
 * our `cause` and `evidence`. Filters: `EventType` (repeated or comma-separated), `ResourceSid`,
 * `WorkerSid`, `StartDate`, `EndDate`, `Minutes` (the last N minutes).
 */
import { refuse, type Result } from '../../core/errors.js';
import type { EventFilter } from '../../service/ports.js';
import { pageEnvelope, readPaging } from './paging.js';
import { ParamReader } from './params.js';
import { answer, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restEvent } from './wire.js';

/** Thirty days, Twilio's limit for `Minutes` on events. */
const MAX_EVENT_MINUTES = 43_200;
/** Filters on resources that do not exist before routing: they match no event yet. */
const ROUTING_FILTERS = ['TaskQueueSid', 'WorkflowSid', 'TaskChannel'];

function readFilter(p: ParamReader, now: number): EventFilter | null {
  const eventTypes = p.list('EventType');
  const resourceSid = p.string('ResourceSid') ?? p.string('ReservationSid') ?? p.string('TaskSid');
  const workerSid = p.string('WorkerSid');
  const minutes = p.integer('Minutes', 1, MAX_EVENT_MINUTES);
  let startAt = p.date('StartDate');
  const endAt = p.date('EndDate');
  if (minutes !== undefined) {
    if (startAt !== undefined) p.fail('Minutes', 'Give either Minutes or StartDate, not both');
    startAt = now - minutes * 60_000;
  }
  if (startAt !== undefined && endAt !== undefined && startAt > endAt) p.fail('StartDate', 'StartDate must not be after EndDate');
  if (ROUTING_FILTERS.some((name) => p.has(name))) return null;
  return {
    ...(eventTypes ? { eventTypes } : {}),
    ...(resourceSid !== undefined ? { resourceSid } : {}),
    ...(workerSid !== undefined ? { workerSid } : {}),
    ...(startAt !== undefined ? { startAt } : {}),
    ...(endAt !== undefined ? { endAt } : {}),
  };
}

async function listEvents(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const filter = readFilter(p, deps.clock.now());
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const location = { url: call.url, query: call.query };
  if (filter === null) return answer(pageEnvelope('events', [], { items: [], firstCursor: null, lastCursor: null, more: false }, paging, location));
  const page = await deps.store.pageEvents(workspace.value.sid, filter, paging.request);
  if (!page.ok) return page;
  return answer(pageEnvelope('events', page.value.items.map((e) => restEvent(e, call.links)), page.value, paging, location));
}

async function fetchEvent(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const event = await deps.store.findEvent(workspace.value.sid, call.path.eventSid ?? '');
  return event ? answer(restEvent(event, call.links)) : refuse('not-found', `Event ${call.path.eventSid} was not found`);
}

export const EVENT_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: '/Workspaces/:workspaceSid/Events', handler: listEvents },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Events/:eventSid', handler: fetchEvent },
];
