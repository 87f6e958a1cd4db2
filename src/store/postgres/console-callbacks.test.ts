/**
 * The console, callback-outbox and gauge ports on PostgreSQL (a schema per test, a ManualClock):
 * the Teams view with the last automatic change, the event sequence, sessions that expire, one-time
 * agent links (redeemed once even by two nodes at once), callbacks owed with their event and
 * claimed by two nodes without overlap, and the presence gauges.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../../../test/support/postgres.js';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace, WorkspaceEvent } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import { newSid } from '../../service/ids.js';
import { PgDatabase } from './database.js';
import { recordEvent } from './event-log.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const S = 1000;

describe.skipIf(NO_POSTGRES)(`PostgreSQL console, callbacks and gauges${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema;
  let clock: ManualClock;
  const stores: PostgresStore[] = [];
  let store: PostgresStore;
  let workspace: Workspace;
  let activities: Activity[];

  const must = <T>(r: Result<T>): T => {
    if (!r.ok) throw new Error(r.refusal.message);
    return r.value;
  };
  const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
  const open = async (): Promise<PostgresStore> => {
    const opened = await createPostgresStore({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 3 });
    stores.push(opened);
    return opened;
  };
  /** A workspace event of the test's workspace, for the numbering tests. */
  const workspaceEvent = (description: string): WorkspaceEvent => ({
    sid: newSid('event'), accountSid: workspace.accountSid, workspaceSid: workspace.sid, eventType: 'workspace.updated', resourceType: 'workspace',
    resourceSid: workspace.sid, actorType: 'system', actorSid: null, description, data: {}, cause: null, evidence: null, at: clock.now(),
  });
  const worker = async (name: string): Promise<string> =>
    must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid: sidOf('Available'), actor: 'AC' })).worker.sid;

  beforeEach(async () => {
    schema = await createTestSchema();
    clock = new ManualClock();
    store = await open();
    const accountSid = (await store.createAccount('Console')).sid;
    workspace = await store.createWorkspace({
      accountSid, friendlyName: 'Console', logoutActivityName: 'Offline', thresholdMs: 30_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    activities = await store.listActivities(workspace.sid);
    await store.registerNode('NDa');
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await schema.drop();
  });

  it('shows the team with sessions, the pending logout and the last automatic change, and the gauges agree', async () => {
    const alice = await worker('alice');
    const bob = await worker('bob');
    must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: alice, connectionId: 'CNa', nodeId: 'NDa', exempt: false }));
    must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: bob, connectionId: 'CNb', nodeId: 'NDa', exempt: false }));
    must(await store.openConnection({ workspaceSid: workspace.sid, workerSid: bob, connectionId: 'CNb2', nodeId: 'NDa', exempt: false }));
    await store.endConnection({ connectionId: 'CNa', reason: 'heartbeat-lost', lastSeenAt: clock.now() });
    expect(await store.presenceGauges()).toEqual({ connectedWorkers: 1, sessions: 2, workersInGrace: 1, heldWorkers: 0 });
    const [pending] = await store.teamMembers(workspace.sid, [alice]);
    expect(pending).toMatchObject({ connections: 0, logoutDueAt: clock.now() + 30 * S, lastAutomatic: null, disconnection: { reason: 'heartbeat-lost' } });
    clock.advance(30 * S);
    await store.claimDueDeadlines(10);
    const team = await store.teamMembers(workspace.sid);
    expect(team.map((m) => [m.worker.friendlyName, m.connections])).toEqual([['alice', 0], ['bob', 2]]);
    expect(team[0]?.lastAutomatic).toMatchObject({ cause: 'offline-threshold', fromActivityName: 'Available', toActivityName: 'Offline', evidence: { reason: 'heartbeat-lost', thresholdMs: 30 * S } });
    expect(team[0]?.logoutDueAt).toBeNull();
    expect(team[1]?.lastAutomatic).toBeNull();
    expect(await store.teamMembers(workspace.sid, [bob, 'WKgone00000000000000000000000000'])).toHaveLength(1);
    expect(await store.presenceGauges()).toEqual({ connectedWorkers: 1, sessions: 2, workersInGrace: 0, heldWorkers: 0 });
  });

  it('streams events after a place in the sequence', async () => {
    const before = await store.lastEventSeq(workspace.sid);
    await worker('alice');
    await worker('bob');
    const after = await store.eventsAfter(workspace.sid, before, 10);
    expect(after.map((e) => e.event.eventType)).toEqual(['worker.created', 'worker.created']);
    expect(await store.lastEventSeq(workspace.sid)).toBe(after[1]?.seq);
    expect(await store.eventsAfter(workspace.sid, after[0]?.seq ?? 0, 10)).toEqual([after[1]]);
  });

  it('numbers events in commit order: an event recorded first but committed last is not skipped by a reader following the stream', async () => {
    const db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    try {
      const start = await store.lastEventSeq(workspace.sid);
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let recorded = (): void => undefined;
      const early = new Promise<void>((resolve) => (recorded = resolve));
      // The early transaction records first and commits last.
      const slow = db.tx(async (tx) => {
        await recordEvent(tx, workspaceEvent('recorded first'));
        recorded();
        await held;
      });
      await early;
      await db.tx((tx) => recordEvent(tx, workspaceEvent('recorded second')));
      const firstRead = await store.eventsAfter(workspace.sid, start, 10);
      expect(firstRead.map((e) => e.event.description)).toEqual(['recorded second']);
      release();
      await slow;
      const next = await store.eventsAfter(workspace.sid, firstRead[0]?.seq ?? 0, 10);
      expect(next.map((e) => e.event.description)).toEqual(['recorded first']);
      expect(await store.lastEventSeq(workspace.sid)).toBe(next[0]?.seq);
      // The rows are inserted at the commit, under the workspace's lock: listed by seq (REST paging), they come in commit order too.
      expect((await store.events(workspace.sid)).map((e) => e.description).slice(-2)).toEqual(['recorded second', 'recorded first']);
    } finally {
      await db.close();
    }
  });

  it('numbers a row inserted without a number at its commit (a node of an older build during a rolling upgrade)', async () => {
    const db = new PgDatabase({ url: schema.url, pgOptions: schema.pgOptions, clock, poolSize: 2 });
    try {
      const start = await store.lastEventSeq(workspace.sid);
      const e = workspaceEvent('inserted by an older node');
      await db.tx((tx) => tx.run(`INSERT INTO events (sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{}', NULL, NULL, $10)`,
      [e.sid, e.accountSid, e.workspaceSid, e.eventType, e.resourceType, e.resourceSid, e.actorType, e.actorSid, e.description, e.at]));
      await db.tx((tx) => recordEvent(tx, workspaceEvent('recorded by this build')));
      const read = await store.eventsAfter(workspace.sid, start, 10);
      expect(read.map((r) => r.event.description)).toEqual(['inserted by an older node', 'recorded by this build']);
    } finally {
      await db.close();
    }
  });

  it('keeps sessions until they expire or end', async () => {
    const base = { kind: 'admin' as const, accountSid: workspace.accountSid, credentialSid: workspace.accountSid, workspaceSid: workspace.sid, workerSid: null };
    const session = await store.createConsoleSession({ ...base, tokenHash: 'h1', ttlMs: 60 * S });
    expect(session).toMatchObject({ tokenHash: 'h1', createdAt: clock.now(), expiresAt: clock.now() + 60 * S });
    expect(await store.findConsoleSession('h1')).toEqual(session);
    await store.createConsoleSession({ ...base, tokenHash: 'h2', ttlMs: 60 * S });
    await store.endConsoleSession('h2');
    expect(await store.findConsoleSession('h2')).toBeNull();
    clock.advance(60 * S);
    expect(await store.findConsoleSession('h1')).toBeNull();
  });

  it('redeems an agent link once, even when two nodes redeem it at once', async () => {
    const alice = await worker('alice');
    expect(await store.createAgentLink({ tokenHash: 'x', workspaceSid: workspace.sid, workerSid: 'WKgone00000000000000000000000000', createdBy: 'AC', ttlMs: 60 * S }))
      .toMatchObject({ ok: false, refusal: { code: 'not-found' } });
    must(await store.createAgentLink({ tokenHash: 'link', workspaceSid: workspace.sid, workerSid: alice, createdBy: 'AC', ttlMs: 60 * S }));
    const other = await open();
    const results = await Promise.all([store.redeemAgentLink('link'), other.redeemAgentLink('link')]);
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, value: { workspaceSid: workspace.sid, workerSid: alice, accountSid: workspace.accountSid, createdBy: 'AC' } }]);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? null : r.refusal.code))).toEqual(['unauthenticated']);
    must(await store.createAgentLink({ tokenHash: 'late', workspaceSid: workspace.sid, workerSid: alice, createdBy: 'AC', ttlMs: 60 * S }));
    clock.advance(60 * S);
    expect((await store.redeemAgentLink('late')).ok).toBe(false);
  });

  it('owes a callback with each event, and two nodes claim the due ones without overlap', async () => {
    must(await store.updateWorkspace(workspace.sid, { eventCallbackUrl: 'https://example.test/events' }, 'AC'));
    for (let i = 0; i < 30; i++) await worker(`w${i}`);
    expect(await store.nextCallbackDueAt()).toBe(clock.now());
    const other = await open();
    const claim = async (s: PostgresStore) => {
      const got: number[] = [];
      for (;;) {
        const batch = await s.claimDueCallbacks(4, 60 * S);
        if (batch.length === 0) return got;
        got.push(...batch.map((d) => d.id));
      }
    };
    // The workspace's own update is an event too: 31 owed.
    const owed = (await store.listCallbackDeliveries(workspace.sid, { limit: 100 })).map((d) => d.id);
    expect(owed).toHaveLength(31);
    const [mine, theirs] = await Promise.all([claim(store), claim(other)]);
    expect([...mine, ...theirs].sort((a, b) => a - b)).toEqual(owed);
    // Leased: nothing is due again until the lease ends.
    expect(await store.nextCallbackDueAt()).toBe(clock.now() + 60 * S);
    const first = Math.min(...mine, ...theirs);
    await store.recordCallbackAttempt(first, { status: 'delivered', nextAttemptAt: null, url: 'https://example.test/events', httpStatus: 200, error: null, answer: null });
    const deliveries = await store.listCallbackDeliveries(workspace.sid, { limit: 100 });
    expect(deliveries.map((d) => d.id)).toEqual(owed);
    expect(deliveries[0]).toMatchObject({ id: first, kind: 'event', status: 'delivered', attempts: 1, lastHttpStatus: 200, lastAttemptAt: clock.now() });
    expect(deliveries[1]).toMatchObject({ eventType: 'worker.created', status: 'pending', attempts: 0 });
    expect(deliveries[1]?.params).toMatchObject({ EventType: 'worker.created' });
    expect((await store.listCallbackDeliveries(workspace.sid, { afterId: first, limit: 5 })).map((d) => d.id)).toEqual(deliveries.slice(-5).map((d) => d.id));
  });
});
