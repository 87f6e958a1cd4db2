/**
 * Prometheus metrics of one Rollcall instance. Each instance owns its registry (tests run several
 * in one process; prom-client's global default registry is never used). Rollcall's own metrics
 * are `rollcall_*`; the default process and Node metrics (`process_*`, `nodejs_*`, event-loop
 * delay included) come from prom-client.
 *
 * Nothing here decides anything. Counts are read off what was committed: the presence machine's
 * outputs (disconnections, logouts), the bus (offers), the store's verbs (their time, and the
 * lateness of the deadlines `claimDueDeadlines` fired). Gauges are counted by the store when a
 * scrape asks, which is cheaper than keeping them right on every change. docs/operations.md
 * lists every metric.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityCause, DisconnectReason } from '../core/presence.js';
import type { LogoutSettings } from '../core/resources.js';
import type { Bus, Cancel, Clock, Log, PresenceCommit } from './ports.js';
import type { PresenceService } from './presence-service.js';
import type { RoutingObserver } from './routing-service.js';

/** What the store counts for the gauges, at scrape time. */
export interface PresenceGauges {
  /** Workers with at least one open connection. */
  readonly connectedWorkers: number;
  /** Open connections (agent sessions). */
  readonly sessions: number;
  /** Disconnected workers whose logout deadline is pending. */
  readonly workersInGrace: number;
  /** Of those, the ones whose logout an active outage hold postpones. */
  readonly heldWorkers: number;
}

export interface PresenceGaugeStore {
  presenceGauges(): Promise<PresenceGauges>;
}

export interface MetricsSources {
  readonly bus: Bus;
  readonly presence: PresenceService;
  readonly store: PresenceGaugeStore & { logoutSettings(workspaceSid: string): Promise<LogoutSettings> };
  readonly log: Log;
}

type StoreFamily = 'presence' | 'routing' | 'callbacks' | 'admin' | 'read';

const PRESENCE_VERBS = new Set(['openConnection', 'openConnections', 'endConnection', 'endConnections', 'setActivity', 'changeWorker', 'createWorker', 'deleteWorker',
  'claimDueDeadlines', 'updateLogoutSettings', 'registerNode', 'heartbeatNode', 'reapNodes', 'retireNode']);
const ROUTING_VERBS = new Set(['reserve', 'reserveMany', 'updateReservation', 'createTask', 'updateTask', 'deleteTask', 'claimRoutingDue', 'skipTarget', 'updateWorkerChannel']);
const CALLBACK_VERBS = new Set(['claimDueCallbacks', 'recordCallbackAttempt']);
const ADMIN_VERB = /^(create|update|delete|rename|revoke|set|ensure|redeem|end)[A-Z]/;

/** The label of a store method: a handful of families, so the series stay few whatever the store grows. */
export function storeFamily(verb: string): StoreFamily {
  if (PRESENCE_VERBS.has(verb)) return 'presence';
  if (ROUTING_VERBS.has(verb)) return 'routing';
  if (CALLBACK_VERBS.has(verb)) return 'callbacks';
  return ADMIN_VERB.test(verb) ? 'admin' : 'read';
}

const OFFER_OUTCOMES: ReadonlyMap<string, string> = new Map([
  ['reservation.accepted', 'accepted'], ['reservation.rejected', 'rejected'], ['reservation.timeout', 'timeout'],
  ['reservation.rescinded', 'rescinded'], ['reservation.canceled', 'canceled'],
]);

/** Sub-millisecond to a few seconds: store verbs and routing decisions. */
const FAST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
/** Timer lateness: a few ms is normal; seconds mean a blocked loop or a busy disk. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class RollcallMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly logouts = new Counter({ name: 'rollcall_logouts_total', help: 'Workers moved into their workspace\'s logout activity, by cause', labelNames: ['cause'], registers: [this.registry] });
  private readonly disconnections = new Counter({ name: 'rollcall_disconnections_total', help: 'Workers whose last connection ended, by reason', labelNames: ['reason'], registers: [this.registry] });
  private readonly offers = new Counter({ name: 'rollcall_routing_offers_total', help: 'Reservations created (tasks offered to a worker)', registers: [this.registry] });
  private readonly offerOutcomes = new Counter({ name: 'rollcall_routing_offer_outcomes_total', help: 'Offers that ended, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  private readonly passes = new Counter({ name: 'rollcall_routing_passes_total', help: 'Routing passes run (one walks a workspace\'s waiting tasks)', registers: [this.registry] });
  private readonly decisions = new Histogram({ name: 'rollcall_routing_decision_seconds', help: 'Time to place one waiting task: choose a worker and commit the reservation, or give up', labelNames: ['outcome'], buckets: FAST_BUCKETS, registers: [this.registry] });
  private readonly callbackFailures = new Counter({ name: 'rollcall_callback_failures_total', help: 'Failed callback deliveries (event and assignment callbacks), by kind and whether it will be retried', labelNames: ['kind', 'final'], registers: [this.registry] });
  private readonly lateness = new Histogram({ name: 'rollcall_deadline_lateness_seconds', help: 'Logout deadlines: fire time minus due time', buckets: LATENESS_BUCKETS, registers: [this.registry] });
  private readonly storeTime = new Histogram({ name: 'rollcall_store_transaction_seconds', help: 'Store verbs (one transaction each), call to settlement, by family', labelNames: ['family', 'outcome'], buckets: FAST_BUCKETS, registers: [this.registry] });
  private readonly outageTrips = new Counter({ name: 'rollcall_outage_holds_started_total', help: 'Times the mass-disconnect breaker tripped (outage holds started)', registers: [this.registry] });
  private gauges: PresenceGauges = { connectedWorkers: 0, sessions: 0, workersInGrace: 0, heldWorkers: 0 };
  private sources: MetricsSources | null = null;
  private unsubscribe: Cancel | null = null;
  private readonly logoutActivities = new Map<string, string>();
  private readonly lookups = new Set<Promise<void>>();
  private readonly settingsReads = new Map<string, Promise<void>>();

  /** Told by the routing service about each pass and each decision. */
  readonly routing: RoutingObserver = {
    passed: () => this.passes.inc(),
    decided: (durationMs, offered) => this.decisions.observe({ outcome: offered ? 'offered' : 'none' }, durationMs / 1000),
  };

  constructor(private readonly clock: Clock) {
    collectDefaultMetrics({ register: this.registry });
    const current = (): PresenceGauges => this.gauges;
    const gauge = (name: string, help: string, read: (g: PresenceGauges) => number): Gauge => new Gauge({
      name, help, registers: [this.registry],
      collect() {
        this.set(read(current()));
      },
    });
    gauge('rollcall_agents_connected', 'Workers with at least one open agent connection', (g) => g.connectedWorkers);
    gauge('rollcall_agent_sessions', 'Open agent connections (SDK sessions)', (g) => g.sessions);
    gauge('rollcall_workers_in_grace', 'Disconnected workers whose logout is pending (inside the offline threshold)', (g) => g.workersInGrace);
    gauge('rollcall_outage_held_workers', 'Disconnected workers whose logout an active outage hold (the mass-disconnect breaker) postpones', (g) => g.heldWorkers);
  }

  /**
   * The same store with every method timed (settlement of its promise; on SQLite, where the work
   * is synchronous, that is the transaction and one microtask). The store must be a plain object
   * whose methods are own properties, as the SQLite store is.
   */
  timeStore<T extends object>(store: T): T {
    const timed: Record<string, unknown> = {};
    for (const [verb, value] of Object.entries(store)) {
      if (typeof value !== 'function' || verb === 'close') {
        timed[verb] = value;
        continue;
      }
      const fn = value as (...args: unknown[]) => unknown;
      const ok = this.storeTime.labels(storeFamily(verb), 'ok');
      const failed = this.storeTime.labels(storeFamily(verb), 'error');
      const afterwards = verb === 'claimDueDeadlines' ? (commits: unknown) => this.deadlinesFired(commits as PresenceCommit[]) : null;
      timed[verb] = (...args: unknown[]) => {
        const startedAt = performance.now();
        const result = fn.apply(store, args);
        if (!(result instanceof Promise)) {
          ok.observe((performance.now() - startedAt) / 1000);
          return result;
        }
        return result.then((value: unknown) => {
          ok.observe((performance.now() - startedAt) / 1000);
          afterwards?.(value);
          return value;
        }, (error: unknown) => {
          failed.observe((performance.now() - startedAt) / 1000);
          throw error;
        });
      };
    }
    return timed as T;
  }

  /** Starts counting what the services commit. */
  follow(sources: MetricsSources): void {
    this.sources = sources;
    sources.presence.onCommitted((commits) => {
      if (this.sources === sources) this.presenceCommitted(commits);
    });
    this.unsubscribe = sources.bus.subscribe((message) => {
      if (message.remote) return;
      if (message.settings) this.logoutActivities.set(message.settings.workspaceSid, message.settings.logoutActivitySid);
      const type = message.event?.eventType;
      if (type === undefined) return;
      if (type === 'reservation.created') this.offers.inc();
      const outcome = OFFER_OUTCOMES.get(type);
      if (outcome) this.offerOutcomes.inc({ outcome });
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.sources = null;
  }

  callbackFailed(kind: string, final: boolean): void {
    this.callbackFailures.inc({ kind, final: String(final) });
  }

  /** The exposition text: gauges counted now, counts settled first. */
  async exposition(): Promise<string> {
    await Promise.all([...this.lookups]);
    if (this.sources) this.gauges = await this.sources.store.presenceGauges();
    return this.registry.metrics();
  }

  private presenceCommitted(commits: readonly PresenceCommit[]): void {
    for (const commit of commits) {
      for (const change of commit.outage ?? []) if (change.kind === 'started') this.outageTrips.inc();
      for (const out of commit.outputs) {
        if (out.type === 'disconnected') this.disconnections.inc({ reason: out.reason satisfies DisconnectReason });
        else if (out.type === 'activity-changed') this.activityChanged(commit.worker.workspaceSid, out.to.sid, out.cause);
      }
    }
  }

  /** A logout is a move into the workspace's logout activity, whoever made it. */
  private activityChanged(workspaceSid: string, toSid: string, cause: ActivityCause): void {
    const known = this.logoutActivities.get(workspaceSid);
    if (known !== undefined) {
      if (known === toSid) this.logouts.inc({ cause });
      return;
    }
    const sources = this.sources;
    if (!sources) return;
    // One read per workspace however many changes arrive before it answers (a mass logout's batch).
    let read = this.settingsReads.get(workspaceSid);
    if (!read) {
      read = sources.store.logoutSettings(workspaceSid).then((settings) => {
        if (!this.logoutActivities.has(workspaceSid)) this.logoutActivities.set(workspaceSid, settings.logoutActivitySid);
      });
      this.settingsReads.set(workspaceSid, read);
      // A failed read is reported by each change waiting on it (below); this chain only forgets it.
      void read.finally(() => this.settingsReads.delete(workspaceSid)).catch(() => undefined);
    }
    const lookup = read.then(() => {
      if (this.logoutActivities.get(workspaceSid) === toSid) this.logouts.inc({ cause });
    }, (error: unknown) => sources.log.warn({ err: error, workspaceSid }, 'metrics: could not read the logout activity; this change is not counted'));
    this.lookups.add(lookup);
    void lookup.finally(() => this.lookups.delete(lookup));
  }

  private deadlinesFired(commits: readonly PresenceCommit[]): void {
    const now = this.clock.now();
    for (const commit of commits) {
      for (const out of commit.outputs) {
        if (out.type === 'activity-changed' && out.evidence) this.lateness.observe(Math.max(0, now - out.evidence.dueAt) / 1000);
      }
    }
  }
}
