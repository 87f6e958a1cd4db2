/**
 * The live team: a store fed by the console's event stream (GET /console/api/stream).
 *
 * Frames are queued as they arrive and applied together in an animation frame, at most one flush
 * every FLUSH_GAP_MS: at 50 changes a second a flush per frame applied one change each time, and
 * every flush pays a fixed price whatever it carries (React render of the page, select() over
 * every worker, style, layout, paint), so ten flushes a second cost a fraction of fifty, for
 * at most FLUSH_GAP_MS more latency (measured by bench/console-bench.ts). Rows live in a Map keyed by worker SID; a flush copies the
 * Map only when rows changed, and leaves untouched rows as the same objects, so memoised rows
 * skip re-rendering. EventSource reconnects by itself and sends Last-Event-ID, and the server
 * replays what was missed; when the server refuses the stream outright, a 401 from
 * GET /console/api/session means the session is over.
 */
import { API, api, ApiError, expireSession } from './api';
import type { Activity, ChangeEvent, Settings, Snapshot, WorkerRow, WorkersFrame } from './contract';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveState {
  status: LiveStatus;
  /** True once the first snapshot arrived. */
  loaded: boolean;
  workers: ReadonlyMap<string, WorkerRow>;
  activities: readonly Activity[];
  settings: Settings | null;
  /** Newest first, at most FEED_LIMIT. */
  changes: readonly ChangeEvent[];
  /** server clock − browser clock, measured when the last frame with `server_time` arrived. */
  clockOffsetMs: number;
}

export const FEED_LIMIT = 50;
const REOPEN_AFTER_MS = 3000;
/** The least time between two flushes. */
const FLUSH_GAP_MS = 100;
const SESSION_CHECK_EVERY_MS = 5000;

type Op =
  | { kind: 'snapshot'; snapshot: Snapshot; offsetMs: number }
  | { kind: 'workers'; frame: WorkersFrame; offsetMs: number }
  | { kind: 'activities'; activities: Activity[] }
  | { kind: 'settings'; settings: Settings }
  | { kind: 'change'; change: ChangeEvent }
  | { kind: 'status'; status: LiveStatus };

const INITIAL: LiveState = {
  status: 'connecting', loaded: false, workers: new Map(), activities: [], settings: null, changes: [], clockOffsetMs: 0,
};

const versionOf = (row: WorkerRow): number => Number(row.version);

/** An older row (by version) never replaces a newer one; rows without comparable versions do. */
function isStale(next: WorkerRow, current: WorkerRow | undefined): boolean {
  if (!current) return false;
  const a = versionOf(next);
  const b = versionOf(current);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

function apply(state: LiveState, ops: Op[]): LiveState {
  let workers = state.workers as Map<string, WorkerRow>;
  let ownWorkers = false;
  const own = (): Map<string, WorkerRow> => {
    if (!ownWorkers) {
      workers = new Map(workers);
      ownWorkers = true;
    }
    return workers;
  };
  let { activities, settings, changes, clockOffsetMs, status, loaded } = state;
  const fresh: ChangeEvent[] = [];
  for (const op of ops) {
    switch (op.kind) {
      case 'snapshot':
        workers = new Map(op.snapshot.workers.map((w) => [w.sid, w]));
        ownWorkers = true;
        activities = op.snapshot.activities;
        settings = op.snapshot.settings;
        clockOffsetMs = op.offsetMs;
        loaded = true;
        status = 'live';
        break;
      case 'workers':
        for (const row of op.frame.rows) if (!isStale(row, workers.get(row.sid))) own().set(row.sid, row);
        for (const sid of op.frame.removed) if (workers.has(sid)) own().delete(sid);
        clockOffsetMs = op.offsetMs;
        break;
      case 'activities':
        activities = op.activities;
        break;
      case 'settings':
        settings = op.settings;
        break;
      case 'change':
        fresh.push(op.change);
        break;
      case 'status':
        status = op.status;
        break;
    }
  }
  if (fresh.length > 0) changes = mergeChanges(changes, fresh);
  return { status, loaded, workers, activities, settings, changes, clockOffsetMs };
}

/** Newest first, no seq twice (a replay after reconnection may repeat what was already seen). */
function mergeChanges(current: readonly ChangeEvent[], fresh: ChangeEvent[]): ChangeEvent[] {
  const seen = new Set(current.map((c) => c.seq));
  const added = fresh.filter((c) => !seen.has(c.seq) && (seen.add(c.seq), true));
  return [...added, ...current].sort((a, b) => b.seq - a.seq).slice(0, FEED_LIMIT);
}

export interface LiveStore {
  getState: () => LiveState;
  subscribe: (listener: () => void) => () => void;
  /** Opens the stream; returns the function that closes it. */
  start: () => () => void;
}

export function createLiveStore(url = `${API}/stream`): LiveStore {
  let state = INITIAL;
  let queue: Op[] = [];
  let frame = 0;
  let fallback = 0;
  let gap = 0;
  let lastFlush = -Infinity;
  const listeners = new Set<() => void>();

  const flush = (): void => {
    cancelAnimationFrame(frame);
    clearTimeout(fallback);
    clearTimeout(gap);
    frame = 0;
    fallback = 0;
    gap = 0;
    lastFlush = performance.now();
    const ops = queue;
    queue = [];
    if (ops.length === 0) return;
    state = apply(state, ops);
    for (const listener of listeners) listener();
  };

  const enqueue = (op: Op): void => {
    queue.push(op);
    if (frame || fallback || gap) return;
    const wait = lastFlush + FLUSH_GAP_MS - performance.now();
    if (wait > 0) {
      gap = window.setTimeout(() => {
        gap = 0;
        frame = requestAnimationFrame(flush);
      }, wait);
    } else frame = requestAnimationFrame(flush);
    // Hidden tabs get no animation frames; a timer (throttled to ~1 s there) still applies them.
    fallback = window.setTimeout(flush, Math.max(0, wait) + 250);
  };

  const parse = <T>(event: MessageEvent<string>): T | null => {
    try {
      return JSON.parse(event.data) as T;
    } catch {
      return null;
    }
  };

  function start(): () => void {
    let source: EventSource | null = null;
    let reopen = 0;
    let lastSessionCheck = 0;
    let closed = false;

    /** `force`: the server refused the stream itself, the likeliest reason being a session that ended. */
    const checkSession = (force: boolean): void => {
      const now = Date.now();
      if (!force && now - lastSessionCheck < SESSION_CHECK_EVERY_MS) return;
      lastSessionCheck = now;
      api.session.get().catch((e: unknown) => {
        if (!closed && e instanceof ApiError && e.status === 401) expireSession();
      });
    };

    // The last durable seq seen: a stream we reopen ourselves carries no Last-Event-ID, so it asks
    // with `?after=` (the server reads either) and the change feed keeps no gap.
    let lastSeq: number | null = null;
    const seen = (seq: number): void => {
      if (Number.isInteger(seq) && (lastSeq === null || seq > lastSeq)) lastSeq = seq;
    };

    const open = (): void => {
      const es = new EventSource(lastSeq === null ? url : `${url}?after=${lastSeq}`, { withCredentials: true });
      source = es;
      es.addEventListener('snapshot', (e) => {
        const snapshot = parse<Snapshot>(e);
        if (!snapshot) return;
        seen(snapshot.seq);
        enqueue({ kind: 'snapshot', snapshot, offsetMs: snapshot.server_time - Date.now() });
      });
      es.addEventListener('workers', (e) => {
        const frame = parse<WorkersFrame>(e);
        if (frame) enqueue({ kind: 'workers', frame, offsetMs: frame.server_time - Date.now() });
      });
      es.addEventListener('activity', (e) => {
        const body = parse<{ activities: Activity[] }>(e);
        if (body) enqueue({ kind: 'activities', activities: body.activities });
      });
      es.addEventListener('settings', (e) => {
        const settings = parse<Settings>(e);
        if (settings) enqueue({ kind: 'settings', settings });
      });
      es.addEventListener('change', (e) => {
        const change = parse<ChangeEvent>(e);
        if (!change) return;
        seen(change.seq);
        enqueue({ kind: 'change', change });
      });
      es.onerror = () => {
        if (closed) return;
        enqueue({ kind: 'status', status: 'reconnecting' });
        const refused = es.readyState === EventSource.CLOSED;
        checkSession(refused);
        // EventSource gives up for good on an HTTP error answer; try again ourselves after a pause.
        if (refused) {
          clearTimeout(reopen);
          reopen = window.setTimeout(() => !closed && open(), REOPEN_AFTER_MS);
        }
      };
    };

    open();
    return () => {
      closed = true;
      clearTimeout(reopen);
      source?.close();
    };
  }

  return {
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start,
  };
}
