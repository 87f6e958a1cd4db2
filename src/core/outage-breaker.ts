/**
 * The mass-disconnect breaker: when a large share of a workspace's agents drop within a short
 * window, it is an outage (a site's network, a proxy, our own restart), not an exodus. Logouts
 * are then postponed for a hold instead of carried out at the offline threshold; agents who come
 * back in the meantime are untouched, and those still gone when the hold ends are logged out.
 *
 * Pure: the store counts the workspace's connected workers and its recent disconnections, asks
 * `decideBreaker`, and moves the deadline rows itself in the same transaction. The rules are in
 * docs/presence.md ("The mass-disconnect breaker") and decision 010.
 */
import { actorFields, parseActor } from './actor.js';
import { ok, refuse, type Result } from './errors.js';
import type { EventContext } from './events.js';
import type { WorkspaceEvent } from './resources.js';

/** A workspace's breaker settings (a Rollcall extension on the Workspace). */
export interface BreakerSettings {
  /** Off: the ordinary rules apply exactly, and no hold is ever started. */
  readonly enabled: boolean;
  /** Trips when more than this percentage of the agents connected before the wave dropped. */
  readonly sharePercent: number;
  /** Never trips unless at least this many agents were connected before the wave. */
  readonly minAgents: number;
  /** How far back disconnections count, by the time the server noticed them. */
  readonly windowMs: number;
  /** How long logouts are postponed from the trip. */
  readonly holdMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { enabled: true, sharePercent: 20, minAgents: 50, windowMs: 10_000, holdMs: 300_000 };

/** The limits a setting must keep; refusals name the REST parameter. */
export const BREAKER_LIMITS = {
  sharePercent: { min: 1, max: 100, param: 'OutageBreakerSharePercent' },
  minAgents: { min: 2, max: 1_000_000, param: 'OutageBreakerMinAgents' },
  windowS: { min: 1, max: 300, param: 'OutageBreakerWindowSeconds' },
  holdS: { min: 1, max: 86_400, param: 'OutageBreakerHoldSeconds' },
} as const;

export interface BreakerPatch {
  readonly enabled?: boolean;
  readonly sharePercent?: number;
  readonly minAgents?: number;
  /** Whole seconds. */
  readonly windowS?: number;
  /** Whole seconds. */
  readonly holdS?: number;
}

/** An active (or past) hold: from the trip until `untilAt`, unless an admin ends it first. */
export interface OutageHold {
  readonly sid: string;
  readonly trippedAt: number;
  readonly untilAt: number;
}

export type HoldEndReason = 'expired' | 'ended-early' | 'breaker-off';

/** A hold as stored and shown: its trip, who it holds now, and how it ended. */
export interface OutageHoldRecord extends OutageHold {
  readonly workspaceSid: string;
  /** Recent disconnections and connected workers counted at the trip. */
  readonly disconnections: number;
  readonly connectedWorkers: number;
  /** Workers whose logout it still postpones (deadline pending). */
  readonly heldWorkers: number;
  readonly endedAt: number | null;
  readonly endReason: HoldEndReason | null;
  /** The credential that ended it early; null when it expired or still runs. */
  readonly endedBy: string | null;
}

/** What the store counted for one workspace, at `at`. */
export interface BreakerView {
  readonly at: number;
  /** Workers of the workspace with at least one live connection now. */
  readonly connectedWorkers: number;
  /** Workers still disconnected whose disconnection was noticed within the window ending at `at`. */
  readonly recentDisconnections: number;
  /** The workspace's hold not yet ended, if any. */
  readonly activeHold: OutageHold | null;
}

export type BreakerDecision =
  /** Ordinary rules: nothing is postponed. */
  | { readonly kind: 'clear' }
  /** Start a hold until `untilAt`; the recent disconnections are held. */
  | { readonly kind: 'trip'; readonly untilAt: number }
  /** A hold is running: new disconnections join it (its end does not move). */
  | { readonly kind: 'holding'; readonly hold: OutageHold }
  /** The hold's time is over: end it, then the ordinary rules apply. */
  | { readonly kind: 'expired'; readonly hold: OutageHold };

/**
 * Whether this many recent disconnections among this many connected agents is an outage. The
 * population is the agents connected before the wave: those still connected plus those who just
 * dropped. A single drop never trips, whatever the settings.
 */
export function isOutage(settings: BreakerSettings, connectedWorkers: number, recentDisconnections: number): boolean {
  if (!settings.enabled || recentDisconnections < 2) return false;
  const population = connectedWorkers + recentDisconnections;
  return population >= settings.minAgents && recentDisconnections * 100 > settings.sharePercent * population;
}

/**
 * The fewest recent disconnections that could trip, whatever the connected count: below it the
 * store need not count connected workers at all.
 */
export function fewestToTrip(settings: BreakerSettings): number {
  return Math.max(2, Math.floor((settings.sharePercent * settings.minAgents) / 100) + 1);
}

export function decideBreaker(settings: BreakerSettings, view: BreakerView): BreakerDecision {
  const hold = view.activeHold;
  if (hold !== null && view.at >= hold.untilAt) return { kind: 'expired', hold };
  if (!settings.enabled) return { kind: 'clear' };
  if (hold !== null) return { kind: 'holding', hold };
  if (isOutage(settings, view.connectedWorkers, view.recentDisconnections)) return { kind: 'trip', untilAt: view.at + settings.holdMs };
  return { kind: 'clear' };
}

/** A held worker's due time: never before its ordinary one, and not before the hold ends. */
export function heldDueAt(ordinaryDueAt: number, hold: Pick<OutageHold, 'untilAt'>): number {
  return Math.max(ordinaryDueAt, hold.untilAt);
}

/**
 * A held worker's due time once the hold is ended early: its ordinary one again, so whoever is
 * already past drop + threshold is logged out at once (effective at that time) and whoever is
 * not keeps their ordinary time. Never earlier than without the breaker.
 */
export function releasedDueAt(ordinaryDueAt: number): number {
  return ordinaryDueAt;
}

/** The settings after `patch`, or a refusal naming the parameter at fault. */
export function applyBreakerPatch(current: BreakerSettings, patch: BreakerPatch): Result<BreakerSettings> {
  let next: BreakerSettings = current;
  if (patch.enabled !== undefined) next = { ...next, enabled: patch.enabled };
  const whole = (value: number | undefined, limit: { min: number; max: number; param: string }, unit: string): Result<number | undefined> => {
    if (value === undefined) return ok(undefined);
    if (!Number.isInteger(value) || value < limit.min || value > limit.max) {
      return refuse('invalid-parameter', `${limit.param} must be a whole number${unit} from ${limit.min} to ${limit.max}; ${value} is not`, limit.param);
    }
    return ok(value);
  };
  const share = whole(patch.sharePercent, BREAKER_LIMITS.sharePercent, '');
  if (!share.ok) return share;
  const min = whole(patch.minAgents, BREAKER_LIMITS.minAgents, '');
  if (!min.ok) return min;
  const windowS = whole(patch.windowS, BREAKER_LIMITS.windowS, ' of seconds');
  if (!windowS.ok) return windowS;
  const holdS = whole(patch.holdS, BREAKER_LIMITS.holdS, ' of seconds');
  if (!holdS.ok) return holdS;
  if (share.value !== undefined) next = { ...next, sharePercent: share.value };
  if (min.value !== undefined) next = { ...next, minAgents: min.value };
  if (windowS.value !== undefined) next = { ...next, windowMs: windowS.value * 1000 };
  if (holdS.value !== undefined) next = { ...next, holdMs: holdS.value * 1000 };
  return ok(next);
}

export function isEmptyBreakerPatch(patch: BreakerPatch): boolean {
  return Object.values(patch).every((v) => v === undefined);
}

/** `workspace.outage_hold.started` / `.ended` (Rollcall events; docs/protocol.md). Values are strings, as in Twilio's `event_data`. */
export function outageHoldEvent(ctx: EventContext, hold: OutageHoldRecord, type: 'workspace.outage_hold.started' | 'workspace.outage_hold.ended'): WorkspaceEvent {
  const ended = type === 'workspace.outage_hold.ended';
  return {
    sid: ctx.sid,
    accountSid: ctx.workspace.accountSid,
    workspaceSid: ctx.workspace.sid,
    eventType: type,
    resourceType: 'workspace',
    resourceSid: ctx.workspace.sid,
    ...actorFields(parseActor(ctx.actor)),
    description: ended
      ? `Outage hold ${hold.sid} of workspace ${ctx.workspace.friendlyName} ended (${hold.endReason ?? 'ended'}); ${hold.heldWorkers} workers still held`
      : `Outage hold ${hold.sid} of workspace ${ctx.workspace.friendlyName} started: ${hold.disconnections} of ${hold.disconnections + hold.connectedWorkers} agents dropped; ${hold.heldWorkers} logouts postponed`,
    data: {
      workspace_sid: ctx.workspace.sid,
      workspace_name: ctx.workspace.friendlyName,
      outage_hold_sid: hold.sid,
      tripped_at_ms: String(hold.trippedAt),
      until_ms: String(hold.untilAt),
      disconnections: String(hold.disconnections),
      connected_workers: String(hold.connectedWorkers),
      held_workers: String(hold.heldWorkers),
      ended_at_ms: hold.endedAt === null ? null : String(hold.endedAt),
      end_reason: hold.endReason,
    },
    cause: null,
    evidence: null,
    at: ctx.at,
  };
}
