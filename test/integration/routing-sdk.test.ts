/**
 * Routing coupled to presence, with official twilio-taskrouter agents: offers go only to agents
 * who are there; a logout rescinds the pending offer at once and the task goes to someone else;
 * a reservation timeout moves the worker to the timeout activity. Every case runs twice: on the
 * SQLite store as it is, and on the same store answering two event-loop turns late
 * (test/support/slow-store.ts), as a store across a network would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { slowStore } from '../support/slow-store.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';

let server: TestRollcall | null = null;
let wrapStore: ((store: SqliteStore) => SqliteStore) | undefined;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await server?.close();
  server = null;
});

interface Setup {
  s: TestRollcall;
  workflowSid: string;
}

async function setup(env: Record<string, string> = {}, reservationTimeoutS = 120): Promise<Setup> {
  const s = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '2', ...env }, undefined, { wrapStore });
  server = s;
  const { store, routing } = s.rollcall;
  const queue = await store.createTaskQueue(s.workspaceSid, { friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"' });
  if (!queue.ok) throw new Error(queue.refusal.message);
  const workflow = await store.createWorkflow(s.workspaceSid, {
    friendlyName: 'Support',
    configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.value.sid } } }),
    taskReservationTimeoutS: reservationTimeoutS,
  });
  if (!workflow.ok) throw new Error(workflow.refusal.message);
  await routing.reloadCatalog(s.workspaceSid);
  return { s, workflowSid: workflow.value.sid };
}

/** Connects an agent and makes it Available; `beforeAvailable` runs first (to listen for offers). */
async function agent(s: TestRollcall, name: string, baseUrl = s.url, beforeAvailable: (w: SdkWorker) => void = () => undefined): Promise<SdkWorker> {
  const worker = sdkWorker(await s.token(name), baseUrl);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  beforeAvailable(worker);
  const updated = once(worker, 'activityUpdated');
  await worker.activities.get(s.activitySid('Available'))?.setAsCurrent();
  await updated;
  return worker;
}

async function createTask({ s, workflowSid }: Setup, attributes: Record<string, unknown> = { type: 'support' }): Promise<string> {
  const task = await s.rollcall.routing.createTask(s.workspaceSid, { workflowSid, attributes: JSON.stringify(attributes), taskChannel: 'voice' }, 'test');
  if (!task.ok) throw new Error(task.refusal.message);
  return task.value.sid;
}

type SdkReservation = { sid: string; status: string; task: { sid: string; attributes: Record<string, unknown>; complete(reason: string): Promise<unknown>; wrapUp(o?: object): Promise<unknown> }; accept(): Promise<SdkReservation>; reject(): Promise<SdkReservation> };

const stores: [string, typeof wrapStore][] = [
  ['as it is', undefined],
  ['answering late', (store) => slowStore(store, { turns: 2 }).store],
];

describe.each(stores)('routing with twilio-taskrouter agents, the store %s', (_name, wrap) => {
  beforeEach(() => {
    wrapStore = wrap;
  });

  it('offers a task to the one available connected agent, who accepts, wraps up and completes it', async () => {
    const world = await setup();
    const alice = await agent(world.s, 'alice');
    const offered = once<SdkReservation>(alice, 'reservationCreated');
    const taskSid = await createTask(world);
    const reservation = await offered;
    expect(reservation.task.sid).toBe(taskSid);
    expect(reservation.task.attributes).toEqual({ type: 'support' });
    await reservation.accept();
    expect((await world.s.rollcall.store.findTask(world.s.workspaceSid, taskSid))?.assignmentStatus).toBe('assigned');
    await reservation.task.wrapUp();
    expect((await world.s.rollcall.store.findTask(world.s.workspaceSid, taskSid))?.assignmentStatus).toBe('wrapping');
    await reservation.task.complete('done');
    const task = await world.s.rollcall.store.findTask(world.s.workspaceSid, taskSid);
    expect(task).toMatchObject({ assignmentStatus: 'completed', reason: 'done' });
    const [r] = await world.s.rollcall.store.listReservations(world.s.workspaceSid, { taskSid });
    expect(r?.status).toBe('completed');
    const channels = await world.s.rollcall.store.listWorkerChannels(world.s.workspaceSid, world.s.workerSid('alice'));
    expect(channels.ok && channels.value.find((c) => c.taskChannelUniqueName === 'voice')).toMatchObject({ reserved: 0, assigned: 0 });
  });

  it('rescinds the offer of an agent whose socket dropped at the logout, and offers the task to the next agent', async () => {
    const world = await setup();
    const proxy = new TcpProxy(Number(new URL(world.s.url).port));
    await proxy.start();
    cleanups.push(() => proxy.close());
    const alice = await agent(world.s, 'alice', proxy.url);
    const offeredToAlice = once<SdkReservation>(alice, 'reservationCreated');
    const taskSid = await createTask(world);
    const first = await offeredToAlice;
    // Bob becomes available while alice holds the offer: the task is not offered twice.
    let offeredToBob: Promise<SdkReservation> | undefined;
    await agent(world.s, 'bob', world.s.url, (bob) => (offeredToBob = once<SdkReservation>(bob, 'reservationCreated', 10_000)));
    proxy.refuseNew = true;
    proxy.drop();
    const second = await offeredToBob;
    expect(second?.task.sid).toBe(taskSid);
    const reservations = await world.s.rollcall.store.listReservations(world.s.workspaceSid, { taskSid });
    expect(reservations.map((r) => [r.workerName, r.status])).toEqual([['alice', 'rescinded'], ['bob', 'pending']]);
    const aliceReservation = reservations.find((r) => r.sid === first.sid);
    const log = await world.s.rollcall.store.activityLog(world.s.workspaceSid, { workerSid: world.s.workerSid('alice') });
    const logout = log.find((e) => e.cause === 'offline-threshold');
    expect(logout).toBeDefined();
    // Rescinded in the logout's own transaction, re-offered right after.
    expect(aliceReservation?.updatedAt).toBe(logout?.recordedAt);
    const bobReservation = reservations.find((r) => r.workerName === 'bob');
    expect((bobReservation?.createdAt ?? 0) - (logout?.recordedAt ?? 0)).toBeLessThan(500);
  });

  it('holds back new offers during the grace period after a disconnection', async () => {
    const world = await setup({ ROLLCALL_DEFAULT_THRESHOLD_S: '30' });
    const proxy = new TcpProxy(Number(new URL(world.s.url).port));
    await proxy.start();
    cleanups.push(() => proxy.close());
    await agent(world.s, 'alice', proxy.url);
    proxy.refuseNew = true;
    proxy.drop();
    await waitFor('the disconnection', async () => (await world.s.rollcall.store.disconnectEpisodes(world.s.workspaceSid)).length > 0);
    const bob = await agent(world.s, 'bob');
    const offered = once<SdkReservation>(bob, 'reservationCreated');
    const taskSid = await createTask(world);
    expect((await offered).task.sid).toBe(taskSid);
    // Alice, still Available but disconnected, was passed over although she has been idle longer.
    expect((await world.s.rollcall.store.findWorker(world.s.workspaceSid, world.s.workerSid('alice')))?.activityName).toBe('Available');
    expect((await world.s.rollcall.store.listReservations(world.s.workspaceSid, { taskSid })).map((r) => r.workerName)).toEqual(['bob']);
  });

  it('moves the worker to the timeout activity when an offer times out, and offers the task to someone else', async () => {
    const world = await setup({}, 2);
    const alice = await agent(world.s, 'alice');
    const offered = once<SdkReservation>(alice, 'reservationCreated');
    const taskSid = await createTask(world);
    const first = await offered;
    const timedOut = once(first as unknown as { once(event: string, fn: (value: unknown) => void): unknown }, 'timeout', 5000);
    let offeredToBob: Promise<SdkReservation> | undefined;
    await agent(world.s, 'bob', world.s.url, (bob) => (offeredToBob = once<SdkReservation>(bob, 'reservationCreated', 5000)));
    await timedOut; // the SDK's reservation object hears reservation.timeout
    await offeredToBob;
    const reservations = await world.s.rollcall.store.listReservations(world.s.workspaceSid, { taskSid });
    expect(reservations.map((r) => [r.workerName, r.status])).toEqual([['alice', 'timeout'], ['bob', 'pending']]);
    const aliceNow = await world.s.rollcall.store.findWorker(world.s.workspaceSid, world.s.workerSid('alice'));
    expect(aliceNow?.activityName).toBe('Offline');
    const log = await world.s.rollcall.store.activityLog(world.s.workspaceSid, { workerSid: world.s.workerSid('alice') });
    expect(log.at(-1)).toMatchObject({ cause: 'reservation-timeout', actor: 'rollcall' });
  });

  it('does not offer a task again to the agent who rejected it', async () => {
    const world = await setup();
    const alice = await agent(world.s, 'alice');
    const offered = once<SdkReservation>(alice, 'reservationCreated');
    const taskSid = await createTask(world);
    const rejected = await (await offered).reject();
    expect(rejected.status).toBe('rejected');
    let offeredToBob: Promise<SdkReservation> | undefined;
    await agent(world.s, 'bob', world.s.url, (bob) => (offeredToBob = once<SdkReservation>(bob, 'reservationCreated')));
    expect((await offeredToBob)?.task.sid).toBe(taskSid);
    // Alice is still Available and idle longer, yet the task never comes back to her.
    expect((await world.s.rollcall.store.findWorker(world.s.workspaceSid, world.s.workerSid('alice')))?.activityName).toBe('Available');
    const reservations = await world.s.rollcall.store.listReservations(world.s.workspaceSid, { taskSid });
    expect(reservations.map((r) => [r.workerName, r.status])).toEqual([['alice', 'rejected'], ['bob', 'pending']]);
  });

  it('routes on a TaskChannel created while agents are connected, at once', async () => {
    const world = await setup();
    let offered: Promise<SdkReservation> | undefined;
    await agent(world.s, 'alice', world.s.url, (alice) => (offered = once<SdkReservation>(alice, 'reservationCreated')));
    const channel = await world.s.rollcall.routing.createTaskChannel(world.s.workspaceSid, { uniqueName: 'email', friendlyName: 'Email' });
    expect(channel.ok).toBe(true);
    const task = await world.s.rollcall.routing.createTask(world.s.workspaceSid, { workflowSid: world.workflowSid, taskChannel: 'email' }, 'test');
    if (!task.ok) throw new Error(task.refusal.message);
    expect((await offered)?.task.sid).toBe(task.value.sid);
  });
});
