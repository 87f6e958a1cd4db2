/**
 * Routing decision micro-benchmark (issue 4: 10 000 workers, 20 queues, decision p99 ≤ 50 µs).
 * One process, no I/O. It times `chooseWorker` three ways on the same seeded population:
 *   A. over every worker of the workspace (what a view without a queue index hands it);
 *   B. over one queue's members only (what a per-queue membership index would hand it);
 *   C. through a real `RoutingService` on an in-memory stub store, from the moment the pass has
 *      its pending task to the moment it calls `store.reserve`: whatever `offer()` iterates
 *      today (all workers or an index) is what gets timed. A calibration run with counting
 *      workers says how many candidates the service really looked at per decision.
 * Between decisions the chosen worker becomes busy and a random busy worker frees up, so the
 * at-capacity share stays steady and longest-idle keeps moving. See bench/README.md.
 */
import { fork } from 'node:child_process';
import { parseExpression, evaluate } from '../src/core/expressions.js';
import type { Result } from '../src/core/errors.js';
import { chooseWorker, type CandidateWorker, type ChannelLoad, type PresenceState, type RoutableTask, type RoutingStep } from '../src/core/routing.js';
import type { Reservation, Task, TaskQueue, Workflow } from '../src/core/routing-resources.js';
import { newSid } from '../src/service/ids.js';
import type { Bus, BusMessage, Clock, Log } from '../src/service/ports.js';
import type { PresenceService } from '../src/service/presence-service.js';
import type { RoutingCommit, RoutingStore } from '../src/service/routing-ports.js';
import { RoutingService } from '../src/service/routing-service.js';
import { QUEUES, dist, fmt, machineLine, pickSkills, seeded, showDist, skillName, targetWorkersOf, type Dist } from './routing-figures.js';

const TARGET_P99_US = 50;
const VOICE = 'TC00000000000000000000000000000001';
const CHAT = 'TC00000000000000000000000000000002';

interface Options { workers: number; samples: number; warmup: number; seed: number }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { workers: 10_000, samples: 20_000, warmup: 3_000, seed: 42 };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    if (!(key in o) || !Number.isFinite(Number(value))) throw new Error(`bad option ${arg}; known: ${Object.keys(o).map((k) => `--${k}=N`).join(' ')}`);
    o[key as keyof Options] = Number(value);
  }
  return o;
}

// ── the population ──

interface MutableLoad { capacity: number; busy: number; available: boolean }
interface BenchWorker { sid: string; attributes: Record<string, unknown>; activityAvailable: boolean; presence: PresenceState; channels: Map<string, ChannelLoad>; idleSince: number }

interface Population {
  readonly workers: BenchWorker[];
  readonly voice: Map<BenchWorker, MutableLoad>;
  /** Workers whose voice channel is full: one of them frees up after each offer (no allocation). */
  readonly busy: BenchWorker[];
  readonly random: () => number;
  clock: number;
}

/**
 * A realistic mix: 88 % in an available activity; 90 % connected, 6 % in the grace period after a
 * disconnection, 4 % never connected; voice capacity 1 with 20 % already at capacity; a chat
 * channel besides. Idle times spread over the last hour; those at capacity were offered their task
 * in the last minute (a store reports the last offer as the idle time).
 */
function population(count: number, seed: number, counting: { visits: number } | null = null): Population {
  const random = seeded(seed);
  const now = 1_700_000_000_000;
  const p: Population = { workers: [], voice: new Map(), busy: [], random, clock: now };
  for (let i = 0; i < count; i++) {
    const voice: MutableLoad = { capacity: 1, busy: random() < 0.2 ? 1 : 0, available: true };
    const r = random();
    const presence: PresenceState = r < 0.9 ? 'connected' : r < 0.96 ? 'disconnected' : 'never-connected';
    const activityAvailable = random() < 0.88;
    const worker: BenchWorker = {
      sid: `WK${i.toString(16).padStart(32, '0')}`,
      attributes: { skills: pickSkills(random), languages: ['en'], level: 1 + Math.floor(random() * 5) },
      activityAvailable,
      presence,
      channels: new Map<string, ChannelLoad>([[VOICE, voice], [CHAT, { capacity: 2, busy: Math.floor(random() * 3), available: true }]]),
      // A worker at capacity was offered its task lately (the store's idle time is its last offer).
      idleSince: voice.busy >= voice.capacity ? now - Math.floor(random() * 60_000) : now - Math.floor(random() * 3_600_000),
    };
    if (counting) {
      // Counts every candidate the routing choice looks at (canTake reads this first).
      Object.defineProperty(worker, 'activityAvailable', { get: () => (counting.visits++, activityAvailable), enumerable: true });
    }
    p.workers.push(worker);
    p.voice.set(worker, voice);
    if (voice.busy >= voice.capacity) p.busy.push(worker);
  }
  return p;
}

/** The chosen worker takes the offer (busy, idle from now); a random busy worker finishes one. */
function afterOffer(p: Population, chosen: CandidateWorker | null): BenchWorker | null {
  p.clock += 100;
  let freed: BenchWorker | null = null;
  if (p.busy.length > 0) {
    const i = Math.floor(p.random() * p.busy.length);
    freed = p.busy[i] as BenchWorker;
    p.busy[i] = p.busy[p.busy.length - 1] as BenchWorker;
    p.busy.pop();
    (p.voice.get(freed) as MutableLoad).busy = 0;
  }
  if (!chosen) return freed;
  const worker = chosen as BenchWorker;
  (p.voice.get(worker) as MutableLoad).busy = 1;
  worker.idleSince = p.clock;
  p.busy.push(worker);
  return freed;
}

function describePopulation(p: Population): string {
  const eligible = p.workers.filter((w) => w.activityAvailable && w.presence !== 'disconnected' && (p.voice.get(w) as MutableLoad).busy === 0).length;
  const members = Array.from({ length: QUEUES }, (_, k) => p.workers.filter((w) => (w.attributes.skills as string[]).includes(skillName(k))).length);
  return `${p.workers.length} workers; ${p.workers.filter((w) => w.activityAvailable).length} in an available activity, ` +
    `${p.workers.filter((w) => w.presence === 'disconnected').length} disconnected (grace period, held), ${p.workers.filter((w) => w.presence === 'never-connected').length} never connected, ` +
    `${p.busy.length} at voice capacity; ${eligible} could take a voice task; queue members ${Math.min(...members)}–${Math.max(...members)} (mean ${fmt(members.reduce((a, b) => a + b, 0) / QUEUES, 0)})`;
}

// ── the decision, three ways ──

interface Queue { readonly sid: string; readonly step: RoutingStep; readonly skill: string }

function queues(): Queue[] {
  return Array.from({ length: QUEUES }, (_, k) => {
    const parsed = parseExpression(targetWorkersOf(k));
    if (!parsed.ok) throw new Error(parsed.refusal.message);
    const sid = newSid('taskQueue');
    return { sid, skill: skillName(k), step: { queueSid: sid, targetWorkers: parsed.value, expression: null, orderBy: [] } };
  });
}

const routable = (i: number, q: Queue): RoutableTask => ({ sid: `WT${i}`, attributes: { skill: q.skill, type: 'support' }, channelSid: VOICE, excludedWorkers: new Set() });
const OPTIONS = { holdDisconnected: true };

/** Times `decide` once per sample (after a warm-up), applying each offer to the population. */
function timeLoop(o: Options, p: Population, qs: readonly Queue[], decide: (task: RoutableTask, q: Queue, k: number) => CandidateWorker | null): { d: Dist; offered: number } {
  const samples: number[] = [];
  let offered = 0;
  for (let i = 0; i < o.warmup + o.samples; i++) {
    const k = i % QUEUES;
    const q = qs[k] as Queue;
    const task = routable(i, q);
    const start = process.hrtime.bigint();
    const chosen = decide(task, q, k);
    const ns = Number(process.hrtime.bigint() - start);
    if (i >= o.warmup) {
      samples.push(ns / 1000);
      if (chosen) offered++;
    }
    afterOffer(p, chosen);
  }
  return { d: dist(samples), offered };
}

function overAllWorkers(o: Options, qs: readonly Queue[]): { d: Dist; offered: number } {
  const p = population(o.workers, o.seed);
  // The service keeps its view in a Map by SID and iterates its values.
  const view = new Map<string, CandidateWorker>(p.workers.map((w) => [w.sid, w]));
  return timeLoop(o, p, qs, (task, q) => chooseWorker(view.values(), task, q.step, OPTIONS));
}

function overQueueMembers(o: Options, qs: readonly Queue[]): { d: Dist; offered: number; members: number } {
  const p = population(o.workers, o.seed);
  const members = qs.map((q) => p.workers.filter((w) => evaluate(q.step.targetWorkers, { worker: w.attributes, defaultScope: 'worker' })));
  const mean = members.reduce((a, m) => a + m.length, 0) / members.length;
  return { ...timeLoop(o, p, qs, (task, q, k) => chooseWorker(members[k] as BenchWorker[], task, q.step, OPTIONS)), members: mean };
}

// ── through the real RoutingService, on a stub store ──

const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, child: () => silentLog };
const clock: Clock = { now: () => Date.now(), at: (dueAt, fn) => { const t = setTimeout(fn, Math.max(0, dueAt - Date.now())); return () => clearTimeout(t); } };
const noPresence = { onCommitted: () => undefined, publishCommitted: () => undefined } as unknown as PresenceService;
const EMPTY_COMMIT: RoutingCommit = { events: [], pushes: [], presence: [], touchedWorkers: [] };

interface ServiceRig {
  readonly service: RoutingService;
  readonly workspaceSid: string;
  /** Offers one task and resolves with ns from "pass has the task" to "store.reserveMany called". */
  offerOnce(i: number, k: number): Promise<{ ns: number; chosen: CandidateWorker | null }>;
  /** After an offer (untimed): the population moves on, and the service re-reads the workers that changed, as after a commit. */
  settle(chosen: CandidateWorker | null): void;
  /** Candidates looked at by the decisions so far (with a counting population); re-reads after a commit are not counted. */
  visits(): number;
}

async function serviceRig(p: Population, qs: readonly Queue[], counting: { visits: number } | null = null): Promise<ServiceRig> {
  const workspaceSid = newSid('workspace');
  const workflowSid = newSid('workflow');
  const at = p.clock;
  const taskQueues: TaskQueue[] = qs.map((q) => ({
    sid: q.sid, workspaceSid, accountSid: 'AC', friendlyName: q.skill, targetWorkers: targetWorkersOf(qs.indexOf(q)), reservationActivitySid: null,
    assignmentActivitySid: null, maxReservedWorkers: 1, taskOrder: 'FIFO', createdAt: at, updatedAt: at,
  }));
  const configuration = JSON.stringify({ task_routing: {
    filters: qs.map((q) => ({ filter_friendly_name: q.skill, expression: `skill == "${q.skill}"`, targets: [{ queue: q.sid }] })),
    default_filter: { queue: (qs[0] as Queue).sid },
  } });
  const workflow: Workflow = { sid: workflowSid, workspaceSid, accountSid: 'AC', friendlyName: 'Bench', configuration, taskReservationTimeoutS: 120, assignmentCallbackUrl: null, fallbackAssignmentCallbackUrl: null, createdAt: at, updatedAt: at };
  const bySid = new Map(p.workers.map((w) => [w.sid, w]));
  // What the stub store answers is a copy, as a real store's rows are: the service keeps (and
  // updates) its own objects, and the population changes reach it only through re-reads.
  const snapshot = (w: BenchWorker): CandidateWorker => {
    const visits = counting?.visits ?? 0;
    const copy: BenchWorker = { ...w, channels: new Map([...w.channels].map(([k, load]) => [k, { ...load }])) };
    if (counting) {
      counting.visits = visits;
      Object.defineProperty(copy, 'activityAvailable', { get: () => (counting.visits++, w.activityAvailable), enumerable: true });
    }
    return copy;
  };
  const listeners: ((m: BusMessage) => void)[] = [];
  const bus: Bus = {
    publish: () => undefined,
    subscribe: (listener) => (listeners.push(listener), () => undefined),
  };
  const changed = (sid: string): void => {
    const event = { eventType: 'worker.activity.update', workspaceSid, resourceSid: sid } as unknown as NonNullable<BusMessage['event']>;
    for (const listener of listeners) listener({ event, remote: true });
  };
  let armed: Task | null = null;
  let armedAtNs = 0n;
  let visitsAtArm = 0;
  let decisionVisits = 0;
  let onReserve: ((r: { ns: number; workerSid: string }) => void) | null = null;
  const notUsed = (name: string) => async (): Promise<never> => {
    throw new Error(`the decision bench does not stub ${name}`);
  };
  const store = {
    async routingWorkspaces() { return [{ workspaceSid, holdDisconnected: true }]; },
    async ensureChannels() { return undefined; },
    async routingCandidates() { return p.workers.map(snapshot); },
    async routingCandidatesOf(sids: readonly string[]) { return sids.flatMap((sid) => { const w = bySid.get(sid); return w ? [snapshot(w)] : []; }); },
    async listTaskQueues() { return taskQueues; },
    async listWorkflows() { return [workflow]; },
    async nextRoutingDueAt() { return null; },
    async claimRoutingDue() { return []; },
    async pendingTasks() {
      const tasks = armed ? [armed] : [];
      armed = null;
      armedAtNs = process.hrtime.bigint();
      visitsAtArm = counting?.visits ?? 0;
      return tasks;
    },
    // The routing loop hands its offers to the store in a batch (one here: one task per pass).
    async reserveMany(inputs: readonly { workerSid: string }[]): Promise<Result<{ reservation: Reservation; commit: RoutingCommit }>[]> {
      const ns = Number(process.hrtime.bigint() - armedAtNs);
      // Reads between the pass's start and this call (a one-task pass counts its offer in the view only after the commit).
      if (counting) decisionVisits += counting.visits - visitsAtArm;
      for (const input of inputs) onReserve?.({ ns, workerSid: input.workerSid });
      return inputs.map(() => ({ ok: true, value: { reservation: {} as Reservation, commit: EMPTY_COMMIT } }));
    },
    skipTarget: notUsed('skipTarget'),
  } as unknown as RoutingStore;
  const service = new RoutingService({ store, presence: noPresence, bus, clock, log: silentLog });
  await service.start();
  await new Promise((resolve) => setImmediate(resolve));
  return {
    service,
    workspaceSid,
    visits: () => decisionVisits,
    settle(chosen) {
      const freed = afterOffer(p, chosen);
      if (chosen) changed(chosen.sid);
      if (freed) changed(freed.sid);
    },
    offerOnce(i, k) {
      const q = qs[k] as Queue;
      armed = {
        sid: `WT${i.toString(16).padStart(32, '0')}`, workspaceSid, accountSid: 'AC', workflowSid, workflowName: 'Bench', queueSid: q.sid, queueName: q.skill,
        taskChannelSid: VOICE, taskChannelUniqueName: 'voice', attributes: JSON.stringify({ skill: q.skill, type: 'support' }), priority: 0, timeoutS: 86_400,
        assignmentStatus: 'pending', reason: null, filterIndex: k, targetIndex: 0, targetSince: p.clock, excludedWorkers: [], version: 1, createdAt: p.clock + i, updatedAt: p.clock, routingTarget: null, virtualStartAt: p.clock + i, transferSid: null, transferWorkerSid: null,
      } as Task;
      return new Promise((resolve) => {
        // No worker found: the pass ends without calling reserve; the next turn says so.
        const none = setTimeout(() => (onReserve = null, resolve({ ns: Number.NaN, chosen: null })), 50);
        onReserve = (r) => {
          clearTimeout(none);
          onReserve = null;
          resolve({ ns: r.ns, chosen: bySid.get(r.workerSid) ?? null });
        };
        service.kick(workspaceSid);
      });
    },
  };
}

async function throughService(o: Options, qs: readonly Queue[]): Promise<{ d: Dist; offered: number; misses: number }> {
  const p = population(o.workers, o.seed);
  const rig = await serviceRig(p, qs);
  const samples: number[] = [];
  let offered = 0;
  let misses = 0;
  for (let i = 0; i < o.warmup + o.samples; i++) {
    const { ns, chosen } = await rig.offerOnce(i, i % QUEUES);
    if (i >= o.warmup) {
      if (chosen) {
        offered++;
        samples.push(ns / 1000);
      } else misses++;
    }
    rig.settle(chosen);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rig.service.stop();
  return { d: dist(samples), offered, misses };
}

/** How many candidates the service's choice looks at per decision (untimed: the getter costs). */
async function candidatesPerDecision(o: Options, qs: readonly Queue[]): Promise<number> {
  const counting = { visits: 0 };
  const p = population(o.workers, o.seed, counting);
  const rig = await serviceRig(p, qs, counting);
  const decisions = 200;
  counting.visits = 0;
  for (let i = 0; i < decisions; i++) {
    const { chosen } = await rig.offerOnce(i, i % QUEUES);
    rig.settle(chosen);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rig.service.stop();
  return rig.visits() / decisions;
}

// ── report ──

type CaseName = 'A' | 'B' | 'C';
interface CaseResult { readonly d: Dist; readonly offered: number; readonly extra: number; readonly preempted: number }

/** Runs one case in this process (a child of the orchestrating run). */
async function runCase(name: CaseName, o: Options): Promise<CaseResult> {
  const qs = queues();
  const switches = process.resourceUsage().involuntaryContextSwitches;
  let result: { d: Dist; offered: number; extra: number };
  if (name === 'A') result = { ...overAllWorkers(o, qs), extra: o.workers };
  else if (name === 'B') {
    const b = overQueueMembers(o, qs);
    result = { ...b, extra: b.members };
  } else {
    // The calibration runs on its own rig first, so the timed rig's code is not polluted by the getter.
    const visited = await candidatesPerDecision(o, qs);
    result = { ...(await throughService(o, qs)), extra: visited };
  }
  return { ...result, preempted: process.resourceUsage().involuntaryContextSwitches - switches };
}

/** Each case in a fresh process, so one case's JIT feedback (Map iterator, array, generator) does not slow another. */
function forkCase(name: CaseName, argv: readonly string[]): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), [...argv, `--case=${name}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`case ${name}: over 120 s`))), 120_000);
    child.once('message', (m) => (clearTimeout(timer), resolve(m as CaseResult)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`case ${name}: exited ${code} without a result`))));
  });
}

const verdict = (d: Dist): string => `${d.p99 <= TARGET_P99_US ? 'OK' : 'MISS'} p99 ${fmt(d.p99, 2)} µs = ${fmt(d.p99 / TARGET_P99_US, 2)}× the 50 µs target`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const caseArg = argv.find((a) => a.startsWith('--case='));
  const o = parseOptions(argv.filter((a) => a !== caseArg));
  if (caseArg) {
    process.send?.(await runCase(caseArg.slice('--case='.length) as CaseName, o));
    return;
  }
  console.log(`routing decision bench ${new Date().toISOString()} on ${await machineLine()}`);
  console.log(`population (seed ${o.seed}): ${describePopulation(population(o.workers, o.seed))}`);
  console.log(`task: voice channel, attributes {skill, type}; queue TargetWorkers like ${targetWorkersOf(7)}; ${o.samples} timed decisions after ${o.warmup} warm-up, queues round-robin; each case in its own process\n`);
  const a = await forkCase('A', argv);
  console.log(`A. chooseWorker over all ${o.workers} workers:        ${showDist(a.d, 'µs', 2)}; offered ${a.offered}/${o.samples}; preempted ${a.preempted}×`);
  console.log(`   ${verdict(a.d)}`);
  const b = await forkCase('B', argv);
  console.log(`B. chooseWorker over one queue's ${fmt(b.extra, 0)} members: ${showDist(b.d, 'µs', 2)}; offered ${b.offered}/${o.samples}; preempted ${b.preempted}×`);
  console.log(`   ${verdict(b.d)}`);
  const c = await forkCase('C', argv);
  const shape = c.extra >= o.workers * 0.99 ? `every worker of the workspace (no per-queue index)` : `one queue's members (the per-queue index; ${fmt(b.extra, 0)} per queue here)`;
  console.log(`C. RoutingService pass, pending task → store.reserveMany: ${showDist(c.d, 'µs', 2)}; offered ${c.offered}/${o.samples}; preempted ${c.preempted}×`);
  console.log(`   ${verdict(c.d)}`);
  console.log(`   the service looked at ${fmt(c.extra, 0)} candidates per decision: ${shape}`);
  console.log(`\nrouting decision as the service makes it now: p99 ${fmt(c.d.p99, 2)} µs, ${fmt(c.d.p99 / TARGET_P99_US, 2)}× the target (${c.d.p99 <= TARGET_P99_US ? 'met' : 'MISSED'})`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('routing decision bench failed:', error);
  process.exit(1);
});
