/**
 * The presence service and its deadline scheduler on a real SQLite store that answers late
 * (test/support/slow-store.ts): an answer read before a commit must never undo what the commit
 * armed, and a stop must stay a stop whatever is still in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slowStore, type SlowStore } from '../../test/support/slow-store.js';
import { createLocalBus } from '../bus/local-bus.js';
import { createSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import { ManualClock } from './clocks.js';
import { PresenceService } from './presence-service.js';
import { silentLog } from '../../test/support/silent-log.js';

const THRESHOLD_MS = 30_000;
const disposers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

async function world(turns = 2) {
  const clock = new ManualClock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-async-'));
  const real = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock, checkpointIntervalMs: 0 });
  disposers.push(async () => {
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const account = await real.createAccount('Async');
  const workspace = await real.createWorkspace({
    accountSid: account.sid, friendlyName: 'Async', logoutActivityName: 'Offline', thresholdMs: THRESHOLD_MS,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const available = (await real.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Available');
  const worker = async (name: string) => {
    const created = await real.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid: available?.sid, actor: account.sid });
    if (!created.ok) throw new Error(created.refusal.message);
    return created.value.worker.sid;
  };
  const slow: SlowStore<SqliteStore> = slowStore(real, { turns });
  const presence = new PresenceService({ store: slow.store, bus: createLocalBus(() => undefined), clock, log: silentLog, nodeId: 'NDasync' });
  await presence.start();
  let connections = 0;
  /** Connects and drops the worker now: its logout becomes due at now + threshold. */
  const drop = async (workerSid: string): Promise<number> => {
    const connectionId = `CN${++connections}`;
    const opened = await presence.connect({ workspaceSid: workspace.sid, workerSid, connectionId, exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
    await presence.disconnect({ connectionId, reason: 'closed', lastSeenAt: clock.now() });
    return clock.now() + THRESHOLD_MS;
  };
  const activityOf = async (workerSid: string) => (await real.findWorker(workspace.sid, workerSid))?.activityName;
  /** Moves the clock to `at` and lets every late answer the timers set off arrive. */
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const runTo = async (at: number) => {
    await settle();
    clock.advance(at - clock.now());
    await settle();
  };
  return { clock, real, slow, presence, workspace, account, worker, drop, activityOf, runTo };
}

describe('presence on a store that answers late', () => {
  it('keeps a deadline committed while a refresh was reading the earliest due time', async () => {
    const w = await world();
    const alice = await w.worker('alice');
    const held = w.slow.hold('nextDueAt');
    // A settings change re-reads the earliest due time; there is none yet, and that answer is late.
    const change = w.presence.updateLogoutSettings(w.workspace.sid, { enabled: true }, w.account.sid);
    await held.calls(1);
    const dueAt = await w.drop(alice);
    held.release();
    expect((await change).ok).toBe(true);
    await w.runTo(dueAt);
    expect(await w.activityOf(alice)).toBe('Offline');
  });

  it('keeps a deadline committed while a run of due deadlines was re-reading the next one', async () => {
    const w = await world();
    const [alice, bob] = [await w.worker('alice'), await w.worker('bob')];
    const aliceDue = await w.drop(alice);
    w.clock.advance(1000);
    const held = w.slow.hold('nextDueAt');
    // Alice's logout fires; the scheduler then asks for the next due time, whose answer is late.
    w.clock.advance(aliceDue - w.clock.now());
    await held.calls(1);
    const bobDue = await w.drop(bob);
    held.release();
    await w.runTo(bobDue);
    expect(await w.activityOf(alice)).toBe('Offline');
    expect(await w.activityOf(bob)).toBe('Offline');
  });

  it('keeps a deadline when two refreshes overlap and the older answer lands last', async () => {
    const w = await world();
    const alice = await w.worker('alice');
    const held = w.slow.hold('nextDueAt');
    const first = w.presence.updateLogoutSettings(w.workspace.sid, { enabled: true }, w.account.sid);
    await held.calls(1);
    const dueAt = await w.drop(alice);
    const second = w.presence.updateLogoutSettings(w.workspace.sid, { enabled: true }, w.account.sid);
    await held.calls(2);
    // The answer that saw the deadline lands first; the one read before it, last.
    held.releaseCall(1);
    await second;
    held.releaseCall(0);
    await first;
    held.release();
    await w.runTo(dueAt);
    expect(await w.activityOf(alice)).toBe('Offline');
  });

  it('stays stopped when a refresh in flight answers after the stop, and arms nothing', async () => {
    const w = await world();
    const alice = await w.worker('alice');
    await w.drop(alice);
    const held = w.slow.hold('nextDueAt');
    const change = w.presence.updateLogoutSettings(w.workspace.sid, { enabled: true }, w.account.sid);
    await held.calls(1);
    const stopped = w.presence.stop();
    held.release();
    await Promise.all([change, stopped]);
    await w.runTo(w.clock.now() + 1);
    expect(w.clock.pendingTimers()).toBe(0);
  });
});
