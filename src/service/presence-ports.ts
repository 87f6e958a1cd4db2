/**
 * The presence and node capabilities of the system of record (see ports.ts for the guarantees every
 * capability shares: one transaction per method, the store's clock, refusals as values).
 */
import type { Result } from '../core/errors.js';
import type { LogoutSettingsPatch } from '../core/logout-settings.js';
import type { ActivityCause, DisconnectReason, PresenceOutput } from '../core/presence.js';
import type { BreakerSettings, OutageHoldRecord } from '../core/outage-breaker.js';
import type { LogoutSettings, Worker, WorkspaceEvent } from '../core/resources.js';
import type { PresenceState as RoutingPresence } from '../core/routing.js';
import type { RoutingCommit } from './routing-ports.js';

/** What a presence verb committed: the worker afterwards, the machine's outputs and the events. */
export interface PresenceCommit {
  readonly worker: Worker;
  readonly outputs: readonly PresenceOutput[];
  readonly events: readonly WorkspaceEvent[];
  /** Offers the change ended in the same transaction (a logout rescinds pending reservations). */
  readonly routing?: RoutingCommit;
  /** The mass-disconnect breaker's holds started or ended in the same transaction (its events included). */
  readonly outage?: readonly OutageHoldChange[];
  /**
   * How routing sees the worker's connections after the change, from the state the presence
   * machine left (absent where the machine did not run). With the worker above it lets the
   * routing view follow the change without reading the worker back.
   */
  readonly routingPresence?: RoutingPresence;
}

/** A hold of the mass-disconnect breaker started or ended, with the event recorded for it. */
export interface OutageHoldChange {
  readonly kind: 'started' | 'ended';
  readonly hold: OutageHoldRecord;
  readonly event: WorkspaceEvent;
}

export interface ConnectionOpening {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly connectionId: string;
  readonly nodeId: string;
  readonly exempt: boolean;
}

export interface ConnectionEnding {
  readonly connectionId: string;
  readonly reason: DisconnectReason;
  /** The connection's last sign of life, server clock. */
  readonly lastSeenAt: number;
}

export interface ActivityChangeRequest {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly activitySid: string;
  readonly cause: ActivityCause;
  /** Who asked: a worker, account or key SID. */
  readonly actor: string;
  readonly rejectPendingReservations: boolean;
  /** Refuse with `version-mismatch` unless the worker is at this version. */
  readonly ifMatchVersion?: number;
}

/**
 * Everything one request may change on a worker, applied as one transaction: all of it lands or
 * none of it does. Checked under the worker's row: version, name, activity and its rules.
 */
export interface WorkerChangeRequest {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly actor: string;
  readonly friendlyName?: string;
  /** Canonical JSON of an object (checked by core/attributes before it reaches the store). */
  readonly attributes?: string;
  readonly activity?: { readonly activitySid: string; readonly cause: ActivityCause; readonly rejectPendingReservations: boolean };
  /** Refuse with `version-mismatch` unless the worker is at this version before the change. */
  readonly ifMatchVersion?: number;
}

/**
 * Workers and what moves them: connections, activity changes, logout deadlines and the logout
 * settings that decide them. Each verb runs the presence machine under the worker's row.
 */
export interface PresenceStore {
  createWorker(input: { workspaceSid: string; friendlyName: string; attributes: string; activitySid?: string; actor: string }): Promise<Result<PresenceCommit>>;
  findWorker(workspaceSid: string, sid: string): Promise<Worker | null>;
  findWorkerByName(workspaceSid: string, friendlyName: string): Promise<Worker | null>;
  listWorkers(workspaceSid: string): Promise<Worker[]>;
  /** Name, attributes and activity in one transaction (see WorkerChangeRequest). */
  changeWorker(request: WorkerChangeRequest): Promise<Result<PresenceCommit>>;

  openConnection(opening: ConnectionOpening): Promise<Result<PresenceCommit>>;
  /**
   * Opens many connections in one transaction (a reconnect storm), with a result per opening in
   * the same order: an unknown worker refuses its own opening only; a node not registered or
   * retired fails them all (thrown), as it fails `openConnection`.
   */
  openConnections(openings: readonly ConnectionOpening[]): Promise<Result<PresenceCommit>[]>;
  /** Null when the connection is unknown (already ended, or reaped). */
  endConnection(ending: ConnectionEnding): Promise<PresenceCommit | null>;
  /** Ends many connections in one transaction (a mass disconnect); unknown ones are skipped. */
  endConnections(endings: readonly ConnectionEnding[]): Promise<PresenceCommit[]>;
  setActivity(request: ActivityChangeRequest): Promise<Result<PresenceCommit>>;
  /** Fires up to `limit` deadlines due at the store's now, oldest first, in one transaction. */
  claimDueDeadlines(limit: number): Promise<PresenceCommit[]>;
  /** The earliest pending due time, or null. */
  nextDueAt(): Promise<number | null>;
  logoutSettings(workspaceSid: string): Promise<LogoutSettings>;
  /**
   * Validates and stores new logout settings, then applies them to pending disconnections.
   * `actor` (a credential SID) is kept as who made the change.
   */
  updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string): Promise<Result<{ settings: LogoutSettings; commits: PresenceCommit[] }>>;
}

/**
 * The mass-disconnect breaker's holds (core/outage-breaker.ts). A hold starts or is joined inside
 * the transactions that end connections (PresenceStore, NodeStore); these read and expire them.
 */
export interface OutageHoldStore {
  /** A workspace's breaker settings and its active hold (null when none); null for an unknown workspace. */
  outageBreaker(workspaceSid: string): Promise<{ settings: BreakerSettings; hold: OutageHoldRecord | null } | null>;
  /** The earliest end of an active hold, or null. */
  nextOutageHoldEndAt(): Promise<number | null>;
  /** Ends up to `limit` holds whose time is over, in one transaction (their deadlines stay where the hold put them). */
  endExpiredOutageHolds(limit: number): Promise<OutageHoldChange[]>;
}

/** Server processes (one node each) and the connections they hold. */
export interface NodeStore {
  registerNode(nodeId: string): Promise<void>;
  /** The store's clock now (the database's on PostgreSQL): nodes measure due times against it. */
  storeNow(): Promise<number>;
  /** Renews the node's lease; false when the node is retired or was reaped (it must register again). */
  heartbeatNode(nodeId: string): Promise<boolean>;
  /**
   * Ends every connection held by nodes other than `liveNodeId` whose lease is over (on SQLite:
   * all other nodes, since one process owns the file), as lost at the node's last heartbeat.
   */
  reapNodes(liveNodeId: string, reason: DisconnectReason): Promise<PresenceCommit[]>;
  /** A clean stop: ends this node's connections as of now, with `reason`, and retires the node. */
  retireNode(nodeId: string, reason: DisconnectReason): Promise<PresenceCommit[]>;
}
