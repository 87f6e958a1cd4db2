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
import { PAGING, pageEnvelope, pagingOf, type Paging } from './paging.js';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { date, formParams, list, text, whole, type ParamsOf } from './rest-params.js';
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

const FILTERS = {
  EventType: list(text()), ResourceSid: text(),
  WorkerSid: text(), TaskSid: text(), ReservationSid: text(), TaskQueueSid: text(), WorkflowSid: text(), TaskChannel: text(),
  Minutes: whole(1, MAX_STATISTICS_MINUTES), EndDate: date(), StartDate: date(), Sid: text(),
};
const LIST_EVENTS = { querystring: formParams({ ...FILTERS, ...PAGING }) };

/** The filter the parameters ask for; the window's rules across Minutes, StartDate and EndDate are checked here. */
function filterOf(q: ParamsOf<typeof FILTERS>, now: number): Result<EventFilter> {
  const data: Record<string, string> = {};
  for (const [param, field] of DATA_FILTERS) {
    const value = q[param];
    if (value !== undefined) data[field] = value;
  }
  const { Minutes: minutes, EndDate: endAt, EventType: eventTypes, ResourceSid: resourceSid } = q;
  if (minutes !== undefined && q.StartDate !== undefined) return refuse('invalid-parameter', 'Give either Minutes or StartDate, not both', 'Minutes');
  if (q.StartDate !== undefined && endAt !== undefined && q.StartDate > endAt) return refuse('invalid-parameter', 'StartDate must not be after EndDate', 'StartDate');
  const startAt = q.StartDate ?? (minutes === undefined && endAt !== undefined ? endAt : now) - (minutes ?? DEFAULT_STATISTICS_MINUTES) * 60_000;
  return {
    ok: true,
    value: { startAt, data, ...(eventTypes ? { eventTypes } : {}), ...(resourceSid !== undefined ? { resourceSid } : {}), ...(endAt !== undefined ? { endAt } : {}) },
  };
}

async function listEvents(call: RestCall<typeof LIST_EVENTS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const filter = filterOf(call.query, deps.clock.now());
  if (!filter.ok) return filter;
  const sid = call.query.Sid;
  const paging = pagingOf(call.query);
  if (sid !== undefined) {
    // One event by SID, as the library's `sid` filter asks; the other filters do not apply.
    const event = await deps.store.findEvent(workspace.value.sid, sid);
    const items = event ? [event] : [];
    return envelope(call, paging, items.map((e) => restEvent(e, call.links)), { ...EMPTY, items });
  }
  const page = await deps.store.pageEvents(workspace.value.sid, filter.value, paging.request);
  if (!page.ok) return page;
  return envelope(call, paging, page.value.items.map((e) => restEvent(e, call.links)), page.value);
}

function envelope(call: RestCall<typeof LIST_EVENTS>, paging: Paging, items: unknown[], page: Parameters<typeof pageEnvelope>[2]): Result<RestAnswer> {
  return answer(pageEnvelope('events', items, page, paging, { url: call.url, query: call.rawQuery }));
}

async function fetchEvent(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const event = await deps.store.findEvent(workspace.value.sid, call.path.eventSid ?? '');
  return event ? answer(restEvent(event, call.links)) : refuse('not-found', `Event ${call.path.eventSid} was not found`);
}

export const EVENT_ROUTES: readonly RestRoute[] = [
  route('GET', '/Workspaces/:workspaceSid/Events', LIST_EVENTS, listEvents),
  route('GET', '/Workspaces/:workspaceSid/Events/:eventSid', {}, fetchEvent),
];
