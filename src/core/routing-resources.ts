/**
 * Routing records, in TaskRouter's words: TaskChannel, WorkerChannel, TaskQueue, Workflow, Task,
 * Reservation. Instants are epoch ms; `attributes` and `configuration` are the JSON strings
 * TaskRouter exchanges.
 */

export interface TaskChannel {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly uniqueName: string;
  readonly friendlyName: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface WorkerChannel {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly workerSid: string;
  readonly taskChannelSid: string;
  readonly taskChannelUniqueName: string;
  readonly capacity: number;
  readonly available: boolean;
  /** Pending reservations on this channel. */
  readonly reserved: number;
  /** Accepted (assigned or wrapping) tasks on this channel. */
  readonly assigned: number;
  readonly lastReservedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface TaskQueue {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly targetWorkers: string;
  readonly reservationActivitySid: string | null;
  readonly assignmentActivitySid: string | null;
  readonly maxReservedWorkers: number;
  readonly taskOrder: 'FIFO' | 'LIFO';
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Workflow {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly friendlyName: string;
  readonly configuration: string;
  readonly taskReservationTimeoutS: number;
  readonly assignmentCallbackUrl: string | null;
  readonly fallbackAssignmentCallbackUrl: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type AssignmentStatus = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

export interface Task {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly workflowSid: string;
  readonly workflowName: string;
  readonly queueSid: string | null;
  readonly queueName: string | null;
  readonly taskChannelSid: string;
  readonly taskChannelUniqueName: string;
  readonly attributes: string;
  readonly priority: number;
  readonly timeoutS: number;
  readonly assignmentStatus: AssignmentStatus;
  readonly reason: string | null;
  /** Where the task stands in its workflow; filterIndex -1 is the default filter. */
  readonly filterIndex: number;
  readonly targetIndex: number;
  /** When the task entered its current target. */
  readonly targetSince: number;
  readonly excludedWorkers: readonly string[];
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** `RoutingTarget`: the one worker the task may be offered to (a task a worker made for itself); null for any. */
  readonly routingTarget: string | null;
  /** `VirtualStartTime`: where the task's age counts from, and its place in the queue. Its creation unless set. */
  readonly virtualStartAt: number;
  /** The transfer in progress (`TT…`), null when none. */
  readonly transferSid: string | null;
  /** The worker a transfer in progress targets (a transfer to a worker), null otherwise. */
  readonly transferWorkerSid: string | null;
}

/** The one worker a task may be offered to now: a transfer's target worker, else its RoutingTarget. */
export function offerTarget(task: Pick<Task, 'routingTarget' | 'transferWorkerSid'>): string | null {
  return task.transferWorkerSid ?? task.routingTarget;
}

/** The sentinel `filterIndex` of a task placed in a queue by `TaskQueueSid` rather than by its workflow. */
export const DIRECT_QUEUE = -2;

export type ReservationStatus = 'pending' | 'accepted' | 'rejected' | 'timeout' | 'canceled' | 'rescinded' | 'wrapping' | 'completed';

export interface Reservation {
  readonly sid: string;
  readonly workspaceSid: string;
  readonly accountSid: string;
  readonly taskSid: string;
  readonly workerSid: string;
  readonly workerName: string;
  readonly status: ReservationStatus;
  /** When a pending reservation times out; null once it is no longer pending. */
  readonly timeoutAt: number | null;
  readonly timeoutS: number;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The transfer this reservation offers the task for (the target's side), null for a routed offer. */
  readonly transferSid: string | null;
}

/** Reservation statuses that still hold the worker's capacity or the task. */
export const ACTIVE_RESERVATION_STATUSES: ReadonlySet<ReservationStatus> = new Set(['pending', 'accepted', 'wrapping']);

/** Which status changes a person (the worker, or the API) may ask for, from where. */
const ALLOWED: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  pending: ['accepted', 'rejected'],
  accepted: ['wrapping', 'completed'],
  wrapping: ['completed'],
  rejected: [],
  timeout: [],
  canceled: [],
  rescinded: [],
  completed: [],
};

export function canRequestReservationStatus(from: ReservationStatus, to: ReservationStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Which task status changes a person may ask for, from where. */
const TASK_ALLOWED: Readonly<Record<AssignmentStatus, readonly AssignmentStatus[]>> = {
  pending: ['canceled'],
  reserved: ['canceled'],
  assigned: ['wrapping', 'completed', 'canceled'],
  wrapping: ['completed'],
  completed: [],
  canceled: [],
};

export function canRequestTaskStatus(from: AssignmentStatus, to: AssignmentStatus): boolean {
  return TASK_ALLOWED[from].includes(to);
}

export const DEFAULT_TASK_CHANNELS: readonly { uniqueName: string; friendlyName: string }[] = [
  { uniqueName: 'default', friendlyName: 'Default' },
  { uniqueName: 'voice', friendlyName: 'Voice' },
  { uniqueName: 'chat', friendlyName: 'Chat' },
  { uniqueName: 'sms', friendlyName: 'SMS' },
  { uniqueName: 'video', friendlyName: 'Video' },
];
