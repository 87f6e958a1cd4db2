import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ManualClock } from '../../service/clocks.js';
import { AgentSession } from './agent-session.js';

function sessionAt(clock: ManualClock): AgentSession {
  // The close time reads no socket state.
  const socket = { readyState: 3, OPEN: 1 } as unknown as WebSocket;
  return new AgentSession('CN1', socket, { workerSid: 'WK1' } as AgentSession['grant'], clock, () => undefined);
}

describe('AgentSession close time', () => {
  it('is when the peer EOF was read, not when the close is handled', () => {
    const clock = new ManualClock();
    const session = sessionAt(clock);
    clock.advance(1_000);
    const eofAt = clock.now();
    session.peerGone();
    clock.advance(600); // `ws` reports the close a phase (or, in a burst, hundreds of ms) later
    expect(session.closedAt()).toBe(eofAt);
  });

  it('keeps the first EOF if it is reported twice', () => {
    const clock = new ManualClock();
    const session = sessionAt(clock);
    session.peerGone();
    const first = clock.now();
    clock.advance(50);
    session.peerGone();
    expect(session.closedAt()).toBe(first);
  });

  it('is the time of the close itself when no EOF was read (a reset, or a close by this server)', () => {
    const clock = new ManualClock();
    const session = sessionAt(clock);
    clock.advance(2_000);
    expect(session.closedAt()).toBe(clock.now());
  });
});
