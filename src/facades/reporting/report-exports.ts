/**
 * The export files (CSV and NDJSON of the report, the activity log and the episodes), the same
 * bytes whichever facade serves them: REST with Basic auth, the console with its session cookie.
 * Produced as the client reads them, from the store's chunks, never held whole.
 */
import type { Result } from '../../core/errors.js';
import { ok } from '../../core/errors.js';
import type { ActivityLogEntry } from '../../core/resources.js';
import type { EpisodeRecord } from '../../service/report-ports.js';
import type { ActiveUserHoursReport, HistoryNames } from '../../service/reports-service.js';
import {
  csvLine, EPISODE_CSV_COLUMNS, episodeCsvLine, linesOf, LOG_CSV_COLUMNS, logCsvLine, reportCsv, restEpisode, restLogEntry, restReport, restReportWorker,
} from '../rest/report-wire.js';

export type ExportFormat = 'csv' | 'ndjson';

export interface ExportFile {
  readonly stream: AsyncIterable<string>;
  readonly contentType: string;
  readonly filename: string;
}

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };

const file = (stream: AsyncIterable<string>, format: ExportFormat, name: string): ExportFile => ({ stream, contentType: CONTENT_TYPES[format], filename: `${name}.${format}` });

/** The report: CSV rows per worker and period, then totals; NDJSON the report and then one line per worker. */
export function reportFile(r: ActiveUserHoursReport, format: ExportFormat): ExportFile {
  const lines = format === 'csv' ? reportCsv(r) : [restReport(r), ...r.workers.map((w) => restReportWorker(r, w))].map((o) => `${JSON.stringify(o)}\n`);
  return file(batched(lines), format, 'active-user-hours');
}

export function activityLogFile(exported: Result<{ chunks: AsyncIterable<readonly ActivityLogEntry[]>; names: HistoryNames }>, format: ExportFormat): Result<ExportFile> {
  if (!exported.ok) return exported;
  const { chunks, names } = exported.value;
  const lines = format === 'csv'
    ? linesOf(csvLine(LOG_CSV_COLUMNS), chunks, (e) => logCsvLine(e, names))
    : linesOf(null, chunks, (e) => `${JSON.stringify(restLogEntry(e, names))}\n`);
  return ok(file(lines, format, 'activity-log'));
}

export function episodesFile(exported: Result<{ chunks: AsyncIterable<readonly EpisodeRecord[]>; names: HistoryNames }>, format: ExportFormat): Result<ExportFile> {
  if (!exported.ok) return exported;
  const { chunks, names } = exported.value;
  const lines = format === 'csv'
    ? linesOf(csvLine(EPISODE_CSV_COLUMNS), chunks, (e) => episodeCsvLine(e, names))
    : linesOf(null, chunks, (e) => `${JSON.stringify(restEpisode(e, names))}\n`);
  return ok(file(lines, format, 'disconnections'));
}

/** Lines joined into writes of about 64 KiB. */
async function* batched(lines: Iterable<string>): AsyncGenerator<string> {
  let batch = '';
  for (const line of lines) {
    batch += line;
    if (batch.length >= 64 * 1024) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}
