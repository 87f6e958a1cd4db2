/**
 * Presence use cases: connections opening and ending, activity and attribute changes, logout
 * settings, node lifecycle. Each call is one store verb (one transaction); only after it commits
 * does the service arm the scheduler, log, and publish the events (commit before broadcast).
 */
import type { Result } from '../core/errors.js';
import type { LogoutSettingsPatch } from '../core/logout-settings.js';
import type { DisconnectReason } from '../core/presence.js';
import type { LogoutSettings } from '../core/resources.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import { StoreHealth } from './store-health.js';
import type {
  ActivityChangeRequest, WorkerChangeRequest, Bus, Clock, ConnectionEnding, ConnectionOpening, Log, NodeStore, OutageHoldChange, OutageHoldStore, PresenceCommit, PresenceStore,
} from './ports.js';

export interface PresenceServiceOptions {
  readonly store: PresenceStore & NodeStore & OutageHoldStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Log;
  readonly nodeId: string;
  readonly deadlineBatchSize?: number;
  /** Shared with the agent channel: failures of presence writes, and whether to accept agents. */
  readonly health?: StoreHealth;
}

export class PresenceService {
  readonly scheduler: DeadlineScheduler<PresenceCommit>;
  /** Ends outage holds whose time is over (their held deadlines are the other scheduler's). */
  readonly holdEnds: DeadlineScheduler<OutageHoldChange>;
  readonly health: StoreHealth;
  private readonly store: PresenceStore & NodeStore & OutageHoldStore;
  private readonly bus: Bus;
  private readonly log: Log;
  private readonly listeners: ((commits: readonly PresenceCommit[]) => void)[] = [];
  /** This process's node row; a new one after the node finds it was reaped (rejoin). */
  private currentNodeId: string;

  constructor(private readonly options: PresenceServiceOptions) {
    this.store = options.store;
    this.bus = options.bus;
    this.log = options.log;
    this.currentNodeId = options.nodeId;
    this.health = options.health ?? new StoreHealth(options.clock, options.log);
    this.scheduler = new DeadlineScheduler({
      health: this.health,
      store: options.store,
      clock: options.clock,
      log: options.log,
      batchSize: options.deadlineBatchSize ?? 1000,
      onCommits: (commits) => this.afterCommit(commits),
    });
    this.holdEnds = new DeadlineScheduler({
      health: this.health,
      store: { nextDueAt: () => options.store.nextOutageHoldEndAt(), claimDueDeadlines: (limit) => options.store.endExpiredOutageHolds(limit) },
      clock: options.clock,
      log: options.log,
      batchSize: 50,
      onCommits: (changes) => this.outageChanged(changes),
    });
  }

  get nodeId(): string {
    return this.currentNodeId;
  }

  /**
   * Starts this node: registers it, turns the connections of earlier processes into
   * disconnections at their last heartbeat (rule 11), and arms the scheduler from the store.
   */
  async start(): Promise<void> {
    await this.store.registerNode(this.currentNodeId);
    const reaped = await this.store.reapNodes(this.currentNodeId, 'server-restart');
    if (reaped.length > 0) this.log.info({ connections: reaped.length }, 'connections of a previous process ended at its last heartbeat');
    this.afterCommit(reaped);
    await this.scheduler.start();
    await this.holdEnds.start();
  }

  /** A clean stop: this node's connections become disconnections as of now. */
  async stop(reason: DisconnectReason = 'server-restart'): Promise<void> {
    this.scheduler.stop();
    this.holdEnds.stop();
    const commits = await this.store.retireNode(this.currentNodeId, reason);
    this.afterCommit(commits);
  }

  /**
   * Records that this node is alive. A failure is reported to the store health (logged once per
   * streak) and not thrown: the next beat is the retry, and a crash counts from the last one stored.
   * Resolves whether the node is still live (false: another node reaped it), null when it failed.
   */
  async heartbeat(): Promise<boolean | null> {
    let live: boolean;
    try {
      live = await this.store.heartbeatNode(this.currentNodeId);
    } catch (error) {
      this.health.failed('node heartbeat', error);
      return null;
    }
    this.health.succeeded('node heartbeat');
    return live;
  }

  /**
   * This node was reaped (its connections already ended by another node): it registers again
   * under `nodeId`, so connections opened from now on belong to a live node.
   */
  async rejoin(nodeId: string): Promise<void> {
    await this.store.registerNode(nodeId);
    this.currentNodeId = nodeId;
  }

  /** Ends the connections of other nodes whose lease ran out, as lost at their last heartbeat. */
  async reapExpired(reason: DisconnectReason): Promise<number> {
    const reaped = await this.store.reapNodes(this.currentNodeId, reason);
    this.afterCommit(reaped);
    return reaped.length;
  }

  async connect(opening: Omit<ConnectionOpening, 'nodeId'>): Promise<Result<PresenceCommit>> {
    const result = await this.store.openConnection({ ...opening, nodeId: this.currentNodeId });
    if (result.ok) this.afterCommit([result.value]);
    return result;
  }

  /** Opens many connections of this node in one transaction; for bursts of openings (a reconnect storm). */
  async connectMany(openings: readonly Omit<ConnectionOpening, 'nodeId'>[]): Promise<Result<PresenceCommit>[]> {
    if (openings.length === 0) return [];
    const results = await this.store.openConnections(openings.map((o) => ({ ...o, nodeId: this.currentNodeId })));
    this.afterCommit(results.flatMap((r) => (r.ok ? [r.value] : [])));
    return results;
  }

  async disconnect(ending: ConnectionEnding): Promise<PresenceCommit | null> {
    const commit = await this.store.endConnection(ending);
    if (commit) this.afterCommit([commit]);
    return commit;
  }

  /** Ends many connections in one transaction; for bursts of closes. */
  async disconnectMany(endings: readonly ConnectionEnding[]): Promise<PresenceCommit[]> {
    if (endings.length === 0) return [];
    const commits = await this.store.endConnections(endings);
    this.afterCommit(commits);
    return commits;
  }

  async setActivity(request: ActivityChangeRequest): Promise<Result<PresenceCommit>> {
    const result = await this.store.setActivity(request);
    if (result.ok) this.afterCommit([result.value]);
    return result;
  }

  /** Name, attributes and activity of one request, in one transaction (see WorkerChangeRequest). */
  async changeWorker(request: WorkerChangeRequest): Promise<Result<PresenceCommit>> {
    const result = await this.store.changeWorker(request);
    if (result.ok) this.afterCommit([result.value]);
    return result;
  }

  async createWorker(input: Parameters<PresenceStore['createWorker']>[0]): Promise<Result<PresenceCommit>> {
    const result = await this.store.createWorker(input);
    if (result.ok) this.afterCommit([result.value]);
    return result;
  }

  async updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string): Promise<Result<LogoutSettings>> {
    const result = await this.store.updateLogoutSettings(workspaceSid, patch, actor);
    if (!result.ok) return result;
    const s = result.value.settings;
    this.log.info({ workspaceSid, enabled: s.enabled, thresholdMs: s.thresholdMs, logoutActivitySid: s.logoutActivitySid, actor, pendingAffected: result.value.commits.length }, 'logout settings changed');
    this.afterCommit(result.value.commits);
    this.bus.publish({ settings: s });
    // Turning the feature off or shortening the threshold can remove or move the earliest deadline.
    await this.scheduler.refresh();
    return { ok: true, value: s };
  }

  /** Tells `listener` about every committed presence change, after it is published. */
  onCommitted(listener: (commits: readonly PresenceCommit[]) => void): void {
    this.listeners.push(listener);
  }

  /** Publishes presence changes another service committed (a routing verb moving a worker). */
  publishCommitted(commits: readonly PresenceCommit[]): void {
    this.afterCommit(commits);
  }

  /** Side effects of committed changes: schedule, log, publish, then tell listeners. */
  private afterCommit(commits: readonly PresenceCommit[]): void {
    for (const commit of commits) {
      for (const out of commit.outputs) {
        if (out.type === 'deadline-set') this.scheduler.consider(out.deadline.dueAt);
        else if (out.type === 'activity-changed') {
          this.log.info({
            workerSid: commit.worker.sid, from: out.from.sid, to: out.to.sid, activityName: commit.worker.activityName,
            cause: out.cause, actor: out.actor, effectiveAt: out.effectiveAt, evidence: out.evidence,
          }, 'activity changed');
        } else if (out.type === 'disconnected') {
          this.log.debug({ workerSid: commit.worker.sid, reason: out.reason, lastSeenAt: out.lastSeenAt }, 'worker disconnected');
        }
      }
      for (const event of commit.events) this.bus.publish({ event, worker: commit.worker });
      if (commit.outage) this.outageChanged(commit.outage);
    }
    if (commits.length > 0) for (const listener of this.listeners) listener(commits);
  }

  /** The breaker's alert: a warn line with the counts, the event published, the hold's end armed. */
  private outageChanged(changes: readonly OutageHoldChange[]): void {
    for (const { kind, hold, event } of changes) {
      const counts = {
        workspaceSid: hold.workspaceSid, outageHoldSid: hold.sid, disconnections: hold.disconnections, connectedWorkers: hold.connectedWorkers,
        heldWorkers: hold.heldWorkers, trippedAt: hold.trippedAt, untilAt: hold.untilAt,
      };
      if (kind === 'started') {
        this.log.warn(counts, 'mass disconnect: outage hold started, logouts postponed');
        this.holdEnds.consider(hold.untilAt);
      } else {
        this.log.warn({ ...counts, endReason: hold.endReason, endedBy: hold.endedBy }, 'outage hold ended');
      }
      this.bus.publish({ event });
    }
  }
}
