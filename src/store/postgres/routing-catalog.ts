/**
 * The routing catalogue on PostgreSQL: TaskChannels, WorkerChannels, TaskQueues and Workflows.
 * Every write is one transaction that validates everything before its first write; a change of a
 * worker's channel locks the worker's row first (as every worker change does). The SQLite twin is
 * store/sqlite/routing-catalog.ts; the row shapes and mappers are shared with it.
 */
import { refuse, ok, type Result } from '../../core/errors.js';
import { parseExpression } from '../../core/expressions.js';
import { DEFAULT_TASK_CHANNELS, type WorkerChannel } from '../../core/routing-resources.js';
import { parseWorkflowConfig } from '../../core/workflow-config.js';
import { newSid } from '../../service/ids.js';
import type { RoutingCommit, RoutingStore, TaskQueueInput, WorkflowInput } from '../../service/routing-ports.js';
import { MAX_CHANNEL_CAPACITY } from '../sqlite/routing-catalog.js';
import {
  TASK_CHANNEL_SELECT, catalogReads, toTaskChannel, toTaskQueue, toWorkerChannel, toWorkflow,
  type TaskChannelRow, type TaskQueueRow, type WorkerChannelRow, type WorkflowRow,
} from '../routing-rows.js';
import type { PgDatabase, Sql, Tx } from './database.js';
import { newEffects, type PgRoutingWriter } from './routing-writer.js';

type Catalog = Pick<RoutingStore,
  | 'ensureChannels' | 'listTaskChannels' | 'findTaskChannel' | 'createTaskChannel' | 'updateTaskChannel' | 'deleteTaskChannel'
  | 'listWorkerChannels' | 'updateWorkerChannel'
  | 'listTaskQueues' | 'findTaskQueue' | 'createTaskQueue' | 'updateTaskQueue' | 'deleteTaskQueue'
  | 'listWorkflows' | 'findWorkflow' | 'createWorkflow' | 'updateWorkflow' | 'deleteWorkflow'>;

const ACTIVE_TASKS = "assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping')";

const q = {
  ...catalogReads((n) => `$${n}`, 'seq'),
  channel: `${TASK_CHANNEL_SELECT} WHERE tc.workspace_sid = $1 AND (tc.sid = $2 OR tc.unique_name = $2)`,
  worker: 'SELECT sid FROM workers WHERE workspace_sid = $1 AND sid = $2',
  activity: 'SELECT sid FROM activities WHERE workspace_sid = $1 AND sid = $2',
  // The channel's sid is made in SQL, one per (worker, channel) missing: 'WC' and 32 hex digits.
  fill: `INSERT INTO worker_channels (sid, worker_sid, task_channel_sid, capacity, available, created_at, updated_at)
    SELECT 'WC' || replace(gen_random_uuid()::text, '-', ''), w.sid, tc.sid, 1, 1, $1, $1 FROM workers w JOIN task_channels tc ON tc.workspace_sid = w.workspace_sid
    WHERE w.workspace_sid = $2 AND NOT EXISTS (SELECT 1 FROM worker_channels wc WHERE wc.worker_sid = w.sid AND wc.task_channel_sid = tc.sid)
    ORDER BY w.seq, tc.seq ON CONFLICT (worker_sid, task_channel_sid) DO NOTHING`,
};

export function createRoutingCatalog(db: PgDatabase, writer: PgRoutingWriter): Catalog {
  const sql = db.sql;
  const one = async <R>(s: Sql, text: string, params: readonly unknown[]): Promise<R> => {
    const row = await s.one<R>(text, params);
    if (!row) throw new Error('store integrity: a row written in this transaction is missing');
    return row;
  };
  // A workspace's catalogue changes one at a time: the workspace row is the lock.
  const lockWorkspace = (tx: Tx, workspaceSid: string) => tx.one('SELECT 1 FROM workspaces WHERE sid = $1 FOR NO KEY UPDATE', [workspaceSid]);

  const queueSidsInWorkflows = async (tx: Tx, workspaceSid: string): Promise<Set<string>> => {
    const sids = new Set<string>();
    for (const wf of await tx.rows<WorkflowRow>(q.workflows, [workspaceSid])) {
      const parsed = parseWorkflowConfig(wf.configuration, () => true);
      if (!parsed.ok) continue;
      for (const f of parsed.value.filters) for (const t of f.targets) sids.add(t.queueSid);
      if (parsed.value.defaultTarget) sids.add(parsed.value.defaultTarget.queueSid);
    }
    return sids;
  };

  const validateQueue = async (tx: Tx, workspaceSid: string, input: TaskQueueInput, creating: boolean): Promise<Result<null>> => {
    if (creating && (input.friendlyName === undefined || input.friendlyName.trim() === '')) return refuse('invalid-parameter', 'FriendlyName is required', 'FriendlyName');
    if (input.targetWorkers !== undefined) {
      const parsed = parseExpression(input.targetWorkers);
      if (!parsed.ok) return refuse('invalid-parameter', `TargetWorkers: ${parsed.error.message}`, 'TargetWorkers');
    }
    for (const [field, sid] of [['ReservationActivitySid', input.reservationActivitySid], ['AssignmentActivitySid', input.assignmentActivitySid]] as const) {
      if (sid !== undefined && sid !== null && !(await tx.one(q.activity, [workspaceSid, sid]))) return refuse('invalid-parameter', `${field} ${sid} is not an activity of this workspace`, field);
    }
    const max = input.maxReservedWorkers;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 50)) return refuse('invalid-parameter', 'MaxReservedWorkers must be a whole number from 1 to 50', 'MaxReservedWorkers');
    return ok(null);
  };

  const validateWorkflow = async (tx: Tx, workspaceSid: string, input: WorkflowInput, creating: boolean): Promise<Result<null>> => {
    if (creating && (input.friendlyName === undefined || input.friendlyName.trim() === '')) return refuse('invalid-parameter', 'FriendlyName is required', 'FriendlyName');
    if (creating && input.configuration === undefined) return refuse('invalid-parameter', 'Configuration is required', 'Configuration');
    if (input.configuration !== undefined) {
      const queues = new Set((await tx.rows<{ sid: string }>('SELECT sid FROM task_queues WHERE workspace_sid = $1', [workspaceSid])).map((r) => r.sid));
      const parsed = parseWorkflowConfig(input.configuration, (sid) => queues.has(sid));
      if (!parsed.ok) return parsed;
    }
    const t = input.taskReservationTimeoutS;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 86_400)) return refuse('invalid-parameter', 'TaskReservationTimeout must be a whole number of seconds from 1 to 86400', 'TaskReservationTimeout');
    return ok(null);
  };

  return {
    async ensureChannels(workspaceSid) {
      await db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const have = new Set((await tx.rows<TaskChannelRow>(q.channels, [workspaceSid])).map((c) => c.unique_name));
        for (const c of DEFAULT_TASK_CHANNELS) {
          if (have.has(c.uniqueName)) continue;
          await tx.run('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
            [newSid('taskChannel'), workspaceSid, c.uniqueName, c.friendlyName, tx.now]);
        }
        await tx.run(q.fill, [tx.now, workspaceSid]);
      });
    },
    async listTaskChannels(workspaceSid) {
      return (await sql.rows<TaskChannelRow>(q.channels, [workspaceSid])).map(toTaskChannel);
    },
    async findTaskChannel(workspaceSid, sidOrName) {
      const row = await sql.one<TaskChannelRow>(q.channel, [workspaceSid, sidOrName]);
      return row ? toTaskChannel(row) : null;
    },
    async createTaskChannel(workspaceSid, input) {
      return db.tx(async (tx) => {
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.uniqueName)) return refuse('invalid-parameter', 'UniqueName must be 1 to 64 letters, digits, - or _', 'UniqueName');
        await lockWorkspace(tx, workspaceSid);
        if (await tx.one(q.channel, [workspaceSid, input.uniqueName])) return refuse('conflict', `A TaskChannel named ${input.uniqueName} already exists`, 'UniqueName');
        const sid = newSid('taskChannel');
        await tx.run('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
          [sid, workspaceSid, input.uniqueName, input.friendlyName || input.uniqueName, tx.now]);
        await tx.run(q.fill, [tx.now, workspaceSid]);
        return ok(toTaskChannel(await one<TaskChannelRow>(tx, q.channel, [workspaceSid, sid])));
      });
    },
    async updateTaskChannel(workspaceSid, sidOrName, input) {
      return db.tx(async (tx) => {
        const row = await tx.one<TaskChannelRow>(q.channel, [workspaceSid, sidOrName]);
        if (!row) return refuse('not-found', `TaskChannel ${sidOrName} was not found`);
        await tx.run('UPDATE task_channels SET friendly_name = $1, updated_at = $2 WHERE sid = $3', [input.friendlyName, tx.now, row.sid]);
        return ok(toTaskChannel(await one<TaskChannelRow>(tx, q.channel, [workspaceSid, row.sid])));
      });
    },
    async deleteTaskChannel(workspaceSid, sidOrName) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const row = await tx.one<TaskChannelRow>(q.channel, [workspaceSid, sidOrName]);
        if (!row) return refuse('not-found', `TaskChannel ${sidOrName} was not found`);
        if (await tx.one('SELECT 1 FROM tasks WHERE task_channel_sid = $1 LIMIT 1', [row.sid])) return refuse('conflict', `TaskChannel ${row.unique_name} has tasks and cannot be deleted`);
        await tx.run('DELETE FROM task_channels WHERE sid = $1', [row.sid]);
        return ok(null);
      });
    },

    async listWorkerChannels(workspaceSid, workerSid) {
      if (!(await sql.one(q.worker, [workspaceSid, workerSid]))) return refuse('not-found', `Worker ${workerSid} was not found`);
      return ok((await sql.rows<WorkerChannelRow>(q.workerChannels, [workerSid])).map(toWorkerChannel));
    },
    async updateWorkerChannel(workspaceSid, workerSid, channel, input) {
      return db.tx(async (tx): Promise<Result<{ channel: WorkerChannel; commit: RoutingCommit }>> => {
        if (!(await tx.one('SELECT 1 FROM workers WHERE workspace_sid = $1 AND sid = $2 FOR UPDATE', [workspaceSid, workerSid]))) return refuse('not-found', `Worker ${workerSid} was not found`);
        const current = (await tx.rows<WorkerChannelRow>(q.workerChannels, [workerSid])).find((c) => c.sid === channel || c.task_channel_sid === channel || c.unique_name === channel);
        if (!current) return refuse('not-found', `Worker ${workerSid} has no channel ${channel}`);
        const capacity = input.capacity ?? current.capacity;
        if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_CHANNEL_CAPACITY) return refuse('invalid-parameter', `Capacity must be a whole number from 0 to ${MAX_CHANNEL_CAPACITY}`, 'Capacity');
        const available = input.available ?? current.available === 1;
        await tx.run('UPDATE worker_channels SET capacity = $1, available = $2, updated_at = $3 WHERE sid = $4', [capacity, available ? 1 : 0, tx.now, current.sid]);
        const afterRow = (await tx.rows<WorkerChannelRow>(q.workerChannels, [workerSid])).find((c) => c.sid === current.sid);
        if (!afterRow) throw new Error(`worker channel ${current.sid} vanished inside its own transaction`);
        const after = toWorkerChannel(afterRow);
        const effects = newEffects();
        effects.touchedWorkers.add(workerSid);
        const changes: ['worker.capacity.update' | 'worker.channel.availability.update', boolean][] = [
          ['worker.capacity.update', capacity !== current.capacity],
          ['worker.channel.availability.update', available !== (current.available === 1)],
        ];
        for (const [eventType, changed] of changes) {
          if (!changed) continue;
          effects.events.push(await writer.event(tx, workspaceSid, after.accountSid, eventType, 'worker', workerSid, `Worker channel ${after.taskChannelUniqueName} updated`, {
            worker_sid: workerSid, worker_channel_sid: after.sid, task_channel_unique_name: after.taskChannelUniqueName,
            worker_channel_capacity: String(after.capacity), worker_channel_available: String(after.available),
          }));
          effects.pushes.push({ workerSid, eventType, channel: after });
        }
        return ok({ channel: after, commit: { events: effects.events, pushes: effects.pushes, presence: [], touchedWorkers: [...effects.touchedWorkers] } });
      });
    },

    async listTaskQueues(workspaceSid) {
      return (await sql.rows<TaskQueueRow>(q.queues, [workspaceSid])).map(toTaskQueue);
    },
    async findTaskQueue(workspaceSid, sid) {
      const row = await sql.one<TaskQueueRow>(q.queue, [workspaceSid, sid]);
      return row ? toTaskQueue(row) : null;
    },
    async createTaskQueue(workspaceSid, input) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const valid = await validateQueue(tx, workspaceSid, input, true);
        if (!valid.ok) return valid;
        if (await tx.one('SELECT 1 FROM task_queues WHERE workspace_sid = $1 AND friendly_name = $2', [workspaceSid, input.friendlyName])) {
          return refuse('conflict', `A TaskQueue named ${input.friendlyName} already exists`, 'FriendlyName');
        }
        const sid = newSid('taskQueue');
        await tx.run(`INSERT INTO task_queues (sid, workspace_sid, friendly_name, target_workers, reservation_activity_sid, assignment_activity_sid, max_reserved_workers, task_order, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, [sid, workspaceSid, input.friendlyName, input.targetWorkers ?? '1==1', input.reservationActivitySid ?? null,
          input.assignmentActivitySid ?? null, input.maxReservedWorkers ?? 1, input.taskOrder ?? 'FIFO', tx.now]);
        return ok(toTaskQueue(await one<TaskQueueRow>(tx, q.queue, [workspaceSid, sid])));
      });
    },
    async updateTaskQueue(workspaceSid, sid, input) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const row = await tx.one<TaskQueueRow>(q.queue, [workspaceSid, sid]);
        if (!row) return refuse('not-found', `TaskQueue ${sid} was not found`);
        const valid = await validateQueue(tx, workspaceSid, input, false);
        if (!valid.ok) return valid;
        if (input.friendlyName !== undefined && await tx.one('SELECT 1 FROM task_queues WHERE workspace_sid = $1 AND friendly_name = $2 AND sid <> $3', [workspaceSid, input.friendlyName, sid])) {
          return refuse('conflict', `A TaskQueue named ${input.friendlyName} already exists`, 'FriendlyName');
        }
        await tx.run(`UPDATE task_queues SET friendly_name = $1, target_workers = $2, reservation_activity_sid = $3, assignment_activity_sid = $4, max_reserved_workers = $5,
          task_order = $6, updated_at = $7 WHERE sid = $8`, [input.friendlyName ?? row.friendly_name, input.targetWorkers ?? row.target_workers,
          input.reservationActivitySid === undefined ? row.reservation_activity_sid : input.reservationActivitySid,
          input.assignmentActivitySid === undefined ? row.assignment_activity_sid : input.assignmentActivitySid,
          input.maxReservedWorkers ?? row.max_reserved_workers, input.taskOrder ?? row.task_order, tx.now, sid]);
        return ok(toTaskQueue(await one<TaskQueueRow>(tx, q.queue, [workspaceSid, sid])));
      });
    },
    async deleteTaskQueue(workspaceSid, sid) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        if (!(await tx.one(q.queue, [workspaceSid, sid]))) return refuse('not-found', `TaskQueue ${sid} was not found`);
        if (await tx.one(`SELECT 1 FROM tasks WHERE queue_sid = $1 AND ${ACTIVE_TASKS} LIMIT 1`, [sid])) return refuse('conflict', `TaskQueue ${sid} has active tasks and cannot be deleted`);
        if ((await queueSidsInWorkflows(tx, workspaceSid)).has(sid)) return refuse('conflict', `TaskQueue ${sid} is a target of a workflow and cannot be deleted`);
        await tx.run('UPDATE tasks SET queue_sid = NULL WHERE queue_sid = $1', [sid]);
        await tx.run('DELETE FROM task_queues WHERE sid = $1', [sid]);
        return ok(null);
      });
    },

    async listWorkflows(workspaceSid) {
      return (await sql.rows<WorkflowRow>(q.workflows, [workspaceSid])).map(toWorkflow);
    },
    async findWorkflow(workspaceSid, sid) {
      const row = await sql.one<WorkflowRow>(q.workflow, [workspaceSid, sid]);
      return row ? toWorkflow(row) : null;
    },
    async createWorkflow(workspaceSid, input) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const valid = await validateWorkflow(tx, workspaceSid, input, true);
        if (!valid.ok) return valid;
        const sid = newSid('workflow');
        await tx.run(`INSERT INTO workflows (sid, workspace_sid, friendly_name, configuration, task_reservation_timeout_s, assignment_callback_url, fallback_assignment_callback_url, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, [sid, workspaceSid, input.friendlyName, input.configuration, input.taskReservationTimeoutS ?? 120,
          input.assignmentCallbackUrl ?? null, input.fallbackAssignmentCallbackUrl ?? null, tx.now]);
        return ok(toWorkflow(await one<WorkflowRow>(tx, q.workflow, [workspaceSid, sid])));
      });
    },
    async updateWorkflow(workspaceSid, sid, input) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        const row = await tx.one<WorkflowRow>(q.workflow, [workspaceSid, sid]);
        if (!row) return refuse('not-found', `Workflow ${sid} was not found`);
        const valid = await validateWorkflow(tx, workspaceSid, input, false);
        if (!valid.ok) return valid;
        await tx.run(`UPDATE workflows SET friendly_name = $1, configuration = $2, task_reservation_timeout_s = $3, assignment_callback_url = $4,
          fallback_assignment_callback_url = $5, updated_at = $6 WHERE sid = $7`, [input.friendlyName ?? row.friendly_name, input.configuration ?? row.configuration,
          input.taskReservationTimeoutS ?? row.task_reservation_timeout_s,
          input.assignmentCallbackUrl === undefined ? row.assignment_callback_url : input.assignmentCallbackUrl,
          input.fallbackAssignmentCallbackUrl === undefined ? row.fallback_assignment_callback_url : input.fallbackAssignmentCallbackUrl, tx.now, sid]);
        return ok(toWorkflow(await one<WorkflowRow>(tx, q.workflow, [workspaceSid, sid])));
      });
    },
    async deleteWorkflow(workspaceSid, sid) {
      return db.tx(async (tx) => {
        await lockWorkspace(tx, workspaceSid);
        if (!(await tx.one(q.workflow, [workspaceSid, sid]))) return refuse('not-found', `Workflow ${sid} was not found`);
        if (await tx.one(`SELECT 1 FROM tasks WHERE workflow_sid = $1 AND ${ACTIVE_TASKS} LIMIT 1`, [sid])) return refuse('conflict', `Workflow ${sid} has active tasks and cannot be deleted`);
        await tx.run('DELETE FROM reservations WHERE task_sid IN (SELECT sid FROM tasks WHERE workflow_sid = $1)', [sid]);
        await tx.run('DELETE FROM tasks WHERE workflow_sid = $1', [sid]);
        await tx.run('DELETE FROM workflows WHERE sid = $1', [sid]);
        return ok(null);
      });
    },
  };
}
