/**
 * Retention on SQLite: removes what is older than the configured ages, a bounded batch per kind in
 * one transaction, so a large backlog is worked off in short steps between which other writers run.
 * The activity log keeps, for every worker, its newest entries at or before the cutoff (all of those
 * at that instant): reports read a worker's state at the start of a range from them, so trimming
 * never changes what is billed after the cutoff.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { PruneCounts, RetentionCutoffs, RetentionStore } from '../../service/ports.js';
import { writeTx } from './transaction.js';

export function createRetentionQueries(db: BetterSqlite3.Database): RetentionStore {
  const q = {
    workspaces: db.prepare<[], { sid: string }>('SELECT sid FROM workspaces ORDER BY sid'),
    mark: db.prepare<[number]>('UPDATE retention_marks SET history_before = ? WHERE id = 1'),
    events: db.prepare<[string, number, number]>('DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE workspace_sid = ? AND at < ? LIMIT ?)'),
    callbacks: db.prepare<[string, number, number]>(
      "DELETE FROM callback_outbox WHERE id IN (SELECT id FROM callback_outbox WHERE workspace_sid = ? AND status <> 'pending' AND created_at < ? LIMIT ?)"),
    // Ended tasks only; their reservations go with them (ON DELETE CASCADE).
    tasks: db.prepare<[string, number, number]>(`DELETE FROM tasks WHERE sid IN (SELECT sid FROM tasks
      WHERE workspace_sid = ? AND assignment_status IN ('completed', 'canceled') AND updated_at < ? LIMIT ?)`),
    log: db.prepare<[string, number, number, number]>(`DELETE FROM activity_log WHERE id IN (SELECT l.id FROM activity_log l
      WHERE l.workspace_sid = ? AND l.effective_at < ? AND EXISTS (
        SELECT 1 FROM activity_log n WHERE n.worker_sid = l.worker_sid AND n.effective_at <= ? AND n.effective_at > l.effective_at)
      LIMIT ?)`),
    workerSids: db.prepare<[string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ?'),
    // By worker, so each delete is a range of the roll-up's primary key (worker, day, …); a worker's
    // old days are few, so a batch may run over its size by one worker's rows.
    rollup: db.prepare<[string, number]>('DELETE FROM activity_rollup WHERE worker_sid = ? AND day < ?'),
    episodes: db.prepare<[string, number, number]>(`DELETE FROM disconnect_episodes WHERE rowid IN (SELECT rowid FROM disconnect_episodes
      WHERE workspace_sid = ? AND ended_at IS NOT NULL AND last_seen_at < ? LIMIT ?)`),
    nodes: db.prepare<[number, number]>(`DELETE FROM nodes WHERE id IN (SELECT id FROM nodes n
      WHERE retired_at IS NOT NULL AND retired_at < ? AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.node_id = n.id) LIMIT ?)`),
  };

  return {
    async pruneBatch(cutoffs: RetentionCutoffs, batch: number): Promise<PruneCounts> {
      return writeTx(db, () => {
        const counts = { events: 0, callbacks: 0, tasks: 0, activityLog: 0, rollup: 0, episodes: 0, nodes: 0 };
        q.mark.run(cutoffs.historyBefore ?? 0);
        for (const { sid } of q.workspaces.all()) {
          const room = (used: number): number => Math.max(0, batch - used);
          if (cutoffs.eventsBefore !== null) {
            counts.events += q.events.run(sid, cutoffs.eventsBefore, room(counts.events)).changes;
            counts.callbacks += q.callbacks.run(sid, cutoffs.eventsBefore, room(counts.callbacks)).changes;
          }
          if (cutoffs.tasksBefore !== null) counts.tasks += q.tasks.run(sid, cutoffs.tasksBefore, room(counts.tasks)).changes;
          if (cutoffs.historyBefore !== null) {
            counts.activityLog += q.log.run(sid, cutoffs.historyBefore, cutoffs.historyBefore, room(counts.activityLog)).changes;
            counts.episodes += q.episodes.run(sid, cutoffs.historyBefore, room(counts.episodes)).changes;
            // Whole UTC days before the cutoff's day: reports after the cutoff never read them.
            const dayBefore = Math.floor(cutoffs.historyBefore / 86_400_000);
            for (const w of q.workerSids.all(sid)) {
              if (room(counts.rollup) === 0) break;
              counts.rollup += q.rollup.run(w.sid, dayBefore).changes;
            }
          }
        }
        counts.nodes = q.nodes.run(cutoffs.nodesBefore, batch).changes;
        q.mark.run(0);
        return counts;
      });
    },
  };
}
