/**
 * Routing end-to-end bench (issue 4): 10 000 workers, 20 queues, one real Rollcall process.
 *   1. offers/s end to end (routing decision, durable reservation, `reservation.created` received
 *      by the agent's socket): tasks at a steady 500/s, then a burst created in one go;
 *      latency from task creation to push receipt, and its two halves through the store's stamps;
 *   2. logout → re-offer: agents holding pending offers lose their sockets without a close frame
 *      (one by one, then all at once by SIGKILL); with a 2 s offline threshold the logout rescinds
 *      their offers, and the time from the logout's commit to the next reservation of each task
 *      (commit, and receipt by another agent) is measured;
 *   3. the ordering rule: no reservation is ever created for a worker after its logout committed.
 * Four processes: this orchestrator, the server (routing-server.ts), and two load generators
 * (routing-agents.ts): "victims" hold the offers that get rescinded, "others" take everything
 * else. Store stamps come from this process's own connection (routing-store-reader.ts): SQLite by
 * default, PostgreSQL with BENCH_DATABASE_URL. See bench/README.md.
 */
import { printReport } from './report.js';
import { ask, children, nextMessage, sleep, spawn, type Unsent } from './child-processes.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBenchDatabase } from './bench-database.js';
import type { AgentsCommand, AgentsReply, Receipt } from './routing-agents.js';
import { Report, dist, fmt, machineLine } from './routing-figures.js';
import type { AgentToken, CreatedTask, LoopWindow, MeterEntry, ServerCommand, ServerReady } from './routing-server.js';
import { openStoreReader, type ReservationRow, type StoreReader } from './routing-store-reader.js';

/** Re-offer targets: isolated logouts (issue 4), a mass logout of 900 at once (issue 12 item 4). */
const TARGET = { offersPerS: 500, reofferP99Ms: { isolated: 100, mass: 500 } as Record<string, number> };
const HARD_LIMIT_MS = 270_000;

interface Options {
  workers: number; victims: number; held: number; isolated: number; dropIntervalMs: number;
  ratePerS: number; sustainS: number; burst: number; thresholdS: number; pingMs: number; livenessTimeoutMs: number; concurrency: number; keep: boolean; profile: boolean;
  /** Multiplies every wait and the hard limit: a slower engine (PostgreSQL here) needs longer to set up and to drain. */
  patience: number;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    workers: 10_000, victims: 1000, held: 500, isolated: 100, dropIntervalMs: 40,
    ratePerS: 500, sustainS: 8, burst: 1000, thresholdS: 2, pingMs: 10_000, livenessTimeoutMs: 21_000, concurrency: 100, keep: false, profile: false, patience: 1,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o)) throw new Error(`unknown option ${arg}; known: ${Object.keys(o).join(', ')}`);
    if (name === 'keep' || name === 'profile') o[name] = value !== 'false';
    else if (!Number.isFinite(Number(value))) throw new Error(`${arg}: expected a number`);
    else o[name] = Number(value);
  }
  if (o.held > o.victims || o.isolated > o.held) throw new Error('need isolated ≤ held ≤ victims');
  return o;
}

// ── processes ──

/** Typed request/reply with the server process (plumbing in child-processes.ts). */
function askServer<T>(server: ChildProcess, command: Unsent<ServerCommand>, timeoutMs?: number): Promise<T> {
  return ask<T>(server, command, timeoutMs);
}

async function tell<T extends AgentsReply['type']>(agents: ChildProcess, command: AgentsCommand, type: T, timeoutMs: number): Promise<Extract<AgentsReply, { type: T }>> {
  agents.send(command);
  return nextMessage<Extract<AgentsReply, { type: T }>>(agents, (m) => m.type === type, `agents ${command.cmd}`, timeoutMs);
}

// ── what the agents received ──

class Receipts {
  /** Every `reservation.created`, by reservation SID. */
  readonly created = new Map<string, Receipt>();
  readonly createdByTask = new Map<string, Receipt[]>();

  add(list: readonly Receipt[]): void {
    for (const r of list) {
      if (r.eventType !== 'reservation.created') continue;
      this.created.set(r.reservationSid, r);
      const forTask = this.createdByTask.get(r.taskSid) ?? [];
      forTask.push(r);
      this.createdByTask.set(r.taskSid, forTask);
    }
  }

  async collect(...agents: ChildProcess[]): Promise<void> {
    for (const a of agents) if (a.connected) this.add((await tell(a, { cmd: 'receipts' }, 'receipts', 10_000)).receipts);
  }
}

/** Polls the agents until `done()` or the deadline; true when done. */
async function waitUntil(receipts: Receipts, agents: ChildProcess[], done: () => boolean | Promise<boolean>, untilAt: number): Promise<boolean> {
  for (;;) {
    await receipts.collect(...agents);
    if (await done()) return true;
    if (Date.now() > untilAt) return false;
    await sleep(200);
  }
}

// ── report ──

const say = (line: string): void => console.log(line);
const phase = (name: string): void => say(`[${new Date().toISOString().slice(11, 19)}] ${name}`);
const loopNote = (l: LoopWindow): string =>
  `server loop delay p50 ${fmt(l.p50Ms)} / p99 ${fmt(l.p99Ms)} / max ${fmt(l.maxMs)} ms, stalls ≥ 50 ms [${l.stallsMs.slice(0, 12).join(', ')}${l.stallsMs.length > 12 ? ', …' : ''}], ` +
  `CPU ${fmt((l.cpuMs / l.wallMs) * 100, 0)} % of a core, preempted ${l.preempted}×, ${l.connections} agent connections open at the end`;

/** Where the phase's store time went (see meterStore in routing-server.ts). */
const meterNote = (m: Record<string, MeterEntry>, wallMs: number): string => {
  const e = (name: string): MeterEntry => m[name] ?? { calls: 0, ms: 0, maxMs: 0, settleMs: 0, results: 0 };
  const mean = (name: string, ms: number): string => fmt(ms / Math.max(1, e(name).calls), 2);
  const part = (name: string): string => `${name} ${e(name).calls}× mean ${mean(name, e(name).ms)} ms sync / ${mean(name, e(name).settleMs)} ms to settle, ` +
    `max ${fmt(e(name).maxMs, 1)} ms (${fmt((e(name).ms / wallMs) * 100, 0)} % of the wall)`;
  const reservations = e('reserve').results + e('reserveMany').results;
  const pg = m.pgRoundTrips;
  const roundTrips = pg ? `; PostgreSQL statements (pipelined, not round trips) ${pg.calls} (${fmt(pg.calls / Math.max(1, reservations), 1)} per reservation, task creation and pushes included)` : '';
  return `decisions ${e('pendingTasks').results} (waiting tasks handed to a pass) for ${reservations} reservations; ` +
    ['createTask', 'pendingTasks', 'reserve', 'reserveMany', 'nextRoutingDueAt', 'routingCandidatesOf'].map(part).join('; ') + roundTrips;
};

interface Bench {
  readonly o: Options; readonly server: ChildProcess; readonly victims: ChildProcess; readonly others: ChildProcess;
  readonly store: StoreReader; readonly receipts: Receipts; readonly report: Report; readonly raw: Record<string, unknown>;
  /** Worker SIDs whose sockets the victims process holds. */
  readonly victimWorkers: readonly string[];
  /** When each phase started (epoch ms), to place liveness losses. */
  readonly phases: Record<string, number>;
}

// ── phases ──

/** Only the victims are Available; they get `held` offers that they never answer. */
async function holdPhase(b: Bench): Promise<void> {
  const { o, server, victims, receipts } = b;
  phase(`victims 0..${o.victims - 1} Available; ${o.held} tasks offered to them`);
  await askServer(server, { cmd: 'available', from: 0, to: o.victims }, 120_000 * o.patience);
  const tasks = await askServer<CreatedTask[]>(server, { cmd: 'tasks', count: o.held, ratePerS: 0, label: 'held' }, 60_000 * o.patience);
  const ok = await waitUntil(receipts, [victims], () => tasks.every((t) => receipts.createdByTask.has(t.sid)), Date.now() + 30_000 * o.patience);
  if (!ok) throw new Error(`only ${tasks.filter((t) => receipts.createdByTask.has(t.sid)).length}/${o.held} held offers reached the victims`);
  phase(`others ${o.victims}..${o.workers - 1} Available`);
  await askServer(server, { cmd: 'available', from: o.victims, to: o.workers }, 180_000 * o.patience);
}

/** Offers/s and latency for `count` tasks at `ratePerS` (0: created in one go). */
async function offerPhase(b: Bench, label: string, count: number, ratePerS: number): Promise<void> {
  const { server, others, store, receipts, report } = b;
  phase(`${label}: ${count} tasks ${ratePerS > 0 ? `at ${ratePerS}/s` : 'created back to back'}`);
  await askServer(server, { cmd: 'reset' });
  const tasks = await askServer<CreatedTask[]>(server, { cmd: 'tasks', count, ratePerS, label }, 120_000 * b.o.patience);
  const createdFor = (): number => tasks.filter((t) => receipts.createdByTask.has(t.sid)).length;
  const ok = await waitUntil(receipts, [others, b.victims], () => createdFor() === tasks.length, Date.now() + 15_000 * b.o.patience);
  const loop = await askServer<LoopWindow>(server, { cmd: 'loop' });
  const meter = await askServer<Record<string, MeterEntry>>(server, { cmd: 'meter' });
  const pushed = tasks.map((t) => ({ t, r: receipts.createdByTask.get(t.sid)?.[0] })).filter((x): x is { t: CreatedTask; r: Receipt } => x.r !== undefined);
  const firstAt = Math.min(...tasks.map((t) => t.at));
  const lastCreatedAt = Math.max(...tasks.map((t) => t.at));
  const lastPushAt = Math.max(...pushed.map((x) => x.r.at));
  const offersPerS = pushed.length / ((lastPushAt - firstAt) / 1000);
  const latency = dist(pushed.map((x) => x.r.at - x.t.at));
  const rows = new Map((await store.reservations()).map((r) => [r.sid, r]));
  const toCommit = dist(pushed.map((x) => (rows.get(x.r.reservationSid)?.created_at ?? Number.NaN) - x.t.at));
  const toPush = dist(pushed.map((x) => x.r.at - (rows.get(x.r.reservationSid)?.created_at ?? Number.NaN)));
  const good = ok && tasks.length === count && offersPerS >= TARGET.offersPerS;
  report.target(`${label}: offers/s (create → push received)`, null, offersPerS, TARGET.offersPerS, '≥ 500/s', good, offersPerS / TARGET.offersPerS,
    ok && tasks.length === count ? '' : `${tasks.length}/${count} tasks created in time, ${pushed.length} pushes arrived`);
  report.info(`${label}: task created → push received (ms)`, latency);
  report.info(`${label}:   task created → reservation committed (ms, store stamp)`, toCommit);
  report.info(`${label}:   reservation committed → push received (ms)`, toPush);
  report.notes.push(
    `${label}: ${pushed.length}/${tasks.length} offers pushed (${count} planned); tasks created over ${fmt((lastCreatedAt - firstAt) / 1000, 2)} s (${fmt(tasks.length / Math.max(0.001, (lastCreatedAt - firstAt) / 1000), 0)}/s), ` +
      `last push ${fmt((lastPushAt - lastCreatedAt) / 1000, 2)} s after the last creation; server CPU ${fmt((loop.cpuMs * 1000) / Math.max(1, pushed.length), 0)} µs per offer (task creation included)`,
    `${label}: ${loopNote(loop)}`,
    `${label}: ${meterNote(meter, loop.wallMs)}`,
  );
  Object.assign(b.raw, { [`${label}Latency`]: latency, [`${label}Loop`]: loop, [`${label}Meter`]: meter, [`${label}OffersPerS`]: offersPerS });
}

/**
 * For the offers of `workers` that were rescinded: the logout's commit (activity log), the
 * rescind (same transaction), the task's next reservation and its receipt by another agent.
 */
async function reofferFigures(b: Bench, label: string, workers: ReadonlySet<string>, expected: number, untilAt: number): Promise<void> {
  const { store, receipts, report, others } = b;
  type Row = { rescinded: ReservationRow; logoutAt: number | undefined; next: ReservationRow | undefined };
  let rows: Row[] = [];
  const gather = async (): Promise<Row[]> => {
    const all = await store.reservations();
    const logouts = await store.logouts();
    return all.filter((r) => r.status === 'rescinded' && workers.has(r.worker_sid)).map((rescinded) => ({
      rescinded, logoutAt: logouts.get(rescinded.worker_sid),
      next: all.find((n) => n.task_sid === rescinded.task_sid && n.sid !== rescinded.sid && n.created_at >= rescinded.updated_at),
    }));
  };
  const complete = await waitUntil(receipts, [others], async () => {
    rows = await gather();
    return rows.length >= expected && rows.every((r) => r.next && receipts.created.has(r.next.sid));
  }, untilAt);
  const reoffered = rows.filter((r) => r.next && r.logoutAt !== undefined);
  const commitToCommit = dist(reoffered.map((r) => (r.next as ReservationRow).created_at - (r.logoutAt as number)));
  const pushes = reoffered.map((r) => ({ r, receipt: receipts.created.get((r.next as ReservationRow).sid) })).filter((x) => x.receipt !== undefined);
  const commitToPush = dist(pushes.map((x) => (x.receipt as Receipt).at - (x.r.logoutAt as number)));
  const sameTx = rows.filter((r) => r.logoutAt === r.rescinded.updated_at).length;
  const targetMs = TARGET.reofferP99Ms[label] ?? 100;
  const ok = complete && reoffered.length === expected && commitToCommit.p99 <= targetMs;
  report.target(`${label}: logout commit → re-offer commit (ms)`, commitToCommit, commitToCommit.p99, targetMs, `p99 ≤ ${targetMs} ms`, ok, commitToCommit.p99 / targetMs,
    `${reoffered.length}/${expected} re-offered`);
  report.info(`${label}: logout commit → re-offer received (ms)`, commitToPush, undefined, `p99 ${fmt(commitToPush.p99 / targetMs, 2)}× ${targetMs} ms`);
  report.notes.push(`${label}: ${rows.length} offers rescinded (${sameTx} in the logout's own transaction), ${reoffered.length} re-offered, ${pushes.length} re-offers received by other agents`);
  Object.assign(b.raw, { [`${label}CommitToCommit`]: commitToCommit, [`${label}CommitToPush`]: commitToPush });
}

/** Holders dropped one by one (isolated logouts), then the rest at once (SIGKILL). */
async function logoutPhase(b: Bench): Promise<void> {
  const { o, server, victims, report } = b;
  phase(`isolated: dropping ${o.isolated} offer holders, one every ${o.dropIntervalMs} ms (threshold ${o.thresholdS} s)`);
  await askServer(server, { cmd: 'reset' });
  const dropped = await tell(victims, { cmd: 'drop', count: o.isolated, intervalMs: o.dropIntervalMs }, 'dropped', 60_000);
  const isolated = new Set(dropped.drops.map((d) => d.workerSid));
  await reofferFigures(b, 'isolated', isolated, isolated.size, Date.now() + o.thresholdS * 1000 + 15_000 * o.patience);
  const isolatedLoop = await askServer<LoopWindow>(server, { cmd: 'loop' });
  report.notes.push(`isolated: ${loopNote(isolatedLoop)}`, `isolated: ${meterNote(await askServer(server, { cmd: 'meter' }), isolatedLoop.wallMs)}`);
  const { holding } = await tell(victims, { cmd: 'receipts' }, 'receipts', 10_000);
  phase(`mass: SIGKILL of the victims (${holding} offer holders, ${o.victims - isolated.size} sockets)`);
  await askServer(server, { cmd: 'reset' });
  victims.kill('SIGKILL');
  const rest = new Set(b.victimWorkers.filter((w) => !isolated.has(w)));
  await reofferFigures(b, 'mass', rest, holding, Date.now() + o.thresholdS * 1000 + 20_000 * o.patience);
  const massLoop = await askServer<LoopWindow>(server, { cmd: 'loop' });
  report.notes.push(`mass: ${loopNote(massLoop)}`, `mass: ${meterNote(await askServer(server, { cmd: 'meter' }), massLoop.wallMs)}`);
}

/** With `--profile`, the server records a CPU profile of this phase only. */
async function profiled(b: Bench, name: string, fn: () => Promise<void>): Promise<void> {
  b.phases[name] = Date.now();
  if (!b.o.profile) return fn();
  await askServer(b.server, { cmd: 'profile-start' });
  await fn();
  const file = path.resolve('.bench-out', 'profiles', `routing-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  b.report.notes.push(`profile of ${name}: ${await askServer<string>(b.server, { cmd: 'profile-stop', file }, 60_000)}`);
}

async function run(o: Options): Promise<{ report: Report; raw: Record<string, unknown> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-routing-bench-'));
  const database = await openBenchDatabase();
  const env = {
    ...database.env, PORT: '0', HOST: '127.0.0.1', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'info', BENCH_WORKERS: String(o.workers),
    ROLLCALL_DEFAULT_THRESHOLD_S: String(o.thresholdS), ROLLCALL_PING_INTERVAL_MS: String(o.pingMs), ROLLCALL_LIVENESS_TIMEOUT_MS: String(o.livenessTimeoutMs),
  };
  try {
    phase(`server: creating ${o.workers} workers, ${20} queues and a workflow on ${database.engine} (${database.urlInSchema ? 'a fresh schema' : dataDir})`);
    const server = spawn('./routing-server.js', env);
    const ready = await nextMessage<ServerReady>(server, (m) => m.type === 'ready', 'server start', 180_000 * o.patience);
    phase(`server ready at ${ready.url} (set-up ${fmt(ready.setupMs / 1000)} s); connecting ${o.victims} victims and ${o.workers - o.victims} others`);
    const victims = spawn('./routing-agents.js', {});
    const others = spawn('./routing-agents.js', {});
    const connect = (child: ChildProcess, from: number, to: number) =>
      tell(child, { cmd: 'connect', url: ready.url, tokensFile: ready.tokensFile, from, to, concurrency: o.concurrency }, 'connected', 120_000 * o.patience);
    const [v, w] = await Promise.all([connect(victims, 0, o.victims), connect(others, o.victims, o.workers)]);
    if (v.ready + w.ready !== o.workers) throw new Error(`only ${v.ready + w.ready}/${o.workers} agents got init: ${[...v.failures, ...w.failures].join('; ')}`);
    const victimWorkers = (JSON.parse(readFileSync(ready.tokensFile, 'utf8')) as AgentToken[]).slice(0, o.victims).map((t) => t.workerSid);
    const raw = { options: o, engine: database.engine, setupMs: ready.setupMs, connectMs: Math.max(v.elapsedMs, w.elapsedMs) };
    const b: Bench = { o, server, victims, others, store: await openStoreReader(ready.databaseFile, database.urlInSchema), receipts: new Receipts(), report: new Report(), raw, victimWorkers, phases: {} };
    b.phases.hold = Date.now();
    await holdPhase(b);
    await profiled(b, 'steady', () => offerPhase(b, 'steady', o.ratePerS * o.sustainS, o.ratePerS));
    await profiled(b, 'burst', () => offerPhase(b, 'burst', o.burst, 0));
    await profiled(b, 'logout', () => logoutPhase(b));
    const after = await b.store.offersAfterLogout();
    b.report.target('ordering: reservations created after the worker\'s logout', null, after, 0, '0', after === 0, after);
    // Nobody's socket ever went silent (drops close the TCP connection), so every heartbeat loss is false.
    const { n: lost, first, last } = await b.store.heartbeatLost();
    if (lost > 0 && first !== null && last !== null) {
      const at = (t: number): string => Object.entries(b.phases).filter(([, start]) => start <= t).map(([name, start]) => `${name} +${fmt((t - start) / 1000)} s`).at(-1) ?? 'set-up';
      b.report.notes.push(`liveness: ${lost} agents declared heartbeat-lost, the first at ${at(first)}, the last at ${at(last)}`);
    }
    const victimSet = new Set(victimWorkers);
    const othersLoggedOut = [...(await b.store.logouts()).keys()].filter((w) => !victimSet.has(w)).length;
    b.report.target('liveness: heartbeat-lost disconnections (none silent)', null, lost, 0, '0', lost === 0, lost,
      'connected, answering agents were declared lost: see the notes');
    b.report.target('liveness: logouts of agents never dropped', null, othersLoggedOut, 0, '0', othersLoggedOut === 0, othersLoggedOut);
    await b.store.close();
    for (const child of [...children]) if (child !== server) child.kill('SIGKILL');
    await askServer(server, { cmd: 'close' }, 30_000).catch(() => undefined);
    // The server exits by itself after closing (and writes its CPU profile, if any).
    await Promise.race([new Promise((resolve) => server.once('exit', resolve)), sleep(10_000)]);
    return { report: b.report, raw: b.raw };
  } finally {
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
    if (!o.keep) await database.drop();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  setTimeout(() => {
    console.error(`routing e2e bench: over ${(HARD_LIMIT_MS * o.patience) / 1000} s, giving up`);
    process.exit(1);
  }, HARD_LIMIT_MS * o.patience).unref();
  const machine = await machineLine();
  say(`routing e2e bench ${new Date().toISOString()} on ${machine}`);
  say(`workers ${o.workers} (victims ${o.victims}, holding ${o.held} offers), steady ${o.ratePerS}/s × ${o.sustainS} s, burst ${o.burst}, threshold ${o.thresholdS} s, isolated drops ${o.isolated} every ${o.dropIntervalMs} ms, ping ${o.pingMs} ms, liveness timeout ${o.livenessTimeoutMs} ms`);
  const { report, raw } = await run(o);
  say(`load avg at the end ${os.loadavg().map((x) => fmt(x, 2)).join(' ')}\n`);
  printReport('routing', machine, report, raw, say);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('routing e2e bench failed:', error);
  process.exit(1);
});

