/**
 * Workspaces on SQLite: creation (with Twilio's task channels, and the FIFO template's queue and
 * workflow), deletion, and which workspace the account's Flex Configuration names. Each method is
 * one IMMEDIATE transaction.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ok, refuse, type Result } from '../../core/errors.js';
import type { Workspace } from '../../core/resources.js';
import { DEFAULT_TASK_CHANNELS } from '../../core/routing-resources.js';
import { newSid } from '../../service/ids.js';
import type { Clock, Store, WorkspaceSeed } from '../../service/ports.js';
import { toWorkspace, type WorkspaceRow } from './rows.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';

/** Twilio's FIFO template: one queue every worker belongs to, and a workflow sending every task there. */
export const FIFO_QUEUE_NAME = 'Sample Queue';
export const FIFO_WORKFLOW_NAME = 'Default Fifo Workflow';
const FIFO_RESERVATION_TIMEOUT_S = 120;

type WorkspaceQueries = Pick<Store, 'createWorkspace' | 'deleteWorkspace' | 'flexWorkspaceSid' | 'setFlexWorkspace'>;

export function createWorkspaceQueries(db: BetterSqlite3.Database, clock: Clock): WorkspaceQueries {
  const prepare = cachedPrepare(db);
  const workspace = prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?');
  const flexSid = (accountSid: string): string | null => {
    const row = prepare<[string], { workspace_sid: string }>('SELECT workspace_sid FROM flex_configuration WHERE account_sid = ?').get(accountSid)
      ?? prepare<[string], { workspace_sid: string }>('SELECT sid AS workspace_sid FROM workspaces WHERE account_sid = ? ORDER BY created_at, rowid LIMIT 1').get(accountSid);
    return row?.workspace_sid ?? null;
  };

  const seedFifo = (workspaceSid: string, at: number): void => {
    const queueSid = newSid('taskQueue');
    prepare(`INSERT INTO task_queues (sid, workspace_sid, friendly_name, target_workers, reservation_activity_sid, assignment_activity_sid, max_reserved_workers, task_order, created_at, updated_at)
      VALUES (?, ?, ?, '1==1', NULL, NULL, 1, 'FIFO', ?, ?)`).run(queueSid, workspaceSid, FIFO_QUEUE_NAME, at, at);
    const configuration = JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queueSid } } });
    prepare(`INSERT INTO workflows (sid, workspace_sid, friendly_name, configuration, task_reservation_timeout_s, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`).run(newSid('workflow'), workspaceSid, FIFO_WORKFLOW_NAME, configuration, FIFO_RESERVATION_TIMEOUT_S, at, at);
  };

  return {
    async createWorkspace(seed: WorkspaceSeed) {
      return writeTx(db, () => {
        const at = clock.now();
        const sid = newSid('workspace');
        const activities = seed.activities.map((a) => ({ ...a, sid: newSid('activity') }));
        const logout = activities.find((a) => a.friendlyName === seed.logoutActivityName && !a.available);
        if (!logout) throw new Error(`createWorkspace: the seed needs an unavailable activity named ${seed.logoutActivityName}`);
        prepare(`INSERT INTO workspaces (sid, account_sid, friendly_name, default_activity_sid, timeout_activity_sid, event_callback_url, events_filter, multi_task_enabled, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(sid, seed.accountSid, seed.friendlyName, logout.sid, logout.sid, seed.eventCallbackUrl ?? null, seed.eventsFilter ?? null,
          seed.multiTaskEnabled === true ? 1 : 0, at, at);
        const insert = prepare('INSERT INTO activities (sid, workspace_sid, friendly_name, available, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
        for (const a of activities) insert.run(a.sid, sid, a.friendlyName, a.available ? 1 : 0, at, at);
        prepare('INSERT INTO logout_settings (workspace_sid, logout_activity_sid, enabled, threshold_ms, updated_at) VALUES (?, ?, 1, ?, ?)').run(sid, logout.sid, seed.thresholdMs, at);
        const channel = prepare('INSERT INTO task_channels (sid, workspace_sid, unique_name, friendly_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
        for (const c of DEFAULT_TASK_CHANNELS) channel.run(newSid('taskChannel'), sid, c.uniqueName, c.friendlyName, at, at);
        if (seed.template === 'FIFO') seedFifo(sid, at);
        return toWorkspace(workspace.get(sid) as WorkspaceRow);
      });
    },

    async deleteWorkspace(accountSid, sid) {
      return writeTx(db, (): Result<Workspace> => {
        const row = workspace.get(sid);
        if (!row || row.account_sid !== accountSid) return refuse('not-found', `Workspace ${sid} was not found`);
        if (flexSid(accountSid) === sid) {
          return refuse('conflict', `Workspace ${sid} is the one the Flex Configuration names (taskrouter_workspace_sid); name another workspace there first`);
        }
        const live = prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM connections c JOIN workers w ON w.sid = c.worker_sid WHERE w.workspace_sid = ?').get(sid)?.n ?? 0;
        if (live > 0) return refuse('conflict', `Workspace ${sid} has ${live} live agent connection${live === 1 ? '' : 's'}; sign those agents out first`);
        // Children first (foreign keys are on); the activity log, episodes and events are history and stay.
        for (const statement of [
          "DELETE FROM callback_outbox WHERE workspace_sid = ? AND status = 'pending'",
          'DELETE FROM console_sessions WHERE workspace_sid = ?',
          'DELETE FROM agent_links WHERE workspace_sid = ?',
          'DELETE FROM reservations WHERE workspace_sid = ?',
          'DELETE FROM tasks WHERE workspace_sid = ?',
          'DELETE FROM workflows WHERE workspace_sid = ?',
          'DELETE FROM task_queues WHERE workspace_sid = ?',
          'DELETE FROM outage_hold_workers WHERE hold_sid IN (SELECT sid FROM outage_holds WHERE workspace_sid = ?)',
          'DELETE FROM outage_holds WHERE workspace_sid = ?',
          'DELETE FROM deadlines WHERE worker_sid IN (SELECT sid FROM workers WHERE workspace_sid = ?)',
          'DELETE FROM workers WHERE workspace_sid = ?',
          'DELETE FROM task_channels WHERE workspace_sid = ?',
          'DELETE FROM logout_settings WHERE workspace_sid = ?',
          'DELETE FROM activities WHERE workspace_sid = ?',
          'DELETE FROM workspaces WHERE sid = ?',
        ]) prepare(statement).run(sid);
        return ok(toWorkspace(row));
      });
    },

    async flexWorkspaceSid(accountSid) {
      return flexSid(accountSid);
    },

    async setFlexWorkspace(accountSid, workspaceSid) {
      writeTx(db, () => {
        prepare(`INSERT INTO flex_configuration (account_sid, workspace_sid, updated_at) VALUES (?, ?, ?)
          ON CONFLICT (account_sid) DO UPDATE SET workspace_sid = excluded.workspace_sid, updated_at = excluded.updated_at`).run(accountSid, workspaceSid, clock.now());
      });
    },
  };
}
