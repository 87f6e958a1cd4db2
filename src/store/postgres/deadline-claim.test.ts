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

  /** A workspace with a 1 ms threshold (every deadline is due once its connection ended), and `count` workers whose connections ended. */
  const disconnectedWorkers = async (store: PostgresStore, count: number) => {
    const account = await store.createAccount('Race');
    const workspace = await store.createWorkspace({
      accountSid: account.sid, friendlyName: 'Race', logoutActivityName: 'Offline', thresholdMs: 1,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    const available = (await store.listActivities(workspace.sid)).find((x) => x.friendlyName === 'Available');
    // All of them dropping at once would trip the mass-disconnect breaker; this is about the ordinary claim.
    const off = await store.updateWorkspace(workspace.sid, {}, account.sid, { breaker: { enabled: false } });
    if (!off.ok) throw new Error(off.refusal.message);
    await store.registerNode('NDa');
    const sids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: `w${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      sids.push(created.value.worker.sid);
      const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDa', exempt: false });
      if (!opened.ok) throw new Error(opened.refusal.message);
    }
    const ended = await store.endConnections(sids.map((_, i) => ({ connectionId: `CN${i}`, reason: 'closed' as const, lastSeenAt: 0 })));
    expect(ended).toHaveLength(count);
    return { workspace, sids };
  };

  it(`logs each of ${WORKERS} due workers out exactly once when two nodes claim them concurrently`, async () => {
    schema = await createTestSchema();
    const [a, b] = [await open(), await open()];
    const { workspace, sids } = await disconnectedWorkers(a, WORKERS);

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

  it('serializes a reconnect on one node with the fire on another: each worker ends in one consistent state', async () => {
    schema = await createTestSchema();
    const [a, b] = [await open(), await open()];
    const { workspace, sids } = await disconnectedWorkers(a, 100);
    await b.registerNode('NDb');
    // Node A fires due deadlines (oldest first: w0, w1, …) while every worker reconnects on node B,
    // newest first (w99, w98, …): the two meet in the middle, so both outcomes occur.
    const reconnects = sids.map((sid, i) => ({ sid, i })).reverse()
      .map(({ sid, i }) => b.openConnection({ workspaceSid: workspace.sid, workerSid: sid, connectionId: `CNb${i}`, nodeId: 'NDb', exempt: false }));
    const [fired, opened] = await Promise.all([drain(a), Promise.all(reconnects)]);
    expect(opened.filter((r) => !r.ok)).toEqual([]);
    const log = await a.activityLog(workspace.sid);
    const workers = new Map((await a.listWorkers(workspace.sid)).map((w) => [w.sid, w]));
    const episodes = await a.disconnectEpisodes(workspace.sid);
    let fireWon = 0;
    for (const sid of sids) {
      const logouts = log.filter((e) => e.workerSid === sid && e.cause === 'offline-threshold');
      const episode = episodes.filter((e) => e.workerSid === sid);
      expect(logouts.length).toBeLessThanOrEqual(1);
      expect(episode).toHaveLength(1);
      // Either the fire committed first (Offline, one log entry; the reconnect found it logged out)
      // or the reconnect did (still Available, no entry, the deadline cancelled).
      if (logouts.length === 1) {
        fireWon++;
        expect(workers.get(sid)?.activityName).toBe('Offline');
        expect(episode[0]).toMatchObject({ outcome: 'logged-out' });
      } else {
        expect(workers.get(sid)?.activityName).toBe('Available');
        expect(episode[0]).toMatchObject({ outcome: 'reconnected' });
      }
    }
    expect(fireWon).toBeGreaterThan(0);
    expect(fireWon).toBeLessThan(sids.length);
    expect(fired.filter((c) => c.outputs.some((o) => o.type === 'activity-changed'))).toHaveLength(fireWon);
    expect(await a.nextDueAt()).toBeNull();
  });
});
