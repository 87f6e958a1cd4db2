/**
 * The report parameters, read once for every facade: REST reads them as Twilio spells them
 * (`StartDate`, `Rounding`, …); the console renames its snake_case query to the same names
 * first (`CONSOLE_REPORT_PARAMS`), so a value is refused by the same rule and message in both,
 * and the console maps the field name back (console-wire.ts).
 */
import type { Rounding } from '../../core/billing.js';
import { MAX_THRESHOLD_S } from '../../core/logout-settings.js';
import type { AdvisorQuery, HistoryQuery, ReportQuery } from '../../service/reports-service.js';
import type { ParamReader, Params } from '../rest/params.js';

/** The console's query names for the same parameters. */
export const CONSOLE_REPORT_PARAMS: Readonly<Record<string, string>> = {
  start_date: 'StartDate',
  end_date: 'EndDate',
  time_zone: 'TimeZone',
  granularity: 'Granularity',
  rounding: 'Rounding',
  worker_sid: 'WorkerSid',
  threshold: 'Threshold',
};

/** A console query under REST's names; names it does not know are dropped, as REST ignores them. */
export function fromConsoleQuery(query: Params): Params {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    const rest = CONSOLE_REPORT_PARAMS[name];
    if (rest !== undefined) out[rest] = value;
  }
  return out;
}

function readRange(p: ParamReader): { startDate?: string; endDate?: string; timeZone?: string } {
  const startDate = p.string('StartDate');
  const endDate = p.string('EndDate');
  const timeZone = p.string('TimeZone');
  return { ...(startDate !== undefined ? { startDate } : {}), ...(endDate !== undefined ? { endDate } : {}), ...(timeZone !== undefined ? { timeZone } : {}) };
}

/** `WorkerSid`, unless the path already names the worker. */
function readWorker(p: ParamReader, pathWorkerSid: string | undefined): { workerSid?: string } {
  const workerSid = pathWorkerSid ?? p.sid('worker', 'WorkerSid');
  return workerSid === undefined ? {} : { workerSid };
}

/** Active user hours: the range, `Granularity` (checked by the core), `Rounding`, `WorkerSid`. */
export function readReportQuery(p: ParamReader, pathWorkerSid?: string): ReportQuery {
  const rounding = p.string('Rounding') ?? 'none';
  if (rounding !== 'none' && rounding !== 'started-hour') p.fail('Rounding', 'Rounding must be none or started-hour');
  const granularity = p.string('Granularity');
  return { ...readRange(p), ...readWorker(p, pathWorkerSid), rounding: rounding as Rounding, ...(granularity !== undefined ? { granularity } : {}) };
}

/** The advisor: the range, `WorkerSid`, and `Threshold` (repeated or comma-separated seconds). */
export function readAdvisorQuery(p: ParamReader, pathWorkerSid?: string): AdvisorQuery {
  const thresholds = p.list('Threshold')?.map((t) => (/^\d{1,5}$/.test(t) && Number(t) >= 1 && Number(t) <= MAX_THRESHOLD_S ? Number(t) : NaN));
  if (thresholds && (thresholds.some(Number.isNaN) || thresholds.length > 20)) p.fail('Threshold', `Threshold must be up to 20 whole numbers of seconds from 1 to ${MAX_THRESHOLD_S}`);
  return { ...readRange(p), ...readWorker(p, pathWorkerSid), ...(thresholds ? { thresholdsS: thresholds } : {}) };
}

/** History and exports: the range and `WorkerSid`. */
export function readHistoryQuery(p: ParamReader, pathWorkerSid?: string): HistoryQuery {
  return { ...readRange(p), ...readWorker(p, pathWorkerSid) };
}
