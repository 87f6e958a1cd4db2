/**
 * Clocks. `SystemClock` is the process clock (the SQLite store's clock, rule 12); `ManualClock`
 * is for tests: it only moves when told to, forwards only, and fires due timers in order.
 */
import type { Cancel, Clock } from './ports.js';

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  at(dueAt: number, fn: () => void): Cancel {
    // Timers longer than ~24.8 days overflow setTimeout; re-arm in steps.
    const MAX_DELAY_MS = 2_147_483_647;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = dueAt - Date.now();
      if (delay > MAX_DELAY_MS) handle = setTimeout(arm, MAX_DELAY_MS);
      else handle = setTimeout(fn, Math.max(0, delay));
    };
    arm();
    return () => clearTimeout(handle);
  }
}

interface ManualTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startAt = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  at(dueAt: number, fn: () => void): Cancel {
    const timer: ManualTimer = { dueAt, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, firing each due timer at its own due time, in order. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('ManualClock only moves forward');
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => !t.cancelled && t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.dueAt);
      next.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

/** Waits for `work` at most `ms` of wall-clock time; undefined if it took longer. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms))));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
