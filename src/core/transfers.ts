/**
 * Task transfers, the pure part: the Transfer record (TaskRouter's `TT…` object the Worker SDK
 * reads), the checks a transfer request must pass, and where a task goes when its transfer ends
 * without the target taking it. The store applies these inside one transaction.
 *
 * Semantics (Twilio's, as the SDK and its specs show them; see docs/routing.md "Transfers"):
 * - COLD: the initiator's reservation goes to wrapping when the transfer is placed, and the task
 *   is routed to the target. WARM: the initiator keeps the task until the target accepts; then
 *   the initiator's reservation goes to wrapping.
 * - A transfer to a worker has one attempt: the target rejecting, timing out or being logged out
 *   is `attempt-failed` and then `failed`. A transfer to a queue keeps trying the queue's workers
 *   (every ended attempt is `attempt-failed`) until one accepts or the initiator cancels.
 * - A failed WARM transfer, or any canceled one, gives the task back to its initiator if they
 *   still hold it; a failed COLD transfer (or one whose initiator let go) routes the task again
 *   in the queue it was in before the transfer, initiator included.
 */
import { refuse, ok, type Result } from './errors.js';
import type { Reservation, ReservationStatus, Task } from './routing-resources.js';

export type TransferMode = 'COLD' | 'WARM';
export type TransferType = 'WORKER' | 'QUEUE';
export type TransferStatus = 'initiated' | 'failed' | 'complete' | 'canceled';

export type TransferEventType =
  | 'task.transfer-initiated'
  | 'task.transfer-attempt-failed'
  | 'task.transfer-failed'
  | 'task.transfer-completed'
  | 'task.transfer-canceled';

export interface Transfer {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly taskSid: string;
  readonly initiatingReservationSid: string;
  readonly initiatingWorkerSid: string;
  /** The queue the task was in when the transfer was placed. */
  readonly initiatingQueueSid: string | null;
  readonly initiatingWorkflowSid: string;
  readonly type: TransferType;
  /** A worker SID (WORKER) or a queue SID (QUEUE). */
  readonly to: string;
  readonly mode: TransferMode;
  readonly status: TransferStatus;
  /** Why the last attempt, or the transfer, failed. */
  readonly failedReason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface TransferRequest {
  readonly workerSid: string;
  readonly reservationSid: string;
  readonly taskSid: string;
  readonly to: string;
  readonly mode: TransferMode;
}

/** What a transfer request is checked against, read in the store's transaction. */
export interface TransferContext {
  readonly reservation: Reservation | null;
  readonly task: Task | null;
  /** The task's transfer in progress, if any. */
  readonly active: Transfer | null;
  /** What `To` names in the workspace, or null when nothing. */
  readonly target: TransferType | null;
}

/** The refusals of a transfer request, each naming the value at fault; the target's type if it passes. */
export function checkTransfer(request: TransferRequest, context: TransferContext): Result<TransferType> {
  const { reservation, task, active, target } = context;
  if (!reservation || reservation.workerSid !== request.workerSid) {
    return refuse('invalid-parameter', `ReservationSid ${request.reservationSid} is not a reservation of worker ${request.workerSid}`, 'ReservationSid');
  }
  if (reservation.taskSid !== request.taskSid || !task) {
    return refuse('invalid-parameter', `TaskSid ${request.taskSid} is not the task of reservation ${reservation.sid}`, 'TaskSid');
  }
  if (reservation.status !== 'accepted') {
    return refuse('invalid-parameter', `Reservation ${reservation.sid} is ${reservation.status}; only an accepted reservation can be transferred`, 'ReservationSid');
  }
  // A task in transfer is pending or reserved: say why, rather than its status.
  if (active) return refuse('invalid-parameter', `Task ${task.sid} already has a transfer in progress (${active.sid})`, 'TaskSid');
  if (task.assignmentStatus !== 'assigned') {
    return refuse('invalid-parameter', `Task ${task.sid} is ${task.assignmentStatus}; only an assigned task can be transferred`, 'TaskSid');
  }
  if (request.to === request.workerSid) return refuse('invalid-parameter', `To ${request.to} is the worker making the transfer`, 'To');
  if (target === null) return refuse('invalid-parameter', `To ${request.to} is neither a worker nor a task queue of this workspace`, 'To');
  return ok(target);
}

/** `Mode` as the SDK sends it; WARM when absent (what Twilio applies, and what its specs expect). */
export function readTransferMode(value: unknown): TransferMode | null {
  if (value === undefined || value === null || value === '') return 'WARM';
  if (typeof value !== 'string') return null;
  const upper = value.toUpperCase();
  return upper === 'COLD' || upper === 'WARM' ? upper : null;
}

/** Whether an ended attempt ends the transfer: a worker is tried once, a queue until someone accepts. */
export function attemptEndsTransfer(transfer: Transfer): boolean {
  return transfer.type === 'WORKER';
}

export type TaskReturn =
  | { readonly kind: 'initiator'; readonly status: 'assigned' | 'wrapping' }
  | { readonly kind: 'requeue' };

/**
 * Where a task goes when its transfer ends without the target taking it: back to its initiator
 * (a canceled transfer, or a failed WARM one, while the initiator still holds the task), else
 * routed again in the queue it was in before the transfer.
 */
export function taskReturn(transfer: Transfer, outcome: 'failed' | 'canceled', initiator: ReservationStatus | null): TaskReturn {
  const giveBack = outcome === 'canceled' || transfer.mode === 'WARM';
  if (giveBack && initiator === 'accepted') return { kind: 'initiator', status: 'assigned' };
  if (giveBack && initiator === 'wrapping') return { kind: 'initiator', status: 'wrapping' };
  return { kind: 'requeue' };
}

/** The message Twilio answers when a transfer that is no longer in progress is canceled (its specs check it). */
export function notCancelable(transfer: Transfer): string {
  return `Transfer ${transfer.sid} is already ${transfer.status} . Cannot cancel transfer.`;
}
