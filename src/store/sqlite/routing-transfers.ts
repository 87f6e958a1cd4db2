/**
 * Task transfers on SQLite (migration 9). `TransferWriter` runs inside the caller's transaction:
 * the routing writer calls it when a transfer's offer ends or is accepted and when a task ends, so
 * a transfer's status, its task and its events always commit together. `createTransferVerbs` are
 * the store verbs (each one IMMEDIATE transaction). The rules are `src/core/transfers.ts`.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { refuse, ok, type Result } from '../../core/errors.js';
import { DIRECT_QUEUE, type Reservation, type Task } from '../../core/routing-resources.js';
import { isSid } from '../../core/sids.js';
import {
  attemptEndsTransfer, checkTransfer, notCancelable, taskReturn,
  type Transfer, type TransferEventType, type TransferMode, type TransferStatus, type TransferType,
} from '../../core/transfers.js';
import { newSid } from '../../service/ids.js';
import type { Clock } from '../../service/ports.js';
import type { RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import { newEffects, type OfferEnd, type RoutingEffects, type RoutingWriter, type TransferHooks } from './routing-writer.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';

export interface TransferRow {
  sid: string; workspace_sid: string; account_sid: string; task_sid: string; initiating_reservation_sid: string; initiating_worker_sid: string;
  initiating_queue_sid: string | null; initiating_workflow_sid: string; transfer_type: string; transfer_to: string; transfer_mode: string;
  status: string; failed_reason: string | null; created_at: number; updated_at: number;
}

export const TRANSFER_SELECT = 'SELECT tt.*, ws.account_sid FROM task_transfers tt JOIN workspaces ws ON ws.sid = tt.workspace_sid';

export const toTransfer = (r: TransferRow): Transfer => ({
  sid: r.sid, workspaceSid: r.workspace_sid, accountSid: r.account_sid, taskSid: r.task_sid, initiatingReservationSid: r.initiating_reservation_sid,
  initiatingWorkerSid: r.initiating_worker_sid, initiatingQueueSid: r.initiating_queue_sid, initiatingWorkflowSid: r.initiating_workflow_sid,
  type: r.transfer_type as TransferType, to: r.transfer_to, mode: r.transfer_mode as TransferMode, status: r.status as TransferStatus,
  failedReason: r.failed_reason, createdAt: r.created_at, updatedAt: r.updated_at,
});

const END_WORDS: Readonly<Record<OfferEnd, string>> = { rejected: 'rejected it', timeout: 'let the reservation time out', rescinded: 'was logged out' };

export class TransferWriter implements TransferHooks {
  private readonly prepare;

  constructor(db: BetterSqlite3.Database, private readonly routing: RoutingWriter) {
    this.prepare = cachedPrepare(db);
  }

  find(sid: string): Transfer | null {
    const row = this.prepare<[string], TransferRow>(`${TRANSFER_SELECT} WHERE tt.sid = ?`).get(sid);
    return row ? toTransfer(row) : null;
  }

  activeOfTask(taskSid: string): Transfer | null {
    const row = this.prepare<[string], TransferRow>(`${TRANSFER_SELECT} WHERE tt.task_sid = ? AND tt.status = 'initiated'`).get(taskSid);
    return row ? toTransfer(row) : null;
  }

  incomingOf(reservation: Reservation): Transfer | null {
    return reservation.transferSid === null ? null : this.find(reservation.transferSid);
  }

  outgoingOf(reservationSid: string): Transfer | null {
    const row = this.prepare<[string], TransferRow>(`${TRANSFER_SELECT} WHERE tt.initiating_reservation_sid = ? AND tt.status = 'initiated'`).get(reservationSid);
    return row ? toTransfer(row) : null;
  }

  /** Records a `task.transfer-*` event and pushes it to the worker who made the transfer. */
  announce(transfer: Transfer, eventType: TransferEventType, at: number, effects: RoutingEffects): void {
    const task = this.routing.task(transfer.taskSid);
    effects.events.push(this.routing.event(transfer.workspaceSid, transfer.accountSid, eventType, 'task', transfer.taskSid, at,
      `Transfer ${transfer.sid} of task ${transfer.taskSid} to ${transfer.to}: ${eventType.slice('task.transfer-'.length)}`, {
        task_sid: transfer.taskSid, task_attributes: task?.attributes ?? null, task_queue_sid: task?.queueSid ?? null,
        transfer_sid: transfer.sid, transfer_to: transfer.to, transfer_type: transfer.type, transfer_mode: transfer.mode, transfer_status: transfer.status,
        transfer_failed_reason: transfer.failedReason, transfer_initiating_reservation_sid: transfer.initiatingReservationSid,
        transfer_initiating_worker_sid: transfer.initiatingWorkerSid,
      }));
    effects.pushes.push({ workerSid: transfer.initiatingWorkerSid, eventType, transfer });
  }

  attemptEnded(reservation: Reservation, end: OfferEnd, at: number, effects: RoutingEffects): boolean {
    const transfer = this.incomingOf(reservation);
    if (!transfer || transfer.status !== 'initiated') return false;
    const reason = `Transfer attempt failed: worker ${reservation.workerSid} ${END_WORDS[end]}`;
    const attempt = this.setStatus(transfer, 'initiated', reason, at);
    this.announce(attempt, 'task.transfer-attempt-failed', at, effects);
    if (!attemptEndsTransfer(attempt)) return false;
    this.finish(attempt, 'failed', `Transfer failed: worker ${reservation.workerSid} ${END_WORDS[end]}`, [reservation.workerSid], at, effects);
    return true;
  }

  accepted(reservation: Reservation, at: number, effects: RoutingEffects): void {
    const transfer = this.incomingOf(reservation);
    if (!transfer || transfer.status !== 'initiated') return;
    const done = this.setStatus(transfer, 'complete', null, at);
    this.prepare('UPDATE tasks SET transfer_sid = NULL, transfer_worker_sid = NULL WHERE sid = ?').run(transfer.taskSid);
    this.announce(done, 'task.transfer-completed', at, effects);
    // WARM: the initiator kept the task until now; it goes to wrap-up as the target takes over.
    const initiator = this.routing.reservation(transfer.initiatingReservationSid);
    if (initiator?.status === 'accepted') this.routing.setReservationStatus(initiator, 'wrapping', at, effects);
  }

  taskEnding(task: Task, reason: string, at: number, effects: RoutingEffects): void {
    const transfer = this.activeOfTask(task.sid);
    if (!transfer) return;
    this.announce(this.setStatus(transfer, 'failed', reason, at), 'task.transfer-failed', at, effects);
    this.prepare('UPDATE tasks SET transfer_sid = NULL, transfer_worker_sid = NULL WHERE sid = ?').run(task.sid);
  }

  /** A transfer to a worker whose target could not take the task in time (the task's due time). */
  targetMissed(task: Task, at: number, effects: RoutingEffects): void {
    const transfer = this.activeOfTask(task.sid);
    if (!transfer || transfer.type !== 'WORKER') {
      this.prepare('UPDATE tasks SET target_due_at = NULL WHERE sid = ?').run(task.sid);
      return;
    }
    const reason = `Transfer failed: worker ${transfer.to} could not take task ${task.sid} in time`;
    this.announce(this.setStatus(transfer, 'initiated', reason, at), 'task.transfer-attempt-failed', at, effects);
    this.finish(this.find(transfer.sid) as Transfer, 'failed', reason, [], at, effects);
  }

  /**
   * Ends a transfer that no target took: its pending offers are canceled, and the task goes back
   * to its initiator or is routed again (`taskReturn`), without the workers in `exclude`.
   */
  finish(transfer: Transfer, outcome: 'failed' | 'canceled', reason: string | null, exclude: readonly string[], at: number, effects: RoutingEffects): Transfer {
    for (const r of this.routing.activeReservationsOfTask(transfer.taskSid)) {
      if (r.transferSid === transfer.sid && r.status === 'pending') this.routing.setReservationStatus(r, 'canceled', at, effects);
    }
    const ended = this.setStatus(transfer, outcome, reason, at);
    this.announce(ended, outcome === 'failed' ? 'task.transfer-failed' : 'task.transfer-canceled', at, effects);
    const back = taskReturn(ended, outcome, this.routing.reservation(ended.initiatingReservationSid)?.status ?? null);
    if (back.kind === 'initiator') {
      this.prepare(`UPDATE tasks SET assignment_status = ?, transfer_sid = NULL, transfer_worker_sid = NULL, target_due_at = NULL,
        version = version + 1, updated_at = ? WHERE sid = ?`).run(back.status, at, ended.taskSid);
    } else {
      const queue = ended.type === 'QUEUE' ? ended.initiatingQueueSid : null;
      this.prepare(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = NULL, transfer_worker_sid = NULL, target_due_at = NULL,
        excluded_workers = ?, queue_sid = COALESCE(?, queue_sid), filter_index = CASE WHEN ? IS NULL THEN filter_index ELSE ? END,
        version = version + 1, updated_at = ? WHERE sid = ?`).run(JSON.stringify(exclude), queue, queue, DIRECT_QUEUE, at, ended.taskSid);
    }
    this.routing.announceTask(this.routing.task(ended.taskSid) as Task, 'task.updated', at, effects);
    return ended;
  }

  private setStatus(transfer: Transfer, status: TransferStatus, reason: string | null, at: number): Transfer {
    this.prepare('UPDATE task_transfers SET status = ?, failed_reason = ?, updated_at = ? WHERE sid = ?').run(status, reason, at, transfer.sid);
    return this.find(transfer.sid) as Transfer;
  }
}

type TransferVerbs = Pick<RoutingStore, 'createTransfer' | 'cancelTransfer' | 'reservationTransfers'>;

export function createTransferVerbs(db: BetterSqlite3.Database, clock: Clock, routing: RoutingWriter, transfers: TransferWriter): TransferVerbs {
  const prepare = cachedPrepare(db);
  const commitOf = (effects: RoutingEffects): RoutingCommit => ({
    events: effects.events, pushes: routing.finalPushes(effects), presence: [], touchedWorkers: [...effects.touchedWorkers],
  });
  const targetType = (workspaceSid: string, to: string): TransferType | null => {
    if (isSid('worker', to)) return prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND sid = ?').get(workspaceSid, to) ? 'WORKER' : null;
    if (isSid('taskQueue', to)) return prepare<[string, string], { sid: string }>('SELECT sid FROM task_queues WHERE workspace_sid = ? AND sid = ?').get(workspaceSid, to) ? 'QUEUE' : null;
    return null;
  };

  return {
    async createTransfer(input) {
      return writeTx(db, (): Result<{ transfer: Transfer; commit: RoutingCommit }> => {
        const found = routing.reservation(input.reservationSid);
        const reservation = found && found.workspaceSid === input.workspaceSid ? found : null;
        const task = reservation ? routing.task(reservation.taskSid) : null;
        const checked = checkTransfer(input, { reservation, task, active: task ? transfers.activeOfTask(task.sid) : null, target: targetType(input.workspaceSid, input.to) });
        if (!checked.ok) return checked;
        if (input.priority !== undefined && (!Number.isInteger(input.priority) || input.priority < 0)) return refuse('invalid-parameter', `Priority ${input.priority} must be a whole number of at least 0`, 'Priority');
        const initiating = reservation as Reservation;
        const held = task as Task;
        const at = clock.now();
        const sid = newSid('transfer');
        prepare(`INSERT INTO task_transfers (sid, workspace_sid, task_sid, initiating_reservation_sid, initiating_worker_sid, initiating_queue_sid,
          initiating_workflow_sid, transfer_type, transfer_to, transfer_mode, status, failed_reason, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'initiated', NULL, ?, ?)`)
          .run(sid, input.workspaceSid, held.sid, initiating.sid, initiating.workerSid, held.queueSid, held.workflowSid, checked.value, input.to, input.mode, at, at);
        if (input.attributes !== undefined || input.priority !== undefined) {
          prepare('UPDATE tasks SET attributes = ?, priority = ? WHERE sid = ?').run(input.attributes ?? held.attributes, input.priority ?? held.priority, held.sid);
        }
        if (checked.value === 'WORKER') {
          // The target has the workflow's reservation timeout to be offered the task, else the transfer fails.
          const timeoutS = prepare<[string], { t: number }>('SELECT task_reservation_timeout_s AS t FROM workflows WHERE sid = ?').get(held.workflowSid)?.t ?? 120;
          prepare(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = ?, transfer_worker_sid = ?, excluded_workers = '[]', target_due_at = ?,
            version = version + 1, updated_at = ? WHERE sid = ?`).run(sid, input.to, at + timeoutS * 1000, at, held.sid);
        } else {
          prepare(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = ?, transfer_worker_sid = NULL, excluded_workers = ?, queue_sid = ?,
            filter_index = ?, target_index = 0, target_since = ?, target_due_at = NULL, version = version + 1, updated_at = ? WHERE sid = ?`)
            .run(sid, JSON.stringify([initiating.workerSid]), input.to, DIRECT_QUEUE, at, at, held.sid);
        }
        const effects = newEffects();
        const transfer = transfers.find(sid) as Transfer;
        transfers.announce(transfer, 'task.transfer-initiated', at, effects);
        if (input.mode === 'COLD') routing.setReservationStatus(initiating, 'wrapping', at, effects);
        routing.announceTask(routing.task(held.sid) as Task, 'task.updated', at, effects);
        return ok({ transfer, commit: commitOf(effects) });
      });
    },
    async cancelTransfer(input) {
      return writeTx(db, (): Result<{ transfer: Transfer; commit: RoutingCommit }> => {
        const transfer = transfers.find(input.transferSid);
        if (!transfer || transfer.workspaceSid !== input.workspaceSid) return refuse('not-found', `Transfer ${input.transferSid} was not found`);
        if (transfer.initiatingWorkerSid !== input.workerSid) return refuse('invalid-parameter', `Transfer ${transfer.sid} was not made by worker ${input.workerSid}`, 'TransferSid');
        if (transfer.taskSid !== input.taskSid) return refuse('invalid-parameter', `TaskSid ${input.taskSid} is not the task of transfer ${transfer.sid}`, 'TaskSid');
        if (transfer.status !== 'initiated') return refuse('invalid-parameter', notCancelable(transfer), 'TransferStatus');
        const effects = newEffects();
        const ended = transfers.finish(transfer, 'canceled', null, [], clock.now(), effects);
        return ok({ transfer: ended, commit: commitOf(effects) });
      });
    },
    async reservationTransfers(reservationSid) {
      const reservation = routing.reservation(reservationSid);
      return { incoming: reservation ? transfers.incomingOf(reservation) : null, outgoing: transfers.outgoingOf(reservationSid) };
    },
  };
}
