import { describe, expect, it } from 'vitest';
import type { PresenceCommit, Store } from './ports.js';
import { ManualClock } from './clocks.js';
import { DeadlineScheduler } from './deadline-scheduler.js';

/** A store double holding only due times: the scheduler's whole view of the store. */
function dueTimes(clock: ManualClock, initial: number[]) {
  const due = [...initial];
  const claims: number[] = [];
  const store = {
    async nextDueAt() {
      return due.length ? Math.min(...due) : null;
    },
    async claimDueDeadlines(limit: number) {
      const now = clock.now();
      const ready = due.filter((d) => d <= now).sort((a, b) => a - b).slice(0, limit);
      for (const d of ready) due.splice(due.indexOf(d), 1);
      claims.push(ready.length);
      return ready.map((d) => ({ worker: { sid: `WK${d}` }, outputs: [], events: [] }) as unknown as PresenceCommit);
    },
  } as unknown as Store;
  return { store, due, claims };
}

const silentLog = { info() {}, warn() {}, error() {}, debug() {}, child() { return silentLog; } };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DeadlineScheduler', () => {
  it('fires at the earliest due time, then re-arms for the next one', async () => {
    const clock = new ManualClock(0);
    const { store } = dueTimes(clock, [5000, 9000]);
    const fired: string[] = [];
    const scheduler = new DeadlineScheduler({ store, clock, log: silentLog, onCommits: (c) => fired.push(...c.map((x) => `${x.worker.sid}@${clock.now()}`)) });
    await scheduler.start();
    clock.advance(4999);
    await settle();
    expect(fired).toEqual([]);
    clock.advance(1);
    await settle();
    expect(fired).toEqual(['WK5000@5000']);
    clock.advance(4000);
    await settle();
    expect(fired).toEqual(['WK5000@5000', 'WK9000@9000']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('moves its timer earlier when a sooner deadline is committed, never later', async () => {
    const clock = new ManualClock(0);
    const { store, due } = dueTimes(clock, [10_000]);
    const fired: number[] = [];
    const scheduler = new DeadlineScheduler({ store, clock, log: silentLog, onCommits: () => fired.push(clock.now()) });
    await scheduler.start();
    due.push(3000);
    scheduler.consider(3000);
    scheduler.consider(20_000);
    clock.advance(3000);
    await settle();
    expect(fired).toEqual([3000]);
  });

  it('claims a burst in batches, yielding between them', async () => {
    const clock = new ManualClock(0);
    const { store, claims } = dueTimes(clock, Array.from({ length: 1200 }, () => 1000));
    let yields = 0;
    let fired = 0;
    const scheduler = new DeadlineScheduler({
      store, clock, log: silentLog, batchSize: 500,
      onCommits: (c) => (fired += c.length),
      yieldToLoop: async () => {
        yields++;
      },
    });
    await scheduler.start();
    clock.advance(1000);
    for (let i = 0; i < 10; i++) await settle();
    expect(fired).toBe(1200);
    expect(claims).toEqual([500, 500, 200]);
    expect(yields).toBe(2);
  });
});
