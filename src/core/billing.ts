/**
 * Active user hours: the fold from a worker's activity log to the time Flex would bill, per
 * local day or month. Billed time is time in any activity but the logout activity. *Saved* time
 * is time in the logout activity that began with an automatic logout (cause `offline-threshold`)
 * and lasted until the worker's next activity change: the account would have paid for it with
 * automatic status update off, because automation only ever logs out a worker who was in another
 * activity (rule 6). So `active + saved` is what the same history bills without automatic logouts.
 *
 * Instants are truncated to the whole second before anything is summed, so every figure is a whole
 * number of seconds and per-period figures add up exactly to the totals.
 */
import { HOUR_MS, SECOND_MS, type Period, type ZoneCalendar } from './calendar.js';

/** The part of an activity-log entry billing needs. */
export interface BillingEntry {
  readonly toActivitySid: string;
  readonly effectiveAt: number;
  /** `offline-threshold` marks an automatic logout; any other cause is a change like any other. */
  readonly cause: string;
}

/** One worker's history for a range. */
export interface WorkerHistory {
  /**
   * Sorted by effective time (then log order): at least the last entry at or before the range
   * start, and every entry inside the range. Before its first entry the worker did not exist.
   */
  readonly entries: readonly BillingEntry[];
  /** When the worker was deleted (nothing is billed after), or null. */
  readonly goneAt: number | null;
}

export type Rounding = 'none' | 'started-hour';

export interface BillingFrame {
  /** Consecutive, covering `[startAt, endAt)` exactly (core/calendar `periodsOf`). */
  readonly periods: readonly Period[];
  readonly logoutActivitySid: string;
  readonly rounding: Rounding;
  /** For `started-hour` rounding: the zone whose clock hours count. */
  readonly calendar: ZoneCalendar;
}

export interface WorkerBill {
  /** Per period, milliseconds (whole seconds) outside the logout activity. */
  readonly activeMs: number[];
  /** Per period, milliseconds in the logout activity after an automatic logout. */
  readonly savedMs: number[];
  /** Per period, with `started-hour`: clock hours in which the worker was active at all. */
  readonly startedHours: number[] | null;
}

/** A stay: one worker's time in one activity, clipped to the frame. */
export interface Stay {
  readonly activitySid: string;
  readonly fromAt: number;
  readonly toAt: number;
  /** The stay began with an automatic logout. */
  readonly automatic: boolean;
}

const toSecond = (at: number): number => Math.floor(at / SECOND_MS) * SECOND_MS;

/** The worker's stays inside `[startAt, endAt)`, in order; zero-length stays are left out. */
export function* staysOf(history: WorkerHistory, startAt: number, endAt: number): Generator<Stay> {
  const end = Math.min(toSecond(endAt), history.goneAt === null ? Infinity : toSecond(history.goneAt));
  const start = toSecond(startAt);
  const { entries } = history;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as BillingEntry;
    const next = entries[i + 1];
    const fromAt = Math.max(toSecond(entry.effectiveAt), start);
    const toAt = Math.min(next === undefined ? end : toSecond(next.effectiveAt), end);
    if (toAt > fromAt) yield { activitySid: entry.toActivitySid, fromAt, toAt, automatic: entry.cause === 'offline-threshold' };
  }
}

/** Adds `[fromAt, toAt)` to the periods it overlaps. */
export function addSpan(periods: readonly Period[], totals: number[], fromAt: number, toAt: number): void {
  let i = firstPeriodEndingAfter(periods, fromAt);
  for (; i < periods.length; i++) {
    const p = periods[i] as Period;
    if (p.startAt >= toAt) break;
    const overlap = Math.min(toAt, p.endAt) - Math.max(fromAt, p.startAt);
    if (overlap > 0) totals[i] = (totals[i] ?? 0) + overlap;
  }
}

function firstPeriodEndingAfter(periods: readonly Period[], at: number): number {
  let lo = 0;
  let hi = periods.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((periods[mid] as Period).endAt <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bill of one worker over the frame's periods. */
export function billWorker(history: WorkerHistory, frame: BillingFrame): WorkerBill {
  const { periods } = frame;
  const zeros = (): number[] => periods.map(() => 0);
  const activeMs = zeros();
  const savedMs = zeros();
  const startedHours = frame.rounding === 'started-hour' ? zeros() : null;
  const first = periods[0];
  const last = periods[periods.length - 1];
  if (!first || !last) return { activeMs, savedMs, startedHours };
  let countedUntil = -Infinity;
  for (const stay of staysOf(history, first.startAt, last.endAt)) {
    if (stay.activitySid !== frame.logoutActivitySid) {
      addSpan(periods, activeMs, stay.fromAt, stay.toAt);
      if (startedHours) countedUntil = countStartedHours(frame, startedHours, stay, countedUntil);
    } else if (stay.automatic) {
      addSpan(periods, savedMs, stay.fromAt, stay.toAt);
    }
  }
  return { activeMs, savedMs, startedHours };
}

/**
 * "Each started hour counts": every clock hour of the zone in which the worker was active for
 * at least a second counts once, in the period it starts in (an hour never spans two periods:
 * local midnights are whole hours). `countedUntil` is the end of the last hour already counted.
 */
function countStartedHours(frame: BillingFrame, hours: number[], stay: Stay, countedUntil: number): number {
  let at = stay.fromAt;
  let until = countedUntil;
  while (at < stay.toAt) {
    const hourEnd = frame.calendar.endOfHour(at);
    if (at >= until) {
      const i = firstPeriodEndingAfter(frame.periods, at);
      if (i < hours.length) hours[i] = (hours[i] ?? 0) + 1;
      until = hourEnd;
    }
    at = hourEnd;
  }
  return until;
}

/** Seconds as hours with three decimals (to the 3.6 s), for display next to the exact seconds. */
export const hoursOf = (ms: number): number => Math.round((ms / HOUR_MS) * 1000) / 1000;
