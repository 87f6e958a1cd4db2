/**
 * Worker statistics over a window, computed from the activity log by core/statistics, and the
 * real-time headcount per activity. The window is resolved against the store's clock (rule 12).
 */
import { ok, refuse, type Result } from '../core/errors.js';
import {
  activityDurations, headcounts, reservationTotals, resolveWindow,
  type ActivityDuration, type ActivityHeadcount, type ReservationTotals, type StatisticsWindow, type WindowQuery,
} from '../core/statistics.js';
import type { AdminStore, Clock, EventStore, PresenceStore } from './ports.js';

export interface CumulativeStatistics {
  readonly window: StatisticsWindow;
  readonly durations: readonly ActivityDuration[];
  readonly reservations: ReservationTotals;
}

export interface RealTimeStatistics {
  readonly totalWorkers: number;
  readonly activities: readonly ActivityHeadcount[];
}

/** Which workers the figures cover: all, one by SID, or one by friendly name. */
export type WorkerScope = { readonly all: true } | { readonly workerSid: string } | { readonly friendlyName: string };

export class StatisticsService {
  constructor(private readonly options: { readonly store: EventStore & Pick<PresenceStore, 'findWorker' | 'findWorkerByName'> & Pick<AdminStore, 'listActivities'>; readonly clock: Clock }) {}

  async cumulative(workspaceSid: string, scope: WorkerScope, query: WindowQuery): Promise<Result<CumulativeStatistics>> {
    const window = resolveWindow(query, this.options.clock.now());
    if (!window.ok) return window;
    const [activities, workerSid] = await Promise.all([this.options.store.listActivities(workspaceSid), this.resolveScope(workspaceSid, scope)]);
    if (!workerSid.ok) return workerSid;
    const nobody = workerSid.value === null && !('all' in scope);
    const scoped = { ...window.value, ...(workerSid.value ? { workerSid: workerSid.value } : {}) };
    const [entries, reservations] = nobody
      ? [[], new Map<string, number>()]
      : await Promise.all([this.options.store.activityLogWindow(workspaceSid, scoped), this.options.store.reservationsByStatus(workspaceSid, scoped)]);
    return ok({ window: window.value, durations: activityDurations(entries, activities, window.value), reservations: reservationTotals(reservations) });
  }

  async realTime(workspaceSid: string, scope: WorkerScope): Promise<Result<RealTimeStatistics>> {
    const [activities, workerSid] = await Promise.all([this.options.store.listActivities(workspaceSid), this.resolveScope(workspaceSid, scope)]);
    if (!workerSid.ok) return workerSid;
    const counts = workerSid.value === null && !('all' in scope)
      ? new Map<string, number>()
      : await this.options.store.workersByActivity(workspaceSid, workerSid.value ? { workerSid: workerSid.value } : {});
    const figures = headcounts(counts, activities);
    return ok({ totalWorkers: figures.total, activities: figures.activities });
  }

  /**
   * The worker SID a scope names, null for all workers or for a friendly name nobody has (whose
   * figures are all zero); a worker SID that does not exist is `not-found`.
   */
  private async resolveScope(workspaceSid: string, scope: WorkerScope): Promise<Result<string | null>> {
    if ('all' in scope) return ok(null);
    if ('workerSid' in scope) {
      const worker = await this.options.store.findWorker(workspaceSid, scope.workerSid);
      return worker ? ok(worker.sid) : refuse('not-found', `Worker ${scope.workerSid} was not found`);
    }
    return ok((await this.options.store.findWorkerByName(workspaceSid, scope.friendlyName))?.sid ?? null);
  }
}
