/**
 * Routing use cases, over an in-memory view of each workspace (routing-view.ts: its workers as
 * routing sees them, its parsed queues and workflows). After each commit its events and pushes go
 * out, the workers it touched are re-read, and the workspace gets a pass of the routing loop
 * (routing-loop.ts), which offers waiting tasks. Reservation timeouts, target timeouts and task
 * expiry are due work on a DeadlineScheduler, like logouts.
 */
import type { Result } from '../core/errors.js';
import type { Reservation, Task, TaskChannel } from '../core/routing-resources.js';
import type { Transfer } from '../core/transfers.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import type { Bus, Clock, Log, PresenceCommit } from './ports.js';
import type { PresenceService } from './presence-service.js';
import type { ReservationUpdate, RoutingCommit, RoutingStore, TaskInput, TaskUpdate, TransferCancel, TransferInput } from './routing-ports.js';
import { catalogChanged, followOtherNodesCatalog } from './routing-catalog-sync.js';
import { RoutingLoop, type RoutingObserver } from './routing-loop.js';
import { RoutingViews } from './routing-view.js';

export type { RoutingObserver } from './routing-loop.js';

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

export class RoutingService {
  readonly scheduler: DeadlineScheduler<RoutingCommit>;
  private readonly views: RoutingViews;
  private readonly loop: RoutingLoop;
  private readonly store: RoutingStore;
  private readonly unsubscribe: (() => void)[] = [];
  /** Workers changed elsewhere, by workspace, waiting for this turn's re-read (`rereadSoon`). */
  private readonly rereads = new Map<string, Set<string>>();

  constructor(private readonly options: RoutingServiceOptions) {
    this.store = options.store;
    this.views = new RoutingViews(options.store, (workspaceSid) => this.kick(workspaceSid));
    this.loop = new RoutingLoop({
      store: options.store, views: this.views, clock: options.clock, log: options.log, passSize: options.passSize, observer: options.observer,
      publish: (commits) => this.publish(commits),
    });
    this.scheduler = new DeadlineScheduler<RoutingCommit>({
      store: { nextDueAt: () => this.store.nextRoutingDueAt(), claimDueDeadlines: (limit) => this.store.claimRoutingDue(limit) },
      clock: options.clock,
      log: options.log,
      onCommits: (commits) => {
        this.publish(commits);
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
      // A deletion leaves the view at once. Another node's worker changes (pg-bus.ts) reach the view
      // here, this node's through onCommitted: the worker is read before the next decisions.
      if (e.eventType === 'worker.deleted') this.rereadSoon(e.workspaceSid, e.resourceSid);
      else if (message.remote === true && e.eventType.startsWith('worker.')) {
        this.views.markStale(e.workspaceSid, e.resourceSid);
        this.kick(e.workspaceSid);
      }
      // Another node's task or offer changed: a pass here may now have something to offer.
      else if (message.remote === true && (e.eventType.startsWith('task.') || e.eventType.startsWith('reservation.'))) this.kick(e.workspaceSid);
    }));
    await this.scheduler.start();
  }

  /** Stops timers and passes; resolves once no pass can touch the store any more. */
  async stop(): Promise<void> {
    this.views.stop();
    this.scheduler.stop();
    for (const cancel of this.unsubscribe.splice(0)) cancel();
    await this.loop.stop();
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
    this.publish([result.value.commit]);
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
    this.publish([result.value.commit]);
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
    this.publish([commit]);
    this.kick(workspaceSid);
    return { ok: true, value };
  }

  /**
   * Re-reads a deleted worker, together with the others heard of in the same turn: one store call
   * per workspace, not one per event. The read, not the message, says how the worker is now, so
   * notifications arriving out of commit order do no harm (so do the stale marks other nodes'
   * changes leave, read before the next decisions: `RoutingViews.markStale`).
   */
  private rereadSoon(workspaceSid: string, workerSid: string): void {
    const first = this.rereads.size === 0;
    const sids = this.rereads.get(workspaceSid) ?? new Set<string>();
    sids.add(workerSid);
    this.rereads.set(workspaceSid, sids);
    if (!first) return;
    setImmediate(() => {
      const due = [...this.rereads];
      this.rereads.clear();
      for (const [sid, workers] of due) {
        void this.views.refreshWorkers(sid, [...workers]).then(() => this.kick(sid))
          .catch((error: unknown) => this.options.log.error({ err: error, workers: workers.size }, 'routing could not re-read changed workers'));
      }
    });
  }

  /** Schedules a routing pass for a workspace (coalesced: at most one queued at a time). */
  kick(workspaceSid: string): void {
    this.loop.kick(workspaceSid);
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
      const routing = commits.flatMap((commit) => (commit.routing ? [commit.routing] : []));
      if (routing.length > 0) this.publish(routing);
      for (const workspaceSid of byWorkspace.keys()) this.kick(workspaceSid);
    })().catch((error: unknown) => this.options.log.error({ err: error }, 'routing could not follow a presence change'));
  }

  /**
   * After routing commits: events and pushes out, activity changes through presence, then the
   * workers they touched re-read (one store call per workspace for the lot) and a pass kicked.
   */
  private publish(commits: readonly RoutingCommit[]): void {
    const workspaces = new Set<string>();
    const touched = new Set<string>();
    for (const commit of commits) {
      for (const event of commit.events) {
        this.options.bus.publish({ event });
        workspaces.add(event.workspaceSid);
      }
      for (const push of commit.pushes) this.options.bus.publish({ push });
      if (commit.presence.length > 0) this.options.presence.publishCommitted(commit.presence);
      for (const workerSid of commit.touchedWorkers) touched.add(workerSid);
      for (const push of commit.pushes) {
        if ('reservation' in push && push.reservation?.status === 'pending' && push.reservation.timeoutAt !== null) this.scheduler.consider(push.reservation.timeoutAt);
      }
    }
    void (async () => {
      const byWorkspace = new Map<string, string[]>();
      for (const workerSid of touched) for (const ws of this.views.holding(workerSid)) byWorkspace.set(ws, [...(byWorkspace.get(ws) ?? []), workerSid]);
      for (const [ws, workerSids] of byWorkspace) await this.views.refreshWorkers(ws, workerSids);
      for (const ws of workspaces) this.kick(ws);
    })().catch((error: unknown) => this.options.log.error({ err: error }, 'refreshing the routing view failed'));
  }
}
