/**
 * `/v1/Workspaces/{WS}/Workers`: list with filters, create, fetch, update (activity, attributes,
 * name; `If-Match` against the ETag), delete. A REST activity change has cause `api` and the key
 * (or account) as actor. (A worker's channels and reservations come with the routing REST API.)
 */
import { refuse, type Result } from '../../core/errors.js';
import type { WorkerFilter } from '../../service/ports.js';
import { PAGING, pageEnvelope, pagingOf } from './paging.js';
import {
  answer, created, deleted, ifMatchVersion, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { flag, formParams, jsonObject, required, sid, text, unsupported } from './rest-params.js';
import { restWorker, workerEtag } from './wire.js';

const OTHER_FILTERS = 'filter with ActivityName, ActivitySid, Available or FriendlyName';
const LIST_WORKERS = {
  querystring: formParams({
    ActivitySid: text(), ActivityName: text(), Available: flag(), FriendlyName: text(),
    TargetWorkersExpression: unsupported(OTHER_FILTERS), TaskQueueSid: unsupported(OTHER_FILTERS), TaskQueueName: unsupported(OTHER_FILTERS),
    Ordering: unsupported('workers are listed in creation order'),
    ...PAGING,
  }),
};

async function listWorkers(call: RestCall<typeof LIST_WORKERS>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const q = call.query;
  const filter: WorkerFilter = { activitySid: q.ActivitySid, activityName: q.ActivityName, available: q.Available, friendlyName: q.FriendlyName };
  const paging = pagingOf(q);
  const page = await deps.store.pageWorkers(workspace.value.sid, filter, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((w) => restWorker(w, call.links));
  return answer(pageEnvelope('workers', items, page.value, paging, { url: call.url, query: call.rawQuery }));
}

const CREATE_WORKER = { body: formParams({ FriendlyName: required(text()), ActivitySid: sid('activity'), Attributes: jsonObject({ default: '{}' }) }) };

async function createWorker(call: RestCall<typeof CREATE_WORKER>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const { FriendlyName: friendlyName, ActivitySid: activitySid } = call.body;
  const result = await deps.admin.createWorker({
    workspaceSid: workspace.value.sid, friendlyName, attributes: call.body.Attributes ?? '{}', actor: call.principal.credentialSid, ...(activitySid ? { activitySid } : {}),
  });
  return result.ok ? created(restWorker(result.value, call.links), workerEtag(result.value)) : result;
}

async function fetchWorker(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const worker = await deps.store.findWorker(workspace.value.sid, call.path.workerSid ?? '');
  if (!worker) return refuse('not-found', `Worker ${call.path.workerSid} was not found`);
  return answer(restWorker(worker, call.links), workerEtag(worker));
}

const UPDATE_WORKER = {
  body: formParams({ ActivitySid: sid('activity'), RejectPendingReservations: flag({ default: false }), Attributes: jsonObject(), FriendlyName: text() }),
};

async function updateWorker(call: RestCall<typeof UPDATE_WORKER>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  const { ActivitySid: activitySid, Attributes: attributes, FriendlyName: friendlyName } = call.body;
  const rejectPendingReservations = call.body.RejectPendingReservations ?? false;
  if (!version.ok) return version;
  const result = await deps.admin.updateWorker({
    workspaceSid: workspace.value.sid,
    workerSid: call.path.workerSid ?? '',
    actor: call.principal.credentialSid,
    cause: 'api',
    activitySid,
    rejectPendingReservations,
    attributes,
    friendlyName,
    ifMatchVersion: version.value,
  });
  return result.ok ? answer(restWorker(result.value, call.links), workerEtag(result.value)) : result;
}

async function deleteWorker(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  if (!version.ok) return version;
  const result = await deps.admin.deleteWorker({
    workspaceSid: workspace.value.sid, workerSid: call.path.workerSid ?? '', actor: call.principal.credentialSid, ifMatchVersion: version.value,
  });
  return result.ok ? deleted() : result;
}

export const WORKER_ROUTES: readonly RestRoute[] = [
  route('GET', '/Workspaces/:workspaceSid/Workers', LIST_WORKERS, listWorkers),
  route('POST', '/Workspaces/:workspaceSid/Workers', CREATE_WORKER, createWorker),
  route('GET', '/Workspaces/:workspaceSid/Workers/:workerSid', {}, fetchWorker),
  route('POST', '/Workspaces/:workspaceSid/Workers/:workerSid', UPDATE_WORKER, updateWorker),
  route('DELETE', '/Workspaces/:workspaceSid/Workers/:workerSid', {}, deleteWorker),
];
