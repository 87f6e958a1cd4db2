/**
 * What the SDK's `Workspace` class reads over the envelope (a token with a workspace and, usually,
 * no worker): the workers list (`FriendlyName`, `ActivitySid`, `ActivityName`,
 * `TargetWorkersExpression`, `Available`, `Ordering=DateStatusChanged|DateCreated:asc|desc`), the
 * task queues list (`FriendlyName`, `WorkerSid`, `EvaluateWorkerAttributes`,
 * `Ordering=DateUpdated|DateCreated:asc|desc`) and one task queue. Pages: `PageSize`, then
 * `AfterSid` (the answer's `after_sid`), or with `Ordering` `NextToken` (the answer's
 * `meta.next_token`): both name the last item seen.
 */
import { parseJsonObject } from '../../core/json-object.js';
import { refuse, type Result } from '../../core/errors.js';
import { evaluate, parseExpression } from '../../core/expressions.js';
import { pageAfter, parseOrdering, workerDocument, type Compare, type OrderKey } from '../../core/listing.js';
import type { Worker } from '../../core/resources.js';
import type { TaskQueue } from '../../core/routing-resources.js';
import { isSid, type SidKind } from '../../core/sids.js';
import type { TaskRouterGrant } from '../../service/access-tokens.js';
import type { Store } from '../../service/ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import { clampPageSize, ebTaskQueue, ebWorker } from './dialect.js';

export interface WorkspaceEnvelopeDeps {
  readonly store: Store;
  readonly routingStore: RoutingStore;
}

type Params = Record<string, unknown>;

const LIST = /^\/?(?:v1\/)?Workspaces\/([^/]+)\/(Workers|TaskQueues)(?:\/([^/]+))?\/?$/;

const WORKER_ORDER: readonly OrderKey<Worker>[] = [
  { name: 'DateStatusChanged', value: (w) => w.statusChangedAt },
  { name: 'DateCreated', value: (w) => w.createdAt },
];
const QUEUE_ORDER: readonly OrderKey<TaskQueue>[] = [
  { name: 'DateUpdated', value: (q) => q.updatedAt },
  { name: 'DateCreated', value: (q) => q.createdAt },
];

/** Answers the call if it is a workspace list route; null when the path is not one. */
export async function routeWorkspace(deps: WorkspaceEnvelopeDeps, grant: TaskRouterGrant, path: string, method: string, params: Params): Promise<Result<unknown> | null> {
  const match = LIST.exec(path);
  if (!match || method !== 'GET') return null;
  const [, wsSid = '', resource, itemSid] = match;
  if (resource === 'Workers' && itemSid !== undefined) return null;
  if (wsSid !== grant.workspaceSid) return refuse('forbidden', `The token does not grant access to workspace ${wsSid}`);
  if (resource === 'Workers') return listWorkers(deps, wsSid, params);
  if (itemSid === undefined) return listQueues(deps, wsSid, params);
  const queue = await deps.routingStore.findTaskQueue(wsSid, itemSid);
  if (!queue) return refuse('not-found', `TaskQueue ${itemSid} was not found`);
  return { ok: true, value: ebTaskQueue(queue, await deps.store.listActivities(wsSid)) };
}

async function listWorkers(deps: WorkspaceEnvelopeDeps, wsSid: string, params: Params): Promise<Result<unknown>> {
  const text = readStrings(params, ['FriendlyName', 'ActivitySid', 'ActivityName', 'TargetWorkersExpression', 'Available']);
  if (!text.ok) return text;
  const { FriendlyName: name, ActivitySid: activitySid, ActivityName: activityName, TargetWorkersExpression: target, Available: available } = text.value;
  if (activitySid !== undefined && !isSid('activity', activitySid)) return refuse('invalid-parameter', `ActivitySid ${activitySid} is not an activity SID (WA followed by 32 hex digits)`, 'ActivitySid');
  if (available !== undefined && available !== 'true' && available !== 'false') return refuse('invalid-parameter', `Available ${available} must be true or false`, 'Available');
  const expression = target === undefined ? null : parseExpression(target);
  if (expression && !expression.ok) return refuse('invalid-parameter', `TargetWorkersExpression ${target ?? ''} is not valid: ${expression.refusal.message}`, 'TargetWorkersExpression');
  const order = parseOrdering(params.Ordering, WORKER_ORDER);
  if (!order.ok) return order;
  const keep = (w: Worker): boolean =>
    (name === undefined || w.friendlyName === name) && (activitySid === undefined || w.activitySid === activitySid) &&
    (activityName === undefined || w.activityName === activityName) && (available === undefined || String(w.available) === available) &&
    (expression === null || (expression.ok && evaluate(expression.value, { worker: workerDocument(w), defaultScope: 'worker' })));
  return page(await deps.store.listWorkers(wsSid), keep, order.value, params, 'worker', ebWorker);
}

async function listQueues(deps: WorkspaceEnvelopeDeps, wsSid: string, params: Params): Promise<Result<unknown>> {
  const text = readStrings(params, ['FriendlyName', 'WorkerSid', 'EvaluateWorkerAttributes']);
  if (!text.ok) return text;
  const { FriendlyName: name, WorkerSid: workerSid, EvaluateWorkerAttributes: evaluated } = text.value;
  let workerAttributes: Record<string, unknown> | null = null;
  if (evaluated !== undefined) {
    const parsed = parseJsonObject(evaluated);
    if (!parsed) return refuse('invalid-parameter', `EvaluateWorkerAttributes ${evaluated} is not a JSON object`, 'EvaluateWorkerAttributes');
    workerAttributes = parsed;
  } else if (workerSid !== undefined) {
    if (!isSid('worker', workerSid)) return refuse('invalid-parameter', `WorkerSid ${workerSid} is not a worker SID (WK followed by 32 hex digits)`, 'WorkerSid');
    const worker = await deps.store.findWorker(wsSid, workerSid);
    if (!worker) return refuse('not-found', `Worker ${workerSid} was not found`);
    workerAttributes = parseJsonObject(worker.attributes) ?? {};
  }
  const order = parseOrdering(params.Ordering, QUEUE_ORDER);
  if (!order.ok) return order;
  const keep = (q: TaskQueue): boolean => {
    if (name !== undefined && q.friendlyName !== name) return false;
    if (workerAttributes === null) return true;
    const parsed = parseExpression(q.targetWorkers);
    return parsed.ok && evaluate(parsed.value, { worker: workerAttributes, defaultScope: 'worker' });
  };
  const activities = await deps.store.listActivities(wsSid);
  return page(await deps.routingStore.listTaskQueues(wsSid), keep, order.value, params, 'taskQueue', (q) => ebTaskQueue(q, activities));
}

function page<T extends { sid: string }>(
  all: readonly T[], keep: (item: T) => boolean, order: Compare<T> | null, params: Params, kind: SidKind, render: (item: T) => Record<string, unknown>,
): Result<unknown> {
  const field = order ? 'NextToken' : 'AfterSid';
  const cursor = params[field];
  if (cursor !== undefined && cursor !== null && cursor !== '' && !isSid(kind, cursor)) {
    return refuse('invalid-parameter', `${field} ${String(cursor)} is not a ${kind === 'worker' ? 'worker' : 'task queue'} SID from this list`, field);
  }
  const sorted = order ? [...all].sort(order) : all;
  const result = pageAfter(sorted, keep, typeof cursor === 'string' && cursor !== '' ? { field, sid: cursor } : null, clampPageSize(params.PageSize));
  if (!result.ok) return result;
  const { items, next } = result.value;
  return { ok: true, value: { contents: items.map(render), after_sid: next, meta: { next_token: next, page_size: clampPageSize(params.PageSize) } } };
}

/** The named params, each a string when present (numbers and booleans as the SDK may send them). */
function readStrings<K extends string>(params: Params, names: readonly K[]): Result<Partial<Record<K, string>>> {
  const out: Partial<Record<K, string>> = {};
  for (const name of names) {
    const v = params[name];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return refuse('invalid-parameter', `${name} must be a string`, name);
    out[name] = String(v);
  }
  return { ok: true, value: out };
}
