/**
 * The routing catalogue on SQLite: TaskChannels, WorkerChannels, TaskQueues and Workflows.
 * Every method is one IMMEDIATE transaction and validates everything before its first write.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { refuse, ok, type Result } from '../../core/errors.js';
import { parseExpression } from '../../core/expressions.js';
import { DEFAULT_TASK_CHANNELS, type WorkerChannel } from '../../core/routing-resources.js';

import { parseWorkflowConfig } from '../../core/workflow-config.js';
import { newSid } from '../../service/ids.js';
import type { Clock } from '../../service/ports.js';
import type { RoutingCommit, RoutingStore, TaskQueueInput, WorkflowInput } from '../../service/routing-ports.js';
import {
  TASK_CHANNEL_SELECT, catalogReads, toTaskChannel, toTaskQueue, toWorkerChannel, toWorkflow,
  type TaskChannelRow, type TaskQueueRow, type WorkerChannelRow, type WorkflowRow,
} from '../routing-rows.js';
import { cachedPrepare } from './statement-cache.js';
import { newEffects, type RoutingWriter } from './routing-writer.js';
import { writeTx } from './transaction.js';

type Catalog = Pick<RoutingStore,
  | 'ensureChannels' | 'listTaskChannels' | 'findTaskChannel' | 'createTaskChannel' | 'updateTaskChannel' | 'deleteTaskChannel'
  | 'listWorkerChannels' | 'updateWorkerChannel'
  | 'listTaskQueues' | 'findTaskQueue' | 'createTaskQueue' | 'updateTaskQueue' | 'deleteTaskQueue'
  | 'listWorkflows' | 'findWorkflow' | 'createWorkflow' | 'updateWorkflow' | 'deleteWorkflow'>;

const ACTIVE_TASKS = "assignment_status IN ('pending', 'reserved', 'assigned', 'wrapping')";
export const MAX_CHANNEL_CAPACITY = 50;

export function createRoutingCatalog(db: BetterSqlite3.Database, clock: Clock, writer: RoutingWriter): Catalog {
  const prepare = cachedPrepare(db);
  const reads = catalogReads(() => '?', 'rowid');
  const q = {
    channels: prepare<[string], TaskChannelRow>(reads.channels),
    channel: prepare<[string, string, string], TaskChannelRow>(`${TASK_CHANNEL_SELECT} WHERE tc.workspace_sid = ? AND (tc.sid = ? OR tc.unique_name = ?)`),
    workerChannels: prepare<[string], WorkerChannelRow>(reads.workerChannels),
    worker: prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND sid = ?'),
    queues: prepare<[string], TaskQueueRow>(reads.queues),
    queue: prepare<[string, string], TaskQueueRow>(reads.queue),
    workflows: prepare<[string], WorkflowRow>(reads.workflows),
    workflow: prepare<[string, string], WorkflowRow>(reads.workflow),
    activity: prepare<[string, string], { sid: string }>('SELECT sid FROM activities WHERE workspace_sid = ? AND sid = ?'),
    fillWorkerChannels: prepare(`INSERT INTO worker_channels (sid, worker_sid, task_channel_sid, capacity, available, created_at, updated_at)
      SELECT 'WC' || lower(hex(randomblob(16))), w.sid, tc.sid, 1, 1, ?, ? FROM workers w JOIN task_channels tc ON tc.workspace_sid = w.workspace_sid
      WHERE w.workspace_sid = ? AND NOT EXISTS (SELECT 1 FROM worker_channels wc WHERE wc.worker_sid = w.sid AND wc.task_channel_sid = tc.sid)`),
  };
  const fill = (workspaceSid: string, at: number): void => {
    q.fillWorkerChannels.run(at, at, workspaceSid);
  };
  const queueSidsInWorkflows = (workspaceSid: string): Set<string> => {
    const sids = new Set<string>();
    for (const wf of q.workflows.all(workspaceSid)) {
      const parsed = parseWorkflowConfig(wf.configuration, () => true);
      if (!parsed.ok) continue;
      for (const f of parsed.value.filters) for (const t of f.targets) sids.add(t.queueSid);
      if (parsed.value.defaultTarget) sids.add(parsed.value.defaultTarget.queueSid);
    }
    return sids;
  };

  const validateQueue = (workspaceSid: string, input: TaskQueueInput, creating: boolean): Result<null> => {
    if (creating && (input.friendlyName === undefined || input.friendlyName.trim() === '')) return refuse('invalid-parameter', 'FriendlyName is required', 'FriendlyName');
    if (input.targetWorkers !== undefined) {
      const parsed = parseExpression(input.targetWorkers);
      if (!parsed.ok) return refuse('invalid-parameter', `TargetWorkers: ${parsed.error.message}`, 'TargetWorkers');
    }
    for (const [field, sid] of [['ReservationActivitySid', input.reservationActivitySid], ['AssignmentActivitySid', input.assignmentActivitySid]] as const) {
      if (sid !== undefined && sid !== null && !q.activity.get(workspaceSid, sid)) return refuse('invalid-parameter', `${field} ${sid} is not an activity of this workspace`, field);
    }
    const max = input.maxReservedWorkers;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 50)) return refuse('invalid-parameter', 'MaxReservedWorkers must be a whole number from 1 to 50', 'MaxReservedWorkers');
    return ok(null);
  };

  const validateWorkflow = (workspaceSid: string, input: WorkflowInput, creating: boolean): Result<null> => {
    if (creating && (input.friendlyName === undefined || input.friendlyName.trim() === '')) return refuse('invalid-parameter', 'FriendlyName is required', 'FriendlyName');
    if (creating && input.configuration === undefined) return refuse('invalid-parameter', 'Configuration is required', 'Configuration');
    if (input.configuration !== undefined) {
      const parsed = parseWorkflowConfig(input.configuration, (sid) => q.queue.get(workspaceSid, sid) !== undefined);
      if (!parsed.ok) return parsed;
    }
    const t = input.taskReservationTimeoutS;
    if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 86_400)) return refuse('invalid-parameter', 'TaskReservationTimeout must be a whole number of seconds from 1 to 86400', 'TaskReservationTimeout');
    return ok(null);
  };

  return {
    async ensureChannels(workspaceSid) {
      writeTx(db, () => {
        const at = clock.now();
        const have = new Set(q.channels.all(workspaceSid).map((c) => c.unique_name));
        const insert = prepare('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
        for (const c of DEFAULT_TASK_CHANNELS) if (!have.has(c.uniqueName)) insert.run(newSid('taskChannel'), workspaceSid, c.uniqueName, c.friendlyName, at, at);
        fill(workspaceSid, at);
      });
    },
    async listTaskChannels(workspaceSid) {
      return q.channels.all(workspaceSid).map(toTaskChannel);
    },
    async findTaskChannel(workspaceSid, sidOrName) {
      const row = q.channel.get(workspaceSid, sidOrName, sidOrName);
      return row ? toTaskChannel(row) : null;
    },
    async createTaskChannel(workspaceSid, input) {
      return writeTx(db, () => {
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.uniqueName)) return refuse('invalid-parameter', 'UniqueName must be 1 to 64 letters, digits, - or _', 'UniqueName');
        if (q.channel.get(workspaceSid, input.uniqueName, input.uniqueName)) return refuse('conflict', `A TaskChannel named ${input.uniqueName} already exists`, 'UniqueName');
        const at = clock.now();
        const sid = newSid('taskChannel');
        prepare('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(sid, workspaceSid, input.uniqueName, input.friendlyName || input.uniqueName, at, at);
        fill(workspaceSid, at);
        return ok(toTaskChannel(q.channel.get(workspaceSid, sid, sid) as TaskChannelRow));
      });
    },
    async updateTaskChannel(workspaceSid, sidOrName, input) {
      return writeTx(db, () => {
        const row = q.channel.get(workspaceSid, sidOrName, sidOrName);
        if (!row) return refuse('not-found', `TaskChannel ${sidOrName} was not found`);
        prepare('UPDATE task_channels SET friendly_name = ?, updated_at = ? WHERE sid = ?').run(input.friendlyName, clock.now(), row.sid);
        return ok(toTaskChannel(q.channel.get(workspaceSid, row.sid, row.sid) as TaskChannelRow));
      });
    },
    async deleteTaskChannel(workspaceSid, sidOrName) {
      return writeTx(db, () => {
        const row = q.channel.get(workspaceSid, sidOrName, sidOrName);
        if (!row) return refuse('not-found', `TaskChannel ${sidOrName} was not found`);
        if (prepare('SELECT 1 FROM tasks WHERE task_channel_sid = ? LIMIT 1').get(row.sid)) return refuse('conflict', `TaskChannel ${row.unique_name} has tasks and cannot be deleted`);
        prepare('DELETE FROM task_channels WHERE sid = ?').run(row.sid);
        return ok(null);
      });
    },

    async listWorkerChannels(workspaceSid, workerSid) {
      if (!q.worker.get(workspaceSid, workerSid)) return refuse('not-found', `Worker ${workerSid} was not found`);
      return ok(q.workerChannels.all(workerSid).map(toWorkerChannel));
    },
    async updateWorkerChannel(workspaceSid, workerSid, channel, input) {
      return writeTx(db, (): Result<{ channel: WorkerChannel; commit: RoutingCommit }> => {
        if (!q.worker.get(workspaceSid, workerSid)) return refuse('not-found', `Worker ${workerSid} was not found`);
        const current = q.workerChannels.all(workerSid).find((c) => c.sid === channel || c.task_channel_sid === channel || c.unique_name === channel);
        if (!current) return refuse('not-found', `Worker ${workerSid} has no channel ${channel}`);
        const capacity = input.capacity ?? current.capacity;
        if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_CHANNEL_CAPACITY) return refuse('invalid-parameter', `Capacity must be a whole number from 0 to ${MAX_CHANNEL_CAPACITY}`, 'Capacity');
        const available = input.available ?? current.available === 1;
        const at = clock.now();
        prepare('UPDATE worker_channels SET capacity = ?, available = ?, updated_at = ? WHERE sid = ?').run(capacity, available ? 1 : 0, at, current.sid);
        const after = toWorkerChannel(q.workerChannels.all(workerSid).find((c) => c.sid === current.sid) as WorkerChannelRow);
        const effects = newEffects();
        effects.touchedWorkers.add(workerSid);
        const changes: ['worker.capacity.update' | 'worker.channel.availability.update', boolean][] = [
          ['worker.capacity.update', capacity !== current.capacity],
          ['worker.channel.availability.update', available !== (current.available === 1)],
        ];
        for (const [eventType, changed] of changes) {
          if (!changed) continue;
          effects.events.push(writer.event(workspaceSid, after.accountSid, eventType, 'worker', workerSid, at, `Worker channel ${after.taskChannelUniqueName} updated`, {
            worker_sid: workerSid, worker_channel_sid: after.sid, task_channel_unique_name: after.taskChannelUniqueName,
            worker_channel_capacity: String(after.capacity), worker_channel_available: String(after.available),
          }));
          effects.pushes.push({ workerSid, eventType, channel: after });
        }
        return ok({ channel: after, commit: { events: effects.events, pushes: effects.pushes, presence: [], touchedWorkers: [...effects.touchedWorkers] } });
      });
    },

    async listTaskQueues(workspaceSid) {
      return q.queues.all(workspaceSid).map(toTaskQueue);
    },
    async findTaskQueue(workspaceSid, sid) {
      const row = q.queue.get(workspaceSid, sid);
      return row ? toTaskQueue(row) : null;
    },
    async createTaskQueue(workspaceSid, input) {
      return writeTx(db, () => {
        const valid = validateQueue(workspaceSid, input, true);
        if (!valid.ok) return valid;
        if (q.queues.all(workspaceSid).some((x) => x.friendly_name === input.friendlyName)) return refuse('conflict', `A TaskQueue named ${input.friendlyName} already exists`, 'FriendlyName');
        const at = clock.now();
        const sid = newSid('taskQueue');
        prepare(`INSERT INTO task_queues (sid, workspace_sid, friendly_name, target_workers, reservation_activity_sid, assignment_activity_sid, max_reserved_workers, task_order, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(sid, workspaceSid, input.friendlyName, input.targetWorkers ?? '1==1', input.reservationActivitySid ?? null,
          input.assignmentActivitySid ?? null, input.maxReservedWorkers ?? 1, input.taskOrder ?? 'FIFO', at, at);
        return ok(toTaskQueue(q.queue.get(workspaceSid, sid) as TaskQueueRow));
      });
    },
    async updateTaskQueue(workspaceSid, sid, input) {
      return writeTx(db, () => {
        const row = q.queue.get(workspaceSid, sid);
        if (!row) return refuse('not-found', `TaskQueue ${sid} was not found`);
        const valid = validateQueue(workspaceSid, input, false);
        if (!valid.ok) return valid;
        if (input.friendlyName !== undefined && q.queues.all(workspaceSid).some((x) => x.friendly_name === input.friendlyName && x.sid !== sid)) {
          return refuse('conflict', `A TaskQueue named ${input.friendlyName} already exists`, 'FriendlyName');
        }
        prepare(`UPDATE task_queues SET friendly_name = ?, target_workers = ?, reservation_activity_sid = ?, assignment_activity_sid = ?, max_reserved_workers = ?, task_order = ?, updated_at = ? WHERE sid = ?`)
          .run(input.friendlyName ?? row.friendly_name, input.targetWorkers ?? row.target_workers,
            input.reservationActivitySid === undefined ? row.reservation_activity_sid : input.reservationActivitySid,
            input.assignmentActivitySid === undefined ? row.assignment_activity_sid : input.assignmentActivitySid,
            input.maxReservedWorkers ?? row.max_reserved_workers, input.taskOrder ?? row.task_order, clock.now(), sid);
        return ok(toTaskQueue(q.queue.get(workspaceSid, sid) as TaskQueueRow));
      });
    },
    async deleteTaskQueue(workspaceSid, sid) {
      return writeTx(db, () => {
        if (!q.queue.get(workspaceSid, sid)) return refuse('not-found', `TaskQueue ${sid} was not found`);
        if (prepare(`SELECT 1 FROM tasks WHERE queue_sid = ? AND ${ACTIVE_TASKS} LIMIT 1`).get(sid)) return refuse('conflict', `TaskQueue ${sid} has active tasks and cannot be deleted`);
        if (queueSidsInWorkflows(workspaceSid).has(sid)) return refuse('conflict', `TaskQueue ${sid} is a target of a workflow and cannot be deleted`);
        prepare('UPDATE tasks SET queue_sid = NULL WHERE queue_sid = ?').run(sid);
        prepare('DELETE FROM task_queues WHERE sid = ?').run(sid);
        return ok(null);
      });
    },

    async listWorkflows(workspaceSid) {
      return q.workflows.all(workspaceSid).map(toWorkflow);
    },
    async findWorkflow(workspaceSid, sid) {
      const row = q.workflow.get(workspaceSid, sid);
      return row ? toWorkflow(row) : null;
    },
    async createWorkflow(workspaceSid, input) {
      return writeTx(db, () => {
        const valid = validateWorkflow(workspaceSid, input, true);
        if (!valid.ok) return valid;
        const at = clock.now();
        const sid = newSid('workflow');
        prepare(`INSERT INTO workflows (sid, workspace_sid, friendly_name, configuration, task_reservation_timeout_s, assignment_callback_url, fallback_assignment_callback_url, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(sid, workspaceSid, input.friendlyName, input.configuration, input.taskReservationTimeoutS ?? 120,
          input.assignmentCallbackUrl ?? null, input.fallbackAssignmentCallbackUrl ?? null, at, at);
        return ok(toWorkflow(q.workflow.get(workspaceSid, sid) as WorkflowRow));
      });
    },
    async updateWorkflow(workspaceSid, sid, input) {
      return writeTx(db, () => {
        const row = q.workflow.get(workspaceSid, sid);
        if (!row) return refuse('not-found', `Workflow ${sid} was not found`);
        const valid = validateWorkflow(workspaceSid, input, false);
        if (!valid.ok) return valid;
        prepare(`UPDATE workflows SET friendly_name = ?, configuration = ?, task_reservation_timeout_s = ?, assignment_callback_url = ?, fallback_assignment_callback_url = ?, updated_at = ? WHERE sid = ?`)
          .run(input.friendlyName ?? row.friendly_name, input.configuration ?? row.configuration, input.taskReservationTimeoutS ?? row.task_reservation_timeout_s,
            input.assignmentCallbackUrl === undefined ? row.assignment_callback_url : input.assignmentCallbackUrl,
            input.fallbackAssignmentCallbackUrl === undefined ? row.fallback_assignment_callback_url : input.fallbackAssignmentCallbackUrl, clock.now(), sid);
        return ok(toWorkflow(q.workflow.get(workspaceSid, sid) as WorkflowRow));
      });
    },
    async deleteWorkflow(workspaceSid, sid) {
      return writeTx(db, () => {
        if (!q.workflow.get(workspaceSid, sid)) return refuse('not-found', `Workflow ${sid} was not found`);
        if (prepare(`SELECT 1 FROM tasks WHERE workflow_sid = ? AND ${ACTIVE_TASKS} LIMIT 1`).get(sid)) return refuse('conflict', `Workflow ${sid} has active tasks and cannot be deleted`);
        prepare('DELETE FROM reservations WHERE task_sid IN (SELECT sid FROM tasks WHERE workflow_sid = ?)').run(sid);
        prepare('DELETE FROM tasks WHERE workflow_sid = ?').run(sid);
        prepare('DELETE FROM workflows WHERE sid = ?').run(sid);
        return ok(null);
      });
    },
  };
}

