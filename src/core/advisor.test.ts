import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adviseWorker, replay, type AdvisorEntry, type AdvisorEpisode, type AdvisorWorker } from './advisor.js';
import { initialPresence, transition, type ActivityCause, type LogoutPolicy, type PresenceInput, type PresenceState } from './presence.js';

const OFF = 'WAoffline';
const AV = 'WAavailable';
const BR = 'WAbreak';
const S = 1000;
const at = (hhmmss: string): number => Date.parse(`2026-01-05T${hhmmss}Z`);
const entry = (time: string, from: string | null, to: string, cause = 'agent'): AdvisorEntry => ({ effectiveAt: at(time), fromActivitySid: from, toActivitySid: to, cause });
const episode = (lastSeen: string, ended: string | null, extra: Partial<AdvisorEpisode> = {}): AdvisorEpisode => ({
  lastSeenAt: at(lastSeen), detectedAt: at(lastSeen), endedAt: ended === null ? null : at(ended), exempt: false, loggedOut: false, ...extra,
});
const FRAME = { startAt: at('08:00:00'), endAt: at('18:00:00'), logoutActivitySid: OFF };

/**
 * A day recorded under a 30 s threshold: a 20 s blip (no logout), a 45 s drop (logged out at
 * 10:00:30, back to Available at 10:01:00), a 3 min drop (logged out at 12:00:30, back at
 * 12:03:10), and the agent gone at 17:00 without logging out (logged out at 17:00:30).
 */
const DAY: AdvisorWorker = {
  entries: [
    entry('07:00:00', null, OFF, 'created'), entry('08:00:00', OFF, AV),
    entry('10:00:30', AV, OFF, 'offline-threshold'), entry('10:01:00', OFF, AV),
    entry('12:00:30', AV, OFF, 'offline-threshold'), entry('12:03:10', OFF, AV),
    entry('17:00:30', AV, OFF, 'offline-threshold'),
  ],
  episodes: [
    episode('09:00:00', '09:00:20'),
    episode('10:00:00', '10:00:45', { loggedOut: true }),
    episode('12:00:00', '12:03:00', { loggedOut: true }),
    episode('17:00:00', null, { loggedOut: true }),
  ],
  goneAt: null,
};

describe('threshold advisor: a hand-worked day', () => {
  it.each([
    // threshold, logouts, false logouts, billed seconds (08:00–18:00 is 36 000 s)
    [15, 4, 3, 36_000 - 5 - 45 - 175 - 3585],
    [30, 3, 2, 36_000 - 30 - 160 - 3570],
    [60, 2, 1, 36_000 - 130 - 3540],
    [300, 1, 0, 36_000 - 3300],
    [600, 1, 0, 36_000 - 3000],
  ])('at %i s: %i logouts, %i false, %i s billed', (thresholdS, logouts, falseLogouts, activeS) => {
    const advice = adviseWorker(DAY, [thresholdS * S], FRAME);
    expect(advice.figures[0]).toEqual({ thresholdMs: thresholdS * S, logouts, falseLogouts, activeMs: activeS * S });
  });

  it('reproduces what happened at the threshold in force', () => {
    const advice = adviseWorker(DAY, [30 * S], FRAME);
    expect(advice.actual).toEqual({ logouts: 3, falseLogouts: 2, activeMs: advice.figures[0]?.activeMs });
    expect(advice.withoutLogoutsMs).toBe(36_000 * S);
    expect(replay(DAY, 30 * S, FRAME).map((l) => l.dueAt)).toEqual([at('10:00:30'), at('12:00:30'), at('17:00:30')]);
  });
});

describe('threshold advisor: the rules it replays', () => {
  const available: AdvisorEntry[] = [entry('08:00:00', OFF, AV)];
  const dues = (worker: Omit<AdvisorWorker, 'goneAt'>, thresholdS: number): string[] =>
    replay({ ...worker, goneAt: null }, thresholdS * S, FRAME).map((l) => new Date(l.dueAt).toISOString().slice(11, 19));

  it.each<[string, Omit<AdvisorWorker, 'goneAt'>, number, string[]]>([
    ['an exempt session is never logged out', { entries: available, episodes: [episode('09:00:00', null, { exempt: true })] }, 15, []],
    ['a person who changed the activity after detection keeps automation out', {
      entries: [...available, entry('09:00:40', AV, BR, 'admin')],
      episodes: [{ ...episode('09:00:00', '09:10:00'), detectedAt: at('09:00:21') }],
    }, 60, []],
    ['a change by a person after the due time comes too late', {
      entries: [...available, entry('09:00:40', AV, BR, 'admin')],
      episodes: [{ ...episode('09:00:00', '09:10:00'), detectedAt: at('09:00:21') }],
    }, 30, ['09:00:30']],
    ['a routing change does not keep automation out', {
      entries: [...available, entry('09:00:25', AV, BR, 'routing')],
      episodes: [episode('09:00:00', '09:10:00')],
    }, 30, ['09:00:30']],
    ['nobody already in the logout activity is logged out', { entries: [entry('08:00:00', null, OFF, 'created')], episodes: [episode('09:00:00', null)] }, 15, []],
    ['a change made while the loss was unnoticed dates the logout no earlier', {
      entries: [...available, entry('09:00:20', AV, BR, 'agent')],
      episodes: [{ ...episode('09:00:00', '09:10:00'), detectedAt: at('09:00:21') }],
    }, 15, ['09:00:20']],
    ['a reconnection at the due time comes after the logout', { entries: available, episodes: [episode('09:00:00', '09:00:30')] }, 30, ['09:00:30']],
    ['a second episode while still logged out changes nothing', {
      entries: available, episodes: [episode('09:00:00', '09:01:00'), episode('09:02:00', '09:03:00')],
    }, 15, ['09:00:15', '09:02:15']],
  ])('%s', (_name, worker, thresholdS, expected) => {
    expect(dues(worker, thresholdS)).toEqual(expected);
  });

  it('keeps a really logged-out agent logged out until their next change across a second episode', () => {
    // Logged out at 09:00:30, reconnected at 09:01 without changing activity, dropped again at 09:02.
    const worker: Omit<AdvisorWorker, 'goneAt'> = {
      entries: [...available, entry('09:00:30', AV, OFF, 'offline-threshold'), entry('09:30:00', OFF, AV)],
      episodes: [episode('09:00:00', '09:01:00', { loggedOut: true }), episode('09:02:00', '09:03:00')],
    };
    expect(dues(worker, 30)).toEqual(['09:00:30']);
    // At 120 s neither episode lasts long enough (back at 09:01 and 09:03).
    expect(dues(worker, 120)).toEqual([]);
  });
});

// ── the advisor at the threshold in force reproduces a history generated by the presence machine ──

const POLICY = (thresholdMs: number): LogoutPolicy => ({ enabled: true, thresholdMs, logoutActivity: { sid: OFF, available: false } });
const ACTIVITY = { [OFF]: { sid: OFF, available: false }, [AV]: { sid: AV, available: true }, [BR]: { sid: BR, available: false } };

type Step =
  | { kind: 'connect'; dtMs: number; exempt: boolean }
  | { kind: 'end'; dtMs: number; silentMs: number; pick: number }
  | { kind: 'set'; dtMs: number; to: keyof typeof ACTIVITY; cause: ActivityCause };

const dtArb = fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 400_000 }));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), dtMs: dtArb, exempt: fc.integer({ min: 0, max: 5 }).map((n) => n === 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('end' as const), dtMs: dtArb, silentMs: fc.integer({ min: 0, max: 60_000 }), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), dtMs: dtArb, to: fc.constantFrom(OFF, AV, BR), cause: fc.constantFrom<ActivityCause>('agent', 'admin', 'api', 'routing', 'reservation-timeout') }) },
);

/** Runs the steps through `transition`, firing deadlines at their due time as the scheduler does. */
function simulate(steps: readonly Step[], thresholdMs: number): { worker: AdvisorWorker; endAt: number; startAt: number } {
  const policy = POLICY(thresholdMs);
  const startAt = at('08:00:00');
  let state: PresenceState = initialPresence(ACTIVITY[AV], startAt);
  const entries: AdvisorEntry[] = [{ effectiveAt: startAt, fromActivitySid: null, toActivitySid: AV, cause: 'created' }];
  const episodes: { -readonly [K in keyof AdvisorEpisode]: AdvisorEpisode[K] }[] = [];
  let now = startAt;
  let nextId = 1;
  const openedAt = new Map<string, number>();
  const apply = (input: PresenceInput): void => {
    const result = transition(state, input, policy);
    for (const out of result.outputs) {
      if (out.type === 'activity-changed') {
        entries.push({ effectiveAt: out.effectiveAt, fromActivitySid: out.from.sid, toActivitySid: out.to.sid, cause: out.cause });
        const open = episodes.at(-1);
        if (out.cause === 'offline-threshold' && open && open.endedAt === null) open.loggedOut = true;
      } else if (out.type === 'disconnected') {
        episodes.push({ lastSeenAt: out.lastSeenAt, detectedAt: out.detectedAt, endedAt: null, exempt: result.state.disconnection?.exempt ?? false, loggedOut: false });
      } else if (out.type === 'reconnected') {
        const open = episodes.at(-1);
        if (open) open.endedAt = out.at;
      }
    }
    state = result.state;
  };
  const fireUntil = (t: number): void => {
    const d = state.deadline;
    if (d && d.dueAt <= t) apply({ type: 'due-time-reached', at: d.dueAt, deadlineId: d.id });
  };
  for (const step of steps) {
    now += step.dtMs;
    fireUntil(now);
    if (step.kind === 'connect') {
      const id = `CN${nextId++}`;
      openedAt.set(id, now);
      apply({ type: 'connection-opened', at: now, connection: { id, exempt: step.exempt } });
    }
    else if (step.kind === 'set') apply({ type: 'activity-set', at: now, activity: ACTIVITY[step.to], cause: step.cause, actor: 'x', rejectPendingReservations: false });
    else {
      const connection = state.connections[step.pick % Math.max(1, state.connections.length)];
      if (connection) apply({ type: 'connection-ended', at: now, connectionId: connection.id, reason: 'heartbeat-lost', lastSeenAt: Math.max(openedAt.get(connection.id) ?? now, now - step.silentMs) });
    }
  }
  const endAt = now + 900_000;
  fireUntil(endAt - 1);
  return { worker: { entries, episodes, goneAt: null }, startAt, endAt };
}

describe('threshold advisor: properties', () => {
  it('at the threshold in force, replays exactly the logouts that happened and the time that was billed', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), fc.constantFrom(15, 30, 60, 120), fc.nat(), (steps, thresholdS, cut) => {
      const { worker, startAt, endAt } = simulate(steps, thresholdS * S);
      const frame = { startAt: startAt + (cut % (endAt - startAt)), endAt, logoutActivitySid: OFF };
      const real = worker.entries.filter((e) => e.cause === 'offline-threshold').map((e) => e.effectiveAt);
      expect(replay(worker, thresholdS * S, frame).map((l) => l.dueAt)).toEqual(real);
      const advice = adviseWorker(worker, [thresholdS * S], frame);
      expect(advice.figures[0]?.activeMs).toBe(advice.actual.activeMs);
      expect(advice.figures[0]?.logouts).toBe(advice.actual.logouts);
      expect(advice.figures[0]?.falseLogouts).toBe(advice.actual.falseLogouts);
    }), { numRuns: 400 });
  });

  it('never bills more than the history without automatic logouts, and no threshold gives negative time', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), fc.constantFrom(15, 30, 60), (steps, thresholdS) => {
      const { worker, startAt, endAt } = simulate(steps, thresholdS * S);
      const advice = adviseWorker(worker, [15, 30, 60, 120, 300, 600].map((t) => t * S), { startAt, endAt, logoutActivitySid: OFF });
      for (const f of advice.figures) {
        expect(f.activeMs).toBeGreaterThanOrEqual(0);
        expect(f.activeMs).toBeLessThanOrEqual(advice.withoutLogoutsMs);
        expect(f.falseLogouts).toBeLessThanOrEqual(f.logouts);
      }
    }), { numRuns: 200 });
  });
});
