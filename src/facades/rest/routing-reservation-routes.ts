/**
 * Reservations, reached through their task (`/Tasks/{WT}/Reservations`) or their worker
 * (`/Workers/{WK}/Reservations`): list (filter `ReservationStatus`, and `WorkerSid` under a task),
 * fetch, and update `ReservationStatus` (accepted, rejected, wrapping, completed) with an optional
 * `WorkerActivitySid`, through the routing service. A reservation reached through the wrong task
 * or worker is not found. The ETag is the reservation's version; `If-Match` is honoured.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { Reservation, ReservationStatus } from '../../core/routing-resources.js';
import type { ReservationFilter } from '../../service/routing-ports.js';
import { PAGING, pagingOf } from './paging.js';
import {
  answer, ifMatchVersion, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { formParams, oneOf, refused, required, sid, text } from './rest-params.js';
import { answerPage } from './routing-lists.js';
import { restReservation, versionEtag, type ReservationPath } from './routing-wire.js';

const STATUSES: readonly ReservationStatus[] = ['pending', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapping', 'completed'];
/** What a caller may ask a reservation to become; the others are routing's outcomes. */
const REQUESTABLE: readonly ReservationStatus[] = ['accepted', 'rejected', 'wrapping', 'completed'];

/** The task or worker in the path, as a reservation filter; not found when it does not exist. */
async function ownerOf(path: ReservationPath, call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<ReservationFilter>> {
  if (path === 'task') {
    const taskSid = call.path.taskSid ?? '';
    if (!(await deps.routingStore.findTask(workspaceSid, taskSid))) return refuse('not-found', `Task ${taskSid} was not found`);
    return { ok: true, value: { taskSid } };
  }
  const workerSid = call.path.workerSid ?? '';
  if (!(await deps.store.findWorker(workspaceSid, workerSid))) return refuse('not-found', `Worker ${workerSid} was not found`);
  return { ok: true, value: { workerSid } };
}

function belongs(r: Reservation, owner: ReservationFilter): boolean {
  return (owner.taskSid === undefined || r.taskSid === owner.taskSid) && (owner.workerSid === undefined || r.workerSid === owner.workerSid);
}

const statusOf = (values: readonly ReservationStatus[]) => oneOf(values, (name) => `${name} must be one of ${values.join(', ')}`);
const LIST_BY_WORKER = { querystring: formParams({ ReservationStatus: statusOf(STATUSES), ...PAGING }) };
const LIST_BY_TASK = { querystring: formParams({ ReservationStatus: statusOf(STATUSES), WorkerSid: text(), ...PAGING }) };

/** Under a worker there is no `WorkerSid` filter: it reads as absent. */
type ListCall = RestCall<typeof LIST_BY_WORKER> & { readonly query: { readonly WorkerSid?: string | undefined } };

function listReservations(path: ReservationPath) {
  return async (call: ListCall, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const { ReservationStatus: status, WorkerSid: workerSid } = call.query;
    const paging = pagingOf(call.query);
    const owner = await ownerOf(path, call, deps, workspace.value.sid);
    if (!owner.ok) return owner;
    const filter: ReservationFilter = {
      ...owner.value,
      ...(workerSid !== undefined ? { workerSid } : {}),
      ...(status !== undefined ? { status } : {}),
    };
    const reservations = await deps.routingStore.listReservations(workspace.value.sid, filter);
    return answerPage(call, 'reservations', reservations, paging, (r) => restReservation(r, path, call.links));
  };
}

function fetchReservation(path: ReservationPath) {
  return async (call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const owner = await ownerOf(path, call, deps, workspace.value.sid);
    if (!owner.ok) return owner;
    const sid = call.path.reservationSid ?? '';
    const reservation = await deps.routingStore.findReservation(workspace.value.sid, sid);
    if (!reservation || !belongs(reservation, owner.value)) return refuse('not-found', `Reservation ${sid} was not found`);
    return answer(restReservation(reservation, path, call.links), versionEtag(reservation));
  };
}

const UPDATE = {
  body: formParams({
    Instruction: refused((name, value) => `${name} ${value} needs voice media, which Rollcall does not handle`, 'instructions need voice media'),
    ReservationStatus: required(statusOf(REQUESTABLE)),
    WorkerActivitySid: sid('activity'),
  }),
};

function updateReservation(path: ReservationPath) {
  return async (call: RestCall<typeof UPDATE>, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const version = ifMatchVersion(call);
    const { ReservationStatus: status, WorkerActivitySid: workerActivitySid } = call.body;
    if (!version.ok) return version;
    const owner = await ownerOf(path, call, deps, workspace.value.sid);
    if (!owner.ok) return owner;
    const result = await deps.routing.updateReservation({
      workspaceSid: workspace.value.sid,
      reservationSid: call.path.reservationSid ?? '',
      ...owner.value,
      status,
      ...(workerActivitySid !== undefined ? { workerActivitySid } : {}),
      ...(version.value !== undefined ? { ifMatchVersion: version.value } : {}),
      actor: call.principal.credentialSid,
    });
    return result.ok ? answer(restReservation(result.value, path, call.links), versionEtag(result.value)) : result;
  };
}

const TASK = '/Workspaces/:workspaceSid/Tasks/:taskSid/Reservations';
const WORKER = '/Workspaces/:workspaceSid/Workers/:workerSid/Reservations';

export const ROUTING_RESERVATION_ROUTES: readonly RestRoute[] = [
  route('GET', TASK, LIST_BY_TASK, listReservations('task')),
  route('GET', `${TASK}/:reservationSid`, {}, fetchReservation('task')),
  route('POST', `${TASK}/:reservationSid`, UPDATE, updateReservation('task')),
  route('GET', WORKER, LIST_BY_WORKER, listReservations('worker')),
  route('GET', `${WORKER}/:reservationSid`, {}, fetchReservation('worker')),
  route('POST', `${WORKER}/:reservationSid`, UPDATE, updateReservation('worker')),
];
