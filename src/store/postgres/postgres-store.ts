/**
 * The PostgreSQL store (several nodes, one database): `pg`, READ COMMITTED transactions with
 * explicit row locks, numbered migrations applied at open under an advisory lock. Every method is
 * one transaction (database.ts), so a verb either commits entirely or leaves nothing behind.
 * Time is the database's `clock_timestamp()`, read once per transaction; a node's clock never
 * decides a due time. Tests pass a Clock instead.
 */
import { refuse, ok, type Result } from '../../core/errors.js';
import { workerEvent } from '../../core/events.js';
import type { Account, ApiKey } from '../../core/resources.js';
import { newSecret, newSid } from '../../service/ids.js';
import type { CallbackStore } from '../../service/callback-ports.js';
import type { ConsoleStore } from '../../service/console-ports.js';
import type { PresenceGaugeStore } from '../../service/metrics.js';
import type { Clock, PresenceCommit, RetentionStore, Store } from '../../service/ports.js';
import type { ReportStore } from '../../service/report-ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import { WORKER_SELECT } from '../sqlite/presence-writer.js';
import {
  INITIAL_STORED_PRESENCE, toAccount, toActivity, toApiKey, toEpisode, toEvent, toLogEntry, toSettings, toWorker, toWorkspace,
  type AccountRow, type ActivityRow, type ApiKeyRow, type EpisodeRow, type EventRow, type LogRow, type SettingsRow, type WorkerRow, type WorkspaceRow,
} from '../sqlite/rows.js';
import { createAdminQueries } from './admin-queries.js';
import { createCallbackQueries, createGaugeQueries } from './callback-queries.js';
import { createConsoleQueries } from './console-queries.js';
import { appendLog } from './activity-rollup.js';
import { PgDatabase } from './database.js';
import { recordEvent } from './event-log.js';
import { migrate } from './migrations.js';
import { createOutageHoldVerbs } from './outage-hold.js';
import { createPresenceVerbs } from './presence-verbs.js';
import { PgPresenceWriter } from './presence-writer.js';
import { createReportQueries } from './report-queries.js';
import { createRetentionQueries } from './retention-queries.js';
import { createRoutingCatalog } from './routing-catalog.js';
import { createRoutingOffers } from './routing-offers.js';
import { createRoutingTasks } from './routing-tasks.js';
import { createTransferVerbs, PgTransferWriter } from './routing-transfers.js';
import { PgRoutingWriter } from './routing-writer.js';
import { createTaskListing } from './task-listing.js';
import { createWorkerChange } from './worker-change.js';
import { createWorkspaceQueries } from './workspace-queries.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` */
  readonly url: string;
  /** Absent in production (the database clock); tests pass a ManualClock. */
  readonly clock?: Clock;
  /** Connections in this node's pool. Default 8. */
  readonly poolSize?: number;
  /** A node whose last heartbeat is older than this is dead and its connections are reaped. Default 15 000. */
  readonly nodeLeaseMs?: number;
  /** Extra libpq options (tests: `-c search_path=<schema>`). */
  readonly pgOptions?: string;
  /** Told when an idle pooled connection fails; the composition root logs it. */
  readonly onConnectionError?: (message: string) => void;
}

const ACTIVITY_SELECT = 'SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid';

/** The whole system of record on PostgreSQL, as SqliteStore has it: presence, administration, routing, the console, reports, callbacks, retention and gauges. */
export type PostgresStore = Store & RoutingStore & ConsoleStore & ReportStore & CallbackStore & RetentionStore & PresenceGaugeStore;

/** Opens the pool and brings the schema up to date (waiting for another node that is migrating). */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const db = new PgDatabase({ url: options.url, clock: options.clock, poolSize: options.poolSize, pgOptions: options.pgOptions, onConnectionError: options.onConnectionError });
  try {
    await migrate(db.pool);
  } catch (error) {
    await db.close();
    throw error;
  }
  const routing = new PgRoutingWriter();
  const transfers = new PgTransferWriter(routing);
  routing.attachTransfers(transfers);
  const writer = new PgPresenceWriter(routing);
  const sql = db.sql;

  const store: PostgresStore = {
    ...createAdminQueries(db),
    ...createWorkspaceQueries(db),
    ...createWorkerChange(db, writer),
    ...createPresenceVerbs(db, writer, { nodeLeaseMs: options.nodeLeaseMs ?? 15_000 }),
    ...createOutageHoldVerbs(db),
    ...createRoutingCatalog(db, routing),
    ...createRoutingTasks(db, writer, routing),
    ...createTaskListing(db),
    ...createRoutingOffers(db, writer, routing),
    ...createTransferVerbs(db, routing, transfers),
    ...createConsoleQueries(db),
    ...createReportQueries(db.sql),
    ...createRetentionQueries(db),
    ...createCallbackQueries(db),
    ...createGaugeQueries(db),
    async createAccount(friendlyName) {
      return db.tx(async (tx) => {
        const account: Account = { sid: newSid('account'), friendlyName, authToken: newSecret(), createdAt: tx.now };
        await tx.run('INSERT INTO accounts (sid, friendly_name, auth_token, created_at) VALUES ($1, $2, $3, $4)', [account.sid, friendlyName, account.authToken, account.createdAt]);
        return account;
      });
    },
    async createApiKey(accountSid, friendlyName) {
      return db.tx(async (tx) => {
        const key: ApiKey = { sid: newSid('apiKey'), accountSid, friendlyName, secret: newSecret(), createdAt: tx.now, revokedAt: null };
        await tx.run('INSERT INTO api_keys (sid, account_sid, friendly_name, secret, created_at) VALUES ($1, $2, $3, $4, $5)', [key.sid, accountSid, friendlyName, key.secret, key.createdAt]);
        return key;
      });
    },
    async findAccount(sid) {
      const row = await sql.one<AccountRow>('SELECT * FROM accounts WHERE sid = $1', [sid]);
      return row ? toAccount(row) : null;
    },
    async findApiKey(sid) {
      const row = await sql.one<ApiKeyRow>('SELECT * FROM api_keys WHERE sid = $1', [sid]);
      return row ? toApiKey(row) : null;
    },
    async listAccounts() {
      return (await sql.rows<AccountRow>('SELECT * FROM accounts ORDER BY created_at, seq')).map(toAccount);
    },
    async listApiKeys(accountSid) {
      return (await sql.rows<ApiKeyRow>('SELECT * FROM api_keys WHERE account_sid = $1 ORDER BY created_at, seq', [accountSid])).map(toApiKey);
    },
    async listWorkspaces(accountSid) {
      const rows = await sql.rows<WorkspaceRow>('SELECT * FROM workspaces WHERE ($1::text IS NULL OR account_sid = $1) ORDER BY created_at, seq', [accountSid ?? null]);
      return rows.map(toWorkspace);
    },
    async findWorkspace(sid) {
      const row = await sql.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1', [sid]);
      return row ? toWorkspace(row) : null;
    },
    async listActivities(workspaceSid) {
      return (await sql.rows<ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = $1 ORDER BY a.created_at, a.seq`, [workspaceSid])).map(toActivity);
    },
    async findActivity(workspaceSid, sid) {
      const row = await sql.one<ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = $1 AND a.sid = $2`, [workspaceSid, sid]);
      return row ? toActivity(row) : null;
    },
    async logoutSettings(workspaceSid) {
      const row = await sql.one<SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = $1', [workspaceSid]);
      if (!row) throw new Error(`store integrity: workspace ${workspaceSid} has no logout settings`);
      return toSettings(row);
    },

    async createWorker(input) {
      return db.tx(async (tx): Promise<Result<PresenceCommit>> => {
        // Two creations of one name apply in turn (a lock on the name, not the workspace: creations of
        // other names go on beside it, and so do the changes whose rows refer to the workspace). The
        // workspace's row is held against deletion only.
        const [workspace] = await Promise.all([
          tx.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1 FOR KEY SHARE', [input.workspaceSid]),
          tx.one("SELECT pg_advisory_xact_lock(hashtextextended('rollcall:worker-name:' || current_schema() || ':' || $1 || ':' || $2, 0))", [input.workspaceSid, input.friendlyName]),
        ]);
        if (!workspace) return refuse('not-found', `Workspace ${input.workspaceSid} was not found`);
        const activitySid = input.activitySid ?? workspace.default_activity_sid;
        if (!(await tx.one(`${ACTIVITY_SELECT} WHERE a.workspace_sid = $1 AND a.sid = $2`, [input.workspaceSid, activitySid]))) {
          return refuse('invalid-parameter', `ActivitySid ${activitySid} is not an activity of this workspace`, 'ActivitySid');
        }
        if (await tx.one('SELECT 1 FROM workers WHERE workspace_sid = $1 AND friendly_name = $2', [input.workspaceSid, input.friendlyName])) {
          return refuse('conflict', `A worker named ${input.friendlyName} already exists`, 'FriendlyName');
        }
        const at = tx.now;
        const sid = newSid('worker');
        await tx.run(`INSERT INTO workers (sid, workspace_sid, friendly_name, attributes, activity_sid, created_at, updated_at, status_changed_at, version, presence)
          VALUES ($1, $2, $3, $4, $5, $6, $6, $6, 1, $7)`, [sid, input.workspaceSid, input.friendlyName, input.attributes, activitySid, at, JSON.stringify(INITIAL_STORED_PRESENCE)]);
        // One WorkerChannel per TaskChannel of the workspace, capacity 1 and available.
        await tx.run(`INSERT INTO worker_channels (sid, worker_sid, task_channel_sid, capacity, available, created_at, updated_at)
          SELECT 'WC' || replace(gen_random_uuid()::text, '-', ''), $1, tc.sid, 1, 1, $2, $2 FROM task_channels tc WHERE tc.workspace_sid = $3 ORDER BY tc.seq`,
        [sid, at, input.workspaceSid]);
        await appendLog(tx, { workspaceSid: input.workspaceSid, workerSid: sid, fromActivitySid: null, toActivitySid: activitySid, cause: 'created', actor: input.actor,
          evidence: null, effectiveAt: at, recordedAt: at });
        const row = await tx.one<WorkerRow>(`${WORKER_SELECT} WHERE w.sid = $1`, [sid]);
        if (!row) throw new Error(`worker ${sid} vanished inside its own transaction`);
        const worker = toWorker(row);
        const event = workerEvent({ sid: newSid('event'), workspace: toWorkspace(workspace), at, actor: input.actor }, worker, 'worker.created');
        await recordEvent(tx, event);
        return ok({ worker, outputs: [], events: [event] });
      });
    },
    async findWorker(workspaceSid, sid) {
      const row = await sql.one<WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = $1 AND w.sid = $2`, [workspaceSid, sid]);
      return row ? toWorker(row) : null;
    },
    async findWorkerByName(workspaceSid, friendlyName) {
      const row = await sql.one<WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = $1 AND w.friendly_name = $2`, [workspaceSid, friendlyName]);
      return row ? toWorker(row) : null;
    },
    async listWorkers(workspaceSid) {
      return (await sql.rows<WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = $1 ORDER BY w.created_at, w.seq`, [workspaceSid])).map(toWorker);
    },

    async activityLog(workspaceSid, filter = {}) {
      return (await sql.rows<LogRow>('SELECT * FROM activity_log WHERE workspace_sid = $1 AND ($2::text IS NULL OR worker_sid = $2) AND id > $3 ORDER BY id',
        [workspaceSid, filter.workerSid ?? null, filter.sinceId ?? 0])).map(toLogEntry);
    },
    async disconnectEpisodes(workspaceSid, filter = {}) {
      return (await sql.rows<EpisodeRow>('SELECT * FROM disconnect_episodes WHERE workspace_sid = $1 AND ($2::text IS NULL OR worker_sid = $2) ORDER BY id',
        [workspaceSid, filter.workerSid ?? null])).map(toEpisode);
    },
    async events(workspaceSid, filter = {}) {
      return (await sql.rows<EventRow>(`SELECT * FROM events WHERE workspace_sid = $1 AND ($2::text IS NULL OR resource_sid = $2)
        AND ($3::int8 IS NULL OR at <= $3) AND ($4::text[] IS NULL OR event_type = ANY($4::text[])) ORDER BY seq`,
      [workspaceSid, filter.workerSid ?? null, filter.endAt ?? null, filter.eventTypes ? [...filter.eventTypes] : null])).map(toEvent);
    },
    async close() {
      await db.close();
    },
  };
  return store;
}
