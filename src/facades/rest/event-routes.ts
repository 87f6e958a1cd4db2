/**
 * `/v1/Workspaces/{WS}/Events`: every committed change, oldest first, with Twilio's fields and
 * our `cause` and `evidence`. Filters: `EventType` (repeated or comma-separated), `ResourceSid`,
 * `Sid`, the resources an event pertains to (`WorkerSid`, `TaskSid`, `ReservationSid`,
 * `TaskQueueSid`, `WorkflowSid`, matched on its `event_data`), and the time window: `StartDate`,
 * `EndDate`, or `Minutes`; as on Twilio, without a start the window is the last 15 minutes.
 */
import { refuse, type Result } from '../../core/errors.js';
import { DEFAULT_STATISTICS_MINUTES, MAX_STATISTICS_MINUTES } from '../../core/statistics.js';
import type { EventFilter } from '../../service/ports.js';
import { pageEnvelope, readPaging, type Paging } from './paging.js';
import { ParamReader } from './params.js';
import { answer, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restEvent } from './wire.js';

/** Filter parameters and the `event_data` field each one matches. */
const DATA_FILTERS = [
  ['WorkerSid', 'worker_sid'],
  ['TaskSid', 'task_sid'],
  ['ReservationSid', 'reservation_sid'],
  ['TaskQueueSid', 'task_queue_sid'],
  ['WorkflowSid', 'workflow_sid'],
  ['TaskChannel', 'task_channel'],
] as const;
const EMPTY = { items: [], firstCursor: null, lastCursor: null, more: false };

function readFilter(p: ParamReader, now: number): EventFilter {
  const eventTypes = p.list('EventType');
  const resourceSid = p.string('ResourceSid');
  const data: Record<string, string> = {};
  for (const [param, field] of DATA_FILTERS) {
    const value = p.string(param);
    if (value !== undefined) data[field] = value;
  }
  const minutes = p.integer('Minutes', 1, MAX_STATISTICS_MINUTES);
  const endAt = p.date('EndDate');
  let startAt = p.date('StartDate');
  if (minutes !== undefined && startAt !== undefined) p.fail('Minutes', 'Give either Minutes or StartDate, not both');
  if (startAt !== undefined && endAt !== undefined && startAt > endAt) p.fail('StartDate', 'StartDate must not be after EndDate');
  startAt ??= (minutes === undefined && endAt !== undefined ? endAt : now) - (minutes ?? DEFAULT_STATISTICS_MINUTES) * 60_000;
  return {
    startAt,
    data,
    ...(eventTypes ? { eventTypes } : {}),
    ...(resourceSid !== undefined ? { resourceSid } : {}),
    ...(endAt !== undefined ? { endAt } : {}),
  };
}

async function listEvents(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const filter = readFilter(p, deps.clock.now());
  const sid = p.string('Sid');
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  if (sid !== undefined) {
    // One event by SID, as the library's `sid` filter asks; the other filters do not apply.
    const event = await deps.store.findEvent(workspace.value.sid, sid);
    const items = event ? [event] : [];
    return envelope(call, paging, items.map((e) => restEvent(e, call.links)), { ...EMPTY, items });
  }
  const page = await deps.store.pageEvents(workspace.value.sid, filter, paging.request);
  if (!page.ok) return page;
  return envelope(call, paging, page.value.items.map((e) => restEvent(e, call.links)), page.value);
}

function envelope(call: RestCall, paging: Paging, items: unknown[], page: Parameters<typeof pageEnvelope>[2]): Result<RestAnswer> {
  return answer(pageEnvelope('events', items, page, paging, { url: call.url, query: call.query }));
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
