/**
 * The SQLite side of the report port (ReportStore): per-worker histories for the billing fold and
 * the advisor, keyset pages of the activity log and the episodes, and chunked exports.
 *
 * better-sqlite3 runs one statement at a time per connection, and an open `.iterate()` keeps the
 * connection busy: every presence write would fail while it stays open. So nothing here keeps an
 * iterator open across an `await`. Exports read chunk by chunk (each chunk one `.iterate()` run to
 * its end) and resume after the last row of the previous chunk, which costs the same wherever the
 * chunk is thanks to the (…, effective_at, id) indexes. Between chunks and batches of workers the
 * store yields to the event loop.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AdvisorEntry, AdvisorEpisode } from '../../core/advisor.js';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { PageOf, PageRequest } from '../../service/ports.js';
import type { DayTotal } from '../../core/billing-rollup.js';
import {
  OTHER_ACTIVITY, type EpisodeRecord, type HistoryFilter, type HistoryQuery, type ReportStore, type RollupQuery, type WorkerHistoryRecord, type WorkerRollupRecord,
} from '../../service/report-ports.js';
import { toEpisode, toLogEntry, type EpisodeRow, type LogRow } from './rows.js';

/** Workers read per turn of the event loop (a worker's month is ~1 000 rows, ~1 ms). */
const WORKERS_PER_TURN = 5;
const DEFAULT_CHUNK_ROWS = 2000;

type FullEpisodeRow = EpisodeRow & { exempt: number | null; logged_out_at: number | null };
/** Activities as 1 (the logout activity) or 0, causes as an index into CAUSES: no strings per row. */
type HistoryRow = [toLogout: number, fromLogout: number | null, cause: number, effectiveAt: number];
const CAUSES = ['other', 'offline-threshold', 'agent', 'admin', 'api'] as const;

const toRecord = (r: FullEpisodeRow): EpisodeRecord => ({ ...toEpisode(r), exempt: r.exempt === null ? null : r.exempt === 1, loggedOutAt: r.logged_out_at });
/** Only the columns the advisor replays (no SID or reason strings: 700 000 episodes a month). */
type AdvisorEpisodeRow = Pick<FullEpisodeRow, 'last_seen_at' | 'detected_at' | 'ended_at' | 'exempt'> & { logged_out: number };
const ADVISOR_EPISODE = "last_seen_at, detected_at, ended_at, exempt, outcome = 'logged-out' AS logged_out";
const toAdvisorEpisode = (r: AdvisorEpisodeRow): AdvisorEpisode => ({
  lastSeenAt: r.last_seen_at, detectedAt: r.detected_at, endedAt: r.ended_at, exempt: r.exempt === 1, loggedOut: r.logged_out === 1,
});

/** A keyset position: an instant and a row id, written `instant.id`. */
function cursorOf(token: string | undefined): { at: number; id: number } | null | undefined {
  if (token === undefined) return undefined;
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(token);
  return m ? { at: Number(m[1]), id: Number(m[2]) } : null;
}

/**
 * Keyset pages and chunks over one table ordered by (an instant column, id), with and without a
 * worker. The cursor's instant is also given as a plain bound (`@lo`/`@hi`): SQLite does not use a
 * row-value comparison as an index bound, and without it every chunk would scan from the range's
 * start (measured: 0.2 s for the first chunk of a month, 0.9 s for the last).
 */
function keyset<R extends { id: number }>(db: BetterSqlite3.Database, table: string, at: string) {
  const where = (scope: string, op: '>' | '<'): string => (op === '>'
    ? `WHERE ${scope} AND ${at} >= @lo AND ${at} < @endAt AND (${at}, id) > (@curAt, @curId)`
    : `WHERE ${scope} AND ${at} >= @startAt AND ${at} <= @hi AND (${at}, id) < (@curAt, @curId)`);
  const statement = (scope: string, op: '>' | '<', order: string): BetterSqlite3.Statement<Record<string, unknown>, R> =>
    db.prepare(`SELECT * FROM ${table} ${where(scope, op)} ORDER BY ${at} ${order}, id ${order} LIMIT @limit`);
  const byWorkspace = { after: statement('workspace_sid = @ws', '>', 'ASC'), before: statement('workspace_sid = @ws', '<', 'DESC') };
  // `+workspace_sid` keeps SQLite on the worker's index: a worker's rows are few, a workspace's many.
  const worker = 'worker_sid = @workerSid AND +workspace_sid = @ws';
  const byWorker = { after: statement(worker, '>', 'ASC'), before: statement(worker, '<', 'DESC') };
  const pick = (filter: HistoryFilter) => (filter.workerSid === undefined ? byWorkspace : byWorker);
  const params = (ws: string, filter: HistoryFilter, cur: { at: number; id: number }, limit: number) => ({
    ws, workerSid: filter.workerSid ?? null, startAt: filter.startAt, endAt: filter.endAt, curAt: cur.at, curId: cur.id, limit,
    lo: Math.max(filter.startAt, cur.at), hi: Math.min(filter.endAt - 1, cur.at),
  });
  return {
    page(ws: string, filter: HistoryFilter, page: PageRequest): Result<PageOf<R>> {
      const after = cursorOf(page.after);
      const before = cursorOf(page.before);
      if (after === null || before === null) return refuse('invalid-parameter', 'PageToken is not a page token this server issued', 'PageToken');
      const backward = after === undefined && before !== undefined;
      const cur = after ?? before ?? { at: Number.MIN_SAFE_INTEGER, id: 0 };
      const rows = (backward ? pick(filter).before : pick(filter).after).all(params(ws, filter, cur, page.limit + 1));
      const more = rows.length > page.limit;
      const kept = rows.slice(0, page.limit);
      if (backward) kept.reverse();
      const key = (r: R | undefined): string | null => (r ? `${(r as unknown as Record<string, number>)[at]}.${r.id}` : null);
      return ok({ items: kept, firstCursor: key(kept[0]), lastCursor: key(kept[kept.length - 1]), more });
    },
    async *chunks(ws: string, filter: HistoryFilter, chunkRows: number): AsyncGenerator<R[]> {
      let cur = { at: Number.MIN_SAFE_INTEGER, id: 0 };
      for (;;) {
        const chunk: R[] = [];
        for (const row of pick(filter).after.iterate(params(ws, filter, cur, chunkRows))) chunk.push(row);
        const last = chunk[chunk.length - 1];
        if (!last) return;
        cur = { at: (last as unknown as Record<string, number>)[at] as number, id: last.id };
        yield chunk;
        if (chunk.length < chunkRows) return;
        await yieldToLoop();
      }
    },
  };
}

export function createReportQueries(db: BetterSqlite3.Database): ReportStore {
  const log = keyset<LogRow>(db, 'activity_log', 'effective_at');
  const episodes = keyset<FullEpisodeRow>(db, 'disconnect_episodes', 'last_seen_at');
  const q = {
    // A skip-scan over activity_log_by_worker: the next worker SID after a given one, and its workspace.
    nextWorker: db.prepare<[string], { worker_sid: string; workspace_sid: string }>(
      'SELECT worker_sid, workspace_sid FROM activity_log WHERE worker_sid > ? ORDER BY worker_sid LIMIT 1'),
    firstLog: db.prepare<[string], { workspace_sid: string }>('SELECT workspace_sid FROM activity_log WHERE worker_sid = ? LIMIT 1'),
    history: db.prepare<Record<string, unknown>, HistoryRow>(`SELECT to_activity_sid = @logout, from_activity_sid = @logout,
         CASE cause WHEN 'offline-threshold' THEN 1 WHEN 'agent' THEN 2 WHEN 'admin' THEN 3 WHEN 'api' THEN 4 ELSE 0 END, effective_at FROM activity_log
       WHERE worker_sid = @w AND effective_at < @endAt
         AND effective_at >= COALESCE((SELECT MAX(effective_at) FROM activity_log WHERE worker_sid = @w AND effective_at <= @from), -1)
       ORDER BY effective_at, id`).raw(true),
    episodesIn: db.prepare<Record<string, unknown>, AdvisorEpisodeRow>(
      `SELECT ${ADVISOR_EPISODE} FROM disconnect_episodes WHERE worker_sid = @w AND last_seen_at >= @from AND last_seen_at < @endAt ORDER BY last_seen_at, id`),
    episodeBefore: db.prepare<Record<string, unknown>, AdvisorEpisodeRow>(
      `SELECT ${ADVISOR_EPISODE} FROM disconnect_episodes WHERE worker_sid = @w AND last_seen_at < @from ORDER BY last_seen_at DESC, id DESC LIMIT 1`),
    worker: db.prepare<[string], { friendly_name: string }>('SELECT friendly_name FROM workers WHERE sid = ?'),
    rollup: db.prepare<Record<string, unknown>, [day: number, isLogout: number, automatic: number, ms: number]>(`SELECT day, activity_sid = @logout, automatic, ms
       FROM activity_rollup WHERE worker_sid = @w AND day >= @fromDay AND day < @toDay`).raw(true),
    lastEntry: db.prepare<Record<string, unknown>, [toLogout: number, cause: number, effectiveAt: number]>(`SELECT to_activity_sid = @logout, cause = 'offline-threshold', effective_at
       FROM activity_log WHERE worker_sid = @w ORDER BY effective_at DESC, id DESC LIMIT 1`).raw(true),
    activityAt: db.prepare<[string, string, number], { to_activity_sid: string; effective_at: number }>(`SELECT to_activity_sid, effective_at FROM activity_log
       WHERE worker_sid = ? AND +workspace_sid = ? AND effective_at <= ? ORDER BY effective_at DESC, id DESC LIMIT 1`),
    deletion: db.prepare<[string, string], { at: number; name: string | null }>(`SELECT at, json_extract(data, '$.worker_name') AS name FROM events
       WHERE workspace_sid = ? AND resource_sid = ? AND event_type = 'worker.deleted' ORDER BY seq DESC LIMIT 1`),
  };

  /** Worker SIDs of the workspace that have log entries, in order (or just the one asked for). */
  function* workerSids(workspaceSid: string, only: string | undefined): Generator<string> {
    if (only !== undefined) {
      if (q.firstLog.get(only)?.workspace_sid === workspaceSid) yield only;
      return;
    }
    let after = '';
    for (;;) {
      const next = q.nextWorker.get(after);
      if (!next) return;
      if (next.workspace_sid === workspaceSid) yield next.worker_sid;
      after = next.worker_sid;
    }
  }

  const historyOf = (workspaceSid: string, workerSid: string, query: HistoryQuery): WorkerHistoryRecord => {
    let eps: AdvisorEpisode[] = [];
    let from = query.startAt;
    if (query.episodesFrom !== undefined) {
      const p = { w: workerSid, from: query.episodesFrom, endAt: query.endAt };
      const before = q.episodeBefore.get(p);
      const open = before && (before.ended_at === null || before.ended_at >= query.episodesFrom) ? [before] : [];
      eps = [...open, ...q.episodesIn.all(p)].map(toAdvisorEpisode);
      from = Math.min(from, query.episodesFrom, eps[0]?.lastSeenAt ?? Infinity);
    }
    const logout = query.logoutActivitySid;
    const activity = (isLogout: number | null): string | null => (isLogout === null ? null : isLogout === 1 ? logout : OTHER_ACTIVITY);
    const entries: AdvisorEntry[] = q.history.all({ w: workerSid, from, endAt: query.endAt, logout })
      .map(([to, fromLogout, cause, effectiveAt]) => ({ toActivitySid: activity(to) as string, fromActivitySid: activity(fromLogout), cause: CAUSES[cause] ?? 'other', effectiveAt }));
    const name = q.worker.get(workerSid)?.friendly_name;
    if (name !== undefined) return { workerSid, friendlyName: name, goneAt: null, entries, episodes: eps };
    const deletion = q.deletion.get(workspaceSid, workerSid);
    // Without its deletion event (never expected) the worker is taken as gone after its last entry.
    const goneAt = deletion?.at ?? (entries[entries.length - 1]?.effectiveAt ?? query.startAt);
    return { workerSid, friendlyName: deletion?.name ?? null, goneAt, entries, episodes: eps };
  };

  const rollupOf = (workspaceSid: string, workerSid: string, query: RollupQuery): WorkerRollupRecord => {
    const name = q.worker.get(workerSid)?.friendly_name;
    if (name === undefined) {
      const { friendlyName, goneAt, entries } = historyOf(workspaceSid, workerSid, query);
      return { workerSid, friendlyName, goneAt, rollup: null, entries };
    }
    const logout = query.logoutActivitySid;
    const { plan } = query;
    const days: DayTotal[] = q.rollup.all({ w: workerSid, logout, fromDay: plan.fromDay, toDay: plan.toDay })
      .map(([day, isLogout, automatic, ms]) => ({ day, isLogout: isLogout === 1, automatic: automatic === 1, ms }));
    const last = q.lastEntry.get({ w: workerSid, logout });
    const segments = plan.segments.map((s) => q.history.all({ w: workerSid, from: s.startAt, endAt: s.endAt, logout })
      .map(([to, , cause, effectiveAt]) => ({ toActivitySid: to === 1 ? logout : OTHER_ACTIVITY, cause: CAUSES[cause] ?? 'other', effectiveAt })));
    const rollup = {
      days, segments,
      last: last ? { toActivitySid: last[0] === 1 ? logout : OTHER_ACTIVITY, cause: last[1] === 1 ? 'offline-threshold' : 'other', effectiveAt: last[2] } : null,
    };
    return { workerSid, friendlyName: name, goneAt: null, rollup, entries: [] };
  };

  return {
    async *workerRollups(workspaceSid, query) {
      let n = 0;
      for (const workerSid of workerSids(workspaceSid, query.workerSid)) {
        yield rollupOf(workspaceSid, workerSid, query);
        if (++n % WORKERS_PER_TURN === 0) await yieldToLoop();
      }
    },
    async *workerHistories(workspaceSid, query) {
      let n = 0;
      for (const workerSid of workerSids(workspaceSid, query.workerSid)) {
        yield historyOf(workspaceSid, workerSid, query);
        if (++n % WORKERS_PER_TURN === 0) await yieldToLoop();
      }
    },
    async activityAt(workspaceSid, workerSid, at) {
      const row = q.activityAt.get(workerSid, workspaceSid, at);
      return row ? { activitySid: row.to_activity_sid, since: row.effective_at } : null;
    },
    async pageActivityLog(workspaceSid, filter, page) {
      const result = log.page(workspaceSid, filter, page);
      return result.ok ? ok({ ...result.value, items: result.value.items.map(toLogEntry) }) : result;
    },
    async pageEpisodes(workspaceSid, filter, page) {
      const result = episodes.page(workspaceSid, filter, page);
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
