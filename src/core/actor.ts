/**
 * Who made a change. Stores and ports carry the actor as the string kept in the activity log's
 * `actor` column (a worker, API key or account SID, or a system name such as `rollcall` or
 * `assignment-callback`); this is the one place that string is read, so code branches on a type,
 * not on SID prefixes.
 */
import type { WorkspaceEvent } from './resources.js';
import { SID_PREFIXES } from './sids.js';

export type Actor =
  | { readonly type: 'worker' | 'api_key' | 'account'; readonly sid: string }
  /** Rollcall itself (automatic logouts, timeouts) or a callback answer: no credential. */
  | { readonly type: 'system'; readonly name: string };

export function parseActor(actor: string): Actor {
  if (actor.startsWith(SID_PREFIXES.worker)) return { type: 'worker', sid: actor };
  if (actor.startsWith(SID_PREFIXES.apiKey)) return { type: 'api_key', sid: actor };
  if (actor.startsWith(SID_PREFIXES.account)) return { type: 'account', sid: actor };
  return { type: 'system', name: actor };
}

/** An event's `actor_type` and `actor_sid` (null for the system). */
export function actorFields(actor: Actor): Pick<WorkspaceEvent, 'actorType' | 'actorSid'> {
  return actor.type === 'system' ? { actorType: 'system', actorSid: null } : { actorType: actor.type, actorSid: actor.sid };
}
