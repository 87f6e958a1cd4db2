/**
 * Which open agent sessions depend on which token: by expiry second (a cursor walks the seconds,
 * so a tick costs one bucket, never a loop over every socket) and by the API key that signed the
 * token (a revocation finds its sessions without a scan). A session's token can be replaced by a
 * fresher one for the same worker (the SDK's `updateToken`, seen on its next envelope request).
 */
import type { WorkerGrant } from '../../service/access-tokens.js';

export interface TokenHolder {
  grant: WorkerGrant;
}

export class TokenWatch<S extends TokenHolder> {
  private readonly byExpiry = new Map<number, Set<S>>();
  private readonly byKey = new Map<string, Set<S>>();
  /** Every second up to this one has been handed out by takeExpired. */
  private cursorS: number;

  constructor(nowMs: number) {
    this.cursorS = Math.floor(nowMs / 1000) - 1;
  }

  add(holder: S): void {
    // A token's exp is whole seconds; rounding up never closes a session early.
    const second = Math.max(Math.ceil(holder.grant.expiresAt / 1000), this.cursorS + 1);
    addTo(this.byExpiry, second, holder);
    addTo(this.byKey, holder.grant.apiKeySid, holder);
  }

  remove(holder: S): void {
    removeFrom(this.byExpiry, Math.max(Math.ceil(holder.grant.expiresAt / 1000), this.cursorS + 1), holder);
    removeFrom(this.byKey, holder.grant.apiKeySid, holder);
  }

  /** Moves a session onto a fresher token; its expiry and its key now come from that one. */
  refresh(holder: S, grant: WorkerGrant): void {
    this.remove(holder);
    holder.grant = grant;
    this.add(holder);
  }

  /** Sessions whose token expired at or before `nowMs`; they leave the watch. */
  takeExpired(nowMs: number): S[] {
    const expired: S[] = [];
    const nowS = Math.floor(nowMs / 1000);
    for (; this.cursorS < nowS; this.cursorS++) {
      const bucket = this.byExpiry.get(this.cursorS + 1);
      if (!bucket) continue;
      this.byExpiry.delete(this.cursorS + 1);
      for (const holder of bucket) {
        removeFrom(this.byKey, holder.grant.apiKeySid, holder);
        expired.push(holder);
      }
    }
    return expired;
  }

  /** The API keys open sessions depend on. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  holdersOf(apiKeySid: string): S[] {
    return [...(this.byKey.get(apiKeySid) ?? [])];
  }
}

function addTo<K, S>(map: Map<K, Set<S>>, key: K, holder: S): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(holder);
}

function removeFrom<K, S>(map: Map<K, Set<S>>, key: K, holder: S): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(holder);
  if (set.size === 0) map.delete(key);
}
