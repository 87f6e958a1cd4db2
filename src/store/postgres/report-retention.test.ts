/**
 * Reports and retention on PostgreSQL (a schema per test, a ManualClock): the engine-neutral cases
 * of store/sqlite/report-queries.test.ts and retention-queries.test.ts, run against this engine.
 * Per-worker histories (deleted workers with the time they went), keyset pages both ways, exports
 * in chunks, episode columns; retention in bounded batches that leaves reports after the cutoff
 * reading the same, with the log append-only outside retention's own transaction.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import type { RetentionCutoffs } from '../../service/ports.js';
import { Retention } from '../../service/retention.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const S = 1000;
const DAY = 86_400 * S;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silent } as never;

describe.skipIf(NO_POSTGRES)(`PostgreSQL reports and retention${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  let clock: ManualClock;
  let store: PostgresStore;
  let workspace: Workspace;
  let activities: Activity[];
  let T0: number;

  const must = <T>(r: Result<T>): T => {
    if (!r.ok) throw new Error(r.refusal.message);
    return r.value;
  };
  const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
  const worker = async (name: string): Promise<string> =>
    must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', actor: 'AC' })).worker.sid;
  const set = async (workerSid: string, activity: string): Promise<void> => {
    must(await store.setActivity({ workspaceSid: workspace.sid, workerSid, activitySid: sidOf(activity), cause: 'agent', actor: workerSid, rejectPendingReservations: false }));
  };
  const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
    const all: T[] = [];
    for await (const x of iterable) all.push(x);
    return all;
  };
  /** A statement on a connection of its own, in the test's schema (not through the store). */
  const raw = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: schema.url, options: schema.pgOptions });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  beforeEach(async () => {
    schema = await createTestSchema();
    clock = new ManualClock();
    T0 = clock.now();
    store = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    const accountSid = (await store.createAccount('Reports')).sid;
    workspace = await store.createWorkspace({
      accountSid, friendlyName: 'Reports', logoutActivityName: 'Offline', thresholdMs: 30_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
    });
    activities = await store.listActivities(workspace.sid);
    await store.ensureChannels(workspace.sid);
    await store.registerNode('NDtest');
  });

  afterEach(async () => {
    await store.close();
    await schema.drop();
  });

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

  it('trims the activity log but keeps each worker\'s state at the cutoff, so history after it reads the same', async () => {
    const alice = await worker('alice');
    const bob = await worker('bob');
    await set(alice, 'Available');
    clock.advance(2 * DAY);
    await set(alice, 'Break');
    await set(alice, 'Available');
    clock.advance(2 * DAY);
    const cutoff = clock.now() - DAY;
    clock.advance(DAY / 2);
    await set(alice, 'Offline');
    clock.advance(DAY);
    const read = async () => ({
      histories: await collect(store.workerHistories(workspace.sid, { startAt: cutoff, endAt: clock.now(), logoutActivitySid: sidOf('Offline') })),
      aliceAt: await store.activityAt(workspace.sid, alice, cutoff),
      bobAt: await store.activityAt(workspace.sid, bob, cutoff),
      log: (await store.activityLog(workspace.sid)).length,
    });
    const before = await read();
    const counts = await store.pruneBatch({ eventsBefore: null, tasksBefore: null, historyBefore: cutoff, nodesBefore: 0 }, 100);
    const after = await read();
    expect(counts.activityLog).toBe(2);
    expect(after.log).toBe(before.log - 2);
    expect({ ...after, log: 0 }).toEqual({ ...before, log: 0 });
    expect(after.aliceAt?.activitySid).toBe(sidOf('Available'));
    expect(counts.rollup).toBeGreaterThan(0);
    expect((await raw<{ n: number }>('SELECT COUNT(*)::int AS n FROM activity_rollup WHERE day < $1', [Math.floor(cutoff / DAY)]))[0]?.n).toBe(0);
    expect((await raw<{ n: number }>('SELECT COUNT(*)::int AS n FROM activity_rollup'))[0]?.n).toBeGreaterThan(0);
    // Outside retention's own transaction the log is still append-only, old entries included.
    await expect(raw('DELETE FROM activity_log')).rejects.toThrow(/append-only/);
  });

  it('removes old events and finished tasks in bounded batches, and keeps waiting tasks however old', async () => {
    const queue = must(await store.createTaskQueue(workspace.sid, { friendlyName: 'All', targetWorkers: '1==1' }));
    const workflow = must(await store.createWorkflow(workspace.sid, { friendlyName: 'All', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) }));
    const task = async (end: boolean): Promise<string> => {
      const created = must(await store.createTask(workspace.sid, { workflowSid: workflow.sid, taskChannel: 'voice' }, 'test')).task;
      if (end) must(await store.updateTask(workspace.sid, created.sid, { assignmentStatus: 'canceled', reason: 'done', actor: 'test' }));
      return created.sid;
    };
    const finished = [await task(true), await task(true), await task(true)];
    const waiting = await task(false);
    const oldEvents = (await store.events(workspace.sid)).length;
    clock.advance(40 * DAY);
    const recent = await task(true);
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
