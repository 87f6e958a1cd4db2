/**
 * The routing choice: which worker, if any, a task is offered to. Pure; the service feeds it the
 * workers it keeps in memory, and the store re-checks the chosen worker under its row before the
 * reservation is written (so a logout and an offer never cross).
 *
 * A worker can take a task when its activity is available, the task's channel is available on it
 * with free capacity (reserved + assigned < capacity), it has not already turned this task down,
 * it is connected (unless the routing hold is off, rule 8: nothing in the grace period), and it
 * matches the queue's TargetWorkers and the target's expression. Among those, the longest idle
 * goes first, unless the target's `order_by` says otherwise.
 */
import { evaluate, type Expression } from './expressions.js';
import { DIRECT_QUEUE } from './routing-resources.js';
import { targetAt, type OrderKey, type RoutingPosition, type WorkflowConfig, type WorkflowTarget } from './workflow-config.js';

export type PresenceState = 'connected' | 'disconnected' | 'never-connected';

/**
 * How routing sees a worker's connections: the one rule for the store's rows (a connection count
 * and the stored disconnection) and for the state a presence commit leaves.
 */
export function routingPresence(connected: boolean, disconnection: unknown): PresenceState {
  return connected ? 'connected' : disconnection ? 'disconnected' : 'never-connected';
}

export interface ChannelLoad {
  readonly capacity: number;
  /** Pending reservations plus assigned tasks on this channel. */
  readonly busy: number;
  readonly available: boolean;
}

export interface CandidateWorker {
  readonly sid: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly activityAvailable: boolean;
  readonly presence: PresenceState;
  /** By TaskChannel SID. */
  readonly channels: ReadonlyMap<string, ChannelLoad>;
  /** Since when the worker has been idle: its last reservation, or when it became available. */
  readonly idleSince: number;
}

export interface RoutableTask {
  readonly sid: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly channelSid: string;
  /** Workers who rejected this task or let its offer time out: never offered it again. */
  readonly excludedWorkers: ReadonlySet<string>;
}

export interface RoutingStep {
  readonly queueSid: string;
  /** The queue's TargetWorkers. */
  readonly targetWorkers: Expression;
  /** The workflow target's expression, if any. */
  readonly expression: Expression | null;
  readonly orderBy: readonly OrderKey[];
}

export interface RoutingOptions {
  /**
   * Rule 8: offer work only to connected workers — nothing new in the grace period after a
   * disconnection, and nothing to a worker that has no agent connection at all. Off: any worker
   * in an available activity can be offered work (integrations that answer offers over REST).
   */
  readonly holdDisconnected: boolean;
}

/** The checks that need no expression: cheap, so they run first. */
export function canTake(worker: CandidateWorker, task: RoutableTask, options: RoutingOptions): boolean {
  if (!worker.activityAvailable) return false;
  // By default only connected workers get offers; with the hold off, anyone available does.
  if (options.holdDisconnected && worker.presence !== 'connected') return false;
  if (task.excludedWorkers.has(worker.sid)) return false;
  const channel = worker.channels.get(task.channelSid);
  return channel !== undefined && channel.available && channel.busy < channel.capacity;
}

/** Whether the worker matches the queue's TargetWorkers and the target's expression. */
export function matches(worker: CandidateWorker, task: RoutableTask, step: RoutingStep): boolean {
  const scope = { worker: worker.attributes, task: task.attributes, defaultScope: 'worker' as const };
  if (!evaluate(step.targetWorkers, scope)) return false;
  return step.expression === null || evaluate(step.expression, scope);
}

/**
 * The best worker for the task at this step, or null. Expressions are evaluated only for workers
 * that pass the cheap checks and would beat the best found so far.
 */
export function chooseWorker(
  candidates: Iterable<CandidateWorker>,
  task: RoutableTask,
  step: RoutingStep,
  options: RoutingOptions,
): CandidateWorker | null {
  let best: CandidateWorker | null = null;
  for (const worker of candidates) {
    if (!canTake(worker, task, options)) continue;
    if (best !== null && compareWorkers(worker, best, step.orderBy) >= 0) continue;
    if (matches(worker, task, step)) best = worker;
  }
  return best;
}

/**
 * The first worker that can take the task, for candidates already in `compareWorkers` order
 * (longest idle first) and a step without `order_by`: the same choice as `chooseWorker`, found
 * without looking past it.
 */
export function firstTaker(
  candidatesInOrder: Iterable<CandidateWorker>,
  task: RoutableTask,
  step: RoutingStep,
  options: RoutingOptions,
): CandidateWorker | null {
  if (step.orderBy.length > 0) throw new Error('firstTaker needs a step without order_by');
  for (const worker of candidatesInOrder) if (canTake(worker, task, options) && matches(worker, task, step)) return worker;
  return null;
}

/** Negative when `a` goes before `b`: by `order_by` keys, then longest idle, then SID. */
export function compareWorkers(a: CandidateWorker, b: CandidateWorker, orderBy: readonly OrderKey[]): number {
  for (const key of orderBy) {
    const c = compareValues(valueAt(a.attributes, key.path), valueAt(b.attributes, key.path));
    if (c !== 0) return key.descending ? -c : c;
  }
  if (a.idleSince !== b.idleSince) return a.idleSince - b.idleSince;
  return a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0;
}

function valueAt(attributes: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = attributes;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Numbers before strings before anything else (missing last), each in natural order. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 1) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  return 0;
}

/** The first filter whose expression matches the task's attributes, else the default filter. */
export function initialPosition(config: WorkflowConfig, taskAttributes: Readonly<Record<string, unknown>>): RoutingPosition | null {
  const index = config.filters.findIndex((f) => evaluate(f.expression, { task: taskAttributes, defaultScope: 'task' }));
  if (index >= 0) return { filterIndex: index, targetIndex: 0 };
  return config.defaultTarget ? { filterIndex: -1, targetIndex: 0 } : null;
}

/** Whether a target's `skip_if` (e.g. `workers.available == 0`) says to skip it now. */
export function shouldSkip(target: WorkflowTarget, availableWorkers: number): boolean {
  return target.skipIf !== null && evaluate(target.skipIf, { task: { workers: { available: availableWorkers } }, defaultScope: 'task' });
}

const MATCH_ALL: Expression = { kind: 'and', operands: [] };

export interface PlacedTask {
  readonly queueSid: string | null;
  readonly filterIndex: number;
  readonly targetIndex: number;
  readonly routingTarget: string | null;
}

/**
 * The step a waiting task is routed at, with its workflow target (null for a task placed in a
 * queue by `TaskQueueSid`). A workflow places a task at a target: the queue's TargetWorkers, the
 * target's expression and order. A task put in a queue directly has the queue's TargetWorkers
 * only. A task with a `RoutingTarget` names its worker, so no expression applies to it; that worker
 * still needs an available activity, free capacity and a connection (`canTake`).
 */
export function routingStep(task: PlacedTask, queueTargetWorkers: Expression, config: WorkflowConfig | null): { step: RoutingStep; target: WorkflowTarget | null } | null {
  if (task.queueSid === null) return null;
  const target = task.filterIndex === DIRECT_QUEUE || !config ? null : targetAt(config, { filterIndex: task.filterIndex, targetIndex: task.targetIndex });
  if (task.filterIndex !== DIRECT_QUEUE && !target) return null;
  if (task.routingTarget !== null) return { step: { queueSid: task.queueSid, targetWorkers: MATCH_ALL, expression: null, orderBy: [] }, target };
  return { step: { queueSid: task.queueSid, targetWorkers: queueTargetWorkers, expression: target?.expression ?? null, orderBy: target?.orderBy ?? [] }, target };
}
