/**
 * The ports the service layer owns. Adapters (store/sqlite, bus/local, the system clock) implement
 * them; only src/main.ts chooses which.
 */
import type { Result } from '../core/errors.js';
import type { AgentPush, RoutingCommit } from './routing-ports.js';
import type { LogoutSettingsPatch } from '../core/logout-settings.js';
import type { WorkspacePatch } from '../core/workspace-settings.js';
import type { BreakerPatch, BreakerSettings, OutageHoldRecord } from '../core/outage-breaker.js';
import type { ActivityCause, DisconnectReason, PresenceOutput } from '../core/presence.js';
import type {
  Account,
  Activity,
  ActivityLogEntry,
  ApiKey,
  DisconnectEpisode,
  LogoutSettings,
  Worker,
  Workspace,
  WorkspaceEvent,
} from '../core/resources.js';

export type Cancel = () => void;

/**
 * Time. `now()` is epoch milliseconds and never goes backwards in tests (ManualClock); `at()`
 * calls `fn` once at or after `dueAt` unless cancelled first.
 */
export interface Clock {
  now(): number;
  at(dueAt: number, fn: () => void): Cancel;
}

/** The logger shape the service uses (pino's); bindings name the node, worker and connection. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

/**
 * Fan-out of committed events to whatever holds the sockets. Publishing happens only after the
 * store committed the change; a subscriber never sees an event the store could still lose.
 */
export interface Bus {
  publish(message: BusMessage): void;
  subscribe(listener: (message: BusMessage) => void): Cancel;
}

export interface BusMessage {
  /** The committed event; absent for pushes that are not workspace events of their own. */
  readonly event?: WorkspaceEvent;
  /** A message for one worker's agent sessions (reservations, tasks, channels). */
  readonly push?: AgentPush;
  /** The worker after the change, for pushes to its sessions (absent for non-worker events). */
  readonly worker?: Worker;
  /** A workspace's logout settings after a change to them (Flex Configuration or the console). */
  readonly settings?: LogoutSettings;
}

/** What a presence verb committed: the worker afterwards, the machine's outputs and the events. */
export interface PresenceCommit {
  readonly worker: Worker;
  readonly outputs: readonly PresenceOutput[];
  readonly events: readonly WorkspaceEvent[];
  /** Offers the change ended in the same transaction (a logout rescinds pending reservations). */
  readonly routing?: RoutingCommit;
  /** The mass-disconnect breaker's holds started or ended in the same transaction (its events included). */
  readonly outage?: readonly OutageHoldChange[];
}

/** A hold of the mass-disconnect breaker started or ended, with the event recorded for it. */
export interface OutageHoldChange {
  readonly kind: 'started' | 'ended';
  readonly hold: OutageHoldRecord;
  readonly event: WorkspaceEvent;
}

/** Rollcall's own Workspace settings, changed with the workspace in one transaction. */
export interface WorkspaceExtensions {
  /** The routing hold (rule 8). */
  readonly routingHold?: boolean;
  /** The mass-disconnect breaker's settings; turning it off ends an active hold. */
  readonly breaker?: BreakerPatch;
  /** End the active outage hold now (refused with `conflict` when none is active). */
  readonly endOutageHold?: boolean;
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

export interface WorkspaceSeed {
  readonly accountSid: string;
  readonly friendlyName: string;
  /** Activities to create; the first unavailable one named `logoutActivityName` is the logout activity. */
  readonly activities: readonly { readonly friendlyName: string; readonly available: boolean }[];
  readonly logoutActivityName: string;
  readonly thresholdMs: number;
  readonly eventCallbackUrl?: string | null;
  readonly eventsFilter?: string | null;
  /** Absent: single-task (the first-run workspace). */
  readonly multiTaskEnabled?: boolean;
  /** `FIFO`: also Twilio's template queue ("Sample Queue", every worker) and a workflow into it. */
  readonly template?: 'FIFO';
}

/**
 * The system of record. Every method is one atomic unit in its engine (one transaction): it
 * either commits entirely or changes nothing. Time comes from the store's clock (rule 12), never
 * from the caller. No connection, statement or transaction type is exposed; callers cannot
 * compose two methods into one transaction, so each verb is complete on its own.
 */
export interface Store extends AdminStore {
  // ── accounts, keys, workspaces ──
  createAccount(friendlyName: string): Promise<Account>;
  createApiKey(accountSid: string, friendlyName: string): Promise<ApiKey>;
  findAccount(sid: string): Promise<Account | null>;
  findApiKey(sid: string): Promise<ApiKey | null>;
  listAccounts(): Promise<Account[]>;
  listApiKeys(accountSid: string): Promise<ApiKey[]>;
  /** A workspace with its activities, logout settings (enabled, `thresholdMs`) and Twilio's five task channels. */
  createWorkspace(seed: WorkspaceSeed): Promise<Workspace>;
  /**
   * Deletes a workspace of the account with its workers, activities, routing resources and
   * console sessions; its activity log and events are history and stay. Refused (`conflict`)
   * for the workspace the Flex Configuration names and while any of its workers is connected.
   */
  deleteWorkspace(accountSid: string, sid: string): Promise<Result<Workspace>>;
  /** The workspace the account's Flex Configuration names: the one set, else the account's first. */
  flexWorkspaceSid(accountSid: string): Promise<string | null>;
  /** Names the workspace (of the account; the caller checked) that the Flex Configuration applies to. */
  setFlexWorkspace(accountSid: string, workspaceSid: string): Promise<void>;
  listWorkspaces(accountSid?: string): Promise<Workspace[]>;
  findWorkspace(sid: string): Promise<Workspace | null>;
  listActivities(workspaceSid: string): Promise<Activity[]>;
  findActivity(workspaceSid: string, sid: string): Promise<Activity | null>;
  logoutSettings(workspaceSid: string): Promise<LogoutSettings>;

  // ── workers ──
  createWorker(input: { workspaceSid: string; friendlyName: string; attributes: string; activitySid?: string; actor: string }): Promise<Result<PresenceCommit>>;
  findWorker(workspaceSid: string, sid: string): Promise<Worker | null>;
  findWorkerByName(workspaceSid: string, friendlyName: string): Promise<Worker | null>;
  listWorkers(workspaceSid: string): Promise<Worker[]>;
  /** Name, attributes and activity in one transaction (see WorkerChangeRequest). */
  changeWorker(request: WorkerChangeRequest): Promise<Result<PresenceCommit>>;

  // ── presence verbs (each runs the presence machine under the worker's row) ──
  openConnection(opening: ConnectionOpening): Promise<Result<PresenceCommit>>;
  /** Null when the connection is unknown (already ended, or reaped). */
  endConnection(ending: ConnectionEnding): Promise<PresenceCommit | null>;
  /** Ends many connections in one transaction (a mass disconnect); unknown ones are skipped. */
  endConnections(endings: readonly ConnectionEnding[]): Promise<PresenceCommit[]>;
  setActivity(request: ActivityChangeRequest): Promise<Result<PresenceCommit>>;
  /** Fires up to `limit` deadlines due at the store's now, oldest first, in one transaction. */
  claimDueDeadlines(limit: number): Promise<PresenceCommit[]>;
  /** The earliest pending due time, or null. */
  nextDueAt(): Promise<number | null>;
  /**
   * Validates and stores new logout settings, then applies them to pending disconnections.
   * `actor` (a credential SID) is kept as who made the change.
   */
  updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string): Promise<Result<{ settings: LogoutSettings; commits: PresenceCommit[] }>>;

  // ── the mass-disconnect breaker ──
  /** A workspace's breaker settings and its active hold (null when none); null for an unknown workspace. */
  outageBreaker(workspaceSid: string): Promise<{ settings: BreakerSettings; hold: OutageHoldRecord | null } | null>;
  /** The earliest end of an active hold, or null. */
  nextOutageHoldEndAt(): Promise<number | null>;
  /** Ends up to `limit` holds whose time is over, in one transaction (their deadlines stay where the hold put them). */
  endExpiredOutageHolds(limit: number): Promise<OutageHoldChange[]>;

  // ── nodes (one per server process) ──
  registerNode(nodeId: string): Promise<void>;
  heartbeatNode(nodeId: string): Promise<void>;
  /**
   * Ends every connection held by nodes other than `liveNodeId` whose lease is over (on SQLite:
   * all other nodes, since one process owns the file), as lost at the node's last heartbeat.
   */
  reapNodes(liveNodeId: string, reason: DisconnectReason): Promise<PresenceCommit[]>;
  /** A clean stop: ends this node's connections as of now, with `reason`, and retires the node. */
  retireNode(nodeId: string, reason: DisconnectReason): Promise<PresenceCommit[]>;

  // ── history ──
  activityLog(workspaceSid: string, filter?: { workerSid?: string; sinceId?: number }): Promise<ActivityLogEntry[]>;
  disconnectEpisodes(workspaceSid: string, filter?: { workerSid?: string }): Promise<DisconnectEpisode[]>;
  /** Events in order; `endAt` keeps those at or before it, `eventTypes` only those types. */
  events(workspaceSid: string, filter?: { workerSid?: string; eventTypes?: readonly string[]; endAt?: number }): Promise<WorkspaceEvent[]>;

  // ── administration (REST facade, CLI): see AdminStore below ──

  close(): Promise<void>;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Administration: what the REST facade and the CLI need beyond presence. The same guarantees
// hold: each method is one transaction, time is the store's, refusals are values. Changes that
// publish return their events; the caller publishes them after the method returned (commit
// before broadcast). Activity changes are not here: they go through `setActivity`.
// ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * One page of a list in the store's own stable order, walked with opaque cursors. A cursor is
 * only meaningful to the store that issued it; a malformed one is refused (`PageToken`).
 */
export interface PageRequest {
  /** Items strictly after this cursor (walking forward). */
  readonly after?: string;
  /** Items strictly before this cursor (walking backward); ignored when `after` is given. */
  readonly before?: string;
  readonly limit: number;
}

export interface PageOf<T> {
  /** In list order, whichever direction was walked. */
  readonly items: readonly T[];
  readonly firstCursor: string | null;
  readonly lastCursor: string | null;
  /** More items lie beyond this page in the direction walked. */
  readonly more: boolean;
}

/** Exact-match filters of the Workers list; absent means any. */
export interface WorkerFilter {
  readonly activitySid?: string;
  readonly activityName?: string;
  readonly available?: boolean;
  readonly friendlyName?: string;
}

/** Filters of the Events list; absent means any. Instants are epoch ms, both ends inclusive. */
export interface EventFilter {
  readonly eventTypes?: readonly string[];
  readonly resourceSid?: string;
  /** `event_data` fields that must have these values, e.g. `{worker_sid: 'WK…'}`. */
  readonly data?: Readonly<Record<string, string>>;
  readonly startAt?: number;
  readonly endAt?: number;
}

/** What an administrative change committed: the resource afterwards (or as deleted) and its events. */
export interface AdminCommit<T> {
  readonly value: T;
  readonly events: readonly WorkspaceEvent[];
}

export interface WorkerRemoval {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly actor: string;
  readonly ifMatchVersion?: number;
}

export interface AdminStore {
  /** Validates the patch against the workspace's activities (core/workspace-settings) and stores it. */
  /**
   * With `extensions`, also stores Rollcall's own settings (routing hold, breaker) and ends an
   * outage hold in the same transaction. A patch with no workspace field records no
   * `workspace.updated` event; an ended hold records `workspace.outage_hold.ended`.
   */
  updateWorkspace(workspaceSid: string, patch: WorkspacePatch, actor: string, extensions?: WorkspaceExtensions): Promise<Result<AdminCommit<Workspace>>>;
  /** Refuses a name another activity of the workspace has (`conflict`, FriendlyName). */
  createActivity(input: { workspaceSid: string; friendlyName: string; available: boolean; actor: string }): Promise<Result<AdminCommit<Activity>>>;
  renameActivity(input: { workspaceSid: string; activitySid: string; friendlyName: string; actor: string }): Promise<Result<AdminCommit<Activity>>>;
  /** Applies core/activities `checkActivityDeletion` under the transaction, so no worker or queue slips in between. */
  deleteActivity(input: { workspaceSid: string; activitySid: string; actor: string }): Promise<Result<AdminCommit<Activity>>>;
  /** A new friendly name (unique in the workspace); the version grows. No event: TaskRouter has none. */
  /**
   * Deletes a worker with its connections, pending deadline and worker channels, closes its open
   * disconnection episode, and records `worker.deleted`; refused (`conflict`) while it has active
   * reservations (core/worker-removal). The activity log and events are history and stay.
   */
  deleteWorker(request: WorkerRemoval): Promise<Result<AdminCommit<Worker>>>;
  /** Workers in creation order. */
  pageWorkers(workspaceSid: string, filter: WorkerFilter, page: PageRequest): Promise<Result<PageOf<Worker>>>;
  /** Events in the order they were committed. */
  pageEvents(workspaceSid: string, filter: EventFilter, page: PageRequest): Promise<Result<PageOf<WorkspaceEvent>>>;
  findEvent(workspaceSid: string, sid: string): Promise<WorkspaceEvent | null>;
  /**
   * The activity-log entries that decide where existing workers were during `[startAt, endAt)`:
   * per worker, the last entry at or before `startAt`, and every entry inside the window.
   */
  activityLogWindow(workspaceSid: string, window: { startAt: number; endAt: number; workerSid?: string }): Promise<ActivityLogEntry[]>;
  /** Reservations created during `[startAt, endAt)` by their status now (of existing workers). */
  reservationsByStatus(workspaceSid: string, window: { startAt: number; endAt: number; workerSid?: string }): Promise<Map<string, number>>;
  /** How many workers are in each activity now (activities nobody is in are absent). */
  workersByActivity(workspaceSid: string, filter?: { workerSid?: string }): Promise<Map<string, number>>;
  /** Revokes an active key of the account; revoked and unknown keys are `not-found`. */
  revokeApiKey(accountSid: string, sid: string): Promise<Result<ApiKey>>;
  renameApiKey(accountSid: string, sid: string, friendlyName: string): Promise<Result<ApiKey>>;
}

/** Epoch-ms instants before which each kind of record is removed; null keeps that kind forever. */
export interface RetentionCutoffs {
  /** Events and finished callback deliveries. */
  readonly eventsBefore: number | null;
  /** Completed and canceled tasks (their reservations with them). */
  readonly tasksBefore: number | null;
  /** The activity log (billing) and ended disconnection episodes. */
  readonly historyBefore: number | null;
  /** Retired nodes that hold no connection. */
  readonly nodesBefore: number;
}

export interface PruneCounts {
  readonly events: number;
  readonly callbacks: number;
  readonly tasks: number;
  readonly activityLog: number;
  /** Per-day roll-up rows of the activity log (reports' fast path). */
  readonly rollup: number;
  readonly episodes: number;
  readonly nodes: number;
}

export interface RetentionStore {
  /** Removes at most `batch` records of each kind older than its cutoff, in one transaction. */
  pruneBatch(cutoffs: RetentionCutoffs, batch: number): Promise<PruneCounts>;
}
