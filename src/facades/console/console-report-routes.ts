/**
 * The console's reports (docs/console-api.md › Reports): active user hours, the threshold
 * advisor, one worker's history for its timeline, and the export files for download with the
 * session cookie. Parameters are read by the same schemas as REST's (reporting/report-params.ts)
 * under their REST names, so every rule and message is the one REST applies.
 */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ok, refuse, type Result } from '../../core/errors.js';
import { resolveRange } from '../../core/report-range.js';
import type { ConsoleSession } from '../../service/console-ports.js';
import { activityLogFile, episodesFile, reportFile, type ExportFile, type ExportFormat } from '../reporting/report-exports.js';
import {
  ADVISOR_PARAMS, HISTORY_PARAMS, REPORT_PARAMS, advisorQueryOf, fromConsoleQuery, historyQueryOf, reportQueryOf,
} from '../reporting/report-params.js';
import { parseParams } from '../rest/rest-validation.js';
import { answer, type ConsoleAnswer, type ConsoleDeps } from './console-api.js';
import { consoleAdvice, consoleEpisode, consoleLogEntry, consoleReport } from './console-report-wire.js';

export type ConsoleHandler = (session: ConsoleSession, req: FastifyRequest, deps: ConsoleDeps) => Promise<Result<ConsoleAnswer>>;

/** A timeline draws at most this many entries (and as many episodes); beyond, the page says so and offers the export. */
export const HISTORY_LIMIT = 5000;
const CHUNK = 1000;

/** The console's query under REST's names, read by `schema`. */
const read = <T>(schema: z.ZodType<T>, req: FastifyRequest): Result<T> => parseParams(schema, fromConsoleQuery((req.query ?? {}) as Record<string, unknown>));
const download = (f: ExportFile): Result<ConsoleAnswer> => ok({ status: 200, ...f });

const activeUserHours = (format: ExportFormat | 'json'): ConsoleHandler => async (s, req, d) => {
  const params = read(REPORT_PARAMS, req);
  if (!params.ok) return params;
  const report = await d.reports.activeUserHours(s.workspaceSid, reportQueryOf(params.value));
  if (!report.ok) return report;
  return format === 'json' ? answer(consoleReport(report.value)) : download(reportFile(report.value, format));
};

const thresholdAdvisor: ConsoleHandler = async (s, req, d) => {
  const params = read(ADVISOR_PARAMS, req);
  if (!params.ok) return params;
  const advice = await d.reports.advise(s.workspaceSid, advisorQueryOf(params.value));
  return advice.ok ? answer(consoleAdvice(advice.value)) : advice;
};

/** One worker's log and episodes over the range, whole (up to HISTORY_LIMIT each), for a timeline. */
const history: ConsoleHandler = async (s, req, d) => {
  const params = read(HISTORY_PARAMS, req);
  if (!params.ok) return params;
  const query = historyQueryOf(params.value);
  if (query.workerSid === undefined) return refuse('invalid-parameter', 'WorkerSid is required: the history is drawn for one worker', 'WorkerSid');
  const ws = s.workspaceSid;
  const now = d.clock.now();
  const log = [];
  let initial = null;
  let names = null;
  let truncated = false;
  for (let after: string | undefined; ;) {
    const page = await d.reports.activityLogPage(ws, query, after === undefined ? { limit: CHUNK } : { limit: CHUNK, after });
    if (!page.ok) return page;
    if (names === null) ({ names, initial } = page.value);
    log.push(...page.value.page.items);
    if (!page.value.page.more || page.value.page.lastCursor === null) break;
    if (log.length >= HISTORY_LIMIT) { truncated = true; break; }
    after = page.value.page.lastCursor;
  }
  const episodes = [];
  for (let after: string | undefined; ;) {
    const page = await d.reports.episodePage(ws, query, after === undefined ? { limit: CHUNK } : { limit: CHUNK, after });
    if (!page.ok) return page;
    episodes.push(...page.value.page.items);
    if (!page.value.page.more || page.value.page.lastCursor === null) break;
    if (episodes.length >= HISTORY_LIMIT) { truncated = true; break; }
    after = page.value.page.lastCursor;
  }
  // The service accepted the range, so this resolves it the same way, for the timeline's axis.
  const range = resolveRange(query, now, false);
  if (!range.ok || names === null) return range.ok ? ok({ status: 204 }) : range;
  const n = names;
  return answer({
    worker_sid: query.workerSid,
    start_at: range.value.startAt,
    end_at: range.value.endAt,
    data_until: Math.max(range.value.startAt, Math.min(range.value.endAt, now)),
    time_zone: range.value.zone,
    initial_activity: initial === null ? null : { activity_sid: initial.activitySid, activity_name: n.activities.get(initial.activitySid) ?? null, effective_at: initial.since },
    activity_log: log.slice(0, HISTORY_LIMIT).map((e) => consoleLogEntry(e, n)),
    disconnections: episodes.slice(0, HISTORY_LIMIT).map((e) => consoleEpisode(e, n)),
    truncated,
  });
};

const activityLogExport = (format: ExportFormat): ConsoleHandler => async (s, req, d) => {
  const params = read(HISTORY_PARAMS, req);
  if (!params.ok) return params;
  const file = activityLogFile(await d.reports.exportActivityLog(s.workspaceSid, historyQueryOf(params.value)), format);
  return file.ok ? download(file.value) : file;
};

const episodesExport = (format: ExportFormat): ConsoleHandler => async (s, req, d) => {
  const params = read(HISTORY_PARAMS, req);
  if (!params.ok) return params;
  const file = episodesFile(await d.reports.exportEpisodes(s.workspaceSid, historyQueryOf(params.value)), format);
  return file.ok ? download(file.value) : file;
};

/** GET routes under /console/api, each behind the admin session. */
export const CONSOLE_REPORT_ROUTES: readonly { readonly url: string; readonly handler: ConsoleHandler }[] = [
  { url: '/reports/active-user-hours', handler: activeUserHours('json') },
  { url: '/reports/active-user-hours.csv', handler: activeUserHours('csv') },
  { url: '/reports/threshold-advisor', handler: thresholdAdvisor },
  { url: '/reports/history', handler: history },
  { url: '/reports/activity-log.csv', handler: activityLogExport('csv') },
  { url: '/reports/activity-log.ndjson', handler: activityLogExport('ndjson') },
  { url: '/reports/disconnections.csv', handler: episodesExport('csv') },
  { url: '/reports/disconnections.ndjson', handler: episodesExport('ndjson') },
];
