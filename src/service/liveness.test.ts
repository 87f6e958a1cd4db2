import { describe, expect, it } from 'vitest';
import { Liveness, type Watched } from './liveness.js';

class FakeConnection implements Watched {
  pings = 0;
  beats = 0;
  lostAt: number | null = null;
  constructor(public lastSeenAt: number) {}
  ping(): void {
    this.pings++;
  }
  heartbeat(): void {
    this.beats++;
  }
  lose(lastSeenAt: number): void {
    this.lostAt = lastSeenAt;
  }
}

const options = { pingIntervalMs: 1000, timeoutMs: 2100, heartbeatIntervalMs: 1500, tickMs: 100, sweepIntervalMs: 250 };

describe('Liveness', () => {
  it('pings every connection once per interval, spread evenly over the ticks', () => {
    const liveness = new Liveness(options);
    const conns = Array.from({ length: 1000 }, () => new FakeConnection(0));
    for (const c of conns) liveness.add(c);
    const perTick: number[] = [];
    for (let tick = 0; tick < 10; tick++) {
      const before = conns.reduce((n, c) => n + c.pings, 0);
      for (const c of conns) c.lastSeenAt = tick * 100; // everyone answers
      liveness.tick(tick * 100);
      perTick.push(conns.reduce((n, c) => n + c.pings, 0) - before);
    }
    expect(perTick).toEqual(Array(10).fill(100));
    expect(conns.every((c) => c.pings === 1)).toBe(true);
    // Heartbeat frames: 15 buckets for 1500 ms. 1000 connections fill them round-robin, so the
    // first 10 buckets (the ones served in 10 ticks) hold 67 each.
    expect(conns.reduce((n, c) => n + c.beats, 0)).toBe(670);
  });

  it('reports a connection lost once it has been silent past the timeout, with its last sign of life', () => {
    const liveness = new Liveness(options);
    const silent = new FakeConnection(0);
    const chatty = new FakeConnection(0);
    liveness.add(silent);
    liveness.add(chatty);
    for (let now = 0; now <= 3000; now += 100) {
      chatty.lastSeenAt = now;
      liveness.tick(now);
      if (now <= 2100) expect(silent.lostAt).toBeNull();
    }
    expect(silent.lostAt).toBe(0);
    expect(chatty.lostAt).toBeNull();
    expect(liveness.size).toBe(1);
  });

  it('detects silence within the sweep interval after the timeout', () => {
    const liveness = new Liveness(options);
    const silent = new FakeConnection(1000);
    liveness.add(silent);
    let detectedAt = -1;
    for (let now = 1000; now <= 5000 && detectedAt < 0; now += 100) {
      liveness.tick(now);
      if (silent.lostAt !== null) detectedAt = now;
    }
    expect(detectedAt).toBeGreaterThan(1000 + options.timeoutMs);
    expect(detectedAt).toBeLessThanOrEqual(1000 + options.timeoutMs + options.sweepIntervalMs + options.tickMs);
  });

  it('stops pinging a removed connection', () => {
    const liveness = new Liveness(options);
    const c = new FakeConnection(0);
    liveness.add(c);
    liveness.remove(c);
    for (let now = 0; now < 5000; now += 100) liveness.tick(now);
    expect(c.pings).toBe(0);
    expect(c.lostAt).toBeNull();
  });

  it('does not count a stall of this process as silence from its connections', () => {
    const liveness = new Liveness(options);
    const c = new FakeConnection(0);
    liveness.add(c);
    for (let now = 0; now <= 1000; now += 100) {
      c.lastSeenAt = now;
      liveness.tick(now);
    }
    // The process stalls for 5 s (longer than the 2.1 s timeout); the pongs sent meanwhile are unread.
    liveness.tick(6000);
    expect(c.lostAt).toBeNull();
    // They are read right after the stall, and the connection lives on.
    for (let now = 6100; now <= 9000; now += 100) {
      c.lastSeenAt = now;
      liveness.tick(now);
    }
    expect(c.lostAt).toBeNull();
  });

  it('still finds a connection that went silent before a stall, once a full timeout has passed after it', () => {
    const liveness = new Liveness(options);
    const c = new FakeConnection(0);
    liveness.add(c);
    for (let now = 0; now <= 500; now += 100) liveness.tick(now);
    liveness.tick(6000);
    expect(c.lostAt).toBeNull();
    for (let now = 6100; now <= 6000 + options.timeoutMs; now += 100) liveness.tick(now);
    expect(c.lostAt).toBeNull();
    for (let now = 6000 + options.timeoutMs + 100; now <= 9000; now += 100) liveness.tick(now);
    expect(c.lostAt).toBe(0);
  });

  it('keeps the ping interval in time when the loop ticks late but never stalls (a busy node)', () => {
    // Every tick 250 ms apart instead of 100 (a loaded process: each tick late, none 1 s late).
    // Counting buckets by ticks, a round of the wheel took 2.5 s, longer than the 2.1 s timeout,
    // and connections answering every ping were lost (a reconnect storm lost hundreds).
    const liveness = new Liveness(options);
    let now = 0;
    const conns = Array.from({ length: 100 }, () => new (class extends FakeConnection {
      override ping(): void {
        super.ping();
        this.lastSeenAt = now; // answered at once
      }
    })(0));
    for (const c of conns) liveness.add(c);
    for (now = 0; now <= 20_000; now += 250) liveness.tick(now);
    expect(conns.filter((c) => c.lostAt !== null)).toEqual([]);
    // One ping a second each, as configured: 20 or 21 in 20 s.
    expect(Math.min(...conns.map((c) => c.pings))).toBeGreaterThanOrEqual(20);
    expect(Math.max(...conns.map((c) => c.pings))).toBeLessThanOrEqual(21);
    // Heartbeat frames keep their interval too (1.5 s): 13 or 14 in 20 s.
    expect(Math.min(...conns.map((c) => c.beats))).toBeGreaterThanOrEqual(13);
    expect(Math.max(...conns.map((c) => c.beats))).toBeLessThanOrEqual(14);
  });

  it('after a long stall serves at most a second of buckets at once, not every one it missed', () => {
    const liveness = new Liveness(options);
    const conns = Array.from({ length: 1000 }, () => new FakeConnection(0));
    for (const c of conns) liveness.add(c);
    liveness.tick(0);
    const before = conns.reduce((n, c) => n + c.pings, 0);
    liveness.tick(60_000); // a minute suspended: 600 ticks missed
    const sent = conns.reduce((n, c) => n + c.pings, 0) - before;
    // The wheel has 10 buckets of 100: one round (every connection once), never six hundred.
    expect(sent).toBe(1000);
  });
});
