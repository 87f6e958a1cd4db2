/**
 * A worker change asked for by one request — name, attributes and activity together — as one
 * IMMEDIATE transaction. Every check runs under the worker's row before the first write, so a
 * request that is refused in any part changes nothing, and one that is accepted lands whole.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { checkFriendlyName } from '../../core/activities.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { workerEvent } from '../../core/events.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type { Clock, PresenceCommit, Store, WorkerChangeRequest } from '../../service/ports.js';
import { WORKER_SELECT, type PresenceWriter } from './presence-writer.js';
import { toWorker, toWorkspace, type ActivityRow, type WorkerRow, type WorkspaceRow } from './rows.js';
import { writeTx } from './transaction.js';

export function createWorkerChange(db: BetterSqlite3.Database, clock: Clock, writer: PresenceWriter): Pick<Store, 'changeWorker'> {
  const q = {
    worker: db.prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.sid = ?`),
    workerNamed: db.prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND friendly_name = ?'),
    activity: db.prepare<[string, string], ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = ? AND a.sid = ?'),
    workspace: db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
    rename: db.prepare<[string, number, string]>('UPDATE workers SET friendly_name = ?, version = version + 1, updated_at = ? WHERE sid = ?'),
    attributes: db.prepare<[string, number, string]>('UPDATE workers SET attributes = ?, version = version + 1, updated_at = ? WHERE sid = ?'),
  };

  /** Everything the change could refuse, read under the transaction; nothing written yet. */
  const check = (request: WorkerChangeRequest, row: WorkerRow): Result<{ name?: string; activity?: ActivityRow }> => {
    if (request.ifMatchVersion !== undefined && request.ifMatchVersion !== row.version) {
      return refuse('version-mismatch', `Worker ${row.sid} is at version ${row.version}, not ${request.ifMatchVersion}`);
    }
    let name: string | undefined;
    if (request.friendlyName !== undefined) {
      const checked = checkFriendlyName(request.friendlyName);
      if (!checked.ok) return checked;
      const holder = q.workerNamed.get(request.workspaceSid, checked.value);
      if (holder && holder.sid !== row.sid) return refuse('conflict', `A worker named ${checked.value} already exists`, 'FriendlyName');
      name = checked.value;
    }
    if (request.activity === undefined) return ok({ name });
    const activity = q.activity.get(request.workspaceSid, request.activity.activitySid);
    if (!activity) return refuse('invalid-parameter', `ActivitySid ${request.activity.activitySid} is not an activity of this workspace`, 'ActivitySid');
    if (request.activity.rejectPendingReservations && activity.available === 1) {
      return refuse('invalid-parameter', 'RejectPendingReservations is only allowed when moving to an unavailable activity', 'RejectPendingReservations');
    }
    return ok({ name, activity });
  };

  return {
    async changeWorker(request) {
      return writeTx(db, (): Result<PresenceCommit> => {
        const row = q.worker.get(request.workspaceSid, request.workerSid);
        if (!row) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        const checked = check(request, row);
        if (!checked.ok) return checked;
        const { name, activity } = checked.value;
        const at = clock.now();
        const events: WorkspaceEvent[] = [];
        if (name !== undefined && name !== row.friendly_name) q.rename.run(name, at, row.sid);
        if (request.attributes !== undefined) {
          q.attributes.run(request.attributes, at, row.sid);
          const worker = toWorker(q.worker.get(request.workspaceSid, row.sid) as WorkerRow);
          const workspace = toWorkspace(q.workspace.get(request.workspaceSid) as WorkspaceRow);
          const event = workerEvent({ sid: newSid('event'), workspace, at, actor: request.actor }, worker, 'worker.attributes.update');
          writer.recordEvent(event);
          events.push(event);
        }
        if (activity === undefined || request.activity === undefined) {
          return ok({ worker: toWorker(q.worker.get(request.workspaceSid, row.sid) as WorkerRow), outputs: [], events });
        }
        const commit = writer.run(row.sid, at, {
          type: 'activity-set', at, activity: { sid: activity.sid, available: activity.available === 1 },
          cause: request.activity.cause, actor: request.actor, rejectPendingReservations: request.activity.rejectPendingReservations,
        });
        if (!commit) throw new Error(`worker ${row.sid} vanished inside its own transaction`);
        return ok({ ...commit, events: [...events, ...commit.events] });
      });
    },
  };
}
