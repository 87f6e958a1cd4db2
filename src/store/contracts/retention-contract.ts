/**
 * The retention contract (RetentionStore): old events and finished tasks go in bounded batches,
 * waiting tasks and recent records stay, 0 keeps a kind forever, and retired nodes go after a
 * day. Not part of the build; an engine's test file calls `describeRetentionContract`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { RetentionCutoffs } from '../../service/ports.js';
import { Retention } from '../../service/retention.js';
import type { ContractStore, StoreFactory, StoreHandle } from './handle.js';

const S = 1000;
const DAY = 86_400 * S;

export function describeRetentionContract(engine: string, factory: StoreFactory): void {
  describe(`Retention store contract: ${engine}`, () => {
    let handle: StoreHandle;
    let clock: ManualClock;
    let store: ContractStore;
    let workspace: Workspace;
    let activities: Activity[];

    const must = <T>(r: Result<T>): T => {
      if (!r.ok) throw new Error(r.refusal.message);
      return r.value;
    };
    const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silent } as never;

    async function worker(name: string): Promise<string> {
      return must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', actor: 'AC' })).worker.sid;
    }

    async function set(workerSid: string, activity: string): Promise<void> {
      must(await store.setActivity({ workspaceSid: workspace.sid, workerSid, activitySid: sidOf(activity), cause: 'agent', actor: workerSid, rejectPendingReservations: false }));
    }

    async function task(workflowSid: string, end: 'completed' | 'canceled' | null): Promise<string> {
      const created = must(await store.createTask(workspace.sid, { workflowSid, taskChannel: 'voice' }, 'test')).task;
      if (end) must(await store.updateTask(workspace.sid, created.sid, { assignmentStatus: 'canceled', reason: 'done', actor: 'test' }));
      return created.sid;
    }

    beforeEach(async () => {
      clock = new ManualClock();
      handle = await factory(clock);
      store = handle.store;
      const accountSid = (await store.createAccount('Retention')).sid;
      workspace = await store.createWorkspace({
        accountSid, friendlyName: 'Retention', logoutActivityName: 'Offline', thresholdMs: 30_000,
        activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
      });
      activities = await store.listActivities(workspace.sid);
      await store.ensureChannels(workspace.sid);
      await store.registerNode('NDtest');
    });

    afterEach(async () => {
      await handle.dispose();
    });

    it('removes old events and finished tasks in bounded batches, and keeps waiting tasks however old', async () => {
      const queue = must(await store.createTaskQueue(workspace.sid, { friendlyName: 'All', targetWorkers: '1==1' }));
      const workflow = must(await store.createWorkflow(workspace.sid, { friendlyName: 'All', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) }));
      const finished = [await task(workflow.sid, 'canceled'), await task(workflow.sid, 'canceled'), await task(workflow.sid, 'canceled')];
      const waiting = await task(workflow.sid, null);
      const oldEvents = (await store.events(workspace.sid)).length;
      clock.advance(40 * DAY);
      const recent = await task(workflow.sid, 'canceled');
      const cutoffs: RetentionCutoffs = { eventsBefore: clock.now() - 30 * DAY, tasksBefore: clock.now() - 30 * DAY, historyBefore: null, nodesBefore: 0 };
      const first = await store.pruneBatch(cutoffs, 2);
      expect(first).toMatchObject({ tasks: 2, events: 2 });
      const retention = new Retention({ store, clock, log: silent, eventDays: 30, taskDays: 30, historyDays: 0, intervalMs: 3_600_000, batch: 2 });
      const rest = await retention.runOnce();
      expect(rest.tasks).toBe(1);
      expect(first.events + rest.events).toBe(oldEvents);
      for (const sid of finished) expect(await store.findTask(workspace.sid, sid)).toBeNull();
      expect((await store.findTask(workspace.sid, waiting))?.assignmentStatus).toBe('pending');
      expect(await store.findTask(workspace.sid, recent)).not.toBeNull();
      expect((await store.events(workspace.sid)).every((e) => e.at >= (cutoffs.eventsBefore ?? 0))).toBe(true);
      expect((await store.events(workspace.sid)).length).toBeGreaterThan(0);
    });

    it('keeps everything when every age is 0 (forever), and removes retired nodes after a day', async () => {
      const alice = await worker('alice');
      await set(alice, 'Available');
      await store.retireNode('NDtest', 'server-restart');
      clock.advance(3650 * DAY);
      const retention = new Retention({ store, clock, log: silent, eventDays: 0, taskDays: 0, historyDays: 0, intervalMs: 3_600_000 });
      expect(retention.cutoffs()).toMatchObject({ eventsBefore: null, tasksBefore: null, historyBefore: null });
      expect(await retention.runOnce()).toEqual({ events: 0, callbacks: 0, tasks: 0, activityLog: 0, rollup: 0, episodes: 0, nodes: 1 });
      expect((await store.activityLog(workspace.sid)).length).toBe(2);
    });
  });
}
