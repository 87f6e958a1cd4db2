/**
 * Rollcall's reporting extensions under `/v1/Workspaces/{WS}` (docs/reports.md): active user
 * hours, the threshold advisor, the activity log and the disconnection episodes. Lists are paged
 * in JSON and streamed whole as CSV (`.csv` or `Accept: text/csv`) or NDJSON (`.ndjson` or
 * `Accept: application/x-ndjson`).
 */
import { ok, type Result } from '../../core/errors.js';
import type { Workspace } from '../../core/resources.js';
import { activityLogFile, episodesFile, reportFile, type ExportFile } from '../reporting/report-exports.js';
import {
  ADVISOR_FIELDS, HISTORY_FIELDS, REPORT_FIELDS, WORKER_HISTORY_FIELDS, advisorQueryOf, historyQueryOf, reportQueryOf,
} from '../reporting/report-params.js';
import { PAGING, pageArray, pageEnvelope, pagingOf } from './paging.js';
import { formParams } from './rest-params.js';
import { isoDate } from './wire.js';
import { answer, route, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute, type RestSchema } from './rest-api.js';
import { restAdvice, restEpisode, restLogEntry, restReport, restReportWorker } from './report-wire.js';

type Format = 'json' | 'csv' | 'ndjson';

/** The suffix of the path decides; without one, the Accept header. */
function formatOf(call: RestCall<RestSchema>, suffix: Format | undefined): Format {
  if (suffix) return suffix;
  const accept = call.accept ?? '';
  if (/\btext\/csv\b/i.test(accept)) return 'csv';
  if (/\bapplication\/(x-)?ndjson\b/i.test(accept)) return 'ndjson';
  return 'json';
}

const streamed = (f: ExportFile): Result<RestAnswer> => ok({ status: 200, ...f });

// Paging applies to the JSON answers; an export streams every row.
const REPORT = { querystring: formParams({ ...REPORT_FIELDS, ...PAGING }) };
const ADVISOR = { querystring: formParams(ADVISOR_FIELDS) };
const HISTORY = { querystring: formParams({ ...HISTORY_FIELDS, ...PAGING }) };
const WORKER_HISTORY = { querystring: formParams({ ...WORKER_HISTORY_FIELDS, ...PAGING }) };
/** Both history lists, whose worker is in the query or in the path. */
type HistoryCall = RestCall<typeof WORKER_HISTORY> & { readonly query: { readonly WorkerSid?: string | undefined } };

async function activeUserHours(call: RestCall<typeof REPORT>, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const query = reportQueryOf(call.query, call.path.workerSid);
  const paging = pagingOf(call.query);
  const report = await deps.reports.activeUserHours(workspace.value.sid, query);
  if (!report.ok) return report;
  const r = report.value;
  const format = formatOf(call, suffix);
  if (format !== 'json') return streamed(reportFile(r, format));
  const page = pageArray(r.workers, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((w) => restReportWorker(r, w));
  return answer({ ...envelope(call, workspace.value), ...restReport(r), ...pageEnvelope('workers', items, page.value, paging, { url: call.url, query: call.rawQuery }) });
}

async function thresholdAdvisor(call: RestCall<typeof ADVISOR>, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const query = advisorQueryOf(call.query, call.path.workerSid);
  const advice = await deps.reports.advise(workspace.value.sid, query);
  if (!advice.ok) return advice;
  return answer({ ...envelope(call, workspace.value), ...restAdvice(advice.value), url: call.url });
}

/** What both history lists read first: the workspace, the range and worker, paging, the format. */
async function historyRequest(call: HistoryCall, deps: RestDeps, suffix?: Format) {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const query = historyQueryOf(call.query, call.path.workerSid);
  const paging = pagingOf(call.query);
  return ok({ ws: workspace.value.sid, query, paging, format: formatOf(call, suffix) });
}

async function activityLog(call: HistoryCall, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
  const read = await historyRequest(call, deps, suffix);
  if (!read.ok) return read;
  const { ws, query, paging, format } = read.value;
  if (format !== 'json') {
    const exported = activityLogFile(await deps.reports.exportActivityLog(ws, query), format);
    return exported.ok ? streamed(exported.value) : exported;
  }
  const result = await deps.reports.activityLogPage(ws, query, paging.request);
  if (!result.ok) return result;
  const { page, names, initial } = result.value;
  const envelope = pageEnvelope('activity_log', page.items.map((e) => restLogEntry(e, names)), page, paging, { url: call.url, query: call.rawQuery });
  if (query.workerSid === undefined) return answer(envelope);
  // A timeline's first band: where the worker was when the range starts.
  return answer({
    initial_activity: initial === null ? null : {
      activity_sid: initial.activitySid, activity_name: names.activities.get(initial.activitySid) ?? null, effective_date: isoDate(initial.since), effective_date_ms: initial.since,
    },
    ...envelope,
  });
}

async function disconnections(call: HistoryCall, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
  const read = await historyRequest(call, deps, suffix);
  if (!read.ok) return read;
  const { ws, query, paging, format } = read.value;
  if (format !== 'json') {
    const exported = episodesFile(await deps.reports.exportEpisodes(ws, query), format);
    return exported.ok ? streamed(exported.value) : exported;
  }
  const result = await deps.reports.episodePage(ws, query, paging.request);
  if (!result.ok) return result;
  const { page, names } = result.value;
  return answer(pageEnvelope('disconnections', page.items.map((e) => restEpisode(e, names)), page, paging, { url: call.url, query: call.rawQuery }));
}

const envelope = (call: RestCall<RestSchema>, ws: Workspace): Record<string, unknown> => ({ account_sid: ws.accountSid, workspace_sid: ws.sid, url: call.url });

const WS = '/Workspaces/:workspaceSid';
const as = <S extends RestSchema>(format: Format, handler: (call: RestCall<S>, deps: RestDeps, suffix?: Format) => Promise<Result<RestAnswer>>) =>
  (call: RestCall<S>, deps: RestDeps) => handler(call, deps, format);

export const REPORT_ROUTES: readonly RestRoute[] = [
  route('GET', `${WS}/Reports/ActiveUserHours`, REPORT, (c, d) => activeUserHours(c, d)),
  route('GET', `${WS}/Reports/ActiveUserHours.csv`, REPORT, as('csv', activeUserHours)),
  route('GET', `${WS}/Reports/ThresholdAdvisor`, ADVISOR, thresholdAdvisor),
  route('GET', `${WS}/ActivityLog`, HISTORY, (c, d) => activityLog(c, d)),
  route('GET', `${WS}/ActivityLog.csv`, HISTORY, as('csv', activityLog)),
  route('GET', `${WS}/ActivityLog.ndjson`, HISTORY, as('ndjson', activityLog)),
  route('GET', `${WS}/Disconnections`, HISTORY, (c, d) => disconnections(c, d)),
  route('GET', `${WS}/Disconnections.csv`, HISTORY, as('csv', disconnections)),
  route('GET', `${WS}/Disconnections.ndjson`, HISTORY, as('ndjson', disconnections)),
  route('GET', `${WS}/Workers/:workerSid/ActivityLog`, WORKER_HISTORY, (c, d) => activityLog(c, d)),
  route('GET', `${WS}/Workers/:workerSid/Disconnections`, WORKER_HISTORY, (c, d) => disconnections(c, d)),
];
