/**
 * The presence machine against the rules of presence (docs/PRODUCT.md, rules 1-12): a table of
 * scenarios, each ending in the exact outputs and state the rules demand, then properties over
 * random input sequences with time that only moves forward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUTOMATION_ACTOR, PERSON_CAUSES, initialPresence, isConnected, transition } from './presence.js';
import type {
  ActivityCause,
  ActivityRef,
  Deadline,
  DisconnectReason,
  LogoutEvidence,
  LogoutPolicy,
  PresenceInput,
  PresenceOutput,
  PresenceState,
} from './presence.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
/** Epoch ms, `ms` after the start of every scenario. */
const t = (ms: number): number => T0 + ms;
const THRESHOLD = 60_000;

const AVAILABLE: ActivityRef = { sid: 'WA-available', available: true };
const BREAK: ActivityRef = { sid: 'WA-break', available: false };
const OFFLINE: ActivityRef = { sid: 'WA-offline', available: false };
const AWAY: ActivityRef = { sid: 'WA-away', available: false };
/** Not allowed as a logout activity where policies are written; the machine must still refuse it. */
const IDLE_AVAILABLE: ActivityRef = { sid: 'WA-idle', available: true };

const ON: LogoutPolicy = { enabled: true, thresholdMs: THRESHOLD, logoutActivity: OFFLINE };
const OFF: LogoutPolicy = { ...ON, enabled: false };

/** Time as data: a counter that only moves forward. */
class ManualClock {
  private current: number;
  constructor(start: number) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): number {
    return this.advanceTo(this.current + ms);
  }
  advanceTo(at: number): number {
    if (at < this.current) throw new Error(`ManualClock: time runs backwards (${at} < ${this.current})`);
    this.current = at;
    return at;
  }
}

// Inputs. A step may carry the policy in force from then on.
interface Step {
  readonly input: PresenceInput;
  readonly policy?: LogoutPolicy;
}

const open = (ms: number, id: string, exempt = false): Step => ({
  input: { type: 'connection-opened', at: t(ms), connection: { id, exempt } },
});
const end = (ms: number, id: string, reason: DisconnectReason = 'closed', lastSeenMs = ms): Step => ({
  input: { type: 'connection-ended', at: t(ms), connectionId: id, reason, lastSeenAt: t(lastSeenMs) },
});
const set = (
  ms: number,
  activity: ActivityRef,
  { cause = 'agent', reject = false }: { cause?: ActivityCause; reject?: boolean } = {},
): Step => ({
  input: { type: 'activity-set', at: t(ms), activity, cause, actor: 'WK-alice', rejectPendingReservations: reject },
});
const due = (ms: number, deadlineId: number, policy?: LogoutPolicy): Step => ({
  input: { type: 'due-time-reached', at: t(ms), deadlineId },
  ...(policy ? { policy } : {}),
});
const policyChanged = (ms: number, policy: LogoutPolicy): Step => ({ input: { type: 'policy-changed', at: t(ms) }, policy });

// Outputs.
const disconnected = (lastSeenMs: number, reason: DisconnectReason, detectedMs: number): PresenceOutput => ({
  type: 'disconnected',
  lastSeenAt: t(lastSeenMs),
  reason,
  detectedAt: t(detectedMs),
});
const deadlineSet = (id: number, dueMs: number): PresenceOutput => ({ type: 'deadline-set', deadline: { id, dueAt: t(dueMs) } });
const deadlineCleared = (deadlineId: number): PresenceOutput => ({ type: 'deadline-cleared', deadlineId });
const reconnected = (ms: number, deadlineCancelled: boolean): PresenceOutput => ({ type: 'reconnected', at: t(ms), deadlineCancelled });
const personChanged = (from: ActivityRef, to: ActivityRef, ms: number, cause: ActivityCause = 'agent'): PresenceOutput => ({
  type: 'activity-changed',
  from,
  to,
  cause,
  actor: 'WK-alice',
  effectiveAt: t(ms),
  evidence: null,
});
const offersRescinded = (cause: ActivityCause): PresenceOutput => ({ type: 'offers-rescinded', cause });
/** The three outputs of an automatic logout, after `deadline-cleared`. */
const loggedOut = (
  from: ActivityRef,
  { reason, lastSeenMs, dueMs, thresholdMs = THRESHOLD }: { reason: DisconnectReason; lastSeenMs: number; dueMs: number; thresholdMs?: number },
): PresenceOutput[] => [
  {
    type: 'activity-changed',
    from,
    to: OFFLINE,
    cause: 'offline-threshold',
    actor: AUTOMATION_ACTOR,
    effectiveAt: t(dueMs),
    evidence: { reason, lastSeenAt: t(lastSeenMs), thresholdMs, dueAt: t(dueMs) },
  },
  offersRescinded('offline-threshold'),
];

function isLogout(o: PresenceOutput): o is Extract<PresenceOutput, { type: 'activity-changed' }> & { evidence: LogoutEvidence } {
  return o.type === 'activity-changed' && o.cause === 'offline-threshold';
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  /** The worker's activity at T0 (default Available). */
  readonly start?: ActivityRef;
  /** The policy at T0 (default ON: automatic update, 60 s, Offline). */
  readonly policy?: LogoutPolicy;
  readonly steps: readonly Step[];
  /** Exactly what the last step must output. */
  readonly lastOutputs: readonly PresenceOutput[];
  readonly deadline: Deadline | null;
  readonly activity: ActivityRef;
  readonly activitySince?: number;
  readonly connected: boolean;
  /** Whether firing every deadline ever issued, years later, still logs the worker out. */
  readonly logoutStillToCome: boolean;
}

const cases: readonly Case[] = [
  // Rule 4: from the last sign of life.
  {
    name: 'one connection closing starts a deadline at last seen + threshold',
    steps: [open(0, 'a'), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000), deadlineSet(1, 65_000)],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a lost heartbeat counts from the last frame, not from when the loss was noticed',
    steps: [open(0, 'a'), end(30_000, 'a', 'heartbeat-lost', 9_000)],
    lastOutputs: [disconnected(9_000, 'heartbeat-lost', 30_000), deadlineSet(1, 69_000)],
    deadline: { id: 1, dueAt: t(69_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a loss noticed after a restart keeps a due time that is already past',
    steps: [open(0, 'a'), end(600_000, 'a', 'server-restart', 10_000)],
    lastOutputs: [disconnected(10_000, 'server-restart', 600_000), deadlineSet(1, 70_000)],
    deadline: { id: 1, dueAt: t(70_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: "a person's change made before the loss was noticed bounds the due time from below",
    steps: [open(0, 'a'), set(70_000, BREAK, { cause: 'admin' }), end(90_000, 'a', 'heartbeat-lost', 2_000)],
    lastOutputs: [disconnected(2_000, 'heartbeat-lost', 90_000), deadlineSet(1, 70_000)],
    deadline: { id: 1, dueAt: t(70_000) },
    activity: BREAK,
    connected: false,
    logoutStillToCome: true,
  },
  // Rule 1: connected while at least one connection is alive.
  {
    name: 'closing one of two connections changes nothing',
    steps: [open(0, 'a'), open(1_000, 'b'), end(5_000, 'a')],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'the last of two connections disconnects, counting from the latest sign of life of either',
    steps: [open(0, 'a'), open(1_000, 'b'), end(10_000, 'a'), end(40_000, 'b', 'heartbeat-lost', 3_000)],
    lastOutputs: [disconnected(10_000, 'heartbeat-lost', 40_000), deadlineSet(1, 70_000)],
    deadline: { id: 1, dueAt: t(70_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'the last of two connections disconnects from its own last sign of life when that is the latest',
    steps: [open(0, 'a'), open(1_000, 'b'), end(10_000, 'a'), end(40_000, 'b', 'heartbeat-lost', 25_000)],
    lastOutputs: [disconnected(25_000, 'heartbeat-lost', 40_000), deadlineSet(1, 85_000)],
    deadline: { id: 1, dueAt: t(85_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  // Rule 5: a reconnection cancels, with no visible change.
  {
    name: 'reconnecting before the due time cancels the deadline without changing the activity',
    steps: [open(0, 'a'), end(5_000, 'a'), open(6_000, 'b')],
    lastOutputs: [deadlineCleared(1), reconnected(6_000, true)],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'a cancelled deadline reaching its time later does nothing',
    steps: [open(0, 'a'), end(5_000, 'a'), open(6_000, 'b'), due(65_000, 1)],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    // The earlier episode's last sign of life (50 s) is forgotten at the reconnect; the shell
    // reports the dead node's last stored heartbeat (45 s) as given.
    name: 'a reconnection starts a new episode that forgets the last sign of life of the one before',
    steps: [open(0, 'a'), end(50_000, 'a'), open(51_000, 'b'), end(200_000, 'b', 'node-lost', 45_000)],
    lastOutputs: [disconnected(45_000, 'node-lost', 200_000), deadlineSet(2, 105_000)],
    deadline: { id: 2, dueAt: t(105_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  // Rule 6: at the due time.
  {
    name: 'reaching the due time logs out, effective at the due time, with its evidence, and rescinds offers',
    steps: [open(0, 'a'), end(30_000, 'a', 'heartbeat-lost', 9_000), due(69_500, 1)],
    lastOutputs: [deadlineCleared(1), ...loggedOut(AVAILABLE, { reason: 'heartbeat-lost', lastSeenMs: 9_000, dueMs: 69_000 })],
    deadline: null,
    activity: OFFLINE,
    activitySince: t(69_000),
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a worker on an unavailable activity is logged out too',
    start: BREAK,
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1)],
    lastOutputs: [deadlineCleared(1), ...loggedOut(BREAK, { reason: 'closed', lastSeenMs: 5_000, dueMs: 65_000 })],
    deadline: null,
    activity: OFFLINE,
    activitySince: t(65_000),
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'the same deadline reaching its time twice logs out once',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1), due(66_000, 1)],
    lastOutputs: [],
    deadline: null,
    activity: OFFLINE,
    activitySince: t(65_000),
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a due time reported early changes nothing',
    steps: [open(0, 'a'), end(5_000, 'a'), due(64_999, 1)],
    lastOutputs: [],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a stale deadline id changes nothing',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, { ...ON, thresholdMs: 120_000 }), due(65_000, 1)],
    lastOutputs: [],
    deadline: { id: 2, dueAt: t(125_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a deadline id never issued changes nothing',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 2)],
    lastOutputs: [],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a due time reached under a disabled policy only clears the deadline',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1, OFF)],
    lastOutputs: [deadlineCleared(1)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a reconnection after the logout reports no cancelled deadline and keeps the logout activity',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1), open(70_000, 'b')],
    lastOutputs: [reconnected(70_000, false)],
    deadline: null,
    activity: OFFLINE,
    connected: true,
    logoutStillToCome: false,
  },
  // Rule 9: settings apply to pending disconnections.
  {
    name: 'turning automatic update off cancels a pending deadline',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, OFF)],
    lastOutputs: [deadlineCleared(1)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'with automatic update off a disconnection starts no deadline',
    policy: OFF,
    steps: [open(0, 'a'), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'turning automatic update on after last seen + threshold makes the logout due now',
    policy: OFF,
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(200_000, ON)],
    lastOutputs: [deadlineSet(1, 200_000)],
    deadline: { id: 1, dueAt: t(200_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'turning automatic update on before last seen + threshold keeps that due time',
    policy: OFF,
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(20_000, ON)],
    lastOutputs: [deadlineSet(1, 65_000)],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a longer threshold recomputes the due time from the last sign of life',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, { ...ON, thresholdMs: 120_000 })],
    lastOutputs: [deadlineCleared(1), deadlineSet(2, 125_000)],
    deadline: { id: 2, dueAt: t(125_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a shorter threshold whose due time has passed makes the logout due now, not in the past',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(30_000, { ...ON, thresholdMs: 10_000 })],
    lastOutputs: [deadlineCleared(1), deadlineSet(2, 30_000)],
    deadline: { id: 2, dueAt: t(30_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'the logout after a threshold change carries the new threshold as evidence',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, { ...ON, thresholdMs: 120_000 }), due(125_000, 2)],
    lastOutputs: [deadlineCleared(2), ...loggedOut(AVAILABLE, { reason: 'closed', lastSeenMs: 5_000, dueMs: 125_000, thresholdMs: 120_000 })],
    deadline: null,
    activity: OFFLINE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a policy change that leaves the due time as it was keeps the pending deadline and its id',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, { ...ON, logoutActivity: AWAY })],
    lastOutputs: [],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a policy change that leaves the threshold alone does not postpone an overdue logout',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(90_000, ON)],
    lastOutputs: [],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'an automatic change while disconnected (reservation timeout) does not hold off the logout',
    steps: [open(0, 'a'), end(5_000, 'a'), set(16_000, BREAK, { cause: 'reservation-timeout' })],
    lastOutputs: [{ type: 'activity-changed', from: AVAILABLE, to: BREAK, cause: 'reservation-timeout', actor: 'WK-alice', effectiveAt: t(16_000), evidence: null }],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: BREAK,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'after the logout, a new logout activity does not bring a second automatic change',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1), policyChanged(70_000, { ...ON, logoutActivity: AWAY })],
    lastOutputs: [],
    deadline: null,
    activity: OFFLINE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a policy change for a worker who is connected sets no deadline',
    steps: [open(0, 'a'), policyChanged(1_000, { ...ON, thresholdMs: 1_000 })],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'a policy change for a worker who never connected sets no deadline',
    steps: [policyChanged(1_000, { ...ON, thresholdMs: 1_000 })],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  // Rule 7: a person's change after the disconnection is never overridden.
  {
    name: 'a person changing the activity while disconnected clears the deadline',
    steps: [open(0, 'a'), end(5_000, 'a'), set(10_000, BREAK)],
    lastOutputs: [personChanged(AVAILABLE, BREAK, 10_000), deadlineCleared(1)],
    deadline: null,
    activity: BREAK,
    activitySince: t(10_000),
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a person change while disconnected is not re-armed by a later policy change',
    steps: [open(0, 'a'), end(5_000, 'a'), set(10_000, BREAK, { cause: 'admin' }), policyChanged(20_000, { ...ON, thresholdMs: 120_000 })],
    lastOutputs: [],
    deadline: null,
    activity: BREAK,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a person change while disconnected is not re-armed by turning automatic update off and on',
    steps: [open(0, 'a'), end(5_000, 'a'), set(10_000, AVAILABLE, { cause: 'api' }), policyChanged(20_000, OFF), policyChanged(30_000, ON)],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a person bringing a logged-out worker back while disconnected is not logged out again',
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1), set(70_000, AVAILABLE, { cause: 'admin' }), policyChanged(80_000, ON)],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  // Rule 6: not already in the logout activity.
  {
    name: 'a worker already in the logout activity gets no deadline',
    start: OFFLINE,
    steps: [open(0, 'a'), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000)],
    deadline: null,
    activity: OFFLINE,
    connected: false,
    logoutStillToCome: false,
  },
  // setWorkerOfflineIfDisconnected=false.
  {
    name: 'an exempt session ending starts no deadline',
    steps: [open(0, 'a', true), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'an exempt session is not given a deadline by turning automatic update on',
    policy: OFF,
    steps: [open(0, 'a', true), end(5_000, 'a'), policyChanged(10_000, ON)],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'an exempt session closing first, then a normal one, starts a deadline',
    steps: [open(0, 'a', true), open(1_000, 'b'), end(5_000, 'a'), end(8_000, 'b')],
    lastOutputs: [disconnected(8_000, 'closed', 8_000), deadlineSet(1, 68_000)],
    deadline: { id: 1, dueAt: t(68_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'a normal session closing first, then an exempt one, starts no deadline',
    steps: [open(0, 'a'), open(1_000, 'b', true), end(5_000, 'a'), end(8_000, 'b')],
    lastOutputs: [disconnected(8_000, 'closed', 8_000)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  // Rule 7: never into an available activity.
  {
    name: 'a logout activity that is available never gets a deadline',
    start: BREAK,
    policy: { ...ON, logoutActivity: IDLE_AVAILABLE },
    steps: [open(0, 'a'), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000)],
    deadline: null,
    activity: BREAK,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'switching to an available logout activity cancels a pending deadline',
    steps: [open(0, 'a'), end(5_000, 'a'), policyChanged(10_000, { ...ON, logoutActivity: IDLE_AVAILABLE })],
    lastOutputs: [deadlineCleared(1)],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'a deadline reached under an available logout activity only clears the deadline',
    start: BREAK,
    steps: [open(0, 'a'), end(5_000, 'a'), due(65_000, 1, { ...ON, logoutActivity: IDLE_AVAILABLE })],
    lastOutputs: [deadlineCleared(1)],
    deadline: null,
    activity: BREAK,
    connected: false,
    logoutStillToCome: false,
  },
  // Input hygiene.
  {
    name: 'opening a connection id that is already open changes nothing',
    steps: [open(0, 'a'), open(1_000, 'a', true)],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'a duplicate open neither adds a connection nor changes its exemption',
    steps: [open(0, 'a'), open(1_000, 'a', true), end(5_000, 'a')],
    lastOutputs: [disconnected(5_000, 'closed', 5_000), deadlineSet(1, 65_000)],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  {
    name: 'ending a connection that is not open changes nothing',
    steps: [open(0, 'a'), end(5_000, 'zzz')],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'ending a connection of a worker with none open changes nothing',
    steps: [end(5_000, 'a')],
    lastOutputs: [],
    deadline: null,
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: false,
  },
  {
    name: 'ending a connection twice disconnects once',
    steps: [open(0, 'a'), end(5_000, 'a'), end(6_000, 'a', 'heartbeat-lost', 5_500)],
    lastOutputs: [],
    deadline: { id: 1, dueAt: t(65_000) },
    activity: AVAILABLE,
    connected: false,
    logoutStillToCome: true,
  },
  // Activity changes by a person.
  {
    name: 'a person moving to an unavailable activity with rejectPendingReservations rescinds offers',
    steps: [open(0, 'a'), set(1_000, BREAK, { reject: true })],
    lastOutputs: [personChanged(AVAILABLE, BREAK, 1_000), offersRescinded('agent')],
    deadline: null,
    activity: BREAK,
    activitySince: t(1_000),
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'a person moving to an available activity with rejectPendingReservations rescinds nothing',
    start: BREAK,
    steps: [open(0, 'a'), set(1_000, AVAILABLE, { reject: true })],
    lastOutputs: [personChanged(BREAK, AVAILABLE, 1_000)],
    deadline: null,
    activity: AVAILABLE,
    connected: true,
    logoutStillToCome: false,
  },
  {
    name: 'a person moving to an unavailable activity without rejectPendingReservations rescinds nothing',
    steps: [open(0, 'a'), set(1_000, BREAK, { cause: 'api' })],
    lastOutputs: [personChanged(AVAILABLE, BREAK, 1_000, 'api')],
    deadline: null,
    activity: BREAK,
    connected: true,
    logoutStillToCome: false,
  },
];

function play(c: Case): { state: PresenceState; policy: LogoutPolicy; outputs: readonly PresenceOutput[] } {
  const clock = new ManualClock(T0);
  let state = initialPresence(c.start ?? AVAILABLE, T0);
  let policy = c.policy ?? ON;
  let outputs: readonly PresenceOutput[] = [];
  for (const step of c.steps) {
    clock.advanceTo(step.input.at);
    policy = step.policy ?? policy;
    ({ state, outputs } = transition(state, step.input, policy));
  }
  return { state, policy, outputs };
}

describe('presence transitions', () => {
  it.each(cases)('$name', (c) => {
    const { state, policy, outputs } = play(c);
    expect(outputs).toEqual(c.lastOutputs);
    expect(state.deadline).toEqual(c.deadline);
    expect(state.activity).toEqual(c.activity);
    if (c.activitySince !== undefined) expect(state.activitySince).toBe(c.activitySince);
    expect(isConnected(state)).toBe(c.connected);

    // Years later, every deadline ever issued reaches its time: at most one logs out, and only
    // if one is still to come.
    let logouts = 0;
    let later = state;
    for (let id = 1; id <= state.nextDeadlineId; id++) {
      const fired = transition(later, { type: 'due-time-reached', at: t(365 * 24 * 3_600_000), deadlineId: id }, policy);
      logouts += fired.outputs.filter(isLogout).length;
      later = fired.state;
    }
    expect(logouts).toBe(c.logoutStillToCome ? 1 : 0);
  });

  it('an ignored input returns the very same state', () => {
    const state = transition(initialPresence(AVAILABLE, T0), open(0, 'a').input, ON).state;
    expect(transition(state, open(1_000, 'a').input, ON).state).toBe(state);
    expect(transition(state, end(1_000, 'b').input, ON).state).toBe(state);
    expect(transition(state, due(1_000, 1).input, ON).state).toBe(state);
  });

  it('a new worker starts disconnected without a disconnection, deadline or connections', () => {
    const state = initialPresence(BREAK, t(42));
    expect(state).toEqual({
      activity: BREAK,
      activitySince: t(42),
      connections: [],
      endedLastSeenAt: null,
      disconnection: null,
      deadline: null,
      nextDeadlineId: 1,
    });
    expect(isConnected(state)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random sequences
// ---------------------------------------------------------------------------------------------

/** What the test generates; turned into a concrete input against the current state and clock. */
type Command =
  | { readonly k: 'open'; readonly id: string; readonly exempt: boolean; readonly dt: number }
  | { readonly k: 'end'; readonly id: string; readonly alive: number | null; readonly reason: DisconnectReason; readonly lag: number; readonly dt: number }
  | { readonly k: 'set'; readonly activity: ActivityRef; readonly cause: ActivityCause; readonly reject: boolean; readonly dt: number }
  | { readonly k: 'due'; readonly mode: 'current' | 'early' | 'stale'; readonly pick: number; readonly dt: number }
  | { readonly k: 'policy'; readonly policy: LogoutPolicy; readonly dt: number };

const dtArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 2_000, max: 400_000 }));
const idArb = fc.constantFrom('c1', 'c2', 'c3');
const activityArb = fc.constantFrom(AVAILABLE, AVAILABLE, BREAK, OFFLINE, AWAY);
const policyArb: fc.Arbitrary<LogoutPolicy> = fc.record({
  enabled: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  thresholdMs: fc.constantFrom(0, 1_000, 30_000, 60_000, 300_000),
  logoutActivity: fc.oneof(
    { arbitrary: fc.constant(OFFLINE), weight: 6 },
    { arbitrary: fc.constant(AWAY), weight: 2 },
    { arbitrary: fc.constant(IDLE_AVAILABLE), weight: 1 },
  ),
});
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('open' as const), id: idArb, exempt: fc.integer({ min: 0, max: 7 }).map((n) => n === 0), dt: dtArb }), weight: 4 },
  {
    arbitrary: fc.record({
      k: fc.constant('end' as const),
      id: idArb,
      alive: fc.option(fc.nat(), { freq: 5 }),
      reason: fc.constantFrom<DisconnectReason>('closed', 'heartbeat-lost', 'server-restart', 'node-lost'),
      lag: fc.integer({ min: 0, max: 600_000 }),
      dt: dtArb,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('set' as const),
      activity: activityArb,
      cause: fc.constantFrom<ActivityCause>('agent', 'admin', 'api'),
      reject: fc.boolean(),
      dt: dtArb,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('due' as const),
      mode: fc.constantFrom('current' as const, 'current' as const, 'early' as const, 'stale' as const),
      pick: fc.nat(),
      dt: dtArb,
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ k: fc.constant('policy' as const), policy: policyArb, dt: dtArb }), weight: 1 },
);
const scenarioArb = fc.record({ start: activityArb, commands: fc.array(commandArb, { minLength: 8, maxLength: 50, size: 'max' }) });

const NUM_RUNS = 400;

/** An independent account of the rules, kept beside the machine's own state. */
interface Model {
  /** Connections alive now, by id. */
  readonly alive: ReadonlyMap<string, { readonly exempt: boolean; readonly openedAt: number }>;
  /** Latest last-seen of the connections that ended since the worker was last reconnected. */
  readonly endedMaxLastSeen: number | null;
  /** The current disconnection episode, if the worker was connected and no longer is. */
  readonly episode: { readonly lastSeenAt: number; readonly exempt: boolean; readonly overridden: boolean; readonly loggedOut: boolean } | null;
  /** Deadlines that have already logged the worker out. */
  readonly fired: ReadonlySet<number>;
}

interface StepContext {
  readonly before: PresenceState;
  readonly after: PresenceState;
  readonly input: PresenceInput;
  /** The policy in force for this input. */
  readonly policy: LogoutPolicy;
  readonly outputs: readonly PresenceOutput[];
  readonly modelBefore: Model;
  readonly model: Model;
}

type Check = (step: StepContext) => void;

function toInput(cmd: Command, state: PresenceState, model: Model, clock: ManualClock): PresenceInput {
  switch (cmd.k) {
    case 'open':
      return { type: 'connection-opened', at: clock.advance(cmd.dt), connection: { id: cmd.id, exempt: cmd.exempt } };
    case 'end': {
      const at = clock.advance(cmd.dt);
      // Mostly one of the alive connections; sometimes any id, alive or not.
      const aliveIds = [...model.alive.keys()];
      const id = cmd.alive !== null && aliveIds.length > 0 ? (aliveIds[cmd.alive % aliveIds.length] ?? cmd.id) : cmd.id;
      const lag = cmd.reason === 'closed' ? 0 : cmd.reason === 'heartbeat-lost' ? cmd.lag % 25_000 : cmd.lag;
      const openedAt = model.alive.get(id)?.openedAt ?? at;
      return { type: 'connection-ended', at, connectionId: id, reason: cmd.reason, lastSeenAt: Math.max(openedAt, at - lag) };
    }
    case 'set':
      return {
        type: 'activity-set',
        at: clock.advance(cmd.dt),
        activity: cmd.activity,
        cause: cmd.cause,
        actor: 'WK-alice',
        rejectPendingReservations: cmd.reject,
      };
    case 'due': {
      const deadline = state.deadline;
      if (deadline && cmd.mode === 'current') {
        return { type: 'due-time-reached', at: clock.advanceTo(Math.max(clock.now() + cmd.dt, deadline.dueAt)), deadlineId: deadline.id };
      }
      if (deadline && cmd.mode === 'early' && deadline.dueAt > clock.now()) {
        return { type: 'due-time-reached', at: clock.advance(cmd.dt % (deadline.dueAt - clock.now())), deadlineId: deadline.id };
      }
      // Any id issued so far, or the next one (not yet issued), at any later time.
      return { type: 'due-time-reached', at: clock.advance(cmd.dt), deadlineId: 1 + (cmd.pick % state.nextDeadlineId) };
    }
    case 'policy':
      return { type: 'policy-changed', at: clock.advance(cmd.dt) };
  }
}

function nextModel(model: Model, input: PresenceInput, before: PresenceState, outputs: readonly PresenceOutput[]): Model {
  switch (input.type) {
    case 'connection-opened': {
      if (model.alive.has(input.connection.id)) return model;
      const alive = new Map(model.alive).set(input.connection.id, { exempt: input.connection.exempt, openedAt: input.at });
      if (model.episode) return { ...model, alive, episode: null, endedMaxLastSeen: null };
      return { ...model, alive };
    }
    case 'connection-ended': {
      const ending = model.alive.get(input.connectionId);
      if (!ending) return model;
      const alive = new Map(model.alive);
      alive.delete(input.connectionId);
      const endedMaxLastSeen = Math.max(model.endedMaxLastSeen ?? input.lastSeenAt, input.lastSeenAt);
      if (alive.size > 0) return { ...model, alive, endedMaxLastSeen };
      return { ...model, alive, endedMaxLastSeen, episode: { lastSeenAt: endedMaxLastSeen, exempt: ending.exempt, overridden: false, loggedOut: false } };
    }
    case 'activity-set':
      // Only a person's change holds automation off (rule 7); an automatic one does not.
      return model.episode && PERSON_CAUSES.has(input.cause) ? { ...model, episode: { ...model.episode, overridden: true } } : model;
    case 'due-time-reached':
      if (before.deadline && outputs.some(isLogout)) {
        // One automatic logout per disconnection, never a second.
        const episode = model.episode ? { ...model.episode, loggedOut: true } : null;
        return { ...model, episode, fired: new Set(model.fired).add(before.deadline.id) };
      }
      return model;
    case 'policy-changed':
      return model;
  }
}

/** The rules' own answer to "could automation still log this worker out?" (rules 6, 7, 9). */
function logoutCouldFollow(model: Model, state: PresenceState, policy: LogoutPolicy): boolean {
  const e = model.episode;
  return (
    e !== null &&
    !e.exempt &&
    !e.overridden &&
    !e.loggedOut &&
    policy.enabled &&
    !policy.logoutActivity.available &&
    state.activity.sid !== policy.logoutActivity.sid
  );
}

function simulate(start: ActivityRef, commands: readonly Command[], check: Check): { state: PresenceState; policy: LogoutPolicy; clock: ManualClock; model: Model } {
  const clock = new ManualClock(T0);
  let state = initialPresence(start, T0);
  let policy = ON;
  let model: Model = { alive: new Map(), endedMaxLastSeen: null, episode: null, fired: new Set() };
  for (const cmd of commands) {
    const input = toInput(cmd, state, model, clock);
    if (cmd.k === 'policy') policy = cmd.policy;
    const result = transition(state, input, policy);
    const after = nextModel(model, input, state, result.outputs);
    check({ before: state, after: result.state, input, policy, outputs: result.outputs, modelBefore: model, model: after });
    state = result.state;
    model = after;
  }
  return { state, policy, clock, model };
}

const invariants: readonly { readonly name: string; readonly check: Check }[] = [
  {
    name: 'never logs a worker out while any of its connections is alive',
    check: ({ outputs, modelBefore, model, before, after }) => {
      if (!outputs.some(isLogout)) return;
      expect(modelBefore.alive.size).toBe(0);
      expect(model.alive.size).toBe(0);
      expect(isConnected(before)).toBe(false);
      expect(isConnected(after)).toBe(false);
    },
  },
  {
    name: 'a logout is never early: effective at or after last seen + threshold, and not before it is processed',
    check: ({ outputs, input, policy, modelBefore, before }) => {
      for (const o of outputs.filter(isLogout)) {
        expect(o.evidence).not.toBeNull();
        expect(o.effectiveAt).toBeGreaterThanOrEqual(o.evidence.lastSeenAt + o.evidence.thresholdMs);
        expect(input.at).toBeGreaterThanOrEqual(o.effectiveAt);
        expect(o.evidence.dueAt).toBe(o.effectiveAt);
        expect(o.evidence.lastSeenAt).toBe(modelBefore.episode?.lastSeenAt);
        expect(o.evidence.thresholdMs).toBe(policy.thresholdMs);
        // The activity log never runs backwards.
        expect(o.effectiveAt).toBeGreaterThanOrEqual(before.activitySince);
      }
    },
  },
  {
    name: 'keeps no deadline while the worker is connected, however many connections it has',
    check: ({ after, model }) => {
      expect(isConnected(after)).toBe(model.alive.size > 0);
      expect(after.connections.map((c) => c.id).sort()).toEqual([...model.alive.keys()].sort());
      if (model.alive.size > 0) expect(after.deadline).toBeNull();
    },
  },
  {
    name: 'a connection opening leaves no deadline and changes no activity',
    check: ({ input, before, after, outputs }) => {
      if (input.type !== 'connection-opened') return;
      expect(after.deadline).toBeNull();
      expect(after.activity).toBe(before.activity);
      expect(after.activitySince).toBe(before.activitySince);
      expect(outputs.filter((o) => o.type === 'activity-changed' || o.type === 'offers-rescinded')).toEqual([]);
    },
  },
  {
    name: 'automation never moves a worker into an available activity',
    check: ({ input, outputs }) => {
      for (const o of outputs) {
        if (o.type !== 'activity-changed') continue;
        if (input.type === 'activity-set') {
          expect(o.to).toBe(input.activity);
          expect(o.evidence).toBeNull();
        } else {
          expect(o.cause).toBe('offline-threshold');
          expect(o.actor).toBe(AUTOMATION_ACTOR);
          expect(o.to.available).toBe(false);
        }
      }
    },
  },
  {
    name: 'fires at most one logout per deadline; stale, unknown or early deadlines change nothing',
    check: ({ input, before, after, outputs, modelBefore }) => {
      if (input.type !== 'due-time-reached') return;
      const valid = before.deadline !== null && before.deadline.id === input.deadlineId && input.at >= before.deadline.dueAt;
      if (!valid || modelBefore.fired.has(input.deadlineId)) {
        expect(outputs).toEqual([]);
        expect(after).toBe(before);
        return;
      }
      expect(outputs.filter(isLogout).length).toBeLessThanOrEqual(1);
      expect(after.deadline).toBeNull();
      expect(outputs[0]).toEqual(deadlineCleared(input.deadlineId));
    },
  },
  {
    name: "never overrides a person's change made after the disconnection",
    check: ({ outputs, modelBefore }) => {
      if (outputs.some(isLogout)) expect(modelBefore.episode?.overridden).toBe(false);
    },
  },
  {
    name: 'a disconnection counts from the latest sign of life of any connection ended since the last reconnect',
    check: ({ outputs, model }) => {
      for (const o of outputs) {
        if (o.type !== 'disconnected') continue;
        expect(model.episode).not.toBeNull();
        expect(o.lastSeenAt).toBe(model.episode?.lastSeenAt);
      }
    },
  },
  {
    name: 'due times are last seen + threshold, never before the current activity, and never before now on a policy change',
    check: ({ input, before, after, outputs, policy, model }) => {
      for (const o of outputs) {
        if (o.type !== 'deadline-set') continue;
        const lastSeenAt = model.episode?.lastSeenAt ?? Number.NaN;
        // On a policy change the due time is not before now, unless that would postpone a deadline
        // that was already due: then it stays where it was.
        const floor = input.type === 'policy-changed' ? Math.min(input.at, before.deadline?.dueAt ?? input.at) : Number.NEGATIVE_INFINITY;
        expect(input.type === 'connection-ended' || input.type === 'policy-changed').toBe(true);
        expect(o.deadline.dueAt).toBe(Math.max(lastSeenAt + policy.thresholdMs, floor, before.activitySince));
        expect(o.deadline.id).toBe(before.nextDeadlineId);
        expect(after.deadline).toEqual(o.deadline);
      }
    },
  },
  {
    name: 'a pending deadline exists exactly when a logout could still follow',
    check: ({ after, policy, model }) => {
      expect(after.deadline !== null).toBe(logoutCouldFollow(model, after, policy));
      if (after.deadline && model.episode) expect(after.deadline.dueAt).toBeGreaterThanOrEqual(model.episode.lastSeenAt + policy.thresholdMs);
    },
  },
  {
    name: 'deadline ids only grow, and a cleared deadline is the one that was pending',
    check: ({ before, after, outputs }) => {
      expect(after.nextDeadlineId).toBeGreaterThanOrEqual(before.nextDeadlineId);
      if (after.deadline) expect(after.deadline.id).toBeLessThan(after.nextDeadlineId);
      for (const o of outputs) if (o.type === 'deadline-cleared') expect(o.deadlineId).toBe(before.deadline?.id);
    },
  },
];

describe('presence over random input sequences', () => {
  it.each(invariants)('$name', ({ check }) => {
    fc.assert(
      fc.property(scenarioArb, ({ start, commands }) => {
        simulate(start, commands, check);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a pending deadline, once its time comes, logs the worker out at its due time', () => {
    fc.assert(
      fc.property(scenarioArb, ({ start, commands }) => {
        const { state, policy, clock } = simulate(start, commands, () => undefined);
        if (!state.deadline) return;
        const { dueAt, id } = state.deadline;
        const fired = transition(state, { type: 'due-time-reached', at: clock.advanceTo(Math.max(clock.now(), dueAt)), deadlineId: id }, policy);
        expect(fired.outputs.filter(isLogout).map((o) => o.effectiveAt)).toEqual([dueAt]);
        expect(fired.state.activity).toBe(policy.logoutActivity);
        expect(fired.outputs).toContainEqual(offersRescinded('offline-threshold'));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the generated sequences reach logouts, reconnects, ignored fires, overrides and exemptions', () => {
    // Guards the properties above against passing vacuously if the generator drifts: each kind of
    // event happens in a fair share of the runs.
    const runsWith = { logout: 0, cancellingReconnect: 0, earlyFire: 0, staleFire: 0, refire: 0, override: 0, exempt: 0, twoConnections: 0, policyRearm: 0, pastDue: 0 };
    for (const { start, commands } of fc.sample(scenarioArb, { numRuns: NUM_RUNS, seed: 20_240_601 })) {
      const seen = new Set<keyof typeof runsWith>();
      simulate(start, commands, ({ input, outputs, before, modelBefore, model }) => {
        if (outputs.some(isLogout)) seen.add('logout');
        if (outputs.some((o) => o.type === 'reconnected' && o.deadlineCancelled)) seen.add('cancellingReconnect');
        if (input.type === 'due-time-reached' && before.deadline?.id === input.deadlineId && input.at < before.deadline.dueAt) seen.add('earlyFire');
        if (input.type === 'due-time-reached' && before.deadline && before.deadline.id !== input.deadlineId) seen.add('staleFire');
        if (input.type === 'due-time-reached' && modelBefore.fired.has(input.deadlineId)) seen.add('refire');
        if (model.episode?.overridden) seen.add('override');
        if (model.episode?.exempt) seen.add('exempt');
        if (model.alive.size > 1) seen.add('twoConnections');
        if (input.type === 'policy-changed' && outputs.some((o) => o.type === 'deadline-set')) seen.add('policyRearm');
        if (outputs.some((o) => o.type === 'deadline-set' && o.deadline.dueAt < input.at)) seen.add('pastDue');
      });
      for (const kind of seen) runsWith[kind]++;
    }
    for (const runs of Object.values(runsWith)) expect(runs).toBeGreaterThan(NUM_RUNS / 20);
  });
});
