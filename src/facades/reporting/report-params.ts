/**
 * The report parameters, declared once for every facade: REST's routes validate their query with
 * these schemas as Twilio spells the names (`StartDate`, `Rounding`, …); the console renames its
 * snake_case query to the same names first (`CONSOLE_REPORT_PARAMS`) and reads it with the same
 * schemas (`parseParams`), so a value is refused by the same rule and message in both, and the
 * console maps the field name back (console-wire.ts).
 */
import type { Rounding } from '../../core/billing.js';
import { MAX_THRESHOLD_S } from '../../core/logout-settings.js';
import type { AdvisorQuery, HistoryQuery, ReportQuery } from '../../service/reports-service.js';
import type { Params } from '../rest/rest-api.js';
import { formParams, oneOf, sid, text, type Kind, type ParamsOf } from '../rest/rest-params.js';

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

const RANGE = {
  StartDate: text({ description: 'The first day (YYYY-MM-DD) or instant of the range, in TimeZone' }),
  EndDate: text({ description: 'The last day (YYYY-MM-DD) or the instant the range ends, in TimeZone' }),
  TimeZone: text({ description: 'An IANA time zone, e.g. Europe/Paris; UTC by default' }),
};

const MAX_THRESHOLDS = 20;
/** `Threshold`: repeated or comma-separated seconds, up to 20 of them. */
const thresholds: Kind<number[]> = {
  read(raw, name) {
    const values = raw.split(',').map((t) => t.trim()).filter((t) => t !== '');
    const seconds = values.map((t) => (/^\d{1,5}$/.test(t) && Number(t) >= 1 && Number(t) <= MAX_THRESHOLD_S ? Number(t) : NaN));
    if (values.length === 0) return { ok: false, message: `${name} must not be empty` };
    if (seconds.some(Number.isNaN) || seconds.length > MAX_THRESHOLDS) {
      return { ok: false, message: `${name} must be up to ${MAX_THRESHOLDS} whole numbers of seconds from 1 to ${MAX_THRESHOLD_S}` };
    }
    return { ok: true, value: seconds };
  },
  doc: { type: 'array', items: { type: 'integer', minimum: 1, maximum: MAX_THRESHOLD_S }, maxItems: MAX_THRESHOLDS },
  list: true,
};

/** Active user hours: `Rounding`, `Granularity` (checked by the core), the range, `WorkerSid`. */
export const REPORT_FIELDS = {
  Rounding: oneOf(['none', 'started-hour'], (name) => `${name} must be none or started-hour`, { default: 'none' }),
  Granularity: text({ description: 'day, week or month (the core checks it)' }),
  ...RANGE,
  WorkerSid: sid('worker'),
};
/** The advisor: the range, `WorkerSid`, and `Threshold`. */
export const ADVISOR_FIELDS = { ...RANGE, WorkerSid: sid('worker'), Threshold: thresholds };
/** History and exports: the range and `WorkerSid`. */
export const HISTORY_FIELDS = { ...RANGE, WorkerSid: sid('worker') };

/** One worker's history, whose path names the worker: a `WorkerSid` in the query is ignored. */
export const WORKER_HISTORY_FIELDS = RANGE;

/** The schemas the console reads its (renamed) query with; REST's routes add paging to the fields. */
export const REPORT_PARAMS = formParams(REPORT_FIELDS);
export const ADVISOR_PARAMS = formParams(ADVISOR_FIELDS);
export const HISTORY_PARAMS = formParams(HISTORY_FIELDS);

function rangeOf(q: ParamsOf<typeof RANGE>): { startDate?: string; endDate?: string; timeZone?: string } {
  const { StartDate: startDate, EndDate: endDate, TimeZone: timeZone } = q;
  return { ...(startDate !== undefined ? { startDate } : {}), ...(endDate !== undefined ? { endDate } : {}), ...(timeZone !== undefined ? { timeZone } : {}) };
}

/** `WorkerSid`, unless the path already names the worker. */
function workerOf(querySid: string | undefined, pathWorkerSid: string | undefined): { workerSid?: string } {
  const workerSid = pathWorkerSid ?? querySid;
  return workerSid === undefined ? {} : { workerSid };
}

export function reportQueryOf(q: ParamsOf<typeof REPORT_FIELDS>, pathWorkerSid?: string): ReportQuery {
  const rounding: Rounding = q.Rounding ?? 'none';
  return { ...rangeOf(q), ...workerOf(q.WorkerSid, pathWorkerSid), rounding, ...(q.Granularity !== undefined ? { granularity: q.Granularity } : {}) };
}

export function advisorQueryOf(q: ParamsOf<typeof ADVISOR_FIELDS>, pathWorkerSid?: string): AdvisorQuery {
  return { ...rangeOf(q), ...workerOf(q.WorkerSid, pathWorkerSid), ...(q.Threshold ? { thresholdsS: q.Threshold } : {}) };
}

export function historyQueryOf(q: ParamsOf<typeof HISTORY_FIELDS>, pathWorkerSid?: string): HistoryQuery {
  return { ...rangeOf(q), ...workerOf(q.WorkerSid, pathWorkerSid) };
}
