import { describe, expect, it } from 'vitest';
import { ManualClock } from './clocks.js';
import { ConnectionEndQueue } from './connection-end-queue.js';
import type { ConnectionEnding } from './ports.js';
import { StoreHealth } from './store-health.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function recordingLog() {
  const errors: string[] = [];
  const warnings: string[] = [];
  const log = {
    info: () => undefined,
    warn: (_: object, msg = '') => warnings.push(msg),
    error: (_: object, msg = '') => errors.push(msg),
    debug: () => undefined,
    child: () => log,
  };
  return { log, errors, warnings };
}

/** A store port that fails while `failing` is set and records what landed, in order. */
function flakyWriter() {
  const landed: string[] = [];
  const state = { failing: false, attempts: 0 };
  const write = async (endings: readonly ConnectionEnding[]): Promise<void> => {
    state.attempts++;
    if (state.failing) throw new Error('disk I/O error');
    landed.push(...endings.map((e) => e.connectionId));
  };
  return { landed, state, write };
}

const ending = (id: string): ConnectionEnding => ({ connectionId: id, reason: 'closed', lastSeenAt: 0 });
const opened = Promise.resolve(true);

describe('ConnectionEndQueue', () => {
  it('keeps a failed batch, retries it with backoff, and lands every end once, in order, when the store is back', async () => {
    const clock = new ManualClock(0);
    const { log, errors, warnings } = recordingLog();
    const health = new StoreHealth(clock, log);
    const writer = flakyWriter();
    const queue = new ConnectionEndQueue({ write: writer.write, clock, health, log, batchSize: 2, backoff: { baseMs: 100, maxMs: 400 } });
    writer.state.failing = true;
    for (const id of ['c1', 'c2', 'c3']) queue.push(ending(id), opened);
    expect(queue.isBacklogged).toBe(false);
    await settle();
    expect(writer.state.attempts).toBe(1);
    expect(health.isFailing).toBe(true);
    expect(queue.isBacklogged).toBe(true);
    expect(health.failureReason).toMatch(/^store failing since .* \(connection ends: disk I\/O error\)$/);
    // Backoff doubles: 100, 200, 400, 400 ms.
    for (const [step, attempts] of [[99, 1], [1, 2], [200, 3], [400, 4], [400, 5]] as const) {
      clock.advance(step);
      await settle();
      expect(writer.state.attempts).toBe(attempts);
    }
    queue.push(ending('c4'), opened);
    expect(queue.size).toBe(4);
    writer.state.failing = false;
    clock.advance(400);
    await settle();
    expect(writer.landed).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(queue.size).toBe(0);
    expect(queue.isBacklogged).toBe(false);
    expect(health.isFailing).toBe(false);
    // One line when the streak opened, one when it closed; none per retry.
    expect(errors).toHaveLength(1);
    expect(warnings).toEqual(['store writes land again']);
    expect(await queue.drained()).toBe(true);
  });

  it('waits for a connection being opened, and skips one whose opening never committed', async () => {
    const clock = new ManualClock(0);
    const { log } = recordingLog();
    const writer = flakyWriter();
    const queue = new ConnectionEndQueue({ write: writer.write, clock, health: new StoreHealth(clock, log), log });
    let commitOpening!: (ok: boolean) => void;
    queue.push(ending('slow'), new Promise<boolean>((resolve) => (commitOpening = resolve)));
    queue.push(ending('refused'), Promise.resolve(false));
    await settle();
    expect(writer.state.attempts).toBe(0);
    commitOpening(true);
    await queue.drained();
    expect(writer.landed).toEqual(['slow']);
  });

  it('stops retrying when stopped, and says how many ends it did not land', async () => {
    const clock = new ManualClock(0);
    const { log, errors } = recordingLog();
    const writer = flakyWriter();
    writer.state.failing = true;
    const queue = new ConnectionEndQueue({ write: writer.write, clock, health: new StoreHealth(clock, log), log });
    queue.push(ending('c1'), opened);
    await settle();
    const drained = queue.drained();
    expect(queue.stop()).toBe(1);
    expect(await drained).toBe(false);
    clock.advance(10_000);
    await settle();
    expect(writer.state.attempts).toBe(1);
    expect(errors.at(-1)).toMatch(/not yet committed at stop/);
    expect(() => queue.push(ending('c2'), opened)).toThrow(/after the queue was stopped/);
  });
});
