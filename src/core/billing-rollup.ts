/**
 * The billing fold (core/billing) over a roll-up instead of the whole log, with the same figures.
 * The roll-up (store, migration 10) holds, per worker, UTC day and activity, the time of every
 * *closed* stay cut at UTC midnights. A report's periods are local days or months of any zone,
 * whose bounds are rarely UTC midnights, so each period is split into:
 * - its *interior*: the whole UTC days inside it, read from the roll-up, plus the worker's open
 *   stay (from its last entry, which is not in the roll-up) clipped to them;
 * - its *edges*: what is left before the first and after the last interior day, folded from the
 *   log exactly as `billWorker` folds it. Adjacent edges form one *segment* (one log read).
 * Both sides count the same whole-second stays, so the sums are equal. With `started-hour`
 * rounding, or when no period holds a whole UTC day (a daily report outside UTC), there is nothing
 * to gain and the plan is null: fold the log.
 */
import { billWorker, type BillingEntry, type BillingFrame, type WorkerBill } from './billing.js';
import { DAY_MS, SECOND_MS, type Period } from './calendar.js';

/** What the fast path reads, per report. */
export interface RollupPlan {
  /** Per period, its interior UTC days `[fromDay, toDay)` (empty when `fromDay >= toDay`). */
  readonly interiors: readonly { readonly fromDay: number; readonly toDay: number }[];
  /** Every interior day of the report lies in `[fromDay, toDay)`. */
  readonly fromDay: number;
  readonly toDay: number;
  /** The rest of the range, in order, to be folded from the log. */
  readonly segments: readonly { readonly startAt: number; readonly endAt: number }[];
}

/** One roll-up row, judged against the logout activity by the store. */
export interface DayTotal {
  readonly day: number;
  readonly isLogout: boolean;
  /** The stays began with an automatic logout. */
  readonly automatic: boolean;
  readonly ms: number;
}

export interface RollupInput {
  readonly days: readonly DayTotal[];
  /** The worker's last entry ever (its stay is open, so not in the roll-up), or null. */
  readonly last: BillingEntry | null;
  /** Per plan segment, the worker's history over it (as `WorkerHistory.entries`). */
  readonly segments: readonly (readonly BillingEntry[])[];
}

/** The plan for a report's periods, or null when the log fold is as cheap. */
export function planRollup(periods: readonly Period[], frame: Pick<BillingFrame, 'rounding'>): RollupPlan | null {
  if (frame.rounding !== 'none') return null;
  const interiors = periods.map((p) => ({ fromDay: Math.ceil(p.startAt / DAY_MS), toDay: Math.floor(p.endAt / DAY_MS) }));
  const used = interiors.filter((i) => i.fromDay < i.toDay);
  const first = used[0];
  const last = used[used.length - 1];
  if (!first || !last) return null;
  const segments: { startAt: number; endAt: number }[] = [];
  const edge = (startAt: number, endAt: number): void => {
    if (endAt <= startAt) return;
    const prev = segments[segments.length - 1];
    if (prev && prev.endAt === startAt) segments[segments.length - 1] = { startAt: prev.startAt, endAt };
    else segments.push({ startAt, endAt });
  };
  periods.forEach((p, i) => {
    const inner = interiors[i] as { fromDay: number; toDay: number };
    if (inner.fromDay >= inner.toDay) return edge(p.startAt, p.endAt);
    edge(p.startAt, inner.fromDay * DAY_MS);
    edge(inner.toDay * DAY_MS, p.endAt);
  });
  return { interiors, fromDay: first.fromDay, toDay: last.toDay, segments };
}

/** Adds `ms` to the period whose interior holds `day` (interiors are sorted and disjoint). */
function periodOfDay(plan: RollupPlan, day: number): number {
  let lo = 0;
  let hi = plan.interiors.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((plan.interiors[mid] as { toDay: number }).toDay <= day) lo = mid + 1;
    else hi = mid;
  }
  const i = plan.interiors[lo];
  return i && day >= i.fromDay && day < i.toDay ? lo : -1;
}

/** The worker's bill over the frame's periods from the roll-up and the edges' log; equal to `billWorker`'s. */
export function billFromRollup(input: RollupInput, goneAt: number | null, frame: BillingFrame, plan: RollupPlan): WorkerBill {
  const { periods } = frame;
  const activeMs = periods.map(() => 0);
  const savedMs = periods.map(() => 0);
  plan.segments.forEach((segment, s) => {
    // The periods' parts inside the segment, with their index in the report.
    const parts = periods.map((p, i) => ({ i, label: p.label, startAt: Math.max(p.startAt, segment.startAt), endAt: Math.min(p.endAt, segment.endAt) }))
      .filter((p) => p.endAt > p.startAt);
    const bill = billWorker({ entries: input.segments[s] ?? [], goneAt }, { ...frame, periods: parts });
    parts.forEach((p, j) => {
      activeMs[p.i] = (activeMs[p.i] ?? 0) + (bill.activeMs[j] ?? 0);
      savedMs[p.i] = (savedMs[p.i] ?? 0) + (bill.savedMs[j] ?? 0);
    });
  });
  for (const d of input.days) {
    const i = periodOfDay(plan, d.day);
    if (i < 0) continue;
    if (!d.isLogout) activeMs[i] = (activeMs[i] ?? 0) + d.ms;
    else if (d.automatic) savedMs[i] = (savedMs[i] ?? 0) + d.ms;
  }
  const last = input.last;
  if (last) {
    const from = Math.floor(last.effectiveAt / SECOND_MS) * SECOND_MS;
    const until = goneAt === null ? Infinity : Math.floor(goneAt / SECOND_MS) * SECOND_MS;
    const isLogout = last.toActivitySid === frame.logoutActivitySid;
    const totals = !isLogout ? activeMs : last.cause === 'offline-threshold' ? savedMs : null;
    plan.interiors.forEach((inner, i) => {
      const overlap = Math.min(until, inner.toDay * DAY_MS) - Math.max(from, inner.fromDay * DAY_MS);
      if (totals && overlap > 0) totals[i] = (totals[i] ?? 0) + overlap;
    });
  }
  return { activeMs, savedMs, startedHours: null };
}
