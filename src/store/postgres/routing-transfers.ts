/**
 * Task transfers on PostgreSQL. `PgTransferWriter` runs inside the caller's transaction (the
 * routing writer calls it when a transfer's offer ends or is accepted and when a task ends), so a
 * transfer's status, its task and its events commit together. `createTransferVerbs` are the store
 * verbs, each one transaction that locks the task row first. The rules are `src/core/transfers.ts`;
 * the SQLite twin is store/sqlite/routing-transfers.ts.
 */
import { refuse, ok, type Result } from '../../core/errors.js';
import { DIRECT_QUEUE, type Reservation, type Task } from '../../core/routing-resources.js';
import { isSid } from '../../core/sids.js';
import {
  attemptEndsTransfer, checkTransfer, notCancelable, taskReturn,
  type Transfer, type TransferEventType, type TransferStatus, type TransferType,
} from '../../core/transfers.js';
import { newSid } from '../../service/ids.js';
import type { RoutingCommit, RoutingStore } from '../../service/routing-ports.js';
import { TRANSFER_SELECT, toTransfer, type TransferRow } from '../sqlite/routing-transfers.js';
import type { OfferEnd } from '../sqlite/routing-writer.js';
import type { PgDatabase, Tx } from './database.js';
import { newEffects, type PgRoutingWriter, type PgTransferHooks, type RoutingEffects } from './routing-writer.js';

const END_WORDS: Readonly<Record<OfferEnd, string>> = { rejected: 'rejected it', timeout: 'let the reservation time out', rescinded: 'was logged out' };

export class PgTransferWriter implements PgTransferHooks {
  constructor(private readonly routing: PgRoutingWriter) {}

  async find(tx: Tx, sid: string): Promise<Transfer | null> {
    const row = await tx.one<TransferRow>(`${TRANSFER_SELECT} WHERE tt.sid = $1`, [sid]);
    return row ? toTransfer(row) : null;
  }

  async activeOfTask(tx: Tx, taskSid: string): Promise<Transfer | null> {
    const row = await tx.one<TransferRow>(`${TRANSFER_SELECT} WHERE tt.task_sid = $1 AND tt.status = 'initiated'`, [taskSid]);
    return row ? toTransfer(row) : null;
  }

  async incomingOf(tx: Tx, reservation: Reservation): Promise<Transfer | null> {
    return reservation.transferSid === null ? null : this.find(tx, reservation.transferSid);
  }

  async outgoingOf(tx: Tx, reservationSid: string): Promise<Transfer | null> {
    const row = await tx.one<TransferRow>(`${TRANSFER_SELECT} WHERE tt.initiating_reservation_sid = $1 AND tt.status = 'initiated'`, [reservationSid]);
    return row ? toTransfer(row) : null;
  }

  /** Records a `task.transfer-*` event and pushes it to the worker who made the transfer. */
  async announce(tx: Tx, transfer: Transfer, eventType: TransferEventType, effects: RoutingEffects): Promise<void> {
    const task = await this.routing.task(tx, transfer.taskSid);
    effects.events.push(await this.routing.event(tx, transfer.workspaceSid, transfer.accountSid, eventType, 'task', transfer.taskSid,
      `Transfer ${transfer.sid} of task ${transfer.taskSid} to ${transfer.to}: ${eventType.slice('task.transfer-'.length)}`, {
        task_sid: transfer.taskSid, task_attributes: task?.attributes ?? null, task_queue_sid: task?.queueSid ?? null,
        transfer_sid: transfer.sid, transfer_to: transfer.to, transfer_type: transfer.type, transfer_mode: transfer.mode, transfer_status: transfer.status,
        transfer_failed_reason: transfer.failedReason, transfer_initiating_reservation_sid: transfer.initiatingReservationSid,
        transfer_initiating_worker_sid: transfer.initiatingWorkerSid,
      }));
    effects.pushes.push({ workerSid: transfer.initiatingWorkerSid, eventType, transfer });
  }

  async attemptEnded(tx: Tx, reservation: Reservation, end: OfferEnd, effects: RoutingEffects): Promise<boolean> {
    const transfer = await this.incomingOf(tx, reservation);
    if (!transfer || transfer.status !== 'initiated') return false;
    const attempt = await this.setStatus(tx, transfer, 'initiated', `Transfer attempt failed: worker ${reservation.workerSid} ${END_WORDS[end]}`);
    await this.announce(tx, attempt, 'task.transfer-attempt-failed', effects);
    if (!attemptEndsTransfer(attempt)) return false;
    await this.finish(tx, attempt, 'failed', `Transfer failed: worker ${reservation.workerSid} ${END_WORDS[end]}`, [reservation.workerSid], effects);
    return true;
  }

  async accepted(tx: Tx, reservation: Reservation, effects: RoutingEffects): Promise<void> {
    const transfer = await this.incomingOf(tx, reservation);
    if (!transfer || transfer.status !== 'initiated') return;
    const done = await this.setStatus(tx, transfer, 'complete', null);
    await tx.run('UPDATE tasks SET transfer_sid = NULL, transfer_worker_sid = NULL WHERE sid = $1', [transfer.taskSid]);
    await this.announce(tx, done, 'task.transfer-completed', effects);
    // WARM: the initiator kept the task until now; it goes to wrap-up as the target takes over.
    const initiator = await this.routing.reservation(tx, transfer.initiatingReservationSid);
    if (initiator?.status === 'accepted') await this.routing.setReservationStatus(tx, initiator, 'wrapping', effects);
  }

  async taskEnding(tx: Tx, task: Task, reason: string, effects: RoutingEffects): Promise<void> {
    const transfer = await this.activeOfTask(tx, task.sid);
    if (!transfer) return;
    await this.announce(tx, await this.setStatus(tx, transfer, 'failed', reason), 'task.transfer-failed', effects);
    await tx.run('UPDATE tasks SET transfer_sid = NULL, transfer_worker_sid = NULL WHERE sid = $1', [task.sid]);
  }

  async targetMissed(tx: Tx, task: Task, effects: RoutingEffects): Promise<void> {
    const transfer = await this.activeOfTask(tx, task.sid);
    if (!transfer || transfer.type !== 'WORKER') {
      await tx.run('UPDATE tasks SET target_due_at = NULL WHERE sid = $1', [task.sid]);
      return;
    }
    const reason = `Transfer failed: worker ${transfer.to} could not take task ${task.sid} in time`;
    const attempt = await this.setStatus(tx, transfer, 'initiated', reason);
    await this.announce(tx, attempt, 'task.transfer-attempt-failed', effects);
    await this.finish(tx, attempt, 'failed', reason, [], effects);
  }

  /** Ends a transfer no target took: its pending offers are canceled; the task goes back (`taskReturn`) without `exclude`. */
  async finish(tx: Tx, transfer: Transfer, outcome: 'failed' | 'canceled', reason: string | null, exclude: readonly string[], effects: RoutingEffects): Promise<Transfer> {
    for (const r of await this.routing.activeReservationsOfTask(tx, transfer.taskSid)) {
      if (r.transferSid === transfer.sid && r.status === 'pending') await this.routing.setReservationStatus(tx, r, 'canceled', effects);
    }
    const ended = await this.setStatus(tx, transfer, outcome, reason);
    await this.announce(tx, ended, outcome === 'failed' ? 'task.transfer-failed' : 'task.transfer-canceled', effects);
    const back = taskReturn(ended, outcome, (await this.routing.reservation(tx, ended.initiatingReservationSid))?.status ?? null);
    if (back.kind === 'initiator') {
      await tx.run(`UPDATE tasks SET assignment_status = $1, transfer_sid = NULL, transfer_worker_sid = NULL, target_due_at = NULL,
        version = version + 1, updated_at = $2 WHERE sid = $3`, [back.status, tx.now, ended.taskSid]);
    } else {
      const queue = ended.type === 'QUEUE' ? ended.initiatingQueueSid : null;
      await tx.run(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = NULL, transfer_worker_sid = NULL, target_due_at = NULL,
        excluded_workers = $1, queue_sid = COALESCE($2, queue_sid), filter_index = CASE WHEN $2::text IS NULL THEN filter_index ELSE $3 END,
        version = version + 1, updated_at = $4 WHERE sid = $5`, [JSON.stringify(exclude), queue, DIRECT_QUEUE, tx.now, ended.taskSid]);
    }
    await this.routing.announceTask(tx, await this.routing.taskNow(tx, ended.taskSid), 'task.updated', effects);
    return ended;
  }

  private async setStatus(tx: Tx, transfer: Transfer, status: TransferStatus, reason: string | null): Promise<Transfer> {
    await tx.run('UPDATE task_transfers SET status = $1, failed_reason = $2, updated_at = $3 WHERE sid = $4', [status, reason, tx.now, transfer.sid]);
    const after = await this.find(tx, transfer.sid);
    if (!after) throw new Error(`transfer ${transfer.sid} vanished inside its own transaction`);
    return after;
  }
}

type TransferVerbs = Pick<RoutingStore, 'createTransfer' | 'cancelTransfer' | 'reservationTransfers'>;

/** Locks a task's row (every change to a task starts here, after any worker lock it needs). */
export async function lockTask(tx: Tx, taskSid: string): Promise<boolean> {
  return (await tx.one('SELECT 1 FROM tasks WHERE sid = $1 FOR UPDATE', [taskSid])) !== undefined;
}

export function createTransferVerbs(db: PgDatabase, routing: PgRoutingWriter, transfers: PgTransferWriter): TransferVerbs {
  const commitOf = async (tx: Tx, effects: RoutingEffects): Promise<RoutingCommit> => ({
    events: effects.events, pushes: await routing.finalPushes(tx, effects), presence: [], touchedWorkers: [...effects.touchedWorkers],
  });
  const targetType = async (tx: Tx, workspaceSid: string, to: string): Promise<TransferType | null> => {
    if (isSid('worker', to)) return (await tx.one('SELECT sid FROM workers WHERE workspace_sid = $1 AND sid = $2', [workspaceSid, to])) ? 'WORKER' : null;
    if (isSid('taskQueue', to)) return (await tx.one('SELECT sid FROM task_queues WHERE workspace_sid = $1 AND sid = $2', [workspaceSid, to])) ? 'QUEUE' : null;
    return null;
  };

  return {
    async createTransfer(input) {
      return db.tx(async (tx): Promise<Result<{ transfer: Transfer; commit: RoutingCommit }>> => {
        await lockTask(tx, input.taskSid);
        const found = await routing.reservation(tx, input.reservationSid);
        const reservation = found && found.workspaceSid === input.workspaceSid ? found : null;
        const task = reservation ? await routing.task(tx, reservation.taskSid) : null;
        const active = task ? await transfers.activeOfTask(tx, task.sid) : null;
        const checked = checkTransfer(input, { reservation, task, active, target: await targetType(tx, input.workspaceSid, input.to) });
        if (!checked.ok) return checked;
        if (input.priority !== undefined && (!Number.isInteger(input.priority) || input.priority < 0)) return refuse('invalid-parameter', `Priority ${input.priority} must be a whole number of at least 0`, 'Priority');
        if (!reservation || !task) throw new Error('checkTransfer passed without a reservation and its task');
        const at = tx.now;
        const sid = newSid('transfer');
        await tx.run(`INSERT INTO task_transfers (sid, workspace_sid, task_sid, initiating_reservation_sid, initiating_worker_sid, initiating_queue_sid,
          initiating_workflow_sid, transfer_type, transfer_to, transfer_mode, status, failed_reason, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'initiated', NULL, $11, $11)`,
        [sid, input.workspaceSid, task.sid, reservation.sid, reservation.workerSid, task.queueSid, task.workflowSid, checked.value, input.to, input.mode, at]);
        if (input.attributes !== undefined || input.priority !== undefined) {
          await tx.run('UPDATE tasks SET attributes = $1, priority = $2 WHERE sid = $3', [input.attributes ?? task.attributes, input.priority ?? task.priority, task.sid]);
        }
        if (checked.value === 'WORKER') {
          // The target has the workflow's reservation timeout to be offered the task, else the transfer fails.
          const timeoutS = (await tx.one<{ t: number }>('SELECT task_reservation_timeout_s AS t FROM workflows WHERE sid = $1', [task.workflowSid]))?.t ?? 120;
          await tx.run(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = $1, transfer_worker_sid = $2, excluded_workers = '[]', target_due_at = $3,
            version = version + 1, updated_at = $4 WHERE sid = $5`, [sid, input.to, at + timeoutS * 1000, at, task.sid]);
        } else {
          await tx.run(`UPDATE tasks SET assignment_status = 'pending', transfer_sid = $1, transfer_worker_sid = NULL, excluded_workers = $2, queue_sid = $3,
            filter_index = $4, target_index = 0, target_since = $5, target_due_at = NULL, version = version + 1, updated_at = $5 WHERE sid = $6`,
          [sid, JSON.stringify([reservation.workerSid]), input.to, DIRECT_QUEUE, at, task.sid]);
        }
        const effects = newEffects();
        const transfer = await transfers.find(tx, sid);
        if (!transfer) throw new Error(`transfer ${sid} vanished inside its own transaction`);
        await transfers.announce(tx, transfer, 'task.transfer-initiated', effects);
        if (input.mode === 'COLD') await routing.setReservationStatus(tx, reservation, 'wrapping', effects);
        await routing.announceTask(tx, await routing.taskNow(tx, task.sid), 'task.updated', effects);
        return ok({ transfer, commit: await commitOf(tx, effects) });
      });
    },
    async cancelTransfer(input) {
      return db.tx(async (tx): Promise<Result<{ transfer: Transfer; commit: RoutingCommit }>> => {
        await lockTask(tx, input.taskSid);
        const transfer = await transfers.find(tx, input.transferSid);
        if (!transfer || transfer.workspaceSid !== input.workspaceSid) return refuse('not-found', `Transfer ${input.transferSid} was not found`);
        if (transfer.initiatingWorkerSid !== input.workerSid) return refuse('invalid-parameter', `Transfer ${transfer.sid} was not made by worker ${input.workerSid}`, 'TransferSid');
        if (transfer.taskSid !== input.taskSid) return refuse('invalid-parameter', `TaskSid ${input.taskSid} is not the task of transfer ${transfer.sid}`, 'TaskSid');
        if (transfer.status !== 'initiated') return refuse('invalid-parameter', notCancelable(transfer), 'TransferStatus');
        const effects = newEffects();
        const ended = await transfers.finish(tx, transfer, 'canceled', null, [], effects);
        return ok({ transfer: ended, commit: await commitOf(tx, effects) });
      });
    },
    async reservationTransfers(reservationSid) {
      return db.tx(async (tx) => {
        const reservation = await routing.reservation(tx, reservationSid);
        return { incoming: reservation ? await transfers.incomingOf(tx, reservation) : null, outgoing: await transfers.outgoingOf(tx, reservationSid) };
      });
    },
  };
}
