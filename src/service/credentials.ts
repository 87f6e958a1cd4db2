/**
 * REST credentials: HTTP Basic with the Account SID and auth token, or an API key SID and its
 * secret (what the `twilio` library sends for `twilio(SK…, secret, {accountSid})`). API keys can
 * be created, listed, renamed and revoked; a revoked key authenticates nothing, neither REST
 * calls nor access tokens signed with it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkFriendlyName } from '../core/activities.js';
import { ok, refuse, type Result } from '../core/errors.js';
import type { ApiKey } from '../core/resources.js';
import { isSid } from '../core/sids.js';
import type { AdminStore } from './ports.js';

/** Who is calling: the account, and the credential used (the account itself or one of its keys). */
export interface Principal {
  readonly accountSid: string;
  /** The Account SID or API key SID: the actor recorded for changes. */
  readonly credentialSid: string;
  readonly kind: 'account' | 'api_key';
}

/** Compares secrets in time independent of where they differ (and of their lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The principal a username and password stand for, or null. Callers answer every null the
 * same way, so nobody learns whether the SID exists, was revoked, or the secret was wrong.
 */
export async function authenticate(store: Pick<AdminStore, 'findAccount' | 'findApiKey'>, username: string, password: string): Promise<Principal | null> {
  if (isSid('account', username)) {
    const account = await store.findAccount(username);
    if (!account || !sameSecret(password, account.authToken)) return null;
    return { accountSid: account.sid, credentialSid: account.sid, kind: 'account' };
  }
  if (isSid('apiKey', username)) {
    const key = await store.findApiKey(username);
    if (!key || key.revokedAt !== null || !sameSecret(password, key.secret)) return null;
    return { accountSid: key.accountSid, credentialSid: key.sid, kind: 'api_key' };
  }
  return null;
}

/**
 * API key management. Only the account's own credentials (Account SID and auth token) may
 * manage keys, as on Twilio where standard keys cannot: a leaked key can neither mint more
 * keys nor revoke the others.
 */
export class ApiKeys {
  constructor(private readonly store: AdminStore) {}

  async create(principal: Principal, friendlyName: string): Promise<Result<ApiKey>> {
    const allowed = this.mayManage(principal);
    if (!allowed.ok) return allowed;
    if (friendlyName !== '') {
      const name = checkFriendlyName(friendlyName);
      if (!name.ok) return name;
    }
    return ok(await this.store.createApiKey(principal.accountSid, friendlyName));
  }

  /** The account's active keys, oldest first. */
  async list(principal: Principal): Promise<Result<ApiKey[]>> {
    const allowed = this.mayManage(principal);
    if (!allowed.ok) return allowed;
    return ok((await this.store.listApiKeys(principal.accountSid)).filter((k) => k.revokedAt === null));
  }

  async find(principal: Principal, sid: string): Promise<Result<ApiKey>> {
    const keys = await this.list(principal);
    if (!keys.ok) return keys;
    const key = keys.value.find((k) => k.sid === sid);
    return key ? ok(key) : refuse('not-found', `API key ${sid} was not found`);
  }

  async rename(principal: Principal, sid: string, friendlyName: string): Promise<Result<ApiKey>> {
    const allowed = this.mayManage(principal);
    if (!allowed.ok) return allowed;
    const name = checkFriendlyName(friendlyName);
    if (!name.ok) return name;
    return this.store.renameApiKey(principal.accountSid, sid, friendlyName);
  }

  async revoke(principal: Principal, sid: string): Promise<Result<ApiKey>> {
    const allowed = this.mayManage(principal);
    if (!allowed.ok) return allowed;
    return this.store.revokeApiKey(principal.accountSid, sid);
  }

  private mayManage(principal: Principal): Result<void> {
    return principal.kind === 'account'
      ? ok(undefined)
      : refuse('forbidden', 'API keys are managed with the Account SID and auth token; an API key cannot manage keys');
  }
}
