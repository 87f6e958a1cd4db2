/**
 * The ports the service layer owns. Adapters (store/sqlite, bus/local, the system clock) implement
 * them; only src/main.ts chooses which.
 */
import type { Result } from '../core/errors.js';
import type { LogoutSettingsPatch } from '../core/logout-settings.js';
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
  readonly event: WorkspaceEvent;
  /** The worker after the change, for pushes to its sessions (absent for non-worker events). */
  readonly worker?: Worker;
}

/** What a presence verb committed: the worker afterwards, the machine's outputs and the events. */
export interface PresenceCommit {
  readonly worker: Worker;
  readonly outputs: readonly PresenceOutput[];
  readonly events: readonly WorkspaceEvent[];
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

export interface AttributesChangeRequest {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly attributes: string;
  readonly actor: string;
  readonly ifMatchVersion?: number;
}

export interface WorkspaceSeed {
  readonly accountSid: string;
  readonly friendlyName: string;
  /** Activities to create; the first unavailable one named `logoutActivityName` is the logout activity. */
  readonly activities: readonly { readonly friendlyName: string; readonly available: boolean }[];
  readonly logoutActivityName: string;
  readonly thresholdMs: number;
}

/**
 * The system of record. Every method is one atomic unit in its engine (one transaction): it
 * either commits entirely or changes nothing. Time comes from the store's clock (rule 12), never
 * from the caller. No connection, statement or transaction type is exposed; callers cannot
 * compose two methods into one transaction, so each verb is complete on its own.
 */
export interface Store {
  // ── accounts, keys, workspaces ──
  createAccount(friendlyName: string): Promise<Account>;
  createApiKey(accountSid: string, friendlyName: string): Promise<ApiKey>;
  findAccount(sid: string): Promise<Account | null>;
  findApiKey(sid: string): Promise<ApiKey | null>;
  listAccounts(): Promise<Account[]>;
  listApiKeys(accountSid: string): Promise<ApiKey[]>;
  createWorkspace(seed: WorkspaceSeed): Promise<Workspace>;
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
  setWorkerAttributes(request: AttributesChangeRequest): Promise<Result<PresenceCommit>>;

  // ── presence verbs (each runs the presence machine under the worker's row) ──
  openConnection(opening: ConnectionOpening): Promise<Result<PresenceCommit>>;
  /** Null when the connection is unknown (already ended, or reaped). */
  endConnection(ending: ConnectionEnding): Promise<PresenceCommit | null>;
  setActivity(request: ActivityChangeRequest): Promise<Result<PresenceCommit>>;
  /** Fires up to `limit` deadlines due at the store's now, oldest first, in one transaction. */
  claimDueDeadlines(limit: number): Promise<PresenceCommit[]>;
  /** The earliest pending due time, or null. */
  nextDueAt(): Promise<number | null>;
  /** Validates and stores new logout settings, then applies them to pending disconnections. */
  updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch): Promise<Result<{ settings: LogoutSettings; commits: PresenceCommit[] }>>;

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
  events(workspaceSid: string, filter?: { workerSid?: string }): Promise<WorkspaceEvent[]>;

  close(): Promise<void>;
}
