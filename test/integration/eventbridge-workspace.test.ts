/**
 * The SDK's `Workspace` class (a token with a workspace and no worker) over the envelope: task
 * queues and workers listed with each filter, ordered and paged, one queue, worker and task
 * fetched, and refusals as Twilio answers them (400 for a malformed filter value, naming it; 404
 * for an unknown SID).
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as TaskRouterSdk from 'twilio-taskrouter';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, restClient, type TwilioClient } from './rest-support.js';

const require = createRequire(import.meta.url);
const { Workspace } = require('twilio-taskrouter') as typeof TaskRouterSdk;

let s: TestRollcall;
let client: TwilioClient;
let adminToken: string;
const queues: Record<string, string> = {};
let taskSid: string;

function workspace(options: Record<string, unknown> = {}): InstanceType<typeof Workspace> {
  return new Workspace(adminToken, { ebServer: `${s.url}/v1/wschannels`, wsServer: `${s.url.replace(/^http/, 'ws')}/v1/wschannels`, logLevel: 'silent', ...options });
}

async function workspaceToken(role: 'admin' | 'worker'): Promise<string> {
  const { account, apiKey } = s.rollcall.installation;
  return issueAccessToken({ accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: s.workspaceSid, identity: 'supervisor', role, ttlS: 600, nowMs: Date.now() });
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the call should have failed');
}

beforeAll(async () => {
  s = await startRollcall();
  client = restClient(s.url, accountCredentials(s));
  const tr = client.taskrouter.v1.workspaces(s.workspaceSid);
  for (const [name, target] of [['test', '1==1'], ['test1', '1==1'], ['notBob', 'missingAttribute == "foo"']] as const) {
    queues[name] = (await tr.taskQueues.create({ friendlyName: name, targetWorkers: target })).sid;
  }
  await tr.taskQueues(queues.test1 ?? '').update({ friendlyName: 'test1' });
  const workflow = await tr.workflows.create({ friendlyName: 'Default', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queues.test } } }) });
  taskSid = (await tr.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' })).sid;
  await tr.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Break') });
  adminToken = await workspaceToken('admin');
});

afterAll(async () => s.close());

describe('Workspace.fetchTaskQueues', () => {
  it('lists every queue, or those FriendlyName names', async () => {
    expect([...(await workspace().fetchTaskQueues()).keys()].sort()).toEqual(Object.values(queues).sort());
    const byName = await workspace().fetchTaskQueues({ FriendlyName: 'test' });
    expect([...byName.values()].map((q) => q.name)).toEqual(['test']);
    expect((await workspace().fetchTaskQueues({ FriendlyName: 'aaa' })).size).toBe(0);
  });

  it('keeps the queues whose TargetWorkers match the worker WorkerSid names', async () => {
    const map = await workspace().fetchTaskQueues({ WorkerSid: s.workerSid('bob') });
    expect([...map.keys()].sort()).toEqual([queues.test, queues.test1].sort());
  });

  it('pages after AfterSid, and refuses one that is not a queue SID, naming it', async () => {
    const after = await workspace().fetchTaskQueues({ AfterSid: queues.test });
    expect([...after.keys()]).toEqual([queues.test1, queues.notBob]);
    expect(await rejection(workspace().fetchTaskQueues({ AfterSid: 'WK0000000000000000000000000000000000' })))
      .toMatch(/status code 400.*AfterSid WK0000000000000000000000000000000000/);
  });

  it('orders by DateUpdated both ways, across pages of one', async () => {
    const desc = [...(await workspace().fetchTaskQueues({ Ordering: 'DateUpdated:desc' })).values()];
    const asc = [...(await workspace({ pageSize: 1 }).fetchTaskQueues({ Ordering: 'DateUpdated:asc' })).values()];
    expect(asc).toHaveLength(3);
    expect(asc.map((q) => q.sid)).toEqual(desc.map((q) => q.sid).reverse());
    for (let i = 1; i < asc.length; i++) expect(asc[i]?.dateUpdated.getTime()).toBeGreaterThanOrEqual(asc[i - 1]?.dateUpdated.getTime() ?? 0);
    expect(await rejection(workspace().fetchTaskQueues({ Ordering: 'Size:asc' } as unknown as { Ordering: 'DateUpdated:asc' }))).toMatch(/status code 400.*Ordering Size:asc/);
  });

  it('fetches one queue, and answers 404 for an unknown SID', async () => {
    const queue = await workspace().fetchTaskQueue(queues.notBob ?? '');
    expect({ sid: queue.sid, name: queue.name, targetWorkers: queue.targetWorkers }).toEqual({ sid: queues.notBob, name: 'notBob', targetWorkers: 'missingAttribute == "foo"' });
    expect(await rejection(workspace().fetchTaskQueue('WQ0000000000000000000000000000000000'))).toMatch(/status code 404/);
  });
});

describe('Workspace.fetchWorkers', () => {
  it('lists every worker, at most MaxWorkers, or those FriendlyName names', async () => {
    expect((await workspace().fetchWorkers()).size).toBe(3);
    expect((await workspace({ pageSize: 1 }).fetchWorkers()).size).toBe(3);
    expect((await workspace({ pageSize: 2 }).fetchWorkers({ MaxWorkers: 1 })).size).toBe(1);
    expect([...(await workspace().fetchWorkers({ FriendlyName: 'bob' })).keys()]).toEqual([s.workerSid('bob')]);
    expect((await workspace().fetchWorkers({ FriendlyName: 'Alex' })).size).toBe(0);
  });

  it('filters by ActivitySid and ActivityName, and refuses a malformed ActivitySid naming it', async () => {
    expect([...(await workspace().fetchWorkers({ ActivitySid: s.activitySid('Break') })).keys()]).toEqual([s.workerSid('bob')]);
    expect((await workspace().fetchWorkers({ ActivityName: 'Offline' })).size).toBe(2);
    expect((await workspace().fetchWorkers({ ActivityName: 'I' })).size).toBe(0);
    expect(await rejection(workspace().fetchWorkers({ ActivitySid: 'WAxxx' }))).toMatch(/status code 400.*ActivitySid WAxxx/);
  });

  it('filters by TargetWorkersExpression on attributes and on the worker SID', async () => {
    const bob = s.workerSid('bob');
    expect([...(await workspace().fetchWorkers({ TargetWorkersExpression: `sid IN ['${bob}']` })).keys()]).toEqual([bob]);
    expect((await workspace().fetchWorkers({ TargetWorkersExpression: 'skills HAS "support"' })).size).toBe(3);
    expect(await rejection(workspace().fetchWorkers({ TargetWorkersExpression: 'skills HAS' }))).toMatch(/status code 400.*TargetWorkersExpression/);
  });

  it('pages after AfterSid and orders by DateStatusChanged across pages of one', async () => {
    const all = [...(await workspace().fetchWorkers()).keys()];
    expect([...(await workspace().fetchWorkers({ AfterSid: all[0] })).keys()]).toEqual(all.slice(1));
    expect(await rejection(workspace().fetchWorkers({ AfterSid: 'WK0000000000000000000000000000000000' }))).toMatch(/status code 400/);
    const desc = [...(await workspace({ pageSize: 1 }).fetchWorkers({ Ordering: 'DateStatusChanged:desc' })).values()];
    expect(desc).toHaveLength(3);
    expect(desc[0]?.sid).toBe(s.workerSid('bob'));
    for (let i = 1; i < desc.length; i++) expect(desc[i]?.dateStatusChanged.getTime()).toBeLessThanOrEqual(desc[i - 1]?.dateStatusChanged.getTime() ?? 0);
  });

  it('fetches one worker, and answers 404 for an unknown SID', async () => {
    expect((await workspace().fetchWorker(s.workerSid('carol'))).friendlyName).toBe('carol');
    expect(await rejection(workspace().fetchWorker('WQ0000000000000000000000000000000000'))).toMatch(/status code 404/);
  });
});

describe('Workspace.fetchTask and the workspace token', () => {
  it('fetches a task, and answers 404 for an unknown SID', async () => {
    const task = await workspace().fetchTask(taskSid);
    expect({ sid: task.sid, attributes: task.attributes }).toEqual({ sid: taskSid, attributes: { type: 'support' } });
    expect(await rejection(workspace().fetchTask('WT0000000000000000000000000000000000'))).toMatch(/status code 404/);
  });

  it('reads lists with the worker role too, but cannot fetch tasks or open the agent channel', async () => {
    const token = await workspaceToken('worker');
    const reader = new Workspace(token, { ebServer: `${s.url}/v1/wschannels`, wsServer: `${s.url.replace(/^http/, 'ws')}/v1/wschannels`, logLevel: 'silent' });
    expect((await reader.fetchWorkers()).size).toBe(3);
    expect(await rejection(reader.fetchTask(taskSid))).toMatch(/status code 403/);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/wschannels?token=${token}`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('the upgrade was accepted')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });
});
