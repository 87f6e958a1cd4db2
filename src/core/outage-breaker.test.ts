/**
 * The mass-disconnect breaker's rules: table cases for the trip, then properties over random
 * workspaces where agents drop and come back, run through the presence machine the way the store
 * runs it (the breaker moves deadlines; the machine decides logouts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyBreakerPatch, decideBreaker, DEFAULT_BREAKER, fewestToTrip, heldDueAt, isOutage, releasedDueAt,
  type BreakerSettings, type OutageHold,
} from './outage-breaker.js';
import { initialPresence, transition, type ActivityRef, type LogoutPolicy, type PresenceState } from './presence.js';

const T0 = 1_700_000_000_000;
const AVAILABLE: ActivityRef = { sid: 'WA-available', available: true };
const OFFLINE: ActivityRef = { sid: 'WA-offline', available: false };
const POLICY: LogoutPolicy = { enabled: true, thresholdMs: 30_000, logoutActivity: OFFLINE };

const settingsArb: fc.Arbitrary<BreakerSettings> = fc.record({
  enabled: fc.boolean(),
  sharePercent: fc.integer({ min: 1, max: 100 }),
  minAgents: fc.integer({ min: 2, max: 40 }),
  windowMs: fc.integer({ min: 1, max: 20 }).map((s) => s * 1000),
  holdMs: fc.integer({ min: 1, max: 120 }).map((s) => s * 1000),
});

describe('the trip', () => {
  it.each([
    // connected now, recent drops, trips?
    [40, 11, true], // 11 of 51 = 21.6 % > 20 %
    [44, 11, false], // 11 of 55 = 20 %: not more than the share
    [30, 9, false], // 39 agents: below the minimum of 50
    [0, 50, true], // everyone at once (a restart of our own)
    [1000, 1, false], // one drop never trips
  ])('%i connected, %i just dropped: trips %s', (connected, recent, trips) => {
    expect(isOutage(DEFAULT_BREAKER, connected, recent)).toBe(trips);
    const decision = decideBreaker(DEFAULT_BREAKER, { at: T0, connectedWorkers: connected, recentDisconnections: recent, activeHold: null });
    expect(decision).toEqual(trips ? { kind: 'trip', untilAt: T0 + 300_000 } : { kind: 'clear' });
  });

  it('a running hold is joined, not restarted; once over it expires', () => {
    const hold: OutageHold = { sid: 'OH1', trippedAt: T0, untilAt: T0 + 300_000 };
    const view = { connectedWorkers: 0, recentDisconnections: 100, activeHold: hold };
    expect(decideBreaker(DEFAULT_BREAKER, { ...view, at: T0 + 1000 })).toEqual({ kind: 'holding', hold });
    expect(decideBreaker(DEFAULT_BREAKER, { ...view, at: T0 + 300_000 })).toEqual({ kind: 'expired', hold });
  });

  it('fewestToTrip is a true lower bound', () => {
    fc.assert(fc.property(settingsArb, fc.nat(200), fc.nat(200), (s, connected, recent) => {
      if (isOutage({ ...s, enabled: true }, connected, recent)) expect(recent).toBeGreaterThanOrEqual(fewestToTrip(s));
    }));
  });

  it('a single drop never trips, below the minimum it never trips, off it never trips', () => {
    fc.assert(fc.property(settingsArb, fc.nat(10_000), fc.nat(10_000), (s, connected, recent) => {
      const view = { at: T0, connectedWorkers: connected, recentDisconnections: recent, activeHold: null };
      const decision = decideBreaker(s, view);
      if (recent <= 1 || connected + recent < s.minAgents || !s.enabled) expect(decision).toEqual({ kind: 'clear' });
    }));
  });

  it('held and released due times are never earlier than the ordinary one', () => {
    fc.assert(fc.property(fc.integer({ min: T0, max: T0 + 1e9 }), fc.integer({ min: T0, max: T0 + 1e9 }), (ordinary, untilAt) => {
      const held = heldDueAt(ordinary, { untilAt });
      expect(held).toBeGreaterThanOrEqual(ordinary);
      expect(held).toBeGreaterThanOrEqual(untilAt);
      expect(releasedDueAt(ordinary)).toBe(ordinary);
    }));
  });
});

describe('settings', () => {
  it('accepts whole numbers in range and refuses the rest naming the parameter, changing nothing', () => {
    expect(applyBreakerPatch(DEFAULT_BREAKER, { sharePercent: 35, minAgents: 2, windowS: 3, holdS: 60, enabled: false }))
      .toEqual({ ok: true, value: { enabled: false, sharePercent: 35, minAgents: 2, windowMs: 3000, holdMs: 60_000 } });
    for (const [patch, param] of [
      [{ sharePercent: 0 }, 'OutageBreakerSharePercent'], [{ sharePercent: 101 }, 'OutageBreakerSharePercent'],
      [{ minAgents: 1 }, 'OutageBreakerMinAgents'], [{ windowS: 0.5 }, 'OutageBreakerWindowSeconds'],
      [{ holdS: 86_401 }, 'OutageBreakerHoldSeconds'], [{ enabled: false, holdS: -1 }, 'OutageBreakerHoldSeconds'],
    ] as const) {
      const result = applyBreakerPatch(DEFAULT_BREAKER, patch);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.refusal).toMatchObject({ code: 'invalid-parameter', field: param });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A workspace in miniature: the presence machine per worker, and the breaker moving deadlines the
// way the store does (trip: hold the recent drops; holding: join; deadlines fire at their due time).
// ---------------------------------------------------------------------------------------------

interface Op { readonly at: number; readonly worker: number; readonly kind: 'drop' | 'back' }

interface Outcome {
  /** `${worker}:${episode}` → effective time of the automatic logout. */
  readonly logouts: Map<string, number>;
  /** `${worker}:${episode}` of episodes that ended with the worker back. */
  readonly returned: Set<string>;
  readonly trips: number;
}

function simulate(workers: number, ops: readonly Op[], breaker: BreakerSettings | null): Outcome {
  const states: PresenceState[] = [];
  const episode: number[] = [];
  const detectedAt: (number | null)[] = [];
  for (let i = 0; i < workers; i++) {
    states.push(transition(initialPresence(AVAILABLE, T0), { type: 'connection-opened', at: T0, connection: { id: `c${i}-0`, exempt: false } }, POLICY).state);
    episode.push(0);
    detectedAt.push(null);
  }
  const logouts = new Map<string, number>();
  const returned = new Set<string>();
  let hold: OutageHold | null = null;
  let trips = 0;
  const fireUntil = (at: number): void => {
    for (;;) {
      const due = states.map((s, i) => ({ i, d: s.deadline })).filter((x) => x.d !== null && x.d.dueAt <= at).sort((a, b) => (a.d?.dueAt ?? 0) - (b.d?.dueAt ?? 0))[0];
      if (!due || !due.d) return;
      const next = transition(states[due.i] as PresenceState, { type: 'due-time-reached', at: due.d.dueAt, deadlineId: due.d.id }, POLICY);
      states[due.i] = next.state;
      for (const out of next.outputs) if (out.type === 'activity-changed') logouts.set(`${due.i}:${episode[due.i]}`, out.effectiveAt);
    }
  };
  const hold1 = (i: number, h: OutageHold): void => {
    const s = states[i] as PresenceState;
    if (s.deadline) states[i] = { ...s, deadline: { ...s.deadline, dueAt: heldDueAt(s.deadline.dueAt, h) } };
  };
  for (const op of ops) {
    fireUntil(op.at);
    const s = states[op.worker] as PresenceState;
    if (op.kind === 'back') {
      if (s.connections.length > 0) continue;
      if (s.deadline) returned.add(`${op.worker}:${episode[op.worker]}`);
      states[op.worker] = transition(s, { type: 'connection-opened', at: op.at, connection: { id: `c${op.worker}-${op.at}`, exempt: false } }, POLICY).state;
      detectedAt[op.worker] = null;
      continue;
    }
    const live = s.connections[0];
    if (!live) continue;
    episode[op.worker] = (episode[op.worker] ?? 0) + 1;
    states[op.worker] = transition(s, { type: 'connection-ended', at: op.at, connectionId: live.id, reason: 'heartbeat-lost', lastSeenAt: op.at }, POLICY).state;
    detectedAt[op.worker] = op.at;
    if (!breaker) continue;
    const recent = detectedAt.flatMap((d, i) => (d !== null && d >= op.at - breaker.windowMs ? [i] : []));
    const decision = decideBreaker(breaker, { at: op.at, connectedWorkers: states.filter((x) => x.connections.length > 0).length, recentDisconnections: recent.length, activeHold: hold });
    if (decision.kind === 'expired') hold = null;
    if (decision.kind === 'trip') {
      trips++;
      hold = { sid: `OH${trips}`, trippedAt: op.at, untilAt: decision.untilAt };
      for (const i of recent) hold1(i, hold);
    } else if (decision.kind === 'holding') hold1(op.worker, decision.hold);
  }
  fireUntil(Number.MAX_SAFE_INTEGER);
  return { logouts, returned, trips };
}

const opsArb = (workers: number): fc.Arbitrary<Op[]> =>
  fc.array(fc.record({ dt: fc.integer({ min: 0, max: 8000 }), worker: fc.integer({ min: 0, max: workers - 1 }), kind: fc.constantFrom<'drop' | 'back'>('drop', 'drop', 'back') }), { maxLength: 80 })
    .map((raw) => {
      let at = T0 + 1000;
      return raw.map((r) => ({ at: (at += r.dt), worker: r.worker, kind: r.kind }));
    });

describe('a workspace under the breaker (properties)', () => {
  const WORKERS = 12;
  const scenario = fc.tuple(settingsArb.map((s) => ({ ...s, minAgents: Math.min(s.minAgents, WORKERS) })), opsArb(WORKERS));

  it('never logs anyone out earlier than without it, nor anyone who would not have been', () => {
    fc.assert(fc.property(scenario, ([settings, ops]) => {
      const without = simulate(WORKERS, ops, null);
      const withBreaker = simulate(WORKERS, ops, settings);
      for (const [key, at] of withBreaker.logouts) {
        expect(without.logouts.has(key)).toBe(true);
        expect(at).toBeGreaterThanOrEqual(without.logouts.get(key) as number);
      }
      // A logout that did not happen is one whose worker came back in time (during the hold).
      for (const key of without.logouts.keys()) if (!withBreaker.logouts.has(key)) expect(withBreaker.returned.has(key)).toBe(true);
    }), { numRuns: 300 });
  });

  it('switched off, it is exactly the ordinary behaviour', () => {
    fc.assert(fc.property(scenario, ([settings, ops]) => {
      const off = simulate(WORKERS, ops, { ...settings, enabled: false });
      expect(off.trips).toBe(0);
      expect([...off.logouts]).toEqual([...simulate(WORKERS, ops, null).logouts]);
    }), { numRuns: 200 });
  });

  it('agents who come back during the hold are untouched; the rest are logged out at its end', () => {
    const ops: Op[] = [];
    for (let i = 0; i < 10; i++) ops.push({ at: T0 + 1000 + i * 100, worker: i, kind: 'drop' });
    ops.push({ at: T0 + 60_000, worker: 0, kind: 'back' });
    const settings = { enabled: true, sharePercent: 20, minAgents: 10, windowMs: 10_000, holdMs: 120_000 };
    const result = simulate(12, ops, settings);
    expect(result.trips).toBe(1);
    expect(result.logouts.has('0:1')).toBe(false);
    // Tripped at the third drop (3 of 12 > 20 %): held until 120 s after it.
    for (let i = 1; i < 10; i++) expect(result.logouts.get(`${i}:1`)).toBe(T0 + 1200 + 120_000);
    expect(simulate(12, [{ at: T0 + 1000, worker: 3, kind: 'drop' }], settings).logouts.get('3:1')).toBe(T0 + 31_000);
  });
});
