/**
 * The routing half of the store port. Same contract as `Store`: every method is one transaction
 * in its engine, time is the store's, refusals are values, nothing is half-written. The store
 * re-checks a routing decision under the worker's row (`reserve`), so an offer and a logout of
 * the same worker are always ordered: no reservation is created after a committed logout.
 */
import type { Result } from '../core/errors.js';
import type { CandidateWorker } from '../core/routing.js';
import type {
  AssignmentStatus, Reservation, ReservationStatus, Task, TaskChannel, TaskQueue, Workflow, WorkerChannel,
} from '../core/routing-resources.js';
import type { WorkspaceEvent } from '../core/resources.js';
import type { Transfer, TransferEventType, TransferMode } from '../core/transfers.js';
import type { PresenceCommit } from './ports.js';

/** A message for one worker's agent sessions (the SDK's `reservation.*`, `task.*` and channel events). */
export type AgentPush =
  | {
    readonly workerSid: string; readonly eventType: string; readonly reservation: Reservation | null; readonly task: Task;
    /** On a reservation's push: the transfer it was offered for (`task_transfer`) and the one it started (`active_outgoing_task_transfer`). */
    readonly incomingTransfer?: Transfer | null; readonly outgoingTransfer?: Transfer | null;
  }
  | { readonly workerSid: string; readonly eventType: 'worker.capacity.update' | 'worker.channel.availability.update'; readonly channel: WorkerChannel }
  /** `task.transfer-*`, to the worker who made the transfer. */
  | { readonly workerSid: string; readonly eventType: TransferEventType; readonly transfer: Transfer };

/** What a routing verb committed. */
export interface RoutingCommit {
  readonly events: readonly WorkspaceEvent[];
  readonly pushes: readonly AgentPush[];
  /** Activity changes the verb made (reservation, assignment or timeout activity). */
  readonly presence: readonly PresenceCommit[];
  /** Workers whose routing view changed (capacity, availability). */
  readonly touchedWorkers: readonly string[];
}

export interface TaskQueueInput {
  readonly friendlyName?: string;
  readonly targetWorkers?: string;
  readonly reservationActivitySid?: string | null;
  readonly assignmentActivitySid?: string | null;
  readonly maxReservedWorkers?: number;
  readonly taskOrder?: 'FIFO' | 'LIFO';
}

export interface WorkflowInput {
  readonly friendlyName?: string;
  readonly configuration?: string;
  readonly taskReservationTimeoutS?: number;
  readonly assignmentCallbackUrl?: string | null;
  readonly fallbackAssignmentCallbackUrl?: string | null;
}

export interface TaskInput {
  readonly workflowSid?: string;
  readonly attributes?: string;
  readonly priority?: number;
  readonly timeoutS?: number;
  /** A TaskChannel SID or unique name; `default` when absent. */
  readonly taskChannel?: string;
  /** Places the task in this queue directly (its workflow's filters are not evaluated). */
  readonly taskQueueSid?: string;
  /** The one worker the task may be offered to. */
  readonly routingTarget?: string;
  /** Epoch ms; never later than the creation. */
  readonly virtualStartAt?: number;
}

export interface TaskUpdate {
  readonly attributes?: string;
  /** Epoch ms; never later than now. */
  readonly virtualStartAt?: number;
  readonly priority?: number;
  readonly assignmentStatus?: AssignmentStatus;
  readonly reason?: string;
  readonly ifMatchVersion?: number;
  readonly actor: string;
}

export interface ReservationUpdate {
  readonly workspaceSid: string;
  readonly reservationSid: string;
  /** When given, the reservation must belong to this worker (the SDK's and REST's worker path). */
  readonly workerSid?: string;
  /** When given, the reservation must belong to this task (REST's task path). */
  readonly taskSid?: string;
  readonly status: ReservationStatus;
  /** The activity to move the worker to along with the change (`WorkerActivitySid`). */
  readonly workerActivitySid?: string;
  readonly ifMatchVersion?: number;
  readonly actor: string;
}

/** Exact-match filters of the Tasks list, applied in the store; absent means any. */
export interface TaskFilter {
  readonly assignmentStatus?: readonly AssignmentStatus[];
  readonly workflowSid?: string;
  readonly workflowName?: string;
  readonly taskQueueSid?: string;
  readonly taskQueueName?: string;
  readonly priority?: number;
  readonly routingTarget?: string;
}

export type TaskOrderKey = 'DateCreated' | 'Priority' | 'VirtualStartTime';

/** Which part of a filtered list to read, in which order (creation order when none is given). */
export interface TaskSlice {
  readonly order?: readonly { readonly key: TaskOrderKey; readonly descending: boolean }[];
  /** A test the store cannot run itself (an expression over attributes); positions count only tasks that pass. */
  readonly matches?: (task: Task) => boolean;
  readonly offset: number;
  readonly limit: number;
}

export interface ReservationFilter {
  readonly taskSid?: string;
  readonly workerSid?: string;
  readonly status?: ReservationStatus;
  /** Only pending, accepted and wrapping ones (the SDK's `Active=true`). */
  readonly active?: boolean;
}

export interface TransferInput {
  readonly workspaceSid: string;
  /** The worker making the transfer (the SDK's `Workers/{WK}/Transfers`). */
  readonly workerSid: string;
  readonly reservationSid: string;
  readonly taskSid: string;
  /** A worker SID or a task queue SID. */
  readonly to: string;
  readonly mode: TransferMode;
  /** New task attributes (a JSON object) and priority, applied with the transfer. */
  readonly attributes?: string;
  readonly priority?: number;
}

export interface TransferCancel {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly transferSid: string;
  readonly taskSid: string;
}

/** One offer the routing loop asks the store for: this task to this worker. */
export interface OfferInput {
  readonly workspaceSid: string;
  readonly taskSid: string;
  readonly workerSid: string;
  /** Rule 8 as the workspace has it now: a disconnected worker is held back. */
  readonly holdDisconnected: boolean;
}

/** A written offer and what its commit produced. */
export interface Offered {
  readonly reservation: Reservation;
  readonly commit: RoutingCommit;
}

export interface RoutingStore {
  /** Creates the default TaskChannels and every missing WorkerChannel. Idempotent. */
  ensureChannels(workspaceSid: string): Promise<void>;

  listTaskChannels(workspaceSid: string): Promise<TaskChannel[]>;
  findTaskChannel(workspaceSid: string, sidOrUniqueName: string): Promise<TaskChannel | null>;
  createTaskChannel(workspaceSid: string, input: { uniqueName: string; friendlyName: string }): Promise<Result<TaskChannel>>;
  updateTaskChannel(workspaceSid: string, sid: string, input: { friendlyName: string }): Promise<Result<TaskChannel>>;
  deleteTaskChannel(workspaceSid: string, sid: string): Promise<Result<null>>;

  listWorkerChannels(workspaceSid: string, workerSid: string): Promise<Result<WorkerChannel[]>>;
  /** `channel` is a WorkerChannel SID, a TaskChannel SID or a unique name. */
  updateWorkerChannel(workspaceSid: string, workerSid: string, channel: string, input: { capacity?: number; available?: boolean }): Promise<Result<{ channel: WorkerChannel; commit: RoutingCommit }>>;

  listTaskQueues(workspaceSid: string): Promise<TaskQueue[]>;
  findTaskQueue(workspaceSid: string, sid: string): Promise<TaskQueue | null>;
  createTaskQueue(workspaceSid: string, input: TaskQueueInput): Promise<Result<TaskQueue>>;
  updateTaskQueue(workspaceSid: string, sid: string, input: TaskQueueInput): Promise<Result<TaskQueue>>;
  deleteTaskQueue(workspaceSid: string, sid: string): Promise<Result<null>>;

  listWorkflows(workspaceSid: string): Promise<Workflow[]>;
  findWorkflow(workspaceSid: string, sid: string): Promise<Workflow | null>;
  createWorkflow(workspaceSid: string, input: WorkflowInput): Promise<Result<Workflow>>;
  updateWorkflow(workspaceSid: string, sid: string, input: WorkflowInput): Promise<Result<Workflow>>;
  deleteWorkflow(workspaceSid: string, sid: string): Promise<Result<null>>;

  createTask(workspaceSid: string, input: TaskInput, actor: string): Promise<Result<{ task: Task; commit: RoutingCommit }>>;
  /** Every task that passes the filter, in creation order: for small, filtered reads (waiting tasks). */
  listTasks(workspaceSid: string, filter?: TaskFilter): Promise<Task[]>;
  /** One slice of the filtered, ordered list, read without loading the rest. */
  sliceTasks(workspaceSid: string, filter: TaskFilter, slice: TaskSlice): Promise<Task[]>;
  findTask(workspaceSid: string, sid: string): Promise<Task | null>;
  updateTask(workspaceSid: string, sid: string, update: TaskUpdate): Promise<Result<{ task: Task; commit: RoutingCommit }>>;
  /** Deletes a task (and ends its offers); with `ifMatchVersion`, only if the task is at that version. */
  deleteTask(workspaceSid: string, sid: string, ifMatchVersion?: number): Promise<Result<RoutingCommit>>;

  listReservations(workspaceSid: string, filter: ReservationFilter): Promise<Reservation[]>;
  findReservation(workspaceSid: string, sid: string): Promise<Reservation | null>;
  updateReservation(update: ReservationUpdate): Promise<Result<{ reservation: Reservation; commit: RoutingCommit }>>;

  /** Places a transfer of an accepted task (checks: `checkTransfer`); its events go to the initiator. */
  createTransfer(input: TransferInput): Promise<Result<{ transfer: Transfer; commit: RoutingCommit }>>;
  /** Cancels a transfer in progress: its pending offers are canceled and the task goes back (`taskReturn`). */
  cancelTransfer(input: TransferCancel): Promise<Result<{ transfer: Transfer; commit: RoutingCommit }>>;
  /** A reservation's transfers: the one it was offered for and the one in progress it started. */
  reservationTransfers(reservationSid: string): Promise<{ incoming: Transfer | null; outgoing: Transfer | null }>;

  /** Workspaces with routing, and whether the routing hold (rule 8) is on in each. */
  routingWorkspaces(): Promise<{ workspaceSid: string; holdDisconnected: boolean }[]>;
  /** The routing view of every worker of a workspace. */
  routingCandidates(workspaceSid: string): Promise<CandidateWorker[]>;
  /** The routing view of the named workers, read together; a worker that is gone is left out. */
  routingCandidatesOf(workerSids: readonly string[]): Promise<CandidateWorker[]>;
  /** Tasks waiting for an offer, highest priority first, then oldest. */
  pendingTasks(workspaceSid: string, limit: number): Promise<Task[]>;
  /** Moves a pending task on from the target it is in (its `skip_if` held); null if it moved already. */
  skipTarget(workspaceSid: string, taskSid: string, from: { filterIndex: number; targetIndex: number }): Promise<RoutingCommit | null>;
  /**
   * Offers a task to a worker: re-checks under the worker's row that it can still take it (the
   * routing choice was made on a snapshot), then writes the reservation. A refusal (`conflict`)
   * wrote nothing and carries its `reason` (core/errors RefusalReason): `task-not-waiting` and
   * `task-for-another-worker` end the decision for this task; the others mean the caller's view
   * of the worker is stale.
   */
  reserve(input: OfferInput): Promise<Result<Offered>>;
  /**
   * Offers several tasks at once, in ONE transaction: each offer is checked and written exactly as
   * `reserve` would (same re-checks, under the same locks: on PostgreSQL every worker row of the
   * batch, then every task row, each set in SID order), in the order given, each seeing the ones
   * before it (two offers to one worker count against its capacity together). A refused offer
   * wrote nothing of its own and does not stop the others: its refusal is in its place of the
   * answer, which has one entry per input. Only an infrastructure failure (thrown) ends the batch,
   * and then nothing of it was written.
   */
  reserveMany(inputs: readonly OfferInput[]): Promise<Result<Offered>[]>;

  /** The earliest reservation timeout, target timeout or task expiry. */
  nextRoutingDueAt(): Promise<number | null>;
  /** Times out reservations, moves tasks past timed-out targets, expires tasks: up to `limit`. */
  claimRoutingDue(limit: number): Promise<RoutingCommit[]>;
}
