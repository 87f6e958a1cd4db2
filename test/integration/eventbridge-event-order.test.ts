/**
 * Event order and content as the official SDK observes them: the envelope's answer comes before
 * the push its change causes (the SDK listens for `accepted` only once `accept()` resolved);
 * `task.*` events reach the workers holding the task before their reservations end; reservation
 * events carry the task as it is after the change; deleting an accepted task completes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once } from '../support/wait.js';
import { accountCredentials, restClient, type TwilioClient } from './rest-support.js';

let s: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await s?.close();
  s = null;
});

type SdkTask = { sid: string; status: string; attributes: Record<string, unknown>; reason: string | null; on(e: string, fn: (t: SdkTask) => void): void; once(e: string, fn: (t: SdkTask) => void): void; wrapUp(o?: object): Promise<SdkTask>; complete(r: string): Promise<SdkTask> };
type SdkReservation = { sid: string; status: string; task: SdkTask; accept(): Promise<SdkReservation>; on(e: string, fn: (r: SdkReservation) => void): void; once(e: string, fn: (r: SdkReservation) => void): void };

interface Setup { t: TestRollcall; client: TwilioClient; alice: SdkWorker; createTask(): Promise<SdkReservation> }

async function setup(): Promise<Setup> {
  const t = await startRollcall();
  s = t;
  const client = restClient(t.url, accountCredentials(t));
  const tr = client.taskrouter.v1.workspaces(t.workspaceSid);
  const queue = await tr.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
  const workflow = await tr.workflows.create({ friendlyName: 'Default', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
  await tr.workers(t.workerSid('alice')).workerChannels('default').update({ capacity: 5 });
  const alice = sdkWorker(await t.token('alice'), t.url);
  cleanups.push(() => alice.disconnect());
  await once(alice, 'ready');
  const updated = once(alice, 'activityUpdated');
  await alice.activities.get(t.activitySid('Available'))?.setAsCurrent();
  await updated;
  return {
    t, client, alice,
    async createTask() {
      const offered = once<SdkReservation>(alice, 'reservationCreated');
      await tr.tasks.create({ workflowSid: workflow.sid, attributes: '{"n":1}' });
      return offered;
    },
  };
}

describe('the order of answers and events', () => {
  it('answers accept() before the accepted event, which carries the task as it now is', async () => {
    const { createTask } = await setup();
    for (let i = 0; i < 5; i++) {
      const reservation = await createTask();
      const answered = await reservation.accept();
      expect(answered.status).toBe('accepted');
      expect(answered.task.status).toBe('reserved');
      // Registered only now, as the SDK's own specs do: the event must still be to come.
      const event = await once<SdkReservation>(reservation, 'accepted', 3000);
      expect(event.task.status).toBe('assigned');
      await reservation.task.complete('done');
    }
  });
});

describe('task events reach the worker holding the task', () => {
  it('task.updated, then task.wrapup and task.completed before the reservation completes', async () => {
    const { t, client, createTask } = await setup();
    const reservation = await createTask();
    const tasks = client.taskrouter.v1.workspaces(t.workspaceSid).tasks(reservation.task.sid);
    const updated = once<SdkTask>(reservation.task, 'updated');
    await tasks.update({ attributes: '{"n":2}' });
    expect((await updated).attributes).toEqual({ n: 2 });
    const accepted = once(reservation, 'accepted');
    await reservation.accept();
    await accepted;
    const seen: string[] = [];
    reservation.task.on('wrapup', () => seen.push('task.wrapup'));
    reservation.on('wrapup', () => seen.push('reservation.wrapup'));
    reservation.task.on('completed', () => seen.push('task.completed'));
    const completed = once<SdkReservation>(reservation, 'completed');
    await tasks.update({ assignmentStatus: 'wrapping', reason: 'almost' });
    await tasks.update({ assignmentStatus: 'completed', reason: 'done' });
    const done = await completed;
    expect(seen).toEqual(['task.wrapup', 'reservation.wrapup', 'task.completed']);
    expect({ status: done.task.status, reason: done.task.reason }).toEqual({ status: 'completed', reason: 'done' });
  });

  it('task.canceled reaches the worker with a pending offer, then the offer is canceled', async () => {
    const { t, client, createTask } = await setup();
    const reservation = await createTask();
    const canceledTask = once<SdkTask>(reservation.task, 'canceled');
    const canceledReservation = once<SdkReservation>(reservation, 'canceled');
    await client.taskrouter.v1.workspaces(t.workspaceSid).tasks(reservation.task.sid).update({ assignmentStatus: 'canceled', reason: 'customer hung up' });
    expect((await canceledTask).reason).toBe('customer hung up');
    expect((await canceledReservation).task.status).toBe('canceled');
  });

  it('deleting a task with an accepted reservation completes the reservation', async () => {
    const { t, client, alice, createTask } = await setup();
    const reservation = await createTask();
    // Listen before accepting: the push may be handled in the same turn as the answer.
    const accepted = once(reservation, 'accepted');
    await reservation.accept();
    await accepted;
    const completed = once<SdkReservation>(reservation, 'completed');
    await client.taskrouter.v1.workspaces(t.workspaceSid).tasks(reservation.task.sid).remove();
    expect((await completed).status).toBe('completed');
    expect(alice.reservations.size).toBe(0);
  });
});
