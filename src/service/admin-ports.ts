/**
 * Administration: accounts, API keys, workspaces and their activities, and worker removal: what
 * the REST facade, the console and the CLI need beyond presence. Same guarantees as every part of
 * the store (ports.ts). Changes that publish return their events; the caller publishes them after
 * the method returned (commit before broadcast). Activity changes of workers are not here: they go
 * through PresenceStore `setActivity`.
 */
import type { Result } from '../core/errors.js';
import type { BreakerPatch } from '../core/outage-breaker.js';
import type { WorkspacePatch } from '../core/workspace-settings.js';
import type { Account, Activity, ApiKey, Worker, Workspace, WorkspaceEvent } from '../core/resources.js';

/** Rollcall's own Workspace settings, changed with the workspace in one transaction. */
export interface WorkspaceExtensions {
  /** The routing hold (rule 8). */
  readonly routingHold?: boolean;
  /** The mass-disconnect breaker's settings; turning it off ends an active hold. */
  readonly breaker?: BreakerPatch;
  /** End the active outage hold now (refused with `conflict` when none is active). */
  readonly endOutageHold?: boolean;
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
  createAccount(friendlyName: string): Promise<Account>;
  findAccount(sid: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  createApiKey(accountSid: string, friendlyName: string): Promise<ApiKey>;
  findApiKey(sid: string): Promise<ApiKey | null>;
  listApiKeys(accountSid: string): Promise<ApiKey[]>;
  /** Revokes an active key of the account; revoked and unknown keys are `not-found`. */
  revokeApiKey(accountSid: string, sid: string): Promise<Result<ApiKey>>;
  renameApiKey(accountSid: string, sid: string, friendlyName: string): Promise<Result<ApiKey>>;

  /** A workspace with its activities, logout settings (enabled, `thresholdMs`) and Twilio's five task channels. */
  createWorkspace(seed: WorkspaceSeed): Promise<Workspace>;
  findWorkspace(sid: string): Promise<Workspace | null>;
  listWorkspaces(accountSid?: string): Promise<Workspace[]>;
  /**
   * Validates the patch against the workspace's activities (core/workspace-settings) and stores it.
   * With `extensions`, also stores Rollcall's own settings (routing hold, breaker) and ends an
   * outage hold in the same transaction. A patch with no workspace field records no
   * `workspace.updated` event; an ended hold records `workspace.outage_hold.ended`.
   */
  updateWorkspace(workspaceSid: string, patch: WorkspacePatch, actor: string, extensions?: WorkspaceExtensions): Promise<Result<AdminCommit<Workspace>>>;
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

  listActivities(workspaceSid: string): Promise<Activity[]>;
  findActivity(workspaceSid: string, sid: string): Promise<Activity | null>;
  /** Refuses a name another activity of the workspace has (`conflict`, FriendlyName). */
  createActivity(input: { workspaceSid: string; friendlyName: string; available: boolean; actor: string }): Promise<Result<AdminCommit<Activity>>>;
  /** A new friendly name (unique in the workspace); the version grows. No event: TaskRouter has none. */
  renameActivity(input: { workspaceSid: string; activitySid: string; friendlyName: string; actor: string }): Promise<Result<AdminCommit<Activity>>>;
  /** Applies core/activities `checkActivityDeletion` under the transaction, so no worker or queue slips in between. */
  deleteActivity(input: { workspaceSid: string; activitySid: string; actor: string }): Promise<Result<AdminCommit<Activity>>>;

  /**
   * Deletes a worker with its connections, pending deadline and worker channels, closes its open
   * disconnection episode, and records `worker.deleted`; refused (`conflict`) while it has active
   * reservations (core/worker-removal). The activity log and events are history and stay.
   */
  deleteWorker(request: WorkerRemoval): Promise<Result<AdminCommit<Worker>>>;
  /** Workers in creation order. */
  pageWorkers(workspaceSid: string, filter: WorkerFilter, page: PageRequest): Promise<Result<PageOf<Worker>>>;
}
