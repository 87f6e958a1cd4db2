/**
 * The PostgreSQL side of the report port (ReportStore): per-worker histories for the billing fold
 * and the advisor, keyset pages of the activity log and the episodes, and chunked exports. Each
 * statement runs on a pooled connection and returns it, so a long export never holds one across
 * an `await` of its consumer. Keyset positions are `instant.id`, compared as row values
 * (`(effective_at, id) > ($cur, $id)`), which PostgreSQL uses as an index bound. The SQLite twin is
 * store/sqlite/report-queries.ts; the row mappers are shared.
 */
import type { AdvisorEntry, AdvisorEpisode } from '../../core/advisor.js';
import type { DayTotal } from '../../core/billing-rollup.js';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { PageOf, PageRequest } from '../../service/ports.js';
import {
  OTHER_ACTIVITY, type EpisodeRecord, type HistoryFilter, type HistoryQuery, type ReportStore, type RollupQuery, type WorkerHistoryRecord, type WorkerRollupRecord,
} from '../../service/report-ports.js';
import { toEpisode, toLogEntry, type EpisodeRow, type LogRow } from '../sqlite/rows.js';
import type { Sql } from './database.js';

const DEFAULT_CHUNK_ROWS = 2000;
const CAUSES = ['other', 'offline-threshold', 'agent', 'admin', 'api'] as const;

type FullEpisodeRow = EpisodeRow & { exempt: number | null; logged_out_at: number | null };
const toRecord = (r: FullEpisodeRow): EpisodeRecord => ({ ...toEpisode(r), exempt: r.exempt === null ? null : r.exempt === 1, loggedOutAt: r.logged_out_at });

/** Only the columns the advisor replays. */
type AdvisorEpisodeRow = Pick<FullEpisodeRow, 'last_seen_at' | 'detected_at' | 'ended_at' | 'exempt'> & { logged_out: number };
const ADVISOR_EPISODE = "last_seen_at, detected_at, ended_at, exempt, (outcome IS NOT DISTINCT FROM 'logged-out')::int AS logged_out";
const toAdvisorEpisode = (r: AdvisorEpisodeRow): AdvisorEpisode => ({
  lastSeenAt: r.last_seen_at, detectedAt: r.detected_at, endedAt: r.ended_at, exempt: r.exempt === 1, loggedOut: r.logged_out === 1,
});

/** Activities as 1 (the logout activity) or 0, causes as an index into CAUSES. */
interface HistoryRow { to_logout: number; from_logout: number | null; cause: number; effective_at: number }
const HISTORY = `SELECT (to_activity_sid = $4)::int AS to_logout, (from_activity_sid = $4)::int AS from_logout,
    CASE cause WHEN 'offline-threshold' THEN 1 WHEN 'agent' THEN 2 WHEN 'admin' THEN 3 WHEN 'api' THEN 4 ELSE 0 END AS cause, effective_at FROM activity_log
  WHERE worker_sid = $1 AND effective_at < $3
    AND effective_at >= COALESCE((SELECT MAX(effective_at) FROM activity_log WHERE worker_sid = $1 AND effective_at <= $2), -1)
  ORDER BY effective_at, id`;

/** A keyset position: an instant and a row id, written `instant.id`. */
function cursorOf(token: string | undefined): { at: number; id: number } | null | undefined {
  if (token === undefined) return undefined;
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(token);
  return m ? { at: Number(m[1]), id: Number(m[2]) } : null;
}

/** Keyset pages and chunks over one table ordered by (an instant column, id), with or without a worker. */
function keyset<R extends { id: number }>(sql: Sql, table: string, at: string) {
  const statement = (filter: HistoryFilter, op: '>' | '<'): string => {
    const scope = filter.workerSid === undefined ? 'workspace_sid = $1' : 'worker_sid = $7 AND workspace_sid = $1';
    const order = op === '>' ? 'ASC' : 'DESC';
    return `SELECT * FROM ${table} WHERE ${scope} AND ${at} >= $2 AND ${at} < $3 AND (${at}, id) ${op} ($4::int8, $5::int8)
      ORDER BY ${at} ${order}, id ${order} LIMIT $6`;
  };
  const params = (ws: string, filter: HistoryFilter, cur: { at: number; id: number }, limit: number): unknown[] =>
    [ws, filter.startAt, filter.endAt, cur.at, cur.id, limit, ...(filter.workerSid === undefined ? [] : [filter.workerSid])];
  const key = (r: R | undefined): string | null => (r ? `${(r as unknown as Record<string, number>)[at]}.${r.id}` : null);
  return {
    async page(ws: string, filter: HistoryFilter, page: PageRequest): Promise<Result<PageOf<R>>> {
      const after = cursorOf(page.after);
      const before = cursorOf(page.before);
      if (after === null || before === null) return refuse('invalid-parameter', 'PageToken is not a page token this server issued', 'PageToken');
      const backward = after === undefined && before !== undefined;
      const cur = after ?? before ?? { at: Number.MIN_SAFE_INTEGER, id: 0 };
      const rows = await sql.rows<R>(statement(filter, backward ? '<' : '>'), params(ws, filter, cur, page.limit + 1));
      const more = rows.length > page.limit;
      const kept = rows.slice(0, page.limit);
      if (backward) kept.reverse();
      return ok({ items: kept, firstCursor: key(kept[0]), lastCursor: key(kept[kept.length - 1]), more });
    },
    async *chunks(ws: string, filter: HistoryFilter, chunkRows: number): AsyncGenerator<R[]> {
      let cur = { at: Number.MIN_SAFE_INTEGER, id: 0 };
      for (;;) {
        const chunk = await sql.rows<R>(statement(filter, '>'), params(ws, filter, cur, chunkRows));
        const last = chunk[chunk.length - 1];
        if (!last) return;
        cur = { at: (last as unknown as Record<string, number>)[at] as number, id: last.id };
        yield chunk;
        if (chunk.length < chunkRows) return;
      }
    },
  };
}

export function createReportQueries(sql: Sql): ReportStore {
  const log = keyset<LogRow>(sql, 'activity_log', 'effective_at');
  const episodes = keyset<FullEpisodeRow>(sql, 'disconnect_episodes', 'last_seen_at');

  /** Worker SIDs of the workspace that have log entries, in order (or just the one asked for). */
  const workerSids = async (workspaceSid: string, only: string | undefined): Promise<string[]> => {
    if (only !== undefined) {
      const first = await sql.one<{ workspace_sid: string }>('SELECT workspace_sid FROM activity_log WHERE worker_sid = $1 LIMIT 1', [only]);
      return first?.workspace_sid === workspaceSid ? [only] : [];
    }
    return (await sql.rows<{ worker_sid: string }>('SELECT DISTINCT worker_sid FROM activity_log WHERE workspace_sid = $1 ORDER BY worker_sid', [workspaceSid])).map((r) => r.worker_sid);
  };
  const nameOf = async (workerSid: string): Promise<string | undefined> =>
    (await sql.one<{ friendly_name: string }>('SELECT friendly_name FROM workers WHERE sid = $1', [workerSid]))?.friendly_name;
  const history = (workerSid: string, from: number, endAt: number, logout: string) => sql.rows<HistoryRow>(HISTORY, [workerSid, from, endAt, logout]);

  const historyOf = async (workspaceSid: string, workerSid: string, query: HistoryQuery): Promise<WorkerHistoryRecord> => {
    let eps: AdvisorEpisode[] = [];
    let from = query.startAt;
    if (query.episodesFrom !== undefined) {
      const before = await sql.one<AdvisorEpisodeRow>(`SELECT ${ADVISOR_EPISODE} FROM disconnect_episodes WHERE worker_sid = $1 AND last_seen_at < $2
        ORDER BY last_seen_at DESC, id DESC LIMIT 1`, [workerSid, query.episodesFrom]);
      const open = before && (before.ended_at === null || before.ended_at >= query.episodesFrom) ? [before] : [];
      const within = await sql.rows<AdvisorEpisodeRow>(`SELECT ${ADVISOR_EPISODE} FROM disconnect_episodes WHERE worker_sid = $1 AND last_seen_at >= $2 AND last_seen_at < $3
        ORDER BY last_seen_at, id`, [workerSid, query.episodesFrom, query.endAt]);
      eps = [...open, ...within].map(toAdvisorEpisode);
      from = Math.min(from, query.episodesFrom, eps[0]?.lastSeenAt ?? Infinity);
    }
    const logout = query.logoutActivitySid;
    const activity = (isLogout: number | null): string | null => (isLogout === null ? null : isLogout === 1 ? logout : OTHER_ACTIVITY);
    const entries: AdvisorEntry[] = (await history(workerSid, from, query.endAt, logout))
      .map((r) => ({ toActivitySid: activity(r.to_logout) as string, fromActivitySid: activity(r.from_logout), cause: CAUSES[r.cause] ?? 'other', effectiveAt: r.effective_at }));
    const name = await nameOf(workerSid);
    if (name !== undefined) return { workerSid, friendlyName: name, goneAt: null, entries, episodes: eps };
    const deletion = await sql.one<{ at: number; name: string | null }>(`SELECT at, data::json ->> 'worker_name' AS name FROM events
      WHERE workspace_sid = $1 AND resource_sid = $2 AND event_type = 'worker.deleted' ORDER BY seq DESC LIMIT 1`, [workspaceSid, workerSid]);
    // Without its deletion event (never expected) the worker is taken as gone after its last entry.
    const goneAt = deletion?.at ?? (entries[entries.length - 1]?.effectiveAt ?? query.startAt);
    return { workerSid, friendlyName: deletion?.name ?? null, goneAt, entries, episodes: eps };
  };

  const rollupOf = async (workspaceSid: string, workerSid: string, query: RollupQuery): Promise<WorkerRollupRecord> => {
    const name = await nameOf(workerSid);
    if (name === undefined) {
      const { friendlyName, goneAt, entries } = await historyOf(workspaceSid, workerSid, query);
      return { workerSid, friendlyName, goneAt, rollup: null, entries };
    }
    const logout = query.logoutActivitySid;
    const { plan } = query;
    const days: DayTotal[] = (await sql.rows<{ day: number; is_logout: number; automatic: number; ms: number }>(`SELECT day, (activity_sid = $2)::int AS is_logout, automatic, ms
      FROM activity_rollup WHERE worker_sid = $1 AND day >= $3 AND day < $4`, [workerSid, logout, plan.fromDay, plan.toDay]))
      .map((r) => ({ day: r.day, isLogout: r.is_logout === 1, automatic: r.automatic === 1, ms: r.ms }));
    const last = await sql.one<{ to_logout: number; threshold: number; effective_at: number }>(`SELECT (to_activity_sid = $2)::int AS to_logout,
      (cause = 'offline-threshold')::int AS threshold, effective_at FROM activity_log WHERE worker_sid = $1 ORDER BY effective_at DESC, id DESC LIMIT 1`, [workerSid, logout]);
    const segments = [];
    for (const s of plan.segments) {
      segments.push((await history(workerSid, s.startAt, s.endAt, logout))
        .map((r) => ({ toActivitySid: r.to_logout === 1 ? logout : OTHER_ACTIVITY, cause: CAUSES[r.cause] ?? 'other', effectiveAt: r.effective_at })));
    }
    const rollup = {
      days, segments,
      last: last ? { toActivitySid: last.to_logout === 1 ? logout : OTHER_ACTIVITY, cause: last.threshold === 1 ? 'offline-threshold' : 'other', effectiveAt: last.effective_at } : null,
    };
    return { workerSid, friendlyName: name, goneAt: null, rollup, entries: [] };
  };

  return {
    async *workerRollups(workspaceSid, query) {
      for (const workerSid of await workerSids(workspaceSid, query.workerSid)) yield await rollupOf(workspaceSid, workerSid, query);
    },
    async *workerHistories(workspaceSid, query) {
      for (const workerSid of await workerSids(workspaceSid, query.workerSid)) yield await historyOf(workspaceSid, workerSid, query);
    },
    async activityAt(workspaceSid, workerSid, at) {
      const row = await sql.one<{ to_activity_sid: string; effective_at: number }>(`SELECT to_activity_sid, effective_at FROM activity_log
        WHERE worker_sid = $1 AND workspace_sid = $2 AND effective_at <= $3 ORDER BY effective_at DESC, id DESC LIMIT 1`, [workerSid, workspaceSid, at]);
      return row ? { activitySid: row.to_activity_sid, since: row.effective_at } : null;
    },
    async pageActivityLog(workspaceSid, filter, page) {
      const result = await log.page(workspaceSid, filter, page);
      return result.ok ? ok({ ...result.value, items: result.value.items.map(toLogEntry) }) : result;
    },
    async pageEpisodes(workspaceSid, filter, page) {
      const result = await episodes.page(workspaceSid, filter, page);
      return result.ok ? ok({ ...result.value, items: result.value.items.map(toRecord) }) : result;
    },
    async *exportActivityLog(workspaceSid, filter, chunkRows = DEFAULT_CHUNK_ROWS) {
      for await (const chunk of log.chunks(workspaceSid, filter, chunkRows)) yield chunk.map(toLogEntry);
    },
    async *exportEpisodes(workspaceSid, filter, chunkRows = DEFAULT_CHUNK_ROWS) {
      for await (const chunk of episodes.chunks(workspaceSid, filter, chunkRows)) yield chunk.map(toRecord);
    },
  };
}
