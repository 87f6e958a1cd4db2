/**
 * The threshold advisor: replays a worker's recorded disconnection episodes under another offline
 * threshold, by the rules of presence, and says what that threshold would have done: how many
 * automatic logouts, how many of them *false* (the agent came back within five minutes of being
 * logged out), and how much active time would have been billed.
 *
 * The replay starts from the history *without* automatic logouts (each `offline-threshold` entry
 * becomes "stayed where it was"), then walks the episodes in order. Under threshold T an episode
 * ends in a logout at `due = max(lastSeen + T, last change at or before detection)` when:
 * the session was not exempt; the worker was not in the logout activity when the loss was
 * detected nor just before `due` (rule 6); no person changed its activity between detection and
 * `due` (rule 7); and it had not reconnected before `due` (rule 5). The logout lasts until the
 * worker's next recorded change; when the episode did not really end in a logout, the agent is
 * taken to restore their activity on return (at the reconnection) if that comes first.
 *
 * Assumed, and said in docs/reports.md: automatic status update on for the whole range. At the
 * threshold that was in force, the replay reproduces the logouts that happened (a fast-check
 * property in advisor.test.ts) and the billed time of the report.
 */
import { staysOf, type BillingEntry } from './billing.js';
import { PERSON_CAUSES, type ActivityCause } from './presence.js';

export const FALSE_LOGOUT_WINDOW_MS = 5 * 60_000;
export const CANDIDATE_THRESHOLDS_S: readonly number[] = [15, 30, 60, 120, 300, 600];

export interface AdvisorEntry extends BillingEntry {
  readonly fromActivitySid: string | null;
}

export interface AdvisorEpisode {
  readonly lastSeenAt: number;
  readonly detectedAt: number;
  /** The reconnection, or null while still disconnected. */
  readonly endedAt: number | null;
  /** The session that ended was opened with `setWorkerOfflineIfDisconnected=false`. */
  readonly exempt: boolean;
  /** The episode really ended in an automatic logout. */
  readonly loggedOut: boolean;
}

export interface AdvisorWorker {
  /** Sorted, from before the first episode of interest to the end of the range. */
  readonly entries: readonly AdvisorEntry[];
  /** Sorted by last sign of life. */
  readonly episodes: readonly AdvisorEpisode[];
  readonly goneAt: number | null;
}

export interface AdvisorFrame {
  readonly startAt: number;
  /** Exclusive; no later than now (nothing after it has happened). */
  readonly endAt: number;
  readonly logoutActivitySid: string;
}

export interface Logout {
  readonly dueAt: number;
  /** Exclusive end of the time spent logged out (Infinity: not before the data ends). */
  readonly untilAt: number;
  /** The agent reconnected within five minutes of the logout. */
  readonly isFalse: boolean;
}

export interface ThresholdFigures {
  readonly thresholdMs: number;
  /** Logouts due inside the range. */
  readonly logouts: number;
  readonly falseLogouts: number;
  /** Billed time inside the range under this threshold. */
  readonly activeMs: number;
}

const isPerson = (cause: string): boolean => PERSON_CAUSES.has(cause as ActivityCause);

/** The history with every automatic logout turned into "stayed in the activity it was in". */
export function withoutAutomaticLogouts(entries: readonly AdvisorEntry[]): AdvisorEntry[] {
  return entries.map((e) => (e.cause === 'offline-threshold' && e.fromActivitySid !== null ? { ...e, toActivitySid: e.fromActivitySid } : e));
}

/** Billed time of a history inside the frame. */
export function activeTime(entries: readonly BillingEntry[], goneAt: number | null, frame: AdvisorFrame): number {
  let ms = 0;
  for (const stay of staysOf({ entries, goneAt }, frame.startAt, frame.endAt)) if (stay.activitySid !== frame.logoutActivitySid) ms += stay.toAt - stay.fromAt;
  return ms;
}

/** How many entries take effect before `at` (or at it too, when `inclusive`). */
function countUntil(entries: readonly BillingEntry[], at: number, inclusive: boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const t = (entries[mid] as BillingEntry).effectiveAt;
    if (t < at || (inclusive && t === at)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The logouts threshold `thresholdMs` would have caused, over all of the worker's episodes. */
export function replay(worker: AdvisorWorker, thresholdMs: number, frame: AdvisorFrame, base = withoutAutomaticLogouts(worker.entries)): Logout[] {
  const logouts: Logout[] = [];
  const logout = frame.logoutActivitySid;
  const activityAt = (at: number, inclusive: boolean): string | null => {
    const last = logouts[logouts.length - 1];
    if (last && last.dueAt <= at && at < last.untilAt) return logout;
    return base[countUntil(base, at, inclusive) - 1]?.toActivitySid ?? null;
  };
  for (const episode of worker.episodes) {
    if (episode.exempt) continue;
    const atDetection = activityAt(episode.detectedAt, true);
    if (atDetection === null || atDetection === logout) continue;
    let lastChangeAt = -Infinity;
    for (let i = countUntil(base, episode.detectedAt, true) - 1; i >= 0; i--) {
      const e = base[i] as AdvisorEntry;
      if (e.cause !== 'offline-threshold') {
        lastChangeAt = e.effectiveAt;
        break;
      }
    }
    const dueAt = Math.max(episode.lastSeenAt + thresholdMs, lastChangeAt);
    if (episode.endedAt !== null ? episode.endedAt < dueAt : dueAt >= frame.endAt) continue;
    if (worker.goneAt !== null && dueAt >= worker.goneAt) continue;
    let overridden = false;
    for (let i = countUntil(base, episode.detectedAt, false); i < base.length; i++) {
      const e = base[i] as AdvisorEntry;
      if (e.effectiveAt >= dueAt) break;
      if (isPerson(e.cause)) overridden = true;
    }
    // Changes at the due time itself came before the logout when they were made before detection
    // (they set the due time); after detection the scheduler fires the logout first.
    const changedFirst = dueAt <= episode.detectedAt;
    if (overridden || activityAt(dueAt, changedFirst) === logout) continue;
    let untilAt = Infinity;
    for (let i = countUntil(base, dueAt, changedFirst); i < base.length; i++) {
      const e = base[i] as AdvisorEntry;
      if (e.cause !== 'offline-threshold') {
        untilAt = e.effectiveAt;
        break;
      }
    }
    if (!episode.loggedOut && episode.endedAt !== null) untilAt = Math.min(untilAt, episode.endedAt);
    const isFalse = episode.endedAt !== null && episode.endedAt - dueAt <= FALSE_LOGOUT_WINDOW_MS;
    logouts.push({ dueAt, untilAt, isFalse });
  }
  return logouts;
}

/** One worker's figures under each threshold (same order), and what really happened. */
export function adviseWorker(worker: AdvisorWorker, thresholdsMs: readonly number[], frame: AdvisorFrame): {
  readonly withoutLogoutsMs: number;
  readonly actual: Omit<ThresholdFigures, 'thresholdMs'>;
  readonly figures: ThresholdFigures[];
} {
  const base = withoutAutomaticLogouts(worker.entries);
  const withoutLogoutsMs = activeTime(base, worker.goneAt, frame);
  const inRange = (at: number): boolean => at >= frame.startAt && at < frame.endAt;
  const figures = thresholdsMs.map((thresholdMs) => {
    const logouts = replay(worker, thresholdMs, frame, base);
    let activeMs = withoutLogoutsMs;
    for (const l of logouts) activeMs -= clippedSeconds(l.dueAt, l.untilAt, frame, worker.goneAt);
    const counted = logouts.filter((l) => inRange(l.dueAt));
    return { thresholdMs, logouts: counted.length, falseLogouts: counted.filter((l) => l.isFalse).length, activeMs };
  });
  const real = worker.entries.filter((e) => e.cause === 'offline-threshold' && inRange(e.effectiveAt));
  const realFalse = real.filter((e) => worker.episodes.some((ep) => ep.loggedOut && ep.endedAt !== null
    && ep.lastSeenAt <= e.effectiveAt && ep.endedAt >= e.effectiveAt && ep.endedAt - e.effectiveAt <= FALSE_LOGOUT_WINDOW_MS));
  return {
    withoutLogoutsMs,
    actual: { logouts: real.length, falseLogouts: realFalse.length, activeMs: activeTime(worker.entries, worker.goneAt, frame) },
    figures,
  };
}

/** The part of `[fromAt, untilAt)` inside the frame, on whole seconds as the billing fold counts. */
function clippedSeconds(fromAt: number, untilAt: number, frame: AdvisorFrame, goneAt: number | null): number {
  const s = (at: number): number => Math.floor(at / 1000) * 1000;
  const end = Math.min(s(untilAt === Infinity ? frame.endAt : untilAt), s(frame.endAt), goneAt === null ? Infinity : s(goneAt));
  return Math.max(0, end - Math.max(s(fromAt), s(frame.startAt)));
}
