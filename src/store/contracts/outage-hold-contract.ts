/**
 * The mass-disconnect breaker's part of the Store contract: a trip moves the held deadlines in
 * the disconnecting transaction, the hold survives a reopen, the ordinary claim logs the held
 * out exactly once at the hold's end with evidence naming it, and ending it early gives every
 * held worker its ordinary due time back. Written against the port; engines call it with the
 * same factory as every other suite (index.ts). Not part of the build; vitest imports it.
 */
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { PresenceCommit, Store } from '../../service/ports.js';
import type { StoreFactory } from './handle.js';

const THRESHOLD_MS = 30_000;
const HOLD_S = 120;
const AGENTS = 10;

interface World {
  readonly clock: ManualClock;
  readonly store: Store;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly workers: readonly Worker[];
  reopen(): Promise<Store>;
  dispose(): Promise<void>;
}

async function world(factory: StoreFactory): Promise<World> {
  const clock = new ManualClock();
  const handle = await factory(clock);
  const store = handle.store;
  const account = await store.createAccount('Breaker');
  const workspace = await store.createWorkspace({
    accountSid: account.sid, friendlyName: 'Breaker', logoutActivityName: 'Offline', thresholdMs: THRESHOLD_MS,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const available = (await store.listActivities(workspace.sid)).find((a) => a.available);
  // 20 %, at least 10 agents, 10 s window, 120 s hold.
  const set = await store.updateWorkspace(workspace.sid, {}, account.sid, { breaker: { enabled: true, sharePercent: 20, minAgents: AGENTS, windowS: 10, holdS: HOLD_S } });
  if (!set.ok) throw new Error(set.refusal.message);
  await store.registerNode('NDa');
  const workers: Worker[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: `agent-${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
    if (!created.ok) throw new Error(created.refusal.message);
    workers.push(created.value.worker);
    const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDa', exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
  }
  return { clock, store, workspaceSid: workspace.sid, accountSid: account.sid, workers, reopen: () => handle.reopen(), dispose: () => handle.dispose() };
}

const drop = (store: Store, clock: ManualClock, indexes: readonly number[]): Promise<PresenceCommit[]> =>
  store.endConnections(indexes.map((i) => ({ connectionId: `CN${i}`, reason: 'heartbeat-lost' as const, lastSeenAt: clock.now() })));

const logoutsOf = (commits: readonly PresenceCommit[]) =>
  commits.flatMap((c) => c.outputs.flatMap((o) => (o.type === 'activity-changed' && o.cause === 'offline-threshold' ? [{ worker: c.worker.sid, change: o }] : [])));

export function describeOutageHoldContract(engine: string, factory: StoreFactory): void {
  describe(`Store contract, the mass-disconnect breaker: ${engine}`, () => {
    it('one agent dropping alone is logged out at the threshold, with no hold', async () => {
      const w = await world(factory);
      const dropped = await drop(w.store, w.clock, [0]);
      expect(dropped[0]?.outage).toBeUndefined();
      expect(await w.store.nextDueAt()).toBe(w.clock.now() + THRESHOLD_MS);
      w.clock.advance(THRESHOLD_MS);
      const fired = logoutsOf(await w.store.claimDueDeadlines(500));
      expect(fired).toHaveLength(1);
      expect(fired[0]?.change.evidence?.breaker).toBeUndefined();
      await w.dispose();
    });

    it('a trip moves the held deadlines in the same transaction, survives a reopen, and the claim logs out once with the hold as evidence', async () => {
      const w = await world(factory);
      const trippedAt = w.clock.now();
      const untilAt = trippedAt + HOLD_S * 1000;
      const first = await drop(w.store, w.clock, [0]);
      expect(first[0]?.outage).toBeUndefined();
      w.clock.advance(1000);
      // 3 of 10 inside the window: more than 20 %. The earlier drop is held too.
      const commits = await drop(w.store, w.clock, [1, 2]);
      const started = commits.flatMap((c) => c.outage ?? []);
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({ kind: 'started', hold: { disconnections: 3, connectedWorkers: 7, heldWorkers: 3, untilAt: untilAt + 1000 } });
      expect(started[0]?.event).toMatchObject({ eventType: 'workspace.outage_hold.started', resourceSid: w.workspaceSid, data: { held_workers: '3' } });
      for (const c of commits) expect(c.outputs).toContainEqual({ type: 'deadline-set', deadline: { id: 1, dueAt: untilAt + 1000 } });
      // A later drop joins the running hold; one who comes back is untouched.
      w.clock.advance(20_000);
      const joined = await drop(w.store, w.clock, [3]);
      expect(joined[0]?.outage).toBeUndefined();
      expect(joined[0]?.outputs).toContainEqual({ type: 'deadline-set', deadline: { id: 1, dueAt: untilAt + 1000 } });
      const back = await w.store.openConnection({ workspaceSid: w.workspaceSid, workerSid: w.workers[2]?.sid ?? '', connectionId: 'CN2b', nodeId: 'NDa', exempt: false });
      expect(back.ok && back.value.outputs.some((o) => o.type === 'activity-changed')).toBe(false);

      const store = await w.reopen();
      const view = await store.outageBreaker(w.workspaceSid);
      expect(view?.hold).toMatchObject({ trippedAt: trippedAt + 1000, untilAt: untilAt + 1000, heldWorkers: 3 });
      expect(await store.nextOutageHoldEndAt()).toBe(untilAt + 1000);
      // The ordinary due times pass: nothing is due.
      w.clock.advance(THRESHOLD_MS);
      expect(await store.claimDueDeadlines(500)).toEqual([]);
      w.clock.advance(untilAt + 1000 - w.clock.now());
      const fired = logoutsOf(await store.claimDueDeadlines(500));
      expect(fired.map((f) => f.worker).sort()).toEqual([0, 1, 3].map((i) => w.workers[i]?.sid).sort());
      for (const f of fired) {
        expect(f.change.effectiveAt).toBe(untilAt + 1000);
        expect(f.change.evidence?.breaker).toMatchObject({ holdSid: view?.hold?.sid, untilAt: untilAt + 1000, endedAt: null });
      }
      expect(fired.find((f) => f.worker === w.workers[0]?.sid)?.change.evidence?.breaker?.ordinaryDueAt).toBe(trippedAt + THRESHOLD_MS);
      expect(await store.claimDueDeadlines(500)).toEqual([]);
      const ended = await store.endExpiredOutageHolds(10);
      expect(ended).toMatchObject([{ kind: 'ended', hold: { endReason: 'expired', heldWorkers: 0 }, event: { eventType: 'workspace.outage_hold.ended' } }]);
      expect(await store.endExpiredOutageHolds(10)).toEqual([]);
      expect((await store.outageBreaker(w.workspaceSid))?.hold).toBeNull();
      const log = await store.activityLog(w.workspaceSid);
      expect(log.filter((e) => e.cause === 'offline-threshold')).toHaveLength(3);
      await w.dispose();
    });

    it('ending the hold early gives each held worker its ordinary due time back: the overdue at once, the rest on time', async () => {
      const w = await world(factory);
      const firstAt = w.clock.now();
      await drop(w.store, w.clock, [0, 1, 2]);
      w.clock.advance(5000);
      await drop(w.store, w.clock, [3]);
      w.clock.advance(27_000);
      expect(await w.store.claimDueDeadlines(500)).toEqual([]);
      const refused = await w.store.updateWorkspace(w.workspaceSid, {}, w.accountSid, { endOutageHold: true, breaker: { holdS: 0 } });
      expect(refused.ok).toBe(false);
      expect((await w.store.outageBreaker(w.workspaceSid))?.hold?.heldWorkers).toBe(4);
      const ended = await w.store.updateWorkspace(w.workspaceSid, {}, w.accountSid, { endOutageHold: true });
      expect(ended.ok && ended.value.events.map((e) => [e.eventType, e.data.end_reason])).toEqual([['workspace.outage_hold.ended', 'ended-early']]);
      expect(await w.store.nextDueAt()).toBe(firstAt + THRESHOLD_MS);
      const fired = logoutsOf(await w.store.claimDueDeadlines(500));
      expect(fired.map((f) => f.change.effectiveAt)).toEqual([firstAt + THRESHOLD_MS, firstAt + THRESHOLD_MS, firstAt + THRESHOLD_MS]);
      expect(fired[0]?.change.evidence?.breaker).toMatchObject({ endReason: 'ended-early', endedAt: w.clock.now() });
      expect(await w.store.nextDueAt()).toBe(firstAt + 5000 + THRESHOLD_MS);
      const again = await w.store.updateWorkspace(w.workspaceSid, {}, w.accountSid, { endOutageHold: true });
      expect(again.ok ? null : again.refusal).toMatchObject({ code: 'conflict', field: 'EndOutageHold' });
      await w.dispose();
    });

    it('turning the breaker off ends the hold the same way; off, a mass drop is ordinary', async () => {
      const w = await world(factory);
      const at = w.clock.now();
      await drop(w.store, w.clock, [0, 1, 2]);
      const off = await w.store.updateWorkspace(w.workspaceSid, {}, w.accountSid, { breaker: { enabled: false } });
      expect(off.ok && off.value.events.map((e) => e.data.end_reason)).toEqual(['breaker-off']);
      expect(await w.store.nextDueAt()).toBe(at + THRESHOLD_MS);
      const more = await drop(w.store, w.clock, [3, 4, 5, 6]);
      expect(more.flatMap((c) => c.outage ?? [])).toEqual([]);
      expect((await w.store.outageBreaker(w.workspaceSid))?.settings.enabled).toBe(false);
      await w.dispose();
    });

    it('a logout due after the hold\'s end anyway is not held', async () => {
      const w = await world(factory);
      const changed = await w.store.updateLogoutSettings(w.workspaceSid, { thresholdS: HOLD_S + 60 }, w.accountSid);
      expect(changed.ok).toBe(true);
      const at = w.clock.now();
      const commits = await drop(w.store, w.clock, [0, 1, 2]);
      expect(commits.flatMap((c) => c.outage ?? [])[0]?.hold.heldWorkers).toBe(0);
      expect(await w.store.nextDueAt()).toBe(at + (HOLD_S + 60) * 1000);
      w.clock.advance((HOLD_S + 60) * 1000);
      const fired = logoutsOf(await w.store.claimDueDeadlines(500));
      expect(fired).toHaveLength(3);
      for (const f of fired) expect(f.change.evidence?.breaker).toBeUndefined();
      await w.dispose();
    });

    it('a threshold change during the hold keeps the held deadlines held', async () => {
      const w = await world(factory);
      const at = w.clock.now();
      await drop(w.store, w.clock, [0, 1, 2]);
      w.clock.advance(40_000);
      const changed = await w.store.updateLogoutSettings(w.workspaceSid, { thresholdS: 10 }, w.accountSid);
      expect(changed.ok).toBe(true);
      expect(await w.store.claimDueDeadlines(500)).toEqual([]);
      expect(await w.store.nextDueAt()).toBe(at + HOLD_S * 1000);
      await w.dispose();
    });
  });
}
