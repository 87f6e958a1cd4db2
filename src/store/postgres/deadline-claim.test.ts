/**
 * Two nodes (two stores, two pools) on one database claim the same due deadlines at once, on the
 * database's clock: every worker is logged out exactly once — one log entry, one event, one
 * episode outcome — and neither node waits for the other (SKIP LOCKED).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import type { PresenceCommit } from '../../service/ports.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const WORKERS = 200;

describe.skipIf(NO_POSTGRES)(`PostgreSQL deadlines across nodes${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await schema.drop();
  });

  const open = async (): Promise<PostgresStore> => {
    const store = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, poolSize: 4 });
    stores.push(store);
    return store;
  };

  /** Claims in small batches until nothing is due; resolves to every commit this node made. */
  const drain = async (store: PostgresStore): Promise<PresenceCommit[]> => {
    const all: PresenceCommit[] = [];
    for (;;) {
      const batch = await store.claimDueDeadlines(15);
      if (batch.length === 0 && (await store.nextDueAt()) === null) return all;
      all.push(...batch);
    }
  };

  it(`logs each of ${WORKERS} due workers out exactly once when two nodes claim them concurrently`, async () => {
    schema = await createTestSchema();
    const [a, b] = [await open(), await open()];
    const account = await a.createAccount('Race');
    // A 1 ms threshold: every deadline is due as soon as its connection has ended.
    const workspace = await a.createWorkspace({
      accountSid: account.sid, friendlyName: 'Race', logoutActivityName: 'Offline', thresholdMs: 1,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    const available = (await a.listActivities(workspace.sid)).find((x) => x.friendlyName === 'Available');
    await a.registerNode('NDa');
    const sids: string[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const created = await a.createWorker({ workspaceSid: workspace.sid, friendlyName: `w${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      sids.push(created.value.worker.sid);
      const opened = await a.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDa', exempt: false });
      if (!opened.ok) throw new Error(opened.refusal.message);
    }
    const ended = await a.endConnections(sids.map((_, i) => ({ connectionId: `CN${i}`, reason: 'closed' as const, lastSeenAt: 0 })));
    expect(ended).toHaveLength(WORKERS);

    const [firedA, firedB] = await Promise.all([drain(a), drain(b)]);
    const loggedOut = [...firedA, ...firedB].filter((c) => c.outputs.some((o) => o.type === 'activity-changed' && o.cause === 'offline-threshold'));
    expect(loggedOut).toHaveLength(WORKERS);
    expect(new Set(loggedOut.map((c) => c.worker.sid)).size).toBe(WORKERS);
    expect(firedA.length + firedB.length).toBe(WORKERS);

    const log = await a.activityLog(workspace.sid);
    const logouts = log.filter((e) => e.cause === 'offline-threshold');
    expect(logouts).toHaveLength(WORKERS);
    expect(new Set(logouts.map((e) => e.workerSid)).size).toBe(WORKERS);
    const events = await b.events(workspace.sid, { eventTypes: ['worker.activity.update'] });
    expect(events).toHaveLength(WORKERS);
    expect(new Set(events.map((e) => e.resourceSid)).size).toBe(WORKERS);
    const episodes = await b.disconnectEpisodes(workspace.sid);
    expect(episodes.map((e) => e.outcome)).toEqual(sids.map(() => 'logged-out'));
    expect((await b.listWorkers(workspace.sid)).every((w) => w.activityName === 'Offline')).toBe(true);
    expect(await a.nextDueAt()).toBeNull();
  });
});
