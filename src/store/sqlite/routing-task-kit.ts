/**
 * What the SQLite task verbs share — routing-tasks.ts (tasks and reservations) and
 * routing-decisions.ts (the routing loop's reads, offers and due work): statements, the parsed
 * workflow and TargetWorkers caches, and the steps both take inside their transactions.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ActivityCause } from '../../core/presence.js';
import type { Task } from '../../core/routing-resources.js';
import { nextPosition, targetAt, type RoutingPosition, type WorkflowConfig } from '../../core/workflow-config.js';
import type { PresenceCommit } from '../../service/ports.js';
import type { RoutingCommit } from '../../service/routing-ports.js';
import type { PresenceWriter } from './presence-writer.js';
import {
  CANDIDATE_SELECT, QUEUE_SELECT, TASK_SELECT, WORKER_CHANNEL_SELECT, WORKFLOW_SELECT, type CandidateRow, type TaskQueueRow, type TaskRow, type WorkerChannelRow, type WorkflowRow,
  parsedConfig,
} from '../routing-rows.js';
import { cachedPrepare } from './statement-cache.js';
import type { RoutingEffects, RoutingWriter } from './routing-writer.js';

export const TTL_REASON = 'Task TTL Exceeded';



/** The statements and in-transaction steps of the task verbs; every step runs inside its caller's transaction. */
export function routingTaskKit(db: BetterSqlite3.Database, presence: PresenceWriter, writer: RoutingWriter) {
  const prepare = cachedPrepare(db);
  const q = {
    multiTask: prepare<[string], { multi_task_enabled: number }>('SELECT multi_task_enabled FROM workspaces WHERE sid = ?'),
    task: prepare<[string, string], TaskRow>(`${TASK_SELECT} WHERE t.workspace_sid = ? AND t.sid = ?`),
    workflow: prepare<[string, string], WorkflowRow>(`${WORKFLOW_SELECT} WHERE f.workspace_sid = ? AND f.sid = ?`),
    queue: prepare<[string], TaskQueueRow>(`${QUEUE_SELECT} WHERE q.sid = ?`),
    workerIn: prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND sid = ?'),
    channel: prepare<[string, string, string], { sid: string }>('SELECT sid FROM task_channels WHERE workspace_sid = ? AND (sid = ? OR unique_name = ?)'),
    activity: prepare<[string, string], { sid: string; available: number }>('SELECT sid, available FROM activities WHERE workspace_sid = ? AND sid = ?'),
    candidate: prepare<[string], CandidateRow>(`${CANDIDATE_SELECT} WHERE w.sid = ?`),
    candidates: prepare<[string], CandidateRow>(`${CANDIDATE_SELECT} WHERE w.workspace_sid = ?`),
    channelsOf: prepare<[string], WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid = ?`),
    channelsIn: prepare<[string], WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE tc.workspace_sid = ?`),
    /** Of the workers named in a JSON array: one statement for a whole batch of presence changes. */
    candidatesOf: prepare<[string], CandidateRow>(`${CANDIDATE_SELECT} WHERE w.sid IN (SELECT value FROM json_each(?))`),
    channelsOfMany: prepare<[string], WorkerChannelRow>(`${WORKER_CHANNEL_SELECT} WHERE wc.worker_sid IN (SELECT value FROM json_each(?))`),
    timeoutActivity: prepare<[string], { timeout_activity_sid: string }>('SELECT timeout_activity_sid FROM workspaces WHERE sid = ?'),
  };
  const isMultiTask = (workspaceSid: string): boolean => q.multiTask.get(workspaceSid)?.multi_task_enabled === 1;

  // Pushes carry the task as the transaction left it, not as it was when the push was recorded:
  // the SDK replaces its own copy with what an event carries.
  const commitOf = (effects: RoutingEffects, presenceCommits: PresenceCommit[] = []): RoutingCommit => ({
    events: effects.events,
    pushes: writer.finalPushes(effects),
    presence: presenceCommits,
    touchedWorkers: [...effects.touchedWorkers],
  });

  const configOf = (workspaceSid: string, workflowSid: string): WorkflowConfig | null => {
    const row = q.workflow.get(workspaceSid, workflowSid);
    if (!row) return null;
    return parsedConfig(row.configuration);
  };

  /** Moves a worker's activity as part of a routing change (same transaction). */
  const moveWorker = (workerSid: string, activitySid: string, cause: ActivityCause, actor: string, at: number, out: PresenceCommit[]): void => {
    const worker = presence.loadWorker(workerSid);
    const activity = presence.activity(activitySid);
    if (!worker || !activity || worker.activitySid === activitySid) return;
    const commit = presence.run(workerSid, at, { type: 'activity-set', at, activity: { sid: activity.sid, available: activity.available }, cause, actor, rejectPendingReservations: false });
    if (commit) out.push(commit);
  };

  /** Points a task at a position of its workflow (queue, priority, target timeout). */
  const place = (task: Task, config: WorkflowConfig, position: RoutingPosition, at: number): void => {
    const target = targetAt(config, position);
    prepare('UPDATE tasks SET queue_sid = ?, filter_index = ?, target_index = ?, target_since = ?, target_due_at = ?, priority = ?, version = version + 1, updated_at = ? WHERE sid = ?')
      .run(target?.queueSid ?? null, position.filterIndex, position.targetIndex, at, target?.timeoutS && nextPosition(config, position) ? at + target.timeoutS * 1000 : null,
        target?.priority ?? task.priority, at, task.sid);
  };

  /** Cancels a task and its active reservations. */
  // The task event goes first, while the workers concerned still hold their reservations: the
  // SDK finds a task through its reservations, and a reservation's end removes it.
  const cancelTask = (task: Task, reason: string, at: number, effects: RoutingEffects): void => {
    writer.transferHooks.taskEnding(task, `Transfer failed: task ${task.sid} was canceled (${reason})`, at, effects);
    prepare("UPDATE tasks SET assignment_status = 'canceled', reason = ?, target_due_at = NULL, version = version + 1, updated_at = ? WHERE sid = ?").run(reason, at, task.sid);
    writer.announceTask(writer.task(task.sid) as Task, 'task.canceled', at, effects);
    for (const r of writer.activeReservationsOfTask(task.sid)) writer.setReservationStatus(r, 'canceled', at, effects);
  };

  return { prepare, q, isMultiTask, commitOf, configOf, moveWorker, place, cancelTask };
}
