/**
 * Retention of history on a real SQLite file: the history that reports read after the cutoff is
 * exactly what it was before trimming, the roll-up is trimmed with the log, and nothing else may
 * delete from the log. (The engine-neutral cases are the retention contract, src/store/contracts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../core/errors.js';
import type { Activity, Workspace } from '../../core/resources.js';
import { ManualClock } from '../../service/clocks.js';
import { createSqliteStore, type SqliteStore } from './sqlite-store.js';

const S = 1000;
const DAY = 86_400 * S;
let dir: string;
let clock: ManualClock;
let store: SqliteStore;
let workspace: Workspace;
let activities: Activity[];

const must = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(r.refusal.message);
  return r.value;
};
const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silent } as never;

async function worker(name: string): Promise<string> {
  return must(await store.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', actor: 'AC' })).worker.sid;
}

async function set(workerSid: string, activity: string): Promise<void> {
  must(await store.setActivity({ workspaceSid: workspace.sid, workerSid, activitySid: sidOf(activity), cause: 'agent', actor: workerSid, rejectPendingReservations: false }));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const x of iterable) all.push(x);
  return all;
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-retention-'));
  clock = new ManualClock();
  store = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock });
  const accountSid = (await store.createAccount('Retention')).sid;
  workspace = await store.createWorkspace({
    accountSid, friendlyName: 'Retention', logoutActivityName: 'Offline', thresholdMs: 30_000,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }, { friendlyName: 'Break', available: false }],
  });
  activities = await store.listActivities(workspace.sid);
  await store.ensureChannels(workspace.sid);
  await store.registerNode('NDtest');
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('retention', () => {
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
    // alice: created, Available, then Break and Available at one instant before the cutoff → the two
    // at that instant stay (together they are her state at the cutoff); bob: one entry, kept.
    expect(counts.activityLog).toBe(2);
    expect(after.log).toBe(before.log - 2);
    expect({ ...after, log: 0 }).toEqual({ ...before, log: 0 });
    expect(after.aliceAt?.activitySid).toBe(sidOf('Available'));
    // The per-day roll-up (reports' fast path) loses its days before the cutoff's day too.
    expect(counts.rollup).toBeGreaterThan(0);
    const raw = new Database(path.join(dir, 'rollcall.sqlite'), { readonly: true });
    try {
      expect(raw.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM activity_rollup WHERE day < ?').get(Math.floor(cutoff / DAY))?.n).toBe(0);
      expect(raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM activity_rollup').get()?.n).toBeGreaterThan(0);
    } finally {
      raw.close();
    }
    // Outside retention's own transaction the log is still append-only, old entries included.
    const other = new Database(path.join(dir, 'rollcall.sqlite'));
    try {
      expect(() => other.prepare('DELETE FROM activity_log').run()).toThrow(/append-only/);
    } finally {
      other.close();
    }
  });
});
