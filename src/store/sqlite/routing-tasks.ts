/**
 * Tasks and reservations on SQLite: create, read, update and delete, each one IMMEDIATE
 * transaction. The routing loop's verbs are in routing-decisions.ts.
 */
import { parseJsonObject } from '../../core/json-object.js';
import type BetterSqlite3 from 'better-sqlite3';
import { parseActor } from '../../core/actor.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { initialPosition } from '../../core/routing.js';
import { DIRECT_QUEUE, canRequestReservationStatus, canRequestTaskStatus, type Reservation, type Task } from '../../core/routing-resources.js';
import { newSid } from '../../service/ids.js';
import type { Clock, PresenceCommit } from '../../service/ports.js';
import type { RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import type { PresenceWriter } from './presence-writer.js';
import { RESERVATION_SELECT, toReservation, toTask, type ReservationRow } from '../routing-rows.js';
import { newEffects, type RoutingWriter } from './routing-writer.js';
import { writeTx } from './transaction.js';
import { routingTaskKit } from './routing-task-kit.js';

type TaskVerbs = Pick<RoutingStore,
  | 'createTask' | 'findTask' | 'updateTask' | 'deleteTask' | 'listReservations' | 'findReservation' | 'updateReservation'>;

export function createRoutingTasks(db: BetterSqlite3.Database, clock: Clock, presence: PresenceWriter, writer: RoutingWriter): TaskVerbs {
  const { prepare, q, isMultiTask, commitOf, configOf, moveWorker, place, cancelTask } = routingTaskKit(db, presence, writer);
  return {
    async createTask(workspaceSid, input, _actor) {
      return writeTx(db, (): Result<{ task: Task; commit: RoutingCommit }> => {
        if (input.workflowSid === undefined) return refuse('invalid-parameter', 'WorkflowSid is required', 'WorkflowSid');
        const config = configOf(workspaceSid, input.workflowSid);
        if (!config) return refuse('invalid-parameter', `WorkflowSid ${input.workflowSid} is not a workflow of this workspace`, 'WorkflowSid');
        const attributes = input.attributes ?? '{}';
        if (parseJsonObject(attributes) === null) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
        const priority = input.priority ?? 0;
        if (!Number.isInteger(priority) || priority < 0 || priority > 2 ** 31 - 1) return refuse('invalid-parameter', 'Priority must be a whole number of at least 0', 'Priority');
        const timeoutS = input.timeoutS ?? 86_400;
        if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 365 * 86_400) return refuse('invalid-parameter', 'Timeout must be a whole number of seconds from 1 to 31536000', 'Timeout');
        const channelKey = input.taskChannel ?? 'default';
        const channel = q.channel.get(workspaceSid, channelKey, channelKey);
        if (!channel) return refuse('invalid-parameter', `TaskChannel ${channelKey} is not a task channel of this workspace`, 'TaskChannel');
        const direct = input.taskQueueSid === undefined ? null : q.queue.get(input.taskQueueSid);
        if (direct === undefined || (direct && direct.workspace_sid !== workspaceSid)) return refuse('invalid-parameter', `TaskQueueSid ${input.taskQueueSid ?? ''} is not a task queue of this workspace`, 'TaskQueueSid');
        if (input.routingTarget !== undefined && !q.workerIn.get(workspaceSid, input.routingTarget)) return refuse('invalid-parameter', `RoutingTarget ${input.routingTarget} is not a worker of this workspace`, 'RoutingTarget');
        const at = clock.now();
        if (input.virtualStartAt !== undefined && input.virtualStartAt > at) return refuse('invalid-parameter', `VirtualStartTime ${new Date(input.virtualStartAt).toISOString()} is in the future; it may not be later than now`, 'VirtualStartTime');
        const sid = newSid('task');
        const position = direct ? null : initialPosition(config, JSON.parse(attributes) as Record<string, unknown>);
        prepare(`INSERT INTO tasks (sid, workspace_sid, workflow_sid, queue_sid, task_channel_sid, attributes, priority, timeout_s, assignment_status, reason,
          filter_index, target_index, target_since, target_due_at, expires_at, excluded_workers, version, created_at, updated_at, routing_target, virtual_start_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?, 0, ?, NULL, ?, '[]', 1, ?, ?, ?, ?)`)
          .run(sid, workspaceSid, input.workflowSid, direct?.sid ?? null, channel.sid, attributes, priority, timeoutS, direct ? DIRECT_QUEUE : -1, at, at + timeoutS * 1000, at, at,
            input.routingTarget ?? null, input.virtualStartAt ?? null);
        const effects = newEffects();
        const created = writer.task(sid) as Task;
        if (position) place(created, config, position, at);
        else if (!direct) cancelTask(created, 'No filter of the workflow matched the task, and it has no default filter', at, effects);
        const task = writer.task(sid) as Task;
        writer.announceTask(task, 'task.created', at, effects);
        if (task.queueSid) writer.announceTask(task, 'task-queue.entered', at, effects);
        return ok({ task, commit: commitOf(effects) });
      });
    },
    async findTask(workspaceSid, sid) {
      const row = q.task.get(workspaceSid, sid);
      return row ? toTask(row) : null;
    },
    async updateTask(workspaceSid, sid, update) {
      return writeTx(db, (): Result<{ task: Task; commit: RoutingCommit }> => {
        const row = q.task.get(workspaceSid, sid);
        if (!row) return refuse('not-found', `Task ${sid} was not found`);
        const task = toTask(row);
        if (update.ifMatchVersion !== undefined && update.ifMatchVersion !== task.version) return refuse('version-mismatch', `Task ${sid} is at version ${task.version}, not ${update.ifMatchVersion}`);
        if (update.attributes !== undefined && parseJsonObject(update.attributes) === null) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
        if (update.priority !== undefined && (!Number.isInteger(update.priority) || update.priority < 0)) return refuse('invalid-parameter', 'Priority must be a whole number of at least 0', 'Priority');
        const to = update.assignmentStatus;
        if (to !== undefined && to !== task.assignmentStatus && !canRequestTaskStatus(task.assignmentStatus, to)) {
          return refuse('invalid-parameter', `AssignmentStatus cannot change from ${task.assignmentStatus} to ${to}`, 'AssignmentStatus');
        }
        const at = clock.now();
        if (update.virtualStartAt !== undefined && update.virtualStartAt > at) {
          return refuse('invalid-parameter', `VirtualStartTime ${new Date(update.virtualStartAt).toISOString()} is in the future; it may not be later than now`, 'VirtualStartTime');
        }
        const effects = newEffects();
        if (update.virtualStartAt !== undefined) prepare('UPDATE tasks SET virtual_start_at = ?, version = version + 1, updated_at = ? WHERE sid = ?').run(update.virtualStartAt, at, sid);
        if (update.attributes !== undefined || update.priority !== undefined) {
          prepare('UPDATE tasks SET attributes = ?, priority = ?, version = version + 1, updated_at = ? WHERE sid = ?')
            .run(update.attributes ?? task.attributes, update.priority ?? task.priority, at, sid);
        }
        if (to === 'canceled' && task.assignmentStatus !== 'canceled') cancelTask(task, update.reason ?? 'canceled', at, effects);
        else if ((to === 'wrapping' || to === 'completed') && to !== task.assignmentStatus) {
          prepare('UPDATE tasks SET assignment_status = ?, reason = ?, version = version + 1, updated_at = ? WHERE sid = ?').run(to, update.reason ?? task.reason, at, sid);
          writer.announceTask(writer.task(sid) as Task, to === 'completed' ? 'task.completed' : 'task.wrapup', at, effects);
          for (const r of writer.activeReservationsOfTask(sid)) if (r.status !== 'pending' && r.status !== to) writer.setReservationStatus(r, to, at, effects);
        } else if (update.attributes !== undefined || update.priority !== undefined || update.virtualStartAt !== undefined) {
          writer.announceTask(writer.task(sid) as Task, 'task.updated', at, effects);
        }
        return ok({ task: writer.task(sid) as Task, commit: commitOf(effects) });
      });
    },
    async deleteTask(workspaceSid, sid, ifMatchVersion) {
      return writeTx(db, (): Result<RoutingCommit> => {
        const row = q.task.get(workspaceSid, sid);
        if (!row) return refuse('not-found', `Task ${sid} was not found`);
        if (ifMatchVersion !== undefined && ifMatchVersion !== row.version) return refuse('version-mismatch', `Task ${sid} is at version ${row.version}, not ${ifMatchVersion}`);
        const at = clock.now();
        const effects = newEffects();
        writer.announceTask(toTask(row), 'task.deleted', at, effects);
        // As Twilio does: a pending offer is canceled, an accepted (or wrapping) one is completed.
        for (const r of writer.activeReservationsOfTask(sid)) writer.setReservationStatus(r, r.status === 'pending' ? 'canceled' : 'completed', at, effects);
        prepare('DELETE FROM reservations WHERE task_sid = ?').run(sid);
        prepare('DELETE FROM tasks WHERE sid = ?').run(sid);
        return ok(commitOf(effects));
      });
    },

    async listReservations(workspaceSid, filter) {
      const rows = prepare<[string, string | null, string | null, string | null, string | null, string | null, string | null, number], ReservationRow>(
        `${RESERVATION_SELECT} WHERE r.workspace_sid = ? AND (? IS NULL OR r.task_sid = ?) AND (? IS NULL OR r.worker_sid = ?) AND (? IS NULL OR r.status = ?)
         AND (? = 0 OR r.status IN ('pending', 'accepted', 'wrapping')) ORDER BY r.created_at, r.rowid`,
      ).all(workspaceSid, filter.taskSid ?? null, filter.taskSid ?? null, filter.workerSid ?? null, filter.workerSid ?? null, filter.status ?? null, filter.status ?? null, filter.active ? 1 : 0);
      return rows.map(toReservation);
    },
    async findReservation(workspaceSid, sid) {
      const r = writer.reservation(sid);
      return r && r.workspaceSid === workspaceSid ? r : null;
    },
    async updateReservation(update) {
      return writeTx(db, (): Result<{ reservation: Reservation; commit: RoutingCommit }> => {
        const reservation = writer.reservation(update.reservationSid);
        if (!reservation || reservation.workspaceSid !== update.workspaceSid) return refuse('not-found', `Reservation ${update.reservationSid} was not found`);
        if (update.workerSid !== undefined && reservation.workerSid !== update.workerSid) return refuse('not-found', `Reservation ${update.reservationSid} is not a reservation of worker ${update.workerSid}`);
        if (update.taskSid !== undefined && reservation.taskSid !== update.taskSid) return refuse('not-found', `Reservation ${update.reservationSid} is not a reservation of task ${update.taskSid}`);
        if (update.ifMatchVersion !== undefined && update.ifMatchVersion !== reservation.version) return refuse('version-mismatch', `Reservation ${reservation.sid} is at version ${reservation.version}, not ${update.ifMatchVersion}`);
        if (!canRequestReservationStatus(reservation.status, update.status)) {
          return refuse('invalid-parameter', `ReservationStatus cannot change from ${reservation.status} to ${update.status}`, 'ReservationStatus');
        }
        if (update.workerActivitySid !== undefined && !q.activity.get(update.workspaceSid, update.workerActivitySid)) {
          return refuse('invalid-parameter', `WorkerActivitySid ${update.workerActivitySid} is not an activity of this workspace`, 'WorkerActivitySid');
        }
        const at = clock.now();
        const effects = newEffects();
        const moved: PresenceCommit[] = [];
        const task = writer.task(reservation.taskSid) as Task;
        const after = writer.setReservationStatus(reservation, update.status, at, effects);
        if (update.status === 'accepted') {
          for (const other of writer.activeReservationsOfTask(task.sid)) if (other.sid !== after.sid && other.status === 'pending') writer.setReservationStatus(other, 'canceled', at, effects);
          prepare("UPDATE tasks SET assignment_status = 'assigned', target_due_at = NULL, version = version + 1, updated_at = ? WHERE sid = ?").run(at, task.sid);
          const queue = task.queueSid ? q.queue.get(task.queueSid) : undefined;
          // Multi-tasking leaves the worker's activity alone as it takes tasks (Twilio's documented behaviour).
          if (queue?.assignment_activity_sid && update.workerActivitySid === undefined && !isMultiTask(update.workspaceSid)) moveWorker(reservation.workerSid, queue.assignment_activity_sid, 'routing', 'rollcall', at, moved);
          writer.transferHooks.accepted(after, at, effects);
        } else if (update.status === 'rejected') {
          writer.returnToQueue(after, 'rejected', at, effects);
        } else if (!writer.activeReservationsOfTask(task.sid).some((r) => r.sid !== after.sid)) {
          // The task follows its holder's reservation; a transfer's initiator wrapping up leaves the new holder's task alone.
          prepare('UPDATE tasks SET assignment_status = ?, version = version + 1, updated_at = ? WHERE sid = ? AND assignment_status IN (\'assigned\', \'wrapping\')')
            .run(update.status === 'completed' ? 'completed' : 'wrapping', at, task.sid);
        }
        if (update.workerActivitySid !== undefined) moveWorker(reservation.workerSid, update.workerActivitySid, parseActor(update.actor).type === 'worker' ? 'agent' : 'api', update.actor, at, moved);
        return ok({ reservation: writer.reservation(after.sid) as Reservation, commit: commitOf(effects, moved) });
      });
    },
  };
}
