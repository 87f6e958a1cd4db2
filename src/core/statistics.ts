/**
 * Worker statistics computed from the append-only activity log: how long workers spent in each
 * activity over a window (TaskRouter's `activity_durations`), and how many are in each now.
 *
 * A *stay* is one worker's contiguous time in one activity, clipped to the window. Consecutive
 * log entries to the same activity continue the stay; stays of zero length do not count. For
 * each activity: `total` is the sum of its stays, `min`/`max` the shortest/longest stay, `avg`
 * the total divided by the number of stays. Figures are whole seconds (rounded); activities
 * with no stay report zeros.
 *
 * Reservation counters count the reservations *created* in the window, by how they ended so far
 * (accepted ones include those since wrapped up or completed; pending ones count as created only).
 */
import { ok, refuse, type Result } from './errors.js';

export const DEFAULT_STATISTICS_MINUTES = 15;
/** The longest window asked for with `Minutes`: one year. */
export const MAX_STATISTICS_MINUTES = 525_600;

export interface StatisticsWindow {
  readonly startAt: number;
  /** Exclusive. */
  readonly endAt: number;
}

/** What the caller asked for: `Minutes`, or `StartDate` with an optional `EndDate` (epoch ms). */
export interface WindowQuery {
  readonly minutes?: number;
  readonly startAt?: number;
  readonly endAt?: number;
}

/**
 * The window a query means at `now`: the last `minutes` (15 by default), or from `startAt` to
 * `endAt` (now when absent). The future holds no data, so the end is never after now.
 */
export function resolveWindow(query: WindowQuery, now: number): Result<StatisticsWindow> {
  const { minutes, startAt, endAt } = query;
  if (minutes !== undefined) {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_STATISTICS_MINUTES) {
      return refuse('invalid-parameter', `Minutes must be a whole number from 1 to ${MAX_STATISTICS_MINUTES}`, 'Minutes');
    }
    if (startAt !== undefined) return refuse('invalid-parameter', 'Give either Minutes or StartDate, not both', 'Minutes');
  }
  const end = Math.min(endAt ?? now, now);
  const start = startAt ?? end - (minutes ?? DEFAULT_STATISTICS_MINUTES) * 60_000;
  if (startAt !== undefined && endAt !== undefined && startAt >= endAt) return refuse('invalid-parameter', 'StartDate must be before EndDate', 'StartDate');
  return ok({ startAt: start, endAt: Math.max(start, end) });
}

/** The part of an activity-log entry the statistics need. */
export interface LogPoint {
  readonly id: number;
  readonly workerSid: string;
  readonly toActivitySid: string;
  readonly effectiveAt: number;
}

export interface NamedActivity {
  readonly sid: string;
  readonly friendlyName: string;
}

export interface ActivityDuration {
  readonly sid: string;
  readonly friendlyName: string;
  readonly avgS: number;
  readonly minS: number;
  readonly maxS: number;
  readonly totalS: number;
}

interface Tally {
  count: number;
  totalMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * Durations per activity over `window`, in the order of `activities`. `points` may hold any
 * superset of what matters (entries before the window and after it are sorted out here); only
 * the last entry at or before the start and those inside the window change the result.
 */
export function activityDurations(points: readonly LogPoint[], activities: readonly NamedActivity[], window: StatisticsWindow): ActivityDuration[] {
  const tallies = new Map<string, Tally>();
  for (const stay of staysOf(points, window)) {
    const t = tallies.get(stay.activitySid) ?? { count: 0, totalMs: 0, minMs: Infinity, maxMs: 0 };
    t.count += 1;
    t.totalMs += stay.ms;
    t.minMs = Math.min(t.minMs, stay.ms);
    t.maxMs = Math.max(t.maxMs, stay.ms);
    tallies.set(stay.activitySid, t);
  }
  return activities.map((a) => {
    const t = tallies.get(a.sid);
    if (!t) return { sid: a.sid, friendlyName: a.friendlyName, avgS: 0, minS: 0, maxS: 0, totalS: 0 };
    return { sid: a.sid, friendlyName: a.friendlyName, avgS: toS(t.totalMs / t.count), minS: toS(t.minMs), maxS: toS(t.maxMs), totalS: toS(t.totalMs) };
  });
}

interface Stay {
  readonly activitySid: string;
  readonly ms: number;
}

function* staysOf(points: readonly LogPoint[], window: StatisticsWindow): Generator<Stay> {
  const byWorker = new Map<string, LogPoint[]>();
  for (const p of points) {
    if (p.effectiveAt >= window.endAt) continue;
    const list = byWorker.get(p.workerSid);
    if (list) list.push(p);
    else byWorker.set(p.workerSid, [p]);
  }
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.effectiveAt - b.effectiveAt || a.id - b.id);
    let current: string | null = null;
    let since = window.startAt;
    for (const p of list) {
      if (p.effectiveAt <= window.startAt) {
        current = p.toActivitySid;
        continue;
      }
      if (p.toActivitySid === current) continue;
      if (current !== null && p.effectiveAt > since) yield { activitySid: current, ms: p.effectiveAt - since };
      current = p.toActivitySid;
      since = p.effectiveAt;
    }
    if (current !== null && window.endAt > since) yield { activitySid: current, ms: window.endAt - since };
  }
}

const toS = (ms: number): number => Math.round(ms / 1000);

export interface ActivityHeadcount {
  readonly sid: string;
  readonly friendlyName: string;
  readonly workers: number;
}

/** Workers per activity now (TaskRouter's `activity_statistics`), every activity listed. */
export function headcounts(workersByActivity: ReadonlyMap<string, number>, activities: readonly NamedActivity[]): { total: number; activities: ActivityHeadcount[] } {
  let total = 0;
  for (const n of workersByActivity.values()) total += n;
  return { total, activities: activities.map((a) => ({ sid: a.sid, friendlyName: a.friendlyName, workers: workersByActivity.get(a.sid) ?? 0 })) };
}

export interface ReservationTotals {
  readonly created: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly timedOut: number;
  readonly canceled: number;
  readonly rescinded: number;
}

/** TaskRouter's reservation counters from the statuses of the reservations created in a window. */
export function reservationTotals(byStatus: ReadonlyMap<string, number>): ReservationTotals {
  const n = (...statuses: string[]): number => statuses.reduce((sum, s) => sum + (byStatus.get(s) ?? 0), 0);
  let created = 0;
  for (const count of byStatus.values()) created += count;
  return {
    created,
    accepted: n('accepted', 'wrapping', 'completed'),
    rejected: n('rejected'),
    timedOut: n('timeout'),
    canceled: n('canceled'),
    rescinded: n('rescinded'),
  };
}
