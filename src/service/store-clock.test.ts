/**
 * The store clock counts the store's time on the node's monotonic clock, whatever the node's wall
 * clock says, and never runs backwards when a later reading lands a little earlier.
 */
import { describe, expect, it } from 'vitest';
import { StoreClock } from './store-clock.js';

describe('StoreClock', () => {
  it('counts from the store reading (at the read\'s midpoint) on the monotonic clock', async () => {
    let mono = 1000;
    const clock = new StoreClock(() => mono);
    // The store answers 5 000 000 after 10 ms of round trip; the reading is placed at its midpoint.
    await clock.sync(async () => {
      mono += 10;
      return 5_000_000;
    });
    expect(clock.now()).toBe(5_000_005);
    mono += 2000;
    expect(clock.now()).toBe(5_002_005);
  });

  it('never goes backwards across a re-sync', async () => {
    let mono = 0;
    const clock = new StoreClock(() => mono);
    await clock.sync(async () => 1_000_000);
    mono = 500;
    expect(clock.now()).toBe(1_000_500);
    await clock.sync(async () => 1_000_400); // this reading is 100 ms behind the count
    expect(clock.now()).toBe(1_000_500);
    mono = 700;
    expect(clock.now()).toBe(1_000_600);
  });

  it('arms timers by the store\'s time, not the wall clock', async () => {
    const clock = new StoreClock();
    // A store 1 h behind this node's wall clock: a due time 50 ms ahead on the store's clock.
    await clock.sync(async () => Date.now() - 3_600_000);
    const dueAt = clock.now() + 50;
    const started = performance.now();
    await new Promise<void>((resolve) => clock.at(dueAt, resolve));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1000);
    expect(clock.now()).toBeGreaterThanOrEqual(dueAt);
  });

  it('refuses a reading that is not a time', async () => {
    const clock = new StoreClock();
    await expect(clock.sync(async () => Number.NaN)).rejects.toThrow(/answered NaN/);
  });
});
