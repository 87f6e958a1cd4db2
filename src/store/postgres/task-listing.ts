/**
 * The Tasks list on PostgreSQL: filters and ordering in SQL, and only the asked-for slice read. A
 * test the store cannot express (an expression over attributes) runs on rows fetched page by page
 * from a server-side cursor (one snapshot), so memory stays one page whatever the number of tasks.
 * The SQLite twin is store/sqlite/task-listing.ts.
 */
import type { Task } from '../../core/routing-resources.js';
import type { RoutingStore, TaskFilter, TaskOrderKey, TaskSlice } from '../../service/routing-ports.js';
import { TASK_SELECT, toTask, type TaskRow } from '../routing-rows.js';
import type { PgDatabase } from './database.js';

const COLUMN: Readonly<Record<TaskOrderKey, string>> = {
  DateCreated: 't.created_at',
  Priority: 't.priority',
  VirtualStartTime: 'COALESCE(t.virtual_start_at, t.created_at)',
};

const WHERE = `t.workspace_sid = $1
  AND ($2::text[] IS NULL OR t.assignment_status = ANY($2::text[]))
  AND ($3::text IS NULL OR t.workflow_sid = $3)
  AND ($4::text IS NULL OR f.friendly_name = $4)
  AND ($5::text IS NULL OR t.queue_sid = $5)
  AND ($6::text IS NULL OR q.friendly_name = $6)
  AND ($7::int IS NULL OR t.priority = $7)
  AND ($8::text IS NULL OR t.routing_target = $8)`;

const PAGE = 200;

function params(workspaceSid: string, filter: TaskFilter): unknown[] {
  return [
    workspaceSid, filter.assignmentStatus ? [...filter.assignmentStatus] : null, filter.workflowSid ?? null, filter.workflowName ?? null,
    filter.taskQueueSid ?? null, filter.taskQueueName ?? null, filter.priority ?? null, filter.routingTarget ?? null,
  ];
}

// Statement texts are bounded: three keys, two directions, each used at most once.
const statement = (order: TaskSlice['order']): string => {
  const keys = (order ?? []).map((o) => `${COLUMN[o.key]} ${o.descending ? 'DESC' : 'ASC'}`);
  return `${TASK_SELECT} WHERE ${WHERE} ORDER BY ${[...keys, 't.created_at', 't.seq'].join(', ')}`;
};

export function createTaskListing(db: PgDatabase): Pick<RoutingStore, 'listTasks' | 'sliceTasks'> {
  return {
    async listTasks(workspaceSid, filter = {}) {
      return (await db.sql.rows<TaskRow>(statement(undefined), params(workspaceSid, filter))).map(toTask);
    },
    async sliceTasks(workspaceSid, filter, slice) {
      if (slice.limit <= 0) return [];
      const bound = params(workspaceSid, filter);
      const { matches } = slice;
      if (!matches) {
        return (await db.sql.rows<TaskRow>(`${statement(slice.order)} LIMIT $9 OFFSET $10`, [...bound, slice.limit, slice.offset])).map(toTask);
      }
      return db.tx(async (tx) => {
        await tx.run(`DECLARE task_slice NO SCROLL CURSOR FOR ${statement(slice.order)}`, bound);
        const found: Task[] = [];
        let skipped = 0;
        for (;;) {
          const page = await tx.rows<TaskRow>(`FETCH ${PAGE} FROM task_slice`);
          for (const row of page) {
            const task = toTask(row);
            if (!matches(task)) continue;
            if (skipped < slice.offset) skipped++;
            else if (found.push(task) >= slice.limit) return found;
          }
          if (page.length < PAGE) return found;
        }
      });
    },
  };
}
