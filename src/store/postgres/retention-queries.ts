/**
 * Retention on PostgreSQL: removes what is older than the configured ages, a bounded batch per
 * kind in one transaction. The activity log keeps, for every worker, its newest entries at or
 * before the cutoff (reports read a worker's state at a range's start from them). The log's
 * trigger lets a delete through only below `retention_marks.history_before`, which this
 * transaction sets for its own length and puts back to 0 before it commits; the row lock on the
 * mark makes two nodes' retention runs take turns. The SQLite twin is store/sqlite/retention-queries.ts.
 */
import type { PruneCounts, RetentionCutoffs, RetentionStore } from '../../service/ports.js';
import type { PgDatabase } from './database.js';

const q = {
  mark: 'UPDATE retention_marks SET history_before = $1 WHERE id = 1',
  events: 'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE workspace_sid = $1 AND at < $2 LIMIT $3)',
  callbacks: "DELETE FROM callback_outbox WHERE id IN (SELECT id FROM callback_outbox WHERE workspace_sid = $1 AND status <> 'pending' AND created_at < $2 LIMIT $3)",
  // Ended tasks only; their reservations and transfers go with them (ON DELETE CASCADE).
  tasks: `DELETE FROM tasks WHERE sid IN (SELECT sid FROM tasks
    WHERE workspace_sid = $1 AND assignment_status IN ('completed', 'canceled') AND updated_at < $2 LIMIT $3)`,
  log: `DELETE FROM activity_log WHERE id IN (SELECT l.id FROM activity_log l
    WHERE l.workspace_sid = $1 AND l.effective_at < $2 AND EXISTS (
      SELECT 1 FROM activity_log n WHERE n.worker_sid = l.worker_sid AND n.effective_at <= $2 AND n.effective_at > l.effective_at)
    LIMIT $3)`,
  rollup: `DELETE FROM activity_rollup WHERE (worker_sid, day, activity_sid, automatic) IN (SELECT r.worker_sid, r.day, r.activity_sid, r.automatic
    FROM activity_rollup r JOIN workers w ON w.sid = r.worker_sid WHERE w.workspace_sid = $1 AND r.day < $2 LIMIT $3)`,
  episodes: `DELETE FROM disconnect_episodes WHERE id IN (SELECT id FROM disconnect_episodes
    WHERE workspace_sid = $1 AND ended_at IS NOT NULL AND last_seen_at < $2 LIMIT $3)`,
  nodes: `DELETE FROM nodes WHERE id IN (SELECT id FROM nodes n
    WHERE retired_at IS NOT NULL AND retired_at < $1 AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.node_id = n.id) LIMIT $2)`,
};

export function createRetentionQueries(db: PgDatabase): RetentionStore {
  return {
    async pruneBatch(cutoffs: RetentionCutoffs, batch: number): Promise<PruneCounts> {
      return db.tx(async (tx) => {
        const counts = { events: 0, callbacks: 0, tasks: 0, activityLog: 0, rollup: 0, episodes: 0, nodes: 0 };
        await tx.run(q.mark, [cutoffs.historyBefore ?? 0]);
        for (const { sid } of await tx.rows<{ sid: string }>('SELECT sid FROM workspaces ORDER BY sid')) {
          const room = (used: number): number => Math.max(0, batch - used);
          if (cutoffs.eventsBefore !== null) {
            counts.events += await tx.run(q.events, [sid, cutoffs.eventsBefore, room(counts.events)]);
            counts.callbacks += await tx.run(q.callbacks, [sid, cutoffs.eventsBefore, room(counts.callbacks)]);
          }
          if (cutoffs.tasksBefore !== null) counts.tasks += await tx.run(q.tasks, [sid, cutoffs.tasksBefore, room(counts.tasks)]);
          if (cutoffs.historyBefore !== null) {
            counts.activityLog += await tx.run(q.log, [sid, cutoffs.historyBefore, room(counts.activityLog)]);
            counts.episodes += await tx.run(q.episodes, [sid, cutoffs.historyBefore, room(counts.episodes)]);
            // Whole UTC days before the cutoff's day: reports after the cutoff never read them.
            counts.rollup += await tx.run(q.rollup, [sid, Math.floor(cutoffs.historyBefore / 86_400_000), room(counts.rollup)]);
          }
        }
        counts.nodes = await tx.run(q.nodes, [cutoffs.nodesBefore, batch]);
        await tx.run(q.mark, [0]);
        return counts;
      });
    },
  };
}
