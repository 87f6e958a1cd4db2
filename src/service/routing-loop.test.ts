/**
 * The routing loop's batches on a real SQLite store: a mass logout re-offers every task in a few
 * transactions, each offer committed before it is pushed; a stale candidate in a batch is refused
 * by the store without spoiling the other offers, and its task goes to someone else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../bus/local-bus.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { ManualClock } from './clocks.js';
import type { BusMessage } from './ports.js';
import { PresenceService } from './presence-service.js';
import type { OfferInput } from './routing-ports.js';
import { RoutingService } from './routing-service.js';
import { silentLog } from '../../test/support/silent-log.js';

/** Victims and as many others: 48 agents, under the mass-disconnect breaker's 50, so the logouts come at the threshold. */
const VICTIMS = 24;
const disposers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function world() {
  const clock = new ManualClock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-routing-loop-'));
  const real = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock, checkpointIntervalMs: 0 });
  // The real store, with its batches counted.
  const batches: OfferInput[][] = [];
  const store = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'reserveMany') return (inputs: readonly OfferInput[]) => (batches.push([...inputs]), target.reserveMany(inputs));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const account = await real.createAccount('Loop');
  const workspace = await real.createWorkspace({
    accountSid: account.sid, friendlyName: 'Loop', logoutActivityName: 'Offline', thresholdMs: 30_000, template: 'FIFO',
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const activities = await real.listActivities(workspace.sid);
  const activity = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
  const bus = createLocalBus((error) => {
    throw error;
  });
  const presence = new PresenceService({ store, bus, clock, log: silentLog, nodeId: 'NDloop' });
  const routing = new RoutingService({ store, presence, bus, clock, log: silentLog });
  await presence.start();
  await routing.start();
  disposers.push(async () => {
    await routing.stop();
    await presence.stop();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const [workflow] = await real.listWorkflows(workspace.sid);
  if (!workflow) throw new Error('the FIFO template has no workflow');
  /** A worker, connected, then Available one ManualClock ms after the previous one (so the longest idle is the first made). */
  const worker = async (name: string, available = true): Promise<string> => {
    const created = await presence.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid: activity('Offline'), actor: account.sid });
    if (!created.ok) throw new Error(created.refusal.message);
    const sid = created.value.worker.sid;
    const opened = await presence.connect({ workspaceSid: workspace.sid, workerSid: sid, connectionId: `CN${name}`, exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
    clock.advance(1);
    if (available) {
      const changed = await presence.setActivity({ workspaceSid: workspace.sid, workerSid: sid, activitySid: activity('Available'), cause: 'api', actor: account.sid, rejectPendingReservations: false });
      if (!changed.ok) throw new Error(changed.refusal.message);
    }
    return sid;
  };
  /** Resolves once `count` offers were pushed to the given workers, each checked in the store when its push went out. */
  const offersTo = (workerSids: ReadonlySet<string>, count: number) => {
    const seen: { workerSid: string; taskSid: string; committed: Promise<boolean> }[] = [];
    return new Promise<typeof seen>((resolve) => {
      const unsubscribe = bus.subscribe((m: BusMessage) => {
        const push = m.push;
        if (!push || !('reservation' in push) || push.reservation?.status !== 'pending' || !workerSids.has(push.workerSid)) return;
        const sid = push.reservation.sid;
        // Read as the push goes out: the reservation must already be committed.
        seen.push({ workerSid: push.workerSid, taskSid: push.task.sid, committed: real.findReservation(workspace.sid, sid).then((r) => r?.status === 'pending') });
        if (seen.length === count) {
          unsubscribe();
          resolve(seen);
        }
      });
    });
  };
  const createTask = async (): Promise<string> => {
    const created = await real.createTask(workspace.sid, { workflowSid: workflow.sid }, account.sid);
    if (!created.ok) throw new Error(created.refusal.message);
    return created.value.task.sid;
  };
  return { clock, real, presence, routing, workspace, batches, worker, offersTo, createTask };
}

describe('the routing loop commits offers in batches', () => {
  it('re-offers every task of a mass logout to the others, a batch per transaction, each offer committed before it is pushed', async () => {
    const w = await world();
    const victims: string[] = [];
    for (let i = 0; i < VICTIMS; i++) victims.push(await w.worker(`victim${i}`));
    const held = w.offersTo(new Set(victims), VICTIMS);
    for (let i = 0; i < VICTIMS; i++) await w.createTask();
    w.routing.kick(w.workspace.sid);
    const first = await held;
    const others = new Set<string>();
    for (let i = 0; i < VICTIMS; i++) others.add(await w.worker(`other${i}`));
    const reoffered = w.offersTo(others, VICTIMS);
    w.batches.length = 0;
    // Every victim drops at once; their logouts come due together.
    await w.presence.disconnectMany(victims.map((_, i) => ({ connectionId: `CNvictim${i}`, reason: 'closed' as const, lastSeenAt: w.clock.now() })));
    const dueAt = await w.real.nextDueAt();
    if (dueAt === null) throw new Error('no logout is due');
    let done = false;
    void reoffered.then(() => (done = true));
    w.clock.advance(dueAt - w.clock.now());
    // The presence scheduler arms after the disconnections' commit, maybe after this advance: a
    // timer armed for a time already reached fires on the next one.
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      w.clock.advance(0);
    }
    const offers = await reoffered;
    expect(await Promise.all(offers.map((o) => o.committed))).toEqual(offers.map(() => true));
    expect(new Set(offers.map((o) => o.taskSid))).toEqual(new Set(first.map((o) => o.taskSid)));
    expect(new Set(offers.map((o) => o.workerSid)).size).toBe(VICTIMS);
    // The offers in a few transactions, not one each.
    expect(w.batches.flat()).toHaveLength(VICTIMS);
    expect(w.batches.length).toBeLessThanOrEqual(3);
    for (const victim of victims) expect((await w.real.listReservations(w.workspace.sid, { workerSid: victim })).map((r) => r.status)).toEqual(['rescinded']);
  });

  it('refuses a stale candidate of a batch in the store, writes the rest of the batch, and offers its task to someone else', async () => {
    const w = await world();
    // Carol is the longest idle, so the first task goes to her; then alice, bob, dave.
    const carol = await w.worker('carol');
    const alice = await w.worker('alice');
    const bob = await w.worker('bob');
    const dave = await w.worker('dave');
    const tasks = [await w.createTask(), await w.createTask(), await w.createTask()];
    // Carol's channel is closed behind the routing service's back: its view of her is stale.
    expect((await w.real.updateWorkerChannel(w.workspace.sid, carol, 'default', { available: false })).ok).toBe(true);
    const offered = w.offersTo(new Set([alice, bob, carol, dave]), 3);
    w.routing.kick(w.workspace.sid);
    const offers = await offered;
    expect(w.batches.map((b) => b.map((o) => o.workerSid))).toEqual([[carol, alice, bob], [dave]]);
    expect(offers.map((o) => [o.taskSid, o.workerSid])).toEqual([[tasks[1], alice], [tasks[2], bob], [tasks[0], dave]]);
    expect(await Promise.all(offers.map((o) => o.committed))).toEqual([true, true, true]);
    expect(await w.real.listReservations(w.workspace.sid, { workerSid: carol })).toEqual([]);
  });
});
