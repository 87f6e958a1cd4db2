/**
 * Console use cases that are not administration: signing in and out, the sign-in throttle,
 * one-time agent links, worker tokens for the agent desktop, the team as supervisors see it and
 * the notice an agent gets after an automatic logout. Changes to settings, activities and
 * workers go through AdminService, like REST's, so both dialects keep one set of rules.
 */
import { parseActor } from '../core/actor.js';
import { createHash, randomBytes } from 'node:crypto';
import { ok, refuse, type Result } from '../core/errors.js';
import type { Workspace } from '../core/resources.js';
import { issueAccessToken } from './access-tokens.js';
import type { ConsoleSession, ConsoleStore, TeamMember } from './console-ports.js';
import { authenticate } from './credentials.js';
import type { AdminStore, Clock, PresenceStore } from './ports.js';

export interface ConsoleServiceOptions {
  readonly store: ConsoleStore & AdminStore & Pick<PresenceStore, 'findWorker'>;
  readonly clock: Clock;
  readonly sessionTtlMs: number;
  readonly agentLinkTtlMs: number;
  readonly tokenTtlS: number;
  /** Failed sign-ins from one address allowed within `signInWindowMs` before it must wait. */
  readonly signInFailures?: number;
  readonly signInWindowMs?: number;
}

/** A new session: the secret for the cookie (never stored) and what it grants. */
export interface OpenedSession {
  readonly token: string;
  readonly session: ConsoleSession;
}

export interface AgentToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly workerSid: string;
  readonly friendlyName: string;
}

/** The sign-in throttle said no: wait this long. */
export interface Throttled {
  readonly retryAfterMs: number;
}

const AGENT_KEY_NAME = 'Rollcall agent desktop';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

export class ConsoleService {
  private readonly store: ConsoleStore & AdminStore & Pick<PresenceStore, 'findWorker'>;
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: ConsoleServiceOptions) {
    this.store = options.store;
  }

  /**
   * Signs in with the Account SID and auth token, or an API key SID and secret. Every wrong
   * credential gets the same refusal; an address with too many recent failures is throttled
   * before its credentials are even looked at.
   */
  async signIn(username: string, password: string, address: string): Promise<Result<OpenedSession> | { ok: false; throttled: Throttled }> {
    const now = this.options.clock.now();
    const wait = this.throttle(address, now);
    if (wait !== null) return { ok: false, throttled: { retryAfterMs: wait } };
    const principal = await authenticate(this.store, username, password);
    if (!principal) {
      this.recordFailure(address, now);
      return refuse('unauthenticated', 'The SID or secret is wrong. Use the Account SID with its auth token, or an API key SID with its secret.');
    }
    this.failures.delete(address);
    const [workspace] = await this.store.listWorkspaces(principal.accountSid);
    if (!workspace) return refuse('not-found', 'This account has no workspace to manage');
    return ok(await this.open({ kind: 'admin', accountSid: principal.accountSid, credentialSid: principal.credentialSid, workspaceSid: workspace.sid, workerSid: null }));
  }

  /**
   * The live session a cookie stands for, or null. A session opened with an API key ends when
   * the key is revoked, as that key's REST calls and tokens do.
   */
  async session(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token) return null;
    const session = await this.store.findConsoleSession(hashToken(token));
    if (!session) return null;
    if (parseActor(session.credentialSid).type === 'api_key') {
      const key = await this.store.findApiKey(session.credentialSid);
      if (!key || key.revokedAt !== null) return null;
    }
    return session;
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.store.endConsoleSession(hashToken(token));
  }

  async workspace(session: ConsoleSession): Promise<Workspace> {
    const workspace = await this.store.findWorkspace(session.workspaceSid);
    if (!workspace) throw new Error(`store integrity: session for missing workspace ${session.workspaceSid}`);
    return workspace;
  }

  /** A one-time sign-in link for a worker; only the secret's hash is kept. */
  async createAgentLink(workspaceSid: string, workerSid: string, createdBy: string): Promise<Result<{ token: string; expiresAt: number }>> {
    const token = newToken();
    const created = await this.store.createAgentLink({ tokenHash: hashToken(token), workspaceSid, workerSid, createdBy, ttlMs: this.options.agentLinkTtlMs });
    return created.ok ? ok({ token, expiresAt: created.value.expiresAt }) : created;
  }

  /** Uses a link up and opens an agent session bound to its worker. */
  async redeemAgentLink(linkToken: string): Promise<Result<OpenedSession>> {
    const grant = await this.store.redeemAgentLink(hashToken(linkToken));
    if (!grant.ok) return grant;
    const g = grant.value;
    return ok(await this.open({ kind: 'agent', accountSid: g.accountSid, credentialSid: g.createdBy, workspaceSid: g.workspaceSid, workerSid: g.workerSid }));
  }

  /**
   * A worker token for the agent desktop's Worker SDK. An agent session gets one for its own
   * worker only; an admin session for any worker of the workspace. Signed by the account's
   * agent-desktop API key (made on first use), so revoking that key stops every desktop token.
   */
  async agentToken(session: ConsoleSession, workerSid: string | undefined): Promise<Result<AgentToken>> {
    const sid = session.kind === 'agent' ? session.workerSid : workerSid;
    if (!sid) return refuse('invalid-parameter', 'worker_sid is required: which worker should the desktop act as?', 'worker_sid');
    const worker = await this.store.findWorker(session.workspaceSid, sid);
    if (!worker) return refuse('not-found', `Worker ${sid} was not found`);
    const key = await this.agentKey(session.accountSid);
    const now = this.options.clock.now();
    const token = await issueAccessToken({
      accountSid: session.accountSid, apiKeySid: key.sid, apiKeySecret: key.secret, workspaceSid: session.workspaceSid,
      workerSid: worker.sid, identity: worker.friendlyName, ttlS: this.options.tokenTtlS, nowMs: now,
    });
    return ok({ token, expiresAt: now + this.options.tokenTtlS * 1000, workerSid: worker.sid, friendlyName: worker.friendlyName });
  }

  async team(workspaceSid: string, workerSids?: readonly string[]): Promise<TeamMember[]> {
    return this.store.teamMembers(workspaceSid, workerSids);
  }

  /**
   * What an agent is told on return: the worker's last activity change, when automation made it
   * and the worker is still where automation put it (a change of their own clears it).
   */
  async agentNotice(workspaceSid: string, workerSid: string): Promise<Result<TeamMember['lastAutomatic']>> {
    const [member] = await this.store.teamMembers(workspaceSid, [workerSid]);
    if (!member) return refuse('not-found', `Worker ${workerSid} was not found`);
    const last = member.lastAutomatic;
    const current = last !== null && last.effectiveAt >= member.worker.statusChangedAt && last.toActivityName === member.worker.activityName;
    return ok(current ? last : null);
  }

  private async open(input: Omit<ConsoleSession, 'tokenHash' | 'createdAt' | 'expiresAt'>): Promise<OpenedSession> {
    const token = newToken();
    const session = await this.store.createConsoleSession({ ...input, tokenHash: hashToken(token), ttlMs: this.options.sessionTtlMs });
    return { token, session };
  }

  private async agentKey(accountSid: string): Promise<{ sid: string; secret: string }> {
    const keys = await this.store.listApiKeys(accountSid);
    const existing = keys.find((k) => k.revokedAt === null && k.friendlyName === AGENT_KEY_NAME);
    return existing ?? this.store.createApiKey(accountSid, AGENT_KEY_NAME);
  }

  /** Milliseconds the address must wait, or null when it may try. */
  private throttle(address: string, now: number): number | null {
    const windowMs = this.options.signInWindowMs ?? 15 * 60_000;
    const recent = (this.failures.get(address) ?? []).filter((at) => at > now - windowMs);
    if (recent.length === 0) this.failures.delete(address);
    else this.failures.set(address, recent);
    if (recent.length < (this.options.signInFailures ?? 5)) return null;
    return (recent[0] as number) + windowMs - now;
  }

  private recordFailure(address: string, now: number): void {
    // A flood of addresses must not grow the map without end: forget the oldest first.
    if (this.failures.size >= 10_000 && !this.failures.has(address)) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, [...(this.failures.get(address) ?? []), now]);
  }
}
