/**
 * The node lease on a real SQLite store: a renewal that finds this node reaped registers again
 * under a new id, drops the agents once, and connections opened afterwards belong to the new node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../bus/local-bus.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { ManualClock } from './clocks.js';
import { NodeLease } from './node-lease.js';
import { PresenceService } from './presence-service.js';
import { silentLog } from '../../test/support/silent-log.js';

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function world() {
  const clock = new ManualClock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-lease-'));
  const store = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock, checkpointIntervalMs: 0 });
  disposers.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const account = await store.createAccount('Lease');
  const workspace = await store.createWorkspace({
    accountSid: account.sid, friendlyName: 'Lease', logoutActivityName: 'Offline', thresholdMs: 30_000,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: 'alice', attributes: '{}', actor: account.sid });
  if (!created.ok) throw new Error(created.refusal.message);
  const presence = new PresenceService({ store, bus: createLocalBus(() => undefined), clock, log: silentLog, nodeId: 'NDfirst' });
  await presence.start();
  disposers.unshift(async () => presence.scheduler.stop());
  const drops: string[] = [];
  let ids = 0;
  const lease = new NodeLease({
    presence, log: silentLog, heartbeatMs: 1000, reapsOthers: false,
    newNodeId: () => `NDnext${++ids}`, dropAgents: () => drops.push(presence.nodeId),
  });
  return { store, clock, presence, lease, drops, workspaceSid: workspace.sid, workerSid: created.value.worker.sid };
}

describe('NodeLease', () => {
  it('renews a live node without rejoining', async () => {
    const w = await world();
    await w.lease.renew();
    await w.lease.renew();
    expect(w.presence.nodeId).toBe('NDfirst');
    expect(w.drops).toEqual([]);
  });

  it('rejoins under a new id and drops its agents once after another node reaped it', async () => {
    const w = await world();
    const opened = await w.presence.connect({ workspaceSid: w.workspaceSid, workerSid: w.workerSid, connectionId: 'CN1', exempt: false });
    expect(opened.ok).toBe(true);
    // Another node takes this one's place: the store ends its connections and retires it.
    await w.store.registerNode('NDother');
    const reaped = await w.store.reapNodes('NDother', 'node-lost');
    expect(reaped.map((c) => c.worker.sid)).toEqual([w.workerSid]);
    // Two renewals at once are one: one rejoin, one drop.
    await Promise.all([w.lease.renew(), w.lease.renew()]);
    expect(w.presence.nodeId).toBe('NDnext1');
    expect(w.drops).toEqual(['NDnext1']);
    // The reconnect lands on the new node (the old one would be refused as retired).
    const again = await w.presence.connect({ workspaceSid: w.workspaceSid, workerSid: w.workerSid, connectionId: 'CN2', exempt: false });
    expect(again.ok).toBe(true);
    await w.lease.renew();
    expect(w.drops).toEqual(['NDnext1']);
  });
});
