/**
 * The routing loop: a pass over a workspace's waiting tasks, in order, that decides offers on the
 * in-memory view (routing-view.ts) with the pure `chooseWorker`/`firstTaker`, and has the store
 * write them in batches (`reserveMany`: one transaction per batch, each offer re-checked under
 * its worker's row). A mass logout returns hundreds of tasks at once; one transaction per batch
 * instead of one per offer is what lets them all be re-offered within half a second.
 *
 * Inside a batch, each choice is counted in the view at once (`RoutingViews.noteOffer`), so the
 * next decision of the batch does not pick a worker the batch already filled. The store is still
 * the judge: a refused offer (the view was stale) wrote nothing and spoils none of the others; its
 * worker is re-read and, for the rest of the pass, its task is decided among the other workers.
 */
import { parseJsonObject } from '../core/json-object.js';
import type { Expression } from '../core/expressions.js';
import { referencedScopes } from '../core/expressions.js';
import { canTake, chooseWorker, firstTaker, matches, routingStep, shouldSkip, type CandidateWorker, type RoutableTask } from '../core/routing.js';
import { offerTarget, type Task } from '../core/routing-resources.js';
import type { Clock, Log } from './ports.js';
import type { OfferInput, RoutingCommit, RoutingStore } from './routing-ports.js';
import type { RoutingViews, WorkspaceView } from './routing-view.js';

/** Told about routing work as it happens (metrics). */
export interface RoutingObserver {
  /** A pass ended. */
  passed(): void;
  /**
   * One waiting task was placed (`offered`: a reservation committed) or left waiting, in
   * `durationMs`: its decision plus its share of the batch's commit.
   */
  decided(durationMs: number, offered: boolean): void;
}

export interface RoutingLoopOptions {
  readonly store: Pick<RoutingStore, 'pendingTasks' | 'reserveMany' | 'skipTarget'>;
  readonly views: RoutingViews;
  readonly clock: Clock;
  readonly log: Log;
  /** Events and pushes of commits out, the views of the workers they touched re-read. */
  readonly publish: (commits: readonly RoutingCommit[]) => void;
  /** Tasks looked at per pass. */
  readonly passSize?: number;
  readonly observer?: RoutingObserver;
}

/** How long a pass may decide before it commits what it has and lets the event loop in. */
const DECIDE_SLICE_MS = 10;
/**
 * Offers per transaction. A SQLite offer costs ~0.2–0.4 ms of synchronous work, so 100 keep a
 * batch's commit well under the 100 ms the event loop may be held.
 */
const BATCH_MAX = 100;
/** Decisions per task and pass: the first choice, and two more after stale views. */
const ATTEMPTS = 3;

const NOBODY: ReadonlySet<string> = new Set();

/** A task to decide, with the workers this pass already found it could not go to. */
interface Attempt {
  readonly task: Task;
  readonly excluded: ReadonlySet<string>;
  readonly attempt: number;
}

interface Decided {
  readonly attempt: Attempt;
  readonly input: OfferInput;
  readonly decisionMs: number;
  /** Counted in the view already (RoutingViews.noteOffer). */
  noted: boolean;
}

/** Whether an expression reads the task's attributes (cached per parsed expression). */
const taskReaders = new WeakMap<Expression, boolean>();
function readsTask(expression: Expression): boolean {
  let reads = taskReaders.get(expression);
  if (reads === undefined) {
    reads = referencedScopes(expression, 'worker').has('task');
    taskReaders.set(expression, reads);
  }
  return reads;
}

const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

export class RoutingLoop {
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: RoutingLoopOptions) {}

  /** No pass starts any more; resolves once none can touch the store. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running]);
  }

  /** Schedules a pass over a workspace (coalesced: at most one queued at a time). */
  kick(workspaceSid: string): void {
    const view = this.options.views.get(workspaceSid);
    if (!view || this.stopped) return;
    if (view.passRunning) {
      view.passAgain = true;
      return;
    }
    if (view.passQueued) return;
    view.passQueued = true;
    setImmediate(() => {
      view.passQueued = false;
      if (this.stopped) return;
      const pass = this.pass(workspaceSid, view);
      this.running.add(pass);
      void pass.finally(() => this.running.delete(pass));
    });
  }

  /** Offers waiting tasks, in order, until nothing more can be offered. */
  private async pass(workspaceSid: string, view: WorkspaceView): Promise<void> {
    view.passRunning = true;
    try {
      do {
        view.passAgain = false;
        const pending = await this.options.store.pendingTasks(workspaceSid, this.options.passSize ?? 1000);
        // Workers other nodes changed are read only now that there is something to offer.
        if (pending.length > 0) await this.options.views.refreshStale(workspaceSid);
        const todo: Attempt[] = order(pending, view).map((task) => ({ task, excluded: NOBODY, attempt: 0 }));
        for (let next = 0; next < todo.length;) {
          if (this.stopped) return;
          const batch: Decided[] = [];
          const sliceStart = performance.now();
          while (next < todo.length && batch.length < BATCH_MAX && performance.now() - sliceStart < DECIDE_SLICE_MS) {
            // The offers chosen so far are counted before the next decision (a lone offer never needs it).
            this.note(view, batch.at(-1));
            const attempt = todo[next++] as Attempt;
            const startedAt = performance.now();
            const chosen = this.decide(view, attempt.task, attempt.excluded);
            if (chosen === 'skip') await this.skip(workspaceSid, view, attempt.task);
            const decisionMs = performance.now() - startedAt;
            if (chosen === null || chosen === 'skip') {
              this.options.observer?.decided(decisionMs, false);
              continue;
            }
            batch.push({ attempt, decisionMs, noted: false, input: { workspaceSid, taskSid: attempt.task.sid, workerSid: chosen.sid, holdDisconnected: view.holdDisconnected } });
          }
          if (batch.length > 0) todo.push(...(await this.commit(workspaceSid, view, batch)));
          if (this.stopped) return;
          // Let sockets, pongs and timers in between batches (the store's work is synchronous on SQLite).
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } while (view.passAgain);
    } catch (error) {
      this.options.log.error({ err: error, workspaceSid }, 'routing pass failed');
    } finally {
      view.passRunning = false;
      this.options.observer?.passed();
    }
  }

  /**
   * Writes a batch of offers in one transaction and publishes what committed. Returns the tasks to
   * decide again: those whose chosen worker turned out unable to take them (the view was stale).
   */
  private async commit(workspaceSid: string, view: WorkspaceView, batch: readonly Decided[]): Promise<Attempt[]> {
    const startedAt = performance.now();
    let results;
    try {
      results = await this.options.store.reserveMany(batch.map((d) => d.input));
    } catch (error) {
      // Nothing of the batch was written: the counts noted in the view must go.
      await this.options.views.refreshWorkers(workspaceSid, batch.map((d) => d.input.workerSid));
      throw error;
    }
    const shareMs = (performance.now() - startedAt) / batch.length;
    const committed: RoutingCommit[] = [];
    const stale: string[] = [];
    const again: Attempt[] = [];
    results.forEach((result, i) => {
      const { attempt, input, decisionMs } = batch[i] as Decided;
      if (result.ok) {
        committed.push(result.value.commit);
        // Counted until the re-read after the commit lands, so the pass's next batch sees it.
        this.note(view, batch[i]);
      } else {
        stale.push(input.workerSid);
        // The task is gone from the queue or promised elsewhere: no other worker can have it now.
        const reason = result.refusal.reason;
        const over = reason === 'task-not-waiting' || reason === 'task-for-another-worker' || attempt.attempt + 1 >= ATTEMPTS;
        if (!over) again.push({ task: attempt.task, excluded: new Set([...attempt.excluded, input.workerSid]), attempt: attempt.attempt + 1 });
      }
      this.options.observer?.decided(decisionMs + shareMs, result.ok);
    });
    if (committed.length > 0) this.options.publish(committed);
    // A refused offer wrote nothing: its worker's view (with the offer counted) is re-read now.
    if (stale.length > 0) await this.options.views.refreshWorkers(workspaceSid, stale);
    return again;
  }

  /** Counts a chosen offer in the view, once. */
  private note(view: WorkspaceView, decided: Decided | undefined): void {
    if (!decided || decided.noted) return;
    decided.noted = true;
    this.options.views.noteOffer(view, decided.input.workerSid, decided.attempt.task.taskChannelSid, this.options.clock.now());
  }

  /**
   * The worker a waiting task goes to now; null if none, `skip` if none and the target's `skip_if`
   * says to move the task on. Synchronous: a decision never waits for the store.
   */
  private decide(view: WorkspaceView, task: Task, excludedNow: ReadonlySet<string>): CandidateWorker | null | 'skip' {
    const queue = task.queueSid ? view.queues.get(task.queueSid) : undefined;
    if (!queue) return null;
    const named = offerTarget(task);
    const placed = routingStep({ queueSid: task.queueSid, filterIndex: task.filterIndex, targetIndex: task.targetIndex, routingTarget: named }, queue.targetWorkers, view.workflows.get(task.workflowSid) ?? null);
    if (!placed) return null;
    const { step, target } = placed;
    const only = named === null ? null : view.workers.get(named);
    if (only === undefined) return null;
    const members = only ? null : queue.members;
    // Task attributes are parsed only when an expression of this step reads them.
    const needsTask = readsTask(step.targetWorkers) || (step.expression !== null && readsTask(step.expression));
    const excluded = excludedNow.size === 0 ? (task.excludedWorkers.length === 0 ? NOBODY : new Set(task.excludedWorkers)) : new Set([...task.excludedWorkers, ...excludedNow]);
    const routable: RoutableTask = { sid: task.sid, attributes: needsTask ? parseJsonObject(task.attributes) ?? NO_ATTRIBUTES : NO_ATTRIBUTES, channelSid: task.taskChannelSid, excludedWorkers: excluded };
    const options = { holdDisconnected: view.holdDisconnected };
    const candidates = (): Iterable<CandidateWorker> => (only ? [only] : members?.values() ?? view.workers.values());
    const chosen = members && step.orderBy.length === 0 ? firstTaker(members.values(), routable, step, options) : chooseWorker(candidates(), routable, step, options);
    if (chosen || !target?.skipIf) return chosen;
    const available = [...candidates()].filter((w) => canTake(w, routable, options) && matches(w, routable, step)).length;
    return shouldSkip(target, available) ? 'skip' : null;
  }

  /** Moves a task on from a target whose `skip_if` held; the pass then runs again for it. */
  private async skip(workspaceSid: string, view: WorkspaceView, task: Task): Promise<void> {
    const moved = await this.options.store.skipTarget(workspaceSid, task.sid, { filterIndex: task.filterIndex, targetIndex: task.targetIndex });
    if (moved) {
      this.options.publish([moved]);
      view.passAgain = true;
    }
  }
}

/** Priority first, then the queue's order (FIFO or LIFO) by virtual start time. */
function order(tasks: Task[], view: WorkspaceView): Task[] {
  return tasks.sort((a, b) => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    const lifo = a.queueSid !== null && a.queueSid === b.queueSid && view.queues.get(a.queueSid)?.lifo === true;
    return lifo ? b.virtualStartAt - a.virtualStartAt : a.virtualStartAt - b.virtualStartAt;
  });
}
