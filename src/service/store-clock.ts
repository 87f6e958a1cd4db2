/**
 * The store's clock, kept on this node (scale-out.md §1.3). Several nodes share one PostgreSQL,
 * whose `clock_timestamp()` stamps every deadline and sign of life; a node whose own clock is off
 * would wake its scheduler early (and spin) or late, and backdate the connection ends it measures.
 * This clock reads the store's time once (`sync`, at start and at every lease renewal), anchors it
 * to the process's monotonic clock (the read's midpoint), and counts from there: `now()` is the
 * store's time give or take half a round trip, whatever the node's wall clock says, and a
 * silence measured on this node (a connection's last pong) becomes an instant on the store's clock.
 * Before the first sync it is the wall clock. It never runs backwards.
 */
import { performance } from 'node:perf_hooks';
import type { Cancel, Clock } from './ports.js';

const MAX_DELAY_MS = 2_147_483_647;

export class StoreClock implements Clock {
  private anchor: { storeAt: number; monoAt: number } | null = null;
  private last = 0;

  constructor(private readonly monotonic: () => number = () => performance.now()) {}

  /** Reads the store's time and anchors this clock to it. */
  async sync(read: () => Promise<number>): Promise<void> {
    const before = this.monotonic();
    const storeAt = await read();
    const after = this.monotonic();
    if (!Number.isFinite(storeAt)) throw new Error(`the store's clock answered ${storeAt}`);
    this.anchor = { storeAt, monoAt: (before + after) / 2 };
  }

  /** Store time minus this node's wall clock, as last measured (for logs and tests). */
  get offsetMs(): number {
    return this.now() - Date.now();
  }

  now(): number {
    const at = this.anchor ? Math.round(this.anchor.storeAt + this.monotonic() - this.anchor.monoAt) : Date.now();
    // A later sync may land a little earlier than the previous anchor's count: never go backwards.
    this.last = Math.max(this.last, at);
    return this.last;
  }

  at(dueAt: number, fn: () => void): Cancel {
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = dueAt - this.now();
      if (delay > MAX_DELAY_MS) handle = setTimeout(arm, MAX_DELAY_MS);
      else handle = setTimeout(fn, Math.max(0, delay));
    };
    arm();
    return () => clearTimeout(handle);
  }
}
