/**
 * One timer for the earliest pending due time. The store holds the deadlines; this only knows
 * when to ask it next. On fire it claims due deadlines in batches (one transaction each) and
 * yields to the event loop between batches, so a mass disconnect never blocks other work for
 * long. After every run it re-arms from the store, which makes it restart-safe by construction.
 */
import type { Cancel, Clock, Log } from './ports.js';

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
}

export class DeadlineScheduler<C = unknown> {
  private armedAt: number | null = null;
  private cancel: Cancel | null = null;
  private running = false;
  private rerun = false;
  private stopped = false;

  constructor(private readonly options: DeadlineSchedulerOptions<C>) {}

  /** Re-arms from the store's earliest deadline. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.rearm();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    this.armedAt = null;
  }

  /** A deadline at `dueAt` was committed: make sure the timer fires no later than that. */
  consider(dueAt: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.armedAt !== null && this.armedAt <= dueAt) return;
    this.arm(dueAt);
  }

  private arm(dueAt: number): void {
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
    const next = await this.options.store.nextDueAt();
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
    const batchSize = this.options.batchSize ?? 500;
    const yieldToLoop = this.options.yieldToLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    try {
      do {
        this.rerun = false;
        for (;;) {
          const commits = await this.options.store.claimDueDeadlines(batchSize);
          if (commits.length > 0) this.options.onCommits(commits);
          if (commits.length < batchSize || this.stopped) break;
          await yieldToLoop();
        }
      } while (this.rerun && !this.stopped);
    } catch (error) {
      this.options.log.error({ err: error }, 'claiming due deadlines failed; retrying in 1 s');
      this.running = false;
      if (!this.stopped) this.arm(this.options.clock.now() + 1000);
      return;
    }
    this.running = false;
    await this.rearm();
  }
}
