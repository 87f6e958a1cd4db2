import { describe, expect, it } from 'vitest';
import { ManualClock } from './clocks.js';
import { backoffDelayMs, StoreHealth } from './store-health.js';

function counter() {
  const lines: string[] = [];
  const log = { info: () => undefined, debug: () => undefined, warn: (_: object, m = '') => lines.push(`warn ${m}`), error: (_: object, m = '') => lines.push(`error ${m}`), child: () => log };
  return { log, lines };
}

describe('StoreHealth', () => {
  it('opens one streak for many failures and closes it once every retrying source has landed', () => {
    const clock = new ManualClock(0);
    const { log, lines } = counter();
    const health = new StoreHealth(clock, log);
    health.failed('connection ends', new Error('disk I/O error'));
    health.failed('deadlines', new Error('disk I/O error'));
    health.failed('connection ends', new Error('disk I/O error'));
    expect(health.failureReason).toBe('store failing since 1970-01-01T00:00:00.000Z (connection ends: disk I/O error)');
    clock.advance(1500);
    health.succeeded('deadlines');
    // Kept connection ends have not landed yet: still failing.
    expect(health.isFailing).toBe(true);
    health.succeeded('connection ends');
    expect(health.isFailing).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error the store failed/);
    expect(lines[1]).toBe('warn store writes land again');
  });

  it('clears a source that does not retry on any later success', () => {
    const { log } = counter();
    const health = new StoreHealth(new ManualClock(0), log);
    health.failed('connections opened', new Error('database is locked'), false);
    expect(health.isFailing).toBe(true);
    health.succeeded('node heartbeat');
    expect(health.failureReason).toBeNull();
  });

  it('doubles the wait from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs({ baseMs: 100, maxMs: 1000 }, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
