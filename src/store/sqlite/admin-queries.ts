/**
 * The SQLite side of the administration port (AdminStore): workspace and activity changes,
 * worker deletions, the paged worker list and API key changes. Every
 * write is one IMMEDIATE transaction; rules come from core/ and run inside it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { activityEvent, checkActivityDeletion, checkFriendlyName, workspaceEvent, type ActivityEventType } from '../../core/activities.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { workerEvent } from '../../core/events.js';
import type { Activity, ApiKey, Worker, Workspace } from '../../core/resources.js';
import { checkWorkerDeletion } from '../../core/worker-removal.js';
import { applyWorkspacePatch } from '../../core/workspace-settings.js';
import { applyBreakerPatch, isEmptyBreakerPatch, type BreakerSettings } from '../../core/outage-breaker.js';
import type { OutageHolds } from './outage-hold.js';
import { newSid } from '../../service/ids.js';
import type { AdminCommit, AdminStore, Clock } from '../../service/ports.js';
import { pageOf, type Cursored } from './row-pages.js';
import { WORKER_COLUMNS, WORKER_FROM, WORKER_SELECT, type PresenceWriter } from './presence-writer.js';
import {
  toActivity, toApiKey, toSettings, toWorker, toWorkspace,
  type ActivityRow, type ApiKeyRow, type SettingsRow, type WorkerRow, type WorkspaceRow,
} from './rows.js';
import { writeTx } from './transaction.js';

const WORKER_FILTER = `w.workspace_sid = @ws
  AND (@activitySid IS NULL OR w.activity_sid = @activitySid)
  AND (@activityName IS NULL OR a.friendly_name = @activityName)
  AND (@available IS NULL OR a.available = @available)
  AND (@friendlyName IS NULL OR w.friendly_name = @friendlyName)`;

type AdminQueries = Pick<AdminStore,
  'updateWorkspace' | 'createActivity' | 'renameActivity' | 'deleteActivity' | 'deleteWorker' | 'pageWorkers' | 'revokeApiKey' | 'renameApiKey'>;

export function createAdminQueries(db: BetterSqlite3.Database, clock: Clock, writer: PresenceWriter, holds: OutageHolds): AdminQueries {
  const q = {
    workspace: db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
    settings: db.prepare<[string], SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = ?'),
    activities: db.prepare<[string], ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = ? ORDER BY a.created_at, a.rowid'),
    activity: db.prepare<[string, string], ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = ? AND a.sid = ?'),
    activityNamed: db.prepare<[string, string], { sid: string }>('SELECT sid FROM activities WHERE workspace_sid = ? AND friendly_name = ?'),
    workersIn: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM workers WHERE activity_sid = ?'),
    queuesUsing: db.prepare<[string, string], { friendly_name: string }>(
      'SELECT friendly_name FROM task_queues WHERE reservation_activity_sid = ? OR assignment_activity_sid = ? ORDER BY created_at, rowid'),
    activeReservations: db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE worker_sid = ? AND status IN ('pending', 'accepted', 'wrapping')"),
    worker: db.prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.sid = ?`),
    workerNamed: db.prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND friendly_name = ?'),
    workersAfter: db.prepare<Record<string, unknown>, Cursored<WorkerRow>>(`SELECT w.rowid AS row_cursor, ${WORKER_COLUMNS} ${WORKER_FROM} WHERE ${WORKER_FILTER} AND w.rowid > @cursor ORDER BY w.rowid LIMIT @limit`),
    workersBefore: db.prepare<Record<string, unknown>, Cursored<WorkerRow>>(`SELECT w.rowid AS row_cursor, ${WORKER_COLUMNS} ${WORKER_FROM} WHERE ${WORKER_FILTER} AND w.rowid < @cursor ORDER BY w.rowid DESC LIMIT @limit`),
    activeKey: db.prepare<[string, string], ApiKeyRow>('SELECT * FROM api_keys WHERE account_sid = ? AND sid = ? AND revoked_at IS NULL'),
    apiKey: db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE sid = ?'),
  };

  const workspaceOf = (sid: string): Workspace | null => {
    const row = q.workspace.get(sid);
    return row ? toWorkspace(row) : null;
  };
  const activityChange = (workspace: Workspace, activity: Activity, type: ActivityEventType, actor: string, at: number): AdminCommit<Activity> => {
    const event = activityEvent({ sid: newSid('event'), workspace, at, actor }, activity, type);
    writer.recordEvent(event);
    return { value: activity, events: [event] };
  };
  const checkVersion = (row: WorkerRow, ifMatchVersion: number | undefined): Result<void> =>
    ifMatchVersion === undefined || ifMatchVersion === row.version
      ? ok(undefined)
      : refuse('version-mismatch', `Worker ${row.sid} is at version ${row.version}, not ${ifMatchVersion}`);

  return {
    async updateWorkspace(workspaceSid, patch, actor, extensions = {}) {
      return writeTx(db, (): Result<AdminCommit<Workspace>> => {
        const current = workspaceOf(workspaceSid);
        if (!current) return refuse('not-found', `Workspace ${workspaceSid} was not found`);
        const activities = q.activities.all(workspaceSid).map(toActivity);
        const at = clock.now();
        const next = applyWorkspacePatch(current, patch, activities, at);
        if (!next.ok) return next;
        const { routingHold, breaker, endOutageHold } = extensions;
        let breakerNext: BreakerSettings | null = null;
        if (breaker !== undefined && !isEmptyBreakerPatch(breaker)) {
          const checked = applyBreakerPatch(holds.settings(workspaceSid) as BreakerSettings, breaker);
          if (!checked.ok) return checked;
          breakerNext = checked.value;
        }
        const hold = holds.active(workspaceSid);
        if (endOutageHold === true && !hold) return refuse('conflict', `Workspace ${workspaceSid} has no active outage hold to end`, 'EndOutageHold');
        // Everything is checked: from here on every write lands.
        if (routingHold !== undefined) db.prepare('UPDATE logout_settings SET routing_hold = ?, updated_at = ? WHERE workspace_sid = ?').run(routingHold ? 1 : 0, at, workspaceSid);
        if (breakerNext) holds.saveSettings(workspaceSid, breakerNext, at);
        const events = [];
        // Ended early, or the breaker turned off under it: held workers get their ordinary due times back.
        if (hold && (endOutageHold === true || breakerNext?.enabled === false)) events.push(holds.end(hold, endOutageHold === true ? 'ended-early' : 'breaker-off', actor, at, at).event);
        // Only Rollcall's settings asked for: no workspace.updated event for settings that live elsewhere.
        const extended = routingHold !== undefined || breaker !== undefined || endOutageHold !== undefined;
        if (extended && Object.values(patch).every((v) => v === undefined)) return ok({ value: current, events });
        const w = next.value;
        db.prepare('UPDATE workspaces SET friendly_name = ?, default_activity_sid = ?, timeout_activity_sid = ?, event_callback_url = ?, events_filter = ?, multi_task_enabled = ?, updated_at = ? WHERE sid = ?')
          .run(w.friendlyName, w.defaultActivitySid, w.timeoutActivitySid, w.eventCallbackUrl, w.eventsFilter, w.multiTaskEnabled ? 1 : 0, at, workspaceSid);
        const event = workspaceEvent({ sid: newSid('event'), workspace: w, at, actor }, activities);
        writer.recordEvent(event);
        return ok({ value: w, events: [...events, event] });
      });
    },
    async createActivity(input) {
      return writeTx(db, (): Result<AdminCommit<Activity>> => {
        const workspace = workspaceOf(input.workspaceSid);
        if (!workspace) return refuse('not-found', `Workspace ${input.workspaceSid} was not found`);
        const name = checkFriendlyName(input.friendlyName);
        if (!name.ok) return name;
        if (q.activityNamed.get(input.workspaceSid, name.value)) return refuse('conflict', `An activity named ${name.value} already exists`, 'FriendlyName');
        const at = clock.now();
        const sid = newSid('activity');
        db.prepare('INSERT INTO activities (sid, workspace_sid, friendly_name, available, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(sid, input.workspaceSid, name.value, input.available ? 1 : 0, at, at);
        return ok(activityChange(workspace, toActivity(q.activity.get(input.workspaceSid, sid) as ActivityRow), 'activity.created', input.actor, at));
      });
    },
    async renameActivity(input) {
      return writeTx(db, (): Result<AdminCommit<Activity>> => {
        const row = q.activity.get(input.workspaceSid, input.activitySid);
        if (!row) return refuse('not-found', `Activity ${input.activitySid} was not found`);
        const name = checkFriendlyName(input.friendlyName);
        if (!name.ok) return name;
        const holder = q.activityNamed.get(input.workspaceSid, name.value);
        if (holder && holder.sid !== row.sid) return refuse('conflict', `An activity named ${name.value} already exists`, 'FriendlyName');
        const at = clock.now();
        db.prepare('UPDATE activities SET friendly_name = ?, updated_at = ? WHERE sid = ?').run(name.value, at, row.sid);
        const workspace = workspaceOf(input.workspaceSid) as Workspace;
        return ok(activityChange(workspace, toActivity(q.activity.get(input.workspaceSid, row.sid) as ActivityRow), 'activity.updated', input.actor, at));
      });
    },
    async deleteActivity(input) {
      return writeTx(db, (): Result<AdminCommit<Activity>> => {
        const row = q.activity.get(input.workspaceSid, input.activitySid);
        if (!row) return refuse('not-found', `Activity ${input.activitySid} was not found`);
        const activity = toActivity(row);
        const workspace = workspaceOf(input.workspaceSid) as Workspace;
        const settings = toSettings(q.settings.get(input.workspaceSid) as SettingsRow);
        const allowed = checkActivityDeletion(activity, {
          workspace, settings,
          workersInActivity: q.workersIn.get(activity.sid)?.n ?? 0,
          queuesUsing: q.queuesUsing.all(activity.sid, activity.sid).map((r) => r.friendly_name),
        });
        if (!allowed.ok) return allowed;
        db.prepare('DELETE FROM activities WHERE sid = ?').run(activity.sid);
        return ok(activityChange(workspace, activity, 'activity.deleted', input.actor, clock.now()));
      });
    },
    async deleteWorker(request) {
      return writeTx(db, (): Result<AdminCommit<Worker>> => {
        const row = q.worker.get(request.workspaceSid, request.workerSid);
        if (!row) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        const version = checkVersion(row, request.ifMatchVersion);
        if (!version.ok) return version;
        const worker = toWorker(row);
        const allowed = checkWorkerDeletion(worker, q.activeReservations.get(row.sid)?.n ?? 0);
        if (!allowed.ok) return allowed;
        const at = clock.now();
        // Its worker channels and ended reservations go with it (ON DELETE CASCADE).
        db.prepare('DELETE FROM connections WHERE worker_sid = ?').run(row.sid);
        db.prepare('DELETE FROM deadlines WHERE worker_sid = ?').run(row.sid);
        db.prepare('UPDATE disconnect_episodes SET ended_at = ? WHERE worker_sid = ? AND ended_at IS NULL').run(at, row.sid);
        db.prepare('DELETE FROM workers WHERE sid = ?').run(row.sid);
        const event = workerEvent({ sid: newSid('event'), workspace: workspaceOf(request.workspaceSid) as Workspace, at, actor: request.actor }, worker, 'worker.deleted');
        writer.recordEvent(event);
        return ok({ value: worker, events: [event] });
      });
    },
    async pageWorkers(workspaceSid, filter, page) {
      const params = {
        ws: workspaceSid,
        activitySid: filter.activitySid ?? null,
        activityName: filter.activityName ?? null,
        available: filter.available === undefined ? null : filter.available ? 1 : 0,
        friendlyName: filter.friendlyName ?? null,
      };
      return pageOf(page, params, q.workersAfter, q.workersBefore, toWorker);
    },
    async revokeApiKey(accountSid, sid) {
      return writeTx(db, (): Result<ApiKey> => {
        if (!q.activeKey.get(accountSid, sid)) return refuse('not-found', `API key ${sid} was not found`);
        db.prepare('UPDATE api_keys SET revoked_at = ? WHERE sid = ?').run(clock.now(), sid);
        return ok(toApiKey(q.apiKey.get(sid) as ApiKeyRow));
      });
    },
    async renameApiKey(accountSid, sid, friendlyName) {
      return writeTx(db, (): Result<ApiKey> => {
        if (!q.activeKey.get(accountSid, sid)) return refuse('not-found', `API key ${sid} was not found`);
        db.prepare('UPDATE api_keys SET friendly_name = ? WHERE sid = ?').run(friendlyName, sid);
        return ok(toApiKey(q.apiKey.get(sid) as ApiKeyRow));
      });
    },
  };
}
