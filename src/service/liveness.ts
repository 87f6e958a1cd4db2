/**
 * Server-owned liveness (rule 2). Every connection is pinged once per ping interval and sent a
 * heartbeat frame once per heartbeat interval, each spread evenly over the interval in buckets
 * (one bucket per tick width of time, however late the ticks come), so a tick on time touches
 * 1/N of the connections (a tick late by k widths serves k buckets, at most ten). A sweep once per
 * second finds connections silent for longer than the timeout and reports them lost, with the
 * last sign of life the transport recorded.
 */

/** What the liveness loop needs from a transport connection. */
export interface Watched {
  /** Server clock of the last frame or pong received (or of the open). */
  readonly lastSeenAt: number;
  /** Sends a protocol ping; the transport updates `lastSeenAt` when the pong arrives. */
  ping(): void;
  /** Sends the keep-alive frame the client's own watchdog needs. */
  heartbeat(): void;
  /** Called once when the connection has been silent past the timeout. */
  lose(lastSeenAt: number): void;
}

export interface LivenessOptions {
  readonly pingIntervalMs: number;
  readonly timeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** The bucket width; one bucket of each wheel is served per tick. */
  readonly tickMs: number;
  /** How often to look for silent connections. */
  readonly sweepIntervalMs: number;
}

/** A tick this many tick-widths late means the process was stalled. */
const STALL_TICKS = 10;
/**
 * The most buckets one tick serves. A late tick serves the buckets whose time has passed, so a
 * loaded process whose ticks come late keeps the intervals (counted in ticks, a round of the ping
 * wheel took as much longer as the ticks were late, past the timeout); after a longer stall the
 * rest is skipped rather than sent in one burst.
 */
const CATCH_UP_TICKS = STALL_TICKS;

class Wheel {
  private readonly buckets: Set<Watched>[];
  private readonly slot = new Map<Watched, number>();
  private nextSlot = 0;
  private cursor = 0;

  constructor(size: number) {
    this.buckets = Array.from({ length: Math.max(1, size) }, () => new Set<Watched>());
  }

  add(w: Watched): void {
    const i = this.nextSlot++ % this.buckets.length;
    this.buckets[i]?.add(w);
    this.slot.set(w, i);
  }

  remove(w: Watched): void {
    const i = this.slot.get(w);
    if (i === undefined) return;
    this.buckets[i]?.delete(w);
    this.slot.delete(w);
  }

  /** The bucket due this tick. */
  advance(): Set<Watched> {
    const bucket = this.buckets[this.cursor] as Set<Watched>;
    this.cursor = (this.cursor + 1) % this.buckets.length;
    return bucket;
  }
}

export class Liveness {
  private readonly pings: Wheel;
  private readonly beats: Wheel;
  private readonly all = new Set<Watched>();
  private nextSweepAt = 0;
  /** The last tick-width slot (now / tickMs) whose buckets were served; null before the first tick. */
  private servedSlot: number | null = null;
  /** The end of the last stall of this process: silence before it is no evidence (see tick). */
  private resumedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LivenessOptions) {
    this.pings = new Wheel(Math.round(options.pingIntervalMs / options.tickMs));
    this.beats = new Wheel(Math.round(options.heartbeatIntervalMs / options.tickMs));
  }

  get size(): number {
    return this.all.size;
  }

  add(w: Watched): void {
    this.all.add(w);
    this.pings.add(w);
    this.beats.add(w);
  }

  remove(w: Watched): void {
    this.all.delete(w);
    this.pings.remove(w);
    this.beats.remove(w);
  }

  /**
   * One tick: ping and heartbeat the buckets due since the last tick (one when on time), and sweep
   * for silence when due. A tick that comes much later than scheduled means this process was
   * stalled (a long GC, a busy loop, a suspended VM): pongs that arrived meanwhile have not been
   * read yet, so silence is counted only from the end of the stall. The evidence of a later loss
   * still names the real last pong.
   */
  tick(now: number): void {
    const slot = Math.floor(now / this.options.tickMs);
    if (this.servedSlot !== null && slot - this.servedSlot > STALL_TICKS) this.resumedAt = now;
    const from = Math.max(this.servedSlot ?? slot - 1, slot - CATCH_UP_TICKS);
    for (let i = from; i < slot; i++) {
      for (const w of this.pings.advance()) w.ping();
      for (const w of this.beats.advance()) w.heartbeat();
    }
    this.servedSlot = Math.max(this.servedSlot ?? slot, slot);
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.options.sweepIntervalMs;
    const limit = now - this.options.timeoutMs;
    if (this.resumedAt >= limit) return;
    const lost: Watched[] = [];
    for (const w of this.all) if (w.lastSeenAt < limit) lost.push(w);
    for (const w of lost) {
      this.remove(w);
      w.lose(w.lastSeenAt);
    }
  }
}
