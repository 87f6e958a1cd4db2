/**
 * The presence contract (PresenceStore): connections, logout deadlines, activity changes, logout
 * settings and worker changes, each one transaction, on the store's clock. Not part of the build;
 * an engine's test file calls `describePresenceContract` with its factory (see index.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Activity, Worker, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { PresenceCommit } from '../../service/ports.js';
import type { ContractStore, StoreFactory, StoreHandle } from './handle.js';

export const THRESHOLD_MS = 30_000;

export interface World {
  readonly clock: ManualClock;
  readonly handle: StoreHandle;
  readonly store: ContractStore;
  readonly workspace: Workspace;
  readonly activity: (name: string) => Activity;
  readonly alice: Worker;
  readonly bob: Worker;
}

/** A workspace (Offline, Available, Break; logout after THRESHOLD_MS) with two available workers. */
export async function world(factory: StoreFactory): Promise<World> {
  const clock = new ManualClock();
  const handle = await factory(clock);
  const store = handle.store;
  const account = await store.createAccount('Contract');
  const workspace = await store.createWorkspace({
    accountSid: account.sid,
    friendlyName: 'Contract',
    activities: [
      { friendlyName: 'Offline', available: false },
      { friendlyName: 'Available', available: true },
      { friendlyName: 'Break', available: false },
    ],
    logoutActivityName: 'Offline',
    thresholdMs: THRESHOLD_MS,
  });
  const activities = await store.listActivities(workspace.sid);
  const activity = (name: string): Activity => {
    const found = activities.find((a) => a.friendlyName === name);
    if (!found) throw new Error(`no activity ${name}`);
    return found;
  };
  const create = async (name: string): Promise<Worker> => {
    const result = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid: activity('Available').sid, actor: account.sid });
    if (!result.ok) throw new Error(result.refusal.message);
    return result.value.worker;
  };
  return { clock, handle, store, workspace, activity, alice: await create('alice'), bob: await create('bob') };
}

export function must<T>(result: { ok: true; value: T } | { ok: false; refusal: { message: string } }): T {
  if (!result.ok) throw new Error(`unexpected refusal: ${result.refusal.message}`);
  return result.value;
}

export const logouts = (commits: readonly PresenceCommit[]) =>
  commits.flatMap((c) => c.outputs.filter((o) => o.type === 'activity-changed' && o.cause === 'offline-threshold').map((o) => ({ worker: c.worker, change: o })));

export function describePresenceContract(engine: string, factory: StoreFactory): void {
  describe(`Presence store contract: ${engine}`, () => {
    const setup = async (): Promise<World> => world(factory);

    it('counts a closed connection from its last sign of life and logs out exactly once at the due time', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      w.clock.advance(5000);
      const closedAt = w.clock.now();
      const ended = await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: closedAt });
      expect(ended?.outputs).toContainEqual({ type: 'deadline-set', deadline: { id: 1, dueAt: closedAt + THRESHOLD_MS } });
      expect(await w.store.nextDueAt()).toBe(closedAt + THRESHOLD_MS);
      w.clock.advance(THRESHOLD_MS - 1);
      expect(await w.store.claimDueDeadlines(500)).toEqual([]);
      w.clock.advance(1);
      const fired = await w.store.claimDueDeadlines(500);
      expect(logouts(fired)).toHaveLength(1);
      expect(fired[0]?.worker).toMatchObject({ sid: w.alice.sid, activityName: 'Offline', available: false });
      expect(fired[0]?.events[0]).toMatchObject({ eventType: 'worker.activity.update', cause: 'offline-threshold', resourceSid: w.alice.sid });
      expect(await w.store.claimDueDeadlines(500)).toEqual([]);
      expect(await w.store.nextDueAt()).toBeNull();
      const log = await w.store.activityLog(w.workspace.sid, { workerSid: w.alice.sid });
      expect(log.at(-1)).toMatchObject({
        cause: 'offline-threshold', actor: 'rollcall', fromActivitySid: w.activity('Available').sid, toActivitySid: w.activity('Offline').sid,
        effectiveAt: closedAt + THRESHOLD_MS, recordedAt: closedAt + THRESHOLD_MS,
        evidence: { reason: 'closed', lastSeenAt: closedAt, thresholdMs: THRESHOLD_MS, dueAt: closedAt + THRESHOLD_MS },
      });
      expect(await w.store.disconnectEpisodes(w.workspace.sid)).toMatchObject([{ workerSid: w.alice.sid, reason: 'closed', lastSeenAt: closedAt, outcome: 'logged-out', endedAt: null }]);
      expect((await w.store.events(w.workspace.sid, { workerSid: w.alice.sid })).map((e) => e.eventType)).toEqual(['worker.created', 'worker.activity.update']);
      await w.handle.dispose();
    });

    it('cancels the deadline on a reconnection and records the episode as reconnected', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      await w.store.endConnection({ connectionId: 'CN1', reason: 'heartbeat-lost', lastSeenAt: w.clock.now() - 10_000 });
      w.clock.advance(3000);
      const back = must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN2', nodeId: 'NDa', exempt: false }));
      expect(back.outputs).toEqual([{ type: 'deadline-cleared', deadlineId: 1 }, { type: 'reconnected', at: w.clock.now(), deadlineCancelled: true }]);
      expect(await w.store.nextDueAt()).toBeNull();
      w.clock.advance(THRESHOLD_MS * 2);
      expect(await w.store.claimDueDeadlines(500)).toEqual([]);
      expect((await w.store.findWorker(w.workspace.sid, w.alice.sid))?.activityName).toBe('Available');
      expect(await w.store.disconnectEpisodes(w.workspace.sid)).toMatchObject([{ reason: 'heartbeat-lost', outcome: 'reconnected', endedAt: w.clock.now() - THRESHOLD_MS * 2 }]);
      await w.handle.dispose();
    });

    it('keeps a worker with another live connection connected', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      for (const id of ['CN1', 'CN2']) must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: id, nodeId: 'NDa', exempt: false }));
      const one = await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: w.clock.now() });
      expect(one?.outputs).toEqual([]);
      expect(await w.store.nextDueAt()).toBeNull();
      expect(await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: w.clock.now() })).toBeNull();
      await w.handle.dispose();
    });

    it('opens many connections in one call, a result per opening in order, an unknown worker refused alone', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      const open = (workerSid: string, connectionId: string) => ({ workspaceSid: w.workspace.sid, workerSid, connectionId, nodeId: 'NDa', exempt: false });
      must(await w.store.openConnection(open(w.bob.sid, 'CNb0')));
      await w.store.endConnection({ connectionId: 'CNb0', reason: 'closed', lastSeenAt: w.clock.now() });
      expect(await w.store.nextDueAt()).not.toBeNull();
      w.clock.advance(1000);
      const results = await w.store.openConnections([open(w.alice.sid, 'CN1'), open('WKnobody', 'CN2'), open(w.bob.sid, 'CN3'), open(w.alice.sid, 'CN4')]);
      expect(results.map((r) => (r.ok ? r.value.worker.sid : r.refusal.code))).toEqual([w.alice.sid, 'not-found', w.bob.sid, w.alice.sid]);
      // Bob's opening cancelled his logout, as a single opening does.
      const bob = results[2];
      expect(bob?.ok && bob.value.outputs).toMatchObject([{ type: 'deadline-cleared' }, { type: 'reconnected', at: w.clock.now(), deadlineCancelled: true }]);
      expect(await w.store.nextDueAt()).toBeNull();
      // Alice holds both of hers: ending one leaves her connected, ending the other disconnects her.
      expect((await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: w.clock.now() }))?.outputs).toEqual([]);
      expect((await w.store.endConnection({ connectionId: 'CN4', reason: 'closed', lastSeenAt: w.clock.now() }))?.outputs[0]).toMatchObject({ type: 'disconnected' });
      expect(await w.store.openConnections([])).toEqual([]);
      await w.handle.dispose();
    });

    it('ends many connections in one call, each from its own last sign of life, skipping unknown ones', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CNa', nodeId: 'NDa', exempt: false }));
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.bob.sid, connectionId: 'CNb', nodeId: 'NDa', exempt: false }));
      w.clock.advance(10_000);
      const t = w.clock.now();
      const commits = await w.store.endConnections([
        { connectionId: 'CNa', reason: 'closed', lastSeenAt: t - 3000 },
        { connectionId: 'CNunknown', reason: 'closed', lastSeenAt: t },
        { connectionId: 'CNb', reason: 'heartbeat-lost', lastSeenAt: t - 7000 },
      ]);
      expect(commits.map((c) => c.worker.friendlyName)).toEqual(['alice', 'bob']);
      const episodes = await w.store.disconnectEpisodes(w.workspace.sid);
      expect(episodes.map((e) => [e.reason, e.lastSeenAt])).toEqual([['closed', t - 3000], ['heartbeat-lost', t - 7000]]);
      expect(await w.store.nextDueAt()).toBe(t - 7000 + THRESHOLD_MS);
      await w.handle.dispose();
    });

    it('refuses bad activity changes with a value and changes nothing', async () => {
      const w = await setup();
      const before = await w.store.activityLog(w.workspace.sid);
      const base = { workspaceSid: w.workspace.sid, workerSid: w.alice.sid, cause: 'api' as const, actor: 'SKx', rejectPendingReservations: false };
      const cases = [
        [{ ...base, activitySid: 'WA00000000000000000000000000000000' }, 'invalid-parameter'],
        [{ ...base, workerSid: 'WK00000000000000000000000000000000', activitySid: w.activity('Break').sid }, 'not-found'],
        [{ ...base, activitySid: w.activity('Break').sid, ifMatchVersion: w.alice.version + 7 }, 'version-mismatch'],
        [{ ...base, activitySid: w.activity('Available').sid, rejectPendingReservations: true }, 'invalid-parameter'],
      ] as const;
      for (const [request, code] of cases) {
        const result = await w.store.setActivity(request);
        expect(result.ok ? 'ok' : result.refusal.code).toBe(code);
      }
      expect(await w.store.activityLog(w.workspace.sid)).toEqual(before);
      expect(await w.store.findWorker(w.workspace.sid, w.alice.sid)).toEqual(w.alice);
      const changed = must(await w.store.setActivity({ ...base, activitySid: w.activity('Break').sid, ifMatchVersion: w.alice.version }));
      expect(changed.worker).toMatchObject({ activityName: 'Break', version: w.alice.version + 1 });
      await w.handle.dispose();
    });

    it('applies logout settings to pending disconnections and refuses invalid ones whole', async () => {
      const w = await setup();
      const ADMIN = w.workspace.accountSid;
      expect((await w.store.logoutSettings(w.workspace.sid)).updatedBy).toBeNull();
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      const lastSeenAt = w.clock.now();
      await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt });
      const bad = await w.store.updateLogoutSettings(w.workspace.sid, { enabled: false, thresholdS: 0 }, ADMIN);
      expect(bad.ok ? null : bad.refusal.field).toBe('offline_config.presence_ttl');
      const available = await w.store.updateLogoutSettings(w.workspace.sid, { logoutActivitySid: w.activity('Available').sid }, ADMIN);
      expect(available.ok ? null : available.refusal.field).toBe('taskrouter_offline_activity_sid');
      expect(await w.store.logoutSettings(w.workspace.sid)).toMatchObject({ enabled: true, thresholdMs: THRESHOLD_MS });
      must(await w.store.updateLogoutSettings(w.workspace.sid, { enabled: false }, ADMIN));
      expect(await w.store.nextDueAt()).toBeNull();
      w.clock.advance(60_000);
      must(await w.store.updateLogoutSettings(w.workspace.sid, { enabled: true, thresholdS: 10 }, ADMIN));
      // Rule 9: max(last seen + threshold, now).
      expect(await w.store.nextDueAt()).toBe(w.clock.now());
      must(await w.store.updateLogoutSettings(w.workspace.sid, { thresholdS: 120 }, ADMIN));
      expect(await w.store.nextDueAt()).toBe(lastSeenAt + 120_000);
      expect(await w.store.logoutSettings(w.workspace.sid)).toMatchObject({ updatedBy: ADMIN, updatedAt: w.clock.now() });
      await w.handle.dispose();
    });

    it('claims due deadlines in batches, oldest first, each at most once', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      const names = ['w1', 'w2', 'w3', 'w4', 'w5'];
      for (const [i, name] of names.entries()) {
        const worker = must(await w.store.createWorker({ workspaceSid: w.workspace.sid, friendlyName: name, attributes: '{}', activitySid: w.activity('Available').sid, actor: 'ACx' })).worker;
        must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: worker.sid, connectionId: `CN${i}`, nodeId: 'NDa', exempt: false }));
        await w.store.endConnection({ connectionId: `CN${i}`, reason: 'closed', lastSeenAt: w.clock.now() });
        w.clock.advance(10);
      }
      w.clock.advance(THRESHOLD_MS);
      const sizes: number[] = [];
      const order: string[] = [];
      for (;;) {
        const batch = await w.store.claimDueDeadlines(2);
        if (batch.length === 0) break;
        sizes.push(batch.length);
        order.push(...batch.map((c) => c.worker.friendlyName));
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(order).toEqual(names);
      await w.handle.dispose();
    });

    it('claims a burst of due deadlines, however it is read, each exactly once', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      // All at once would be an outage to the breaker (held, not logged out): this case is about claiming.
      must(await w.store.updateWorkspace(w.workspace.sid, {}, w.workspace.accountSid, { breaker: { enabled: false } }));
      const names = Array.from({ length: 150 }, (_, i) => `b${String(i).padStart(3, '0')}`);
      for (const [i, name] of names.entries()) {
        const worker = must(await w.store.createWorker({ workspaceSid: w.workspace.sid, friendlyName: name, attributes: '{}', activitySid: w.activity('Available').sid, actor: 'ACx' })).worker;
        must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: worker.sid, connectionId: `CNb${i}`, nodeId: 'NDa', exempt: false }));
      }
      await w.store.endConnections(names.map((_, i) => ({ connectionId: `CNb${i}`, reason: 'closed', lastSeenAt: w.clock.now() })));
      w.clock.advance(THRESHOLD_MS + 1000);
      const order: string[] = [];
      for (let calls = 0; calls < 200; calls++) {
        const batch = logouts(await w.store.claimDueDeadlines(1000));
        if (batch.length === 0) break;
        order.push(...batch.map((c) => c.worker.friendlyName));
      }
      expect(order).toHaveLength(names.length);
      expect([...order].sort()).toEqual(names);
      expect(await w.store.nextDueAt()).toBeNull();
      await w.handle.dispose();
    });

    it('keeps deadlines, presence and the log across a reopen of the same database', async () => {
      const w = await setup();
      await w.store.registerNode('NDa');
      must(await w.store.openConnection({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      await w.store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: w.clock.now() });
      const due = await w.store.nextDueAt();
      const store = await w.handle.reopen();
      expect(await store.nextDueAt()).toBe(due);
      w.clock.advance(THRESHOLD_MS);
      expect(logouts(await store.claimDueDeadlines(500))).toHaveLength(1);
      expect((await store.findWorker(w.workspace.sid, w.alice.sid))?.activityName).toBe('Offline');
      await w.handle.dispose();
    });

    it('creates one worker of a name when several creations of it run at once, and the others of other names beside them', async () => {
      const w = await setup();
      const create = (friendlyName: string) => w.store.createWorker({ workspaceSid: w.workspace.sid, friendlyName, attributes: '{}', actor: 'ACx' });
      const results = await Promise.all([...['zoe', 'zoe', 'zoe', 'zoe'].map(create), ...['yan', 'xia', 'wim'].map(create)]);
      const outcome = results.map((r) => (r.ok ? r.value.worker.friendlyName : r.refusal.code));
      expect(outcome.slice(0, 4).sort()).toEqual(['conflict', 'conflict', 'conflict', 'zoe']);
      expect(outcome.slice(4)).toEqual(['yan', 'xia', 'wim']);
      expect((await w.store.listWorkers(w.workspace.sid)).filter((x) => x.friendlyName === 'zoe')).toHaveLength(1);
      await w.handle.dispose();
    });

    it('refuses duplicate worker names and unknown activities on create, and versions attribute changes', async () => {
      const w = await setup();
      const dup = await w.store.createWorker({ workspaceSid: w.workspace.sid, friendlyName: 'alice', attributes: '{}', actor: 'ACx' });
      expect(dup.ok ? null : dup.refusal.code).toBe('conflict');
      const unknown = await w.store.createWorker({ workspaceSid: w.workspace.sid, friendlyName: 'zed', attributes: '{}', activitySid: 'WA00000000000000000000000000000000', actor: 'ACx' });
      expect(unknown.ok ? null : unknown.refusal.field).toBe('ActivitySid');
      const changed = must(await w.store.changeWorker({ workspaceSid: w.workspace.sid, workerSid: w.alice.sid, attributes: '{"a":1}', actor: 'ACx' }));
      expect(changed.worker).toMatchObject({ attributes: '{"a":1}', version: w.alice.version + 1 });
      expect(changed.events[0]?.eventType).toBe('worker.attributes.update');
      await w.handle.dispose();
    });

    it('changes name, attributes and activity of one request in one transaction, or nothing of it', async () => {
      const w = await setup();
      const base = { workspaceSid: w.workspace.sid, workerSid: w.alice.sid, actor: 'ACx' };
      const before = await w.store.findWorker(w.workspace.sid, w.alice.sid);
      const eventsBefore = (await w.store.events(w.workspace.sid)).length;
      const refusals = [
        await w.store.changeWorker({ ...base, friendlyName: 'ally', attributes: '{"b":2}', activity: { activitySid: w.activity('Available').sid, cause: 'api', rejectPendingReservations: true } }),
        await w.store.changeWorker({ ...base, friendlyName: 'ally', attributes: '{"b":2}', activity: { activitySid: 'WA00000000000000000000000000000000', cause: 'api', rejectPendingReservations: false } }),
        await w.store.changeWorker({ ...base, friendlyName: 'bob', attributes: '{"b":2}' }),
        await w.store.changeWorker({ ...base, attributes: '{"b":2}', ifMatchVersion: (before?.version ?? 0) + 5 }),
      ];
      expect(refusals.map((r) => (r.ok ? 'written' : r.refusal.code))).toEqual(['invalid-parameter', 'invalid-parameter', 'conflict', 'version-mismatch']);
      expect(await w.store.findWorker(w.workspace.sid, w.alice.sid)).toEqual(before);
      expect((await w.store.events(w.workspace.sid)).length).toBe(eventsBefore);
      const all = must(await w.store.changeWorker({ ...base, friendlyName: 'ally', attributes: '{"b":2}', activity: { activitySid: w.activity('Break').sid, cause: 'api', rejectPendingReservations: true } }));
      expect(all.worker).toMatchObject({ friendlyName: 'ally', attributes: '{"b":2}', activitySid: w.activity('Break').sid });
      expect(all.events.map((e) => e.eventType)).toEqual(['worker.attributes.update', 'worker.activity.update']);
      await w.handle.dispose();
    });
  });
}
