/**
 * The SQLite side of the history port (EventStore): events, the activity log and disconnection
 * episodes as committed, and the counts the statistics are computed from. Reads only.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { EventStore } from '../../service/ports.js';
import { cachedPrepare } from './statement-cache.js';
import { pageOf, type Cursored } from './row-pages.js';
import { readTx } from './transaction.js';
import { toEpisode, toEvent, toLogEntry, type EpisodeRow, type EventRow, type LogRow } from './rows.js';

const EVENT_FILTER = `workspace_sid = @ws
  AND (@types IS NULL OR event_type IN (SELECT value FROM json_each(@types)))
  AND (@resourceSid IS NULL OR resource_sid = @resourceSid)
  AND (@data IS NULL OR NOT EXISTS (
    SELECT 1 FROM json_each(@data) f WHERE json_extract(events.data, '$.' || f.key) IS NOT f.value))
  AND (@startAt IS NULL OR at >= @startAt)
  AND (@endAt IS NULL OR at <= @endAt)`;

const LOG_SCOPE = `l.workspace_sid = @ws AND (@workerSid IS NULL OR l.worker_sid = @workerSid)
  AND EXISTS (SELECT 1 FROM workers w WHERE w.sid = l.worker_sid)`;

export function createHistoryQueries(db: BetterSqlite3.Database): EventStore {
  const prepare = cachedPrepare(db);
  const q = {
    eventsAfter: db.prepare<Record<string, unknown>, Cursored<EventRow>>(`SELECT seq AS row_cursor, * FROM events WHERE ${EVENT_FILTER} AND seq > @cursor ORDER BY seq LIMIT @limit`),
    eventsBefore: db.prepare<Record<string, unknown>, Cursored<EventRow>>(`SELECT seq AS row_cursor, * FROM events WHERE ${EVENT_FILTER} AND seq < @cursor ORDER BY seq DESC LIMIT @limit`),
    event: db.prepare<[string, string], EventRow>('SELECT * FROM events WHERE workspace_sid = ? AND sid = ?'),
    logAtStart: db.prepare<Record<string, unknown>, LogRow>(`SELECT * FROM (
        SELECT l.*, ROW_NUMBER() OVER (PARTITION BY l.worker_sid ORDER BY l.effective_at DESC, l.id DESC) AS rn
          FROM activity_log l WHERE ${LOG_SCOPE} AND l.effective_at <= @startAt
      ) WHERE rn = 1`),
    logInside: db.prepare<Record<string, unknown>, LogRow>(`SELECT l.* FROM activity_log l WHERE ${LOG_SCOPE} AND l.effective_at > @startAt AND l.effective_at < @endAt`),
    headcount: db.prepare<[string, string | null, string | null], { activity_sid: string; n: number }>(
      'SELECT activity_sid, COUNT(*) AS n FROM workers WHERE workspace_sid = ? AND (? IS NULL OR sid = ?) GROUP BY activity_sid'),
    reservations: db.prepare<Record<string, unknown>, { status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM reservations
      WHERE workspace_sid = @ws AND (@workerSid IS NULL OR worker_sid = @workerSid) AND created_at >= @startAt AND created_at < @endAt GROUP BY status`),
  };

  return {
    async events(workspaceSid, filter = {}) {
      return prepare<Record<string, unknown>, EventRow>(`SELECT * FROM events WHERE workspace_sid = @ws AND (@worker IS NULL OR resource_sid = @worker)
        AND (@endAt IS NULL OR at <= @endAt) AND (@types IS NULL OR event_type IN (SELECT value FROM json_each(@types))) ORDER BY seq`)
        .all({ ws: workspaceSid, worker: filter.workerSid ?? null, endAt: filter.endAt ?? null, types: filter.eventTypes ? JSON.stringify(filter.eventTypes) : null })
        .map(toEvent);
    },
    async pageEvents(workspaceSid, filter, page) {
      const params = {
        ws: workspaceSid,
        types: filter.eventTypes === undefined ? null : JSON.stringify(filter.eventTypes),
        resourceSid: filter.resourceSid ?? null,
        data: filter.data === undefined || Object.keys(filter.data).length === 0 ? null : JSON.stringify(filter.data),
        startAt: filter.startAt ?? null,
        endAt: filter.endAt ?? null,
      };
      return pageOf(page, params, q.eventsAfter, q.eventsBefore, toEvent);
    },
    async findEvent(workspaceSid, sid) {
      const row = q.event.get(workspaceSid, sid);
      return row ? toEvent(row) : null;
    },
    async activityLog(workspaceSid, filter = {}) {
      return prepare<[string, string | null, string | null, number], LogRow>(
        'SELECT * FROM activity_log WHERE workspace_sid = ? AND (? IS NULL OR worker_sid = ?) AND id > ? ORDER BY id',
      ).all(workspaceSid, filter.workerSid ?? null, filter.workerSid ?? null, filter.sinceId ?? 0).map(toLogEntry);
    },
    async disconnectEpisodes(workspaceSid, filter = {}) {
      return prepare<[string, string | null, string | null], EpisodeRow>(
        'SELECT * FROM disconnect_episodes WHERE workspace_sid = ? AND (? IS NULL OR worker_sid = ?) ORDER BY id',
      ).all(workspaceSid, filter.workerSid ?? null, filter.workerSid ?? null).map(toEpisode);
    },
    async activityLogWindow(workspaceSid, window) {
      const params = { ws: workspaceSid, workerSid: window.workerSid ?? null, startAt: window.startAt, endAt: window.endAt };
      return readTx(db, () => [...q.logAtStart.all(params), ...q.logInside.all(params)].map(toLogEntry));
    },
    async reservationsByStatus(workspaceSid, window) {
      const rows = q.reservations.all({ ws: workspaceSid, workerSid: window.workerSid ?? null, startAt: window.startAt, endAt: window.endAt });
      return new Map(rows.map((r) => [r.status, r.n]));
    },
    async workersByActivity(workspaceSid, filter = {}) {
      const sid = filter.workerSid ?? null;
      return new Map(q.headcount.all(workspaceSid, sid, sid).map((r) => [r.activity_sid, r.n]));
    },
  };
}
