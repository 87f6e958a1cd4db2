import { describe, expect, it } from 'vitest';
import type { PresenceCommit, Store } from './ports.js';
import { ManualClock } from './clocks.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import { silentLog } from '../../test/support/silent-log.js';

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

/** A log that keeps what it was told, to count lines per failure streak. */
function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const log = {
    info: (_: object, msg = '') => lines.push({ level: 'info', msg }),
    warn: (_: object, msg = '') => lines.push({ level: 'warn', msg }),
    error: (_: object, msg = '') => lines.push({ level: 'error', msg }),
    debug: () => undefined,
    child: () => log,
  };
  return { log, lines };
}

describe('DeadlineScheduler lifecycle and store failures', () => {
  it('stays stopped when a refresh that was in flight answers after the stop', async () => {
    const clock = new ManualClock(0);
    let answer!: (dueAt: number) => void;
    const store = {
      nextDueAt: () => new Promise<number>((resolve) => (answer = resolve)),
      claimDueDeadlines: async () => [],
    } as unknown as Store;
    const scheduler = new DeadlineScheduler({ store, clock, log: silentLog, onCommits: () => undefined });
    const inFlight = scheduler.refresh();
    scheduler.stop();
    answer(5000);
    await inFlight;
    expect(clock.pendingTimers()).toBe(0);
    scheduler.consider(1000);
    expect(clock.pendingTimers()).toBe(0);
    await expect(scheduler.start()).rejects.toThrow(/cannot be started again/);
  });

  it('catches a throw from nextDueAt after a fire, logs it once, and retries with backoff', async () => {
    const clock = new ManualClock(0);
    const { store, due } = dueTimes(clock, [1000, 5000]);
    const { log, lines } = recordingLog();
    let failNextDue = 0;
    const realNextDue = store.nextDueAt.bind(store);
    store.nextDueAt = async () => {
      if (failNextDue > 0) {
        failNextDue--;
        throw new Error('disk I/O error');
      }
      return realNextDue();
    };
    const fired: number[] = [];
    const scheduler = new DeadlineScheduler({ store, clock, log, onCommits: (c) => fired.push(...c.map(() => clock.now())), backoff: { baseMs: 100, maxMs: 400 } });
    await scheduler.start();
    failNextDue = 3;
    clock.advance(1000);
    await settle();
    expect(fired).toEqual([1000]);
    // Retries at +100, +200, +400 ms; the third answers again and arms the 5000 deadline.
    for (const step of [100, 200, 400]) {
      clock.advance(step);
      await settle();
    }
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'store writes land again')).toHaveLength(1);
    expect(due).toEqual([5000]);
    clock.advance(5000 - clock.now());
    await settle();
    expect(fired).toEqual([1000, 5000]);
  });

  it('claims deadlines that came due while claims failed, once the store answers', async () => {
    const clock = new ManualClock(0);
    const { store, claims } = dueTimes(clock, [1000, 1500, 2500]);
    const { log, lines } = recordingLog();
    let failing = true;
    const realClaim = store.claimDueDeadlines.bind(store);
    store.claimDueDeadlines = async (limit: number) => {
      if (failing) throw new Error('database is locked');
      return realClaim(limit);
    };
    const fired: string[] = [];
    const scheduler = new DeadlineScheduler({ store, clock, log, onCommits: (c) => fired.push(...c.map((x) => x.worker.sid)), backoff: { baseMs: 500, maxMs: 1000 } });
    await scheduler.start();
    for (let t = 0; t < 3000; t += 100) {
      clock.advance(100);
      await settle();
    }
    expect(fired).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    failing = false;
    clock.advance(1000);
    await settle();
    await settle();
    expect(fired).toEqual(['WK1000', 'WK1500', 'WK2500']);
    expect(claims).toEqual([3]);
  });
});
