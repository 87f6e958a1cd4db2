/**
 * Administration use cases: workspace settings, activities, workers and the Flex logout settings,
 * as the REST facade (and later the console) asks for them. Each store verb is one transaction;
 * its events are published only after it committed. Activity changes go through the presence
 * service, so the presence machine, the activity log, the events and the push to the worker's
 * sessions happen exactly as for an agent's own change.
 *
 * A request that changes several things (a worker's name, attributes and activity) is
 * validated whole before the first write, so a refusal leaves nothing half-written; the writes
 * are then separate transactions, the first one guarded by the caller's If-Match version.
 */
import { checkAvailableUnchanged, checkFriendlyName } from '../core/activities.js';
import { checkAttributes } from '../core/attributes.js';
import { ok, refuse, type Result } from '../core/errors.js';
import type { LogoutSettingsPatch } from '../core/logout-settings.js';
import type { ActivityCause } from '../core/presence.js';
import type { Activity, LogoutSettings, Worker, Workspace, WorkspaceEvent } from '../core/resources.js';
import { checkWorkspaceCreation, NEW_WORKSPACE_ACTIVITIES, type WorkspaceCreation, type WorkspacePatch } from '../core/workspace-settings.js';
import { LOGOUT_ACTIVITY_NAME } from './first-run.js';
import type { AdminCommit, Bus, Log, Store, WorkerRemoval } from './ports.js';
import type { PresenceService } from './presence-service.js';

export interface AdminServiceOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly presence: PresenceService;
  readonly log: Log;
  /** The offline threshold a new workspace starts with (the configured default). */
  readonly defaultThresholdMs?: number;
  /** Told when a workspace is created or deleted (routing keeps a view per workspace). */
  readonly workspaces?: WorkspaceListener;
}

export interface WorkspaceListener {
  added(workspaceSid: string): Promise<void>;
  removed(workspaceSid: string): void;
}

const DEFAULT_THRESHOLD_MS = 30_000;

export interface ActivityUpdate {
  readonly workspaceSid: string;
  readonly activitySid: string;
  readonly actor: string;
  readonly friendlyName?: string;
  /** Accepted only when it is the value the activity already has. */
  readonly available?: boolean;
}

export interface WorkerCreation {
  readonly workspaceSid: string;
  readonly friendlyName: string;
  readonly attributes: string;
  readonly activitySid?: string;
  readonly actor: string;
}

export interface WorkerUpdate {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly actor: string;
  /** Why the activity changes when one is given: `api` over REST. */
  readonly cause: ActivityCause;
  readonly activitySid?: string;
  readonly rejectPendingReservations: boolean;
  readonly attributes?: string;
  readonly friendlyName?: string;
  readonly ifMatchVersion?: number;
}

export class AdminService {
  private readonly store: Store;

  constructor(private readonly options: AdminServiceOptions) {
    this.store = options.store;
  }

  /** A new workspace of the account (core/workspace-settings checks it), routed at once. */
  async createWorkspace(accountSid: string, creation: WorkspaceCreation): Promise<Result<Workspace>> {
    const checked = checkWorkspaceCreation(creation);
    if (!checked.ok) return checked;
    const workspace = await this.store.createWorkspace({
      accountSid,
      ...checked.value,
      activities: NEW_WORKSPACE_ACTIVITIES,
      logoutActivityName: LOGOUT_ACTIVITY_NAME,
      thresholdMs: this.options.defaultThresholdMs ?? DEFAULT_THRESHOLD_MS,
    });
    await this.options.workspaces?.added(workspace.sid);
    this.options.log.info({ workspaceSid: workspace.sid, accountSid }, 'workspace created');
    return ok(workspace);
  }

  async deleteWorkspace(accountSid: string, workspaceSid: string): Promise<Result<Workspace>> {
    const result = await this.store.deleteWorkspace(accountSid, workspaceSid);
    if (!result.ok) return result;
    this.options.workspaces?.removed(workspaceSid);
    this.options.log.info({ workspaceSid, accountSid }, 'workspace deleted');
    return result;
  }

  async updateWorkspace(workspaceSid: string, patch: WorkspacePatch, actor: string): Promise<Result<Workspace>> {
    return this.published(await this.store.updateWorkspace(workspaceSid, patch, actor));
  }

  async createActivity(input: { workspaceSid: string; friendlyName: string; available: boolean; actor: string }): Promise<Result<Activity>> {
    return this.published(await this.store.createActivity(input));
  }

  async updateActivity(update: ActivityUpdate): Promise<Result<Activity>> {
    const activity = await this.store.findActivity(update.workspaceSid, update.activitySid);
    if (!activity) return refuse('not-found', `Activity ${update.activitySid} was not found`);
    const unchanged = checkAvailableUnchanged(activity, update.available);
    if (!unchanged.ok) return unchanged;
    if (update.friendlyName === undefined) return ok(activity);
    return this.published(await this.store.renameActivity({ ...update, friendlyName: update.friendlyName }));
  }

  async deleteActivity(input: { workspaceSid: string; activitySid: string; actor: string }): Promise<Result<Activity>> {
    return this.published(await this.store.deleteActivity(input));
  }

  async createWorker(input: WorkerCreation): Promise<Result<Worker>> {
    const name = checkFriendlyName(input.friendlyName);
    if (!name.ok) return name;
    const attributes = checkAttributes(input.attributes);
    if (!attributes.ok) return attributes;
    const result = await this.options.presence.createWorker(input);
    return result.ok ? ok(result.value.worker) : result;
  }

  async updateWorker(update: WorkerUpdate): Promise<Result<Worker>> {
    if (update.activitySid !== undefined && update.attributes === undefined && update.friendlyName === undefined) {
      // One write only: the store verb checks everything in its own transaction (the hot path).
      const result = await this.options.presence.setActivity({
        workspaceSid: update.workspaceSid, workerSid: update.workerSid, actor: update.actor, activitySid: update.activitySid,
        cause: update.cause, rejectPendingReservations: update.rejectPendingReservations, ifMatchVersion: update.ifMatchVersion,
      });
      return result.ok ? ok(result.value.worker) : result;
    }
    const checked = await this.checkWorkerUpdate(update);
    if (!checked.ok) return checked;
    const base = { workspaceSid: update.workspaceSid, workerSid: update.workerSid, actor: update.actor };
    // Only the first write carries If-Match; the ones after it see the version the first made.
    let ifMatchVersion = update.ifMatchVersion;
    let worker = checked.value;
    if (update.friendlyName !== undefined && update.friendlyName !== worker.friendlyName) {
      const renamed = this.published(await this.store.renameWorker({ ...base, friendlyName: update.friendlyName, ifMatchVersion }));
      if (!renamed.ok) return renamed;
      worker = renamed.value;
      ifMatchVersion = undefined;
    }
    if (update.attributes !== undefined) {
      const result = await this.options.presence.setAttributes({ ...base, attributes: update.attributes, ifMatchVersion });
      if (!result.ok) return result;
      worker = result.value.worker;
      ifMatchVersion = undefined;
    }
    if (update.activitySid !== undefined) {
      const result = await this.options.presence.setActivity({
        ...base, activitySid: update.activitySid, cause: update.cause, rejectPendingReservations: update.rejectPendingReservations, ifMatchVersion,
      });
      if (!result.ok) return result;
      worker = result.value.worker;
    }
    return ok(worker);
  }

  async deleteWorker(removal: WorkerRemoval): Promise<Result<Worker>> {
    return this.published(await this.store.deleteWorker(removal));
  }

  /** Flex Configuration: validated by core/logout-settings, applied at once to pending disconnections. */
  async updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string): Promise<Result<LogoutSettings>> {
    return this.options.presence.updateLogoutSettings(workspaceSid, patch, actor);
  }

  /** Everything a worker update could refuse, checked before the first write. */
  private async checkWorkerUpdate(update: WorkerUpdate): Promise<Result<Worker>> {
    const worker = await this.store.findWorker(update.workspaceSid, update.workerSid);
    if (!worker) return refuse('not-found', `Worker ${update.workerSid} was not found`);
    if (update.ifMatchVersion !== undefined && update.ifMatchVersion !== worker.version) {
      return refuse('version-mismatch', `Worker ${worker.sid} is at version ${worker.version}, not ${update.ifMatchVersion}`);
    }
    if (update.attributes !== undefined) {
      const attributes = checkAttributes(update.attributes);
      if (!attributes.ok) return attributes;
    }
    if (update.friendlyName !== undefined) {
      const name = checkFriendlyName(update.friendlyName);
      if (!name.ok) return name;
      const holder = await this.store.findWorkerByName(update.workspaceSid, update.friendlyName);
      if (holder && holder.sid !== worker.sid) return refuse('conflict', `A worker named ${update.friendlyName} already exists`, 'FriendlyName');
    }
    if (update.activitySid !== undefined) {
      const activity = await this.store.findActivity(update.workspaceSid, update.activitySid);
      if (!activity) return refuse('invalid-parameter', `ActivitySid ${update.activitySid} is not an activity of this workspace`, 'ActivitySid');
      if (update.rejectPendingReservations && activity.available) {
        return refuse('invalid-parameter', 'RejectPendingReservations is only allowed when moving to an unavailable activity', 'RejectPendingReservations');
      }
    } else if (update.rejectPendingReservations) {
      return refuse('invalid-parameter', 'RejectPendingReservations needs an ActivitySid to move to', 'RejectPendingReservations');
    }
    return ok(worker);
  }

  /** Publishes a committed change's events (commit before broadcast) and returns its value. */
  private published<T>(result: Result<AdminCommit<T>>): Result<T> {
    if (!result.ok) return result;
    for (const event of result.value.events) this.publish(event, result.value.value);
    return ok(result.value.value);
  }

  private publish(event: WorkspaceEvent, value: unknown): void {
    const worker = event.resourceType === 'worker' ? (value as Worker) : undefined;
    this.options.bus.publish(worker ? { event, worker } : { event });
    this.options.log.info({ eventType: event.eventType, resourceSid: event.resourceSid, actor: event.actorSid }, 'administrative change');
  }
}
