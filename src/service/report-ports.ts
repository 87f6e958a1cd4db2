/**
 * What reports read from the store: the activity log and the disconnection episodes, per worker
 * for the folds, paged for the history API, and in chunks for exports. Every method reads; none
 * writes. Reads that cover many workers are not one snapshot: each worker's rows are read in one
 * statement, and the store yields to the event loop between batches of workers or rows, so a
 * report of 2 000 workers never blocks presence work for long. Memory stays bounded by one
 * worker's history (folds) or one chunk (exports).
 */
import type { AdvisorEntry, AdvisorEpisode } from '../core/advisor.js';
import type { RollupInput, RollupPlan } from '../core/billing-rollup.js';
import type { Result } from '../core/errors.js';
import type { ActivityLogEntry, DisconnectEpisode } from '../core/resources.js';
import type { PageOf, PageRequest } from './ports.js';

/** A range of instants, `[startAt, endAt)`, optionally for one worker. */
export interface HistoryFilter {
  readonly startAt: number;
  readonly endAt: number;
  readonly workerSid?: string;
}

/** One episode as the history API shows it: the stored one plus when its logout took effect. */
export interface EpisodeRecord extends DisconnectEpisode {
  /** The session that ended was exempt from logout; null for episodes recorded before migration 6. */
  readonly exempt: boolean | null;
  /** When the automatic logout of this episode took effect (outcome `logged-out`), else null. */
  readonly loggedOutAt: number | null;
}

/** One worker's history for a fold. */
export interface WorkerHistoryRecord {
  readonly workerSid: string;
  /** Null for a deleted worker whose name the events no longer tell. */
  readonly friendlyName: string | null;
  /** When the worker was deleted, or null while it exists. */
  readonly goneAt: number | null;
  /**
   * Sorted by effective time, then log order: the last entry at or before the history's start and
   * every later one before the end. Only what the folds need, so that two million rows cost no
   * strings: activities are the logout activity's SID or `OTHER_ACTIVITY`, and causes are
   * `offline-threshold`, `agent`, `admin`, `api` or `other`.
   */
  readonly entries: readonly AdvisorEntry[];
  /** With `episodesFrom`: episodes that overlap `[episodesFrom, endAt)`, by last sign of life. */
  readonly episodes: readonly AdvisorEpisode[];
}

/** What a fold history calls every activity that is not the logout activity. */
export const OTHER_ACTIVITY = '*';

export interface HistoryQuery extends HistoryFilter {
  /** The logout activity: entries name it by SID and every other activity `OTHER_ACTIVITY`. */
  readonly logoutActivitySid: string;
  /**
   * Also read the episodes that overlap `[episodesFrom, endAt)`, and start the entries early
   * enough to know the worker's activity when each of them was detected (the advisor).
   */
  readonly episodesFrom?: number;
}

/** The billing fast path's read: the roll-up's interior days and the log over the plan's segments. */
export interface RollupQuery {
  readonly logoutActivitySid: string;
  readonly plan: RollupPlan;
  /** The whole range, for deleted workers (folded from the log). */
  readonly startAt: number;
  readonly endAt: number;
  readonly workerSid?: string;
}

/** One worker for the fast path: the roll-up's figures, or for a deleted worker its whole history. */
export interface WorkerRollupRecord {
  readonly workerSid: string;
  readonly friendlyName: string | null;
  readonly goneAt: number | null;
  /** Null for a deleted worker: fold `entries` instead (nothing it did may be after its deletion). */
  readonly rollup: RollupInput | null;
  /** With `rollup` null: the history over the whole range, as `WorkerHistoryRecord.entries`. */
  readonly entries: readonly AdvisorEntry[];
}

export interface ReportStore {
  /**
   * The same workers as `workerHistories`, in the same order, each with what the billing fast
   * path (core/billing-rollup) needs: the roll-up rows of the plan's days and the log over its segments.
   */
  workerRollups(workspaceSid: string, query: RollupQuery): AsyncIterable<WorkerRollupRecord>;
  /**
   * Every worker of the workspace that ever had a log entry (deleted ones too: they were billed),
   * or the one `workerSid` names, in SID order, each with its history over the query's range.
   */
  workerHistories(workspaceSid: string, query: HistoryQuery): AsyncIterable<WorkerHistoryRecord>;
  /** The activity a worker was in at `at` (its last entry at or before it), or null before it existed. */
  activityAt(workspaceSid: string, workerSid: string, at: number): Promise<{ activitySid: string; since: number } | null>;
  /** Log entries effective in `[startAt, endAt)`, by effective time then log order. */
  pageActivityLog(workspaceSid: string, filter: HistoryFilter, page: PageRequest): Promise<Result<PageOf<ActivityLogEntry>>>;
  /** Episodes whose last sign of life is in `[startAt, endAt)`, in that order. */
  pageEpisodes(workspaceSid: string, filter: HistoryFilter, page: PageRequest): Promise<Result<PageOf<EpisodeRecord>>>;
  /** The same rows as `pageActivityLog`, every one of them, in chunks of at most `chunkRows`. */
  exportActivityLog(workspaceSid: string, filter: HistoryFilter, chunkRows?: number): AsyncIterable<readonly ActivityLogEntry[]>;
  /** The same rows as `pageEpisodes`, every one of them, in chunks. */
  exportEpisodes(workspaceSid: string, filter: HistoryFilter, chunkRows?: number): AsyncIterable<readonly EpisodeRecord[]>;
}
