/**
 * What the PostgreSQL routing verbs share, inside the caller's transaction: workflow lookups,
 * placing a task at a workflow position, canceling a task, moving a worker's activity as part of
 * a routing change, and the commit a verb returns (the routing view of a worker is
 * store/routing-rows.ts `candidateOf`, shared with SQLite).
 */
import type { ActivityCause } from '../../core/presence.js';
import type { Task } from '../../core/routing-resources.js';
import { nextPosition, targetAt, type RoutingPosition, type WorkflowConfig } from '../../core/workflow-config.js';
import type { PresenceCommit } from '../../service/ports.js';
import type { RoutingCommit } from '../../service/routing-ports.js';
import { WORKFLOW_SELECT, parsedConfig, type WorkflowRow } from '../routing-rows.js';
import type { Tx } from './database.js';
import type { PgPresenceWriter } from './presence-writer.js';
import type { PgRoutingWriter, RoutingEffects } from './routing-writer.js';


export async function workflowRow(tx: Tx, workspaceSid: string, workflowSid: string): Promise<WorkflowRow | undefined> {
  return tx.one<WorkflowRow>(`${WORKFLOW_SELECT} WHERE f.workspace_sid = $1 AND f.sid = $2`, [workspaceSid, workflowSid]);
}

export async function configOf(tx: Tx, workspaceSid: string, workflowSid: string): Promise<WorkflowConfig | null> {
  const row = await workflowRow(tx, workspaceSid, workflowSid);
  return row ? parsedConfig(row.configuration) : null;
}

export async function isMultiTask(tx: Tx, workspaceSid: string): Promise<boolean> {
  return (await tx.one<{ multi_task_enabled: number }>('SELECT multi_task_enabled FROM workspaces WHERE sid = $1', [workspaceSid]))?.multi_task_enabled === 1;
}

/** Points a task at a position of its workflow (queue, priority, target timeout). */
export async function place(tx: Tx, task: Task, config: WorkflowConfig, position: RoutingPosition): Promise<void> {
  const at = tx.now;
  const target = targetAt(config, position);
  await tx.run(`UPDATE tasks SET queue_sid = $1, filter_index = $2, target_index = $3, target_since = $4, target_due_at = $5, priority = $6,
    version = version + 1, updated_at = $4 WHERE sid = $7`, [target?.queueSid ?? null, position.filterIndex, position.targetIndex, at,
    target?.timeoutS && nextPosition(config, position) ? at + target.timeoutS * 1000 : null, target?.priority ?? task.priority, task.sid]);
}

/**
 * Cancels a task and its active reservations. The task event goes first, while the workers
 * concerned still hold their reservations: the SDK finds a task through its reservations.
 */
export async function cancelTask(tx: Tx, writer: PgRoutingWriter, task: Task, reason: string, effects: RoutingEffects): Promise<void> {
  await writer.transferHooks.taskEnding(tx, task, `Transfer failed: task ${task.sid} was canceled (${reason})`, effects);
  await tx.run("UPDATE tasks SET assignment_status = 'canceled', reason = $1, target_due_at = NULL, version = version + 1, updated_at = $2 WHERE sid = $3", [reason, tx.now, task.sid]);
  await writer.announceTask(tx, await writer.taskNow(tx, task.sid), 'task.canceled', effects);
  for (const r of await writer.activeReservationsOfTask(tx, task.sid)) await writer.setReservationStatus(tx, r, 'canceled', effects);
}

/** Moves a worker's activity as part of a routing change, under the worker's row lock (same transaction). */
export async function moveWorker(
  tx: Tx, presence: PgPresenceWriter, workerSid: string, activitySid: string, cause: ActivityCause, actor: string, out: PresenceCommit[],
): Promise<void> {
  const activity = await tx.one<{ sid: string; available: number }>('SELECT sid, available FROM activities WHERE sid = $1', [activitySid]);
  if (!activity) return;
  const commit = await presence.run(tx, workerSid, (state) => (state.activity.sid === activitySid ? null : {
    type: 'activity-set', at: tx.now, activity: { sid: activity.sid, available: activity.available === 1 }, cause, actor, rejectPendingReservations: false,
  }));
  if (commit && (commit.outputs.length > 0 || commit.events.length > 0)) out.push(commit);
}

/** What a verb returns: pushes carry the task as the transaction left it (the SDK replaces its copy with what an event carries). */
export async function commitOf(tx: Tx, writer: PgRoutingWriter, effects: RoutingEffects, presence: PresenceCommit[] = []): Promise<RoutingCommit> {
  return { events: effects.events, pushes: await writer.finalPushes(tx, effects), presence, touchedWorkers: [...effects.touchedWorkers] };
}
