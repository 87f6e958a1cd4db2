/**
 * Open agent sessions follow their token (issue 9, item 8): a session whose token expired without a
 * refresh is closed; one whose signing key was revoked is told to stop reconnecting and closed; a
 * fresher token for the same worker, seen on an envelope request, moves its sessions onto it.
 */
import { isWorkerGrant, type TaskRouterGrant } from '../../service/access-tokens.js';
import type { Log, Store } from '../../service/ports.js';
import type { AgentSession } from './agent-session.js';
import { TokenWatch } from './token-watch.js';

/**
 * Close code for a socket whose token expired without a refresh, or whose signing key was revoked.
 * The SDK reads only the reason; what stops it reconnecting is its own expiry timer (armed from
 * `token_lifetime`, 5 s before the expiry) or, for a revocation, an `init` with a zero lifetime.
 */
export const CLOSE_TOKEN_INVALID = 4401;
/** How often the keys that signed open sessions' tokens are looked up again (revocations). */
const KEY_CHECK_MS = 1000;

export class SessionTokens {
  private readonly watch: TokenWatch<AgentSession>;
  private keyCheck: NodeJS.Timeout | null = null;

  constructor(private readonly options: { readonly store: Store; readonly log: Log; readonly nowMs: number }) {
    this.watch = new TokenWatch(options.nowMs);
  }

  add(session: AgentSession): void {
    this.watch.add(session);
  }

  remove(session: AgentSession): void {
    this.watch.remove(session);
  }

  /** Called on every liveness tick: closes the sessions whose token has expired by `nowMs`. */
  closeExpired(nowMs: number): void {
    for (const session of this.watch.takeExpired(nowMs)) session.socket.close(CLOSE_TOKEN_INVALID, 'The access token has expired');
  }

  /** Starts looking up, every second, the keys open sessions depend on (one lookup per key). */
  start(): void {
    let checking = false;
    this.keyCheck = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.closeRevoked().catch((error: unknown) => this.options.log.error({ err: error }, 'checking API keys of open sessions failed')).finally(() => (checking = false));
    }, KEY_CHECK_MS);
  }

  stop(): void {
    if (this.keyCheck) clearInterval(this.keyCheck);
    this.keyCheck = null;
  }

  /**
   * A verified envelope request carried this token: the SDK's `updateToken` sends a refreshed token
   * only in later HTTP bodies, never over the socket. The worker's open sessions in the same
   * workspace and account move onto it when it lives longer than theirs.
   */
  refresh(grant: TaskRouterGrant, sessionsOf: (workerSid: string) => Iterable<AgentSession>): void {
    if (!isWorkerGrant(grant)) return;
    for (const session of sessionsOf(grant.workerSid)) {
      const current = session.grant;
      if (current.workspaceSid !== grant.workspaceSid || current.accountSid !== grant.accountSid || grant.expiresAt <= current.expiresAt) continue;
      this.watch.refresh(session, grant);
    }
  }

  /** Closes the sessions whose token was signed by a key that is now revoked (REST, console or CLI). */
  private async closeRevoked(): Promise<void> {
    for (const sid of this.watch.keys()) {
      const key = await this.options.store.findApiKey(sid);
      if (key && key.revokedAt === null) continue;
      for (const session of this.watch.holdersOf(sid)) {
        this.watch.remove(session);
        session.stopReconnecting();
        session.socket.close(CLOSE_TOKEN_INVALID, 'The API key that signed the access token was revoked');
      }
    }
  }
}
