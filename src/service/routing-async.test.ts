/**
 * The routing service on a real SQLite store that answers late (test/support/slow-store.ts): the
 * view of a worker must follow the latest committed state whatever order the re-reads land in, and
 * requests still in flight when routing stops must not throw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slowStore } from '../../test/support/slow-store.js';
import { createLocalBus } from '../bus/local-bus.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { ManualClock } from './clocks.js';
import type { BusMessage } from './ports.js';
import { PresenceService } from './presence-service.js';
import { RoutingService } from './routing-service.js';
import { silentLog } from '../../test/support/silent-log.js';

const disposers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function world() {
  const clock = new ManualClock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-routing-async-'));
  const real = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock, checkpointIntervalMs: 0 });
  const account = await real.createAccount('Async');
  const workspace = await real.createWorkspace({
    accountSid: account.sid, friendlyName: 'Async', logoutActivityName: 'Offline', thresholdMs: 30_000, template: 'FIFO', multiTaskEnabled: true,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const activity = async (name: string) => {
    const found = (await real.listActivities(workspace.sid)).find((a) => a.friendlyName === name);
    if (!found) throw new Error(`no activity ${name}`);
    return found.sid;
  };
  const created = await real.createWorker({ workspaceSid: workspace.sid, friendlyName: 'alice', attributes: '{}', activitySid: await activity('Available'), actor: account.sid });
  if (!created.ok) throw new Error(created.refusal.message);
  const alice = created.value.worker.sid;
  const other = await real.createWorker({ workspaceSid: workspace.sid, friendlyName: 'bob', attributes: '{}', activitySid: await activity('Offline'), actor: account.sid });
  if (!other.ok) throw new Error(other.refusal.message);
  const bob = other.value.worker.sid;
  const slow = slowStore(real, { turns: 2 });
  const bus = createLocalBus((error) => {
    throw error;
  });
  const offers: string[] = [];
  bus.subscribe((m: BusMessage) => {
    if (m.push && 'reservation' in m.push && m.push.reservation?.status === 'pending') offers.push(m.push.workerSid);
  });
  const presence = new PresenceService({ store: slow.store, bus, clock, log: silentLog, nodeId: 'NDasync' });
  const routing = new RoutingService({ store: slow.store, presence, bus, clock, log: silentLog });
  await presence.start();
  await routing.start();
  disposers.push(async () => {
    await routing.stop();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const opened = await presence.connect({ workspaceSid: workspace.sid, workerSid: alice, connectionId: 'CNalice', exempt: false });
  if (!opened.ok) throw new Error(opened.refusal.message);
  const settle = async () => {
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const setActivity = async (name: string) => {
    const changed = await presence.setActivity({ workspaceSid: workspace.sid, workerSid: alice, activitySid: await activity(name), cause: 'api', actor: account.sid, rejectPendingReservations: false });
    if (!changed.ok) throw new Error(changed.refusal.message);
  };
  const changeWorker = async (attributes: string, activityName?: string) => {
    const activitySid = activityName === undefined ? undefined : await activity(activityName);
    const changed = await presence.changeWorker({
      workspaceSid: workspace.sid, workerSid: alice, actor: account.sid, attributes,
      activity: activitySid === undefined ? undefined : { activitySid, cause: 'api', rejectPendingReservations: false },
    });
    if (!changed.ok) throw new Error(changed.refusal.message);
  };
  const [workflow] = await real.listWorkflows(workspace.sid);
  if (!workflow) throw new Error('the FIFO template has no workflow');
  const createTask = () => routing.createTask(workspace.sid, { workflowSid: workflow.sid, attributes: '{}' }, account.sid);
  return { clock, real, slow, bus, presence, routing, workspace, account, alice, bob, offers, settle, setActivity, changeWorker, createTask };
}

describe('routing and changes made on other nodes', () => {
  it('reads the workers other nodes changed only once a task waits, all in one store call', async () => {
    const w = await world();
    await w.settle();
    const asked: string[][] = [];
    const read = w.slow.store.routingCandidatesOf;
    w.slow.store.routingCandidatesOf = async (sids) => {
      asked.push([...sids]);
      return read(sids);
    };
    // Bob went Available on another node, and alice changed there too: two notifications.
    const moved = await w.real.setActivity({
      workspaceSid: w.workspace.sid, workerSid: w.bob, activitySid: (await w.real.listActivities(w.workspace.sid)).find((a) => a.friendlyName === 'Available')?.sid ?? '',
      cause: 'api', actor: w.account.sid, rejectPendingReservations: false,
    });
    if (!moved.ok) throw new Error(moved.refusal.message);
    for (const sid of [w.bob, w.alice]) {
      const event = { ...moved.value.events[0], resourceSid: sid } as NonNullable<BusMessage['event']>;
      w.bus.publish({ event, remote: true });
      await w.settle();
    }
    // No task waits: nothing to decide, nothing read.
    expect(asked).toEqual([]);
    // A task: both are read, together, before the decision; the view then holds bob as the store has him.
    const created = await w.createTask();
    if (!created.ok) throw new Error(created.refusal.message);
    await w.settle();
    expect(asked[0]?.slice().sort()).toEqual([w.bob, w.alice].sort());
    expect(w.offers.length).toBeGreaterThan(0);
  });
});

describe('routing on a store that answers late', () => {
  it('offers to a worker whose older re-read (unavailable) landed after the newer one (available)', async () => {
    const w = await world();
    await w.settle();
    // Attribute changes are re-read from the store (a presence change alone is not: see below).
    const held = w.slow.hold('routingCandidatesOf');
    await w.changeWorker('{"n":1}', 'Offline');
    await held.calls(1);
    await w.changeWorker('{"n":2}', 'Available');
    await held.calls(2);
    held.releaseCall(1);
    await w.settle();
    held.releaseCall(0);
    held.release();
    await w.settle();
    const task = await w.createTask();
    expect(task.ok).toBe(true);
    await w.settle();
    expect(w.offers).toEqual([w.alice]);
  });

  it('follows presence changes without reading the worker back', async () => {
    const w = await world();
    await w.settle();
    // Every re-read of a worker is held for the whole test: the view must do without them.
    const held = w.slow.hold('routingCandidatesOf');
    await w.setActivity('Offline');
    await w.settle();
    const task = await w.createTask();
    expect(task.ok).toBe(true);
    await w.settle();
    expect(w.offers).toEqual([]);
    await w.setActivity('Available');
    await w.settle();
    expect(w.offers).toEqual([w.alice]);
    held.release();
  });

  it('keeps a presence change over a re-read asked before it and landing after it', async () => {
    const w = await world();
    await w.setActivity('Offline');
    await w.settle();
    const held = w.slow.hold('routingCandidatesOf');
    // Asked now, while alice is Offline; it answers only after she is Available.
    await w.changeWorker('{"n":1}');
    await held.calls(1);
    await w.setActivity('Available');
    await w.settle();
    held.release();
    await w.settle();
    const task = await w.createTask();
    expect(task.ok).toBe(true);
    await w.settle();
    expect(w.offers).toEqual([w.alice]);
  });

  it('answers a transfer still in flight when routing stops instead of throwing', async () => {
    const w = await world();
    const task = await w.createTask();
    if (!task.ok) throw new Error(task.refusal.message);
    await w.settle();
    const [reservation] = await w.real.listReservations(w.workspace.sid, { taskSid: task.value.sid });
    if (!reservation) throw new Error('no offer');
    const accepted = await w.routing.updateReservation({ workspaceSid: w.workspace.sid, reservationSid: reservation.sid, status: 'accepted', actor: w.alice });
    expect(accepted.ok).toBe(true);
    const held = w.slow.hold('createTransfer');
    const transfer = w.routing.createTransfer({
      workspaceSid: w.workspace.sid, workerSid: w.alice, reservationSid: reservation.sid, taskSid: task.value.sid, to: w.bob, mode: 'COLD',
    });
    await held.calls(1);
    await w.routing.stop();
    held.release();
    await expect(transfer).resolves.toMatchObject({ ok: true });
  });
});
