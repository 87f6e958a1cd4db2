/**
 * One timer for the earliest pending due time. The store holds the deadlines; this only knows
 * when to ask it next. On fire it claims due deadlines in batches (one transaction each) and
 * yields to the event loop between batches, so a mass disconnect never blocks other work for
 * long. After every run it re-arms from the store, which makes it restart-safe by construction.
 *
 * A store failure (claiming, or reading the next due time) is reported to the store's health and
 * retried with backoff; nothing is claimed twice (a claim is one transaction) and nothing due is
 * skipped: once the store answers again, deadlines that came due meanwhile are claimed, and the
 * presence machine moves each worker effective at its own due time. Once stopped, it stays stopped:
 * a request still in flight (a settings change re-reading the earliest due time) cannot re-arm it.
 *
 * The store may answer late (another engine, across a network): an earliest due time read before a
 * deadline committed can arrive after `consider()` armed for that deadline. Every due time
 * considered while a read is in flight (or a run is claiming) is kept as a floor until the last
 * read in flight has answered, and an answer never arms later than the floor: a later answer
 * cannot lose an earlier due time.
 */
import type { Cancel, Clock, Log } from './ports.js';
import { backoffDelayMs, DEFAULT_BACKOFF, StoreHealth, type Backoff } from './store-health.js';

/** Where due work lives: the earliest due time, and a verb that claims what is due now. */
export interface DueWorkSource<C> {
  nextDueAt(): Promise<number | null>;
  /** Claims up to `limit` due items in one transaction, oldest first. */
  claimDueDeadlines(limit: number): Promise<C[]>;
}

export interface DeadlineSchedulerOptions<C> {
  readonly store: DueWorkSource<C>;
  readonly clock: Clock;
  readonly log: Log;
  readonly onCommits: (commits: readonly C[]) => void;
  /** Deadlines claimed per transaction. */
  readonly batchSize?: number;
  /** Lets the event loop run between batches (setImmediate in production). */
  readonly yieldToLoop?: () => Promise<void>;
  /** Where store failures are reported (and logged once per streak); one of its own if absent. */
  readonly health?: StoreHealth;
  readonly backoff?: Backoff;
}

const SOURCE = 'deadlines';

export class DeadlineScheduler<C = unknown> {
  private armedAt: number | null = null;
  private cancel: Cancel | null = null;
  private running = false;
  private rerun = false;
  private stopped = false;
  private failures = 0;
  /** Reads of the earliest due time not yet answered. */
  private readsInFlight = 0;
  /** The earliest due time considered while a read was in flight or a run was claiming. */
  private floor: number | null = null;
  private readonly health: StoreHealth;

  constructor(private readonly options: DeadlineSchedulerOptions<C>) {
    this.health = options.health ?? new StoreHealth(options.clock, options.log);
  }

  /** Arms from the store's earliest deadline. Throws if the store cannot say (a start needs it). */
  async start(): Promise<void> {
    if (this.stopped) throw new Error('a stopped deadline scheduler cannot be started again');
    await this.rearm();
  }

  /**
   * Re-reads the earliest deadline after a change that can move it later or remove it (a settings
   * change). Does nothing once stopped. A failure is retried like a failed claim, never thrown.
   */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    try {
      await this.rearm();
    } catch (error) {
      this.retryAfterFailure(error);
      return;
    }
    this.landed();
  }

  /** Final: no timer stays armed and nothing re-arms it. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    this.armedAt = null;
  }

  /** A deadline at `dueAt` was committed: make sure the timer fires no later than that. */
  consider(dueAt: number): void {
    if (this.stopped) return;
    if (this.readsInFlight > 0 || this.running) this.floor = this.floor === null ? dueAt : Math.min(this.floor, dueAt);
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.armedAt !== null && this.armedAt <= dueAt) return;
    this.arm(dueAt);
  }

  private arm(dueAt: number): void {
    if (this.stopped) return;
    this.cancel?.();
    this.armedAt = dueAt;
    this.cancel = this.options.clock.at(dueAt, () => {
      this.armedAt = null;
      this.cancel = null;
      void this.fire();
    });
  }

  private async rearm(): Promise<void> {
    if (this.stopped) return;
    this.readsInFlight++;
    let answer: number | null;
    try {
      answer = await this.options.store.nextDueAt();
    } finally {
      this.readsInFlight--;
    }
    // Stopped while the store answered: the answer no longer matters.
    if (this.stopped) return;
    // A due time considered since the read began may be missing from the answer.
    const floor = this.floor;
    if (this.readsInFlight === 0) this.floor = null;
    const next = answer === null ? floor : floor === null ? answer : Math.min(answer, floor);
    if (next === null) {
      this.cancel?.();
      this.cancel = null;
      this.armedAt = null;
      return;
    }
    this.arm(next);
  }

  private async fire(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      await this.claimAllDue();
      await this.rearm();
    } catch (error) {
      this.running = false;
      this.retryAfterFailure(error);
      return;
    }
    this.running = false;
    this.landed();
  }

  private landed(): void {
    if (this.failures === 0) return;
    this.failures = 0;
    this.health.succeeded(SOURCE);
  }

  private async claimAllDue(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    const yieldToLoop = this.options.yieldToLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    do {
      this.rerun = false;
      for (;;) {
        const commits = await this.options.store.claimDueDeadlines(batchSize);
        if (commits.length > 0) this.options.onCommits(commits);
        if (commits.length < batchSize || this.stopped) break;
        await yieldToLoop();
      }
    } while (this.rerun && !this.stopped);
  }

  /** Reports the failure (logged once per streak) and tries the whole run again after a backoff. */
  private retryAfterFailure(error: unknown): void {
    this.failures++;
    this.health.failed(SOURCE, error);
    this.arm(this.options.clock.now() + backoffDelayMs(this.options.backoff ?? DEFAULT_BACKOFF, this.failures));
  }
}
