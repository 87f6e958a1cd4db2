/**
 * Calendar arithmetic in an IANA time zone, without `Date`: local days and months as instants
 * (epoch ms), correct across daylight-saving changes. `Intl.DateTimeFormat` is the one source of
 * the zone's rules; everything else is integer arithmetic on the civil calendar.
 *
 * A zone's offset is read from Intl at a handful of instants and kept as *spans* (an offset and
 * the instants it holds for), found by sampling every few hours and bisecting each change to the
 * second. A local day starts at the first instant whose wall-clock time is at or after its
 * midnight: on a day whose midnight is skipped (a change at 00:00) it starts at the change.
 */
import { ok, refuse, type Result } from './errors.js';

export const SECOND_MS = 1000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Zone changes are never closer than this (real ones are months apart); the sampling step. */
const SAMPLE_MS = 6 * HOUR_MS;
/** Margin around a range when building its spans, wider than any offset (±26 h). */
const MARGIN_MS = 2 * DAY_MS;

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil({ year, month, day }: CivilDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date `days` after 1970-01-01 (`civil_from_days`). */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export const addDays = (date: CivilDate, n: number): CivilDate => civilFromDays(daysFromCivil(date) + n);
export const addMonths = (date: CivilDate, n: number): CivilDate => {
  const index = date.year * 12 + (date.month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: 1 };
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
/** `2026-03-29`. */
export const dateLabel = (d: CivilDate): string => `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
/** `2026-03`. */
export const monthLabel = (d: CivilDate): string => `${pad(d.year, 4)}-${pad(d.month)}`;

/** A `YYYY-MM-DD` that names a real calendar day, or null. */
export function parseCivilDate(text: string): CivilDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const back = civilFromDays(daysFromCivil(date));
  return back.year === date.year && back.month === date.month && back.day === date.day ? date : null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    return null;
  }
  formatters.set(zone, f);
  return f;
}

/** The canonical name of an IANA zone (`europe/paris` → `Europe/Paris`), or a refusal naming `field`. */
export function checkTimeZone(name: string, field = 'TimeZone'): Result<string> {
  // Intl also takes offsets such as "+01:00" on newer engines; a report needs a zone with rules.
  const f = /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) ? formatterOf(name) : null;
  if (!f) return refuse('invalid-parameter', `${field} must be an IANA time zone such as Europe/Paris or UTC; ${JSON.stringify(name)} is not one`, field);
  return ok(f.resolvedOptions().timeZone);
}

/** The zone's offset at `at` (wall-clock time minus UTC), in whole seconds as ms. */
export function offsetAt(zone: string, at: number): number {
  const f = formatterOf(zone);
  if (!f) throw new Error(`offsetAt: unknown time zone ${zone}`);
  const second = Math.floor(at / SECOND_MS) * SECOND_MS;
  const part: Record<string, number> = {};
  for (const p of f.formatToParts(second)) if (p.type !== 'literal') part[p.type] = Number(p.value);
  const wall = daysFromCivil({ year: part.year ?? 1970, month: part.month ?? 1, day: part.day ?? 1 }) * DAY_MS
    + (part.hour ?? 0) * HOUR_MS + (part.minute ?? 0) * 60_000 + (part.second ?? 0) * SECOND_MS;
  return wall - second;
}

/** One offset and the instants `[fromAt, toAt)` it holds for. */
export interface ZoneSpan {
  readonly fromAt: number;
  readonly toAt: number;
  readonly offsetMs: number;
}

/**
 * A zone's rules over a stretch of time: offsets, local dates and local midnights. Built for a
 * range (with a margin); asking outside it is a bug and throws.
 */
export class ZoneCalendar {
  readonly spans: readonly ZoneSpan[];

  constructor(readonly zone: string, startAt: number, endAt: number) {
    this.spans = spansOf(zone, startAt - MARGIN_MS, endAt + MARGIN_MS);
  }

  private spanAt(at: number): ZoneSpan {
    const spans = this.spans;
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((spans[mid] as ZoneSpan).fromAt <= at) lo = mid;
      else hi = mid - 1;
    }
    const span = spans[lo] as ZoneSpan;
    if (at < span.fromAt || at >= span.toAt) throw new Error(`ZoneCalendar: ${at} is outside the calendar's range`);
    return span;
  }

  offsetAt(at: number): number {
    return this.spanAt(at).offsetMs;
  }

  /** The local calendar date of an instant. */
  dateOf(at: number): CivilDate {
    return civilFromDays(Math.floor((at + this.offsetAt(at)) / DAY_MS));
  }

  /** The first instant of a local day (its midnight, or the change that skipped it). */
  startOfDay(date: CivilDate): number {
    const wall = daysFromCivil(date) * DAY_MS;
    for (const s of this.spans) {
      const at = Math.max(s.fromAt, wall - s.offsetMs);
      if (at < s.toAt) return at;
    }
    throw new Error(`ZoneCalendar: ${dateLabel(date)} is outside the calendar's range`);
  }

  /**
   * The end of the local clock hour holding `at`: the next instant whose wall time is a whole
   * hour, or the next change of offset if that comes first (a half-hour change splits an hour).
   */
  endOfHour(at: number): number {
    const span = this.spanAt(at);
    const wall = at + span.offsetMs;
    const next = at - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS) + HOUR_MS;
    return Math.min(next, span.toAt);
  }
}

function spansOf(zone: string, fromAt: number, toAt: number): ZoneSpan[] {
  const spans: ZoneSpan[] = [];
  let start = fromAt;
  let offset = offsetAt(zone, fromAt);
  for (let probe = fromAt + SAMPLE_MS; ; probe += SAMPLE_MS) {
    const at = Math.min(probe, toAt);
    const next = offsetAt(zone, at);
    if (next !== offset) {
      // Bisect to the second: the change is in (lo, hi].
      let lo = Math.floor((at - SAMPLE_MS) / SECOND_MS);
      let hi = Math.floor(at / SECOND_MS);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid * SECOND_MS) === offset) lo = mid;
        else hi = mid;
      }
      spans.push({ fromAt: start, toAt: hi * SECOND_MS, offsetMs: offset });
      start = hi * SECOND_MS;
      offset = offsetAt(zone, start);
    }
    if (at >= toAt) break;
  }
  spans.push({ fromAt: start, toAt, offsetMs: offset });
  return spans;
}

/** One bar of a report: a local day or month, clipped to the range. */
export interface Period {
  /** `2026-03-29` or `2026-03`. */
  readonly label: string;
  readonly startAt: number;
  /** Exclusive. */
  readonly endAt: number;
}

export type Granularity = 'day' | 'month';

/** The local days or months covering `[startAt, endAt)`, the first and last clipped to it. */
export function periodsOf(calendar: ZoneCalendar, startAt: number, endAt: number, granularity: Granularity): Period[] {
  const periods: Period[] = [];
  let date = calendar.dateOf(startAt);
  if (granularity === 'month') date = { ...date, day: 1 };
  let from = startAt;
  while (from < endAt) {
    const nextDate = granularity === 'day' ? addDays(date, 1) : addMonths(date, 1);
    // A next boundary far past the end (the rest of a month) is not looked up: the range ends first.
    const beyond = daysFromCivil(nextDate) * DAY_MS - 30 * HOUR_MS >= endAt;
    const to = beyond ? endAt : Math.min(calendar.startOfDay(nextDate), endAt);
    if (to > from) periods.push({ label: granularity === 'day' ? dateLabel(date) : monthLabel(date), startAt: from, endAt: to });
    from = Math.max(from, to);
    date = nextDate;
  }
  return periods;
}
