/**
 * `/TaskChannels` (list, fetch by SID or unique name, create, rename, delete) and a worker's
 * `/Workers/{WK}/Channels` (list, fetch by WorkerChannel SID, TaskChannel SID or unique name,
 * update `Capacity` and `Available`). Channel changes go through the routing service, so the
 * worker's routing view, its `worker.capacity.update` events and a new routing pass follow.
 */
import { refuse, type Result } from '../../core/errors.js';
import type { TaskChannel } from '../../core/routing-resources.js';
import { readPaging } from './paging.js';
import { ParamReader } from './params.js';
import {
  answer, created, deleted, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute,
} from './rest-api.js';
import { answerPage } from './routing-lists.js';
import { restTaskChannel, restWorkerChannel } from './routing-wire.js';

/** Routing has no cross-channel optimisation: asking for it is refused rather than ignored. */
function readChannelOptimizedRouting(p: ParamReader): void {
  if (p.boolean('ChannelOptimizedRouting') === true) p.fail('ChannelOptimizedRouting', 'ChannelOptimizedRouting is not supported: every channel is routed on its own');
}

async function taskChannelOf(call: RestCall, deps: RestDeps, workspaceSid: string): Promise<Result<TaskChannel>> {
  const key = call.path.taskChannelSid ?? '';
  const channel = await deps.routingStore.findTaskChannel(workspaceSid, key);
  return channel ? { ok: true, value: channel } : refuse('not-found', `TaskChannel ${key} was not found`);
}

async function listTaskChannels(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const channels = await deps.routingStore.listTaskChannels(workspace.value.sid);
  return answerPage(call, 'channels', channels, paging, (c) => restTaskChannel(c, call.links));
}

async function createTaskChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const friendlyName = p.required('FriendlyName');
  const uniqueName = p.required('UniqueName');
  readChannelOptimizedRouting(p);
  if (friendlyName.trim() === '' && !p.refusal) p.fail('FriendlyName', 'FriendlyName must not be empty');
  if (p.refusal) return p.refusal;
  const result = await deps.routing.createTaskChannel(workspace.value.sid, { uniqueName, friendlyName });
  return result.ok ? created(restTaskChannel(result.value, call.links)) : result;
}

async function fetchTaskChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const channel = await taskChannelOf(call, deps, workspace.value.sid);
  return channel.ok ? answer(restTaskChannel(channel.value, call.links)) : channel;
}

async function updateTaskChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  const friendlyName = p.string('FriendlyName');
  readChannelOptimizedRouting(p);
  if (friendlyName !== undefined && friendlyName.trim() === '') p.fail('FriendlyName', 'FriendlyName must not be empty');
  if (p.refusal) return p.refusal;
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

async function listWorkerChannels(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
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

async function updateWorkerChannel(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.body);
  // The bounds are the store's (it names them in its refusal); here only "a whole number".
  const capacity = p.integer('Capacity', 0, Number.MAX_SAFE_INTEGER);
  const available = p.boolean('Available');
  if (p.refusal) return p.refusal;
  const result = await deps.routing.updateWorkerChannel(workspace.value.sid, call.path.workerSid ?? '', call.path.workerChannelSid ?? '', {
    ...(capacity !== undefined ? { capacity } : {}),
    ...(available !== undefined ? { available } : {}),
  });
  return result.ok ? answer(restWorkerChannel(result.value, call.links)) : result;
}

const WS = '/Workspaces/:workspaceSid';

export const ROUTING_CHANNEL_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: `${WS}/TaskChannels`, handler: listTaskChannels },
  { method: 'POST', url: `${WS}/TaskChannels`, handler: createTaskChannel },
  { method: 'GET', url: `${WS}/TaskChannels/:taskChannelSid`, handler: fetchTaskChannel },
  { method: 'POST', url: `${WS}/TaskChannels/:taskChannelSid`, handler: updateTaskChannel },
  { method: 'DELETE', url: `${WS}/TaskChannels/:taskChannelSid`, handler: deleteTaskChannel },
  { method: 'GET', url: `${WS}/Workers/:workerSid/Channels`, handler: listWorkerChannels },
  { method: 'GET', url: `${WS}/Workers/:workerSid/Channels/:workerChannelSid`, handler: fetchWorkerChannel },
  { method: 'POST', url: `${WS}/Workers/:workerSid/Channels/:workerChannelSid`, handler: updateWorkerChannel },
];
