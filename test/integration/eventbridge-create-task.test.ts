/**
 * Tasks a worker makes for itself (`worker.createTask`, the outbound contact): placed in the queue
 * it names and offered to that worker only (`routing_target`); and `VirtualStartTime`, applied
 * through the SDK and REST, and refused when in the future with a message that says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once } from '../support/wait.js';
import { accountCredentials, expectRestError, restClient, type TwilioClient } from './rest-support.js';

let s: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await s?.close();
  s = null;
});

interface Setup { s: TestRollcall; client: TwilioClient; workflowSid: string; queueSid: string }

async function setup(): Promise<Setup> {
  s = await startRollcall();
  const client = restClient(s.url, accountCredentials(s));
  const tr = client.taskrouter.v1.workspaces(s.workspaceSid);
  const queue = await tr.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
  const other = await tr.taskQueues.create({ friendlyName: 'Nobody', targetWorkers: '1==2' });
  const workflow = await tr.workflows.create({ friendlyName: 'Default', configuration: JSON.stringify({ task_routing: { default_filter: { queue: other.sid } } }) });
  return { s, client, workflowSid: workflow.sid, queueSid: queue.sid };
}

type SdkTask = { sid: string; routingTarget: string | null; attributes: Record<string, unknown>; queueSid: string; virtualStartTime: Date; age: number; setVirtualStartTime(d: Date): Promise<SdkTask> };
type SdkReservation = { sid: string; task: SdkTask };

async function agent(t: TestRollcall, name: string): Promise<SdkWorker> {
  const worker = sdkWorker(await t.token(name), t.url);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  const updated = once(worker, 'activityUpdated');
  await worker.activities.get(t.activitySid('Available'))?.setAsCurrent();
  await updated;
  return worker;
}

describe('worker.createTask', () => {
  it('makes an outbound task in the named queue, offered to the worker who made it and nobody else', async () => {
    const { s: t, client, workflowSid, queueSid } = await setup();
    const bob = await agent(t, 'bob');
    const alice = await agent(t, 'alice');
    const offers: string[] = [];
    bob.on('reservationCreated', (r: SdkReservation) => offers.push(r.task.sid));
    const offered = once<SdkReservation>(alice, 'reservationCreated');
    const create = (alice as unknown as { createTask(to: string, from: string, ww: string, wq: string, o: object): Promise<string> }).createTask;
    const taskSid = await create.call(alice, 'customer', 'worker', workflowSid, queueSid, { attributes: { type: 'outbound' }, taskChannelUniqueName: 'default' });
    const reservation = await offered;
    expect(reservation.task.sid).toBe(taskSid);
    expect(reservation.task.routingTarget).toBe(t.workerSid('alice'));
    expect(reservation.task.queueSid).toBe(queueSid);
    expect(reservation.task.attributes).toEqual({ type: 'outbound', outbound_to: 'customer', from: 'worker' });
    const rest = await client.taskrouter.v1.workspaces(t.workspaceSid).tasks(taskSid).fetch();
    expect({ routingTarget: rest.routingTarget, queue: rest.taskQueueSid, status: rest.assignmentStatus }).toEqual({ routingTarget: t.workerSid('alice'), queue: queueSid, status: 'reserved' });
    expect(offers).toEqual([]);
  });

  it('refuses a worker token routing a task to someone else, and an unknown queue naming it', async () => {
    const { s: t, workflowSid, queueSid } = await setup();
    const post = async (params: Record<string, unknown>) => {
      const res = await fetch(`${t.url}/v1/wschannels`, { method: 'POST', body: JSON.stringify({ url: `Workspaces/${t.workspaceSid}/Tasks`, method: 'POST', params, token: await t.token('alice') }) });
      return { status: res.status, message: ((await res.json()) as { message: string }).message };
    };
    expect(await post({ WorkflowSid: workflowSid, TaskQueueSid: queueSid, RoutingTarget: t.workerSid('bob') })).toMatchObject({ status: 403 });
    const unknown = `WQ${'0'.repeat(32)}`;
    expect(await post({ WorkflowSid: workflowSid, TaskQueueSid: unknown, RoutingTarget: t.workerSid('alice') })).toEqual({ status: 400, message: `TaskQueueSid ${unknown} is not a task queue of this workspace` });
    expect(await post({ WorkflowSid: workflowSid, TaskQueueSid: queueSid, RoutingTarget: t.workerSid('alice'), VirtualStartTime: 'yesterday' }))
      .toEqual({ status: 400, message: 'VirtualStartTime yesterday is not an ISO 8601 date-time such as 2026-11-25T14:00:00Z' });
  });
});

describe('VirtualStartTime', () => {
  it('is set from the SDK, shown on the task, and refused in the future with a message that says so', async () => {
    const { s: t, client, queueSid } = await setup();
    const alice = await agent(t, 'alice');
    const direct = await client.taskrouter.v1.workspaces(t.workspaceSid).workflows.create({ friendlyName: 'Direct', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queueSid } } }) });
    const offered = once<SdkReservation>(alice, 'reservationCreated');
    await client.taskrouter.v1.workspaces(t.workspaceSid).tasks.create({ workflowSid: direct.sid, attributes: '{}' });
    const { task } = await offered;
    const past = new Date('2023-01-01T03:24:00Z');
    const updated = await task.setVirtualStartTime(past);
    expect(updated.virtualStartTime).toEqual(past);
    expect((await client.taskrouter.v1.workspaces(t.workspaceSid).tasks(task.sid).fetch()).virtualStartTime).toEqual(past);
    const tomorrow = new Date(Date.now() + 86_400_000);
    await expect(task.setVirtualStartTime(tomorrow)).rejects.toThrow(/VirtualStartTime .* is in the future/);
    expect(task.virtualStartTime).toEqual(past);
  });

  it('is taken on REST creation (age counts from it) and refused in the future', async () => {
    const { s: t, client, workflowSid } = await setup();
    const tasks = client.taskrouter.v1.workspaces(t.workspaceSid).tasks;
    const start = new Date(Date.now() - 3_600_000);
    const task = await tasks.create({ workflowSid, attributes: '{}', virtualStartTime: start });
    expect(task.virtualStartTime.getTime()).toBe(Math.floor(start.getTime() / 1000) * 1000);
    expect(task.age).toBeGreaterThanOrEqual(3600);
    await expectRestError(tasks.create({ workflowSid, attributes: '{}', virtualStartTime: new Date(Date.now() + 3_600_000) }), { status: 400, code: 20001, message: /is in the future/ });
    expect((await tasks.list()).map((x) => x.sid)).toEqual([task.sid]);
  });
});
