/**
 * Routing on PostgreSQL across two nodes (two stores, two pools, one schema): an offer and a
 * logout of one worker are ordered by the worker's row, so no offer outlives a committed logout;
 * two nodes timing out the same offers take disjoint sets (SKIP LOCKED) and each offer times out
 * exactly once. Then what the contract does not cover on this engine: transfers and the Tasks
 * list read through a cursor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import { ManualClock } from '../../service/clocks.js';
import type { Clock } from '../../service/ports.js';
import type { RoutingCommit } from '../../service/routing-ports.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

describe.skipIf(NO_POSTGRES)(`PostgreSQL routing across nodes${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await schema.drop();
  });

  const open = async (clock?: Clock): Promise<PostgresStore> => {
    const store = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 4, clock });
    stores.push(store);
    return store;
  };

  /** A workspace with one queue for everyone, and `count` workers connected and Available, each with a voice task waiting. */
  const world = async (store: PostgresStore, count: number, thresholdMs: number) => {
    const account = await store.createAccount('Race');
    const workspace = await store.createWorkspace({
      accountSid: account.sid, friendlyName: 'Race', logoutActivityName: 'Offline', thresholdMs,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    await store.ensureChannels(workspace.sid);
    const available = (await store.listActivities(workspace.sid)).find((x) => x.friendlyName === 'Available');
    const queue = await store.createTaskQueue(workspace.sid, { friendlyName: 'All', targetWorkers: '1==1' });
    if (!queue.ok) throw new Error(queue.refusal.message);
    const workflow = await store.createWorkflow(workspace.sid, {
      friendlyName: 'All', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.value.sid } } }), taskReservationTimeoutS: 30,
    });
    if (!workflow.ok) throw new Error(workflow.refusal.message);
    await store.registerNode('NDa');
    const workers: string[] = [];
    const tasks: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: `w${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      workers.push(created.value.worker.sid);
      const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDa', exempt: false });
      if (!opened.ok) throw new Error(opened.refusal.message);
      const task = await store.createTask(workspace.sid, { workflowSid: workflow.value.sid, taskChannel: 'voice' }, 'test');
      if (!task.ok) throw new Error(task.refusal.message);
      tasks.push(task.value.task.sid);
    }
    return { account, workspace, workers, tasks, workflowSid: workflow.value.sid, queueSid: queue.value.sid };
  };

  const voiceOf = async (store: PostgresStore, workspaceSid: string, workerSid: string) => {
    const channels = await store.listWorkerChannels(workspaceSid, workerSid);
    return channels.ok ? channels.value.find((c) => c.taskChannelUniqueName === 'voice') : undefined;
  };

  it('never leaves an offer pending for a worker whose logout committed, when one node logs 40 workers out while the other offers them tasks', async () => {
    schema = await createTestSchema();
    const a = await open();
    const b = await open();
    const w = await world(a, 40, 1);
    // Every connection ends: each worker's logout is due at once (1 ms threshold, database time).
    await a.endConnections(w.workers.map((_, i) => ({ connectionId: `CN${i}`, reason: 'closed' as const, lastSeenAt: 0 })));
    // The hold is off, so a disconnected worker may be offered a task until the logout commits.
    const offers = Promise.all(w.workers.map((workerSid, i) => b.reserve({ workspaceSid: w.workspace.sid, taskSid: w.tasks[i] ?? '', workerSid, holdDisconnected: false })));
    const logouts = (async () => {
      for (;;) {
        const batch = await a.claimDueDeadlines(2);
        if (batch.length === 0 && (await a.nextDueAt()) === null) return;
      }
    })();
    const [, results] = await Promise.all([logouts, offers]);
    const written = results.filter((r) => r.ok).length;
    for (const [i, workerSid] of w.workers.entries()) {
      expect((await a.findWorker(w.workspace.sid, workerSid))?.activityName).toBe('Offline');
      const reservations = await a.listReservations(w.workspace.sid, { workerSid });
      // Either the offer came first and the logout rescinded it, or the offer was refused after the logout.
      expect(reservations.map((r) => r.status)).toEqual(results[i]?.ok ? ['rescinded'] : []);
      expect(await voiceOf(a, w.workspace.sid, workerSid)).toMatchObject({ reserved: 0, assigned: 0 });
    }
    expect(written + results.filter((r) => !r.ok).length).toBe(40);
  });

  it('never leaves an offer pending for a worker whose logout committed, when the other node offers them tasks in batches (reserveMany)', async () => {
    schema = await createTestSchema();
    const a = await open();
    const b = await open();
    const w = await world(a, 40, 1);
    await a.endConnections(w.workers.map((_, i) => ({ connectionId: `CN${i}`, reason: 'closed' as const, lastSeenAt: 0 })));
    // Four batches of ten, two at a time, against the logouts: each batch locks its ten workers, then their tasks.
    const inputs = w.workers.map((workerSid, i) => ({ workspaceSid: w.workspace.sid, taskSid: w.tasks[i] ?? '', workerSid, holdDisconnected: false }));
    const batches = [0, 10, 20, 30].map((from) => inputs.slice(from, from + 10));
    const offers = Promise.all([
      (async () => [...(await b.reserveMany(batches[0] ?? [])), ...(await b.reserveMany(batches[2] ?? []))])(),
      (async () => [...(await b.reserveMany(batches[1] ?? [])), ...(await b.reserveMany(batches[3] ?? []))])(),
    ]);
    const logouts = (async () => {
      for (;;) {
        const batch = await a.claimDueDeadlines(3);
        if (batch.length === 0 && (await a.nextDueAt()) === null) return;
      }
    })();
    const [, [first, second]] = await Promise.all([logouts, offers]);
    const results = [...first.slice(0, 10), ...second.slice(0, 10), ...first.slice(10), ...second.slice(10)];
    for (const [i, workerSid] of w.workers.entries()) {
      expect((await a.findWorker(w.workspace.sid, workerSid))?.activityName).toBe('Offline');
      const reservations = await a.listReservations(w.workspace.sid, { workerSid });
      // Either the batch came first and the logout rescinded its offer, or the offer was refused after the logout.
      expect(reservations.map((r) => r.status)).toEqual(results[i]?.ok ? ['rescinded'] : []);
      expect(await voiceOf(a, w.workspace.sid, workerSid)).toMatchObject({ reserved: 0, assigned: 0 });
    }
    expect(results).toHaveLength(40);
  });

  it('times out each of 60 pending offers exactly once when two nodes claim routing due times at once', async () => {
    schema = await createTestSchema();
    const clock = new ManualClock();
    const a = await open(clock);
    const b = await open(clock);
    const w = await world(a, 60, 60_000);
    for (const [i, workerSid] of w.workers.entries()) {
      const offer = await a.reserve({ workspaceSid: w.workspace.sid, taskSid: w.tasks[i] ?? '', workerSid, holdDisconnected: true });
      if (!offer.ok) throw new Error(offer.refusal.message);
    }
    clock.advance(30_000);
    const drain = async (store: PostgresStore): Promise<RoutingCommit[]> => {
      const all: RoutingCommit[] = [];
      for (;;) {
        const batch = await store.claimRoutingDue(7);
        if (batch.length === 0) return all;
        all.push(...batch);
      }
    };
    const [fromA, fromB] = await Promise.all([drain(a), drain(b)]);
    const timedOut = [...fromA, ...fromB].flatMap((c) => c.events.filter((e) => e.eventType === 'reservation.timeout').map((e) => e.resourceSid));
    expect(timedOut).toHaveLength(60);
    expect(new Set(timedOut).size).toBe(60);
    const stored = await a.events(w.workspace.sid, { eventTypes: ['reservation.timeout'] });
    expect(stored).toHaveLength(60);
    for (const [i, workerSid] of w.workers.entries()) {
      expect(await a.findTask(w.workspace.sid, w.tasks[i] ?? '')).toMatchObject({ assignmentStatus: 'pending', excludedWorkers: [workerSid] });
      expect(await voiceOf(a, w.workspace.sid, workerSid)).toMatchObject({ reserved: 0, assigned: 0 });
    }
  });

  it('transfers an accepted task warm to a worker, who accepts it; the initiator wraps up', async () => {
    schema = await createTestSchema();
    const store = await open(new ManualClock());
    const w = await world(store, 2, 60_000);
    const [alice = '', bob = ''] = w.workers;
    const [taskSid = '', other = ''] = w.tasks;
    await store.deleteTask(w.workspace.sid, other);
    const offer = await store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice, holdDisconnected: true });
    if (!offer.ok) throw new Error(offer.refusal.message);
    const initiating = offer.value.reservation.sid;
    expect((await store.updateReservation({ workspaceSid: w.workspace.sid, reservationSid: initiating, status: 'accepted', actor: alice })).ok).toBe(true);
    const refused = await store.createTransfer({ workspaceSid: w.workspace.sid, workerSid: alice, reservationSid: initiating, taskSid, to: alice, mode: 'WARM' });
    expect(refused.ok ? 'placed' : refused.refusal.field).toBe('To');
    const placed = await store.createTransfer({ workspaceSid: w.workspace.sid, workerSid: alice, reservationSid: initiating, taskSid, to: bob, mode: 'WARM' });
    if (!placed.ok) throw new Error(placed.refusal.message);
    expect(placed.value.commit.events.map((e) => e.eventType)).toEqual(['task.transfer-initiated', 'task.updated']);
    expect(await store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'pending', transferSid: placed.value.transfer.sid, transferWorkerSid: bob });
    expect((await store.reservationTransfers(initiating)).outgoing?.sid).toBe(placed.value.transfer.sid);
    const toBob = await store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: bob, holdDisconnected: true });
    if (!toBob.ok) throw new Error(toBob.refusal.message);
    expect(toBob.value.reservation.transferSid).toBe(placed.value.transfer.sid);
    const accepted = await store.updateReservation({ workspaceSid: w.workspace.sid, reservationSid: toBob.value.reservation.sid, status: 'accepted', actor: bob });
    if (!accepted.ok) throw new Error(accepted.refusal.message);
    expect(accepted.value.commit.events.map((e) => e.eventType)).toEqual(['reservation.accepted', 'task.transfer-completed', 'reservation.wrapup']);
    expect(await store.findReservation(w.workspace.sid, initiating)).toMatchObject({ status: 'wrapping' });
    expect(await store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'assigned', transferSid: null });
    expect(await voiceOf(store, w.workspace.sid, bob)).toMatchObject({ reserved: 0, assigned: 1 });
    expect((await store.reservationTransfers(toBob.value.reservation.sid)).incoming).toMatchObject({ status: 'complete' });
  });

  it('cancels a cold transfer to a queue: the offer is canceled and the task goes back to its initiator', async () => {
    schema = await createTestSchema();
    const store = await open(new ManualClock());
    const w = await world(store, 2, 60_000);
    const [alice = '', bob = ''] = w.workers;
    const [taskSid = ''] = w.tasks;
    const offer = await store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice, holdDisconnected: true });
    if (!offer.ok) throw new Error(offer.refusal.message);
    const initiating = offer.value.reservation.sid;
    await store.updateReservation({ workspaceSid: w.workspace.sid, reservationSid: initiating, status: 'accepted', actor: alice });
    const placed = await store.createTransfer({ workspaceSid: w.workspace.sid, workerSid: alice, reservationSid: initiating, taskSid, to: w.queueSid, mode: 'COLD' });
    if (!placed.ok) throw new Error(placed.refusal.message);
    expect(await store.findReservation(w.workspace.sid, initiating)).toMatchObject({ status: 'wrapping' });
    const toBob = await store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: bob, holdDisconnected: true });
    if (!toBob.ok) throw new Error(toBob.refusal.message);
    const notHis = await store.cancelTransfer({ workspaceSid: w.workspace.sid, workerSid: bob, transferSid: placed.value.transfer.sid, taskSid });
    expect(notHis.ok ? 'canceled' : notHis.refusal.field).toBe('TransferSid');
    const canceled = await store.cancelTransfer({ workspaceSid: w.workspace.sid, workerSid: alice, transferSid: placed.value.transfer.sid, taskSid });
    if (!canceled.ok) throw new Error(canceled.refusal.message);
    expect(canceled.value.transfer.status).toBe('canceled');
    expect(await store.findReservation(w.workspace.sid, toBob.value.reservation.sid)).toMatchObject({ status: 'canceled' });
    expect(await voiceOf(store, w.workspace.sid, bob)).toMatchObject({ reserved: 0, assigned: 0 });
    expect((await store.findTask(w.workspace.sid, taskSid))?.transferSid).toBeNull();
    const again = await store.cancelTransfer({ workspaceSid: w.workspace.sid, workerSid: alice, transferSid: placed.value.transfer.sid, taskSid });
    expect(again.ok ? 'canceled twice' : again.refusal.field).toBe('TransferStatus');
  });

  it('reads a slice of the Tasks list through a test the store cannot run, across cursor pages, as the whole list has it', async () => {
    schema = await createTestSchema();
    const store = await open(new ManualClock());
    const w = await world(store, 1, 60_000);
    for (let i = 0; i < 450; i++) {
      const created = await store.createTask(w.workspace.sid, { workflowSid: w.workflowSid, attributes: JSON.stringify({ n: i }), priority: i % 7 }, 'test');
      if (!created.ok) throw new Error(created.refusal.message);
    }
    const even = (t: { attributes: string }): boolean => (JSON.parse(t.attributes) as { n?: number }).n !== undefined && ((JSON.parse(t.attributes) as { n: number }).n % 2 === 0);
    const order = [{ key: 'Priority' as const, descending: true }];
    const whole = (await store.sliceTasks(w.workspace.sid, {}, { order, offset: 0, limit: 1000 })).filter(even);
    expect(whole).toHaveLength(225);
    const slice = await store.sliceTasks(w.workspace.sid, {}, { order, matches: even, offset: 150, limit: 50 });
    expect(slice.map((t) => t.sid)).toEqual(whole.slice(150, 200).map((t) => t.sid));
    const tail = await store.sliceTasks(w.workspace.sid, { assignmentStatus: ['pending'] }, { order, matches: even, offset: 220, limit: 50 });
    expect(tail.map((t) => t.sid)).toEqual(whole.slice(220).map((t) => t.sid));
  });
});
