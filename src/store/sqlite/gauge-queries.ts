/**
 * What the metrics' gauges show, counted when a scrape asks: a few index-backed counts, cheaper
 * than keeping running totals right on every connection and logout.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { PresenceGaugeStore } from '../../service/metrics.js';
import { cachedPrepare } from './statement-cache.js';

export function createGaugeQueries(db: BetterSqlite3.Database): PresenceGaugeStore {
  const prepare = cachedPrepare(db);
  // One statement, one read snapshot: the three numbers agree with each other.
  const counts = prepare<[], { connected_workers: number; sessions: number; in_grace: number; held: number }>(`SELECT
    (SELECT COUNT(DISTINCT worker_sid) FROM connections) AS connected_workers,
    (SELECT COUNT(*) FROM connections) AS sessions,
    (SELECT COUNT(*) FROM deadlines) AS in_grace,
    (SELECT COUNT(*) FROM outage_holds o JOIN outage_hold_workers h ON h.hold_sid = o.sid
       JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE o.ended_at IS NULL) AS held`);
  return {
    async presenceGauges() {
      const row = counts.get();
      return { connectedWorkers: row?.connected_workers ?? 0, sessions: row?.sessions ?? 0, workersInGrace: row?.in_grace ?? 0, heldWorkers: row?.held ?? 0 };
    },
  };
}
