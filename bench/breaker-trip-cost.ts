/**
 * What the breaker adds to the transaction that ends a site's connections, in-process on a real
 * SQLite file: `endConnections` of `--agents` workers at once (one transaction, as a burst of
 * closes lands), with the breaker off (the ordinary path) and on (the same transaction also trips
 * the hold and moves every deadline row). Then the claim of those deadlines in batches of 100.
 * Medians of `--runs` runs; the other benches show the same work spread over a live server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Cancel, Clock } from '../src/service/ports.js';
import { dist, fmt as f } from './report.js';

/** The process clock, moved forward on demand so the deadlines fall due without waiting. */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  at(_dueAt: number, _fn: () => void): Cancel {
    return () => undefined;
  }
}

async function once(agents: number, breakerOn: boolean): Promise<{ endMs: number; claimMs: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-trip-'));
  const clock = new ShiftedClock();
  const store = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock, checkpointIntervalMs: 0 });
  try {
    const account = await store.createAccount('Trip');
    const ws = await store.createWorkspace({ accountSid: account.sid, friendlyName: 'Trip', logoutActivityName: 'Offline', thresholdMs: 10_000,
      activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }] });
    await store.updateWorkspace(ws.sid, {}, account.sid, { breaker: { enabled: breakerOn, holdS: 60 } });
    const available = (await store.listActivities(ws.sid)).find((a) => a.available)?.sid;
    await store.registerNode('NDtrip');
    for (let i = 0; i < agents; i++) {
      const created = await store.createWorker({ workspaceSid: ws.sid, friendlyName: `a${i}`, attributes: '{}', activitySid: available, actor: account.sid });
      if (!created.ok) throw new Error(created.refusal.message);
      await store.openConnection({ workspaceSid: ws.sid, workerSid: created.value.worker.sid, connectionId: `CN${i}`, nodeId: 'NDtrip', exempt: false });
    }
    const endings = Array.from({ length: agents }, (_, i) => ({ connectionId: `CN${i}`, reason: 'closed' as const, lastSeenAt: clock.now() }));
    let t = performance.now();
    const commits = await store.endConnections(endings);
    const endMs = performance.now() - t;
    if (breakerOn !== commits.some((c) => (c.outage ?? []).length > 0)) throw new Error(`breaker ${breakerOn ? 'on' : 'off'}: tripped ${!breakerOn}`);
    clock.offsetMs = 61_000;
    t = performance.now();
    let claimed = 0;
    for (;;) {
      const batch = await store.claimDueDeadlines(100);
      claimed += batch.length;
      if (batch.length < 100) break;
    }
    const claimMs = performance.now() - t;
    if (claimed !== agents) throw new Error(`claimed ${claimed} of ${agents}`);
    return { endMs, claimMs };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const agents = arg('agents', 800);
  const runs = arg('runs', 5);
  console.log(`breaker trip cost: ${agents} workers dropped in one transaction, ${runs} runs each; load avg ${os.loadavg().map((x) => f(x, 2)).join(' ')}`);
  for (const on of [false, true]) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await once(agents, on));
    const end = dist(results.map((r) => r.endMs));
    const claim = dist(results.map((r) => r.claimMs));
    console.log(`breaker ${on ? 'on ' : 'off'}: endConnections p50 ${f(end.p50)} ms (min ${f(end.min)}, max ${f(end.max)}); claiming all ${agents} p50 ${f(claim.p50)} ms (min ${f(claim.min)}, max ${f(claim.max)})`);
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('breaker trip cost failed:', error);
  process.exit(1);
});
