/**
 * Tasks and reservations on SQLite. Every verb is one IMMEDIATE transaction. `reserve` re-checks
 * the routing decision under the worker's row, so an offer is never written after the worker's
 * logout committed (SQLite has one writer; the logout and the offer are ordered).
 */
import { parseJsonObject } from '../../core/json-object.js';
import type BetterSqlite3 from 'better-sqlite3';
import { parseActor } from '../../core/actor.js';
import { refuse, refuseBecause, ok, type Result } from '../../core/errors.js';
import { BoundedCache } from '../../core/bounded-cache.js';
import { parseExpression } from '../../core/expressions.js';
import type { ActivityCause } from '../../core/presence.js';
import { canTake, initialPosition, matches, routingStep, type CandidateWorker } from '../../core/routing.js';
import { DIRECT_QUEUE, offerTarget, canRequestReservationStatus, canRequestTaskStatus, type Reservation, type Task } from '../../core/routing-resources.js';
import { nextPosition, parseWorkflowConfig, targetAt, type RoutingPosition, type WorkflowConfig } from '../../core/workflow-config.js';
import { newSid } from '../../service/ids.js';
import type { Clock, PresenceCommit } from '../../service/ports.js';
import type { RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import type { PresenceWriter } from './presence-writer.js';
import {
  QUEUE_SELECT, RESERVATION_SELECT, TASK_SELECT, WORKER_CHANNEL_SELECT, WORKFLOW_SELECT, toReservation, toTask, toTaskQueue,
  type ReservationRow, type TaskQueueRow, type TaskRow, type WorkerChannelRow, type WorkflowRow,
} from './routing-rows.js';
import { cachedPrepare } from './statement-cache.js';
import { newEffects, type RoutingEffects, type RoutingWriter } from './routing-writer.js';
import { writeTx } from './transaction.js';

type TaskVerbs = Pick<RoutingStore,
  | 'createTask' | 'findTask' | 'updateTask' | 'deleteTask' | 'listReservations' | 'findReservation' | 'updateReservation'
  | 'routingWorkspaces' | 'routingCandidates' | 'routingCandidate' | 'pendingTasks' | 'skipTarget' | 'reserve'
  | 'nextRoutingDueAt' | 'claimRoutingDue'>;

interface CandidateRow { sid: string; attributes: string; activity_available: number; status_changed_at: number; presence: string; connections: number }

const TTL_REASON = 'Task TTL Exceeded';

// Parsing is pure, so results are kept by source text: a burst of offers parses each workflow and
// TargetWorkers once, not once per reservation. Sources are few (one per workflow and queue); the
// caches are bounded anyway, since every edit of a workflow or queue brings a new text.
const configs = new BoundedCache<string, WorkflowConfig | null>(1000);
const expressions = new BoundedCache<string, ReturnType<typeof parseExpression>>(1000);
function parsedConfig(source: string): WorkflowConfig | null {
  return configs.get(source, (text) => {
    const parsed = parseWorkflowConfig(text, () => true);
    return parsed.ok ? parsed.value : null;
  });
}
function parsedExpression(source: string): ReturnType<typeof parseExpression> {
  return expressions.get(source, parseExpression);
}

export function createRoutingTasks(db: BetterSqlite3.Database, clock: Clock, presence: PresenceWriter, writer: RoutingWriter): TaskVerbs {
  const prepare = cachedPrepare(db);
  const q = {
    multiTask: prepare<[string], { multi_task_enabled: number }>('SELECT multi_task_enabled FROM workspaces WHERE sid = ?'),
    task: prepare<[string, string], TaskRow>(`${TASK_SELECT} WHERE t.workspace_sid = ? AND t.sid = ?`),
    workflow: prepare<[string, string], WorkflowRow>(`${WORKFLOW_SELECT} WHERE f.workspace_sid = ? AND f.sid = ?`),
    queue: prepare<[string], TaskQueueRow>(`${QUEUE_SELECT} WHERE q.sid = ?`),
    workerIn: prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND sid = ?'),
    channel: prepare<[string, string, string], { sid: string }>('SELECT sid FROM task_channels WHERE workspace_sid = ? AND (sid = ? OR unique_name = ?)'),
    activity: prepare<[string, string], { sid: string; available: number }>('SELECT sid, available FROM activities WHERE workspace_sid = ? AND sid = ?'),
    candidate: prepare<[string], CandidateRow>(`SELECT w.sid, w.attributes, a.available AS activity_available, w.status_changed_at, w.presence,
      (SELECT COUNT(*) FROM connections c WHERE c.worker_sid = w.sid) AS connections FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE w.sid = ?`),
    candidates: prepare<[string], CandidateRow>(`SELECT w.sid, w.attributes, a.available AS activity_available, w.status_changed_at, w.presence,
      (SELECT COUNT(*) FROM connections c WHERE c.worker_sid = w.sid) AS connections FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE w.workspace_sid = ?`),
    channelsOf: prepare<[string], WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid = ?`),
    channelsIn: prepare<[string], WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE tc.workspace_sid = ?`),
    timeoutActivity: prepare<[string], { timeout_activity_sid: string }>('SELECT timeout_activity_sid FROM workspaces WHERE sid = ?'),
  };
  const isMultiTask = (workspaceSid: string): boolean => q.multiTask.get(workspaceSid)?.multi_task_enabled === 1;

  // Pushes carry the task as the transaction left it, not as it was when the push was recorded:
  // the SDK replaces its own copy with what an event carries.
  const commitOf = (effects: RoutingEffects, presenceCommits: PresenceCommit[] = []): RoutingCommit => ({
    events: effects.events,
    pushes: writer.finalPushes(effects),
    presence: presenceCommits,
    touchedWorkers: [...effects.touchedWorkers],
  });

  const configOf = (workspaceSid: string, workflowSid: string): WorkflowConfig | null => {
    const row = q.workflow.get(workspaceSid, workflowSid);
    if (!row) return null;
    return parsedConfig(row.configuration);
  };

  /** Moves a worker's activity as part of a routing change (same transaction). */
  const moveWorker = (workerSid: string, activitySid: string, cause: ActivityCause, actor: string, at: number, out: PresenceCommit[]): void => {
    const worker = presence.loadWorker(workerSid);
    const activity = presence.activity(activitySid);
    if (!worker || !activity || worker.activitySid === activitySid) return;
    const commit = presence.run(workerSid, at, { type: 'activity-set', at, activity: { sid: activity.sid, available: activity.available }, cause, actor, rejectPendingReservations: false });
    if (commit) out.push(commit);
  };

  /** Points a task at a position of its workflow (queue, priority, target timeout). */
  const place = (task: Task, config: WorkflowConfig, position: RoutingPosition, at: number): void => {
    const target = targetAt(config, position);
    prepare('UPDATE tasks SET queue_sid = ?, filter_index = ?, target_index = ?, target_since = ?, target_due_at = ?, priority = ?, version = version + 1, updated_at = ? WHERE sid = ?')
      .run(target?.queueSid ?? null, position.filterIndex, position.targetIndex, at, target?.timeoutS && nextPosition(config, position) ? at + target.timeoutS * 1000 : null,
        target?.priority ?? task.priority, at, task.sid);
  };

  const candidateOf = (row: CandidateRow, channels: readonly WorkerChannelRow[]): CandidateWorker => {
    const stored = JSON.parse(row.presence) as { disconnection: unknown };
    let attributes: Record<string, unknown> = {};
    try {
      attributes = JSON.parse(row.attributes) as Record<string, unknown>;
    } catch {
      // Attributes are validated on the way in; an unreadable one routes as empty.
    }
    let idleSince = row.status_changed_at;
    for (const c of channels) if (c.last_reserved_at !== null && c.last_reserved_at > idleSince) idleSince = c.last_reserved_at;
    return {
      sid: row.sid, attributes, activityAvailable: row.activity_available === 1,
      presence: row.connections > 0 ? 'connected' : stored.disconnection ? 'disconnected' : 'never-connected',
      channels: new Map(channels.map((c) => [c.task_channel_sid, { capacity: c.capacity, busy: c.reserved + c.assigned, available: c.available === 1 }])),
      idleSince,
    };
  };

  /** Cancels a task and its active reservations. */
  // The task event goes first, while the workers concerned still hold their reservations: the
  // SDK finds a task through its reservations, and a reservation's end removes it.
  const cancelTask = (task: Task, reason: string, at: number, effects: RoutingEffects): void => {
    writer.transferHooks.taskEnding(task, `Transfer failed: task ${task.sid} was canceled (${reason})`, at, effects);
    prepare("UPDATE tasks SET assignment_status = 'canceled', reason = ?, target_due_at = NULL, version = version + 1, updated_at = ? WHERE sid = ?").run(reason, at, task.sid);
    writer.announceTask(writer.task(task.sid) as Task, 'task.canceled', at, effects);
    for (const r of writer.activeReservationsOfTask(task.sid)) writer.setReservationStatus(r, 'canceled', at, effects);
  };

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

    async routingWorkspaces() {
      return prepare<[], { workspace_sid: string; routing_hold: number }>('SELECT workspace_sid, routing_hold FROM logout_settings').all()
        .map((r) => ({ workspaceSid: r.workspace_sid, holdDisconnected: r.routing_hold === 1 }));
    },
    async routingCandidates(workspaceSid) {
      const channels = new Map<string, WorkerChannelRow[]>();
      for (const c of q.channelsIn.all(workspaceSid)) {
        const list = channels.get(c.worker_sid) ?? [];
        list.push(c);
        channels.set(c.worker_sid, list);
      }
      return q.candidates.all(workspaceSid).map((row) => candidateOf(row, channels.get(row.sid) ?? []));
    },
    async routingCandidate(workerSid) {
      const row = q.candidate.get(workerSid);
      return row ? candidateOf(row, q.channelsOf.all(workerSid)) : null;
    },
    async pendingTasks(workspaceSid, limit) {
      return prepare<[string, number], TaskRow>(`${TASK_SELECT} WHERE t.workspace_sid = ? AND t.assignment_status = 'pending' AND t.queue_sid IS NOT NULL
        ORDER BY t.priority DESC, COALESCE(t.virtual_start_at, t.created_at), t.rowid LIMIT ?`).all(workspaceSid, limit).map(toTask);
    },
    async skipTarget(workspaceSid, taskSid, from) {
      return writeTx(db, () => {
        const task = writer.task(taskSid);
        if (!task || task.workspaceSid !== workspaceSid || task.assignmentStatus !== 'pending') return null;
        if (task.filterIndex !== from.filterIndex || task.targetIndex !== from.targetIndex) return null;
        const config = configOf(workspaceSid, task.workflowSid);
        const next = config ? nextPosition(config, from) : null;
        if (!config || !next) return null;
        const at = clock.now();
        const effects = newEffects();
        place(task, config, next, at);
        writer.announceTask(writer.task(taskSid) as Task, 'task-queue.moved', at, effects);
        return commitOf(effects);
      });
    },
    async reserve(input) {
      return writeTx(db, (): Result<{ reservation: Reservation; commit: RoutingCommit }> => {
        const task = writer.task(input.taskSid);
        if (!task || task.workspaceSid !== input.workspaceSid || task.assignmentStatus !== 'pending' || !task.queueSid) return refuseBecause('task-not-waiting', 'conflict', `Task ${input.taskSid} is no longer waiting`);
        const queue = q.queue.get(task.queueSid);
        const parsedTarget = queue ? parsedExpression(queue.target_workers) : null;
        const placed = parsedTarget?.ok ? routingStep({ ...task, routingTarget: offerTarget(task) }, parsedTarget.value, configOf(input.workspaceSid, task.workflowSid)) : null;
        const row = q.candidate.get(input.workerSid);
        if (!queue || !placed || !row) return refuseBecause('routing-changed', 'conflict', 'The task or the worker changed');
        const named = offerTarget(task);
        if (named !== null && named !== input.workerSid) return refuseBecause('task-for-another-worker', 'conflict', `Task ${task.sid} may only be offered to ${named}`);
        const worker = candidateOf(row, q.channelsOf.all(input.workerSid));
        const routable = { sid: task.sid, attributes: JSON.parse(task.attributes) as Record<string, unknown>, channelSid: task.taskChannelSid, excludedWorkers: new Set(task.excludedWorkers) };
        const step = placed.step;
        // The decision was made on a snapshot: check it again under this transaction.
        if (!canTake(worker, routable, { holdDisconnected: input.holdDisconnected }) || !matches(worker, routable, step)) return refuseBecause('worker-cannot-take', 'conflict', `Worker ${input.workerSid} can no longer take task ${task.sid}`);
        if (writer.activeReservationsOfTask(task.sid).some((r) => r.workerSid === input.workerSid)) return refuseBecause('worker-holds-task', 'conflict', `Worker ${input.workerSid} already holds task ${task.sid}`);
        const at = clock.now();
        const workflow = q.workflow.get(input.workspaceSid, task.workflowSid) as WorkflowRow;
        const sid = newSid('reservation');
        prepare(`INSERT INTO reservations (sid, workspace_sid, task_sid, worker_sid, status, timeout_at, timeout_s, version, created_at, updated_at, transfer_sid)
          VALUES (?, ?, ?, ?, 'pending', ?, ?, 1, ?, ?, ?)`).run(sid, input.workspaceSid, task.sid, input.workerSid, at + workflow.task_reservation_timeout_s * 1000, workflow.task_reservation_timeout_s, at, at, task.transferSid);
        prepare('UPDATE worker_channels SET reserved = reserved + 1, last_reserved_at = ?, updated_at = ? WHERE worker_sid = ? AND task_channel_sid = ?').run(at, at, input.workerSid, task.taskChannelSid);
        // Only pending offers count: a transfer's initiator may still hold the task; a named worker is the only one.
        const pending = writer.activeReservationsOfTask(task.sid).filter((r) => r.status === 'pending').length;
        const stillRoom = named === null && pending < toTaskQueue(queue).maxReservedWorkers;
        prepare('UPDATE tasks SET assignment_status = ?, version = version + 1, updated_at = ? WHERE sid = ?').run(stillRoom ? 'pending' : 'reserved', at, task.sid);
        const effects = newEffects();
        effects.touchedWorkers.add(input.workerSid);
        const reservation = writer.reservation(sid) as Reservation;
        writer.announceReservation(reservation, writer.task(task.sid) as Task, at, effects);
        const moved: PresenceCommit[] = [];
        if (queue.reservation_activity_sid && !isMultiTask(input.workspaceSid)) moveWorker(input.workerSid, queue.reservation_activity_sid, 'routing', 'rollcall', at, moved);
        return ok({ reservation, commit: commitOf(effects, moved) });
      });
    },

    async nextRoutingDueAt() {
      const row = prepare<[], { due: number | null }>(`SELECT MIN(due) AS due FROM (
        SELECT MIN(timeout_at) AS due FROM reservations WHERE timeout_at IS NOT NULL
        UNION ALL SELECT MIN(target_due_at) FROM tasks WHERE target_due_at IS NOT NULL AND assignment_status = 'pending'
        UNION ALL SELECT MIN(expires_at) FROM tasks WHERE assignment_status IN ('pending', 'reserved'))`).get();
      return row?.due ?? null;
    },
    async claimRoutingDue(limit) {
      return writeTx(db, () => {
        const at = clock.now();
        const commits: RoutingCommit[] = [];
        const expired = prepare<[number, number], { sid: string; workspace_sid: string }>(`SELECT sid, workspace_sid FROM tasks WHERE assignment_status IN ('pending', 'reserved') AND expires_at <= ? ORDER BY expires_at LIMIT ?`).all(at, limit);
        for (const t of expired) {
          const effects = newEffects();
          cancelTask(writer.task(t.sid) as Task, TTL_REASON, at, effects);
          commits.push(commitOf(effects));
        }
        const timedOut = prepare<[number, number], { sid: string }>(`SELECT sid FROM reservations WHERE status = 'pending' AND timeout_at <= ? ORDER BY timeout_at LIMIT ?`).all(at, limit);
        for (const r of timedOut) {
          const reservation = writer.reservation(r.sid) as Reservation;
          const effects = newEffects();
          const moved: PresenceCommit[] = [];
          const after = writer.setReservationStatus(reservation, 'timeout', at, effects);
          writer.returnToQueue(after, 'timeout', at, effects);
          const timeoutActivity = q.timeoutActivity.get(reservation.workspaceSid)?.timeout_activity_sid;
          if (timeoutActivity) moveWorker(reservation.workerSid, timeoutActivity, 'reservation-timeout', 'rollcall', at, moved);
          commits.push(commitOf(effects, moved));
        }
        const moving = prepare<[number, number], { sid: string; workspace_sid: string; filter_index: number; target_index: number }>(
          `SELECT sid, workspace_sid, filter_index, target_index FROM tasks WHERE assignment_status = 'pending' AND target_due_at <= ? ORDER BY target_due_at LIMIT ?`).all(at, limit);
        for (const t of moving) {
          const task = writer.task(t.sid) as Task;
          const config = configOf(t.workspace_sid, task.workflowSid);
          const next = config ? nextPosition(config, { filterIndex: t.filter_index, targetIndex: t.target_index }) : null;
          const effects = newEffects();
          if (task.transferSid !== null) writer.transferHooks.targetMissed(task, at, effects);
          else if (config && next) {
            place(task, config, next, at);
            writer.announceTask(writer.task(t.sid) as Task, 'task-queue.moved', at, effects);
          } else {
            prepare('UPDATE tasks SET target_due_at = NULL WHERE sid = ?').run(t.sid);
          }
          commits.push(commitOf(effects));
        }
        return commits;
      });
    },
  };
}
