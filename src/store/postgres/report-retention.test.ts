/**
 * Retention of the activity log on PostgreSQL (a schema per test, a ManualClock): trimming keeps
 * each worker's state at the cutoff, so reports after it read the same, and outside retention's
 * own transaction the log stays append-only (the trigger). The engine-neutral report and
 * retention cases are in src/store/contracts/, run by postgres-store.test.ts.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
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
});
