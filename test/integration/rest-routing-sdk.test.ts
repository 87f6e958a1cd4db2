/**
 * REST conformance for routing, part 3: tasks created and answered over REST (the official `twilio`
 * library) and offered to official `twilio-taskrouter` agents — accept over REST and complete,
 * `RejectPendingReservations` handing the task to the next agent, and the routing hold (rule 8)
 * turned off through the Workspace's Rollcall extension.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../support/tcp-proxy.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, expectRestError, restClient, type TwilioClient } from './rest-support.js';

let server: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await server?.close();
  server = null;
});

type Emitter = { once(event: string, fn: (value: unknown) => void): unknown };
type SdkReservation = Emitter & { sid: string; status: string; task: { sid: string; attributes: Record<string, unknown> } };

async function start() {
  // A long offline threshold: a dropped agent stays in the grace period for the whole test.
  server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '30' });
  const s = server;
  const client: TwilioClient = restClient(s.url, accountCredentials(s));
  const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
  const queue = await ws.taskQueues.create({ friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"' });
  const workflow = await ws.workflows.create({ friendlyName: 'Support', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
  return { s, client, ws, queue, workflow };
}

/**
 * Connects an agent and makes it Available. The offer listener is attached before it becomes
 * Available, because a waiting task is offered to it the moment it does.
 */
async function availableAgent(s: TestRollcall, name: string, baseUrl = s.url): Promise<{ worker: SdkWorker; offered: Promise<SdkReservation> }> {
  const worker = sdkWorker(await s.token(name), baseUrl);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  const offered = once<SdkReservation>(worker, 'reservationCreated');
  offered.catch(() => undefined);
  const updated = once(worker, 'activityUpdated');
  await worker.activities.get(s.activitySid('Available'))?.setAsCurrent();
  await updated;
  return { worker, offered };
}

describe('tasks over REST, offered to twilio-taskrouter agents', () => {
  it('offers a REST task to the connected agent, accepted over REST with If-Match, then completed over REST', async () => {
    const { s, ws, queue, workflow } = await start();
    const alice = await availableAgent(s, 'alice');
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}', taskChannel: 'voice' });
    const offer = await alice.offered;
    expect(offer.task.sid).toBe(task.sid);
    expect(offer.task.attributes).toEqual({ type: 'support' });

    const aliceSid = s.workerSid('alice');
    const viaWorker = ws.workers(aliceSid).reservations(offer.sid);
    const fetched = await viaWorker.fetchWithHttpInfo();
    expect(fetched.body).toMatchObject({
      sid: offer.sid, reservationStatus: 'pending', taskSid: task.sid, workerSid: aliceSid, workerName: 'alice',
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers/${aliceSid}/Reservations/${offer.sid}`,
    });
    expect((await ws.tasks(task.sid).reservations.list()).map((r) => [r.sid, r.url])).toEqual([[offer.sid, `${task.url}/Reservations/${offer.sid}`]]);
    expect((await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('reserved');
    expect((await ws.taskQueues(queue.sid).realTimeStatistics().fetch()).tasksByStatus).toMatchObject({ pending: 0, reserved: 1 });

    const accepted = once(offer, 'accepted');
    const etag = fetched.headers.etag as string;
    const answered = await viaWorker.updateWithHttpInfo({ reservationStatus: 'accepted', ifMatch: etag });
    expect(answered.body.reservationStatus).toBe('accepted');
    expect(answered.headers.etag).not.toBe(etag);
    await accepted; // the agent's SDK hears reservation.accepted
    await expectRestError(viaWorker.update({ reservationStatus: 'completed', ifMatch: etag }), { status: 412, code: 20412 });
    await expectRestError(viaWorker.update({ reservationStatus: 'rejected' }), { status: 400, code: 20001, message: /cannot change from accepted to rejected/ });
    expect((await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('assigned');
    const realtime = await ws.taskQueues(queue.sid).realTimeStatistics().fetch();
    expect(realtime).toMatchObject({ tasksByStatus: { reserved: 0, assigned: 1 }, totalEligibleWorkers: 3, totalAvailableWorkers: 1 });
    expect((await ws.workers(aliceSid).workerChannels('voice').fetch())).toMatchObject({ assignedTasks: 1, availableCapacityPercentage: 0 });

    const completed = once(offer, 'completed');
    const done = await ws.tasks(task.sid).update({ assignmentStatus: 'completed', reason: 'resolved' });
    expect(done).toMatchObject({ assignmentStatus: 'completed', reason: 'resolved' });
    await completed;
    expect((await viaWorker.fetch()).reservationStatus).toBe('completed');
    expect((await ws.workers(aliceSid).workerChannels('voice').fetch()).assignedTasks).toBe(0);
    const cumulative = await ws.taskQueues(queue.sid).cumulativeStatistics().fetch();
    expect(cumulative).toMatchObject({ reservationsCreated: 1, reservationsAccepted: 1, tasksCompleted: 1, tasksEntered: 1 });
    expect(cumulative.waitDurationUntilAccepted).toMatchObject({ min: expect.any(Number), max: expect.any(Number) });
  });

  it('ends the pending offer of a worker moved away with RejectPendingReservations, and offers the task to the next agent', async () => {
    const { s, ws, workflow } = await start();
    const alice = await availableAgent(s, 'alice');
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
    const first = await alice.offered;
    // Bob becomes available while alice holds the offer: the task is not offered twice.
    const bob = await availableAgent(s, 'bob');
    const ended = once(first, 'rejected');
    const moved = await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Break'), rejectPendingReservations: true });
    expect(moved.activityName).toBe('Break');
    await ended;
    const second = await bob.offered;
    expect(second.task.sid).toBe(task.sid);

    const reservations = await ws.tasks(task.sid).reservations.list();
    expect(reservations.map((r) => [r.workerName, r.reservationStatus])).toEqual([['alice', 'rejected'], ['bob', 'pending']]);
    expect((await ws.tasks(task.sid).reservations.list({ reservationStatus: 'rejected' })).map((r) => r.sid)).toEqual([first.sid]);
    expect((await ws.tasks(task.sid).reservations.list({ workerSid: s.workerSid('bob') })).map((r) => r.sid)).toEqual([second.sid]);
    expect(await ws.workers(s.workerSid('alice')).reservations.list({ reservationStatus: 'pending' })).toEqual([]);
    await expectRestError(ws.tasks(task.sid).reservations.list({ reservationStatus: 'lost' as 'pending' }), { status: 400, code: 20001, message: /ReservationStatus/ });

    // Bob accepts through the task's path, moving to another activity with the same request.
    await expectRestError(ws.tasks(task.sid).reservations(first.sid).update({ reservationStatus: 'accepted' }), { status: 400, code: 20001, message: /cannot change from rejected/ });
    await expectRestError(ws.workers(s.workerSid('alice')).reservations(second.sid).fetch(), { status: 404, code: 20404 });
    const accepted = once(second, 'accepted');
    const answer = await ws.tasks(task.sid).reservations(second.sid).update({ reservationStatus: 'accepted', workerActivitySid: s.activitySid('Unavailable') });
    expect(answer).toMatchObject({ reservationStatus: 'accepted', workerName: 'bob' });
    await accepted;
    expect((await ws.workers(s.workerSid('bob')).fetch()).activityName).toBe('Unavailable');
    expect((await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('assigned');
  });

  it('with MaxReservedWorkers 2, offers a rejected task to a third agent and never again to the one who rejected it', async () => {
    const { s, ws, queue, workflow } = await start();
    await ws.taskQueues(queue.sid).update({ maxReservedWorkers: 2 });
    const agents = new Map<string, Awaited<ReturnType<typeof availableAgent>>>();
    for (const name of ['alice', 'bob', 'carol']) agents.set(name, await availableAgent(s, name));
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
    const offers = await waitFor('two offers out', async () => {
      const list = await ws.tasks(task.sid).reservations.list({ reservationStatus: 'pending' });
      return list.length === 2 ? list : null;
    });
    const [rejected, kept] = offers;
    if (!rejected || !kept) throw new Error('two offers expected');
    const third = [...agents.keys()].find((name) => name !== rejected.workerName && name !== kept.workerName) ?? '';
    await ws.tasks(task.sid).reservations(rejected.sid).update({ reservationStatus: 'rejected' });
    // The room the rejection left goes to the agent who has not seen the task, not back to the one who refused it.
    const next = await (agents.get(third)?.offered ?? Promise.reject(new Error('no third agent')));
    expect(next.task.sid).toBe(task.sid);
    const all = await ws.tasks(task.sid).reservations.list();
    expect(all.map((r) => [r.workerName, r.reservationStatus]).sort()).toEqual(
      [[rejected.workerName, 'rejected'], [kept.workerName, 'pending'], [third, 'pending']].sort(),
    );
  });

  it('offers to a disconnected, still Available agent in the grace period once the routing hold is turned off', async () => {
    const { s, client, ws, workflow } = await start();
    const workspaceUrl = `${s.url}/v1/Workspaces/${s.workspaceSid}`;
    const hold = async (data?: Record<string, string>): Promise<unknown> => {
      const response = await client.request(data ? { method: 'post', uri: workspaceUrl, data } : { method: 'get', uri: workspaceUrl });
      expect(response.statusCode).toBe(200);
      const body = (typeof response.body === 'string' ? JSON.parse(response.body) : response.body) as Record<string, unknown>;
      return body.routing_hold_while_disconnected;
    };
    expect(await hold()).toBe(true);
    expect(await hold({ RoutingHoldWhileDisconnected: 'false' })).toBe(false);
    expect(await hold()).toBe(false);
    // The typed library ignores the extension but is not disturbed by it.
    expect((await ws.fetch()).friendlyName).toBe('Rollcall');
    const refused = await client.request({ method: 'post', uri: workspaceUrl, data: { RoutingHoldWhileDisconnected: 'maybe' } });
    expect(refused.statusCode).toBe(400);
    expect(await hold()).toBe(false);
    // The hold and the workspace's own fields are one transaction: a refused field keeps the hold as it was.
    const half = await client.request({ method: 'post', uri: workspaceUrl, data: { RoutingHoldWhileDisconnected: 'true', DefaultActivitySid: `WA${'0'.repeat(32)}` } });
    expect(half.statusCode).toBe(400);
    expect(await hold()).toBe(false);
    expect((await s.rollcall.store.events(s.workspaceSid)).map((e) => e.eventType)).not.toContain('workspace.updated');

    const proxy = new TcpProxy(Number(new URL(s.url).port));
    await proxy.start();
    cleanups.push(() => proxy.close());
    await availableAgent(s, 'alice', proxy.url);
    proxy.refuseNew = true;
    proxy.drop();
    await waitFor('the disconnection', async () => (await s.rollcall.store.disconnectEpisodes(s.workspaceSid)).length > 0);

    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}' });
    // Nobody hears this offer (the agent is gone), so it can only be seen by asking.
    const [reservation] = await waitFor('the offer to the disconnected agent', async () => {
      const found = await ws.workers(s.workerSid('alice')).reservations.list({ reservationStatus: 'pending' });
      return found.length > 0 ? found : null;
    });
    expect(reservation?.taskSid).toBe(task.sid);
    expect((await ws.workers(s.workerSid('alice')).fetch()).activityName).toBe('Available');
  });
});
