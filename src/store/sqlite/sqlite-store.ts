/**
 * The SQLite store (single node): better-sqlite3 12, WAL, synchronous=NORMAL. Every method is one
 * IMMEDIATE transaction, so a verb either commits entirely or leaves nothing behind. Time is the
 * process clock handed in (rule 12); one process owns the file.
 */
import Database from 'better-sqlite3';
import { workerEvent } from '../../core/events.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { applyLogoutSettingsPatch, type LogoutSettingsPatch } from '../../core/logout-settings.js';
import type { DisconnectReason } from '../../core/presence.js';
import type { Account, ApiKey, LogoutSettings } from '../../core/resources.js';
import { newSecret, newSid } from '../../service/ids.js';
import type { ConsoleStore } from '../../service/console-ports.js';
import type { ReportStore } from '../../service/report-ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import type {
  ActivityChangeRequest, Clock, ConnectionEnding, ConnectionOpening, PresenceCommit, RetentionStore, Store,
} from '../../service/ports.js';
import { createAdminQueries } from './admin-queries.js';
import type { CallbackStore } from '../../service/callback-ports.js';
import { CallbackOutbox, createCallbackQueries } from './callback-outbox.js';
import { createConsoleQueries } from './console-queries.js';
import { createGaugeQueries } from './gauge-queries.js';
import type { PresenceGaugeStore } from '../../service/metrics.js';
import { createReportQueries } from './report-queries.js';
import { createWorkspaceQueries } from './workspace-queries.js';
import { createWorkerChange } from './worker-change.js';
import { createRetentionQueries } from './retention-queries.js';
import { createTaskListing } from './task-listing.js';
import { startCheckpointer } from './checkpointer.js';
import { createOwnerOnly, restrictToOwner } from './file-mode.js';
import { createRoutingCatalog } from './routing-catalog.js';
import { createRoutingTasks } from './routing-tasks.js';
import { createTransferVerbs, TransferWriter } from './routing-transfers.js';
import { RoutingWriter } from './routing-writer.js';
import { migrate } from './migrations.js';
import { createOutageHoldVerbs, OutageHolds, withDueTimes } from './outage-hold.js';
import { cachedPrepare } from './statement-cache.js';
import { PresenceWriter, WORKER_SELECT } from './presence-writer.js';
import {
  INITIAL_STORED_PRESENCE, toAccount, toActivity, toApiKey, toEpisode, toEvent, toLogEntry, toSettings, toWorker, toWorkspace,
  type AccountRow, type ActivityRow, type ApiKeyRow, type EpisodeRow, type EventRow, type LogRow, type SettingsRow, type WorkerRow, type WorkspaceRow,
} from './rows.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for throwaway stores. */
  readonly file: string;
  readonly clock: Clock;
  /** Background WAL checkpoints every so often (see checkpointer.ts); 0 leaves them to SQLite. Default 1000. */
  readonly checkpointIntervalMs?: number;
  /** Told when a background checkpoint fails (the fallback automatic checkpoint still bounds the WAL). */
  readonly onCheckpointError?: (message: string) => void;
  /**
   * How long one claim of due deadlines may run before it commits what it has (ms, default 40).
   * SQLite runs on the event loop: a count alone bounds a stall only on a fast, quiet machine.
   */
  readonly claimBudgetMs?: number;
}

const ACTIVITY_SELECT = 'SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid';

/** The whole system of record on SQLite: presence, administration, routing, the console, reports, callbacks, retention and gauges. */
export type SqliteStore = Store & RoutingStore & ConsoleStore & ReportStore & CallbackStore & RetentionStore & PresenceGaugeStore;

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  createOwnerOnly(options.file);
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  restrictToOwner(options.file);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const interval = options.checkpointIntervalMs ?? 1000;
  const checkpointer = interval > 0 && options.file !== ':memory:' ? startCheckpointer(db, options.file, interval, options.onCheckpointError ?? (() => undefined)) : null;
  const clock = options.clock;
  const claimBudgetMs = options.claimBudgetMs ?? 40;
  const writer = new PresenceWriter(db);
  const routingWriter = new RoutingWriter(db, (event) => writer.recordEvent(event));
  writer.attachRouting(routingWriter);
  const transferWriter = new TransferWriter(db, routingWriter);
  routingWriter.attachTransfers(transferWriter);
  writer.attachOutbox(new CallbackOutbox(db));
  const holds = new OutageHolds(db, (event) => writer.recordEvent(event));
  const tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  const prepare = cachedPrepare(db);

  const q = {
    account: prepare<[string], AccountRow>('SELECT * FROM accounts WHERE sid = ?'),
    apiKey: prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE sid = ?'),
    workspace: prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
    activities: prepare<[string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? ORDER BY a.created_at, a.rowid`),
    activity: prepare<[string, string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? AND a.sid = ?`),
    settings: prepare<[string], SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = ?'),
    worker: prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.sid = ?`),
    workerByName: prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.friendly_name = ?`),
    workers: prepare<[string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? ORDER BY w.created_at, w.rowid`),
    connection: prepare<[string], { worker_sid: string; opened_at: number }>('SELECT worker_sid, opened_at FROM connections WHERE id = ?'),
    dueDeadlines: prepare<[number, number], { worker_sid: string; deadline_id: number }>('SELECT worker_sid, deadline_id FROM deadlines WHERE due_at <= ? ORDER BY due_at LIMIT ?'),
    nextDue: prepare<[], { due_at: number | null }>('SELECT MIN(due_at) AS due_at FROM deadlines'),
    disconnectedWorkers: prepare<[string], { sid: string }>(`SELECT sid FROM workers WHERE workspace_sid = ? AND json_extract(presence, '$.disconnection') IS NOT NULL`),
    nodeConnections: prepare<[string], { id: string; worker_sid: string }>('SELECT id, worker_sid FROM connections WHERE node_id = ? ORDER BY worker_sid'),
    otherNodes: prepare<[string], { id: string; heartbeat_at: number }>('SELECT id, heartbeat_at FROM nodes WHERE id <> ? AND retired_at IS NULL'),
  };

  /** Removes a connection row and feeds its end to the worker's machine. */
  const endOne = (connectionId: string, reason: DisconnectReason, lastSeenAt: number, at: number): PresenceCommit | null => {
    const conn = q.connection.get(connectionId);
    if (!conn) return null;
    // Opening is itself a sign of life, and nothing is seen after now.
    const seen = Math.min(Math.max(lastSeenAt, conn.opened_at), at);
    return writer.run(conn.worker_sid, at, { type: 'connection-ended', at, connectionId, reason, lastSeenAt: seen });
  };

  const endNodeConnections = (nodeId: string, reason: DisconnectReason, lastSeenAt: number, at: number): PresenceCommit[] => {
    const commits: PresenceCommit[] = [];
    for (const c of q.nodeConnections.all(nodeId)) {
      const commit = endOne(c.id, reason, lastSeenAt, at);
      if (commit) commits.push(commit);
    }
    return commits;
  };

  const store: SqliteStore = {
    ...createAdminQueries(db, clock, writer, holds),
    ...createOutageHoldVerbs(db, clock, holds),
    ...createRoutingCatalog(db, clock, routingWriter),
    ...createRoutingTasks(db, clock, writer, routingWriter),
    ...createTransferVerbs(db, clock, routingWriter, transferWriter),
    ...createConsoleQueries(db, clock),
    ...createReportQueries(db),
    ...createWorkspaceQueries(db, clock),
    ...createWorkerChange(db, clock, writer),
    ...createRetentionQueries(db),
    ...createTaskListing(db),
    ...createCallbackQueries(db, clock),
    ...createGaugeQueries(db),
    async createAccount(friendlyName) {
      const account: Account = { sid: newSid('account'), friendlyName, authToken: newSecret(), createdAt: clock.now() };
      prepare('INSERT INTO accounts (sid, friendly_name, auth_token, created_at) VALUES (?, ?, ?, ?)').run(account.sid, friendlyName, account.authToken, account.createdAt);
      return account;
    },
    async createApiKey(accountSid, friendlyName) {
      const key: ApiKey = { sid: newSid('apiKey'), accountSid, friendlyName, secret: newSecret(), createdAt: clock.now(), revokedAt: null };
      prepare('INSERT INTO api_keys (sid, account_sid, friendly_name, secret, created_at) VALUES (?, ?, ?, ?, ?)').run(key.sid, accountSid, friendlyName, key.secret, key.createdAt);
      return key;
    },
    async findAccount(sid) {
      const row = q.account.get(sid);
      return row ? toAccount(row) : null;
    },
    async findApiKey(sid) {
      const row = q.apiKey.get(sid);
      return row ? toApiKey(row) : null;
    },
    async listAccounts() {
      return prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, rowid').all().map(toAccount);
    },
    async listApiKeys(accountSid) {
      return prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE account_sid = ? ORDER BY created_at, rowid').all(accountSid).map(toApiKey);
    },
    async listWorkspaces(accountSid) {
      const rows = accountSid === undefined
        ? prepare<[], WorkspaceRow>('SELECT * FROM workspaces ORDER BY created_at, rowid').all()
        : prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE account_sid = ? ORDER BY created_at, rowid').all(accountSid);
      return rows.map(toWorkspace);
    },
    async findWorkspace(sid) {
      const row = q.workspace.get(sid);
      return row ? toWorkspace(row) : null;
    },
    async listActivities(workspaceSid) {
      return q.activities.all(workspaceSid).map(toActivity);
    },
    async findActivity(workspaceSid, sid) {
      const row = q.activity.get(workspaceSid, sid);
      return row ? toActivity(row) : null;
    },
    async logoutSettings(workspaceSid) {
      const row = q.settings.get(workspaceSid);
      if (!row) throw new Error(`store integrity: workspace ${workspaceSid} has no logout settings`);
      return toSettings(row);
    },

    async createWorker(input) {
      return tx((): Result<PresenceCommit> => {
        const workspace = q.workspace.get(input.workspaceSid);
        if (!workspace) return refuse('not-found', `Workspace ${input.workspaceSid} was not found`);
        const activitySid = input.activitySid ?? workspace.default_activity_sid;
        if (!q.activity.get(input.workspaceSid, activitySid)) return refuse('invalid-parameter', `ActivitySid ${activitySid} is not an activity of this workspace`, 'ActivitySid');
        if (q.workerByName.get(input.workspaceSid, input.friendlyName)) return refuse('conflict', `A worker named ${input.friendlyName} already exists`, 'FriendlyName');
        const at = clock.now();
        const sid = newSid('worker');
        prepare('INSERT INTO workers (sid, workspace_sid, friendly_name, attributes, activity_sid, created_at, updated_at, status_changed_at, version, presence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)')
          .run(sid, input.workspaceSid, input.friendlyName, input.attributes, activitySid, at, at, at, JSON.stringify(INITIAL_STORED_PRESENCE));
        // One WorkerChannel per TaskChannel of the workspace, capacity 1 and available.
        prepare(`INSERT INTO worker_channels (sid, worker_sid, task_channel_sid, capacity, available, created_at, updated_at)
          SELECT 'WC' || lower(hex(randomblob(16))), ?, sid, 1, 1, ?, ? FROM task_channels WHERE workspace_sid = ?`).run(sid, at, at, input.workspaceSid);
        const logged = prepare('INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at) VALUES (?, ?, NULL, ?, ?, ?, NULL, ?, ?)')
          .run(input.workspaceSid, sid, activitySid, 'created', input.actor, at, at);
        writer.rollup.logged({ id: logged.lastInsertRowid, workerSid: sid, toActivitySid: activitySid, cause: 'created', effectiveAt: at });
        const worker = toWorker(q.worker.get(input.workspaceSid, sid) as WorkerRow);
        const event = workerEvent({ sid: newSid('event'), workspace: toWorkspace(workspace), at, actor: input.actor }, worker, 'worker.created');
        writer.recordEvent(event);
        return ok({ worker, outputs: [], events: [event] });
      });
    },
    async findWorker(workspaceSid, sid) {
      const row = q.worker.get(workspaceSid, sid);
      return row ? toWorker(row) : null;
    },
    async findWorkerByName(workspaceSid, friendlyName) {
      const row = q.workerByName.get(workspaceSid, friendlyName);
      return row ? toWorker(row) : null;
    },
    async listWorkers(workspaceSid) {
      return q.workers.all(workspaceSid).map(toWorker);
    },
    async openConnection(opening: ConnectionOpening) {
      return tx((): Result<PresenceCommit> => {
        if (!q.worker.get(opening.workspaceSid, opening.workerSid)) return refuse('not-found', `Worker ${opening.workerSid} was not found`);
        const node = prepare<[string], { retired_at: number | null }>('SELECT retired_at FROM nodes WHERE id = ?').get(opening.nodeId);
        if (!node || node.retired_at !== null) throw new Error(`node ${opening.nodeId} is not registered or was retired; it may not hold connections`);
        const at = clock.now();
        const commit = writer.run(opening.workerSid, at, { type: 'connection-opened', at, connection: { id: opening.connectionId, exempt: opening.exempt } }, opening.nodeId);
        if (!commit) throw new Error(`worker ${opening.workerSid} vanished inside its own transaction`);
        return ok(commit);
      });
    },
    async endConnection(ending: ConnectionEnding) {
      return tx(() => {
        const at = clock.now();
        const commit = endOne(ending.connectionId, ending.reason, ending.lastSeenAt, at);
        return commit ? (holds.afterDisconnections([commit], at)[0] ?? null) : null;
      });
    },
    async endConnections(endings: readonly ConnectionEnding[]) {
      return tx(() => {
        const at = clock.now();
        const commits: PresenceCommit[] = [];
        for (const e of endings) {
          const commit = endOne(e.connectionId, e.reason, e.lastSeenAt, at);
          if (commit) commits.push(commit);
        }
        return holds.afterDisconnections(commits, at);
      });
    },
    async setActivity(request: ActivityChangeRequest) {
      return tx((): Result<PresenceCommit> => {
        const row = q.worker.get(request.workspaceSid, request.workerSid);
        if (!row) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        const activity = q.activity.get(request.workspaceSid, request.activitySid);
        if (!activity) return refuse('invalid-parameter', `ActivitySid ${request.activitySid} is not an activity of this workspace`, 'ActivitySid');
        if (request.ifMatchVersion !== undefined && request.ifMatchVersion !== row.version) {
          return refuse('version-mismatch', `Worker ${request.workerSid} is at version ${row.version}, not ${request.ifMatchVersion}`);
        }
        if (request.rejectPendingReservations && activity.available === 1) {
          return refuse('invalid-parameter', 'RejectPendingReservations is only allowed when moving to an unavailable activity', 'RejectPendingReservations');
        }
        const at = clock.now();
        const commit = writer.run(request.workerSid, at, {
          type: 'activity-set', at, activity: { sid: activity.sid, available: activity.available === 1 },
          cause: request.cause, actor: request.actor, rejectPendingReservations: request.rejectPendingReservations,
        });
        if (!commit) throw new Error(`worker ${request.workerSid} vanished inside its own transaction`);
        return ok(commit);
      });
    },
    async claimDueDeadlines(limit) {
      return tx(() => {
        const at = clock.now();
        const until = performance.now() + claimBudgetMs;
        const commits: PresenceCommit[] = [];
        // Fewer than `limit` when the budget runs out: the scheduler then re-reads the earliest
        // due time, which is already past, and claims the rest after a turn of the loop.
        for (const due of q.dueDeadlines.all(at, limit)) {
          // A deadline the breaker held logs out like any other; its evidence names the hold.
          const breaker = holds.evidenceFor(due.worker_sid, due.deadline_id);
          const commit = writer.run(due.worker_sid, at, { type: 'due-time-reached', at, deadlineId: due.deadline_id, breaker });
          if (commit) commits.push(commit);
          if (performance.now() > until) break;
        }
        return commits;
      });
    },
    async nextDueAt() {
      return q.nextDue.get()?.due_at ?? null;
    },
    async updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string) {
      return tx((): Result<{ settings: LogoutSettings; commits: PresenceCommit[] }> => {
        const row = q.settings.get(workspaceSid);
        if (!row) return refuse('not-found', `Workspace ${workspaceSid} was not found`);
        const at = clock.now();
        const result = applyLogoutSettingsPatch(toSettings(row), patch, q.activities.all(workspaceSid).map(toActivity), at);
        if (!result.ok) return result;
        const s = result.value;
        prepare('UPDATE logout_settings SET logout_activity_sid = ?, enabled = ?, threshold_ms = ?, updated_at = ?, updated_by = ? WHERE workspace_sid = ?')
          .run(s.logoutActivitySid, s.enabled ? 1 : 0, s.thresholdMs, at, actor, workspaceSid);
        // Rule 9: the new settings apply at once to every pending disconnection.
        const commits: PresenceCommit[] = [];
        for (const w of q.disconnectedWorkers.all(workspaceSid)) {
          const commit = writer.run(w.sid, at, { type: 'policy-changed', at });
          if (commit && commit.outputs.length > 0) commits.push(commit);
        }
        // Deadlines an outage hold holds stay held, at their new ordinary time or the hold's end.
        const moved = holds.reapply(workspaceSid);
        return ok({ settings: { ...s, updatedBy: actor }, commits: commits.map((c) => withDueTimes(c, moved)) });
      });
    },

    async registerNode(nodeId) {
      const at = clock.now();
      prepare('INSERT INTO nodes (id, started_at, heartbeat_at) VALUES (?, ?, ?)').run(nodeId, at, at);
    },
    async heartbeatNode(nodeId) {
      prepare('UPDATE nodes SET heartbeat_at = ? WHERE id = ? AND retired_at IS NULL').run(clock.now(), nodeId);
    },
    async reapNodes(liveNodeId, reason) {
      return tx(() => {
        const at = clock.now();
        const commits: PresenceCommit[] = [];
        for (const node of q.otherNodes.all(liveNodeId)) {
          // Rule 11: a dead process's connections are lost at its last stored heartbeat.
          commits.push(...endNodeConnections(node.id, reason, node.heartbeat_at, at));
          prepare('UPDATE nodes SET retired_at = ? WHERE id = ?').run(at, node.id);
        }
        return holds.afterDisconnections(commits, at);
      });
    },
    async retireNode(nodeId, reason) {
      return tx(() => {
        const at = clock.now();
        const commits = endNodeConnections(nodeId, reason, at, at);
        prepare('UPDATE nodes SET retired_at = ?, heartbeat_at = ? WHERE id = ?').run(at, at, nodeId);
        return holds.afterDisconnections(commits, at);
      });
    },

    async activityLog(workspaceSid, filter = {}) {
      return prepare<[string, string | null, string | null, number], LogRow>(
        'SELECT * FROM activity_log WHERE workspace_sid = ? AND (? IS NULL OR worker_sid = ?) AND id > ? ORDER BY id',
      ).all(workspaceSid, filter.workerSid ?? null, filter.workerSid ?? null, filter.sinceId ?? 0).map(toLogEntry);
    },
    async disconnectEpisodes(workspaceSid, filter = {}) {
      return prepare<[string, string | null, string | null], EpisodeRow>(
        'SELECT * FROM disconnect_episodes WHERE workspace_sid = ? AND (? IS NULL OR worker_sid = ?) ORDER BY id',
      ).all(workspaceSid, filter.workerSid ?? null, filter.workerSid ?? null).map(toEpisode);
    },
    async events(workspaceSid, filter = {}) {
      return prepare<Record<string, unknown>, EventRow>(`SELECT * FROM events WHERE workspace_sid = @ws AND (@worker IS NULL OR resource_sid = @worker)
        AND (@endAt IS NULL OR at <= @endAt) AND (@types IS NULL OR event_type IN (SELECT value FROM json_each(@types))) ORDER BY seq`)
        .all({ ws: workspaceSid, worker: filter.workerSid ?? null, endAt: filter.endAt ?? null, types: filter.eventTypes ? JSON.stringify(filter.eventTypes) : null })
        .map(toEvent);
    },
    async close() {
      await checkpointer?.stop();
      db.close();
    },
  };
  return store;
}

