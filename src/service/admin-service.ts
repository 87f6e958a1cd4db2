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
import type { AdminCommit, AdminStore, Bus, Log, WorkerRemoval, WorkspaceExtensions } from './ports.js';
import type { PresenceService } from './presence-service.js';

export interface AdminServiceOptions {
  readonly store: AdminStore;
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
  /** The workspace's routing hold was committed as `on`. */
  holdChanged(workspaceSid: string, on: boolean): Promise<void>;
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
  private readonly store: AdminStore;

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

  /**
   * The patch and Rollcall's settings land in one transaction; routing follows the routing hold
   * after the commit. An outage hold ended here (early, or the breaker turned off) has given its
   * workers their ordinary due times back, some of them now: the scheduler re-reads the earliest.
   */
  async updateWorkspace(workspaceSid: string, patch: WorkspacePatch, actor: string, extensions: WorkspaceExtensions = {}): Promise<Result<Workspace>> {
    const result = await this.store.updateWorkspace(workspaceSid, patch, actor, extensions);
    const ended = result.ok ? result.value.events.filter((e) => e.eventType === 'workspace.outage_hold.ended') : [];
    const updated = this.published(result);
    if (updated.ok && extensions.routingHold !== undefined) await this.options.workspaces?.holdChanged(workspaceSid, extensions.routingHold);
    for (const event of ended) this.options.log.warn({ workspaceSid, actor, ...event.data }, 'outage hold ended by an admin; held workers are back on their ordinary due times');
    if (ended.length > 0) await this.options.presence.scheduler.refresh();
    return updated;
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

  /** Name, attributes and activity in one transaction: a refused part leaves the worker as it was. */
  async updateWorker(update: WorkerUpdate): Promise<Result<Worker>> {
    const checked = checkWorkerUpdate(update);
    if (!checked.ok) return checked;
    const result = await this.options.presence.changeWorker({
      workspaceSid: update.workspaceSid, workerSid: update.workerSid, actor: update.actor, ifMatchVersion: update.ifMatchVersion,
      friendlyName: update.friendlyName, attributes: update.attributes,
      activity: update.activitySid === undefined ? undefined : { activitySid: update.activitySid, cause: update.cause, rejectPendingReservations: update.rejectPendingReservations },
    });
    return result.ok ? ok(result.value.worker) : result;
  }

  async deleteWorker(removal: WorkerRemoval): Promise<Result<Worker>> {
    return this.published(await this.store.deleteWorker(removal));
  }

  /** Flex Configuration: validated by core/logout-settings, applied at once to pending disconnections. */
  async updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string): Promise<Result<LogoutSettings>> {
    return this.options.presence.updateLogoutSettings(workspaceSid, patch, actor);
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

/** What a worker update can refuse without reading the store; the rest is checked in its transaction. */
function checkWorkerUpdate(update: WorkerUpdate): Result<void> {
  if (update.attributes !== undefined) {
    const attributes = checkAttributes(update.attributes);
    if (!attributes.ok) return attributes;
  }
  if (update.activitySid === undefined && update.rejectPendingReservations) {
    return refuse('invalid-parameter', 'RejectPendingReservations needs an ActivitySid to move to', 'RejectPendingReservations');
  }
  return ok(undefined);
}
