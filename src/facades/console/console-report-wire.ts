/**
 * Reports in the console dialect: the REST figures (whole seconds, hours beside them; one
 * rounding rule, `restFigures`) with instants as epoch milliseconds named `…_at`. The report's
 * workers carry their totals only: the chart draws the periods of the total, and a worker's
 * periods are in the CSV, which keeps a month of 2 000 workers a small answer.
 */
import type { ActivityLogEntry } from '../../core/resources.js';
import type { EpisodeRecord } from '../../service/report-ports.js';
import type { ActiveUserHoursReport, Advice, HistoryNames } from '../../service/reports-service.js';
import { logEntryFields, restAdvice, restFigures } from '../rest/report-wire.js';
import { evidence } from './console-wire.js';

export function consoleReport(r: ActiveUserHoursReport): Record<string, unknown> {
  return {
    start_at: r.range.startAt,
    end_at: r.range.endAt,
    data_until: r.dataUntil,
    time_zone: r.range.zone,
    granularity: r.range.granularity,
    rounding: r.rounding,
    logout_activity_sid: r.logoutActivity.sid,
    logout_activity_name: r.logoutActivity.friendlyName,
    total: { ...restFigures(r.total), active_workers: r.total.activeWorkers },
    periods: r.periods.map((p) => ({ period: p.period.label, start_at: p.period.startAt, end_at: p.period.endAt, ...restFigures(p), active_workers: p.activeWorkers })),
    workers: r.workers.map((w) => ({ worker_sid: w.workerSid, friendly_name: w.friendlyName, deleted: w.deleted, ...restFigures(w) })),
  };
}

export function consoleAdvice(a: Advice): Record<string, unknown> {
  const { start_date: _s, end_date: _e, data_until: _d, ...figures } = restAdvice(a);
  return { start_at: a.range.startAt, end_at: a.range.endAt, data_until: a.dataUntil, time_zone: a.range.zone, ...figures };
}

export function consoleLogEntry(e: ActivityLogEntry, names: HistoryNames): Record<string, unknown> {
  return { ...logEntryFields(e, names), evidence: evidence(e.evidence), effective_at: e.effectiveAt, recorded_at: e.recordedAt };
}

export function consoleEpisode(e: EpisodeRecord, names: HistoryNames): Record<string, unknown> {
  const endAt = e.loggedOutAt ?? e.endedAt;
  return {
    id: e.id,
    worker_sid: e.workerSid,
    worker_name: names.workers.get(e.workerSid) ?? null,
    start_at: e.lastSeenAt,
    detected_at: e.detectedAt,
    reason: e.reason,
    outcome: e.outcome,
    end_at: endAt,
    logout_at: e.loggedOutAt,
    reconnect_at: e.endedAt,
    duration_s: endAt === null ? null : Math.floor((endAt - e.lastSeenAt) / 1000),
    exempt: e.exempt,
  };
}
