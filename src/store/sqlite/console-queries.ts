/**
 * The SQLite side of the console port (ConsoleStore): the team as the Teams view shows it, the
 * durable event sequence, sign-in sessions and one-time agent links.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ok, refuse, type Result } from '../../core/errors.js';
import { PERSON_CAUSES } from '../../core/presence.js';
import type { AgentLinkGrant, AutomaticChange, ConsoleSession, ConsoleStore, TeamMember } from '../../service/console-ports.js';
import type { Clock } from '../../service/ports.js';
import { WORKER_COLUMNS, WORKER_FROM } from './presence-writer.js';
import { toEvent, toWorker, type EventRow, type StoredPresence, type WorkerRow } from './rows.js';
import { writeTx } from './transaction.js';

// Causes a person gives; every other logged cause except a worker's creation is automation's.
const PEOPLE = [...PERSON_CAUSES, 'created'].map((c) => `'${c}'`).join(', ');

export type TeamRow = WorkerRow & { connection_count: number; auto: string | null };

const TEAM_SELECT = `SELECT ${WORKER_COLUMNS},
    (SELECT COUNT(*) FROM connections c WHERE c.worker_sid = w.sid) AS connection_count,
    (SELECT json_object('cause', l.cause, 'from', fa.friendly_name, 'to', ta.friendly_name, 'at', l.effective_at, 'evidence', json(l.evidence))
       FROM activity_log l
       LEFT JOIN activities fa ON fa.sid = l.from_activity_sid
       LEFT JOIN activities ta ON ta.sid = l.to_activity_sid
      WHERE l.worker_sid = w.sid AND l.cause NOT IN (${PEOPLE})
      ORDER BY l.id DESC LIMIT 1) AS auto
  ${WORKER_FROM}`;

export interface SessionRow {
  token_hash: string; kind: string; account_sid: string; credential_sid: string; workspace_sid: string;
  worker_sid: string | null; created_at: number; expires_at: number;
}

export const toSession = (r: SessionRow): ConsoleSession => ({
  tokenHash: r.token_hash, kind: r.kind as ConsoleSession['kind'], accountSid: r.account_sid, credentialSid: r.credential_sid,
  workspaceSid: r.workspace_sid, workerSid: r.worker_sid, createdAt: r.created_at, expiresAt: r.expires_at,
});

export function toTeamMember(r: TeamRow): TeamMember {
  const presence = JSON.parse(r.presence) as StoredPresence;
  let lastAutomatic: AutomaticChange | null = null;
  if (r.auto !== null) {
    const a = JSON.parse(r.auto) as { cause: AutomaticChange['cause']; from: string | null; to: string | null; at: number; evidence: AutomaticChange['evidence'] };
    lastAutomatic = { cause: a.cause, fromActivityName: a.from, toActivityName: a.to ?? '(deleted activity)', effectiveAt: a.at, evidence: a.evidence };
  }
  return {
    worker: toWorker(r),
    connections: r.connection_count,
    disconnection: r.connection_count > 0 ? null : presence.disconnection,
    logoutDueAt: r.due_at,
    lastAutomatic,
  };
}

export function createConsoleQueries(db: BetterSqlite3.Database, clock: Clock): ConsoleStore {
  const q = {
    team: db.prepare<[string], TeamRow>(`${TEAM_SELECT} WHERE w.workspace_sid = ? ORDER BY w.created_at, w.rowid`),
    teamSome: db.prepare<[string, string], TeamRow>(`${TEAM_SELECT} WHERE w.workspace_sid = ? AND w.sid IN (SELECT value FROM json_each(?)) ORDER BY w.created_at, w.rowid`),
    eventsAfter: db.prepare<[string, number, number], EventRow & { seq: number }>('SELECT * FROM events WHERE workspace_sid = ? AND seq > ? ORDER BY seq LIMIT ?'),
    lastSeq: db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events WHERE workspace_sid = ?'),
    addSession: db.prepare('INSERT INTO console_sessions (token_hash, kind, account_sid, credential_sid, workspace_sid, worker_sid, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    session: db.prepare<[string, number], SessionRow>('SELECT * FROM console_sessions WHERE token_hash = ? AND expires_at > ?'),
    endSession: db.prepare('DELETE FROM console_sessions WHERE token_hash = ?'),
    purgeSessions: db.prepare('DELETE FROM console_sessions WHERE expires_at <= ?'),
    worker: db.prepare<[string, string], { sid: string }>('SELECT sid FROM workers WHERE workspace_sid = ? AND sid = ?'),
    addLink: db.prepare('INSERT INTO agent_links (token_hash, workspace_sid, worker_sid, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
    link: db.prepare<[string], { workspace_sid: string; worker_sid: string; created_by: string; expires_at: number; used_at: number | null; account_sid: string | null; worker_exists: number }>(
      `SELECT l.*, ws.account_sid, EXISTS (SELECT 1 FROM workers w WHERE w.sid = l.worker_sid) AS worker_exists
         FROM agent_links l JOIN workspaces ws ON ws.sid = l.workspace_sid WHERE l.token_hash = ?`),
    useLink: db.prepare('UPDATE agent_links SET used_at = ? WHERE token_hash = ?'),
    purgeLinks: db.prepare('DELETE FROM agent_links WHERE expires_at <= ?'),
  };

  return {
    async teamMembers(workspaceSid, workerSids) {
      const rows = workerSids === undefined ? q.team.all(workspaceSid) : q.teamSome.all(workspaceSid, JSON.stringify(workerSids));
      return rows.map(toTeamMember);
    },
    async eventsAfter(workspaceSid, seq, limit) {
      return q.eventsAfter.all(workspaceSid, seq, limit).map((r) => ({ seq: r.seq, event: toEvent(r) }));
    },
    async lastEventSeq(workspaceSid) {
      return q.lastSeq.get(workspaceSid)?.seq ?? 0;
    },
    async createConsoleSession(input) {
      return writeTx(db, () => {
        const at = clock.now();
        // Expired sessions are swept as new ones are made, so the table stays the size of the live ones.
        q.purgeSessions.run(at);
        const expiresAt = at + input.ttlMs;
        q.addSession.run(input.tokenHash, input.kind, input.accountSid, input.credentialSid, input.workspaceSid, input.workerSid, at, expiresAt);
        return { ...input, createdAt: at, expiresAt };
      });
    },
    async findConsoleSession(tokenHash) {
      const row = q.session.get(tokenHash, clock.now());
      return row ? toSession(row) : null;
    },
    async endConsoleSession(tokenHash) {
      q.endSession.run(tokenHash);
    },
    async createAgentLink(input) {
      return writeTx(db, (): Result<{ expiresAt: number }> => {
        if (!q.worker.get(input.workspaceSid, input.workerSid)) return refuse('not-found', `Worker ${input.workerSid} was not found`);
        const at = clock.now();
        q.purgeLinks.run(at);
        const expiresAt = at + input.ttlMs;
        q.addLink.run(input.tokenHash, input.workspaceSid, input.workerSid, input.createdBy, at, expiresAt);
        return ok({ expiresAt });
      });
    },
    async redeemAgentLink(tokenHash) {
      return writeTx(db, (): Result<AgentLinkGrant> => {
        const at = clock.now();
        const link = q.link.get(tokenHash);
        if (!link || link.used_at !== null || link.expires_at <= at || link.worker_exists !== 1 || link.account_sid === null) {
          return refuse('unauthenticated', 'This sign-in link was already used or has expired; ask an admin for a new one');
        }
        q.useLink.run(at, tokenHash);
        return ok({ workspaceSid: link.workspace_sid, workerSid: link.worker_sid, accountSid: link.account_sid, createdBy: link.created_by });
      });
    },
  };
}
