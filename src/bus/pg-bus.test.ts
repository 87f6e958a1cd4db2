/**
 * The PostgreSQL bus between two "nodes" (two buses on one schema): a message crosses through a
 * notification, a large one through bus_payloads, and an event committed without any notification
 * is found by the poll of the event sequence, once; a catalogue change crosses, and a LISTEN
 * connection that comes back tells the subscribers to resync. Skipped without ROLLCALL_TEST_DATABASE_URL.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, TEST_DATABASE_URL, type TestSchema } from '../../test/support/postgres.js';
import type { BusMessage } from '../service/ports.js';
import { createPostgresStore, type PostgresStore } from '../store/postgres/postgres-store.js';
import { createPgBus, NOTIFY_LIMIT_BYTES, type PgBus } from './pg-bus.js';
import { silentLog } from '../../test/support/silent-log.js';


describe.skipIf(NO_POSTGRES)(`the PostgreSQL bus${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema | null = null;
  let store: PostgresStore | null = null;
  const buses: PgBus[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.stop();
    await store?.close();
    await schema?.drop();
    store = null;
    schema = null;
  });

  async function world() {
    schema = await createTestSchema();
    const s = (store = await createPostgresStore({ url: TEST_DATABASE_URL, pgOptions: schema.pgOptions }));
    const account = await s.createAccount('Bus');
    const workspace = await s.createWorkspace({
      accountSid: account.sid, friendlyName: 'Bus', logoutActivityName: 'Offline', thresholdMs: 30_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    const available = (await s.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Available');
    const created = await s.createWorker({ workspaceSid: workspace.sid, friendlyName: 'alice', attributes: '{}', actor: account.sid });
    if (!created.ok || !available) throw new Error('setup');
    const bus = (tag: string): PgBus => {
      const b = createPgBus({ url: schema?.urlInSchema ?? '', nodeTag: tag, log: silentLog, events: s, pollMs: 60_000 });
      buses.push(b);
      return b;
    };
    const a = bus('A');
    const b = bus('B');
    await a.start();
    await b.start();
    const heard: BusMessage[] = [];
    b.subscribe((m) => heard.push(m));
    const next = (): Promise<BusMessage> => new Promise((resolve) => {
      const cancel = b.subscribe((m) => {
        cancel();
        resolve(m);
      });
    });
    return { s, a, b, heard, next, workspace, account, workerSid: created.value.worker.sid, availableSid: available.sid, createdEvent: created.value.events[0] };
  }

  it('carries a message to the other node, marked remote, and a large one through the table', async () => {
    const w = await world();
    expect(w.a.listening && w.b.listening).toBe(true);
    const small = w.next();
    w.a.publish({ event: w.createdEvent });
    expect(await small).toEqual({ event: w.createdEvent, remote: true });
    const big = { ...w.createdEvent, sid: 'EVbig', description: 'x'.repeat(NOTIFY_LIMIT_BYTES * 2) } as NonNullable<BusMessage['event']>;
    const large = w.next();
    w.a.publish({ event: big });
    expect(await large).toEqual({ event: big, remote: true });
    // The receiver heard each once.
    expect(w.heard.map((m) => m.event?.sid)).toEqual([w.createdEvent?.sid, 'EVbig']);
  });

  it('carries a burst of messages in order, in a few notifications rather than one per message', async () => {
    const w = await world();
    // A third listener on the same channel counts the notifications.
    const counter = new pg.Client({ connectionString: schema?.urlInSchema ?? '' });
    await counter.connect();
    const channel = `rollcall_bus_${schema?.schema ?? ''}`.slice(0, 63);
    let notifications = 0;
    counter.on('notification', (n) => { if (n.channel === channel) notifications++; });
    await counter.query(`LISTEN "${channel}"`);
    try {
      const sids = Array.from({ length: 1200 }, (_, i) => `EVburst${String(i).padStart(4, '0')}`);
      const all = new Promise<void>((resolve) => {
        const cancel = w.b.subscribe(() => {
          if (w.heard.length < sids.length) return;
          cancel();
          resolve();
        });
      });
      for (const sid of sids) w.a.publish({ event: { ...w.createdEvent, sid } as NonNullable<BusMessage['event']> });
      await all;
      expect(w.heard.map((m) => m.event?.sid)).toEqual(sids);
      expect(w.heard.every((m) => m.remote === true)).toBe(true);
      // 1 200 messages of ~1 KB: at least three batches (500 each at most), and nowhere near 1 200.
      expect(notifications).toBeGreaterThanOrEqual(3);
      expect(notifications).toBeLessThan(20);
    } finally {
      await counter.end();
    }
  });

  it('finds an event no notification brought by the poll of the event sequence, once', async () => {
    const w = await world();
    // Committed by the store without anyone publishing it (a node that died before its notify).
    const moved = await w.s.setActivity({ workspaceSid: w.workspace.sid, workerSid: w.workerSid, activitySid: w.availableSid, cause: 'api', actor: w.account.sid, rejectPendingReservations: false });
    if (!moved.ok) throw new Error(moved.refusal.message);
    const [event] = moved.value.events;
    // Found, then given one interval for its notification, then delivered; once.
    expect(await w.b.poll()).toBe(0);
    expect(await w.b.poll()).toBe(1);
    expect(w.heard).toEqual([{ event, remote: true }]);
    expect(await w.b.poll()).toBe(0);
    // Another event, notified as well as committed: the poll does not deliver it again.
    const offlineSid = (await w.s.listActivities(w.workspace.sid)).find((x) => x.friendlyName === 'Offline')?.sid ?? '';
    const again = await w.s.setActivity({ workspaceSid: w.workspace.sid, workerSid: w.workerSid, activitySid: offlineSid, cause: 'api', actor: w.account.sid, rejectPendingReservations: false });
    if (!again.ok) throw new Error(again.refusal.message);
    const notified = w.next();
    w.a.publish({ event: again.value.events[0] });
    await notified;
    expect(await w.b.poll()).toBe(0);
    expect(await w.b.poll()).toBe(0);
    expect(w.heard).toHaveLength(2);
  });

  it('carries a catalogue change, and tells its subscribers to resync once its LISTEN connection is back', async () => {
    const w = await world();
    const change = { workspaceSid: w.workspace.sid, part: 'routing' } as const;
    const crossed = w.next();
    w.a.publish({ catalog: change });
    expect(await crossed).toEqual({ catalog: change, remote: true });
    // Both nodes' LISTEN connections end (what a restart of the server does to them).
    const resync = new Promise<BusMessage>((resolve) => w.b.subscribe((m) => m.resync && resolve(m)));
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query = $1', [`LISTEN "rollcall_bus_${schema?.schema}"`]);
      expect(rows).toEqual([{ ended: true }, { ended: true }]);
    } finally {
      await admin.end();
    }
    expect(await resync).toEqual({ resync: true, remote: true });
    expect(w.b.listening).toBe(true);
    // And messages cross again.
    const again = w.next();
    w.a.publish({ catalog: change });
    expect(await again).toEqual({ catalog: change, remote: true });
  });
});
