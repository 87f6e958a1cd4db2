/**
 * Tasks and reservations on PostgreSQL: create, update, delete, and reservation status changes.
 * Every verb is one transaction. Locks, always in this order: the worker's row (when a worker's
 * activity or offers change), then the task's row, which guards the task and its reservations.
 * The SQLite twin is store/sqlite/routing-tasks.ts.
 */
import { refuse, ok, type Result } from '../../core/errors.js';
import { initialPosition } from '../../core/routing.js';
import { DIRECT_QUEUE, canRequestReservationStatus, canRequestTaskStatus, type Reservation, type Task } from '../../core/routing-resources.js';
import { newSid } from '../../service/ids.js';
import type { PresenceCommit } from '../../service/ports.js';
import type { RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import { QUEUE_SELECT, RESERVATION_SELECT, TASK_SELECT, toReservation, toTask, type ReservationRow, type TaskQueueRow, type TaskRow } from '../routing-rows.js';
import type { PgDatabase, Tx } from './database.js';
import type { PgPresenceWriter } from './presence-writer.js';
import { cancelTask, commitOf, configOf, isMultiTask, moveWorker, place } from './routing-shared.js';
import { lockTask } from './routing-transfers.js';
import { newEffects, type PgRoutingWriter } from './routing-writer.js';

type TaskVerbs = Pick<RoutingStore, 'createTask' | 'findTask' | 'updateTask' | 'deleteTask' | 'listReservations' | 'findReservation' | 'updateReservation'>;

const TASK_IN = `${TASK_SELECT} WHERE t.workspace_sid = $1 AND t.sid = $2`;

const validJsonObject = (value: string): boolean => {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
};

export function createRoutingTasks(db: PgDatabase, presence: PgPresenceWriter, writer: PgRoutingWriter): TaskVerbs {
  const queueRow = (tx: Tx, sid: string) => tx.one<TaskQueueRow>(`${QUEUE_SELECT} WHERE q.sid = $1`, [sid]);
  const activityIn = (tx: Tx, workspaceSid: string, sid: string) => tx.one('SELECT 1 FROM activities WHERE workspace_sid = $1 AND sid = $2', [workspaceSid, sid]);

  return {
    async createTask(workspaceSid, input, _actor) {
      return db.tx(async (tx): Promise<Result<{ task: Task; commit: RoutingCommit }>> => {
        if (input.workflowSid === undefined) return refuse('invalid-parameter', 'WorkflowSid is required', 'WorkflowSid');
        const config = await configOf(tx, workspaceSid, input.workflowSid);
        if (!config) return refuse('invalid-parameter', `WorkflowSid ${input.workflowSid} is not a workflow of this workspace`, 'WorkflowSid');
        const attributes = input.attributes ?? '{}';
        if (!validJsonObject(attributes)) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
        const priority = input.priority ?? 0;
        if (!Number.isInteger(priority) || priority < 0 || priority > 2 ** 31 - 1) return refuse('invalid-parameter', 'Priority must be a whole number of at least 0', 'Priority');
        const timeoutS = input.timeoutS ?? 86_400;
        if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 365 * 86_400) return refuse('invalid-parameter', 'Timeout must be a whole number of seconds from 1 to 31536000', 'Timeout');
        const channelKey = input.taskChannel ?? 'default';
        const channel = await tx.one<{ sid: string }>('SELECT sid FROM task_channels WHERE workspace_sid = $1 AND (sid = $2 OR unique_name = $2)', [workspaceSid, channelKey]);
        if (!channel) return refuse('invalid-parameter', `TaskChannel ${channelKey} is not a task channel of this workspace`, 'TaskChannel');
        const direct = input.taskQueueSid === undefined ? null : await queueRow(tx, input.taskQueueSid);
        if (direct === undefined || (direct && direct.workspace_sid !== workspaceSid)) return refuse('invalid-parameter', `TaskQueueSid ${input.taskQueueSid ?? ''} is not a task queue of this workspace`, 'TaskQueueSid');
        if (input.routingTarget !== undefined && !(await tx.one('SELECT 1 FROM workers WHERE workspace_sid = $1 AND sid = $2', [workspaceSid, input.routingTarget]))) {
          return refuse('invalid-parameter', `RoutingTarget ${input.routingTarget} is not a worker of this workspace`, 'RoutingTarget');
        }
        const at = tx.now;
        if (input.virtualStartAt !== undefined && input.virtualStartAt > at) return refuse('invalid-parameter', `VirtualStartTime ${new Date(input.virtualStartAt).toISOString()} is in the future; it may not be later than now`, 'VirtualStartTime');
        const sid = newSid('task');
        const position = direct ? null : initialPosition(config, JSON.parse(attributes) as Record<string, unknown>);
        await tx.run(`INSERT INTO tasks (sid, workspace_sid, workflow_sid, queue_sid, task_channel_sid, attributes, priority, timeout_s, assignment_status, reason,
          filter_index, target_index, target_since, target_due_at, expires_at, excluded_workers, version, created_at, updated_at, routing_target, virtual_start_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', NULL, $9, 0, $10, NULL, $11, '[]', 1, $10, $10, $12, $13)`,
        [sid, workspaceSid, input.workflowSid, direct?.sid ?? null, channel.sid, attributes, priority, timeoutS, direct ? DIRECT_QUEUE : -1, at, at + timeoutS * 1000,
          input.routingTarget ?? null, input.virtualStartAt ?? null]);
        const effects = newEffects();
        const created = await writer.taskNow(tx, sid);
        if (position) await place(tx, created, config, position);
        else if (!direct) await cancelTask(tx, writer, created, 'No filter of the workflow matched the task, and it has no default filter', effects);
        const task = await writer.taskNow(tx, sid);
        await writer.announceTask(tx, task, 'task.created', effects);
        if (task.queueSid) await writer.announceTask(tx, task, 'task-queue.entered', effects);
        return ok({ task, commit: await commitOf(tx, writer, effects) });
      });
    },
    async findTask(workspaceSid, sid) {
      const row = await db.sql.one<TaskRow>(TASK_IN, [workspaceSid, sid]);
      return row ? toTask(row) : null;
    },
    async updateTask(workspaceSid, sid, update) {
      return db.tx(async (tx): Promise<Result<{ task: Task; commit: RoutingCommit }>> => {
        await lockTask(tx, sid);
        const row = await tx.one<TaskRow>(TASK_IN, [workspaceSid, sid]);
        if (!row) return refuse('not-found', `Task ${sid} was not found`);
        const task = toTask(row);
        if (update.ifMatchVersion !== undefined && update.ifMatchVersion !== task.version) return refuse('version-mismatch', `Task ${sid} is at version ${task.version}, not ${update.ifMatchVersion}`);
        if (update.attributes !== undefined && !validJsonObject(update.attributes)) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
        if (update.priority !== undefined && (!Number.isInteger(update.priority) || update.priority < 0)) return refuse('invalid-parameter', 'Priority must be a whole number of at least 0', 'Priority');
        const to = update.assignmentStatus;
        if (to !== undefined && to !== task.assignmentStatus && !canRequestTaskStatus(task.assignmentStatus, to)) {
          return refuse('invalid-parameter', `AssignmentStatus cannot change from ${task.assignmentStatus} to ${to}`, 'AssignmentStatus');
        }
        const at = tx.now;
        if (update.virtualStartAt !== undefined && update.virtualStartAt > at) {
          return refuse('invalid-parameter', `VirtualStartTime ${new Date(update.virtualStartAt).toISOString()} is in the future; it may not be later than now`, 'VirtualStartTime');
        }
        const effects = newEffects();
        if (update.virtualStartAt !== undefined) await tx.run('UPDATE tasks SET virtual_start_at = $1, version = version + 1, updated_at = $2 WHERE sid = $3', [update.virtualStartAt, at, sid]);
        if (update.attributes !== undefined || update.priority !== undefined) {
          await tx.run('UPDATE tasks SET attributes = $1, priority = $2, version = version + 1, updated_at = $3 WHERE sid = $4',
            [update.attributes ?? task.attributes, update.priority ?? task.priority, at, sid]);
        }
        if (to === 'canceled' && task.assignmentStatus !== 'canceled') await cancelTask(tx, writer, task, update.reason ?? 'canceled', effects);
        else if ((to === 'wrapping' || to === 'completed') && to !== task.assignmentStatus) {
          await tx.run('UPDATE tasks SET assignment_status = $1, reason = $2, version = version + 1, updated_at = $3 WHERE sid = $4', [to, update.reason ?? task.reason, at, sid]);
          await writer.announceTask(tx, await writer.taskNow(tx, sid), to === 'completed' ? 'task.completed' : 'task.wrapup', effects);
          for (const r of await writer.activeReservationsOfTask(tx, sid)) if (r.status !== 'pending' && r.status !== to) await writer.setReservationStatus(tx, r, to, effects);
        } else if (update.attributes !== undefined || update.priority !== undefined || update.virtualStartAt !== undefined) {
          await writer.announceTask(tx, await writer.taskNow(tx, sid), 'task.updated', effects);
        }
        return ok({ task: await writer.taskNow(tx, sid), commit: await commitOf(tx, writer, effects) });
      });
    },
    async deleteTask(workspaceSid, sid, ifMatchVersion) {
      return db.tx(async (tx): Promise<Result<RoutingCommit>> => {
        await lockTask(tx, sid);
        const row = await tx.one<TaskRow>(TASK_IN, [workspaceSid, sid]);
        if (!row) return refuse('not-found', `Task ${sid} was not found`);
        if (ifMatchVersion !== undefined && ifMatchVersion !== row.version) return refuse('version-mismatch', `Task ${sid} is at version ${row.version}, not ${ifMatchVersion}`);
        const effects = newEffects();
        await writer.announceTask(tx, toTask(row), 'task.deleted', effects);
        // As Twilio does: a pending offer is canceled, an accepted (or wrapping) one is completed.
        for (const r of await writer.activeReservationsOfTask(tx, sid)) await writer.setReservationStatus(tx, r, r.status === 'pending' ? 'canceled' : 'completed', effects);
        await tx.run('DELETE FROM reservations WHERE task_sid = $1', [sid]);
        await tx.run('DELETE FROM tasks WHERE sid = $1', [sid]);
        // With the task gone, its pushes carry the task as each was announced (as on SQLite).
        return ok(await commitOf(tx, writer, effects));
      });
    },

    async listReservations(workspaceSid, filter) {
      const rows = await db.sql.rows<ReservationRow>(`${RESERVATION_SELECT} WHERE r.workspace_sid = $1 AND ($2::text IS NULL OR r.task_sid = $2)
        AND ($3::text IS NULL OR r.worker_sid = $3) AND ($4::text IS NULL OR r.status = $4) AND ($5 = 0 OR r.status IN ('pending', 'accepted', 'wrapping'))
        ORDER BY r.created_at, r.seq`, [workspaceSid, filter.taskSid ?? null, filter.workerSid ?? null, filter.status ?? null, filter.active ? 1 : 0]);
      return rows.map(toReservation);
    },
    async findReservation(workspaceSid, sid) {
      const row = await db.sql.one<ReservationRow>(`${RESERVATION_SELECT} WHERE r.workspace_sid = $1 AND r.sid = $2`, [workspaceSid, sid]);
      return row ? toReservation(row) : null;
    },
    async updateReservation(update) {
      return db.tx(async (tx): Promise<Result<{ reservation: Reservation; commit: RoutingCommit }>> => {
        const seen = await writer.reservation(tx, update.reservationSid);
        if (!seen || seen.workspaceSid !== update.workspaceSid) return refuse('not-found', `Reservation ${update.reservationSid} was not found`);
        // A reservation's worker and task never change: lock them in the order every verb uses, then read it again.
        await tx.one('SELECT 1 FROM workers WHERE sid = $1 FOR UPDATE', [seen.workerSid]);
        await lockTask(tx, seen.taskSid);
        const reservation = await writer.reservation(tx, update.reservationSid);
        if (!reservation) return refuse('not-found', `Reservation ${update.reservationSid} was not found`);
        if (update.workerSid !== undefined && reservation.workerSid !== update.workerSid) return refuse('not-found', `Reservation ${update.reservationSid} is not a reservation of worker ${update.workerSid}`);
        if (update.taskSid !== undefined && reservation.taskSid !== update.taskSid) return refuse('not-found', `Reservation ${update.reservationSid} is not a reservation of task ${update.taskSid}`);
        if (update.ifMatchVersion !== undefined && update.ifMatchVersion !== reservation.version) return refuse('version-mismatch', `Reservation ${reservation.sid} is at version ${reservation.version}, not ${update.ifMatchVersion}`);
        if (!canRequestReservationStatus(reservation.status, update.status)) {
          return refuse('invalid-parameter', `ReservationStatus cannot change from ${reservation.status} to ${update.status}`, 'ReservationStatus');
        }
        if (update.workerActivitySid !== undefined && !(await activityIn(tx, update.workspaceSid, update.workerActivitySid))) {
          return refuse('invalid-parameter', `WorkerActivitySid ${update.workerActivitySid} is not an activity of this workspace`, 'WorkerActivitySid');
        }
        const effects = newEffects();
        const moved: PresenceCommit[] = [];
        const task = await writer.taskNow(tx, reservation.taskSid);
        const after = await writer.setReservationStatus(tx, reservation, update.status, effects);
        if (update.status === 'accepted') {
          for (const other of await writer.activeReservationsOfTask(tx, task.sid)) if (other.sid !== after.sid && other.status === 'pending') await writer.setReservationStatus(tx, other, 'canceled', effects);
          await tx.run("UPDATE tasks SET assignment_status = 'assigned', target_due_at = NULL, version = version + 1, updated_at = $1 WHERE sid = $2", [tx.now, task.sid]);
          const queue = task.queueSid ? await queueRow(tx, task.queueSid) : undefined;
          // Multi-tasking leaves the worker's activity alone as it takes tasks (Twilio's documented behaviour).
          if (queue?.assignment_activity_sid && update.workerActivitySid === undefined && !(await isMultiTask(tx, update.workspaceSid))) {
            await moveWorker(tx, presence, reservation.workerSid, queue.assignment_activity_sid, 'routing', 'rollcall', moved);
          }
          await writer.transferHooks.accepted(tx, after, effects);
        } else if (update.status === 'rejected') {
          await writer.returnToQueue(tx, after, 'rejected', effects);
        } else if (!(await writer.activeReservationsOfTask(tx, task.sid)).some((r) => r.sid !== after.sid)) {
          // The task follows its holder's reservation; a transfer's initiator wrapping up leaves the new holder's task alone.
          await tx.run("UPDATE tasks SET assignment_status = $1, version = version + 1, updated_at = $2 WHERE sid = $3 AND assignment_status IN ('assigned', 'wrapping')",
            [update.status === 'completed' ? 'completed' : 'wrapping', tx.now, task.sid]);
        }
        if (update.workerActivitySid !== undefined) {
          await moveWorker(tx, presence, reservation.workerSid, update.workerActivitySid, update.actor.startsWith('WK') ? 'agent' : 'api', update.actor, moved);
        }
        const final = await writer.reservation(tx, after.sid);
        if (!final) throw new Error(`reservation ${after.sid} vanished inside its own transaction`);
        return ok({ reservation: final, commit: await commitOf(tx, writer, effects, moved) });
      });
    },
  };
}
