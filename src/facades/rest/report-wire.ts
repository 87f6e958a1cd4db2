/**
 * Reports and history in the REST dialect: snake_case JSON with ISO dates (and `_ms` twins where
 * a chart needs exact instants), CSV (RFC 4180, a header row, CRLF, text that a spreadsheet would
 * read as a formula prefixed with `'`) and NDJSON (one JSON object per line, the same objects as
 * the JSON lists). Durations are exact whole seconds, with hours beside them for reading.
 */
import { hoursOf } from '../../core/billing.js';
import type { ActivityLogEntry } from '../../core/resources.js';
import type { EpisodeRecord } from '../../service/report-ports.js';
import type { ActiveUserHoursReport, Advice, Figures, HistoryNames } from '../../service/reports-service.js';
import { isoDate, restEvidence } from './wire.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function restFigures(f: Figures): Record<string, unknown> {
  return {
    active_seconds: seconds(f.activeMs),
    active_hours: hoursOf(f.activeMs),
    saved_seconds: seconds(f.savedMs),
    saved_hours: hoursOf(f.savedMs),
    billed_hours: f.startedHours ?? hoursOf(f.activeMs),
  };
}

/** The report without its workers (the facade pages them). */
export function restReport(r: ActiveUserHoursReport): Record<string, unknown> {
  return {
    start_date: isoDate(r.range.startAt),
    end_date: isoDate(r.range.endAt),
    data_until: isoDate(r.dataUntil),
    time_zone: r.range.zone,
    granularity: r.range.granularity,
    rounding: r.rounding,
    logout_activity_sid: r.logoutActivity.sid,
    logout_activity_name: r.logoutActivity.friendlyName,
    total: { ...restFigures(r.total), active_workers: r.total.activeWorkers },
    periods: r.periods.map((p) => ({
      period: p.period.label, start_date: isoDate(p.period.startAt), end_date: isoDate(p.period.endAt), ...restFigures(p), active_workers: p.activeWorkers,
    })),
  };
}

export function restReportWorker(r: ActiveUserHoursReport, w: ActiveUserHoursReport['workers'][number]): Record<string, unknown> {
  return {
    worker_sid: w.workerSid,
    friendly_name: w.friendlyName,
    deleted: w.deleted,
    ...restFigures(w),
    periods: w.periods.map((f, i) => ({ period: r.periods[i]?.period.label, ...restFigures(f) })),
  };
}

export function restAdvice(a: Advice): Record<string, unknown> {
  return {
    start_date: isoDate(a.range.startAt),
    end_date: isoDate(a.range.endAt),
    data_until: isoDate(a.dataUntil),
    automatic_update: a.enabled,
    current_threshold_seconds: a.currentThresholdMs / 1000,
    false_logout_window_seconds: 300,
    workers: a.workers,
    episodes: a.episodes,
    without_automatic_logout: { active_seconds: seconds(a.withoutLogoutsMs), active_hours: hoursOf(a.withoutLogoutsMs) },
    actual: { logouts: a.actual.logouts, false_logouts: a.actual.falseLogouts, active_seconds: seconds(a.actual.activeMs), active_hours: hoursOf(a.actual.activeMs) },
    candidates: a.candidates.map((c) => ({
      threshold_seconds: c.thresholdMs / 1000,
      current: c.current,
      logouts: c.logouts,
      false_logouts: c.falseLogouts,
      active_seconds: seconds(c.activeMs),
      active_hours: hoursOf(c.activeMs),
      saved_seconds: seconds(c.savedMs),
      saved_hours: hoursOf(c.savedMs),
    })),
  };
}

const at = (ms: number | null): string | null => (ms === null ? null : isoDate(ms));

/** The fields of a log entry both dialects share: who, from where to where, why; names resolved. */
export function logEntryFields(e: ActivityLogEntry, names: HistoryNames): Record<string, unknown> {
  return {
    id: e.id,
    worker_sid: e.workerSid,
    worker_name: names.workers.get(e.workerSid) ?? null,
    from_activity_sid: e.fromActivitySid,
    from_activity_name: e.fromActivitySid === null ? null : names.activities.get(e.fromActivitySid) ?? null,
    to_activity_sid: e.toActivitySid,
    to_activity_name: names.activities.get(e.toActivitySid) ?? null,
    cause: e.cause,
    actor: e.actor,
  };
}

export function restLogEntry(e: ActivityLogEntry, names: HistoryNames): Record<string, unknown> {
  return {
    ...logEntryFields(e, names),
    evidence: restEvidence(e.evidence),
    effective_date: isoDate(e.effectiveAt),
    effective_date_ms: e.effectiveAt,
    recorded_date: isoDate(e.recordedAt),
    recorded_date_ms: e.recordedAt,
  };
}

export function restEpisode(e: EpisodeRecord, names: HistoryNames): Record<string, unknown> {
  const endAt = e.loggedOutAt ?? e.endedAt;
  return {
    id: e.id,
    worker_sid: e.workerSid,
    worker_name: names.workers.get(e.workerSid) ?? null,
    start_date: isoDate(e.lastSeenAt),
    start_date_ms: e.lastSeenAt,
    detected_date: isoDate(e.detectedAt),
    detected_date_ms: e.detectedAt,
    reason: e.reason,
    end_date: at(endAt),
    end_date_ms: endAt,
    outcome: e.outcome,
    logout_date: at(e.loggedOutAt),
    logout_date_ms: e.loggedOutAt,
    reconnect_date: at(e.endedAt),
    reconnect_date_ms: e.endedAt,
    duration_seconds: endAt === null ? null : seconds(endAt - e.lastSeenAt),
    exempt: e.exempt,
  };
}

// ── CSV ───────────────────────────────────────────────────────────────────────────────────────

/** One CSV field: quoted when it must be, and never read as a formula by a spreadsheet. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = String(value);
  // One test for the common case (SIDs, dates, plain names): nothing to neutralise or quote.
  if (!CSV_SPECIAL.test(text)) return text;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_SPECIAL = /^[=+\-@\t\r]|[",\r\n]/;

export const csvLine = (fields: readonly unknown[]): string => `${fields.map(csvField).join(',')}\r\n`;

export const REPORT_CSV_COLUMNS = [
  'scope', 'period', 'period_start', 'period_end', 'time_zone', 'worker_sid', 'friendly_name',
  'active_seconds', 'active_hours', 'saved_seconds', 'saved_hours', 'billed_hours',
] as const;

/** One row per worker and period (workers in SID order, periods in order), then one `total` row per period. */
export function* reportCsv(r: ActiveUserHoursReport): Generator<string> {
  yield csvLine(REPORT_CSV_COLUMNS);
  const figures = (f: Figures): unknown[] => { const x = restFigures(f); return [x.active_seconds, x.active_hours, x.saved_seconds, x.saved_hours, x.billed_hours]; };
  const period = (i: number): unknown[] => {
    const p = r.periods[i]?.period;
    return [p?.label, p ? isoDate(p.startAt) : '', p ? isoDate(p.endAt) : '', r.range.zone];
  };
  for (const w of r.workers) {
    for (let i = 0; i < w.periods.length; i++) yield csvLine(['worker', ...period(i), w.workerSid, w.friendlyName, ...figures(w.periods[i] as Figures)]);
  }
  for (let i = 0; i < r.periods.length; i++) yield csvLine(['total', ...period(i), '', '', ...figures(r.periods[i] as Figures)]);
}

export const LOG_CSV_COLUMNS = [
  'id', 'effective_date', 'effective_date_ms', 'recorded_date', 'worker_sid', 'worker_name', 'from_activity_sid', 'from_activity_name',
  'to_activity_sid', 'to_activity_name', 'cause', 'actor', 'reason', 'last_seen_date', 'threshold_seconds', 'due_date',
] as const;

export function logCsvLine(e: ActivityLogEntry, names: HistoryNames): string {
  const ev = e.evidence;
  return csvLine([
    e.id, isoDate(e.effectiveAt), e.effectiveAt, isoDate(e.recordedAt), e.workerSid, names.workers.get(e.workerSid),
    e.fromActivitySid, e.fromActivitySid === null ? null : names.activities.get(e.fromActivitySid), e.toActivitySid, names.activities.get(e.toActivitySid),
    e.cause, e.actor, ev?.reason, ev ? isoDate(ev.lastSeenAt) : null, ev ? ev.thresholdMs / 1000 : null, ev ? isoDate(ev.dueAt) : null,
  ]);
}

export const EPISODE_CSV_COLUMNS = [
  'id', 'worker_sid', 'worker_name', 'start_date', 'detected_date', 'reason', 'end_date', 'outcome', 'logout_date', 'reconnect_date', 'duration_seconds', 'exempt',
] as const;

export function episodeCsvLine(e: EpisodeRecord, names: HistoryNames): string {
  const x = restEpisode(e, names);
  return csvLine(EPISODE_CSV_COLUMNS.map((c) => x[c]));
}

/** Chunks of rows as text, one header first; each chunk becomes one string (a few hundred KiB). */
export async function* linesOf<T>(header: string | null, chunks: AsyncIterable<readonly T[]>, line: (row: T) => string): AsyncGenerator<string> {
  if (header !== null) yield header;
  for await (const chunk of chunks) {
    let text = '';
    for (const row of chunk) text += line(row);
    yield text;
  }
}
