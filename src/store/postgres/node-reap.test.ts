/**
 * Reaping a dead node on PostgreSQL (issue 12 item 2): the node is retired first, then its
 * connections end in batches, each its own transaction. Two reapers at once end every connection
 * exactly once, at the dead node's last heartbeat; a worker that reconnected elsewhere first gets
 * no due time; a retired node's connections left over by a reaper that stopped half-way are taken
 * by the next reap. An opening in flight never holds up its node's lease renewal, and a retirement
 * waits for it (so its connection is reaped, not left on a retired node).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

/** More than two of the reap's batches (250). */
const AGENTS = 600;

describe.skipIf(NO_POSTGRES)(`PostgreSQL node reap${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
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

  /** Runs one statement in the test's schema (to age or retire a node by hand). */
  const sql = async (text: string, values: unknown[]): Promise<Record<string, unknown>[]> => {
    const client = new pg.Client({ connectionString: schema.url, options: schema.pgOptions });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  /** `count` workers, each with one connection on node NDdead, whose lease ran out a minute ago. */
  const deadNode = async (store: PostgresStore, count: number) => {
    const account = await store.createAccount('Reap');
    const workspace = await store.createWorkspace({
      accountSid: account.sid, friendlyName: 'Reap', logoutActivityName: 'Offline', thresholdMs: 30_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    const off = await store.updateWorkspace(workspace.sid, {}, account.sid, { breaker: { enabled: false } });
    if (!off.ok) throw new Error(off.refusal.message);
    const available = (await store.listActivities(workspace.sid)).find((x) => x.friendlyName === 'Available');
    await store.registerNode('NDdead');
    const sids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: `w${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      sids.push(created.value.worker.sid);
      const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDdead', exempt: false });
      if (!opened.ok) throw new Error(opened.refusal.message);
    }
    // Opening is itself a sign of life: the openings are aged further back than the heartbeat.
    await sql("UPDATE connections SET opened_at = opened_at - 120000 WHERE node_id = 'NDdead'", []);
    const [node] = await sql("UPDATE nodes SET heartbeat_at = heartbeat_at - 60000 WHERE id = 'NDdead' RETURNING heartbeat_at", []);
    const heartbeatAt = Number(node?.heartbeat_at);
    return { workspace, sids, heartbeatAt };
  };

  it(`ends each of ${AGENTS} connections of a dead node once, in batches, when two nodes reap it at once`, async () => {
    schema = await createTestSchema();
    const [a, b] = [await open(), await open()];
    const { workspace, sids, heartbeatAt } = await deadNode(a, AGENTS);
    await a.registerNode('NDa');
    await b.registerNode('NDb');
    // Ten agents came back on node B before the reap: they stay connected, with no due time.
    for (const [i, sid] of sids.slice(0, 10).entries()) {
      expect((await b.openConnection({ workspaceSid: workspace.sid, workerSid: sid, connectionId: `CNback${i}`, nodeId: 'NDb', exempt: false })).ok).toBe(true);
    }
    const [byA, byB] = await Promise.all([a.reapNodes('NDa', 'node-lost'), b.reapNodes('NDb', 'node-lost')]);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(AGENTS);
    expect(new Set(all.map((c) => c.worker.sid)).size).toBe(AGENTS);
    const episodes = await a.disconnectEpisodes(workspace.sid);
    expect(episodes).toHaveLength(AGENTS - 10);
    expect(new Set(episodes.map((e) => e.lastSeenAt))).toEqual(new Set([heartbeatAt]));
    expect(await a.heartbeatNode('NDdead')).toBe(false);
    expect(await a.reapNodes('NDa', 'node-lost')).toEqual([]);
  }, 120_000);

  /** A client holding `workerSid`'s row lock, so an opening of that worker stops half-way (after it locked its node). */
  const holdWorker = async (workerSid: string) => {
    const client = new pg.Client({ connectionString: schema.url, options: schema.pgOptions });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM workers WHERE sid = $1 FOR UPDATE', [workerSid]);
    return { release: async () => { await client.query('COMMIT'); await client.end(); } };
  };
  const within = <T>(ms: number, promise: Promise<T>): Promise<T | 'timed out'> =>
    Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);

  it('renews a node lease while an opening on that node is in flight', async () => {
    schema = await createTestSchema();
    const a = await open();
    const { workspace, sids } = await deadNode(a, 1);
    const sid = sids[0] as string;
    await a.registerNode('NDa');
    const held = await holdWorker(sid);
    const opening = a.openConnection({ workspaceSid: workspace.sid, workerSid: sid, connectionId: 'CNnew', nodeId: 'NDa', exempt: false });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the opening now holds its node's row and waits for the worker
    // With the node row held FOR SHARE by the opening, this renewal waited for it (a busy node was reaped).
    expect(await within(3000, a.heartbeatNode('NDa'))).toBe(true);
    await held.release();
    expect((await opening).ok).toBe(true);
  });

  it('retires a dead node only after its opening in flight, then reaps that connection too', async () => {
    schema = await createTestSchema();
    const [a, b] = [await open(), await open()];
    const { workspace, sids } = await deadNode(a, 2);
    const late = sids[1] as string;
    await b.registerNode('NDb');
    // The late worker's old connection ended cleanly; it is reconnecting to the dying node.
    await sql("DELETE FROM connections WHERE id = 'CN1'", []);
    const held = await holdWorker(late);
    const opening = a.openConnection({ workspaceSid: workspace.sid, workerSid: late, connectionId: 'CNlate', nodeId: 'NDdead', exempt: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reap = b.reapNodes('NDb', 'node-lost');
    expect(await within(500, reap)).toBe('timed out'); // the retirement waits for the opening
    await held.release();
    expect((await opening).ok).toBe(true);
    const reaped = await reap;
    expect(reaped.map((c) => c.worker.sid).sort()).toEqual([...sids].sort());
    expect(await sql("SELECT id FROM connections WHERE node_id = 'NDdead'", [])).toEqual([]);
  });

  it("takes a retired node's left-over connections at the next reap", async () => {
    schema = await createTestSchema();
    const a = await open();
    const { workspace } = await deadNode(a, 3);
    await a.registerNode('NDa');
    // A reaper that retired the node and stopped before ending its connections.
    await sql("UPDATE nodes SET retired_at = heartbeat_at WHERE id = 'NDdead'", []);
    const reaped = await a.reapNodes('NDa', 'node-lost');
    expect(reaped).toHaveLength(3);
    expect((await a.disconnectEpisodes(workspace.sid)).map((e) => e.reason)).toEqual(['node-lost', 'node-lost', 'node-lost']);
  });
});
