/**
 * A worker change asked for by one request — name, attributes and activity together — as one
 * PostgreSQL transaction. The worker's row is locked first and every check runs before the first
 * write, so a request refused in any part changes nothing, and one accepted lands whole.
 */
import { checkFriendlyName } from '../../core/activities.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { workerEvent } from '../../core/events.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type { PresenceCommit, Store, WorkerChangeRequest } from '../../service/ports.js';
import { WORKER_SELECT } from '../sqlite/presence-writer.js';
import { toWorker, toWorkspace, type ActivityRow, type WorkerRow, type WorkspaceRow } from '../sqlite/rows.js';
import type { PgDatabase, Tx } from './database.js';
import { recordEvent } from './event-log.js';
import { lockWorker, type PgPresenceWriter } from './presence-writer.js';

const readWorker = async (tx: Tx, sid: string) => {
  const row = await tx.one<WorkerRow>(`${WORKER_SELECT} WHERE w.sid = $1`, [sid]);
  if (!row) throw new Error(`worker ${sid} vanished inside its own transaction`);
  return toWorker(row);
};

/** Everything the change could refuse, read under the lock; nothing written yet. */
async function check(tx: Tx, request: WorkerChangeRequest, row: WorkerRow): Promise<Result<{ name?: string; activity?: ActivityRow }>> {
  if (request.ifMatchVersion !== undefined && request.ifMatchVersion !== row.version) {
    return refuse('version-mismatch', `Worker ${row.sid} is at version ${row.version}, not ${request.ifMatchVersion}`);
  }
  let name: string | undefined;
  if (request.friendlyName !== undefined) {
    const checked = checkFriendlyName(request.friendlyName);
    if (!checked.ok) return checked;
    const holder = await tx.one<{ sid: string }>('SELECT sid FROM workers WHERE workspace_sid = $1 AND friendly_name = $2', [request.workspaceSid, checked.value]);
    if (holder && holder.sid !== row.sid) return refuse('conflict', `A worker named ${checked.value} already exists`, 'FriendlyName');
    name = checked.value;
  }
  if (request.activity === undefined) return ok({ name });
  const activity = await tx.one<ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = $1 AND a.sid = $2',
    [request.workspaceSid, request.activity.activitySid]);
  if (!activity) return refuse('invalid-parameter', `ActivitySid ${request.activity.activitySid} is not an activity of this workspace`, 'ActivitySid');
  if (request.activity.rejectPendingReservations && activity.available === 1) {
    return refuse('invalid-parameter', 'RejectPendingReservations is only allowed when moving to an unavailable activity', 'RejectPendingReservations');
  }
  return ok({ name, activity });
}

export function createWorkerChange(db: PgDatabase, writer: PgPresenceWriter): Pick<Store, 'changeWorker'> {
  return {
    async changeWorker(request) {
      return db.tx(async (tx): Promise<Result<PresenceCommit>> => {
        const row = await lockWorker(tx, request.workerSid);
        if (!row || row.workspace_sid !== request.workspaceSid) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        const checked = await check(tx, request, row);
        if (!checked.ok) return checked;
        const { name, activity } = checked.value;
        const events: WorkspaceEvent[] = [];
        if (name !== undefined && name !== row.friendly_name) {
          await tx.run('UPDATE workers SET friendly_name = $1, version = version + 1, updated_at = $2 WHERE sid = $3', [name, tx.now, row.sid]);
        }
        if (request.attributes !== undefined) {
          await tx.run('UPDATE workers SET attributes = $1, version = version + 1, updated_at = $2 WHERE sid = $3', [request.attributes, tx.now, row.sid]);
          const workspace = await tx.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1', [request.workspaceSid]);
          if (!workspace) throw new Error(`store integrity: workspace ${request.workspaceSid} is missing`);
          const event = workerEvent({ sid: newSid('event'), workspace: toWorkspace(workspace), at: tx.now, actor: request.actor }, await readWorker(tx, row.sid), 'worker.attributes.update');
          await recordEvent(tx, event);
          events.push(event);
        }
        if (activity === undefined || request.activity === undefined) return ok({ worker: await readWorker(tx, row.sid), outputs: [], events });
        // The row read under the lock is still the worker's unless this transaction changed it above.
        const unchanged = (name === undefined || name === row.friendly_name) && request.attributes === undefined;
        const commit = await writer.run(tx, row.sid, {
          type: 'activity-set', at: tx.now, activity: { sid: activity.sid, available: activity.available === 1 },
          cause: request.activity.cause, actor: request.actor, rejectPendingReservations: request.activity.rejectPendingReservations,
        }, null, unchanged ? row : null);
        if (!commit) throw new Error(`worker ${row.sid} vanished inside its own transaction`);
        return ok({ ...commit, events: [...events, ...commit.events] });
      });
    },
  };
}
