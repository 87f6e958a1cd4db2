/**
 * The PostgreSQL side of the administration port (AdminStore): workspace and activity changes,
 * worker deletion, paged lists, statistics inputs and API key revocation. Every write is one
 * transaction that locks what it checks (the workspace, the activity or the worker row) before it
 * checks it; rules come from core/ and run inside it.
 */
import { activityEvent, checkActivityDeletion, checkFriendlyName, workspaceEvent, type ActivityEventType } from '../../core/activities.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { applyBreakerPatch, isEmptyBreakerPatch, type BreakerSettings } from '../../core/outage-breaker.js';
import { workerEvent } from '../../core/events.js';
import type { Activity, ApiKey, Worker, Workspace, WorkspaceEvent } from '../../core/resources.js';
import { checkWorkerDeletion } from '../../core/worker-removal.js';
import { applyWorkspacePatch } from '../../core/workspace-settings.js';
import { newSid } from '../../service/ids.js';
import type { AdminCommit, AdminStore, EventStore } from '../../service/ports.js';
import { WORKER_COLUMNS, WORKER_FROM } from '../sqlite/presence-writer.js';
import {
  toActivity, toApiKey, toEvent, toLogEntry, toSettings, toWorker, toWorkspace,
  type ActivityRow, type ApiKeyRow, type EventRow, type LogRow, type SettingsRow, type WorkerRow, type WorkspaceRow,
} from '../sqlite/rows.js';
import type { PgDatabase, Tx } from './database.js';
import { recordEvent } from './event-log.js';
import { activeHold, breakerSettings, endHold, saveBreakerSettings } from './outage-hold.js';
import { pageOf } from './paging.js';
import { lockWorker } from './presence-writer.js';

const ACTIVITY_SELECT = 'SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid';

// $1 workspace; $2 activity sid; $3 activity name; $4 available (0/1); $5 friendly name.
const WORKER_FILTER = `w.workspace_sid = $1
  AND ($2::text IS NULL OR w.activity_sid = $2) AND ($3::text IS NULL OR a.friendly_name = $3)
  AND ($4::int IS NULL OR a.available = $4) AND ($5::text IS NULL OR w.friendly_name = $5)`;

// $1 workspace; $2 event types (text[]); $3 resource sid; $4 data fields (JSON object); $5 start; $6 end.
const EVENT_FILTER = `workspace_sid = $1
  AND ($2::text[] IS NULL OR event_type = ANY($2::text[]))
  AND ($3::text IS NULL OR resource_sid = $3)
  AND ($4::jsonb IS NULL OR NOT EXISTS (
    SELECT 1 FROM jsonb_each_text($4::jsonb) f WHERE (events.data::jsonb ->> f.key) IS DISTINCT FROM f.value))
  AND ($5::int8 IS NULL OR at >= $5) AND ($6::int8 IS NULL OR at <= $6)`;

// $1 workspace; $2 worker or null; $3 start; $4 end.
const LOG_SCOPE = `l.workspace_sid = $1 AND ($2::text IS NULL OR l.worker_sid = $2)
  AND EXISTS (SELECT 1 FROM workers w WHERE w.sid = l.worker_sid)`;

async function workspaceOf(tx: Tx, sid: string, lock = false): Promise<Workspace | null> {
  const row = await tx.one<WorkspaceRow>(`SELECT * FROM workspaces WHERE sid = $1${lock ? ' FOR UPDATE' : ''}`, [sid]);
  return row ? toWorkspace(row) : null;
}

async function activityChange(tx: Tx, workspace: Workspace, activity: Activity, type: ActivityEventType, actor: string): Promise<AdminCommit<Activity>> {
  const event = activityEvent({ sid: newSid('event'), workspace, at: tx.now, actor }, activity, type);
  await recordEvent(tx, event);
  return { value: activity, events: [event] };
}

async function activityOf(tx: Tx, workspaceSid: string, sid: string, lock = false): Promise<ActivityRow | undefined> {
  return tx.one<ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = $1 AND a.sid = $2${lock ? ' FOR UPDATE OF a' : ''}`, [workspaceSid, sid]);
}

type AdminQueries = Pick<AdminStore, 'updateWorkspace' | 'createActivity' | 'renameActivity' | 'deleteActivity' | 'deleteWorker' | 'pageWorkers' | 'revokeApiKey' | 'renameApiKey'>
  & Pick<EventStore, 'pageEvents' | 'findEvent' | 'activityLogWindow' | 'reservationsByStatus' | 'workersByActivity'>;

export function createAdminQueries(db: PgDatabase): AdminQueries {
  return {
    async updateWorkspace(workspaceSid, patch, actor, extensions = {}) {
      return db.tx(async (tx): Promise<Result<AdminCommit<Workspace>>> => {
        const current = await workspaceOf(tx, workspaceSid, true);
        if (!current) return refuse('not-found', `Workspace ${workspaceSid} was not found`);
        const activities = (await tx.rows<ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = $1 ORDER BY a.created_at, a.seq`, [workspaceSid])).map(toActivity);
        const next = applyWorkspacePatch(current, patch, activities, tx.now);
        if (!next.ok) return next;
        const { routingHold, breaker, endOutageHold } = extensions;
        // The settings row is locked as the breaker's decisions lock it (outage-hold.ts).
        const breakerNow = await breakerSettings(tx, workspaceSid, true);
        let breakerNext: BreakerSettings | null = null;
        if (breaker !== undefined && !isEmptyBreakerPatch(breaker)) {
          const checked = applyBreakerPatch(breakerNow as BreakerSettings, breaker);
          if (!checked.ok) return checked;
          breakerNext = checked.value;
        }
        const hold = await activeHold(tx, workspaceSid);
        if (endOutageHold === true && !hold) return refuse('conflict', `Workspace ${workspaceSid} has no active outage hold to end`, 'EndOutageHold');
        // Everything is checked: from here on every write lands.
        if (routingHold !== undefined) await tx.run('UPDATE logout_settings SET routing_hold = $1, updated_at = $2 WHERE workspace_sid = $3', [routingHold ? 1 : 0, tx.now, workspaceSid]);
        if (breakerNext) await saveBreakerSettings(tx, workspaceSid, breakerNext);
        const events: WorkspaceEvent[] = [];
        // Ended early, or the breaker turned off under it: held workers get their ordinary due times back.
        if (hold && (endOutageHold === true || breakerNext?.enabled === false)) events.push((await endHold(tx, hold, endOutageHold === true ? 'ended-early' : 'breaker-off', actor, tx.now)).event);
        // Only Rollcall's settings asked for: no workspace.updated event for settings that live elsewhere.
        const extended = routingHold !== undefined || breaker !== undefined || endOutageHold !== undefined;
        if (extended && Object.values(patch).every((v) => v === undefined)) return ok({ value: current, events });
        const w = next.value;
        await tx.run(`UPDATE workspaces SET friendly_name = $1, default_activity_sid = $2, timeout_activity_sid = $3, event_callback_url = $4, events_filter = $5,
          multi_task_enabled = $6, updated_at = $7 WHERE sid = $8`,
        [w.friendlyName, w.defaultActivitySid, w.timeoutActivitySid, w.eventCallbackUrl, w.eventsFilter, w.multiTaskEnabled ? 1 : 0, tx.now, workspaceSid]);
        const event = workspaceEvent({ sid: newSid('event'), workspace: w, at: tx.now, actor }, activities);
        await recordEvent(tx, event);
        return ok({ value: w, events: [...events, event] });
      });
    },
    async createActivity(input) {
      return db.tx(async (tx): Promise<Result<AdminCommit<Activity>>> => {
        // The workspace row is locked so two creations of one name apply in turn.
        const workspace = await workspaceOf(tx, input.workspaceSid, true);
        if (!workspace) return refuse('not-found', `Workspace ${input.workspaceSid} was not found`);
        const name = checkFriendlyName(input.friendlyName);
        if (!name.ok) return name;
        if (await tx.one('SELECT 1 FROM activities WHERE workspace_sid = $1 AND friendly_name = $2', [input.workspaceSid, name.value])) {
          return refuse('conflict', `An activity named ${name.value} already exists`, 'FriendlyName');
        }
        const sid = newSid('activity');
        await tx.run('INSERT INTO activities (sid, workspace_sid, friendly_name, available, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
          [sid, input.workspaceSid, name.value, input.available ? 1 : 0, tx.now]);
        const row = await activityOf(tx, input.workspaceSid, sid);
        if (!row) throw new Error(`activity ${sid} vanished inside its own transaction`);
        return ok(await activityChange(tx, workspace, toActivity(row), 'activity.created', input.actor));
      });
    },
    async renameActivity(input) {
      return db.tx(async (tx): Promise<Result<AdminCommit<Activity>>> => {
        const workspace = await workspaceOf(tx, input.workspaceSid, true);
        const row = workspace ? await activityOf(tx, input.workspaceSid, input.activitySid) : undefined;
        if (!workspace || !row) return refuse('not-found', `Activity ${input.activitySid} was not found`);
        const name = checkFriendlyName(input.friendlyName);
        if (!name.ok) return name;
        const holder = await tx.one<{ sid: string }>('SELECT sid FROM activities WHERE workspace_sid = $1 AND friendly_name = $2', [input.workspaceSid, name.value]);
        if (holder && holder.sid !== row.sid) return refuse('conflict', `An activity named ${name.value} already exists`, 'FriendlyName');
        await tx.run('UPDATE activities SET friendly_name = $1, updated_at = $2 WHERE sid = $3', [name.value, tx.now, row.sid]);
        const after = await activityOf(tx, input.workspaceSid, row.sid);
        if (!after) throw new Error(`activity ${row.sid} vanished inside its own transaction`);
        return ok(await activityChange(tx, workspace, toActivity(after), 'activity.updated', input.actor));
      });
    },
    async deleteActivity(input) {
      return db.tx(async (tx): Promise<Result<AdminCommit<Activity>>> => {
        const workspace = await workspaceOf(tx, input.workspaceSid, true);
        const row = workspace ? await activityOf(tx, input.workspaceSid, input.activitySid, true) : undefined;
        if (!workspace || !row) return refuse('not-found', `Activity ${input.activitySid} was not found`);
        const activity = toActivity(row);
        const settings = await tx.one<SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = $1', [input.workspaceSid]);
        if (!settings) throw new Error(`store integrity: workspace ${input.workspaceSid} has no logout settings`);
        const allowed = checkActivityDeletion(activity, {
          workspace, settings: toSettings(settings),
          workersInActivity: (await tx.one<{ n: number }>('SELECT COUNT(*) AS n FROM workers WHERE activity_sid = $1', [activity.sid]))?.n ?? 0,
          queuesUsing: (await tx.rows<{ friendly_name: string }>(
            'SELECT friendly_name FROM task_queues WHERE reservation_activity_sid = $1 OR assignment_activity_sid = $1 ORDER BY created_at, seq', [activity.sid])).map((r) => r.friendly_name),
        });
        if (!allowed.ok) return allowed;
        // A worker moving into it meanwhile fails on the foreign key and is retried by nobody: the delete wins or fails whole.
        await tx.run('DELETE FROM activities WHERE sid = $1', [activity.sid]);
        return ok(await activityChange(tx, workspace, activity, 'activity.deleted', input.actor));
      });
    },
    async deleteWorker(request) {
      return db.tx(async (tx): Promise<Result<AdminCommit<Worker>>> => {
        const row = await lockWorker(tx, request.workerSid);
        if (!row || row.workspace_sid !== request.workspaceSid) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        if (request.ifMatchVersion !== undefined && request.ifMatchVersion !== row.version) {
          return refuse('version-mismatch', `Worker ${row.sid} is at version ${row.version}, not ${request.ifMatchVersion}`);
        }
        const worker = toWorker(row);
        const active = (await tx.one<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE worker_sid = $1 AND status IN ('pending', 'accepted', 'wrapping')", [row.sid]))?.n ?? 0;
        const allowed = checkWorkerDeletion(worker, active);
        if (!allowed.ok) return allowed;
        // Its worker channels and ended reservations go with it (ON DELETE CASCADE).
        await tx.run('DELETE FROM connections WHERE worker_sid = $1', [row.sid]);
        await tx.run('DELETE FROM deadlines WHERE worker_sid = $1', [row.sid]);
        await tx.run('UPDATE disconnect_episodes SET ended_at = $1 WHERE worker_sid = $2 AND ended_at IS NULL', [tx.now, row.sid]);
        await tx.run('DELETE FROM workers WHERE sid = $1', [row.sid]);
        const workspace = await workspaceOf(tx, request.workspaceSid);
        if (!workspace) throw new Error(`store integrity: workspace ${request.workspaceSid} is missing`);
        const event = workerEvent({ sid: newSid('event'), workspace, at: tx.now, actor: request.actor }, worker, 'worker.deleted');
        await recordEvent(tx, event);
        return ok({ value: worker, events: [event] });
      });
    },
    async pageWorkers(workspaceSid, filter, page) {
      const available = filter.available === undefined ? null : filter.available ? 1 : 0;
      const params = [workspaceSid, filter.activitySid ?? null, filter.activityName ?? null, available, filter.friendlyName ?? null];
      return pageOf<WorkerRow & { row_cursor: number }, Worker>(db.sql, page, params, (op, order) =>
        `SELECT w.seq AS row_cursor, ${WORKER_COLUMNS} ${WORKER_FROM} WHERE ${WORKER_FILTER} AND w.seq ${op} $6 ORDER BY w.seq ${order} LIMIT $7`, toWorker);
    },
    async pageEvents(workspaceSid, filter, page) {
      const data = filter.data === undefined || Object.keys(filter.data).length === 0 ? null : JSON.stringify(filter.data);
      const params = [workspaceSid, filter.eventTypes === undefined ? null : [...filter.eventTypes], filter.resourceSid ?? null, data, filter.startAt ?? null, filter.endAt ?? null];
      return pageOf<EventRow & { row_cursor: number }, WorkspaceEvent>(db.sql, page, params, (op, order) =>
        `SELECT seq AS row_cursor, * FROM events WHERE ${EVENT_FILTER} AND seq ${op} $7 ORDER BY seq ${order} LIMIT $8`, toEvent);
    },
    async findEvent(workspaceSid, sid) {
      const row = await db.sql.one<EventRow>('SELECT * FROM events WHERE workspace_sid = $1 AND sid = $2', [workspaceSid, sid]);
      return row ? toEvent(row) : null;
    },
    async activityLogWindow(workspaceSid, window) {
      const params = [workspaceSid, window.workerSid ?? null, window.startAt, window.endAt];
      // One statement, one snapshot: the entry at the start and those inside agree.
      const rows = await db.sql.rows<LogRow>(`SELECT id, workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at FROM (
          SELECT l.*, ROW_NUMBER() OVER (PARTITION BY l.worker_sid ORDER BY l.effective_at DESC, l.id DESC) AS rn
            FROM activity_log l WHERE ${LOG_SCOPE} AND l.effective_at <= $3) s WHERE rn = 1
        UNION ALL
        SELECT l.id, l.workspace_sid, l.worker_sid, l.from_activity_sid, l.to_activity_sid, l.cause, l.actor, l.evidence, l.effective_at, l.recorded_at
          FROM activity_log l WHERE ${LOG_SCOPE} AND l.effective_at > $3 AND l.effective_at < $4`, params);
      return rows.map(toLogEntry);
    },
    async reservationsByStatus(workspaceSid, window) {
      const rows = await db.sql.rows<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM reservations
        WHERE workspace_sid = $1 AND ($2::text IS NULL OR worker_sid = $2) AND created_at >= $3 AND created_at < $4 GROUP BY status`,
      [workspaceSid, window.workerSid ?? null, window.startAt, window.endAt]);
      return new Map(rows.map((r) => [r.status, r.n]));
    },
    async workersByActivity(workspaceSid, filter = {}) {
      const rows = await db.sql.rows<{ activity_sid: string; n: number }>(
        'SELECT activity_sid, COUNT(*) AS n FROM workers WHERE workspace_sid = $1 AND ($2::text IS NULL OR sid = $2) GROUP BY activity_sid', [workspaceSid, filter.workerSid ?? null]);
      return new Map(rows.map((r) => [r.activity_sid, r.n]));
    },
    async revokeApiKey(accountSid, sid) {
      return db.tx(async (tx): Promise<Result<ApiKey>> => {
        const row = await tx.one<ApiKeyRow>('UPDATE api_keys SET revoked_at = $1 WHERE account_sid = $2 AND sid = $3 AND revoked_at IS NULL RETURNING *', [tx.now, accountSid, sid]);
        return row ? ok(toApiKey(row)) : refuse('not-found', `API key ${sid} was not found`);
      });
    },
    async renameApiKey(accountSid, sid, friendlyName) {
      return db.tx(async (tx): Promise<Result<ApiKey>> => {
        const row = await tx.one<ApiKeyRow>('UPDATE api_keys SET friendly_name = $1 WHERE account_sid = $2 AND sid = $3 AND revoked_at IS NULL RETURNING *', [friendlyName, accountSid, sid]);
        return row ? ok(toApiKey(row)) : refuse('not-found', `API key ${sid} was not found`);
      });
    },
  };
}
