/**
 * A mass logout without sockets: the services as `createRollcall` assembles them (SQLite file store
 * timed by the metrics, presence, routing, callbacks, pino logging to /dev/null), N workers
 * connected and Available, then every connection ended at one instant (the drop), written in the
 * agent channel's batches of 250. When the threshold passes, the scheduler logs them all out.
 * Printed: how long after the due time the logouts committed (p50/p99/max), the longest event-loop
 * stall while ending and while logging out, and where the time went (store verbs).
 *
 *   npm run build && node dist/bench/logout-burst.js [--workers=10000] [--threshold-ms=3000]
 *     [--no-routing] [--log=info|silent] [--rounds=1] [--claim-batch=N]
 *
 * It isolates the store and services from `ws`, so a change to either can be measured apart; the
 * presence bench (`npm run bench:presence`) measures the whole path with real sockets.
 */
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createLocalBus } from '../src/bus/local-bus.js';
import { createLogger } from '../src/log.js';
import { SystemClock } from '../src/service/clocks.js';
import { RollcallMetrics } from '../src/service/metrics.js';
import type { Log, PresenceCommit } from '../src/service/ports.js';
import { PresenceService } from '../src/service/presence-service.js';
import { RoutingService } from '../src/service/routing-service.js';
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js';

interface Options {
  workers: number;
  thresholdMs: number;
  routing: boolean;
  log: 'info' | 'silent';
  rounds: number;
  /** Deadlines claimed per transaction; the product's default (1 000, bounded by the 40 ms budget) when absent. */
  claimBatch?: number;
}

function parse(argv: readonly string[]): Options {
  const o: Options = { workers: 10_000, thresholdMs: 3000, routing: true, log: 'info', rounds: 1 };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=');
    if (key === 'workers') o.workers = Number(value);
    else if (key === 'threshold-ms') o.thresholdMs = Number(value);
    else if (key === 'no-routing') o.routing = false;
    else if (key === 'log' && (value === 'info' || value === 'silent')) o.log = value;
    else if (key === 'rounds') o.rounds = Number(value);
    else if (key === 'claim-batch') o.claimBatch = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const f = (x: number, d = 0): string => x.toFixed(d);

/** The longest gap a 5 ms interval saw, per named window. */
class StallProbe {
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;
  max = 0;
  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.max = Math.max(this.max, now - this.last - 5);
      this.last = now;
    }, 5);
  }
  reset(): void {
    this.max = 0;
    this.last = performance.now();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** The store with the time of each verb added up (calls made after `spent` is cleared). */
function timed<S extends object>(store: S, spent: Map<string, { calls: number; ms: number }>): S {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        const add = (): void => {
          const t = spent.get(key) ?? { calls: 0, ms: 0 };
          t.calls++;
          t.ms += performance.now() - started;
          spent.set(key, t);
        };
        if (result instanceof Promise) void result.then(add, add);
        else add();
        return result;
      };
    },
  });
}

async function round(o: Options, dir: string, n: number): Promise<void> {
  const clock = new SystemClock();
  const log: Log = o.log === 'info' ? createLogger('info', pino.destination({ fd: openSync('/dev/null', 'w'), sync: false })) : { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => log };
  const metrics = new RollcallMetrics(clock);
  const spent = new Map<string, { calls: number; ms: number }>();
  const store = metrics.timeStore(timed(createSqliteStore({ file: path.join(dir, `burst-${n}.sqlite`), clock }), spent));
  const bus = createLocalBus((error) => console.error('bus subscriber failed', error));
  const presence = new PresenceService({ store, bus, clock, log, nodeId: 'NDbench', ...(o.claimBatch ? { deadlineBatchSize: o.claimBatch } : {}) });
  await presence.start();
  const account = await store.createAccount('bench');
  const ws = await store.createWorkspace({
    accountSid: account.sid, friendlyName: 'bench', logoutActivityName: 'Offline', thresholdMs: o.thresholdMs,
    activities: [{ friendlyName: 'Offline', available: false }, { friendlyName: 'Available', available: true }],
  });
  const available = (await store.listActivities(ws.sid)).find((a) => a.friendlyName === 'Available')?.sid ?? '';
  // Everyone dropping at once is what the mass-disconnect breaker holds; this measures the ordinary logout path.
  const off = await store.updateWorkspace(ws.sid, {}, account.sid, { breaker: { enabled: false } });
  if (!off.ok) throw new Error(off.refusal.message);
  const routing = o.routing ? new RoutingService({ store, presence, bus, clock, log, observer: metrics.routing }) : null;
  metrics.follow({ bus, presence, store, log });
  await routing?.start();
  const workers: string[] = [];
  for (let i = 0; i < o.workers; i++) {
    const created = await store.createWorker({ workspaceSid: ws.sid, friendlyName: `w${i}`, attributes: '{"skills":["a"]}', activitySid: available, actor: 'bench' });
    if (!created.ok) throw new Error(created.refusal.message);
    workers.push(created.value.worker.sid);
  }
  for (const [i, workerSid] of workers.entries()) {
    const opened = await presence.connect({ workspaceSid: ws.sid, workerSid, connectionId: `CN${n}x${i}`, exempt: false });
    if (!opened.ok) throw new Error(opened.refusal.message);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));

  const loggedOutAt: number[] = [];
  let dueAt = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  presence.onCommitted((commits: readonly PresenceCommit[]) => {
    const now = Date.now();
    for (const c of commits) for (const out of c.outputs) if (out.type === 'activity-changed' && out.cause === 'offline-threshold') loggedOutAt.push(now);
    if (loggedOutAt.length >= o.workers) done();
  });
  spent.clear();
  const probe = new StallProbe();
  const drop = Date.now();
  dueAt = drop + o.thresholdMs;
  const endStart = performance.now();
  for (let i = 0; i < workers.length; i += 250) {
    const batch = workers.slice(i, i + 250).map((_, j) => ({ connectionId: `CN${n}x${i + j}`, reason: 'closed' as const, lastSeenAt: drop }));
    await presence.disconnectMany(batch);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const endMs = performance.now() - endStart;
  const endStall = probe.max;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now() - 50)));
  probe.reset();
  await all;
  const logoutStall = probe.max;
  probe.stop();
  const late = loggedOutAt.map((t) => t - dueAt);
  console.log(`round ${n}: ${o.workers} workers, routing ${o.routing ? 'on' : 'off'}, log ${o.log}, ${o.claimBatch ?? 'default'} logouts per transaction`);
  console.log(`  ending ${o.workers} connections: ${f(endMs)} ms (${f((endMs * 1000) / o.workers)} µs each), longest stall ${f(endStall)} ms`);
  console.log(`  logouts committed after the due time (ms): p50 ${f(pct(late, 50))} p99 ${f(pct(late, 99))} max ${f(Math.max(...late))}; longest stall ${f(logoutStall)} ms`);
  for (const [verb, t] of [...spent].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) console.log(`  store ${verb}: ${t.calls} calls, ${f(t.ms)} ms in all`);
  routing?.stop();
  await presence.stop();
  await store.close();
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-logout-burst-'));
  console.log(`logout burst ${new Date().toISOString()}, load avg ${os.loadavg().map((x) => f(x, 2)).join(' ')}`);
  try {
    for (let n = 1; n <= o.rounds; n++) await round(o, dir, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('logout burst failed:', error);
  process.exit(1);
});
