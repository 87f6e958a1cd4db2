/**
 * The server side of the routing e2e bench: a real Rollcall (createRollcall, SQLite, the agent
 * channel, the routing service) in its own process, set up with N workers (1–3 skills each, all
 * Offline), 20 queues (`worker.skills HAS "skillK"`) and one workflow that files a task with
 * `skill == "skillK"` into queue K. It creates tasks on command (paced or in one go) and
 * stamps each creation on the same clock as the load generator; it samples event-loop delay and
 * CPU. It talks to the orchestrator over the fork IPC channel only: nothing in src/ knows a
 * bench exists.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createLogger } from '../src/log.js';
import { configFromEnvironment, createRollcall, type Rollcall } from '../src/main.js';
import { issueAccessToken } from '../src/service/access-tokens.js';
import { meterPgStatements } from './pg-statements.js';
import { QUEUES, createPreciseClock, pickSkills, seeded, skillName, targetWorkersOf } from './routing-figures.js';

export interface AgentToken { readonly workerSid: string; readonly token: string }

export interface ServerReady {
  readonly type: 'ready';
  readonly url: string;
  readonly databaseFile: string;
  readonly tokensFile: string;
  readonly workers: number;
  readonly setupMs: number;
}

export interface CreatedTask { readonly sid: string; readonly at: number }

export interface LoopWindow {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Stalls ≥ 50 ms seen by a 10 ms drift timer. */
  readonly stallsMs: readonly number[];
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly preempted: number;
  /** Agent connections the server holds at the end of the window. */
  readonly connections: number;
}

export type ServerCommand =
  | { readonly id: number; readonly cmd: 'available'; readonly from: number; readonly to: number }
  | { readonly id: number; readonly cmd: 'tasks'; readonly count: number; readonly ratePerS: number; readonly label: string }
  | { readonly id: number; readonly cmd: 'reset' }
  | { readonly id: number; readonly cmd: 'loop' }
  | { readonly id: number; readonly cmd: 'meter' }
  | { readonly id: number; readonly cmd: 'profile-start' }
  | { readonly id: number; readonly cmd: 'profile-stop'; readonly file: string }
  | { readonly id: number; readonly cmd: 'close' };

export type ServerReply = ServerReady | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string };

const RESOLUTION_MS = 10;
const BACK_TO_BACK_MAX_MS = 20_000;
const STALL_MS = 50;

/** Event-loop delay histogram plus a drift timer that records stalls, CPU and preemption per window. */
function createLoopProbe() {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let stalls: number[] = [];
  let last = performance.now();
  let cpu = process.cpuUsage();
  let since = performance.now();
  let switches = process.resourceUsage().involuntaryContextSwitches;
  setInterval(() => {
    const now = performance.now();
    const stall = now - last - RESOLUTION_MS;
    last = now;
    if (stall >= STALL_MS && stalls.length < 1000) stalls.push(Math.round(stall));
  }, RESOLUTION_MS).unref();
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    reset(): void {
      histogram.reset();
      stalls = [];
      cpu = process.cpuUsage();
      since = performance.now();
      switches = process.resourceUsage().involuntaryContextSwitches;
    },
    read(): Omit<LoopWindow, 'connections'> {
      const used = process.cpuUsage(cpu);
      return {
        p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: Math.max(ms(histogram.max), ...stalls), stallsMs: [...stalls],
        cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - since, preempted: process.resourceUsage().involuntaryContextSwitches - switches,
      };
    },
  };
}

/**
 * Calls, synchronous time (better-sqlite3 does all its work before the promise), time until the
 * promise settled (PostgreSQL's work is there: its statements) and rows or successes.
 */
export interface MeterEntry { calls: number; ms: number; maxMs: number; settleMs: number; results: number }
const METERED = ['createTask', 'pendingTasks', 'reserve', 'reserveMany', 'nextRoutingDueAt', 'routingCandidatesOf', 'claimRoutingDue'] as const;

/**
 * Wraps the routing store's hot verbs on the live store object (the routing service calls them
 * through the same object), to say where an offer's time goes. `results` counts the rows that
 * `pendingTasks` returned (the decisions a pass makes) and the reservations `reserve` and
 * `reserveMany` wrote (a batch's refused offers are not counted).
 */
function meterStore(store: object): () => Record<string, MeterEntry> {
  const target = store as Record<string, (...args: unknown[]) => Promise<unknown>>;
  let entries: Record<string, MeterEntry> = {};
  const fresh = (): Record<string, MeterEntry> => Object.fromEntries(METERED.map((name) => [name, { calls: 0, ms: 0, maxMs: 0, settleMs: 0, results: 0 }]));
  entries = fresh();
  for (const name of METERED) {
    const original = target[name] as (...args: unknown[]) => Promise<unknown>;
    target[name] = (...args: unknown[]): Promise<unknown> => {
      const startedAt = performance.now();
      const promise = original.apply(store, args);
      const ms = performance.now() - startedAt;
      const e = entries[name] as MeterEntry;
      e.calls++;
      e.ms += ms;
      e.maxMs = Math.max(e.maxMs, ms);
      const settled = (): void => void (e.settleMs += performance.now() - startedAt);
      void promise.then((value) => {
        settled();
        if (Array.isArray(value)) e.results += value.filter((v: unknown) => typeof v !== 'object' || v === null || !('ok' in v) || (v as { ok: boolean }).ok).length;
        else if (typeof value === 'object' && value !== null && (value as { ok?: boolean }).ok === true) e.results++;
      }, settled);
      return promise;
    };
  }
  return () => {
    const out = entries;
    entries = fresh();
    return out;
  };
}

interface World { readonly rollcall: Rollcall; readonly workspaceSid: string; readonly workflowSid: string; readonly availableSid: string; readonly workerSids: string[] }

async function setUp(rollcall: Rollcall, count: number, seed: number, tokensFile: string): Promise<World> {
  const { account, apiKey, workspace } = rollcall.installation;
  const activities = await rollcall.store.listActivities(workspace.sid);
  const availableSid = activities.find((a) => a.friendlyName === 'Available')?.sid;
  const offlineSid = activities.find((a) => a.friendlyName === 'Offline')?.sid;
  if (!availableSid || !offlineSid) throw new Error('the workspace lacks the Available or Offline activity');
  const queueSids: string[] = [];
  for (let k = 0; k < QUEUES; k++) {
    const queue = await rollcall.store.createTaskQueue(workspace.sid, { friendlyName: `Bench ${skillName(k)}`, targetWorkers: targetWorkersOf(k) });
    if (!queue.ok) throw new Error(queue.refusal.message);
    queueSids.push(queue.value.sid);
  }
  const configuration = JSON.stringify({ task_routing: {
    filters: queueSids.map((queue, k) => ({ filter_friendly_name: skillName(k), expression: `skill == "${skillName(k)}"`, targets: [{ queue }] })),
  } });
  // Offers stay pending for the whole run (nobody accepts): the timeout must not fire before the end.
  const workflow = await rollcall.store.createWorkflow(workspace.sid, { friendlyName: 'Bench', configuration, taskReservationTimeoutS: 1800 });
  if (!workflow.ok) throw new Error(workflow.refusal.message);
  await rollcall.routing.reloadCatalog(workspace.sid);
  const random = seeded(seed);
  const tokens: AgentToken[] = [];
  const workerSids: string[] = [];
  for (let i = 0; i < count; i++) {
    const attributes = JSON.stringify({ skills: pickSkills(random), languages: ['en'], level: 1 + Math.floor(random() * 5) });
    const created = await rollcall.presence.createWorker({ workspaceSid: workspace.sid, friendlyName: `bench-${i}`, attributes, activitySid: offlineSid, actor: account.sid });
    if (!created.ok) throw new Error(`creating worker ${i} failed: ${created.refusal.message}`);
    const workerSid = created.value.worker.sid;
    workerSids.push(workerSid);
    tokens.push({ workerSid, token: await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid, identity: `bench-${i}`, ttlS: 3600, nowMs: Date.now(),
    }) });
  }
  writeFileSync(tokensFile, JSON.stringify(tokens));
  return { rollcall, workspaceSid: workspace.sid, workflowSid: workflow.value.sid, availableSid, workerSids };
}

/** Puts workers [from, to) in the Available activity, as an admin would. */
async function makeAvailable(world: World, from: number, to: number): Promise<number> {
  const actor = world.rollcall.installation.account.sid;
  for (const workerSid of world.workerSids.slice(from, to)) {
    const result = await world.rollcall.presence.setActivity({ workspaceSid: world.workspaceSid, workerSid, activitySid: world.availableSid, cause: 'admin', actor, rejectPendingReservations: false });
    if (!result.ok) throw new Error(`making ${workerSid} available failed: ${result.refusal.message}`);
  }
  return to - from;
}

/**
 * Creates `count` tasks round-robin over the skills: back to back when
 * `ratePerS` is 0, else paced against the clock so that the rate holds on average.
 */
async function createTasks(world: World, now: () => number, count: number, ratePerS: number, label: string): Promise<CreatedTask[]> {
  const created: CreatedTask[] = [];
  const one = async (i: number): Promise<void> => {
    const attributes = JSON.stringify({ skill: skillName(i % QUEUES), type: 'support', bench: label });
    const at = now();
    const task = await world.rollcall.routing.createTask(world.workspaceSid, { workflowSid: world.workflowSid, attributes, taskChannel: 'voice' }, 'bench');
    if (!task.ok) throw new Error(`creating task ${i} failed: ${task.refusal.message}`);
    created.push({ sid: task.value.sid, at });
  };
  // If the server cannot keep up, stop at 1.5× the planned duration (20 s back to back): the report says how many were made.
  const startedAt = performance.now();
  const untilMs = ratePerS > 0 ? (count / ratePerS) * 1500 + 2000 : BACK_TO_BACK_MAX_MS;
  if (ratePerS <= 0) {
    // As fast as the server takes them, but each its own turn of the loop, as separate API calls would be.
    while (created.length < count && performance.now() - startedAt < untilMs) {
      await one(created.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return created;
  }
  while (created.length < count && performance.now() - startedAt < untilMs) {
    const due = Math.min(count, Math.floor(((performance.now() - startedAt) / 1000) * ratePerS) + 1);
    while (created.length < due) await one(created.length);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return created;
}

let profiler: Session | null = null;

/** CPU profile of one phase only (`--profile`), through the inspector, so set-up stays out of it. */
async function startProfile(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
  await profiler.post('Profiler.start');
}

async function stopProfile(file: string): Promise<string> {
  if (!profiler) return '';
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = null;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

async function main(): Promise<void> {
  const send = (message: ServerReply): void => void process.send?.(message);
  process.on('disconnect', () => process.exit(2));
  const startedAt = performance.now();
  const config = configFromEnvironment();
  const count = Number(process.env.BENCH_WORKERS ?? 10_000);
  const logger = createLogger(config.logLevel, pino.destination({ dest: path.join(config.dataDir, 'server.log'), minLength: 0, sync: false, mkdir: true }));
  const rollcall = await createRollcall(config, { logger });
  const url = await rollcall.listen();
  const tokensFile = path.join(config.dataDir, 'tokens.json');
  const world = await setUp(rollcall, count, Number(process.env.BENCH_SEED ?? 7), tokensFile);
  const probe = createLoopProbe();
  const clock = createPreciseClock();
  const meter = meterStore(rollcall.store);
  const statements = config.databaseUrl ? meterPgStatements() : null;

  process.on('message', (raw) => {
    const command = raw as ServerCommand;
    const reply = (value?: unknown): void => send({ type: 'reply', id: command.id, value });
    const fail = (error: unknown): void => send({ type: 'reply', id: command.id, error: String(error) });
    switch (command.cmd) {
      case 'available':
        return void makeAvailable(world, command.from, command.to).then(reply, fail);
      case 'tasks':
        return void createTasks(world, clock.now, command.count, command.ratePerS, command.label).then(reply, fail);
      case 'reset':
        probe.reset();
        meter();
        statements?.reset();
        return reply();
      case 'meter': {
        const pg = statements?.read();
        statements?.reset();
        return reply({ ...meter(), ...(pg ? { pgRoundTrips: { calls: pg.statements, ms: 0, maxMs: 0, settleMs: pg.waitMs, results: 0 } } : {}) });
      }
      case 'loop':
        return reply({ ...probe.read(), connections: rollcall.channel.connectionCount });
      case 'profile-start':
        return void startProfile().then(reply, fail);
      case 'profile-stop':
        return void stopProfile(command.file).then(reply, fail);
      case 'close':
        return void rollcall.close().then(() => {
          reply();
          setTimeout(() => process.exit(0), 100);
        }, fail);
    }
  });
  send({ type: 'ready', url, databaseFile: config.databaseFile, tokensFile, workers: count, setupMs: Math.round(performance.now() - startedAt) });
}

main().catch((error: unknown) => {
  console.error('routing-server failed:', error);
  process.exit(1);
});
