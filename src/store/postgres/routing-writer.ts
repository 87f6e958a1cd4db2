/**
 * Routing changes inside the caller's PostgreSQL transaction: reservation status changes with
 * their channel counters, events and agent pushes. The presence writer uses it to rescind a
 * worker's pending offers in the same transaction as its logout (rule 6); the worker's row is
 * locked first, so an offer and a logout of one worker serialize.
 */
import type { ActivityCause } from '../../core/presence.js';
import type { Reservation, ReservationStatus, Task } from '../../core/routing-resources.js';
import type { EventType, WorkspaceEvent } from '../../core/resources.js';
import type { Transfer } from '../../core/transfers.js';
import { newSid } from '../../service/ids.js';
import type { AgentPush } from '../../service/routing-ports.js';
import { RESERVATION_SELECT, TASK_SELECT, toReservation, toTask, type ReservationRow, type TaskRow } from '../routing-rows.js';
import { newEffects, type OfferEnd, type RoutingEffects } from '../sqlite/routing-writer.js';
import type { Tx } from './database.js';
import { recordEvent, type CallbackSettings } from './event-log.js';

export { newEffects, type RoutingEffects };

/** What transfers (routing-transfers.ts) are told of in the same transaction; see store/sqlite/routing-writer.ts TransferHooks. */
export interface PgTransferHooks {
  /** A transfer's offer ended unaccepted; true when the transfer decided where the task goes. */
  attemptEnded(tx: Tx, reservation: Reservation, end: OfferEnd, effects: RoutingEffects): Promise<boolean>;
  /** A transfer's offer was accepted. */
  accepted(tx: Tx, reservation: Reservation, effects: RoutingEffects): Promise<void>;
  /** The task is ending (canceled, expired): its transfer in progress fails. */
  taskEnding(tx: Tx, task: Task, reason: string, effects: RoutingEffects): Promise<void>;
  /** A transferred task's due time came with no offer to its target worker (or with nothing to do). */
  targetMissed(tx: Tx, task: Task, effects: RoutingEffects): Promise<void>;
  incomingOf(tx: Tx, reservation: Reservation): Promise<Transfer | null>;
  outgoingOf(tx: Tx, reservationSid: string): Promise<Transfer | null>;
}

const RESERVATION_EVENT: Partial<Record<ReservationStatus, EventType>> = {
  pending: 'reservation.created', accepted: 'reservation.accepted', rejected: 'reservation.rejected', timeout: 'reservation.timeout',
  canceled: 'reservation.canceled', rescinded: 'reservation.rescinded', wrapping: 'reservation.wrapup', completed: 'reservation.completed',
};

export class PgRoutingWriter {
  private transfers: PgTransferHooks | null = null;

  attachTransfers(transfers: PgTransferHooks): void {
    this.transfers = transfers;
  }

  get transferHooks(): PgTransferHooks {
    if (!this.transfers) throw new Error('routing writer: transfers not attached');
    return this.transfers;
  }

  async activeReservationsOfTask(tx: Tx, taskSid: string): Promise<Reservation[]> {
    const rows = await tx.rows<ReservationRow>(`${RESERVATION_SELECT} WHERE r.task_sid = $1 AND r.status IN ('pending', 'accepted', 'wrapping') ORDER BY r.created_at, r.seq`, [taskSid]);
    return rows.map(toReservation);
  }

  async task(tx: Tx, sid: string): Promise<Task | null> {
    const row = await tx.one<TaskRow>(`${TASK_SELECT} WHERE t.sid = $1`, [sid]);
    return row ? toTask(row) : null;
  }

  async reservation(tx: Tx, sid: string): Promise<Reservation | null> {
    const row = await tx.one<ReservationRow>(`${RESERVATION_SELECT} WHERE r.sid = $1`, [sid]);
    return row ? toReservation(row) : null;
  }

  /** The pushes as the transaction left things: each with the task as it now is and, for reservations, their transfers. */
  async finalPushes(tx: Tx, effects: RoutingEffects): Promise<AgentPush[]> {
    const pushes: AgentPush[] = [];
    for (const p of effects.pushes) {
      if (!('task' in p)) {
        pushes.push(p);
        continue;
      }
      const task = (await this.task(tx, p.task.sid)) ?? p.task;
      if (!p.reservation) {
        pushes.push({ ...p, task });
        continue;
      }
      const incomingTransfer = this.transfers ? await this.transfers.incomingOf(tx, p.reservation) : null;
      const outgoingTransfer = this.transfers ? await this.transfers.outgoingOf(tx, p.reservation.sid) : null;
      pushes.push({ ...p, task, incomingTransfer, outgoingTransfer });
    }
    return pushes;
  }

  /** Moves a reservation to `status`, keeping the channel counters right; records the event and the push. */
  async setReservationStatus(tx: Tx, reservation: Reservation, status: ReservationStatus, effects: RoutingEffects): Promise<Reservation> {
    const task = await this.task(tx, reservation.taskSid);
    if (!task) throw new Error(`store integrity: reservation ${reservation.sid} has no task`);
    const from = reservation.status;
    let reserved = 0;
    let assigned = 0;
    if (from === 'pending') reserved = -1;
    if (from === 'pending' && status === 'accepted') assigned = 1;
    if ((from === 'accepted' || from === 'wrapping') && (status === 'completed' || status === 'canceled')) assigned = -1;
    await tx.run('UPDATE worker_channels SET reserved = reserved + $1, assigned = assigned + $2, updated_at = $3 WHERE worker_sid = $4 AND task_channel_sid = $5',
      [reserved, assigned, tx.now, reservation.workerSid, task.taskChannelSid]);
    // Every change of a reservation holds its task's row lock, so the status read is still the
    // status here; a miss would mean a changer without that lock, and the counters above would be wrong.
    const changed = await tx.run('UPDATE reservations SET status = $1, timeout_at = $2, version = version + 1, updated_at = $3 WHERE sid = $4 AND status = $5',
      [status, status === 'pending' ? reservation.timeoutAt : null, tx.now, reservation.sid, from]);
    if (changed !== 1) throw new Error(`store integrity: reservation ${reservation.sid} changed from ${from} under a transaction holding its task`);
    const after = await this.reservation(tx, reservation.sid);
    if (!after) throw new Error(`reservation ${reservation.sid} vanished inside its own transaction`);
    await this.announceReservation(tx, after, task, effects);
    if (reserved !== 0 || assigned !== 0) effects.touchedWorkers.add(reservation.workerSid);
    return after;
  }

  /** Records `reservation.<status>` for a reservation as it now is, and pushes it to its worker. */
  async announceReservation(tx: Tx, reservation: Reservation, task: Task, effects: RoutingEffects): Promise<void> {
    const eventType = RESERVATION_EVENT[reservation.status];
    if (!eventType) return;
    const event = await this.event(tx, task.workspaceSid, task.accountSid, eventType, 'reservation', reservation.sid,
      `Reservation ${reservation.sid} for task ${task.sid} is ${reservation.status}`, {
        task_sid: task.sid, worker_sid: reservation.workerSid, worker_name: reservation.workerName, reservation_sid: reservation.sid,
        task_queue_sid: task.queueSid, task_attributes: task.attributes,
      });
    effects.events.push(event);
    effects.pushes.push({ workerSid: reservation.workerSid, eventType, reservation, task });
  }

  /** Records a task event, and pushes it to the workers holding active reservations for it. */
  async announceTask(tx: Tx, task: Task, eventType: EventType, effects: RoutingEffects): Promise<void> {
    effects.events.push(await this.event(tx, task.workspaceSid, task.accountSid, eventType, 'task', task.sid, `Task ${task.sid} ${eventType.slice(5)}`, {
      task_sid: task.sid, task_assignment_status: task.assignmentStatus, task_attributes: task.attributes, task_queue_sid: task.queueSid,
      task_priority: String(task.priority), task_reason: task.reason,
    }));
    for (const r of await this.activeReservationsOfTask(tx, task.sid)) effects.pushes.push({ workerSid: r.workerSid, eventType, reservation: r, task });
  }

  /** The task as the transaction now has it; a task that vanished inside its own transaction is a bug. */
  async taskNow(tx: Tx, sid: string): Promise<Task> {
    const task = await this.task(tx, sid);
    if (!task) throw new Error(`task ${sid} vanished inside its own transaction`);
    return task;
  }

  /**
   * Ends every pending reservation of a worker (`rescinded` when automation took the worker away,
   * `rejected` when the worker asked), returning their tasks to the queue without the worker.
   */
  async endPendingOffers(tx: Tx, workerSid: string, cause: ActivityCause, effects: RoutingEffects): Promise<void> {
    const status: ReservationStatus = cause === 'agent' || cause === 'admin' || cause === 'api' ? 'rejected' : 'rescinded';
    const pending = await tx.rows<ReservationRow>(`${RESERVATION_SELECT} WHERE r.worker_sid = $1 AND r.status = 'pending' ORDER BY r.created_at, r.seq`, [workerSid]);
    for (const row of pending) {
      // The task's row is the lock of its reservations (taken after the worker's, as `reserve` does).
      await tx.one('SELECT 1 FROM tasks WHERE sid = $1 FOR UPDATE', [row.task_sid]);
      const current = await this.reservation(tx, row.sid);
      if (current?.status !== 'pending') continue;
      const after = await this.setReservationStatus(tx, current, status, effects);
      await this.returnToQueue(tx, after, status === 'rejected' ? 'rejected' : 'rescinded', effects);
    }
  }

  /** A task whose offer ended is never offered to that worker again and waits (`pending`) for another. */
  async returnToQueue(tx: Tx, reservation: Reservation, end: OfferEnd, effects: RoutingEffects): Promise<void> {
    if (reservation.transferSid !== null && await this.transferHooks.attemptEnded(tx, reservation, end, effects)) return;
    const task = await this.task(tx, reservation.taskSid);
    if (!task || (task.assignmentStatus !== 'reserved' && task.assignmentStatus !== 'pending')) return;
    const workerSid = reservation.workerSid;
    const excluded = task.excludedWorkers.includes(workerSid) ? task.excludedWorkers : [...task.excludedWorkers, workerSid];
    await tx.run('UPDATE tasks SET assignment_status = $1, excluded_workers = $2, version = version + 1, updated_at = $3 WHERE sid = $4',
      ['pending', JSON.stringify(excluded), tx.now, task.sid]);
  }

  async event(
    tx: Tx, workspaceSid: string, accountSid: string, eventType: EventType, resourceType: WorkspaceEvent['resourceType'], resourceSid: string,
    description: string, data: Record<string, string | null>, cause: ActivityCause | null = null,
  ): Promise<WorkspaceEvent> {
    // The name for the event and the callback settings for its outbox row: one read.
    const ws = await tx.one<CallbackSettings & { friendly_name: string }>('SELECT friendly_name, event_callback_url, events_filter FROM workspaces WHERE sid = $1', [workspaceSid]);
    const workspaceName = ws?.friendly_name ?? null;
    const event: WorkspaceEvent = {
      sid: newSid('event'), accountSid, workspaceSid, eventType, resourceType, resourceSid, actorType: 'system', actorSid: null,
      description, data: { ...data, workspace_sid: workspaceSid, workspace_name: workspaceName }, cause, evidence: null, at: tx.now,
    };
    await recordEvent(tx, event, ws);
    return event;
  }
}
