/**
 * The administration half of the PostgreSQL store (AdminStore), on a schema of its own and a
 * ManualClock: the engine-neutral cases of store/sqlite/admin-queries.test.ts (keyset paging both
 * ways, filters, the statistics window, deletions and their refusals), run against this engine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import type { Result } from '../../core/errors.js';
import type { Activity, Worker, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { PageOf, Store } from '../../service/ports.js';
import { createPostgresStore } from './postgres-store.js';

describe.skipIf(NO_POSTGRES)(`PostgreSQL administration${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  let clock: ManualClock;
  let store: Store;
  let workspace: Workspace;
  let activities: Activity[];
  let accountSid: string;

  const activity = (name: string): string => {
    const found = activities.find((a) => a.friendlyName === name);
    if (!found) throw new Error(`no activity ${name}`);
    return found.sid;
  };

  function must<T>(result: Result<T>): T {
    if (!result.ok) throw new Error(`unexpected refusal: ${result.refusal.message}`);
    return result.value;
  }

  async function createWorkers(...names: string[]): Promise<Worker[]> {
    const workers: Worker[] = [];
    for (const name of names) workers.push(must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', actor: accountSid })).worker);
    return workers;
  }

  const names = (page: PageOf<Worker>): string[] => page.items.map((w) => w.friendlyName);

  beforeEach(async () => {
    schema = await createTestSchema();
    clock = new ManualClock();
    store = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    accountSid = (await store.createAccount('Admin')).sid;
    workspace = await store.createWorkspace({
      accountSid, friendlyName: 'Admin',
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
      logoutActivityName: 'Offline', thresholdMs: 30_000,
    });
    activities = await store.listActivities(workspace.sid);
  });

  afterEach(async () => {
    await store.close();
    await schema.drop();
  });

  describe('pageWorkers', () => {
    it('walks forward and backward with cursors, saying when there is more', async () => {
      await createWorkers('a', 'b', 'c', 'd', 'e');
      const first = must(await store.pageWorkers(workspace.sid, {}, { limit: 2 }));
      expect([names(first), first.more]).toEqual([['a', 'b'], true]);
      const second = must(await store.pageWorkers(workspace.sid, {}, { limit: 2, after: first.lastCursor ?? '' }));
      expect([names(second), second.more]).toEqual([['c', 'd'], true]);
      const third = must(await store.pageWorkers(workspace.sid, {}, { limit: 2, after: second.lastCursor ?? '' }));
      expect([names(third), third.more]).toEqual([['e'], false]);
      const back = must(await store.pageWorkers(workspace.sid, {}, { limit: 2, before: third.firstCursor ?? '' }));
      expect([names(back), back.more]).toEqual([['c', 'd'], true]);
      const start = must(await store.pageWorkers(workspace.sid, {}, { limit: 2, before: back.firstCursor ?? '' }));
      expect([names(start), start.more]).toEqual([['a', 'b'], false]);
      const exact = must(await store.pageWorkers(workspace.sid, {}, { limit: 5 }));
      expect([names(exact).length, exact.more]).toEqual([5, false]);
    });

    it('filters on activity, availability and name, and refuses a cursor it did not issue', async () => {
      const [, b, c] = await createWorkers('a', 'b', 'c');
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid: b?.sid ?? '', activitySid: activity('Available'), cause: 'api', actor: accountSid, rejectPendingReservations: false }));
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid: c?.sid ?? '', activitySid: activity('Break'), cause: 'api', actor: accountSid, rejectPendingReservations: false }));
      const page = async (filter: Parameters<Store['pageWorkers']>[1]) => names(must(await store.pageWorkers(workspace.sid, filter, { limit: 50 })));
      expect(await page({ available: true })).toEqual(['b']);
      expect(await page({ available: false })).toEqual(['a', 'c']);
      expect(await page({ activityName: 'Break' })).toEqual(['c']);
      expect(await page({ activitySid: activity('Offline') })).toEqual(['a']);
      expect(await page({ friendlyName: 'b', available: false })).toEqual([]);
      const bad = await store.pageWorkers(workspace.sid, {}, { limit: 2, after: 'x1' });
      expect(bad.ok ? null : bad.refusal).toMatchObject({ code: 'invalid-parameter', field: 'PageToken' });
    });
  });

  describe('pageEvents', () => {
    it('filters on type, resource, event_data fields and time, both ends inclusive', async () => {
      const [a] = await createWorkers('a');
      clock.advance(1000);
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid: a?.sid ?? '', activitySid: activity('Break'), cause: 'api', actor: accountSid, rejectPendingReservations: false }));
      clock.advance(1000);
      must(await store.createActivity({ workspaceSid: workspace.sid, friendlyName: 'Lunch', available: false, actor: accountSid }));
      const types = async (filter: Parameters<Store['pageEvents']>[1]) => must(await store.pageEvents(workspace.sid, filter, { limit: 50 })).items.map((e) => e.eventType);
      const t0 = clock.now() - 2000;
      expect(await types({})).toEqual(['worker.created', 'worker.activity.update', 'activity.created']);
      expect(await types({ eventTypes: ['activity.created', 'worker.created'] })).toEqual(['worker.created', 'activity.created']);
      expect(await types({ data: { worker_sid: a?.sid ?? '' } })).toEqual(['worker.created', 'worker.activity.update']);
      expect(await types({ data: { worker_sid: a?.sid ?? '', worker_activity_name: 'Break' } })).toEqual(['worker.activity.update']);
      expect(await types({ resourceSid: a?.sid ?? '' })).toEqual(['worker.created', 'worker.activity.update']);
      expect(await types({ startAt: t0 + 1000, endAt: t0 + 1000 })).toEqual(['worker.activity.update']);
      expect(await types({ startAt: t0 + 1001 })).toEqual(['activity.created']);
    });
  });

  describe('activityLogWindow', () => {
    it('returns each worker\'s last entry at or before the start and every entry inside, for existing workers only', async () => {
      const [a, b] = await createWorkers('a', 'b');
      const set = async (w: Worker | undefined, name: string) =>
        must(await store.setActivity({ workspaceSid: workspace.sid, workerSid: w?.sid ?? '', activitySid: activity(name), cause: 'api', actor: accountSid, rejectPendingReservations: false }));
      clock.advance(1000);
      await set(a, 'Available');
      clock.advance(1000);
      await set(a, 'Break');
      const startAt = clock.now();
      clock.advance(1000);
      await set(a, 'Available');
      await set(b, 'Break');
      clock.advance(1000);
      const entries = await store.activityLogWindow(workspace.sid, { startAt, endAt: clock.now() });
      const seen = entries.map((e) => [e.workerSid === a?.sid ? 'a' : 'b', activities.find((x) => x.sid === e.toActivitySid)?.friendlyName, e.effectiveAt - startAt]);
      expect(seen.sort()).toEqual([['a', 'Available', 1000], ['a', 'Break', 0], ['b', 'Break', 1000], ['b', 'Offline', -2000]].sort());
      must(await store.deleteWorker({ workspaceSid: workspace.sid, workerSid: b?.sid ?? '', actor: accountSid }));
      expect((await store.activityLogWindow(workspace.sid, { startAt, endAt: clock.now() })).every((e) => e.workerSid === a?.sid)).toBe(true);
    });
  });

  describe('deleteWorker', () => {
    it('removes a connected worker with its pending deadline, closes its episode, and keeps its history', async () => {
      const [a] = await createWorkers('a');
      const sid = a?.sid ?? '';
      await store.registerNode('NDa');
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid: sid, activitySid: activity('Available'), cause: 'api', actor: accountSid, rejectPendingReservations: false }));
      must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: sid, connectionId: 'CN1', nodeId: 'NDa', exempt: false }));
      must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: sid, connectionId: 'CN2', nodeId: 'NDa', exempt: false }));
      await store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: clock.now() });
      await store.endConnection({ connectionId: 'CN2', reason: 'closed', lastSeenAt: clock.now() });
      expect(await store.nextDueAt()).not.toBeNull();

      const deleted = must(await store.deleteWorker({ workspaceSid: workspace.sid, workerSid: sid, actor: accountSid }));
      expect(deleted.events.map((e) => e.eventType)).toEqual(['worker.deleted']);
      expect(await store.findWorker(workspace.sid, sid)).toBeNull();
      expect(await store.nextDueAt()).toBeNull();
      expect((await store.disconnectEpisodes(workspace.sid))[0]?.endedAt).toBe(clock.now());
      expect((await store.activityLog(workspace.sid, { workerSid: sid })).length).toBe(2);
      clock.advance(60_000);
      expect(await store.claimDueDeadlines(10)).toEqual([]);
    });

    it('refuses a stale version and changes nothing', async () => {
      const [a] = await createWorkers('a');
      const refused = await store.deleteWorker({ workspaceSid: workspace.sid, workerSid: a?.sid ?? '', actor: accountSid, ifMatchVersion: 7 });
      expect(refused.ok ? null : refused.refusal.code).toBe('version-mismatch');
      expect(await store.findWorker(workspace.sid, a?.sid ?? '')).not.toBeNull();
    });
  });

  describe('activities and workspace', () => {
    it('refuse duplicate names and deletions the rules forbid, writing nothing', async () => {
      expect((await store.createActivity({ workspaceSid: workspace.sid, friendlyName: 'Break', available: true, actor: accountSid })).ok).toBe(false);
      const refused = await store.deleteActivity({ workspaceSid: workspace.sid, activitySid: activity('Offline'), actor: accountSid });
      expect(refused.ok ? null : refused.refusal.code).toBe('conflict');
      const patch = await store.updateWorkspace(workspace.sid, { friendlyName: 'Renamed', defaultActivitySid: 'WAnope' }, accountSid);
      expect(patch.ok ? null : patch.refusal.field).toBe('DefaultActivitySid');
      expect((await store.findWorkspace(workspace.sid))?.friendlyName).toBe('Admin');
      expect((await store.listActivities(workspace.sid)).length).toBe(3);
      expect(await store.events(workspace.sid)).toEqual([]);
    });
  });
});
