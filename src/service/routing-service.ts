/**
 * Routing use cases and the routing loop, over an in-memory view of each workspace (routing-view.ts:
 * its workers as routing sees them, its parsed queues and workflows). A pass takes the waiting tasks in order, chooses a
 * worker with the pure `chooseWorker`, and asks the store to `reserve`, which re-checks the choice
 * under the worker's row. Reservation timeouts, target timeouts and task expiry are due work on a
 * DeadlineScheduler, like logouts.
 */
import { parseJsonObject } from '../core/json-object.js';
import type { Result } from '../core/errors.js';
import { chooseWorker, firstTaker, shouldSkip, canTake, matches, routingStep, type CandidateWorker } from '../core/routing.js';
import { offerTarget, type Reservation, type Task, type TaskChannel } from '../core/routing-resources.js';
import type { Transfer } from '../core/transfers.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import type { Bus, Clock, Log, PresenceCommit } from './ports.js';
import type { PresenceService } from './presence-service.js';
import type { ReservationUpdate, RoutingCommit, RoutingStore, TaskInput, TaskUpdate, TransferCancel, TransferInput } from './routing-ports.js';
import { catalogChanged, followOtherNodesCatalog } from './routing-catalog-sync.js';
import { RoutingViews, type WorkspaceView } from './routing-view.js';

export interface RoutingServiceOptions {
  readonly store: RoutingStore;
  readonly presence: PresenceService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Log;
  /** Tasks looked at per pass. */
  readonly passSize?: number;
  /** Several nodes: how often the catalogue is re-read whatever the bus brought (routing-catalog-sync.ts). Absent on one node. */
  readonly catalogPollMs?: number;
  readonly observer?: RoutingObserver;
}

/** Told about routing work as it happens (metrics). */
export interface RoutingObserver {
  /** A pass ended. */
  passed(): void;
  /** One waiting task was placed (`offered`: a reservation committed) or left waiting, in `durationMs`. */
  decided(durationMs: number, offered: boolean): void;
}

/** How long a routing pass may hold the event loop before it yields. */
const PASS_SLICE_MS = 10;

export class RoutingService {
  readonly scheduler: DeadlineScheduler<RoutingCommit>;
  private readonly views: RoutingViews;
  private readonly store: RoutingStore;
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: RoutingServiceOptions) {
    this.store = options.store;
    this.views = new RoutingViews(options.store, (workspaceSid) => this.kick(workspaceSid));
    this.scheduler = new DeadlineScheduler<RoutingCommit>({
      store: { nextDueAt: () => this.store.nextRoutingDueAt(), claimDueDeadlines: (limit) => this.store.claimRoutingDue(limit) },
      clock: options.clock,
      log: options.log,
      onCommits: (commits) => {
        for (const c of commits) this.publish(c);
      },
    });
  }

  async start(): Promise<void> {
    for (const { workspaceSid } of await this.store.routingWorkspaces()) await this.views.add(workspaceSid);
    this.options.presence.onCommitted((commits) => this.presenceCommitted(commits));
    // Deletions are not presence changes; the view hears of them on the bus.
    this.unsubscribe.push(followOtherNodesCatalog({
      bus: this.options.bus, views: this.views, log: this.options.log, changed: (sid) => this.kick(sid), pollMs: this.options.catalogPollMs,
    }));
    this.unsubscribe.push(this.options.bus.subscribe((message) => {
      const e = message.event;
      if (!e) return;
      // Another node's worker changes (pg-bus.ts) reach the view here; this node's through onCommitted.
      const workerChanged = e.eventType === 'worker.deleted' || (message.remote === true && e.eventType.startsWith('worker.'));
      if (workerChanged) void this.views.refreshWorker(e.workspaceSid, e.resourceSid).then(() => this.kick(e.workspaceSid)).catch((error: unknown) => this.options.log.error({ err: error }, 'routing could not re-read a changed worker'));
      // Another node's task or offer changed: a pass here may now have something to offer.
      else if (message.remote === true && (e.eventType.startsWith('task.') || e.eventType.startsWith('reservation.'))) this.kick(e.workspaceSid);
    }));
    await this.scheduler.start();
  }

  /** Stops timers and passes; resolves once no pass can touch the store any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.views.stop();
    this.scheduler.stop();
    for (const cancel of this.unsubscribe.splice(0)) cancel();
    await Promise.all([...this.running]);
  }

  /** Starts routing a workspace once it was created (other nodes too). */
  async addWorkspace(workspaceSid: string): Promise<void> {
    catalogChanged(this.options.bus, workspaceSid, 'workspace');
    await this.views.add(workspaceSid);
  }

  /** Forgets a deleted workspace (other nodes too); a pass already running for it finds nothing left to offer. */
  removeWorkspace(workspaceSid: string): void {
    catalogChanged(this.options.bus, workspaceSid, 'workspace');
    this.views.remove(workspaceSid);
  }

  /** Re-reads queues and workflows after a committed change to them, here and on the other nodes. */
  async reloadCatalog(workspaceSid: string): Promise<void> {
    catalogChanged(this.options.bus, workspaceSid, 'routing');
    await this.views.reloadCatalog(workspaceSid);
  }

  /** The routing hold was committed (with the workspace update that asked for it): route by it now, here and on the other nodes. */
  async followRoutingHold(workspaceSid: string, on: boolean): Promise<void> {
    catalogChanged(this.options.bus, workspaceSid, 'workspace');
    await this.views.setHold(workspaceSid, on);
  }

  isHoldingDisconnected(workspaceSid: string): boolean {
    return this.views.isHoldingDisconnected(workspaceSid);
  }

  async createTask(workspaceSid: string, input: TaskInput, actor: string): Promise<Result<Task>> {
    const result = await this.store.createTask(workspaceSid, input, actor);
    if (!result.ok) return result;
    this.publish(result.value.commit);
    this.kick(workspaceSid);
    await this.scheduler.refresh();
    return { ok: true, value: result.value.task };
  }

  async updateTask(workspaceSid: string, sid: string, update: TaskUpdate): Promise<Result<Task>> {
    const result = await this.store.updateTask(workspaceSid, sid, update);
    return result.ok ? this.landed(workspaceSid, result.value.commit, result.value.task) : result;
  }

  async deleteTask(workspaceSid: string, sid: string, ifMatchVersion?: number): Promise<Result<null>> {
    const result = await this.store.deleteTask(workspaceSid, sid, ifMatchVersion);
    return result.ok ? this.landed(workspaceSid, result.value, null) : result;
  }

  async updateReservation(update: ReservationUpdate): Promise<Result<Reservation>> {
    const result = await this.store.updateReservation(update);
    return result.ok ? this.landed(update.workspaceSid, result.value.commit, result.value.reservation) : result;
  }

  /** Places a transfer; the routing pass that follows offers the task to its target. */
  async createTransfer(input: TransferInput): Promise<Result<Transfer>> {
    const result = await this.store.createTransfer(input);
    if (!result.ok) return result;
    this.publish(result.value.commit);
    this.kick(input.workspaceSid);
    // The transfer may have set a timeout; a scheduler stopped meanwhile stays stopped.
    await this.scheduler.refresh();
    return { ok: true, value: result.value.transfer };
  }

  async cancelTransfer(input: TransferCancel): Promise<Result<Transfer>> {
    const result = await this.store.cancelTransfer(input);
    return result.ok ? this.landed(input.workspaceSid, result.value.commit, result.value.transfer) : result;
  }

  async updateWorkerChannel(workspaceSid: string, workerSid: string, channel: string, input: { capacity?: number; available?: boolean }) {
    const result = await this.store.updateWorkerChannel(workspaceSid, workerSid, channel, input);
    return result.ok ? this.landed(workspaceSid, result.value.commit, result.value.channel) : result;
  }

  /** Adds a TaskChannel; every worker gets a WorkerChannel for it, so the whole view is re-read. */
  async createTaskChannel(workspaceSid: string, input: { uniqueName: string; friendlyName: string }): Promise<Result<TaskChannel>> {
    const result = await this.store.createTaskChannel(workspaceSid, input);
    if (!result.ok) return result;
    catalogChanged(this.options.bus, workspaceSid, 'channels');
    await this.views.reloadWorkers(workspaceSid);
    return result;
  }

  async deleteTaskChannel(workspaceSid: string, sidOrName: string): Promise<Result<null>> {
    const result = await this.store.deleteTaskChannel(workspaceSid, sidOrName);
    if (!result.ok) return result;
    catalogChanged(this.options.bus, workspaceSid, 'channels');
    await this.views.reloadWorkers(workspaceSid);
    return result;
  }

  /** After a verb committed: its events and pushes out, then a pass over the workspace. */
  private landed<T>(workspaceSid: string, commit: RoutingCommit, value: T): Result<T> {
    this.publish(commit);
    this.kick(workspaceSid);
    return { ok: true, value };
  }

  /** Schedules a routing pass for a workspace (coalesced: at most one queued at a time). */
  kick(workspaceSid: string): void {
    const view = this.views.get(workspaceSid);
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
        const tasks = this.order(await this.store.pendingTasks(workspaceSid, this.options.passSize ?? 1000), view);
        let sliceStart = this.options.clock.now();
        for (const task of tasks) {
          if (this.stopped) return;
          const startedAt = performance.now();
          const offered = await this.offer(workspaceSid, view, task);
          this.options.observer?.decided(performance.now() - startedAt, offered);
          // Store calls are synchronous underneath: let sockets, pongs and timers in every ~10 ms.
          if (this.options.clock.now() - sliceStart >= PASS_SLICE_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = this.options.clock.now();
          }
        }
      } while (view.passAgain);
    } catch (error) {
      this.options.log.error({ err: error, workspaceSid }, 'routing pass failed');
    } finally {
      view.passRunning = false;
      this.options.observer?.passed();
    }
  }

  private order(tasks: Task[], view: WorkspaceView): Task[] {
    return [...tasks].sort((a, b) => {
      if (a.priority !== b.priority) return b.priority - a.priority;
      const lifo = a.queueSid !== null && a.queueSid === b.queueSid && view.queues.get(a.queueSid)?.lifo === true;
      return lifo ? b.virtualStartAt - a.virtualStartAt : a.virtualStartAt - b.virtualStartAt;
    });
  }

  private async offer(workspaceSid: string, view: WorkspaceView, task: Task): Promise<boolean> {
    const queue = task.queueSid ? view.queues.get(task.queueSid) : undefined;
    const named = offerTarget(task);
    const placed = queue ? routingStep({ ...task, routingTarget: named }, queue.targetWorkers, view.workflows.get(task.workflowSid) ?? null) : null;
    if (!queue || !placed) return false;
    const { step, target } = placed;
    const only = named === null ? null : view.workers.get(named);
    if (only === undefined) return false;
    const members = only ? null : queue.members;
    const candidates = (): Iterable<CandidateWorker> => (only ? [only] : members?.values() ?? view.workers.values());
    const excluded = new Set(task.excludedWorkers);
    const routable = { sid: task.sid, attributes: parseJsonObject(task.attributes) ?? {}, channelSid: task.taskChannelSid, excludedWorkers: excluded };
    const options = { holdDisconnected: view.holdDisconnected };
    for (let attempt = 0; attempt < 3; attempt++) {
      const chosen = members && step.orderBy.length === 0 ? firstTaker(members.values(), routable, step, options) : chooseWorker(candidates(), routable, step, options);
      if (!chosen) {
        if (target?.skipIf) {
          const available = [...candidates()].filter((w) => canTake(w, routable, options) && matches(w, routable, step)).length;
          if (shouldSkip(target, available)) {
            const moved = await this.store.skipTarget(workspaceSid, task.sid, { filterIndex: task.filterIndex, targetIndex: task.targetIndex });
            if (moved) {
              this.publish(moved);
              view.passAgain = true;
            }
          }
        }
        return false;
      }
      const result = await this.store.reserve({ workspaceSid, taskSid: task.sid, workerSid: chosen.sid, holdDisconnected: view.holdDisconnected });
      if (result.ok) {
        this.publish(result.value.commit);
        return true;
      }
      // The task is gone from the queue or promised elsewhere: no other worker can have it now.
      const reason = result.refusal.reason;
      if (reason === 'task-not-waiting' || reason === 'task-for-another-worker') return false;
      // The snapshot was stale, or the worker already holds this task: refresh it, and for the
      // rest of this pass choose among the others.
      await this.views.refreshWorker(workspaceSid, chosen.sid);
      excluded.add(chosen.sid);
    }
    return false;
  }

  /**
   * A batch of presence changes (a mass disconnect or logout comes 100–250 at a time): the workers
   * are re-read together, one store call per workspace, and each workspace gets one pass.
   */
  private presenceCommitted(commits: readonly PresenceCommit[]): void {
    const byWorkspace = new Map<string, PresenceCommit[]>();
    for (const commit of commits) {
      const list = byWorkspace.get(commit.worker.workspaceSid) ?? [];
      list.push(commit);
      byWorkspace.set(commit.worker.workspaceSid, list);
    }
    void (async () => {
      for (const [workspaceSid, list] of byWorkspace) await this.views.followPresence(workspaceSid, list);
      for (const commit of commits) if (commit.routing) this.publish(commit.routing);
      for (const workspaceSid of byWorkspace.keys()) this.kick(workspaceSid);
    })().catch((error: unknown) => this.options.log.error({ err: error }, 'routing could not follow a presence change'));
  }

  /** After a routing commit: events and pushes out, activity changes through presence, views fresh. */
  private publish(commit: RoutingCommit): void {
    for (const event of commit.events) this.options.bus.publish({ event });
    for (const push of commit.pushes) this.options.bus.publish({ push });
    if (commit.presence.length > 0) this.options.presence.publishCommitted(commit.presence);
    const workspaces = new Set<string>();
    for (const e of commit.events) workspaces.add(e.workspaceSid);
    void (async () => {
      const byWorkspace = new Map<string, string[]>();
      for (const workerSid of commit.touchedWorkers) for (const ws of this.views.holding(workerSid)) byWorkspace.set(ws, [...(byWorkspace.get(ws) ?? []), workerSid]);
      for (const [ws, workerSids] of byWorkspace) await this.views.refreshWorkers(ws, workerSids);
      for (const ws of workspaces) this.kick(ws);
    })().catch((error: unknown) => this.options.log.error({ err: error }, 'refreshing the routing view failed'));
    for (const push of commit.pushes) {
      if ('reservation' in push && push.reservation?.status === 'pending' && push.reservation.timeoutAt !== null) this.scheduler.consider(push.reservation.timeoutAt);
    }
  }
}

