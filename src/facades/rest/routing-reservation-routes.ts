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
import { readPaging } from './paging.js';
import { ParamReader } from './params.js';
import {
  answer, ifMatchVersion, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
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

function listReservations(path: ReservationPath) {
  return async (call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const p = new ParamReader(call.query);
    const status = p.string('ReservationStatus');
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) p.fail('ReservationStatus', `ReservationStatus must be one of ${STATUSES.join(', ')}`);
    const workerSid = path === 'task' ? p.string('WorkerSid') : undefined;
    const paging = readPaging(p);
    if (p.refusal) return p.refusal;
    const owner = await ownerOf(path, call, deps, workspace.value.sid);
    if (!owner.ok) return owner;
    const filter: ReservationFilter = {
      ...owner.value,
      ...(workerSid !== undefined ? { workerSid } : {}),
      ...(status !== undefined ? { status: status as ReservationStatus } : {}),
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

function updateReservation(path: ReservationPath) {
  return async (call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> => {
    const workspace = await workspaceOf(call, deps);
    if (!workspace.ok) return workspace;
    const version = ifMatchVersion(call);
    const p = new ParamReader(call.body);
    const instruction = p.string('Instruction');
    if (instruction !== undefined) p.fail('Instruction', `Instruction ${instruction} needs voice media, which Rollcall does not handle`);
    const status = p.required('ReservationStatus');
    if (!p.refusal && !(REQUESTABLE as readonly string[]).includes(status)) p.fail('ReservationStatus', `ReservationStatus must be one of ${REQUESTABLE.join(', ')}`);
    const workerActivitySid = p.sid('activity', 'WorkerActivitySid');
    if (p.refusal) return p.refusal;
    if (!version.ok) return version;
    const owner = await ownerOf(path, call, deps, workspace.value.sid);
    if (!owner.ok) return owner;
    const result = await deps.routing.updateReservation({
      workspaceSid: workspace.value.sid,
      reservationSid: call.path.reservationSid ?? '',
      ...owner.value,
      status: status as ReservationStatus,
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
  { method: 'GET', url: TASK, handler: listReservations('task') },
  { method: 'GET', url: `${TASK}/:reservationSid`, handler: fetchReservation('task') },
  { method: 'POST', url: `${TASK}/:reservationSid`, handler: updateReservation('task') },
  { method: 'GET', url: WORKER, handler: listReservations('worker') },
  { method: 'GET', url: `${WORKER}/:reservationSid`, handler: fetchReservation('worker') },
  { method: 'POST', url: `${WORKER}/:reservationSid`, handler: updateReservation('worker') },
];
