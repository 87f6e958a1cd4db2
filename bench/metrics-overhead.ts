/**
 * What the metrics cost on the presence hot path. Two identical SQLite stores (files, WAL) with a
 * PresenceService each; one store is bare, the other is timed by `RollcallMetrics.timeStore` and
 * the service's commits are followed (disconnections, logouts). Each cycle is what an agent does:
 * connect, go Offline (a logout counted by cause), come back Available, disconnect. Rounds
 * alternate bare/metrics so a machine shared with other work loads both alike; the figures are
 * medians over rounds. Also timed: one scrape (`exposition()`) with every worker connected.
 *
 *   npm run build && node dist/bench/metrics-overhead.js [--workers=N] [--rounds=N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalBus } from '../src/bus/local-bus.js';
import { SystemClock } from '../src/service/clocks.js';
import { RollcallMetrics } from '../src/service/metrics.js';
import type { Log } from '../src/service/ports.js';
import { PresenceService } from '../src/service/presence-service.js';
import { createSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silent };

interface Setup {
  readonly presence: PresenceService;
  readonly store: SqliteStore;
  readonly metrics: RollcallMetrics | null;
  readonly workspaceSid: string;
  readonly workers: readonly string[];
  readonly offline: string;
  readonly available: string;
}

async function setup(dir: string, name: string, withMetrics: boolean, workerCount: number): Promise<Setup> {
  const clock = new SystemClock();
  const metrics = withMetrics ? new RollcallMetrics(clock) : null;
  const bare = createSqliteStore({ file: path.join(dir, `${name}.sqlite`), clock });
  const store = metrics ? metrics.timeStore(bare) : bare;
  const bus = createLocalBus(() => undefined);
  const presence = new PresenceService({ store, bus, clock, log: silent, nodeId: `node-${name}` });
  await presence.start();
  metrics?.follow({ bus, presence, store, log: silent });
  const account = await store.createAccount('bench');
  const ws = await store.createWorkspace({
    accountSid: account.sid, friendlyName: 'bench', logoutActivityName: 'Offline', thresholdMs: 3_600_000,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const activities = await store.listActivities(ws.sid);
  const sid = (n: string): string => activities.find((a) => a.friendlyName === n)?.sid ?? '';
  const workers: string[] = [];
  for (let i = 0; i < workerCount; i++) {
    const created = await store.createWorker({ workspaceSid: ws.sid, friendlyName: `w${i}`, attributes: '{}', actor: 'bench' });
    if (!created.ok) throw new Error(created.refusal.message);
    workers.push(created.value.worker.sid);
  }
  return { presence, store, metrics, workspaceSid: ws.sid, workers, offline: sid('Offline'), available: sid('Available') };
}

async function cycle(s: Setup, round: number): Promise<number> {
  const startedAt = performance.now();
  for (const [i, workerSid] of s.workers.entries()) {
    const connectionId = `c${round}-${i}`;
    const set = (activitySid: string) => s.presence.setActivity({ workspaceSid: s.workspaceSid, workerSid, activitySid, cause: 'agent', actor: workerSid, rejectPendingReservations: false });
    const opened = await s.presence.connect({ workspaceSid: s.workspaceSid, workerSid, connectionId, exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
    if (!(await set(s.offline)).ok || !(await set(s.available)).ok) throw new Error('activity change refused');
    await s.presence.disconnect({ connectionId, reason: 'closed', lastSeenAt: Date.now() });
  }
  return ((performance.now() - startedAt) * 1000) / s.workers.length;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const opts = { workers: 1000, rounds: 11 };
  for (const arg of process.argv.slice(2)) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key !== 'workers' && key !== 'rounds') throw new Error(`unknown option ${arg}`);
    opts[key] = Number(value);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-metrics-bench-'));
  try {
    const bare = await setup(dir, 'bare', false, opts.workers);
    const timed = await setup(dir, 'metrics', true, opts.workers);
    await cycle(bare, -1);
    await cycle(timed, -1);
    const times = { bare: [] as number[], metrics: [] as number[] };
    for (let r = 0; r < opts.rounds; r++) {
      times.bare.push(await cycle(bare, r));
      times.metrics.push(await cycle(timed, r));
    }
    const [b, m] = [median(times.bare), median(times.metrics)];
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cores, node ${process.version}`);
    console.log(`cycle (connect, Offline, Available, disconnect: 4 verbs) per worker, median of ${opts.rounds} rounds × ${opts.workers} workers:`);
    console.log(`  bare    ${b.toFixed(1)} µs   (rounds ${times.bare.map((x) => x.toFixed(0)).join(' ')})`);
    console.log(`  metrics ${m.toFixed(1)} µs   (rounds ${times.metrics.map((x) => x.toFixed(0)).join(' ')})`);
    console.log(`  overhead ${(m - b).toFixed(1)} µs per cycle (${(((m - b) / b) * 100).toFixed(1)} %), ${((m - b) / 4).toFixed(2)} µs per verb`);
    for (const [i, w] of timed.workers.entries()) await timed.presence.connect({ workspaceSid: timed.workspaceSid, workerSid: w, connectionId: `scrape-${i}`, exempt: false });
    const scrapes: number[] = [];
    let size = 0;
    for (let i = 0; i < 21; i++) {
      const startedAt = performance.now();
      size = (await timed.metrics?.exposition() ?? '').length;
      scrapes.push(performance.now() - startedAt);
    }
    console.log(`scrape with ${opts.workers} connected: median ${median(scrapes).toFixed(2)} ms, max ${Math.max(...scrapes).toFixed(2)} ms, ${size} bytes`);
    // The wrapper alone, on a verb that does nothing: an upper bound free of SQLite's noise.
    const stub = { async findNothing(): Promise<number> { return 1; } };
    const wrapped = new RollcallMetrics(new SystemClock()).timeStore(stub);
    const perCall = async (target: typeof stub): Promise<number> => {
      const n = 200_000;
      const startedAt = performance.now();
      for (let i = 0; i < n; i++) await target.findNothing();
      return ((performance.now() - startedAt) * 1000) / n;
    };
    const stubTimes = { bare: [] as number[], timed: [] as number[] };
    for (let r = 0; r < 7; r++) {
      stubTimes.bare.push(await perCall(stub));
      stubTimes.timed.push(await perCall(wrapped));
    }
    console.log(`empty verb: bare ${median(stubTimes.bare).toFixed(3)} µs, timed ${median(stubTimes.timed).toFixed(3)} µs per call (+${(median(stubTimes.timed) - median(stubTimes.bare)).toFixed(3)} µs)`);
    await bare.store.close();
    await timed.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
