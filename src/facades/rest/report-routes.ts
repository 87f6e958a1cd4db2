/**
 * Rollcall's reporting extensions under `/v1/Workspaces/{WS}` (docs/reports.md): active user
 * hours, the threshold advisor, the activity log and the disconnection episodes. Lists are paged
 * in JSON and streamed whole as CSV (`.csv` or `Accept: text/csv`) or NDJSON (`.ndjson` or
 * `Accept: application/x-ndjson`).
 */
import { ok, type Result } from '../../core/errors.js';
import type { Workspace } from '../../core/resources.js';
import { activityLogFile, episodesFile, reportFile, type ExportFile } from '../reporting/report-exports.js';
import { readAdvisorQuery, readHistoryQuery, readReportQuery } from '../reporting/report-params.js';
import { pageArray, pageEnvelope, readPaging } from './paging.js';
import { ParamReader } from './params.js';
import { isoDate } from './wire.js';
import { answer, workspaceOf, type RestAnswer, type RestCall, type RestDeps, type RestRoute } from './rest-api.js';
import { restAdvice, restEpisode, restLogEntry, restReport, restReportWorker } from './report-wire.js';

type Format = 'json' | 'csv' | 'ndjson';

/** The suffix of the path decides; without one, the Accept header. */
function formatOf(call: RestCall, suffix: Format | undefined): Format {
  if (suffix) return suffix;
  const accept = call.accept ?? '';
  if (/\btext\/csv\b/i.test(accept)) return 'csv';
  if (/\bapplication\/(x-)?ndjson\b/i.test(accept)) return 'ndjson';
  return 'json';
}

const streamed = (f: ExportFile): Result<RestAnswer> => ok({ status: 200, ...f });

async function activeUserHours(call: RestCall, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const query = readReportQuery(p, call.path.workerSid);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  const report = await deps.reports.activeUserHours(workspace.value.sid, query);
  if (!report.ok) return report;
  const r = report.value;
  const format = formatOf(call, suffix);
  if (format !== 'json') return streamed(reportFile(r, format));
  const page = pageArray(r.workers, paging.request);
  if (!page.ok) return page;
  const items = page.value.items.map((w) => restReportWorker(r, w));
  return answer({ ...envelope(call, workspace.value), ...restReport(r), ...pageEnvelope('workers', items, page.value, paging, { url: call.url, query: call.query }) });
}

async function thresholdAdvisor(call: RestCall, deps: RestDeps): Promise<Result<RestAnswer>> {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const query = readAdvisorQuery(p, call.path.workerSid);
  if (p.refusal) return p.refusal;
  const advice = await deps.reports.advise(workspace.value.sid, query);
  if (!advice.ok) return advice;
  return answer({ ...envelope(call, workspace.value), ...restAdvice(advice.value), url: call.url });
}

/** What both history lists read first: the workspace, the range and worker, paging, the format. */
async function historyRequest(call: RestCall, deps: RestDeps, suffix?: Format) {
  const workspace = await workspaceOf(call, deps);
  if (!workspace.ok) return workspace;
  const p = new ParamReader(call.query);
  const query = readHistoryQuery(p, call.path.workerSid);
  const paging = readPaging(p);
  if (p.refusal) return p.refusal;
  return ok({ ws: workspace.value.sid, query, paging, format: formatOf(call, suffix) });
}

async function activityLog(call: RestCall, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
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
  const envelope = pageEnvelope('activity_log', page.items.map((e) => restLogEntry(e, names)), page, paging, { url: call.url, query: call.query });
  if (query.workerSid === undefined) return answer(envelope);
  // A timeline's first band: where the worker was when the range starts.
  return answer({
    initial_activity: initial === null ? null : {
      activity_sid: initial.activitySid, activity_name: names.activities.get(initial.activitySid) ?? null, effective_date: isoDate(initial.since), effective_date_ms: initial.since,
    },
    ...envelope,
  });
}

async function disconnections(call: RestCall, deps: RestDeps, suffix?: Format): Promise<Result<RestAnswer>> {
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
  return answer(pageEnvelope('disconnections', page.items.map((e) => restEpisode(e, names)), page, paging, { url: call.url, query: call.query }));
}

const envelope = (call: RestCall, ws: Workspace): Record<string, unknown> => ({ account_sid: ws.accountSid, workspace_sid: ws.sid, url: call.url });

const WS = '/Workspaces/:workspaceSid';
const as = (format: Format, handler: (call: RestCall, deps: RestDeps, suffix?: Format) => Promise<Result<RestAnswer>>) =>
  (call: RestCall, deps: RestDeps) => handler(call, deps, format);

export const REPORT_ROUTES: readonly RestRoute[] = [
  { method: 'GET', url: `${WS}/Reports/ActiveUserHours`, handler: (c, d) => activeUserHours(c, d) },
  { method: 'GET', url: `${WS}/Reports/ActiveUserHours.csv`, handler: as('csv', activeUserHours) },
  { method: 'GET', url: `${WS}/Reports/ThresholdAdvisor`, handler: thresholdAdvisor },
  { method: 'GET', url: `${WS}/ActivityLog`, handler: (c, d) => activityLog(c, d) },
  { method: 'GET', url: `${WS}/ActivityLog.csv`, handler: as('csv', activityLog) },
  { method: 'GET', url: `${WS}/ActivityLog.ndjson`, handler: as('ndjson', activityLog) },
  { method: 'GET', url: `${WS}/Disconnections`, handler: (c, d) => disconnections(c, d) },
  { method: 'GET', url: `${WS}/Disconnections.csv`, handler: as('csv', disconnections) },
  { method: 'GET', url: `${WS}/Disconnections.ndjson`, handler: as('ndjson', disconnections) },
  { method: 'GET', url: `${WS}/Workers/:workerSid/ActivityLog`, handler: (c, d) => activityLog(c, d) },
  { method: 'GET', url: `${WS}/Workers/:workerSid/Disconnections`, handler: (c, d) => disconnections(c, d) },
];
