/**
 * History: the events, the activity log and disconnection episodes as they were committed, the
 * reads the statistics are computed from, and their retention. Reports' own reads (roll-ups,
 * exports) are ReportStore (report-ports.ts). Same guarantees as every part of the store (ports.ts).
 */
import type { Result } from '../core/errors.js';
import type { ActivityLogEntry, DisconnectEpisode, WorkspaceEvent } from '../core/resources.js';
import type { PageOf, PageRequest } from './admin-ports.js';

/** Filters of the Events list; absent means any. Instants are epoch ms, both ends inclusive. */
export interface EventFilter {
  readonly eventTypes?: readonly string[];
  readonly resourceSid?: string;
  /** `event_data` fields that must have these values, e.g. `{worker_sid: 'WK…'}`. */
  readonly data?: Readonly<Record<string, string>>;
  readonly startAt?: number;
  readonly endAt?: number;
}

export interface EventStore {
  /** Events in order; `endAt` keeps those at or before it, `eventTypes` only those types. */
  events(workspaceSid: string, filter?: { workerSid?: string; eventTypes?: readonly string[]; endAt?: number }): Promise<WorkspaceEvent[]>;
  /** Events in the order they were committed. */
  pageEvents(workspaceSid: string, filter: EventFilter, page: PageRequest): Promise<Result<PageOf<WorkspaceEvent>>>;
  findEvent(workspaceSid: string, sid: string): Promise<WorkspaceEvent | null>;
  activityLog(workspaceSid: string, filter?: { workerSid?: string; sinceId?: number }): Promise<ActivityLogEntry[]>;
  disconnectEpisodes(workspaceSid: string, filter?: { workerSid?: string }): Promise<DisconnectEpisode[]>;
  /**
   * The activity-log entries that decide where existing workers were during `[startAt, endAt)`:
   * per worker, the last entry at or before `startAt`, and every entry inside the window.
   */
  activityLogWindow(workspaceSid: string, window: { startAt: number; endAt: number; workerSid?: string }): Promise<ActivityLogEntry[]>;
  /** Reservations created during `[startAt, endAt)` by their status now (of existing workers). */
  reservationsByStatus(workspaceSid: string, window: { startAt: number; endAt: number; workerSid?: string }): Promise<Map<string, number>>;
  /** How many workers are in each activity now (activities nobody is in are absent). */
  workersByActivity(workspaceSid: string, filter?: { workerSid?: string }): Promise<Map<string, number>>;
}

/** Epoch-ms instants before which each kind of record is removed; null keeps that kind forever. */
export interface RetentionCutoffs {
  /** Events and finished callback deliveries. */
  readonly eventsBefore: number | null;
  /** Completed and canceled tasks (their reservations with them). */
  readonly tasksBefore: number | null;
  /** The activity log (billing) and ended disconnection episodes. */
  readonly historyBefore: number | null;
  /** Retired nodes that hold no connection. */
  readonly nodesBefore: number;
}

export interface PruneCounts {
  readonly events: number;
  readonly callbacks: number;
  readonly tasks: number;
  readonly activityLog: number;
  /** Per-day roll-up rows of the activity log (reports' fast path). */
  readonly rollup: number;
  readonly episodes: number;
  readonly nodes: number;
}

export interface RetentionStore {
  /** Removes at most `batch` records of each kind older than its cutoff, in one transaction. */
  pruneBatch(cutoffs: RetentionCutoffs, batch: number): Promise<PruneCounts>;
}
