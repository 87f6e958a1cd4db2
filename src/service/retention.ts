/**
 * Retention: every so often, removes events, finished tasks and old history past their configured
 * ages, in bounded batches (one short transaction each, with the event loop free between them), so
 * the database stops growing without a pause that agents would notice.
 */
import type { Clock, Log, PruneCounts, RetentionCutoffs, RetentionStore } from './ports.js';

const DAY_MS = 86_400_000;
/** Retired nodes are kept a day, for the operator who looks at why one stopped. */
const NODE_KEEP_MS = DAY_MS;

export interface RetentionOptions {
  readonly store: RetentionStore;
  readonly clock: Clock;
  readonly log: Log;
  /** Ages in days; 0 keeps that kind forever. */
  readonly eventDays: number;
  readonly taskDays: number;
  readonly historyDays: number;
  readonly intervalMs: number;
  /** Records of each kind per transaction. */
  readonly batch?: number;
}

const EMPTY: PruneCounts = { events: 0, callbacks: 0, tasks: 0, activityLog: 0, rollup: 0, episodes: 0, nodes: 0 };

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneCounts> | null = null;
  private stopped = false;

  constructor(private readonly options: RetentionOptions) {}

  /** Runs once soon after start (not during it), then every interval. */
  start(): void {
    this.stopped = false;
    this.schedule(Math.min(60_000, this.options.intervalMs));
  }

  /** Waits for a pass in progress to finish its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  cutoffs(): RetentionCutoffs {
    const now = this.options.clock.now();
    const before = (days: number): number | null => (days > 0 ? now - days * DAY_MS : null);
    return { eventsBefore: before(this.options.eventDays), tasksBefore: before(this.options.taskDays), historyBefore: before(this.options.historyDays), nodesBefore: now - NODE_KEEP_MS };
  }

  /** One whole pass: batches until every kind is below a full batch. Resolves with what it removed. */
  async runOnce(): Promise<PruneCounts> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<PruneCounts> {
    const batch = this.options.batch ?? 5000;
    const cutoffs = this.cutoffs();
    let total = EMPTY;
    for (;;) {
      const counts = await this.options.store.pruneBatch(cutoffs, batch);
      total = add(total, counts);
      if (this.stopped || Math.max(...Object.values(counts)) < batch) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (Object.values(total).some((n) => n > 0)) this.options.log.info({ removed: total, cutoffs }, 'retention removed old records');
    return total;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((error: unknown) => this.options.log.error({ err: error }, 'retention pass failed; it is tried again at the next interval'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}

function add(a: PruneCounts, b: PruneCounts): PruneCounts {
  return {
    events: a.events + b.events, callbacks: a.callbacks + b.callbacks, tasks: a.tasks + b.tasks,
    activityLog: a.activityLog + b.activityLog, rollup: a.rollup + b.rollup, episodes: a.episodes + b.episodes, nodes: a.nodes + b.nodes,
  };
}
