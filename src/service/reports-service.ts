/**
 * Reports: active user hours with the hours the automatic logout saved, the threshold advisor,
 * and the activity history. The folds are core/billing and core/advisor; this composes them
 * over the store's per-worker histories, one worker at a time, so memory is one worker's month
 * plus the figures. Ranges are resolved against the store's clock (rule 12): nothing after now
 * has happened, so figures stop at `dataUntil`.
 */
import { adviseWorker, CANDIDATE_THRESHOLDS_S } from '../core/advisor.js';
import { billWorker, type BillingFrame, type Rounding } from '../core/billing.js';
import { billFromRollup, planRollup } from '../core/billing-rollup.js';
import type { Period } from '../core/calendar.js';
import { ok, refuse, type Result } from '../core/errors.js';
import { resolveAdvisorRange, resolveRange, resolveReportRange, type RangeQuery, type ReportRange, type ResolvedRange } from '../core/report-range.js';
import type { ActivityLogEntry } from '../core/resources.js';
import type { AdminStore, Clock, PageOf, PageRequest, PresenceStore } from './ports.js';
import type { EpisodeRecord, HistoryFilter, ReportStore } from './report-ports.js';

export interface Figures {
  readonly activeMs: number;
  readonly savedMs: number;
  /** With `started-hour` rounding: the hours billed; otherwise null. */
  readonly startedHours: number | null;
}

export interface WorkerFigures extends Figures {
  readonly workerSid: string;
  readonly friendlyName: string | null;
  readonly deleted: boolean;
  /** One per period of the report, in order. */
  readonly periods: readonly Figures[];
}

export interface ActiveUserHoursReport {
  readonly range: ReportRange;
  /** Figures stop here: the range's end, or now if that is earlier. */
  readonly dataUntil: number;
  readonly rounding: Rounding;
  readonly logoutActivity: { readonly sid: string; readonly friendlyName: string };
  /** Every worker's figures together, per period. */
  readonly periods: readonly (Figures & { readonly period: Period; readonly activeWorkers: number })[];
  /** Workers with any billed or saved time in the range (or the one asked for), in SID order. */
  readonly workers: readonly WorkerFigures[];
  readonly total: Figures & { readonly activeWorkers: number };
}

export interface ThresholdCandidate {
  readonly thresholdMs: number;
  readonly current: boolean;
  readonly logouts: number;
  readonly falseLogouts: number;
  readonly activeMs: number;
  /** Billed time this threshold saves against automatic update off. */
  readonly savedMs: number;
}

export interface Advice {
  readonly range: ResolvedRange;
  readonly dataUntil: number;
  readonly enabled: boolean;
  readonly currentThresholdMs: number;
  readonly candidates: readonly ThresholdCandidate[];
  /** What really happened in the range (the log), to compare with the current candidate. */
  readonly actual: { readonly logouts: number; readonly falseLogouts: number; readonly activeMs: number };
  /** Billed time with automatic update off. */
  readonly withoutLogoutsMs: number;
  readonly episodes: number;
  readonly workers: number;
}

export interface ReportQuery extends RangeQuery {
  readonly granularity?: string;
  readonly rounding?: Rounding;
  readonly workerSid?: string;
}

export interface AdvisorQuery extends RangeQuery {
  readonly thresholdsS?: readonly number[];
  readonly workerSid?: string;
}

export interface HistoryQuery extends RangeQuery {
  readonly workerSid?: string;
}

/** Names that history rows refer to by SID. */
export interface HistoryNames {
  readonly activities: ReadonlyMap<string, string>;
  readonly workers: ReadonlyMap<string, string>;
}

const add = (a: Figures, b: Figures): Figures => ({
  activeMs: a.activeMs + b.activeMs,
  savedMs: a.savedMs + b.savedMs,
  startedHours: a.startedHours === null || b.startedHours === null ? null : a.startedHours + b.startedHours,
});

export class ReportsService {
  constructor(private readonly options: { readonly store: ReportStore & Pick<AdminStore, 'findActivity' | 'listActivities'> & Pick<PresenceStore, 'findWorker' | 'listWorkers' | 'logoutSettings'>; readonly clock: Clock }) {}

  async activeUserHours(workspaceSid: string, query: ReportQuery): Promise<Result<ActiveUserHoursReport>> {
    const { store, clock } = this.options;
    const range = resolveReportRange(query, clock.now());
    if (!range.ok) return range;
    const r = range.value;
    const known = await this.checkWorker(workspaceSid, query.workerSid);
    if (!known.ok) return known;
    const rounding = query.rounding ?? 'none';
    const settings = await store.logoutSettings(workspaceSid);
    const logoutName = (await store.findActivity(workspaceSid, settings.logoutActivitySid))?.friendlyName ?? '';
    const dataUntil = Math.max(r.startAt, Math.min(r.endAt, clock.now()));
    // Periods after now are folded as empty; the answer still lists them.
    const foldPeriods = r.periods.map((p) => ({ ...p, startAt: Math.min(p.startAt, dataUntil), endAt: Math.min(p.endAt, dataUntil) }));
    const zero: Figures = { activeMs: 0, savedMs: 0, startedHours: rounding === 'started-hour' ? 0 : null };
    const periodTotals = r.periods.map(() => ({ ...zero, activeWorkers: 0 }));
    const workers: WorkerFigures[] = [];
    const frame = { periods: foldPeriods, logoutActivitySid: settings.logoutActivitySid, rounding, calendar: r.calendar };
    for await (const w of dataUntil > r.startAt ? this.bills(workspaceSid, query.workerSid, r.startAt, dataUntil, frame) : []) {
      const { bill } = w;
      const periods = r.periods.map((_, i) => ({ activeMs: bill.activeMs[i] ?? 0, savedMs: bill.savedMs[i] ?? 0, startedHours: bill.startedHours?.[i] ?? null }));
      const total = periods.reduce(add, zero);
      if (total.activeMs === 0 && total.savedMs === 0 && query.workerSid === undefined) continue;
      periods.forEach((f, i) => {
        const t = periodTotals[i];
        if (t) periodTotals[i] = { ...add(t, f), activeWorkers: t.activeWorkers + (f.activeMs > 0 ? 1 : 0) };
      });
      workers.push({ workerSid: w.workerSid, friendlyName: w.friendlyName, deleted: w.goneAt !== null, ...total, periods });
    }
    return ok({
      range: r, dataUntil, rounding,
      logoutActivity: { sid: settings.logoutActivitySid, friendlyName: logoutName },
      periods: r.periods.map((period, i) => ({ period, ...(periodTotals[i] ?? { ...zero, activeWorkers: 0 }) })),
      workers,
      total: { ...workers.reduce<Figures>(add, zero), activeWorkers: workers.filter((w) => w.activeMs > 0).length },
    });
  }

  /**
   * Every worker's bill over the frame: from the roll-up and the log at the periods' edges when
   * that reads fewer rows (core/billing-rollup), else by folding the log. Both give the same figures.
   */
  private async *bills(workspaceSid: string, workerSid: string | undefined, startAt: number, endAt: number, frame: BillingFrame) {
    const { store } = this.options;
    const only = workerSid ? { workerSid } : {};
    const plan = planRollup(frame.periods, frame);
    if (plan === null) {
      for await (const h of store.workerHistories(workspaceSid, { startAt, endAt, logoutActivitySid: frame.logoutActivitySid, ...only })) {
        yield { ...h, bill: billWorker({ entries: h.entries, goneAt: h.goneAt }, frame) };
      }
      return;
    }
    for await (const w of store.workerRollups(workspaceSid, { startAt, endAt, logoutActivitySid: frame.logoutActivitySid, plan, ...only })) {
      const bill = w.rollup ? billFromRollup(w.rollup, w.goneAt, frame, plan) : billWorker({ entries: w.entries, goneAt: w.goneAt }, frame);
      yield { ...w, bill };
    }
  }

  async advise(workspaceSid: string, query: AdvisorQuery): Promise<Result<Advice>> {
    const { store, clock } = this.options;
    const range = resolveAdvisorRange(query, clock.now());
    if (!range.ok) return range;
    const known = await this.checkWorker(workspaceSid, query.workerSid);
    if (!known.ok) return known;
    const settings = await store.logoutSettings(workspaceSid);
    const thresholdsMs = [...new Set([...(query.thresholdsS ?? CANDIDATE_THRESHOLDS_S), settings.thresholdMs / 1000])].sort((a, b) => a - b).map((s) => s * 1000);
    const { startAt } = range.value;
    const dataUntil = Math.max(startAt, Math.min(range.value.endAt, clock.now()));
    const frame = { startAt, endAt: dataUntil, logoutActivitySid: settings.logoutActivitySid };
    const sums = thresholdsMs.map(() => ({ logouts: 0, falseLogouts: 0, activeMs: 0 }));
    const actual = { logouts: 0, falseLogouts: 0, activeMs: 0 };
    let withoutLogoutsMs = 0;
    let episodes = 0;
    let workers = 0;
    const histories = dataUntil > startAt ? store.workerHistories(workspaceSid, {
      startAt, endAt: dataUntil, logoutActivitySid: settings.logoutActivitySid, episodesFrom: startAt - Math.max(...thresholdsMs), ...(query.workerSid ? { workerSid: query.workerSid } : {}),
    }) : [];
    for await (const h of histories) {
      const advice = adviseWorker(h, thresholdsMs, frame);
      workers += 1;
      episodes += h.episodes.filter((e) => e.lastSeenAt >= startAt).length;
      withoutLogoutsMs += advice.withoutLogoutsMs;
      actual.logouts += advice.actual.logouts;
      actual.falseLogouts += advice.actual.falseLogouts;
      actual.activeMs += advice.actual.activeMs;
      advice.figures.forEach((f, i) => {
        const s = sums[i];
        if (!s) return;
        s.logouts += f.logouts;
        s.falseLogouts += f.falseLogouts;
        s.activeMs += f.activeMs;
      });
    }
    return ok({
      range: range.value, dataUntil, enabled: settings.enabled, currentThresholdMs: settings.thresholdMs,
      candidates: thresholdsMs.map((thresholdMs, i) => {
        const s = sums[i] ?? { logouts: 0, falseLogouts: 0, activeMs: 0 };
        return { thresholdMs, current: thresholdMs === settings.thresholdMs, ...s, savedMs: withoutLogoutsMs - s.activeMs };
      }),
      actual, withoutLogoutsMs, episodes, workers,
    });
  }

  /**
   * A page of the log. For one worker, also the activity it was in when the range starts (the
   * first band of a timeline), or null if it did not exist yet.
   */
  async activityLogPage(workspaceSid: string, query: HistoryQuery, page: PageRequest): Promise<Result<{
    page: PageOf<ActivityLogEntry>; names: HistoryNames; initial: { activitySid: string; since: number } | null;
  }>> {
    const filter = await this.historyFilter(workspaceSid, query);
    if (!filter.ok) return filter;
    const result = await this.options.store.pageActivityLog(workspaceSid, filter.value, page);
    if (!result.ok) return result;
    const { startAt, workerSid } = filter.value;
    const initial = workerSid === undefined ? null : await this.options.store.activityAt(workspaceSid, workerSid, startAt);
    return ok({ page: result.value, names: await this.names(workspaceSid), initial });
  }

  async episodePage(workspaceSid: string, query: HistoryQuery, page: PageRequest): Promise<Result<{ page: PageOf<EpisodeRecord>; names: HistoryNames }>> {
    const filter = await this.historyFilter(workspaceSid, query);
    if (!filter.ok) return filter;
    const result = await this.options.store.pageEpisodes(workspaceSid, filter.value, page);
    return result.ok ? ok({ page: result.value, names: await this.names(workspaceSid) }) : result;
  }

  /** The whole activity log of a range, streamed in chunks (validated before the first row). */
  async exportActivityLog(workspaceSid: string, query: HistoryQuery): Promise<Result<{ chunks: AsyncIterable<readonly ActivityLogEntry[]>; names: HistoryNames }>> {
    const filter = await this.historyFilter(workspaceSid, query);
    if (!filter.ok) return filter;
    return ok({ chunks: this.options.store.exportActivityLog(workspaceSid, filter.value), names: await this.names(workspaceSid) });
  }

  async exportEpisodes(workspaceSid: string, query: HistoryQuery): Promise<Result<{ chunks: AsyncIterable<readonly EpisodeRecord[]>; names: HistoryNames }>> {
    const filter = await this.historyFilter(workspaceSid, query);
    if (!filter.ok) return filter;
    return ok({ chunks: this.options.store.exportEpisodes(workspaceSid, filter.value), names: await this.names(workspaceSid) });
  }

  private async historyFilter(workspaceSid: string, query: HistoryQuery): Promise<Result<HistoryFilter>> {
    const range = resolveRange(query, this.options.clock.now(), false);
    if (!range.ok) return range;
    const known = await this.checkWorker(workspaceSid, query.workerSid);
    if (!known.ok) return known;
    const { startAt, endAt } = range.value;
    return ok(query.workerSid === undefined ? { startAt, endAt } : { startAt, endAt, workerSid: query.workerSid });
  }

  /** A worker SID must name a worker of the workspace, now or in its history (a deleted one). */
  private async checkWorker(workspaceSid: string, workerSid: string | undefined): Promise<Result<void>> {
    if (workerSid === undefined) return ok(undefined);
    if (await this.options.store.findWorker(workspaceSid, workerSid)) return ok(undefined);
    if (await this.options.store.activityAt(workspaceSid, workerSid, Number.MAX_SAFE_INTEGER)) return ok(undefined);
    return refuse('not-found', `Worker ${workerSid} was not found`);
  }

  private async names(workspaceSid: string): Promise<HistoryNames> {
    const [activities, workers] = await Promise.all([this.options.store.listActivities(workspaceSid), this.options.store.listWorkers(workspaceSid)]);
    return { activities: new Map(activities.map((a) => [a.sid, a.friendlyName])), workers: new Map(workers.map((w) => [w.sid, w.friendlyName])) };
  }
}
