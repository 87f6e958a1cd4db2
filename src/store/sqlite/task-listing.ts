/**
 * The Tasks list on SQLite: filters and ordering in SQL, and only the asked-for slice read. A test
 * the store cannot express (an expression over attributes) runs on rows as they stream from the
 * cursor, so memory stays one page whatever the number of tasks.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Task } from '../../core/routing-resources.js';
import type { RoutingStore, TaskFilter, TaskOrderKey, TaskSlice } from '../../service/routing-ports.js';
import { TASK_SELECT, toTask, type TaskRow } from '../routing-rows.js';
import { cachedPrepare } from './statement-cache.js';

const COLUMN: Readonly<Record<TaskOrderKey, string>> = {
  DateCreated: 't.created_at',
  Priority: 't.priority',
  VirtualStartTime: 'COALESCE(t.virtual_start_at, t.created_at)',
};

const WHERE = `t.workspace_sid = @ws
  AND (@statuses IS NULL OR t.assignment_status IN (SELECT value FROM json_each(@statuses)))
  AND (@workflowSid IS NULL OR t.workflow_sid = @workflowSid)
  AND (@workflowName IS NULL OR f.friendly_name = @workflowName)
  AND (@queueSid IS NULL OR t.queue_sid = @queueSid)
  AND (@queueName IS NULL OR q.friendly_name = @queueName)
  AND (@priority IS NULL OR t.priority = @priority)
  AND (@routingTarget IS NULL OR t.routing_target = @routingTarget)`;

function params(workspaceSid: string, filter: TaskFilter): Record<string, unknown> {
  return {
    ws: workspaceSid,
    statuses: filter.assignmentStatus ? JSON.stringify(filter.assignmentStatus) : null,
    workflowSid: filter.workflowSid ?? null,
    workflowName: filter.workflowName ?? null,
    queueSid: filter.taskQueueSid ?? null,
    queueName: filter.taskQueueName ?? null,
    priority: filter.priority ?? null,
    routingTarget: filter.routingTarget ?? null,
  };
}

export function createTaskListing(db: BetterSqlite3.Database): Pick<RoutingStore, 'listTasks' | 'sliceTasks'> {
  // Statement texts are bounded: three keys, two directions, each used at most once.
  const prepare = cachedPrepare(db);
  const statement = (order: TaskSlice['order'], limited: boolean) => {
    const keys = (order ?? []).map((o) => `${COLUMN[o.key]} ${o.descending ? 'DESC' : 'ASC'}`);
    const sql = `${TASK_SELECT} WHERE ${WHERE} ORDER BY ${[...keys, 't.created_at', 't.rowid'].join(', ')}${limited ? ' LIMIT @limit OFFSET @offset' : ''}`;
    return prepare<Record<string, unknown>, TaskRow>(sql);
  };

  return {
    async listTasks(workspaceSid, filter = {}) {
      return statement(undefined, false).all(params(workspaceSid, filter)).map(toTask);
    },
    async sliceTasks(workspaceSid, filter, slice) {
      if (slice.limit <= 0) return [];
      const bound = params(workspaceSid, filter);
      const { matches } = slice;
      if (!matches) return statement(slice.order, true).all({ ...bound, limit: slice.limit, offset: slice.offset }).map(toTask);
      const found: Task[] = [];
      let skipped = 0;
      for (const row of statement(slice.order, false).iterate(bound)) {
        const task = toTask(row);
        if (!matches(task)) continue;
        if (skipped < slice.offset) skipped++;
        else if (found.push(task) >= slice.limit) break;
      }
      return found;
    },
  };
}
