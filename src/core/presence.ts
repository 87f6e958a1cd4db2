/**
 * The presence machine: one worker's connections, disconnection and logout deadline.
 *
 * `transition(state, input, policy)` is pure. It returns the next state and what the shell must do
 * (`outputs`); the store persists both in one transaction, then the service schedules and
 * broadcasts. Time arrives as epoch milliseconds inside each input. The rules implemented here
 * are the "rules of presence" in docs/presence.md; rule numbers are cited where they decide.
 */

export type DisconnectReason = 'closed' | 'heartbeat-lost' | 'server-restart' | 'node-lost';

/**
 * Why an activity changed. `agent`, `admin` and `api` are people; `offline-threshold` (with
 * evidence), `reservation-timeout` and `routing` (a queue's reservation or assignment activity)
 * are automatic.
 */
export type ActivityCause = 'agent' | 'admin' | 'api' | 'offline-threshold' | 'reservation-timeout' | 'routing';

export interface ActivityRef {
  readonly sid: string;
  readonly available: boolean;
}

/** The logout settings in force, as the machine needs them. */
export interface LogoutPolicy {
  /** "Automatic status update": move disconnected workers to the logout activity. */
  readonly enabled: boolean;
  /** "Offline threshold", in milliseconds. */
  readonly thresholdMs: number;
  /** The logout activity; never available (enforced where the policy is written). */
  readonly logoutActivity: ActivityRef;
}

export interface ConnectionRef {
  readonly id: string;
  /** `setWorkerOfflineIfDisconnected=false`: the end of this session starts no logout. */
  readonly exempt: boolean;
}

/** The current disconnection: present from the end of the last connection until a reconnect. */
export interface Disconnection {
  /** The worker's last sign of life, server clock (rule 4). */
  readonly lastSeenAt: number;
  readonly reason: DisconnectReason;
  /** The connection whose end disconnected the worker was exempt from logout. */
  readonly exempt: boolean;
  /** A person changed the activity after the disconnection: automation keeps out (rule 7). */
  readonly overridden: boolean;
  /** The automatic logout of this disconnection happened; there is never a second one. */
  readonly loggedOut: boolean;
}

export interface Deadline {
  /** Grows per worker; a `due-time-reached` carrying another id is stale and does nothing. */
  readonly id: number;
  readonly dueAt: number;
}

export interface PresenceState {
  readonly activity: ActivityRef;
  /** When the current activity took effect (the worker's `date_status_changed`). */
  readonly activitySince: number;
  readonly connections: readonly ConnectionRef[];
  /** Latest sign of life among connections that have ended while others stayed (rule 1, 4). */
  readonly endedLastSeenAt: number | null;
  readonly disconnection: Disconnection | null;
  readonly deadline: Deadline | null;
  /** The id the next deadline takes. */
  readonly nextDeadlineId: number;
}

export interface LogoutEvidence {
  readonly reason: DisconnectReason;
  readonly lastSeenAt: number;
  readonly thresholdMs: number;
  readonly dueAt: number;
  /** Present when the mass-disconnect breaker held this logout (core/outage-breaker.ts). */
  readonly breaker?: BreakerEvidence;
}

/** The outage hold a logout was postponed by, as recorded in its evidence. */
export interface BreakerEvidence {
  readonly holdSid: string;
  readonly trippedAt: number;
  /** When the hold was to end, as set at the trip. */
  readonly untilAt: number;
  /** The due time the logout would have had without the breaker. */
  readonly ordinaryDueAt: number;
  /** Null while the hold runs; else when it ended, and how. */
  readonly endedAt: number | null;
  readonly endReason: 'expired' | 'ended-early' | 'breaker-off' | null;
}

export type PresenceInput =
  | { readonly type: 'connection-opened'; readonly at: number; readonly connection: ConnectionRef }
  | {
      readonly type: 'connection-ended';
      readonly at: number;
      readonly connectionId: string;
      readonly reason: DisconnectReason;
      readonly lastSeenAt: number;
    }
  | {
      readonly type: 'activity-set';
      readonly at: number;
      readonly activity: ActivityRef;
      readonly cause: ActivityCause;
      readonly actor: string;
      readonly rejectPendingReservations: boolean;
    }
  | { readonly type: 'due-time-reached'; readonly at: number; readonly deadlineId: number; readonly breaker?: BreakerEvidence }
  | { readonly type: 'policy-changed'; readonly at: number };

export type PresenceOutput =
  | { readonly type: 'deadline-set'; readonly deadline: Deadline }
  | { readonly type: 'deadline-cleared'; readonly deadlineId: number }
  | {
      readonly type: 'activity-changed';
      readonly from: ActivityRef;
      readonly to: ActivityRef;
      readonly cause: ActivityCause;
      readonly actor: string;
      readonly effectiveAt: number;
      readonly evidence: LogoutEvidence | null;
    }
  | { readonly type: 'offers-rescinded'; readonly cause: ActivityCause }
  | { readonly type: 'disconnected'; readonly lastSeenAt: number; readonly reason: DisconnectReason; readonly detectedAt: number }
  | { readonly type: 'reconnected'; readonly at: number; readonly deadlineCancelled: boolean };

export interface Transition {
  readonly state: PresenceState;
  readonly outputs: readonly PresenceOutput[];
}

/** The actor recorded for changes the service makes on its own. */
export const AUTOMATION_ACTOR = 'rollcall';

/** Causes that mean a person (agent, supervisor, API caller) made the change. */
export const PERSON_CAUSES: ReadonlySet<ActivityCause> = new Set(['agent', 'admin', 'api']);

export function initialPresence(activity: ActivityRef, activitySince: number): PresenceState {
  return { activity, activitySince, connections: [], endedLastSeenAt: null, disconnection: null, deadline: null, nextDeadlineId: 1 };
}

export function isConnected(state: PresenceState): boolean {
  return state.connections.length > 0;
}

export function transition(state: PresenceState, input: PresenceInput, policy: LogoutPolicy): Transition {
  switch (input.type) {
    case 'connection-opened':
      return connectionOpened(state, input.connection, input.at);
    case 'connection-ended':
      return connectionEnded(state, input, policy);
    case 'activity-set':
      return activitySet(state, input);
    case 'due-time-reached':
      return dueTimeReached(state, input.deadlineId, input.at, policy, input.breaker);
    case 'policy-changed':
      // Rule 9: a changed policy never makes a logout due in the past.
      return rearm(state, policy, input.at);
  }
}

function connectionOpened(state: PresenceState, connection: ConnectionRef, at: number): Transition {
  if (state.connections.some((c) => c.id === connection.id)) return unchanged(state);
  const connections = [...state.connections, connection];
  if (state.disconnection === null) return { state: { ...state, connections }, outputs: [] };
  // Rule 5: a reconnection cancels the pending logout with no visible change.
  const outputs: PresenceOutput[] = [];
  if (state.deadline) outputs.push({ type: 'deadline-cleared', deadlineId: state.deadline.id });
  outputs.push({ type: 'reconnected', at, deadlineCancelled: state.deadline !== null });
  return { state: { ...state, connections, disconnection: null, deadline: null, endedLastSeenAt: null }, outputs };
}

function connectionEnded(
  state: PresenceState,
  input: Extract<PresenceInput, { type: 'connection-ended' }>,
  policy: LogoutPolicy,
): Transition {
  const ending = state.connections.find((c) => c.id === input.connectionId);
  if (!ending) return unchanged(state);
  const connections = state.connections.filter((c) => c.id !== input.connectionId);
  const lastSeenAt = Math.max(state.endedLastSeenAt ?? input.lastSeenAt, input.lastSeenAt);
  // Rule 1: while another connection is alive, the worker is still connected.
  if (connections.length > 0) return { state: { ...state, connections, endedLastSeenAt: lastSeenAt }, outputs: [] };
  const disconnection: Disconnection = { lastSeenAt, reason: input.reason, exempt: ending.exempt, overridden: false, loggedOut: false };
  const disconnected: PresenceOutput = { type: 'disconnected', lastSeenAt, reason: input.reason, detectedAt: input.at };
  // Rule 4: due at last sign of life + threshold, even when that is already past (a restart).
  const next = rearm({ ...state, connections, endedLastSeenAt: lastSeenAt, disconnection }, policy, Number.NEGATIVE_INFINITY);
  return { state: next.state, outputs: [disconnected, ...next.outputs] };
}

function activitySet(state: PresenceState, input: Extract<PresenceInput, { type: 'activity-set' }>): Transition {
  const outputs: PresenceOutput[] = [];
  let next: PresenceState = { ...state, activity: input.activity, activitySince: input.at };
  outputs.push({
    type: 'activity-changed',
    from: state.activity,
    to: input.activity,
    cause: input.cause,
    actor: input.actor,
    effectiveAt: input.at,
    evidence: null,
  });
  if (input.rejectPendingReservations && !input.activity.available) outputs.push({ type: 'offers-rescinded', cause: input.cause });
  // Rule 7: a change a person makes after the disconnection is never overridden by automation.
  if (state.disconnection !== null && PERSON_CAUSES.has(input.cause)) {
    next = { ...next, disconnection: { ...state.disconnection, overridden: true }, deadline: null };
    if (state.deadline) outputs.push({ type: 'deadline-cleared', deadlineId: state.deadline.id });
  }
  return { state: next, outputs };
}

function dueTimeReached(state: PresenceState, deadlineId: number, at: number, policy: LogoutPolicy, breaker?: BreakerEvidence): Transition {
  const deadline = state.deadline;
  if (!deadline || deadline.id !== deadlineId || at < deadline.dueAt) return unchanged(state);
  const cleared: PresenceOutput = { type: 'deadline-cleared', deadlineId };
  const d = state.disconnection;
  if (!d || !isLogoutDue(state, d, policy)) return { state: { ...state, deadline: null }, outputs: [cleared] };
  // Rule 6: the move happens at the due time, with the evidence that justified it.
  const ordinary: LogoutEvidence = { reason: d.reason, lastSeenAt: d.lastSeenAt, thresholdMs: policy.thresholdMs, dueAt: deadline.dueAt };
  const evidence: LogoutEvidence = breaker ? { ...ordinary, breaker } : ordinary;
  return {
    state: {
      ...state,
      deadline: null,
      activity: policy.logoutActivity,
      activitySince: deadline.dueAt,
      disconnection: { ...d, loggedOut: true },
    },
    outputs: [
      cleared,
      {
        type: 'activity-changed',
        from: state.activity,
        to: policy.logoutActivity,
        cause: 'offline-threshold',
        actor: AUTOMATION_ACTOR,
        effectiveAt: deadline.dueAt,
        evidence,
      },
      { type: 'offers-rescinded', cause: 'offline-threshold' },
    ],
  };
}

/** Whether automation may move a disconnected worker to the logout activity (rules 6, 7). */
function isLogoutDue(state: PresenceState, d: Disconnection, policy: LogoutPolicy): boolean {
  return (
    policy.enabled &&
    state.connections.length === 0 &&
    !d.exempt &&
    !d.overridden &&
    !d.loggedOut &&
    state.activity.sid !== policy.logoutActivity.sid &&
    !policy.logoutActivity.available
  );
}

/**
 * Sets, moves or clears the deadline to match the policy (rules 4 and 9): due at
 * `lastSeenAt + threshold`, not before `notBefore` (now, for a policy change), none when no
 * logout could follow. An existing deadline is never postponed by the `notBefore` clamp: a
 * change that leaves the threshold alone leaves an overdue logout overdue.
 */
function rearm(state: PresenceState, policy: LogoutPolicy, notBefore: number): Transition {
  const d = state.disconnection;
  const current = state.deadline;
  if (!d || !isLogoutDue(state, d, policy)) {
    if (!current) return unchanged(state);
    return { state: { ...state, deadline: null }, outputs: [{ type: 'deadline-cleared', deadlineId: current.id }] };
  }
  // A change made while the loss was still unnoticed keeps its place: the log never runs backwards.
  const base = Math.max(d.lastSeenAt + policy.thresholdMs, state.activitySince);
  const dueAt = Math.max(base, Math.min(notBefore, current?.dueAt ?? notBefore));
  if (current && current.dueAt === dueAt) return unchanged(state);
  const deadline: Deadline = { id: state.nextDeadlineId, dueAt };
  const outputs: PresenceOutput[] = [];
  if (current) outputs.push({ type: 'deadline-cleared', deadlineId: current.id });
  outputs.push({ type: 'deadline-set', deadline });
  return { state: { ...state, deadline, nextDeadlineId: state.nextDeadlineId + 1 }, outputs };
}

function unchanged(state: PresenceState): Transition {
  return { state, outputs: [] };
}
