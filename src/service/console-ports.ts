/**
 * What the console needs from the system of record beyond the Store: the team as a supervisor sees
 * it (presence state joined to workers), the durable event sequence to stream from, sign-in
 * sessions and one-time agent links. Same guarantees as the Store: each method is one transaction,
 * time is the store's clock (rule 12), refusals are values. Secrets never reach the store: sessions
 * and links are kept by the SHA-256 of their token, so a copy of the database opens no session.
 */
import type { Result } from '../core/errors.js';
import type { ActivityCause, Disconnection, LogoutEvidence } from '../core/presence.js';
import type { Worker, WorkspaceEvent } from '../core/resources.js';

/** The last change automation made to a worker's activity (never a person's change). */
export interface AutomaticChange {
  readonly cause: ActivityCause;
  readonly fromActivityName: string | null;
  readonly toActivityName: string;
  readonly effectiveAt: number;
  readonly evidence: LogoutEvidence | null;
}

/** One worker as the Teams view shows it. */
export interface TeamMember {
  readonly worker: Worker;
  /** Live agent sessions now. */
  readonly connections: number;
  /** The current disconnection, if the worker has no live session since it connected. */
  readonly disconnection: Disconnection | null;
  /** The pending automatic logout. */
  readonly logoutDueAt: number | null;
  readonly lastAutomatic: AutomaticChange | null;
}

/** A committed workspace event with its place in the durable sequence. */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: WorkspaceEvent;
}

export type ConsoleSessionKind = 'admin' | 'agent';

export interface ConsoleSession {
  readonly tokenHash: string;
  readonly kind: ConsoleSessionKind;
  readonly accountSid: string;
  /** The Account SID or API key SID that signed in (admin), or that created the agent link (agent). */
  readonly credentialSid: string;
  readonly workspaceSid: string;
  /** The worker an agent session is bound to; null for admins. */
  readonly workerSid: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface AgentLinkGrant {
  readonly workspaceSid: string;
  readonly workerSid: string;
  readonly accountSid: string;
  readonly createdBy: string;
}

export interface ConsoleStore {
  /** Workers of a workspace in creation order, or only those named (unknown SIDs are left out). */
  teamMembers(workspaceSid: string, workerSids?: readonly string[]): Promise<TeamMember[]>;
  /** Events committed after `seq`, in order, at most `limit`. */
  eventsAfter(workspaceSid: string, seq: number, limit: number): Promise<SequencedEvent[]>;
  /** The newest event's place in the sequence (0 when there is none). */
  lastEventSeq(workspaceSid: string): Promise<number>;

  /** Stores a session that ends `ttlMs` from the store's now. */
  createConsoleSession(input: Omit<ConsoleSession, 'createdAt' | 'expiresAt'> & { readonly ttlMs: number }): Promise<ConsoleSession>;
  /** The session, if it exists and has not expired at the store's now. */
  findConsoleSession(tokenHash: string): Promise<ConsoleSession | null>;
  endConsoleSession(tokenHash: string): Promise<void>;

  /** Stores a one-time link for a worker of the workspace; `not-found` for an unknown worker. */
  createAgentLink(input: { tokenHash: string; workspaceSid: string; workerSid: string; createdBy: string; ttlMs: number }): Promise<Result<{ expiresAt: number }>>;
  /**
   * Uses a link up: refused (`unauthenticated`) when it is unknown, used or expired, or its
   * worker is gone. Marking it used and reading it are one transaction, so a link opens one session.
   */
  redeemAgentLink(tokenHash: string): Promise<Result<AgentLinkGrant>>;
}
