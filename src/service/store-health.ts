/**
 * Whether the store is taking this node's writes, and how long to wait before trying again.
 *
 * Writers of presence inputs (connection ends, deadlines, the node heartbeat) report each failure
 * and each success under their own source name. A *streak* opens with the first failure and closes
 * once every source that failed has succeeded again; it is logged once when it opens and once when
 * it closes, never per retry. A source that does not retry (a connection being opened: the agent
 * is refused and its SDK tries again) is cleared by any success, since that proves the store writes.
 * While a streak is open the node accepts no new agents and reports itself not ready.
 */
import type { Clock, Log } from './ports.js';

/** Waits between retries of a failed write: `baseMs`, doubling, capped at `maxMs`. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 100, maxMs: 1000 };

export function backoffDelayMs(backoff: Backoff, failures: number): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
}

interface FailingSource {
  readonly retries: boolean;
  readonly message: string;
}

export class StoreHealth {
  private readonly failing = new Map<string, FailingSource>();
  private streak: { sinceAt: number; failures: number } | null = null;

  constructor(private readonly clock: Clock, private readonly log: Log) {}

  get isFailing(): boolean {
    return this.streak !== null;
  }

  /** Why writes are not landing, for `/readyz` and refusals; null while they land. */
  get failureReason(): string | null {
    if (!this.streak) return null;
    const [source, failure] = this.failing.entries().next().value as [string, FailingSource];
    return `store failing since ${new Date(this.streak.sinceAt).toISOString()} (${source}: ${failure.message})`;
  }

  /** A write from `source` failed; `retries` says whether that source will try it again. */
  failed(source: string, error: unknown, retries = true): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failing.set(source, { retries, message });
    if (this.streak) {
      this.streak.failures++;
      return;
    }
    this.streak = { sinceAt: this.clock.now(), failures: 1 };
    this.log.error({ err: error, source }, 'the store failed; kept presence inputs are retried with backoff and no new agents are accepted until it recovers');
  }

  /** A write from `source` landed. */
  succeeded(source: string): void {
    if (!this.streak) return;
    this.failing.delete(source);
    for (const [name, failure] of this.failing) if (!failure.retries) this.failing.delete(name);
    if (this.failing.size > 0) return;
    const { sinceAt, failures } = this.streak;
    this.streak = null;
    this.log.warn({ source, failedForMs: this.clock.now() - sinceAt, failures }, 'store writes land again');
  }
}
