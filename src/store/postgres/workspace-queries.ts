/**
 * Workspaces on PostgreSQL: creation (with Twilio's task channels, and the FIFO template's queue
 * and workflow), deletion, and which workspace the account's Flex Configuration names.
 */
import { ok, refuse, type Result } from '../../core/errors.js';
import type { Workspace } from '../../core/resources.js';
import { DEFAULT_TASK_CHANNELS } from '../../core/routing-resources.js';
import { newSid } from '../../service/ids.js';
import type { Store, WorkspaceSeed } from '../../service/ports.js';
import { toWorkspace, type WorkspaceRow } from '../sqlite/rows.js';
import { FIFO_QUEUE_NAME, FIFO_WORKFLOW_NAME } from '../sqlite/workspace-queries.js';
import type { PgDatabase, Sql, Tx } from './database.js';

const FIFO_RESERVATION_TIMEOUT_S = 120;

type WorkspaceQueries = Pick<Store, 'createWorkspace' | 'deleteWorkspace' | 'flexWorkspaceSid' | 'setFlexWorkspace'>;

const flexSid = async (sql: Sql, accountSid: string): Promise<string | null> => {
  const row = await sql.one<{ workspace_sid: string }>('SELECT workspace_sid FROM flex_configuration WHERE account_sid = $1', [accountSid])
    ?? await sql.one<{ workspace_sid: string }>('SELECT sid AS workspace_sid FROM workspaces WHERE account_sid = $1 ORDER BY created_at, seq LIMIT 1', [accountSid]);
  return row?.workspace_sid ?? null;
};

async function seedFifo(tx: Tx, workspaceSid: string): Promise<void> {
  const queueSid = newSid('taskQueue');
  await tx.run(`INSERT INTO task_queues (sid, workspace_sid, friendly_name, target_workers, reservation_activity_sid, assignment_activity_sid, max_reserved_workers, task_order, created_at, updated_at)
    VALUES ($1, $2, $3, '1==1', NULL, NULL, 1, 'FIFO', $4, $4)`, [queueSid, workspaceSid, FIFO_QUEUE_NAME, tx.now]);
  const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queueSid } } });
  await tx.run(`INSERT INTO workflows (sid, workspace_sid, friendly_name, configuration, task_reservation_timeout_s, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6)`, [newSid('workflow'), workspaceSid, FIFO_WORKFLOW_NAME, configuration, FIFO_RESERVATION_TIMEOUT_S, tx.now]);
}

/** Children first; the activity log, episodes and events are history and stay. */
const DELETE_WORKSPACE = [
  "DELETE FROM callback_outbox WHERE workspace_sid = $1 AND status = 'pending'",
  'DELETE FROM console_sessions WHERE workspace_sid = $1',
  'DELETE FROM agent_links WHERE workspace_sid = $1',
  'DELETE FROM task_transfers WHERE workspace_sid = $1',
  'DELETE FROM reservations WHERE workspace_sid = $1',
  'DELETE FROM tasks WHERE workspace_sid = $1',
  'DELETE FROM workflows WHERE workspace_sid = $1',
  'DELETE FROM task_queues WHERE workspace_sid = $1',
  'DELETE FROM deadlines WHERE worker_sid IN (SELECT sid FROM workers WHERE workspace_sid = $1)',
  'DELETE FROM workers WHERE workspace_sid = $1',
  'DELETE FROM task_channels WHERE workspace_sid = $1',
  'DELETE FROM logout_settings WHERE workspace_sid = $1',
  'DELETE FROM activities WHERE workspace_sid = $1',
  'DELETE FROM workspaces WHERE sid = $1',
];

export function createWorkspaceQueries(db: PgDatabase): WorkspaceQueries {
  return {
    async createWorkspace(seed: WorkspaceSeed) {
      return db.tx(async (tx) => {
        const sid = newSid('workspace');
        const activities = seed.activities.map((a) => ({ ...a, sid: newSid('activity') }));
        const logout = activities.find((a) => a.friendlyName === seed.logoutActivityName && !a.available);
        if (!logout) throw new Error(`createWorkspace: the seed needs an unavailable activity named ${seed.logoutActivityName}`);
        await tx.run(`INSERT INTO workspaces (sid, account_sid, friendly_name, default_activity_sid, timeout_activity_sid, event_callback_url, events_filter, multi_task_enabled, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $8)`,
        [sid, seed.accountSid, seed.friendlyName, logout.sid, seed.eventCallbackUrl ?? null, seed.eventsFilter ?? null, seed.multiTaskEnabled === true ? 1 : 0, tx.now]);
        for (const a of activities) {
          await tx.run('INSERT INTO activities (sid, workspace_sid, friendly_name, available, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
            [a.sid, sid, a.friendlyName, a.available ? 1 : 0, tx.now]);
        }
        await tx.run('INSERT INTO logout_settings (workspace_sid, logout_activity_sid, enabled, threshold_ms, updated_at) VALUES ($1, $2, 1, $3, $4)', [sid, logout.sid, seed.thresholdMs, tx.now]);
        for (const c of DEFAULT_TASK_CHANNELS) {
          await tx.run('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
            [newSid('taskChannel'), sid, c.uniqueName, c.friendlyName, tx.now]);
        }
        if (seed.template === 'FIFO') await seedFifo(tx, sid);
        const row = await tx.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1', [sid]);
        if (!row) throw new Error(`workspace ${sid} vanished inside its own transaction`);
        return toWorkspace(row);
      });
    },

    async deleteWorkspace(accountSid, sid) {
      return db.tx(async (tx): Promise<Result<Workspace>> => {
        const row = await tx.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1 FOR UPDATE', [sid]);
        if (!row || row.account_sid !== accountSid) return refuse('not-found', `Workspace ${sid} was not found`);
        if ((await flexSid(tx, accountSid)) === sid) {
          return refuse('conflict', `Workspace ${sid} is the one the Flex Configuration names (taskrouter_workspace_sid); name another workspace there first`);
        }
        // Its workers locked, so no connection opens while the workspace goes.
        await tx.rows('SELECT sid FROM workers WHERE workspace_sid = $1 ORDER BY sid FOR UPDATE', [sid]);
        const live = (await tx.one<{ n: number }>('SELECT COUNT(*) AS n FROM connections c JOIN workers w ON w.sid = c.worker_sid WHERE w.workspace_sid = $1', [sid]))?.n ?? 0;
        if (live > 0) return refuse('conflict', `Workspace ${sid} has ${live} live agent connection${live === 1 ? '' : 's'}; sign those agents out first`);
        for (const statement of DELETE_WORKSPACE) await tx.run(statement, [sid]);
        return ok(toWorkspace(row));
      });
    },

    async flexWorkspaceSid(accountSid) {
      return flexSid(db.sql, accountSid);
    },

    async setFlexWorkspace(accountSid, workspaceSid) {
      await db.tx((tx) => tx.run(`INSERT INTO flex_configuration (account_sid, workspace_sid, updated_at) VALUES ($1, $2, $3)
        ON CONFLICT (account_sid) DO UPDATE SET workspace_sid = excluded.workspace_sid, updated_at = excluded.updated_at`, [accountSid, workspaceSid, tx.now]));
    },
  };
}
