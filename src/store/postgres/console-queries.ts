/**
 * The PostgreSQL side of the console port (ConsoleStore): the team as the Teams view shows it, the
 * durable event sequence (`events.commit_seq`, in commit order), sign-in sessions and one-time agent links. Times are the
 * transaction's (the database clock, or the tests' Clock). The SQLite twin is
 * store/sqlite/console-queries.ts.
 */
import { ok, refuse, type Result } from '../../core/errors.js';
import { PERSON_CAUSES } from '../../core/presence.js';
import type { AgentLinkGrant, ConsoleStore } from '../../service/console-ports.js';
import { WORKER_COLUMNS, WORKER_FROM } from '../sqlite/presence-writer.js';
import { toSession, toTeamMember, type SessionRow, type TeamRow } from '../sqlite/console-queries.js';
import { toEvent, type EventRow } from '../sqlite/rows.js';
import type { PgDatabase } from './database.js';

// Causes a person gives; every other logged cause except a worker's creation is automation's.
const PEOPLE = [...PERSON_CAUSES, 'created'].map((c) => `'${c}'`).join(', ');


const TEAM_SELECT = `SELECT ${WORKER_COLUMNS},
    (SELECT COUNT(*) FROM connections c WHERE c.worker_sid = w.sid) AS connection_count,
    (SELECT json_build_object('cause', l.cause, 'from', fa.friendly_name, 'to', ta.friendly_name, 'at', l.effective_at, 'evidence', l.evidence::json)::text
       FROM activity_log l
       LEFT JOIN activities fa ON fa.sid = l.from_activity_sid
       LEFT JOIN activities ta ON ta.sid = l.to_activity_sid
      WHERE l.worker_sid = w.sid AND l.cause NOT IN (${PEOPLE})
      ORDER BY l.id DESC LIMIT 1) AS auto
  ${WORKER_FROM}`;

interface LinkRow { workspace_sid: string; worker_sid: string; created_by: string; expires_at: number; used_at: number | null; account_sid: string | null; worker_exists: number }

export function createConsoleQueries(db: PgDatabase): ConsoleStore {
  const sql = db.sql;
  return {
    async teamMembers(workspaceSid, workerSids) {
      const rows = await sql.rows<TeamRow>(`${TEAM_SELECT} WHERE w.workspace_sid = $1 AND ($2::text[] IS NULL OR w.sid = ANY($2::text[])) ORDER BY w.created_at, w.seq`,
        [workspaceSid, workerSids === undefined ? null : [...workerSids]]);
      return rows.map(toTeamMember);
    },
    // The stream's numbers are `commit_seq` (given at commit, see schema.ts migration 2), not `seq`.
    async eventsAfter(workspaceSid, seq, limit) {
      const rows = await sql.rows<EventRow & { commit_seq: number }>('SELECT * FROM events WHERE workspace_sid = $1 AND commit_seq > $2 ORDER BY commit_seq LIMIT $3',
        [workspaceSid, seq, limit]);
      return rows.map((r) => ({ seq: r.commit_seq, event: toEvent(r) }));
    },
    async lastEventSeq(workspaceSid) {
      return (await sql.one<{ seq: number | null }>('SELECT MAX(commit_seq) AS seq FROM events WHERE workspace_sid = $1', [workspaceSid]))?.seq ?? 0;
    },
    async createConsoleSession(input) {
      return db.tx(async (tx) => {
        const at = tx.now;
        // Expired sessions are swept as new ones are made, so the table stays the size of the live ones.
        await tx.run('DELETE FROM console_sessions WHERE expires_at <= $1', [at]);
        const expiresAt = at + input.ttlMs;
        await tx.run(`INSERT INTO console_sessions (token_hash, kind, account_sid, credential_sid, workspace_sid, worker_sid, created_at, expires_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [input.tokenHash, input.kind, input.accountSid, input.credentialSid, input.workspaceSid, input.workerSid, at, expiresAt]);
        return { tokenHash: input.tokenHash, kind: input.kind, accountSid: input.accountSid, credentialSid: input.credentialSid,
          workspaceSid: input.workspaceSid, workerSid: input.workerSid, createdAt: at, expiresAt };
      });
    },
    async findConsoleSession(tokenHash) {
      const row = await sql.one<SessionRow>('SELECT * FROM console_sessions WHERE token_hash = $1 AND expires_at > $2', [tokenHash, await db.now()]);
      return row ? toSession(row) : null;
    },
    async endConsoleSession(tokenHash) {
      await sql.run('DELETE FROM console_sessions WHERE token_hash = $1', [tokenHash]);
    },
    async createAgentLink(input) {
      return db.tx(async (tx): Promise<Result<{ expiresAt: number }>> => {
        if (!(await tx.one('SELECT 1 FROM workers WHERE workspace_sid = $1 AND sid = $2', [input.workspaceSid, input.workerSid]))) return refuse('not-found', `Worker ${input.workerSid} was not found`);
        await tx.run('DELETE FROM agent_links WHERE expires_at <= $1', [tx.now]);
        const expiresAt = tx.now + input.ttlMs;
        await tx.run('INSERT INTO agent_links (token_hash, workspace_sid, worker_sid, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [input.tokenHash, input.workspaceSid, input.workerSid, input.createdBy, tx.now, expiresAt]);
        return ok({ expiresAt });
      });
    },
    async redeemAgentLink(tokenHash) {
      return db.tx(async (tx): Promise<Result<AgentLinkGrant>> => {
        // Locked: two redemptions of one link on two nodes apply in turn, and the second finds it used.
        const link = await tx.one<LinkRow>(`SELECT l.*, ws.account_sid, EXISTS (SELECT 1 FROM workers w WHERE w.sid = l.worker_sid)::int AS worker_exists
          FROM agent_links l JOIN workspaces ws ON ws.sid = l.workspace_sid WHERE l.token_hash = $1 FOR UPDATE OF l`, [tokenHash]);
        if (!link || link.used_at !== null || link.expires_at <= tx.now || link.worker_exists !== 1 || link.account_sid === null) {
          return refuse('unauthenticated', 'This sign-in link was already used or has expired; ask an admin for a new one');
        }
        await tx.run('UPDATE agent_links SET used_at = $1 WHERE token_hash = $2', [tx.now, tokenHash]);
        return ok({ workspaceSid: link.workspace_sid, workerSid: link.worker_sid, accountSid: link.account_sid, createdBy: link.created_by });
      });
    },
  };
}
