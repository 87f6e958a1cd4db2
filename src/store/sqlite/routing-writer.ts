/**
 * Routing changes inside the caller's SQLite transaction: reservation and task status changes
 * with their channel counters, events and agent pushes. Shared by the routing verbs and by the
 * presence writer, which rescinds a worker's pending offers in the same transaction as its logout.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ActivityCause } from '../../core/presence.js';
import type { Reservation, ReservationStatus, Task } from '../../core/routing-resources.js';
import type { EventType, WorkspaceEvent } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type { Transfer } from '../../core/transfers.js';
import type { AgentPush } from '../../service/routing-ports.js';
import { RESERVATION_SELECT, TASK_SELECT, toReservation, toTask, type ReservationRow, type TaskRow } from '../routing-rows.js';

/** What routing changes produce besides rows: stored events and pushes for agent sessions. */
export interface RoutingEffects {
  readonly events: WorkspaceEvent[];
  readonly pushes: AgentPush[];
  readonly touchedWorkers: Set<string>;
}

export const newEffects = (): RoutingEffects => ({ events: [], pushes: [], touchedWorkers: new Set() });

/** How an offer ended without being accepted (the words of a transfer's failure reason). */
export type OfferEnd = 'rejected' | 'timeout' | 'rescinded';

/** What the routing writer asks of transfers (src/store/sqlite/routing-transfers.ts), in the same transaction. */
export interface TransferHooks {
  /** A transfer's offer ended unaccepted; true when the transfer decided where the task goes. */
  attemptEnded(reservation: Reservation, end: OfferEnd, at: number, effects: RoutingEffects): boolean;
  /** A transfer's offer was accepted. */
  accepted(reservation: Reservation, at: number, effects: RoutingEffects): void;
  /** The task is ending (canceled, expired): its transfer in progress fails. */
  taskEnding(task: Task, reason: string, at: number, effects: RoutingEffects): void;
  /** A transferred task's due time came with no offer to its target worker (or with nothing to do). */
  targetMissed(task: Task, at: number, effects: RoutingEffects): void;
  incomingOf(reservation: Reservation): Transfer | null;
  outgoingOf(reservationSid: string): Transfer | null;
}

const RESERVATION_EVENT: Partial<Record<ReservationStatus, EventType>> = {
  pending: 'reservation.created',
  accepted: 'reservation.accepted',
  rejected: 'reservation.rejected',
  timeout: 'reservation.timeout',
  canceled: 'reservation.canceled',
  rescinded: 'reservation.rescinded',
  wrapping: 'reservation.wrapup',
  completed: 'reservation.completed',
};

export class RoutingWriter {
  private readonly q;
  private transfers: TransferHooks | null = null;

  constructor(private readonly db: BetterSqlite3.Database, private readonly recordEvent: (event: WorkspaceEvent) => void) {
    this.q = {
      task: db.prepare<[string], TaskRow>(`${TASK_SELECT} WHERE t.sid = ?`),
      reservation: db.prepare<[string], ReservationRow>(`${RESERVATION_SELECT} WHERE r.sid = ?`),
      pendingOfWorker: db.prepare<[string], ReservationRow>(`${RESERVATION_SELECT} WHERE r.worker_sid = ? AND r.status = 'pending' ORDER BY r.created_at`),
      activeOfTask: db.prepare<[string], ReservationRow>(`${RESERVATION_SELECT} WHERE r.task_sid = ? AND r.status IN ('pending', 'accepted', 'wrapping') ORDER BY r.created_at`),
      setReservation: db.prepare('UPDATE reservations SET status = ?, timeout_at = ?, version = version + 1, updated_at = ? WHERE sid = ?'),
      channelDelta: db.prepare('UPDATE worker_channels SET reserved = reserved + ?, assigned = assigned + ?, updated_at = ? WHERE worker_sid = ? AND task_channel_sid = ?'),
      returnTask: db.prepare("UPDATE tasks SET assignment_status = ?, excluded_workers = ?, version = version + 1, updated_at = ? WHERE sid = ?"),
      workspaceName: db.prepare<[string], { friendly_name: string }>('SELECT friendly_name FROM workspaces WHERE sid = ?'),
    };
  }

  attachTransfers(transfers: TransferHooks): void {
    this.transfers = transfers;
  }

  get transferHooks(): TransferHooks {
    if (!this.transfers) throw new Error('routing writer: transfers not attached');
    return this.transfers;
  }

  /**
   * The pushes of a change as the transaction left things: each carries the task as it now is
   * (the SDK replaces its own copy with what an event carries) and, for reservations, their
   * transfers (`task_transfer`, `active_outgoing_task_transfer`).
   */
  finalPushes(effects: RoutingEffects): AgentPush[] {
    return effects.pushes.map((p) => {
      if (!('task' in p)) return p;
      const task = this.task(p.task.sid) ?? p.task;
      if (!p.reservation) return { ...p, task };
      const reservation = p.reservation;
      return { ...p, task, incomingTransfer: this.transfers?.incomingOf(reservation) ?? null, outgoingTransfer: this.transfers?.outgoingOf(reservation.sid) ?? null };
    });
  }

  task(sid: string): Task | null {
    const row = this.q.task.get(sid);
    return row ? toTask(row) : null;
  }

  reservation(sid: string): Reservation | null {
    const row = this.q.reservation.get(sid);
    return row ? toReservation(row) : null;
  }

  activeReservationsOfTask(taskSid: string): Reservation[] {
    return this.q.activeOfTask.all(taskSid).map(toReservation);
  }

  /**
   * Moves a reservation to `status`, keeping the worker channel's counters right, and records the
   * event and the push to the worker's sessions. Returns the reservation afterwards.
   */
  setReservationStatus(reservation: Reservation, status: ReservationStatus, at: number, effects: RoutingEffects): Reservation {
    const task = this.task(reservation.taskSid);
    if (!task) throw new Error(`store integrity: reservation ${reservation.sid} has no task`);
    const from = reservation.status;
    let reserved = 0;
    let assigned = 0;
    if (from === 'pending') reserved = -1;
    if (from === 'pending' && status === 'accepted') assigned = 1;
    if ((from === 'accepted' || from === 'wrapping') && (status === 'completed' || status === 'canceled')) assigned = -1;
    this.q.channelDelta.run(reserved, assigned, at, reservation.workerSid, task.taskChannelSid);
    this.q.setReservation.run(status, status === 'pending' ? reservation.timeoutAt : null, at, reservation.sid);
    const after = this.reservation(reservation.sid) as Reservation;
    this.announceReservation(after, task, at, effects);
    if (reserved !== 0 || assigned !== 0) effects.touchedWorkers.add(reservation.workerSid);
    return after;
  }

  /** Records `reservation.<status>` for a reservation as it now is, and pushes it to its worker. */
  announceReservation(reservation: Reservation, task: Task, at: number, effects: RoutingEffects): void {
    const eventType = RESERVATION_EVENT[reservation.status];
    if (!eventType) return;
    const event = this.event(task.workspaceSid, task.accountSid, eventType, 'reservation', reservation.sid, at, `Reservation ${reservation.sid} for task ${task.sid} is ${reservation.status}`, {
      task_sid: task.sid, worker_sid: reservation.workerSid, worker_name: reservation.workerName, reservation_sid: reservation.sid,
      task_queue_sid: task.queueSid, task_attributes: task.attributes,
    });
    effects.events.push(event);
    effects.pushes.push({ workerSid: reservation.workerSid, eventType, reservation, task });
  }

  /** Records a task event, and pushes it to the workers holding active reservations for it. */
  announceTask(task: Task, eventType: EventType, at: number, effects: RoutingEffects): void {
    effects.events.push(this.event(task.workspaceSid, task.accountSid, eventType, 'task', task.sid, at, `Task ${task.sid} ${eventType.slice(5)}`, {
      task_sid: task.sid, task_assignment_status: task.assignmentStatus, task_attributes: task.attributes, task_queue_sid: task.queueSid,
      task_priority: String(task.priority), task_reason: task.reason,
    }));
    for (const r of this.activeReservationsOfTask(task.sid)) effects.pushes.push({ workerSid: r.workerSid, eventType, reservation: r, task });
  }

  /**
   * Ends every pending reservation of a worker (`rescinded` when automation took the worker away,
   * `rejected` when the worker asked for it), returning their tasks to the queue without the
   * worker. Runs in the caller's transaction: the logout and the rescind commit together.
   */
  endPendingOffers(workerSid: string, cause: ActivityCause, at: number, effects: RoutingEffects): void {
    const status: ReservationStatus = cause === 'agent' || cause === 'admin' || cause === 'api' ? 'rejected' : 'rescinded';
    for (const row of this.q.pendingOfWorker.all(workerSid)) {
      const reservation = toReservation(row);
      const after = this.setReservationStatus(reservation, status, at, effects);
      this.returnToQueue(after, status === 'rejected' ? 'rejected' : 'rescinded', at, effects);
    }
  }

  /**
   * A task whose offer ended is never offered to that worker again, and waits (`pending`) for
   * another worker; an offer made for a transfer first tells the transfer, which may decide instead.
   * With MaxReservedWorkers > 1 the task may still be `pending` while offers are out; either way the
   * ended offer leaves room for one more (the maximum counts pending offers), so the task is `pending`.
   */
  returnToQueue(reservation: Reservation, end: OfferEnd, at: number, effects: RoutingEffects): void {
    if (reservation.transferSid !== null && this.transfers?.attemptEnded(reservation, end, at, effects)) return;
    const task = this.task(reservation.taskSid);
    if (!task || (task.assignmentStatus !== 'reserved' && task.assignmentStatus !== 'pending')) return;
    const workerSid = reservation.workerSid;
    const excluded = task.excludedWorkers.includes(workerSid) ? task.excludedWorkers : [...task.excludedWorkers, workerSid];
    this.q.returnTask.run('pending', JSON.stringify(excluded), at, task.sid);
  }

  event(
    workspaceSid: string, accountSid: string, eventType: EventType, resourceType: WorkspaceEvent['resourceType'], resourceSid: string,
    at: number, description: string, data: Record<string, string | null>, cause: ActivityCause | null = null,
  ): WorkspaceEvent {
    const workspaceName = this.q.workspaceName.get(workspaceSid)?.friendly_name ?? null;
    const event: WorkspaceEvent = {
      sid: newSid('event'), accountSid, workspaceSid, eventType, resourceType, resourceSid, actorType: 'system', actorSid: null,
      description, data: { ...data, workspace_sid: workspaceSid, workspace_name: workspaceName }, cause, evidence: null, at,
    };
    this.recordEvent(event);
    return event;
  }
}
