/**
 * `/v1/Workspaces/{WS}/Workers`: list with filters, create, fetch, update (activity, attributes,
 * name; `If-Match` against the ETag), delete. A REST activity change has cause `api` and the key
 * (or account) as actor. (A worker's channels and reservations come with the routing REST API.)
 */
import { refuse, type Result } from '../../core/errors.js';
import type { WorkerFilter } from '../../service/ports.js';
import { pageEnvelope, readPaging } from './paging.js';
import { ParamReader } from './params.js';
import {
  answer, created, deleted, ifMatchVersion, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { restWorker, workerEtag } from './wire.js';

async function listWorkers(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const filter: WorkerFilter = {
    activitySid: p.string('ActivitySid'),
    activityName: p.string('ActivityName'),
    available: p.boolean('Available'),
    friendlyName: p.string('FriendlyName'),
  };
  p.unsupported('TargetWorkersExpression', 'filter with ActivityName, ActivitySid, Available or FriendlyName');
  p.unsupported('TaskQueueSid', 'filter with ActivityName, ActivitySid, Available or FriendlyName');
  p.unsupported('TaskQueueName', 'filter with ActivityName, ActivitySid, Available or FriendlyName');
  p.unsupported('Ordering', 'workers are listed in creation order');
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const page = await deps.store.pageWorkers(workspace.value.sid, filter, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((w) => restWorker(w, call.links));
  return answer(pageEnvelope('workers', items, page.value, paging, { url: call.url, query: call.query }));
}

async function createWorker(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const friendlyName = p.required('FriendlyName');
  const activitySid = p.sid('activity', 'ActivitySid');
  const attributes = p.attributes() ?? '{}';
  if (p.refusal) return p.refusal;
  const result = await deps.admin.createWorker({
    workspaceSid: workspace.value.sid, friendlyName, attributes, actor: call.principal.credentialSid, ...(activitySid ? { activitySid } : {}),
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

async function updateWorker(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const version = ifMatchVersion(call);
  const p = new ParamReader(call.body);
  const activitySid = p.sid('activity', 'ActivitySid');
  const rejectPendingReservations = p.boolean('RejectPendingReservations') ?? false;
  const attributes = p.attributes();
  const friendlyName = p.string('FriendlyName');
  if (p.refusal) return p.refusal;
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
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers', handler: listWorkers },
  { method: 'POST', url: '/Workspaces/:workspaceSid/Workers', handler: createWorker },
  { method: 'GET', url: '/Workspaces/:workspaceSid/Workers/:workerSid', handler: fetchWorker },
  { method: 'POST', url: '/Workspaces/:workspaceSid/Workers/:workerSid', handler: updateWorker },
  { method: 'DELETE', url: '/Workspaces/:workspaceSid/Workers/:workerSid', handler: deleteWorker },
];
