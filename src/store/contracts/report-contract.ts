/**
 * The history contract for reports (ReportStore): per-worker histories (deleted workers included,
 * with the time they went), keyset pages both ways, exports in chunks that add up to the pages,
 * and what each episode records. Not part of the build; an engine's test file calls
 * `describeReportContract` with its factory (see index.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { ContractStore, StoreFactory, StoreHandle } from './handle.js';

const S = 1000;

export function describeReportContract(engine: string, factory: StoreFactory): void {
  describe(`Report store contract: ${engine}`, () => {
    let handle: StoreHandle;
    let clock: ManualClock;
    let store: ContractStore;
    let workspace: Workspace;
    let activities: Activity[];
    let T0: number;

    const must = <T>(r: Result<T>): T => {
      if (!r.ok) throw new Error(r.refusal.message);
      return r.value;
    };
    const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';

    async function worker(name: string): Promise<string> {
      return must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', actor: 'AC' })).worker.sid;
    }

    async function set(workerSid: string, activity: string): Promise<void> {
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid, activitySid: sidOf(activity), cause: 'agent', actor: workerSid, rejectPendingReservations: false }));
    }

    async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
      const all: T[] = [];
      for await (const x of iterable) all.push(x);
      return all;
    }

    beforeEach(async () => {
      clock = new ManualClock();
      T0 = clock.now();
      handle = await factory(clock);
      store = handle.store;
      const accountSid = (await store.createAccount('Reports')).sid;
      workspace = await store.createWorkspace({
        accountSid, friendlyName: 'Reports', logoutActivityName: 'Offline', thresholdMs: 30_000,
        activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
      });
      activities = await store.listActivities(workspace.sid);
      await store.registerNode('NDtest');
    });

    afterEach(async () => {
      await handle.dispose();
    });

    describe('report queries', () => {
      it('gives every worker with a log its history, deleted ones with the time they went', async () => {
        const alice = await worker('alice');
        const bob = await worker('bob');
        clock.advance(60 * S);
        await set(alice, 'Available');
        await set(bob, 'Available');
        clock.advance(60 * S);
        must(await store.deleteWorker({ workspaceSid: workspace.sid, workerSid: bob, actor: 'AC' }));
        clock.advance(60 * S);
        await set(alice, 'Break');
        const histories = await collect(store.workerHistories(workspace.sid, { startAt: T0 + 90 * S, endAt: T0 + 300 * S, logoutActivitySid: sidOf('Offline') }));
        const byName = new Map(histories.map((h) => [h.friendlyName, h]));
        // The last entry at or before the start, then those inside.
        expect(byName.get('alice')?.entries.map((e) => [e.toActivitySid, e.effectiveAt - T0])).toEqual([['*', 60 * S], ['*', 180 * S]]);
        expect(byName.get('bob')).toMatchObject({ workerSid: bob, goneAt: T0 + 120 * S });
        expect(await collect(store.workerHistories(workspace.sid, { startAt: T0, endAt: T0 + 1, logoutActivitySid: sidOf('Offline'), workerSid: `WK${'0'.repeat(32)}` }))).toEqual([]);
      });

      it('pages the log forward and back, and exports the same rows in chunks', async () => {
        const alice = await worker('alice');
        for (let i = 0; i < 7; i++) {
          clock.advance(10 * S);
          await set(alice, i % 2 === 0 ? 'Available' : 'Break');
        }
        const filter = { startAt: T0 + 1, endAt: T0 + 1000 * S };
        const first = must(await store.pageActivityLog(workspace.sid, filter, { limit: 3 }));
        expect(first.items.map((e) => (e.effectiveAt - T0) / S)).toEqual([10, 20, 30]);
        expect(first.more).toBe(true);
        const second = must(await store.pageActivityLog(workspace.sid, filter, { limit: 3, after: first.lastCursor ?? '' }));
        expect(second.items.map((e) => (e.effectiveAt - T0) / S)).toEqual([40, 50, 60]);
        const back = must(await store.pageActivityLog(workspace.sid, filter, { limit: 3, before: second.firstCursor ?? '' }));
        expect(back.items.map((e) => e.id)).toEqual(first.items.map((e) => e.id));
        const perWorker = must(await store.pageActivityLog(workspace.sid, { ...filter, workerSid: alice }, { limit: 100 }));
        const chunks = await collect(store.exportActivityLog(workspace.sid, filter, 2));
        expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 1]);
        expect(chunks.flatMap((c) => c.map((e) => e.id))).toEqual(perWorker.items.map((e) => e.id));
        expect(await store.pageActivityLog(workspace.sid, filter, { limit: 3, after: 'nope' })).toMatchObject({ ok: false, refusal: { field: 'PageToken' } });
      });

      it('records on each episode whether its session was exempt and when its logout took effect', async () => {
        const alice = await worker('alice');
        await set(alice, 'Available');
        must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: alice, connectionId: 'CN1', nodeId: 'NDtest', exempt: false }));
        clock.advance(5 * S);
        await store.endConnection({ connectionId: 'CN1', reason: 'closed', lastSeenAt: clock.now() });
        clock.advance(40 * S);
        await store.claimDueDeadlines(10);
        must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: alice, connectionId: 'CN2', nodeId: 'NDtest', exempt: true }));
        clock.advance(5 * S);
        await store.endConnection({ connectionId: 'CN2', reason: 'closed', lastSeenAt: clock.now() });
        const page = must(await store.pageEpisodes(workspace.sid, { startAt: T0, endAt: T0 + 3600 * S }, { limit: 10 }));
        expect(page.items.map((e) => [e.outcome, e.exempt, e.loggedOutAt === null ? null : (e.loggedOutAt - T0) / S])).toEqual([['logged-out', false, 35], [null, true, null]]);
        const [history] = await collect(store.workerHistories(workspace.sid, { startAt: T0, endAt: clock.now() + 1, logoutActivitySid: sidOf('Offline'), episodesFrom: T0 }));
        expect(history?.episodes.map((e) => [e.exempt, e.loggedOut])).toEqual([[false, true], [true, false]]);
      });
    });
  });
}
