/**
 * Routing reads, offers and due times on PostgreSQL. `reserve` locks the worker's row first (as
 * every presence change does), so an offer and a logout of one worker are ordered across nodes,
 * and re-checks the routing decision under that lock. `claimRoutingDue` takes due rows with
 * `FOR UPDATE … SKIP LOCKED`: two nodes claiming at once take disjoint sets and never wait.
 * The SQLite twin is store/sqlite/routing-tasks.ts.
 */
import { refuseBecause, ok, type Result } from '../../core/errors.js';
import { canTake, matches, routingStep } from '../../core/routing.js';
import { offerTarget } from '../../core/routing-resources.js';
import { nextPosition } from '../../core/workflow-config.js';
import { newSid } from '../../service/ids.js';
import type { PresenceCommit } from '../../service/ports.js';
import type { OfferInput, Offered, RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import {
  CANDIDATE_SELECT, QUEUE_SELECT, TASK_SELECT, WORKER_CHANNEL_SELECT, byWorker, candidateOf, toTask, toTaskQueue, type CandidateRow, type TaskQueueRow, type TaskRow, type WorkerChannelRow,
  parsedExpression,
} from '../routing-rows.js';
import type { PgDatabase, Tx } from './database.js';
import type { PgPresenceWriter } from './presence-writer.js';
import {
  cancelTask, commitOf, configOf, isMultiTask, moveWorker, place, workflowRow,
} from './routing-shared.js';
import { lockTask } from './routing-transfers.js';
import { newEffects, type PgRoutingWriter } from './routing-writer.js';

type OfferVerbs = Pick<RoutingStore,
  | 'routingWorkspaces' | 'routingCandidates' | 'routingCandidatesOf' | 'pendingTasks' | 'skipTarget' | 'reserve' | 'reserveMany' | 'nextRoutingDueAt' | 'claimRoutingDue'>;

const TTL_REASON = 'Task TTL Exceeded';

export function createRoutingOffers(db: PgDatabase, presence: PgPresenceWriter, writer: PgRoutingWriter): OfferVerbs {
  const sql = db.sql;

  /** Claimed due rows are re-read under their lock: a row another transaction changed first is no longer due. */
  const expire = async (tx: Tx, taskSid: string): Promise<RoutingCommit | null> => {
    const task = await writer.task(tx, taskSid);
    if (!task || (task.assignmentStatus !== 'pending' && task.assignmentStatus !== 'reserved')) return null;
    const effects = newEffects();
    await cancelTask(tx, writer, task, TTL_REASON, effects);
    return commitOf(tx, writer, effects);
  };
  const timeOut = async (tx: Tx, reservationSid: string): Promise<RoutingCommit | null> => {
    const reservation = await writer.reservation(tx, reservationSid);
    if (!reservation || reservation.status !== 'pending' || reservation.timeoutAt === null || reservation.timeoutAt > tx.now) return null;
    await lockTask(tx, reservation.taskSid);
    const current = await writer.reservation(tx, reservationSid);
    if (current?.status !== 'pending') return null;
    const effects = newEffects();
    const moved: PresenceCommit[] = [];
    const after = await writer.setReservationStatus(tx, current, 'timeout', effects);
    await writer.returnToQueue(tx, after, 'timeout', effects);
    const timeoutActivity = (await tx.one<{ timeout_activity_sid: string }>('SELECT timeout_activity_sid FROM workspaces WHERE sid = $1', [current.workspaceSid]))?.timeout_activity_sid;
    if (timeoutActivity) await moveWorker(tx, presence, current.workerSid, timeoutActivity, 'reservation-timeout', 'rollcall', moved);
    return commitOf(tx, writer, effects, moved);
  };
  const moveOn = async (tx: Tx, taskSid: string): Promise<RoutingCommit | null> => {
    const task = await writer.task(tx, taskSid);
    if (!task || task.assignmentStatus !== 'pending') return null;
    const due = await tx.one<{ target_due_at: number | null }>('SELECT target_due_at FROM tasks WHERE sid = $1', [taskSid]);
    if (!due || due.target_due_at === null || due.target_due_at > tx.now) return null;
    const config = await configOf(tx, task.workspaceSid, task.workflowSid);
    const next = config ? nextPosition(config, { filterIndex: task.filterIndex, targetIndex: task.targetIndex }) : null;
    const effects = newEffects();
    if (task.transferSid !== null) await writer.transferHooks.targetMissed(tx, task, effects);
    else if (config && next) {
      await place(tx, task, config, next);
      await writer.announceTask(tx, await writer.taskNow(tx, taskSid), 'task-queue.moved', effects);
    } else {
      await tx.run('UPDATE tasks SET target_due_at = NULL WHERE sid = $1', [taskSid]);
    }
    return commitOf(tx, writer, effects);
  };

  /**
   * One offer, inside the caller's transaction, which already holds the worker's row and then the
   * task's (`workerLocked`: the worker's row was there to lock): the decision re-checked, then the reservation written.
   */
  const offerLocked = async (tx: Tx, input: OfferInput, workerLocked: boolean): Promise<Result<Offered>> => {
    const task = await writer.task(tx, input.taskSid);
    if (!task || task.workspaceSid !== input.workspaceSid || task.assignmentStatus !== 'pending' || !task.queueSid) return refuseBecause('task-not-waiting', 'conflict', `Task ${input.taskSid} is no longer waiting`);
    const queue = await tx.one<TaskQueueRow>(`${QUEUE_SELECT} WHERE q.sid = $1`, [task.queueSid]);
    const parsedTarget = queue ? parsedExpression(queue.target_workers) : null;
    const config = await configOf(tx, input.workspaceSid, task.workflowSid);
    const placed = parsedTarget?.ok ? routingStep({ ...task, routingTarget: offerTarget(task) }, parsedTarget.value, config) : null;
    const row = workerLocked ? await tx.one<CandidateRow>(`${CANDIDATE_SELECT} WHERE w.sid = $1`, [input.workerSid]) : undefined;
    if (!queue || !placed || !row) return refuseBecause('routing-changed', 'conflict', 'The task or the worker changed');
    const named = offerTarget(task);
    if (named !== null && named !== input.workerSid) return refuseBecause('task-for-another-worker', 'conflict', `Task ${task.sid} may only be offered to ${named}`);
    const worker = candidateOf(row, await tx.rows<WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid = $1`, [input.workerSid]));
    const routable = { sid: task.sid, attributes: JSON.parse(task.attributes) as Record<string, unknown>, channelSid: task.taskChannelSid, excludedWorkers: new Set(task.excludedWorkers) };
    // The decision was made on a snapshot: check it again under the locks.
    if (!canTake(worker, routable, { holdDisconnected: input.holdDisconnected }) || !matches(worker, routable, placed.step)) {
      return refuseBecause('worker-cannot-take', 'conflict', `Worker ${input.workerSid} can no longer take task ${task.sid}`);
    }
    const active = await writer.activeReservationsOfTask(tx, task.sid);
    if (active.some((r) => r.workerSid === input.workerSid)) return refuseBecause('worker-holds-task', 'conflict', `Worker ${input.workerSid} already holds task ${task.sid}`);
    const at = tx.now;
    const workflow = await workflowRow(tx, input.workspaceSid, task.workflowSid);
    if (!workflow) throw new Error(`store integrity: task ${task.sid} has no workflow`);
    const sid = newSid('reservation');
    await tx.run(`INSERT INTO reservations (sid, workspace_sid, task_sid, worker_sid, status, timeout_at, timeout_s, version, created_at, updated_at, transfer_sid)
      VALUES ($1, $2, $3, $4, 'pending', $5, $6, 1, $7, $7, $8)`,
    [sid, input.workspaceSid, task.sid, input.workerSid, at + workflow.task_reservation_timeout_s * 1000, workflow.task_reservation_timeout_s, at, task.transferSid]);
    await tx.run('UPDATE worker_channels SET reserved = reserved + 1, last_reserved_at = $1, updated_at = $1 WHERE worker_sid = $2 AND task_channel_sid = $3',
      [at, input.workerSid, task.taskChannelSid]);
    // Only pending offers count: a transfer's initiator may still hold the task; a named worker is the only one.
    const pending = active.filter((r) => r.status === 'pending').length + 1;
    const stillRoom = named === null && pending < toTaskQueue(queue).maxReservedWorkers;
    await tx.run('UPDATE tasks SET assignment_status = $1, version = version + 1, updated_at = $2 WHERE sid = $3', [stillRoom ? 'pending' : 'reserved', at, task.sid]);
    const effects = newEffects();
    effects.touchedWorkers.add(input.workerSid);
    const reservation = await writer.reservation(tx, sid);
    if (!reservation) throw new Error(`reservation ${sid} vanished inside its own transaction`);
    await writer.announceReservation(tx, reservation, await writer.taskNow(tx, task.sid), effects);
    const moved: PresenceCommit[] = [];
    if (queue.reservation_activity_sid && !(await isMultiTask(tx, input.workspaceSid))) {
      await moveWorker(tx, presence, input.workerSid, queue.reservation_activity_sid, 'routing', 'rollcall', moved);
    }
    return ok({ reservation, commit: await commitOf(tx, writer, effects, moved) });
  };

  return {
    async routingWorkspaces() {
      return (await sql.rows<{ workspace_sid: string; routing_hold: number }>('SELECT workspace_sid, routing_hold FROM logout_settings ORDER BY workspace_sid'))
        .map((r) => ({ workspaceSid: r.workspace_sid, holdDisconnected: r.routing_hold === 1 }));
    },
    // Two statements, as on SQLite: a view (routing re-checks every offer under the worker's lock).
    async routingCandidates(workspaceSid) {
      const channels = byWorker(await sql.rows<WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE tc.workspace_sid = $1`, [workspaceSid]));
      return (await sql.rows<CandidateRow>(`${CANDIDATE_SELECT} WHERE w.workspace_sid = $1`, [workspaceSid])).map((row) => candidateOf(row, channels.get(row.sid) ?? []));
    },
    async routingCandidatesOf(workerSids) {
      if (workerSids.length === 0) return [];
      const sids = [...workerSids];
      const channels = byWorker(await sql.rows<WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid = ANY($1::text[])`, [sids]));
      return (await sql.rows<CandidateRow>(`${CANDIDATE_SELECT} WHERE w.sid = ANY($1::text[])`, [sids])).map((row) => candidateOf(row, channels.get(row.sid) ?? []));
    },
    async pendingTasks(workspaceSid, limit) {
      return (await sql.rows<TaskRow>(`${TASK_SELECT} WHERE t.workspace_sid = $1 AND t.assignment_status = 'pending' AND t.queue_sid IS NOT NULL
        ORDER BY t.priority DESC, COALESCE(t.virtual_start_at, t.created_at), t.seq LIMIT $2`, [workspaceSid, limit])).map(toTask);
    },
    async skipTarget(workspaceSid, taskSid, from) {
      return db.tx(async (tx) => {
        await lockTask(tx, taskSid);
        const task = await writer.task(tx, taskSid);
        if (!task || task.workspaceSid !== workspaceSid || task.assignmentStatus !== 'pending') return null;
        if (task.filterIndex !== from.filterIndex || task.targetIndex !== from.targetIndex) return null;
        const config = await configOf(tx, workspaceSid, task.workflowSid);
        const next = config ? nextPosition(config, from) : null;
        if (!config || !next) return null;
        const effects = newEffects();
        await place(tx, task, config, next);
        await writer.announceTask(tx, await writer.taskNow(tx, taskSid), 'task-queue.moved', effects);
        return commitOf(tx, writer, effects);
      });
    },
    async reserve(input) {
      return db.tx(async (tx) => {
        // The worker's row first, then the task's: the order of every verb (a logout holds the worker's).
        const workerLocked = await tx.one('SELECT 1 FROM workers WHERE sid = $1 FOR UPDATE', [input.workerSid]);
        await lockTask(tx, input.taskSid);
        return offerLocked(tx, input, workerLocked !== undefined);
      });
    },
    async reserveMany(inputs) {
      if (inputs.length === 0) return [];
      const workerSids = [...new Set(inputs.map((i) => i.workerSid))].sort();
      const taskSids = [...new Set(inputs.map((i) => i.taskSid))].sort();
      return db.tx(async (tx) => {
        // Every worker row of the batch, then every task row, each in SID order: the worker-then-task
        // order of every verb, so an offer and a logout of one worker still serialize, and two
        // batches lock in the same order. A deadlock PostgreSQL still finds is retried whole (database.ts).
        const locked = new Set((await tx.rows<{ sid: string }>('SELECT sid FROM workers WHERE sid = ANY($1::text[]) ORDER BY sid FOR UPDATE', [workerSids])).map((r) => r.sid));
        await tx.rows('SELECT sid FROM tasks WHERE sid = ANY($1::text[]) ORDER BY sid FOR UPDATE', [taskSids]);
        const results: Result<Offered>[] = [];
        for (const input of inputs) results.push(await offerLocked(tx, input, locked.has(input.workerSid)));
        return results;
      });
    },

    async nextRoutingDueAt() {
      const row = await sql.one<{ due: number | null }>(`SELECT MIN(due) AS due FROM (
        SELECT MIN(timeout_at) AS due FROM reservations WHERE timeout_at IS NOT NULL
        UNION ALL SELECT MIN(target_due_at) FROM tasks WHERE target_due_at IS NOT NULL AND assignment_status = 'pending'
        UNION ALL SELECT MIN(expires_at) FROM tasks WHERE assignment_status IN ('pending', 'reserved')) d`);
      return row?.due ?? null;
    },
    async claimRoutingDue(limit) {
      return db.tx(async (tx) => {
        const at = tx.now;
        const commits: RoutingCommit[] = [];
        const keep = (c: RoutingCommit | null): void => {
          if (c) commits.push(c);
        };
        // Rows another node holds are skipped, not waited for: that node is firing them.
        const expired = await tx.rows<{ sid: string }>(`SELECT sid FROM tasks WHERE assignment_status IN ('pending', 'reserved') AND expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [at, limit]);
        for (const t of expired) keep(await expire(tx, t.sid));
        const timedOut = await tx.rows<{ sid: string }>(`SELECT r.sid FROM reservations r JOIN workers w ON w.sid = r.worker_sid
          WHERE r.status = 'pending' AND r.timeout_at <= $1 ORDER BY r.timeout_at LIMIT $2 FOR UPDATE OF w SKIP LOCKED`, [at, limit]);
        for (const r of timedOut) keep(await timeOut(tx, r.sid));
        const moving = await tx.rows<{ sid: string }>(`SELECT sid FROM tasks WHERE assignment_status = 'pending' AND target_due_at <= $1
          ORDER BY target_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [at, limit]);
        for (const t of moving) keep(await moveOn(tx, t.sid));
        return commits;
      });
    },
  };
}
