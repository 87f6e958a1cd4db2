/**
 * Connection ends waiting to be committed. A close is a fact, not a request: the agent is gone and
 * cannot be asked again, so an end that the store failed to take is kept, in order, and retried
 * with backoff until it lands; it is never dropped. Ends queued in one event-loop turn are written
 * together (a mass disconnect is a few transactions, not one per socket), at most `batchSize` per
 * transaction. A batch that fails stays at the head of the queue, so what lands, lands in order,
 * and each end lands once (an end the store already applied is a no-op there).
 */
import type { Clock, ConnectionEnding, Log } from './ports.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type Backoff, type StoreHealth } from './store-health.js';

export interface ConnectionEndQueueOptions {
  /** Commits the endings in one transaction (PresenceService.disconnectMany). */
  readonly write: (endings: readonly ConnectionEnding[]) => Promise<unknown>;
  readonly clock: Clock;
  readonly health: StoreHealth;
  readonly log: Log;
  readonly batchSize?: number;
  readonly backoff?: Backoff;
}

interface QueuedEnd {
  readonly ending: ConnectionEnding;
  /** Resolves true once the connection's opening is committed; false if it never was (nothing to end). */
  readonly opened: Promise<boolean>;
}

const SOURCE = 'connection ends';

export class ConnectionEndQueue {
  private readonly pending: QueuedEnd[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeRetry: (() => void) | null = null;
  private failedSinceEmpty = false;

  constructor(private readonly options: ConnectionEndQueueOptions) {}

  /** Ends waiting to land (including a batch being written or retried). */
  get size(): number {
    return this.pending.length;
  }

  /**
   * True from a failed write until the queue is empty again: ends are waiting because the store
   * failed, not merely because this turn's batch has not been written yet.
   */
  get isBacklogged(): boolean {
    return this.failedSinceEmpty;
  }

  push(ending: ConnectionEnding, opened: Promise<boolean>): void {
    if (this.stopped) throw new Error('connection end queued after the queue was stopped');
    this.pending.push({ ending, opened });
    // The first end of a turn starts the writer on the next turn, so the turn's other ends join its batch.
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /** Resolves once every queued end has landed (or the queue was stopped); true if none is left. */
  async drained(): Promise<boolean> {
    while (this.running) await this.running;
    return this.pending.length === 0;
  }

  /**
   * Stops retrying (the store is about to close). Ends still queued are reported, not lost: the
   * next start of this node's store ends every connection it left at its last stored heartbeat.
   */
  stop(): number {
    this.stopped = true;
    this.wakeRetry?.();
    if (this.pending.length > 0) this.options.log.error({ connections: this.pending.length }, 'connection ends not yet committed at stop; the next start ends them at this process\'s last heartbeat');
    return this.pending.length;
  }

  private async run(): Promise<void> {
    const { health, write } = this.options;
    const batchSize = this.options.batchSize ?? 250;
    let failures = 0;
    while (this.pending.length > 0 && !this.stopped) {
      const batch = this.pending.slice(0, batchSize);
      // A connection still being committed is ended once its commit lands.
      const opened = await Promise.all(batch.map((q) => q.opened));
      const endings = batch.filter((_, i) => opened[i]).map((q) => q.ending);
      try {
        if (endings.length > 0) await write(endings);
      } catch (error) {
        failures++;
        this.failedSinceEmpty = true;
        health.failed(SOURCE, error);
        await this.pause(backoffDelayMs(this.options.backoff ?? DEFAULT_BACKOFF, failures));
        continue;
      }
      if (endings.length > 0) health.succeeded(SOURCE);
      failures = 0;
      this.pending.splice(0, batch.length);
      // Let the loop take the sockets that closed meanwhile (each close time is read when its
      // handler runs) and other work run, before the next batch.
      if (this.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.pending.length === 0) this.failedSinceEmpty = false;
    this.running = null;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.options.clock.at(this.options.clock.now() + ms, () => {
        this.wakeRetry = null;
        resolve();
      });
      this.wakeRetry = () => {
        cancel();
        this.wakeRetry = null;
        resolve();
      };
    });
  }
}
