/**
 * SQLite runs on the event loop, so its batch verbs commit in parts when a part has held the loop
 * for the loop budget (`claimBudgetMs`), and give the loop a turn between parts. Here: a mass close
 * ends every connection once, across several transactions, with turns between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../service/clocks.js';
import { createSqliteStore } from './sqlite-store.js';

describe('SQLite batch verbs and the loop budget', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const storeWithAgents = async (budgetMs: number, count: number) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-budget-'));
    dirs.push(dir);
    const store = createSqliteStore({ file: path.join(dir, 'rollcall.db'), clock: new ManualClock(1_800_000_000_000), claimBudgetMs: budgetMs });
    const account = await store.createAccount('Budget');
    const workspace = await store.createWorkspace({
      accountSid: account.sid, friendlyName: 'Budget', logoutActivityName: 'Offline', thresholdMs: 30_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
    });
    const off = await store.updateWorkspace(workspace.sid, {}, account.sid, { breaker: { enabled: false } });
    if (!off.ok) throw new Error(off.refusal.message);
    const available = (await store.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Available');
    await store.registerNode('NDbudget');
    for (let i = 0; i < count; i++) {
      const created = await store.createWorker({ workspaceSid: workspace.sid, friendlyName: `w${i}`, attributes: '{}', activitySid: available?.sid, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      const opened = await store.openConnection({ workspaceSid: workspace.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDbudget', exempt: false });
      if (!opened.ok) throw new Error(opened.refusal.message);
    }
    const endings = Array.from({ length: count }, (_, i) => ({ connectionId: `CN${i}`, reason: 'heartbeat-lost' as const, lastSeenAt: 1_800_000_000_000 }));
    return { store, workspace, endings };
  };

  it('ends a mass close in several transactions with turns of the loop between them, each connection once', async () => {
    const { store, workspace, endings } = await storeWithAgents(0, 20);
    let turned = false;
    setImmediate(() => (turned = true));
    const commits = await store.endConnections(endings);
    expect(turned).toBe(true);
    expect(commits).toHaveLength(20);
    expect(commits.every((c) => c.outputs.some((o) => o.type === 'disconnected'))).toBe(true);
    expect(await store.disconnectEpisodes(workspace.sid)).toHaveLength(20);
    // Again (a retry of the same batch): nothing is ended twice.
    expect(await store.endConnections(endings)).toEqual([]);
    await store.close();
  });

  it('ends a small close in one transaction, without giving up the loop', async () => {
    const { store, endings } = await storeWithAgents(10_000, 5);
    let turned = false;
    setImmediate(() => (turned = true));
    expect(await store.endConnections(endings)).toHaveLength(5);
    expect(turned).toBe(false);
    await store.close();
  });
});
