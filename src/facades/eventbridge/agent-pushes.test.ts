import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Worker } from '../../core/resources.js';
import type { BusMessage, Clock } from '../../service/ports.js';
import { AgentPushes, HELD_PUSH_GRACE_MS } from './agent-pushes.js';
import type { AgentSession } from './agent-session.js';

function worker(sid: string, version: number): Worker {
  return {
    sid, workspaceSid: 'WS1', accountSid: 'AC1', friendlyName: sid, attributes: '{}', activitySid: 'WA1', activityName: 'Idle',
    available: true, createdAt: 0, updatedAt: 0, statusChangedAt: 0, version,
  };
}

function change(sid: string, version: number): BusMessage {
  const w = worker(sid, version);
  return { worker: w, event: { eventType: 'worker.activity.update' } as BusMessage['event'] & object };
}

/** A session that records what it was sent (the versions of the worker pushes). */
function session(workerSid: string): { session: AgentSession; seen: string[] } {
  const seen: string[] = [];
  const fake = { grant: { workerSid }, send: (_type: string, payload: { version: string }) => seen.push(payload.version) };
  return { session: fake as unknown as AgentSession, seen };
}

/** Pushes of worker changes read no time; the clock is never asked to schedule. */
const clock: Clock = { now: () => 0, at: () => { throw new Error('not used'); } };

describe('AgentPushes.hold', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('keeps a held worker\'s pushes until the grace after the answer, then sends them in order', () => {
    const pushes = new AgentPushes(clock);
    const alice = session('WKalice');
    pushes.add(alice.session);
    const release = pushes.hold('WKalice');
    pushes.onBus(change('WKalice', 1));
    pushes.onBus(change('WKalice', 2));
    vi.advanceTimersByTime(1_000);
    expect(alice.seen).toEqual([]); // not answered yet
    release();
    vi.advanceTimersByTime(HELD_PUSH_GRACE_MS - 1);
    expect(alice.seen).toEqual([]); // a turn after the answer is too soon for the SDK
    vi.advanceTimersByTime(1);
    expect(alice.seen).toEqual(['1', '2']);
    pushes.onBus(change('WKalice', 3));
    expect(alice.seen).toEqual(['1', '2', '3']); // no longer held
  });

  it('waits for the last of two holds, and does not hold other workers', () => {
    const pushes = new AgentPushes(clock);
    const alice = session('WKalice');
    const bob = session('WKbob');
    pushes.add(alice.session);
    pushes.add(bob.session);
    const first = pushes.hold('WKalice');
    const second = pushes.hold('WKalice');
    pushes.onBus(change('WKalice', 1));
    pushes.onBus(change('WKbob', 7));
    expect(bob.seen).toEqual(['7']);
    first();
    first(); // a second call (the answer's 'finish' and 'close') counts once
    vi.advanceTimersByTime(HELD_PUSH_GRACE_MS * 4);
    expect(alice.seen).toEqual([]);
    second();
    vi.advanceTimersByTime(HELD_PUSH_GRACE_MS);
    expect(alice.seen).toEqual(['1']);
  });

  it('a push waits only for the requests in flight when it was sent, and keeps its place behind those held', () => {
    const pushes = new AgentPushes(clock);
    const alice = session('WKalice');
    pushes.add(alice.session);
    const accept = pushes.hold('WKalice');
    pushes.onBus(change('WKalice', 1)); // caused by the accept
    accept(); // its answer is written
    const transfer = pushes.hold('WKalice'); // a later request
    pushes.onBus(change('WKalice', 2)); // in flight: the transfer's
    vi.advanceTimersByTime(HELD_PUSH_GRACE_MS);
    expect(alice.seen).toEqual(['1']); // the later request does not hold the accept's push
    transfer();
    pushes.onBus(change('WKalice', 3)); // set off by the transfer on a later turn
    expect(alice.seen).toEqual(['1']);
    vi.advanceTimersByTime(HELD_PUSH_GRACE_MS);
    expect(alice.seen).toEqual(['1', '2', '3']);
  });
});
