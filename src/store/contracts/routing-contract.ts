/**
 * The routing contract (RoutingStore): offers and logouts of the same worker are ordered, a
 * logout rescinds pending offers in its own transaction, capacity counters stay right, and
 * refusals of an offer say why. Not part of the build; an engine's test file calls
 * `describeRoutingContract` with its factory (see index.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { StoreFactory } from './handle.js';

const THRESHOLD_MS = 30_000;

async function world(factory: StoreFactory) {
  const clock = new ManualClock();
  const handle = await factory(clock);
  const store = handle.store;
  const account = await store.createAccount('Contract');
  const workspace = await store.createWorkspace({
    accountSid: account.sid, friendlyName: 'Contract', logoutActivityName: 'Offline', thresholdMs: THRESHOLD_MS,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
  });
  await store.ensureChannels(workspace.sid);
  const activities = await store.listActivities(workspace.sid);
  const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
  const queue = await store.createTaskQueue(workspace.sid, { friendlyName: 'All', targetWorkers: '1==1' });
  if (!queue.ok) throw new Error(queue.refusal.message);
  const workflow = await store.createWorkflow(workspace.sid, { friendlyName: 'All', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.value.sid } } }) });
  if (!workflow.ok) throw new Error(workflow.refusal.message);
  await store.registerNode('NDa');
  const connectedWorker = async (name: string): Promise<Worker> => {
    const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid: sidOf('Available'), actor: account.sid });
    if (!created.ok) throw new Error(created.refusal.message);
    const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${name}`, nodeId: 'NDa', exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
    return created.value.worker;
  };
  const task = async (): Promise<string> => {
    const created = await store.createTask(workspace.sid, { workflowSid: workflow.value.sid, taskChannel: 'voice' }, 'test');
    if (!created.ok) throw new Error(created.refusal.message);
    return created.value.task.sid;
  };
  const voiceOf = async (workerSid: string) => {
    const channels = await store.listWorkerChannels(workspace.sid, workerSid);
    return channels.ok ? channels.value.find((c) => c.taskChannelUniqueName === 'voice') : undefined;
  };
  return { clock, handle, store, workspace, connectedWorker, task, voiceOf };
}

export function describeRoutingContract(engine: string, factory: StoreFactory): void {
  describe(`Routing store contract: ${engine}`, () => {
    it('never writes an offer for a worker whose logout has committed', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      await w.store.endConnection({ connectionId: 'CNalice', reason: 'closed', lastSeenAt: w.clock.now() });
      w.clock.advance(THRESHOLD_MS);
      await w.store.claimDueDeadlines(500);
      const taskSid = await w.task();
      const offer = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: false });
      expect(offer.ok ? 'written' : offer.refusal).toMatchObject({ code: 'conflict', reason: 'worker-cannot-take' });
      expect(await w.store.listReservations(w.workspace.sid, { taskSid })).toEqual([]);
      await w.handle.dispose();
    });

    it('reads the routing view of a batch of workers in one call, as the whole-workspace read has it', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const bob = await w.connectedWorker('bob');
      await w.store.endConnection({ connectionId: 'CNbob', reason: 'closed', lastSeenAt: w.clock.now() });
      const batch = await w.store.routingCandidatesOf([bob.sid, alice.sid, 'WKgone00000000000000000000000000']);
      expect(batch.map((c) => c.sid).sort()).toEqual([alice.sid, bob.sid].sort());
      expect(Object.fromEntries(batch.map((c) => [c.sid, c.presence]))).toEqual({ [alice.sid]: 'connected', [bob.sid]: 'disconnected' });
      const whole = await w.store.routingCandidates(w.workspace.sid);
      for (const c of batch) expect(c).toEqual(whole.find((x) => x.sid === c.sid));
      expect(await w.store.routingCandidatesOf([])).toEqual([]);
      await w.handle.dispose();
    });

    it('says in each presence commit what a read of the worker would tell routing afterwards', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const asRead = async () => {
        const [candidate] = await w.store.routingCandidatesOf([alice.sid]);
        return { presence: candidate?.presence, available: candidate?.activityAvailable };
      };
      const steps = [
        async () => w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: alice.sid, connectionId: 'CNalice2', nodeId: 'NDa', exempt: false }),
        async () => w.store.endConnection({ connectionId: 'CNalice', reason: 'closed', lastSeenAt: w.clock.now() }),
        async () => w.store.endConnection({ connectionId: 'CNalice2', reason: 'closed', lastSeenAt: w.clock.now() }),
        async () => {
          w.clock.advance(THRESHOLD_MS);
          return (await w.store.claimDueDeadlines(10))[0] ?? null;
        },
      ];
      const seen: string[] = [];
      for (const step of steps) {
        const result = await step();
        const commit = result && 'ok' in result ? (result.ok ? result.value : null) : result;
        if (!commit) throw new Error('a step committed nothing');
        expect({ presence: commit.routingPresence, available: commit.worker.available }).toEqual(await asRead());
        seen.push(`${commit.routingPresence}/${commit.worker.available}`);
      }
      expect(seen).toEqual(['connected/true', 'connected/true', 'disconnected/true', 'disconnected/false']);
      await w.handle.dispose();
    });

    it('holds a disconnected worker back from new offers unless the hold is off', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      await w.store.endConnection({ connectionId: 'CNalice', reason: 'closed', lastSeenAt: w.clock.now() });
      const taskSid = await w.task();
      const held = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: true });
      expect(held.ok).toBe(false);
      const offered = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: false });
      expect(offered.ok).toBe(true);
      await w.handle.dispose();
    });

    it('rescinds pending offers in the logout transaction and returns the task to the queue without that worker', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const taskSid = await w.task();
      const offer = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: true });
      expect(offer.ok).toBe(true);
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 1, assigned: 0 });
      await w.store.endConnection({ connectionId: 'CNalice', reason: 'heartbeat-lost', lastSeenAt: w.clock.now() });
      w.clock.advance(THRESHOLD_MS);
      const [logout] = await w.store.claimDueDeadlines(500);
      expect(logout?.routing?.events.map((e) => e.eventType)).toEqual(['reservation.rescinded']);
      const [reservation] = await w.store.listReservations(w.workspace.sid, { taskSid });
      expect(reservation).toMatchObject({ status: 'rescinded', updatedAt: w.clock.now() });
      expect(await w.store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'pending', excludedWorkers: [alice.sid] });
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 0, assigned: 0 });
      await w.handle.dispose();
    });

    it('keeps channel counters right through accept, wrap and complete, and refuses out-of-order changes', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const taskSid = await w.task();
      const offer = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: true });
      if (!offer.ok) throw new Error(offer.refusal.message);
      const sid = offer.value.reservation.sid;
      const base = { workspaceSid: w.workspace.sid, reservationSid: sid, actor: alice.sid };
      const early = await w.store.updateReservation({ ...base, status: 'completed' });
      expect(early.ok ? null : early.refusal.field).toBe('ReservationStatus');
      expect((await w.store.updateReservation({ ...base, status: 'accepted' })).ok).toBe(true);
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 0, assigned: 1 });
      expect((await w.store.updateTask(w.workspace.sid, taskSid, { assignmentStatus: 'wrapping', actor: alice.sid })).ok).toBe(true);
      expect((await w.store.updateTask(w.workspace.sid, taskSid, { assignmentStatus: 'completed', reason: 'done', actor: alice.sid })).ok).toBe(true);
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 0, assigned: 0 });
      expect(await w.store.findReservation(w.workspace.sid, sid)).toMatchObject({ status: 'completed' });
      expect(await w.store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'completed', reason: 'done' });
      await w.handle.dispose();
    });

    it('offers a task to up to MaxReservedWorkers workers, once each; the first to accept wins', async () => {
      const w = await world(factory);
      const [queue] = await w.store.listTaskQueues(w.workspace.sid);
      await w.store.updateTaskQueue(w.workspace.sid, queue?.sid ?? '', { maxReservedWorkers: 2 });
      const alice = await w.connectedWorker('alice');
      const bob = await w.connectedWorker('bob');
      // Room for two voice tasks: only the once-per-task rule stops a second offer of the same task.
      expect((await w.store.updateWorkerChannel(w.workspace.sid, alice.sid, 'voice', { capacity: 2 })).ok).toBe(true);
      const taskSid = await w.task();
      const reserve = (workerSid: string) => w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid, holdDisconnected: true });
      const first = await reserve(alice.sid);
      expect(first.ok).toBe(true);
      expect((await w.store.findTask(w.workspace.sid, taskSid))?.assignmentStatus).toBe('pending');
      const again = await reserve(alice.sid);
      expect(again.ok ? 'written' : again.refusal).toMatchObject({ code: 'conflict', reason: 'worker-holds-task' });
      const second = await reserve(bob.sid);
      if (!first.ok || !second.ok) throw new Error('offers refused');
      expect((await w.store.findTask(w.workspace.sid, taskSid))?.assignmentStatus).toBe('reserved');
      await w.store.updateReservation({ workspaceSid: w.workspace.sid, reservationSid: second.value.reservation.sid, status: 'accepted', actor: bob.sid });
      expect(await w.store.findReservation(w.workspace.sid, first.value.reservation.sid)).toMatchObject({ status: 'canceled' });
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 0, assigned: 0 });
      expect(await w.voiceOf(bob.sid)).toMatchObject({ reserved: 0, assigned: 1 });
      const late = await reserve(alice.sid);
      expect(late.ok ? 'written' : late.refusal).toMatchObject({ code: 'conflict', reason: 'task-not-waiting' });
      await w.handle.dispose();
    });

    it('never offers a task again to a worker who rejected it while other offers had room (MaxReservedWorkers > 1)', async () => {
      const w = await world(factory);
      const [queue] = await w.store.listTaskQueues(w.workspace.sid);
      await w.store.updateTaskQueue(w.workspace.sid, queue?.sid ?? '', { maxReservedWorkers: 2 });
      const alice = await w.connectedWorker('alice');
      const bob = await w.connectedWorker('bob');
      const carol = await w.connectedWorker('carol');
      const taskSid = await w.task();
      const reserve = (workerSid: string) => w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid, holdDisconnected: true });
      const reject = (reservationSid: string, actor: string) => w.store.updateReservation({ workspaceSid: w.workspace.sid, reservationSid, status: 'rejected', actor });
      // One offer out, room for another: the task is still pending when alice rejects.
      const first = await reserve(alice.sid);
      if (!first.ok) throw new Error(first.refusal.message);
      expect((await reject(first.value.reservation.sid, alice.sid)).ok).toBe(true);
      expect(await w.store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'pending', excludedWorkers: [alice.sid] });
      const again = await reserve(alice.sid);
      expect(again.ok ? 'offered again' : again.refusal.message).toMatch(/can no longer take/);
      // Both offers out (the task is reserved): bob rejects, the task waits again for a third worker.
      const second = await reserve(bob.sid);
      const third = await reserve(carol.sid);
      if (!second.ok || !third.ok) throw new Error('offers refused');
      expect((await w.store.findTask(w.workspace.sid, taskSid))?.assignmentStatus).toBe('reserved');
      expect((await reject(second.value.reservation.sid, bob.sid)).ok).toBe(true);
      expect(await w.store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'pending', excludedWorkers: [alice.sid, bob.sid] });
      const bobAgain = await reserve(bob.sid);
      expect(bobAgain.ok ? 'offered again' : bobAgain.refusal.message).toMatch(/can no longer take/);
      await w.handle.dispose();
    });

    it('renames and deletes a TaskChannel named by its unique name, and keeps one with tasks', async () => {
      const w = await world(factory);
      const created = await w.store.createTaskChannel(w.workspace.sid, { uniqueName: 'email', friendlyName: 'Email' });
      expect(created.ok).toBe(true);
      const renamed = await w.store.updateTaskChannel(w.workspace.sid, 'email', { friendlyName: 'E-mail' });
      expect(renamed.ok && renamed.value.friendlyName).toBe('E-mail');
      expect((await w.store.deleteTaskChannel(w.workspace.sid, 'email')).ok).toBe(true);
      expect(await w.store.findTaskChannel(w.workspace.sid, 'email')).toBeNull();
      await w.task();
      const inUse = await w.store.deleteTaskChannel(w.workspace.sid, 'voice');
      expect(inUse.ok ? 'deleted' : inUse.refusal.code).toBe('conflict');
      await w.handle.dispose();
    });

    it('writes a batch of offers in one call, each as reserve would; a refused one writes nothing and spoils none of the others', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const bob = await w.connectedWorker('bob');
      const carol = await w.connectedWorker('carol');
      // Carol is gone (disconnected, held back): the batch's stale candidate, in the middle.
      await w.store.endConnection({ connectionId: 'CNcarol', reason: 'closed', lastSeenAt: w.clock.now() });
      const tasks = [await w.task(), await w.task(), await w.task(), await w.task()];
      const offer = (taskSid: string, workerSid: string) => ({ workspaceSid: w.workspace.sid, taskSid, workerSid, holdDisconnected: true });
      // Alice twice: her voice capacity is 1, so the second offer sees the first and is refused.
      const results = await w.store.reserveMany([offer(tasks[0] ?? '', alice.sid), offer(tasks[1] ?? '', carol.sid), offer(tasks[2] ?? '', alice.sid), offer(tasks[3] ?? '', bob.sid)]);
      expect(results.map((r) => (r.ok ? r.value.reservation.workerSid : r.refusal.reason))).toEqual([alice.sid, 'worker-cannot-take', 'worker-cannot-take', bob.sid]);
      for (const r of results) if (r.ok) expect(r.value.commit.events.map((e) => e.eventType)).toEqual(['reservation.created']);
      expect((await w.store.listReservations(w.workspace.sid, {})).map((r) => [r.taskSid, r.workerSid, r.status]).sort()).toEqual(
        [[tasks[0], alice.sid, 'pending'], [tasks[3], bob.sid, 'pending']].sort());
      expect((await w.store.findTask(w.workspace.sid, tasks[1] ?? ''))?.assignmentStatus).toBe('pending');
      expect((await w.store.findTask(w.workspace.sid, tasks[3] ?? ''))?.assignmentStatus).toBe('reserved');
      expect(await w.voiceOf(alice.sid)).toMatchObject({ reserved: 1 });
      expect(await w.voiceOf(carol.sid)).toMatchObject({ reserved: 0 });
      expect(await w.store.reserveMany([])).toEqual([]);
      await w.handle.dispose();
    });

    it('refuses, in a batch, an offer to a worker whose logout committed, a task already offered, and the same worker twice for one task', async () => {
      const w = await world(factory);
      const [queue] = await w.store.listTaskQueues(w.workspace.sid);
      await w.store.updateTaskQueue(w.workspace.sid, queue?.sid ?? '', { maxReservedWorkers: 2 });
      const alice = await w.connectedWorker('alice');
      const bob = await w.connectedWorker('bob');
      const dave = await w.connectedWorker('dave');
      const erin = await w.connectedWorker('erin');
      expect((await w.store.updateWorkerChannel(w.workspace.sid, bob.sid, 'voice', { capacity: 2 })).ok).toBe(true);
      await w.store.endConnection({ connectionId: 'CNdave', reason: 'closed', lastSeenAt: w.clock.now() });
      w.clock.advance(THRESHOLD_MS);
      expect((await w.store.claimDueDeadlines(500)).map((c) => c.worker.activityName)).toEqual(['Offline']);
      const [shared, single] = [await w.task(), await w.task()];
      const offer = (taskSid: string, workerSid: string) => ({ workspaceSid: w.workspace.sid, taskSid, workerSid, holdDisconnected: false });
      const results = await w.store.reserveMany([offer(shared ?? '', bob.sid), offer(shared ?? '', bob.sid), offer(single ?? '', dave.sid), offer(single ?? '', alice.sid), offer(shared ?? '', erin.sid)]);
      expect(results.map((r) => (r.ok ? 'ok' : r.refusal.reason))).toEqual(['ok', 'worker-holds-task', 'worker-cannot-take', 'ok', 'ok']);
      const late = await w.store.reserveMany([offer(shared ?? '', alice.sid)]);
      expect(late.map((r) => (r.ok ? 'ok' : r.refusal.reason))).toEqual(['task-not-waiting']);
      expect(await w.store.listReservations(w.workspace.sid, { workerSid: dave.sid })).toEqual([]);
      expect(await w.voiceOf(bob.sid)).toMatchObject({ reserved: 1 });
      await w.handle.dispose();
    });

    it('times out a pending offer, moving the worker to the timeout activity', async () => {
      const w = await world(factory);
      const alice = await w.connectedWorker('alice');
      const taskSid = await w.task();
      const offer = await w.store.reserve({ workspaceSid: w.workspace.sid, taskSid, workerSid: alice.sid, holdDisconnected: true });
      if (!offer.ok) throw new Error(offer.refusal.message);
      expect(await w.store.nextRoutingDueAt()).toBe(offer.value.reservation.timeoutAt);
      w.clock.advance(120_000);
      const [commit] = await w.store.claimRoutingDue(100);
      expect(commit?.events.map((e) => e.eventType)).toEqual(['reservation.timeout']);
      expect(commit?.presence[0]?.worker).toMatchObject({ sid: alice.sid, activityName: 'Offline' });
      expect(await w.store.findTask(w.workspace.sid, taskSid)).toMatchObject({ assignmentStatus: 'pending', excludedWorkers: [alice.sid] });
      await w.handle.dispose();
    });
  });
}
