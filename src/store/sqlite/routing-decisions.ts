/**
 * The routing loop's verbs on SQLite: what it reads (workspaces, candidates, waiting tasks), the
 * offer (`reserve`, which re-checks the decision under the worker's row, so an offer is never
 * written after the worker's logout committed: SQLite has one writer, so the two are ordered),
 * moving a task on, and the due work (reservation and target timeouts, task expiry).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { refuseBecause, ok, type Result } from '../../core/errors.js';
import { canTake, matches, routingStep } from '../../core/routing.js';
import { offerTarget, type Reservation, type Task } from '../../core/routing-resources.js';
import { nextPosition } from '../../core/workflow-config.js';
import { newSid } from '../../service/ids.js';
import type { Clock, PresenceCommit } from '../../service/ports.js';
import type { OfferInput, Offered, RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import type { PresenceWriter } from './presence-writer.js';
import { TASK_SELECT, byWorker, candidateOf, parsedConfig, parsedExpression, toTask, toTaskQueue, type TaskRow } from '../routing-rows.js';
import { newEffects, type RoutingWriter } from './routing-writer.js';
import { writeTx } from './transaction.js';
import { routingTaskKit, TTL_REASON } from './routing-task-kit.js';

type DecisionVerbs = Pick<RoutingStore,
  | 'routingWorkspaces' | 'routingCandidates' | 'routingCandidatesOf' | 'pendingTasks' | 'skipTarget' | 'reserve' | 'reserveMany'
  | 'nextRoutingDueAt' | 'claimRoutingDue'>;

export function createRoutingDecisions(db: BetterSqlite3.Database, clock: Clock, presence: PresenceWriter, writer: RoutingWriter): DecisionVerbs {
  const { prepare, q, isMultiTask, commitOf, configOf, moveWorker, place, cancelTask } = routingTaskKit(db, presence, writer);
  /** One offer, inside the caller's transaction: the decision re-checked, then the reservation written. */
  const offerOne = (input: OfferInput): Result<Offered> => {
    const task = writer.task(input.taskSid);
    if (!task || task.workspaceSid !== input.workspaceSid || task.assignmentStatus !== 'pending' || !task.queueSid) return refuseBecause('task-not-waiting', 'conflict', `Task ${input.taskSid} is no longer waiting`);
    const queue = q.queue.get(task.queueSid);
    const parsedTarget = queue ? parsedExpression(queue.target_workers) : null;
    const workflow = q.workflow.get(input.workspaceSid, task.workflowSid);
    const placed = parsedTarget?.ok && workflow ? routingStep({ ...task, routingTarget: offerTarget(task) }, parsedTarget.value, parsedConfig(workflow.configuration)) : null;
    const row = q.candidate.get(input.workerSid);
    if (!queue || !workflow || !placed || !row) return refuseBecause('routing-changed', 'conflict', 'The task or the worker changed');
    const named = offerTarget(task);
    if (named !== null && named !== input.workerSid) return refuseBecause('task-for-another-worker', 'conflict', `Task ${task.sid} may only be offered to ${named}`);
    const worker = candidateOf(row, q.channelsOf.all(input.workerSid));
    const routable = { sid: task.sid, attributes: JSON.parse(task.attributes) as Record<string, unknown>, channelSid: task.taskChannelSid, excludedWorkers: new Set(task.excludedWorkers) };
    const step = placed.step;
    // The decision was made on a snapshot: check it again under this transaction.
    if (!canTake(worker, routable, { holdDisconnected: input.holdDisconnected }) || !matches(worker, routable, step)) return refuseBecause('worker-cannot-take', 'conflict', `Worker ${input.workerSid} can no longer take task ${task.sid}`);
    const active = writer.activeReservationsOfTask(task.sid);
    if (active.some((r) => r.workerSid === input.workerSid)) return refuseBecause('worker-holds-task', 'conflict', `Worker ${input.workerSid} already holds task ${task.sid}`);
    const at = clock.now();
    const sid = newSid('reservation');
    prepare(`INSERT INTO reservations (sid, workspace_sid, task_sid, worker_sid, status, timeout_at, timeout_s, version, created_at, updated_at, transfer_sid)
      VALUES (?, ?, ?, ?, 'pending', ?, ?, 1, ?, ?, ?)`).run(sid, input.workspaceSid, task.sid, input.workerSid, at + workflow.task_reservation_timeout_s * 1000, workflow.task_reservation_timeout_s, at, at, task.transferSid);
    prepare('UPDATE worker_channels SET reserved = reserved + 1, last_reserved_at = ?, updated_at = ? WHERE worker_sid = ? AND task_channel_sid = ?').run(at, at, input.workerSid, task.taskChannelSid);
    // Only pending offers count: a transfer's initiator may still hold the task; a named worker is the only one.
    const pending = active.filter((r) => r.status === 'pending').length + 1;
    const stillRoom = named === null && pending < toTaskQueue(queue).maxReservedWorkers;
    prepare('UPDATE tasks SET assignment_status = ?, version = version + 1, updated_at = ? WHERE sid = ?').run(stillRoom ? 'pending' : 'reserved', at, task.sid);
    const effects = newEffects();
    effects.touchedWorkers.add(input.workerSid);
    const reservation = writer.reservation(sid) as Reservation;
    writer.announceReservation(reservation, writer.task(task.sid) as Task, at, effects);
    const moved: PresenceCommit[] = [];
    if (queue.reservation_activity_sid && !isMultiTask(input.workspaceSid)) moveWorker(input.workerSid, queue.reservation_activity_sid, 'routing', 'rollcall', at, moved);
    return ok({ reservation, commit: commitOf(effects, moved) });
  };

  return {
    async routingWorkspaces() {
      return prepare<[], { workspace_sid: string; routing_hold: number }>('SELECT workspace_sid, routing_hold FROM logout_settings').all()
        .map((r) => ({ workspaceSid: r.workspace_sid, holdDisconnected: r.routing_hold === 1 }));
    },
    async routingCandidates(workspaceSid) {
      const channels = byWorker(q.channelsIn.all(workspaceSid));
      return q.candidates.all(workspaceSid).map((row) => candidateOf(row, channels.get(row.sid) ?? []));
    },
    async routingCandidatesOf(workerSids) {
      if (workerSids.length === 0) return [];
      const sids = JSON.stringify(workerSids);
      const channels = byWorker(q.channelsOfMany.all(sids));
      return q.candidatesOf.all(sids).map((row) => candidateOf(row, channels.get(row.sid) ?? []));
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
      return writeTx(db, () => offerOne(input));
    },
    async reserveMany(inputs) {
      // One transaction for the batch: each offer's checks run before any of its writes, so a
      // refused one leaves nothing behind and the next sees exactly the offers written before it.
      return inputs.length === 0 ? [] : writeTx(db, () => inputs.map(offerOne));
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
