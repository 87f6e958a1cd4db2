/**
 * The range a report or an export covers, read from `StartDate`, `EndDate` and `TimeZone` as the
 * REST facade receives them. A bare date (`2026-03-01`) is a local calendar day in the time zone
 * and both ends are inclusive, as in Twilio's Usage Records; a date-time with `Z` or an offset
 * (`2026-03-01T08:00:00Z`) is an instant, and an instant `EndDate` is exclusive. Every refusal
 * names the parameter at fault.
 */
import {
  addDays, checkTimeZone, type CivilDate, DAY_MS, daysFromCivil, HOUR_MS, parseCivilDate, periodsOf, SECOND_MS, ZoneCalendar,
  type Granularity, type Period,
} from './calendar.js';
import { ok, refuse, type Result } from './errors.js';

/**
 * Daily reports cover at most 31 local days: one month of bars, and a bounded answer (2 000
 * workers × 31 days is 62 000 cells, about 6 MB of JSON). Longer ranges take `Granularity=month`.
 */
export const MAX_DAILY_PERIODS = 31;
/** Monthly reports cover at most 12 months: a year of 2 000 agents is ~24 million log rows to fold. */
export const MAX_MONTHLY_PERIODS = 12;
/** History and export ranges are not limited (they are paged or streamed). The advisor's is 31 days. */
export const MAX_ADVISOR_DAYS = 31;

export interface RangeQuery {
  readonly startDate?: string;
  readonly endDate?: string;
  readonly timeZone?: string;
}

export interface ResolvedRange {
  readonly zone: string;
  readonly startAt: number;
  /** Exclusive. */
  readonly endAt: number;
}

export interface ReportRange extends ResolvedRange {
  readonly granularity: Granularity;
  readonly calendar: ZoneCalendar;
  readonly periods: readonly Period[];
}

const INSTANT = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A bare date (`{date}`, resolved in the zone later) or an instant in epoch ms; null if neither. */
function parseDateParam(text: string): { date: CivilDate } | { at: number } | null {
  const date = parseCivilDate(text);
  if (date) return { date };
  const m = INSTANT.exec(text);
  if (!m) return null;
  const day = parseCivilDate(m[1] ?? '');
  const [h, min, s] = [Number(m[2]), Number(m[3]), Number(m[4] ?? '0')];
  if (!day || h > 23 || min > 59 || s > 59) return null;
  const fraction = m[5] ? Math.floor(Number(m[5]) * SECOND_MS) : 0;
  const zone = m[6] ?? 'Z';
  let offset = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offset = (zone.startsWith('-') ? -1 : 1) * (oh * HOUR_MS + om * 60_000);
  }
  return { at: daysFromCivil(day) * DAY_MS + h * HOUR_MS + min * 60_000 + s * SECOND_MS + fraction - offset };
}

const DATE_HELP = 'a date such as 2026-03-01 (a local day in TimeZone) or a date-time with a zone such as 2026-03-01T08:00:00Z';

/**
 * `[startAt, endAt)` from the query. `EndDate` defaults to `now` when `requireEnd` is false.
 * The range must not be empty or reversed.
 */
export function resolveRange(query: RangeQuery, now: number, requireEnd: boolean): Result<ResolvedRange> {
  const zone = checkTimeZone(query.timeZone ?? 'UTC');
  if (!zone.ok) return zone;
  if (query.startDate === undefined) return refuse('invalid-parameter', `StartDate is required: ${DATE_HELP}`, 'StartDate');
  if (query.endDate === undefined && requireEnd) return refuse('invalid-parameter', `EndDate is required: ${DATE_HELP}`, 'EndDate');
  const start = parseDateParam(query.startDate);
  if (!start) return refuse('invalid-parameter', `StartDate must be ${DATE_HELP}`, 'StartDate');
  const end = query.endDate === undefined ? { at: now } : parseDateParam(query.endDate);
  if (!end) return refuse('invalid-parameter', `EndDate must be ${DATE_HELP}`, 'EndDate');
  // Local days need the zone's rules around them; a calendar over ±2 days of each day is enough.
  const dayStart = (date: CivilDate): number => {
    const guess = daysFromCivil(date) * DAY_MS;
    return new ZoneCalendar(zone.value, guess, guess).startOfDay(date);
  };
  const startAt = 'at' in start ? start.at : dayStart(start.date);
  const endAt = 'at' in end ? end.at : dayStart(addDays(end.date, 1));
  if (endAt <= startAt) return refuse('invalid-parameter', `EndDate must be after StartDate (${query.startDate} to ${query.endDate ?? 'now'} is empty or reversed)`, 'EndDate');
  return ok({ zone: zone.value, startAt, endAt });
}

/** A report's range and its periods, refused when there would be too many periods. */
export function resolveReportRange(query: RangeQuery & { readonly granularity?: string }, now: number): Result<ReportRange> {
  const granularity = query.granularity ?? 'day';
  if (granularity !== 'day' && granularity !== 'month') return refuse('invalid-parameter', 'Granularity must be day or month', 'Granularity');
  const range = resolveRange(query, now, true);
  if (!range.ok) return range;
  const { zone, startAt, endAt } = range.value;
  // Count before building: a century of days would otherwise be built just to be refused.
  const max = granularity === 'day' ? MAX_DAILY_PERIODS : MAX_MONTHLY_PERIODS;
  if (endAt - startAt > (granularity === 'day' ? max + 1 : max * 31 + 1) * DAY_MS) return tooLong(granularity);
  const calendar = new ZoneCalendar(zone, startAt, endAt);
  const periods = periodsOf(calendar, startAt, endAt, granularity);
  if (periods.length > max) return tooLong(granularity);
  return ok({ ...range.value, granularity, calendar, periods });
}

function tooLong(granularity: Granularity): Result<never> {
  return granularity === 'day'
    ? refuse('invalid-parameter', `EndDate: a daily report covers at most ${MAX_DAILY_PERIODS} days (one month of bars); use Granularity=month for longer ranges`, 'EndDate')
    : refuse('invalid-parameter', `EndDate: a monthly report covers at most ${MAX_MONTHLY_PERIODS} months`, 'EndDate');
}

/** The advisor's range: at most 31 days, since it replays every episode of the range per candidate. */
export function resolveAdvisorRange(query: RangeQuery, now: number): Result<ResolvedRange> {
  const range = resolveRange(query, now, true);
  if (!range.ok) return range;
  if (range.value.endAt - range.value.startAt > MAX_ADVISOR_DAYS * DAY_MS + 2 * HOUR_MS) {
    return refuse('invalid-parameter', `EndDate: the threshold advisor covers at most ${MAX_ADVISOR_DAYS} days`, 'EndDate');
  }
  return ok(range.value);
}
