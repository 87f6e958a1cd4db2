/**
 * Twilio access tokens (HS256 JWTs) for the agent channel: `iss` is the API key SID and the
 * signing secret is that key's secret, `sub` the account, `grants.task_router` the workspace,
 * worker and role. The same shape `twilio.jwt.AccessToken` produces, so tokens from either work.
 */
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { refuse, ok, type Result } from '../core/errors.js';
import { isSid } from '../core/sids.js';
import type { AdminStore } from './ports.js';

export interface TaskRouterGrant {
  readonly accountSid: string;
  readonly apiKeySid: string;
  readonly workspaceSid: string;
  /** Null for a workspace token (the SDK's `Workspace` class): it reads the workspace, it is no agent. */
  readonly workerSid: string | null;
  readonly role: 'worker' | 'admin';
  readonly identity: string;
  /** Expiry, epoch ms. */
  readonly expiresAt: number;
}

/** A grant that names a worker: what the agent channel needs. */
export type WorkerGrant = TaskRouterGrant & { readonly workerSid: string };

export const isWorkerGrant = (grant: TaskRouterGrant): grant is WorkerGrant => grant.workerSid !== null;

/** Who acts, for the activity log: the worker, or the key that signed a workspace token. */
export const grantActor = (grant: TaskRouterGrant): string => grant.workerSid ?? grant.apiKeySid;

export interface IssueTokenInput {
  readonly accountSid: string;
  readonly apiKeySid: string;
  readonly apiKeySecret: string;
  readonly workspaceSid: string;
  /** Omitted for a workspace token. */
  readonly workerSid?: string;
  readonly identity: string;
  readonly role?: 'worker' | 'admin';
  readonly ttlS: number;
  readonly nowMs: number;
}

export async function issueAccessToken(input: IssueTokenInput): Promise<string> {
  const iat = Math.floor(input.nowMs / 1000);
  return new SignJWT({
    jti: `${input.apiKeySid}-${iat}`,
    grants: {
      identity: input.identity,
      task_router: { workspace_sid: input.workspaceSid, ...(input.workerSid ? { worker_sid: input.workerSid } : {}), role: input.role ?? 'worker' },
    },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' })
    .setIssuer(input.apiKeySid)
    .setSubject(input.accountSid)
    .setIssuedAt(iat)
    .setExpirationTime(iat + input.ttlS)
    .sign(new TextEncoder().encode(input.apiKeySecret));
}

const encoder = new TextEncoder();

/** Twilio's limit for an access token's lifetime (exp − iat), and our default one. */
export const MAX_TOKEN_LIFETIME_S = 86_400;

export interface TokenPolicy {
  /** The longest lifetime accepted, in seconds (ROLLCALL_TOKEN_MAX_TTL_S). */
  readonly maxLifetimeS: number;
}

const DEFAULT_POLICY: TokenPolicy = { maxLifetimeS: MAX_TOKEN_LIFETIME_S };

/**
 * Verifies a token cheaply: shape, algorithm, expiry and lifetime are checked before the key
 * lookup, and the key lookup before the signature. Then the grant: its workspace must exist in
 * the token's account. Refusals never say which check failed beyond what a client needs to fix
 * its own token.
 */
export async function verifyAccessToken(store: Pick<AdminStore, 'findApiKey' | 'findWorkspace'>, token: unknown, nowMs: number, policy: TokenPolicy = DEFAULT_POLICY): Promise<Result<TaskRouterGrant>> {
  if (typeof token !== 'string' || token.length === 0) return refuse('unauthenticated', 'An access token is required');
  let claims: ReturnType<typeof decodeJwt>;
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    return refuse('unauthenticated', 'The access token is malformed');
  }
  // Twilio signs access tokens with HS256 only: `none` and every other algorithm are refused unread.
  if (alg !== 'HS256') return refuse('unauthenticated', `The access token must be signed with HS256, not ${String(alg)}`);
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return refuse('unauthenticated', 'The access token has expired');
  const issuedAtS = typeof claims.iat === 'number' ? claims.iat : Math.floor(nowMs / 1000);
  if (claims.exp - Math.min(issuedAtS, Math.floor(nowMs / 1000)) > policy.maxLifetimeS) {
    return refuse('unauthenticated', `The access token lives longer than the ${policy.maxLifetimeS} s this server accepts; issue one with a shorter ttl`);
  }
  if (!isSid('apiKey', claims.iss) || !isSid('account', claims.sub)) return refuse('unauthenticated', 'The access token is not a Twilio access token');
  const key = await store.findApiKey(claims.iss);
  if (!key || key.revokedAt !== null || key.accountSid !== claims.sub) return refuse('unauthenticated', 'The access token was not signed by a known API key');
  try {
    await jwtVerify(token, encoder.encode(key.secret), { algorithms: ['HS256'], currentDate: new Date(nowMs) });
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return refuse('unauthenticated', 'The access token signature is invalid');
    throw error;
  }
  const grant = (claims.grants as { task_router?: Record<string, unknown>; identity?: unknown } | undefined);
  const tr = grant?.task_router;
  if (!tr || !isSid('workspace', tr.workspace_sid)) return refuse('forbidden', 'The access token has no TaskRouter grant with a workspace');
  const workspace = await store.findWorkspace(tr.workspace_sid);
  // One answer for "no such workspace" and "another account's": nobody probes other accounts.
  if (!workspace || workspace.accountSid !== claims.sub) return refuse('forbidden', `The access token's workspace ${tr.workspace_sid} is not a workspace of account ${claims.sub}`);
  if (tr.worker_sid !== undefined && tr.worker_sid !== null && !isSid('worker', tr.worker_sid)) {
    return refuse('forbidden', `The access token's worker_sid ${String(tr.worker_sid)} is not a worker SID`);
  }
  return ok({
    accountSid: claims.sub,
    apiKeySid: claims.iss,
    workspaceSid: tr.workspace_sid,
    workerSid: isSid('worker', tr.worker_sid) ? tr.worker_sid : null,
    role: tr.role === 'admin' || tr.role === 'supervisor' ? 'admin' : 'worker',
    identity: typeof grant?.identity === 'string' ? grant.identity : isSid('worker', tr.worker_sid) ? tr.worker_sid : claims.iss,
    expiresAt: claims.exp * 1000,
  });
}
