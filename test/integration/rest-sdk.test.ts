/**
 * REST conformance, part 5: REST changes reach the agents. A change made with the `twilio`
 * library reaches a connected `twilio-taskrouter` Worker as an event; a Flex Configuration
 * change applies at once to a pending disconnection (rule 9), and the automatic logout that
 * follows is in the Events API with its cause and evidence; routing events are found by the
 * task, reservation, queue and worker they pertain to; a worker holding an offer stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, expectRestError, keyCredentials, restClient } from './rest-support.js';

let server: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await server?.close();
  server = null;
});

async function connected(s: TestRollcall, name: string): Promise<SdkWorker> {
  const worker = sdkWorker(await s.token(name), s.url);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  return worker;
}

describe('REST changes and connected agents', () => {
  it('pushes a REST activity change to the worker SDK as activityUpdated, recorded as cause api', async () => {
    server = await startRollcall();
    const s = server;
    const worker = await connected(s, 'alice');
    const ws = restClient(s.url, keyCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid);

    const updated = once<SdkWorker>(worker, 'activityUpdated');
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Break') });
    expect((await updated).activity.sid).toBe(s.activitySid('Break'));
    expect(worker.activity.name).toBe('Break');
    const log = await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') });
    expect(log.at(-1)).toMatchObject({ cause: 'api', actor: s.rollcall.installation.apiKey.sid });

    const attributesUpdated = once<SdkWorker>(worker, 'attributesUpdated');
    await ws.workers(s.workerSid('alice')).update({ attributes: JSON.stringify({ skills: ['billing'] }) });
    expect((await attributesUpdated).attributes).toEqual({ skills: ['billing'] });
  });

  it('applies a new offline threshold at once to a pending disconnection; the logout shows in Events with its evidence', async () => {
    server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '3600' });
    const s = server;
    const client = restClient(s.url, accountCredentials(s));
    const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
    const worker = await connected(s, 'alice');
    const available = once(worker, 'activityUpdated');
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Available') });
    await available;

    worker.disconnect();
    // No client hears of a disconnection; the store is the only witness.
    const episode = await waitFor('the disconnection', async () => (await s.rollcall.store.disconnectEpisodes(s.workspaceSid)).at(0));
    expect(await s.rollcall.store.nextDueAt()).toBe(episode.lastSeenAt + 3_600_000);

    await client.flexApi.v1.configuration().update({ offline_config: { presence: true, presence_ttl: 2 } });
    const changedAt = Date.now();

    await waitFor('the automatic logout', async () => (await ws.workers(s.workerSid('alice')).fetch()).activityName === 'Offline');
    const [logout] = await ws.events.list({ workerSid: s.workerSid('alice'), eventType: 'worker.activity.update', limit: 10 }).then((e) => e.slice(-1));
    expect(logout?.actorType).toBe('system');
    expect(logout?.eventData).toMatchObject({ worker_activity_name: 'Offline', worker_previous_activity_name: 'Available' });
    const raw = await client.request({ method: 'get', uri: logout?.url ?? '' });
    expect(raw.body).toMatchObject({ cause: 'offline-threshold', evidence: { reason: 'closed', last_seen_date_ms: episode.lastSeenAt, threshold_ms: 2000 } });
    // Rule 9: the due time was recomputed from the last sign of life, and never put in the past.
    const dueAt = (raw.body as { evidence: { due_date_ms: number } }).evidence.due_date_ms;
    expect(dueAt).toBeGreaterThanOrEqual(episode.lastSeenAt + 2000);
    expect(dueAt).toBeLessThanOrEqual(Math.max(episode.lastSeenAt + 2000, changedAt));
  });

  it('cancels a pending disconnection when automatic status update is turned off', async () => {
    server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '3600' });
    const s = server;
    const client = restClient(s.url, accountCredentials(s));
    const worker = await connected(s, 'bob');
    worker.disconnect();
    await waitFor('the disconnection', async () => (await s.rollcall.store.disconnectEpisodes(s.workspaceSid)).at(0));
    // Offline already: make bob Available so a logout would be due.
    await client.taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Available') });
    expect(await s.rollcall.store.nextDueAt()).toBeNull(); // a person's change after the disconnection wins (rule 7)

    const alice = await connected(s, 'alice');
    const available = once(alice, 'activityUpdated');
    await client.taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Available') });
    await available;
    alice.disconnect();
    await waitFor('the deadline', () => s.rollcall.store.nextDueAt());
    await client.flexApi.v1.configuration().update({ offline_config: { presence: false } });
    expect(await s.rollcall.store.nextDueAt()).toBeNull();
  });

  it('keeps a worker that holds a reservation, counts its reservations, and finds routing events by what they pertain to', async () => {
    server = await startRollcall();
    const s = server;
    const { store, routing } = s.rollcall;
    const queue = await store.createTaskQueue(s.workspaceSid, { friendlyName: 'Support', targetWorkers: '1==1' });
    if (!queue.ok) throw new Error(queue.refusal.message);
    const workflow = await store.createWorkflow(s.workspaceSid, {
      friendlyName: 'Support', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.value.sid } } }), taskReservationTimeoutS: 120,
    });
    if (!workflow.ok) throw new Error(workflow.refusal.message);
    await routing.reloadCatalog(s.workspaceSid);
    const worker = await connected(s, 'alice');
    const ws = restClient(s.url, accountCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid);
    const available = once(worker, 'activityUpdated');
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Available') });
    await available;
    const offered = once<{ sid: string; reject(): Promise<unknown> }>(worker, 'reservationCreated');
    const task = await routing.createTask(s.workspaceSid, { workflowSid: workflow.value.sid, attributes: '{}' }, 'test');
    if (!task.ok) throw new Error(task.refusal.message);
    const reservation = await offered;

    await expectRestError(ws.workers(s.workerSid('alice')).remove(), { status: 409, code: 20409, message: /^Worker alice has 1 active reservation/ });
    const types = async (filter: Parameters<typeof ws.events.list>[0]) => (await ws.events.list(filter)).map((e) => e.eventType);
    expect(await types({ reservationSid: reservation.sid })).toEqual(['reservation.created']);
    expect(await types({ taskSid: task.value.sid })).toEqual(expect.arrayContaining(['task.created', 'reservation.created']));
    expect(await types({ taskQueueSid: queue.value.sid })).toEqual(expect.arrayContaining(['task.created', 'reservation.created']));
    expect(await types({ workerSid: s.workerSid('alice') })).toEqual(expect.arrayContaining(['worker.activity.update', 'reservation.created']));
    expect(await types({ taskQueueSid: `WQ${'0'.repeat(32)}` })).toEqual([]);

    await reservation.reject();
    const stats = await ws.workers(s.workerSid('alice')).statistics().fetch({ minutes: 5 });
    expect(stats.cumulative).toMatchObject({ reservations_created: 1, reservations_rejected: 1, reservations_accepted: 0 });
    expect(await ws.workers(s.workerSid('alice')).remove()).toBe(true);
  });
});
