/**
 * `/TaskChannels` (list, fetch by SID or unique name, create, rename, delete) and a worker's
 * `/Workers/{WK}/Channels` (list, fetch by WorkerChannel SID, TaskChannel SID or unique name,
 * update `Capacity` and `Available`). Channel changes go through the routing service, so the
 * worker's routing view, its `worker.capacity.update` events and a new routing pass follow.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { TaskChannel } from '../../core/routing-resources.js';
import { PAGING, pagingOf } from './paging.js';
import {
  answer, created, deleted, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { flag, formParams, nonEmptyText, refine, required, text, whole } from './rest-params.js';
import { answerPage } from './routing-lists.js';
import { restTaskChannel, restWorkerChannel } from './routing-wire.js';

/** Routing has no cross-channel optimisation: asking for it is refused rather than ignored. */
const channelOptimizedRouting = () => refine(flag(), (v) => v, (name) => `${name} is not supported: every channel is routed on its own`);

async function taskChannelOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<TaskChannel>> {
  const key = call.path.taskChannelSid ?? '';
  const channel = await deps.routingStore.findTaskChannel(workspaceSid, key);
  return channel ? { ok: true, value: channel } : refuse('not-found', `TaskChannel ${key} was not found`);
}

const LIST = { querystring: formParams({ ...PAGING }) };

async function listTaskChannels(call: RestCall<typeof LIST>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const paging = pagingOf(call.query);
  const channels = await deps.routingStore.listTaskChannels(workspace.value.sid);
  return answerPage(call, 'channels', channels, paging, (c) => restTaskChannel(c, call.links));
}

const CREATE_TASK_CHANNEL = {
  body: formParams({ FriendlyName: required(nonEmptyText()), UniqueName: required(text()), ChannelOptimizedRouting: channelOptimizedRouting() }),
};

async function createTaskChannel(call: RestCall<typeof CREATE_TASK_CHANNEL>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const result = await deps.routing.createTaskChannel(workspace.value.sid, { uniqueName: call.body.UniqueName, friendlyName: call.body.FriendlyName });
  return result.ok ? created(restTaskChannel(result.value, call.links)) : result;
}

async function fetchTaskChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const channel = await taskChannelOf(call, deps, workspace.value.sid);
  return channel.ok ? answer(restTaskChannel(channel.value, call.links)) : channel;
}

const UPDATE_TASK_CHANNEL = { body: formParams({ FriendlyName: nonEmptyText(), ChannelOptimizedRouting: channelOptimizedRouting() }) };

async function updateTaskChannel(call: RestCall<typeof UPDATE_TASK_CHANNEL>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const friendlyName = call.body.FriendlyName;
  const channel = await taskChannelOf(call, deps, workspace.value.sid);
  if (!channel.ok) return channel;
  if (friendlyName === undefined) return answer(restTaskChannel(channel.value, call.links));
  // The store's verbs take the SID; the path may hold the unique name.
  const result = await deps.routingStore.updateTaskChannel(workspace.value.sid, channel.value.sid, { friendlyName });
  return result.ok ? answer(restTaskChannel(result.value, call.links)) : result;
}

async function deleteTaskChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const channel = await taskChannelOf(call, deps, workspace.value.sid);
  if (!channel.ok) return channel;
  const result = await deps.routing.deleteTaskChannel(workspace.value.sid, channel.value.sid);
  return result.ok ? deleted() : result;
}

async function listWorkerChannels(call: RestCall<typeof LIST>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const paging = pagingOf(call.query);
  const channels = await deps.routingStore.listWorkerChannels(workspace.value.sid, call.path.workerSid ?? '');
  if (!channels.ok) return channels;
  return answerPage(call, 'channels', channels.value, paging, (c) => restWorkerChannel(c, call.links));
}

async function fetchWorkerChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const workerSid = call.path.workerSid ?? '';
  const key = call.path.workerChannelSid ?? '';
  const channels = await deps.routingStore.listWorkerChannels(workspace.value.sid, workerSid);
  if (!channels.ok) return channels;
  const channel = channels.value.find((c) => c.sid === key || c.taskChannelSid === key || c.taskChannelUniqueName === key);
  return channel ? answer(restWorkerChannel(channel, call.links)) : refuse('not-found', `Worker ${workerSid} has no channel ${key}`);
}

const UPDATE_WORKER_CHANNEL = {
  // The bounds are the store's (it names them in its refusal); here only "a whole number".
  body: formParams({ Capacity: whole(0, Number.MAX_SAFE_INTEGER), Available: flag() }),
};

async function updateWorkerChannel(call: RestCall<typeof UPDATE_WORKER_CHANNEL>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const { Capacity: capacity, Available: available } = call.body;
  const result = await deps.routing.updateWorkerChannel(workspace.value.sid, call.path.workerSid ?? '', call.path.workerChannelSid ?? '', {
    ...(capacity !== undefined ? { capacity } : {}),
    ...(available !== undefined ? { available } : {}),
  });
  return result.ok ? answer(restWorkerChannel(result.value, call.links)) : result;
}

const WS = '/Workspaces/:workspaceSid';

export const ROUTING_CHANNEL_ROUTES: readonly RestRoute[] = [
  route('GET', `${WS}/TaskChannels`, LIST, listTaskChannels),
  route('POST', `${WS}/TaskChannels`, CREATE_TASK_CHANNEL, createTaskChannel),
  route('GET', `${WS}/TaskChannels/:taskChannelSid`, {}, fetchTaskChannel),
  route('POST', `${WS}/TaskChannels/:taskChannelSid`, UPDATE_TASK_CHANNEL, updateTaskChannel),
  route('DELETE', `${WS}/TaskChannels/:taskChannelSid`, {}, deleteTaskChannel),
  route('GET', `${WS}/Workers/:workerSid/Channels`, LIST, listWorkerChannels),
  route('GET', `${WS}/Workers/:workerSid/Channels/:workerChannelSid`, {}, fetchWorkerChannel),
  route('POST', `${WS}/Workers/:workerSid/Channels/:workerChannelSid`, UPDATE_WORKER_CHANNEL, updateWorkerChannel),
];
