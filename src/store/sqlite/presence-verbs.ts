/**
 * The presence port (PresenceStore) on SQLite, but for `changeWorker` (worker-change.ts): workers,
 * connections, activity changes, due deadlines and logout settings. Each verb that changes
 * anything is one IMMEDIATE transaction running the presence machine under the worker's row
 * (presence-writer.ts).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { workerEvent } from '../../core/events.js';
import { refuse, ok, type Result } from '../../core/errors.js';
import { applyLogoutSettingsPatch, type LogoutSettingsPatch } from '../../core/logout-settings.js';
import type { DisconnectReason } from '../../core/presence.js';
import type { LogoutSettings } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type {
  ActivityChangeRequest, Clock, ConnectionEnding, ConnectionOpening, PresenceCommit, PresenceStore,
} from '../../service/ports.js';
import { ACTIVITY_SELECT } from './account-queries.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';
import { withDueTimes, type OutageHolds } from './outage-hold.js';
import { WORKER_SELECT, type PresenceWriter } from './presence-writer.js';
import {
  INITIAL_STORED_PRESENCE, toActivity, toSettings, toWorker, toWorkspace,
  type ActivityRow, type SettingsRow, type WorkerRow, type WorkspaceRow,
} from './rows.js';

/** Ends one connection: removes its row and feeds its end to the worker's machine (inside the caller's transaction). */
export type EndConnection = (connectionId: string, reason: DisconnectReason, lastSeenAt: number, at: number) => PresenceCommit | null;

export function connectionEnder(db: BetterSqlite3.Database, writer: PresenceWriter): EndConnection {
  const connection = cachedPrepare(db)<[string], { worker_sid: string; opened_at: number }>('SELECT worker_sid, opened_at FROM connections WHERE id = ?');
  return (connectionId, reason, lastSeenAt, at) => {
    const conn = connection.get(connectionId);
    if (!conn) return null;
    // Opening is itself a sign of life, and nothing is seen after now.
    const seen = Math.min(Math.max(lastSeenAt, conn.opened_at), at);
    return writer.run(conn.worker_sid, at, { type: 'connection-ended', at, connectionId, reason, lastSeenAt: seen });
  };
}

export interface PresenceVerbOptions {
  /**
   * How long one transaction of a batch verb (a claim of due deadlines, a batch of connection ends)
   * may hold the event loop before it commits what it has (ms).
   */
  readonly claimBudgetMs: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Due deadlines read per statement while claiming. */
const DUE_CHUNK = 64;

export function createPresenceVerbs(
  db: BetterSqlite3.Database, clock: Clock, writer: PresenceWriter, holds: OutageHolds, options: PresenceVerbOptions,
): Omit<PresenceStore, 'changeWorker'> {
  const prepare = cachedPrepare(db);
  const endOne = connectionEnder(db, writer);
  const q = {
    workspace: prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
    activities: prepare<[string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? ORDER BY a.created_at, a.rowid`),
    activity: prepare<[string, string], ActivityRow>(`${ACTIVITY_SELECT} WHERE a.workspace_sid = ? AND a.sid = ?`),
    settings: prepare<[string], SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = ?'),
    worker: prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.sid = ?`),
    workerByName: prepare<[string, string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? AND w.friendly_name = ?`),
    workers: prepare<[string], WorkerRow>(`${WORKER_SELECT} WHERE w.workspace_sid = ? ORDER BY w.created_at, w.rowid`),
    dueDeadlines: prepare<[number, number], { worker_sid: string; deadline_id: number }>('SELECT worker_sid, deadline_id FROM deadlines WHERE due_at <= ? ORDER BY due_at LIMIT ?'),
    nextDue: prepare<[], { due_at: number | null }>('SELECT MIN(due_at) AS due_at FROM deadlines'),
    disconnectedWorkers: prepare<[string], { sid: string }>(`SELECT sid FROM workers WHERE workspace_sid = ? AND json_extract(presence, '$.disconnection') IS NOT NULL`),
    node: prepare<[string], { retired_at: number | null }>('SELECT retired_at FROM nodes WHERE id = ?'),
  };
  /** Opens a batch of connections in one transaction (see PresenceStore.openConnections). */
  const openMany = async (openings: readonly ConnectionOpening[]): Promise<Result<PresenceCommit>[]> => {
    if (openings.length === 0) return [];
    return writeTx(db, () => {
      for (const nodeId of new Set(openings.map((o) => o.nodeId))) {
        const node = q.node.get(nodeId);
        if (!node || node.retired_at !== null) throw new Error(`node ${nodeId} is not registered or was retired; it may not hold connections`);
      }
      const at = clock.now();
      return writer.batch(() => openings.map((o): Result<PresenceCommit> => {
        if (!q.worker.get(o.workspaceSid, o.workerSid)) return refuse('not-found', `Worker ${o.workerSid} was not found`);
        const commit = writer.run(o.workerSid, at, { type: 'connection-opened', at, connection: { id: o.connectionId, exempt: o.exempt } }, o.nodeId);
        if (!commit) throw new Error(`worker ${o.workerSid} vanished inside its own transaction`);
        return ok(commit);
      }));
    });
  };

  return {
    async logoutSettings(workspaceSid) {
      const row = q.settings.get(workspaceSid);
      if (!row) throw new Error(`store integrity: workspace ${workspaceSid} has no logout settings`);
      return toSettings(row);
    },
    async createWorker(input) {
      return writeTx(db, (): Result<PresenceCommit> => {
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
      return (await openMany([opening]))[0] as Result<PresenceCommit>;
    },
    async openConnections(openings: readonly ConnectionOpening[]) {
      return openMany(openings);
    },
    async endConnection(ending: ConnectionEnding) {
      return writeTx(db, () => {
        const at = clock.now();
        const commit = endOne(ending.connectionId, ending.reason, ending.lastSeenAt, at);
        return commit ? (holds.afterDisconnections([commit], at)[0] ?? null) : null;
      });
    },
    /**
     * In as many transactions as the loop budget needs, a turn of the event loop between them (a
     * mass close is thousands of ends, and SQLite runs on the loop). Each end is applied once: one
     * that an earlier transaction applied is unknown to a retry and does nothing.
     */
    async endConnections(endings: readonly ConnectionEnding[]) {
      const commits: PresenceCommit[] = [];
      let next = 0;
      while (next < endings.length) {
        if (next > 0) await nextTurn();
        commits.push(...writeTx(db, () => {
          const at = clock.now();
          const until = performance.now() + options.claimBudgetMs;
          const part: PresenceCommit[] = [];
          writer.batch(() => {
            while (next < endings.length) {
              const e = endings[next++] as ConnectionEnding;
              const commit = endOne(e.connectionId, e.reason, e.lastSeenAt, at);
              if (commit) part.push(commit);
              if (performance.now() > until) break;
            }
          });
          return holds.afterDisconnections(part, at);
        }));
      }
      return commits;
    },
    async setActivity(request: ActivityChangeRequest) {
      return writeTx(db, (): Result<PresenceCommit> => {
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
      return writeTx(db, () => {
        const at = clock.now();
        // SQLite runs on the event loop: a count alone bounds a stall only on a fast, quiet machine.
        const until = performance.now() + options.claimBudgetMs;
        const commits: PresenceCommit[] = [];
        // Fewer than `limit` when the budget runs out: the scheduler then re-reads the earliest
        // due time, which is already past, and claims the rest after a turn of the loop. Read in
        // small chunks: a budget ends after a few hundred, and reading a thousand each time cost
        // a twentieth of a mass logout. A logout deletes its deadline; `seen` ends the loop
        // should a row outlive its claim.
        const seen = new Set<string>();
        return writer.batch(() => {
          while (seen.size < limit) {
            const chunk = q.dueDeadlines.all(at, Math.min(DUE_CHUNK, limit - seen.size)).filter((d) => !seen.has(d.worker_sid));
            if (chunk.length === 0) break;
            for (const due of chunk) {
              seen.add(due.worker_sid);
              // A deadline the breaker held logs out like any other; its evidence names the hold.
              const breaker = holds.evidenceFor(due.worker_sid, due.deadline_id);
              const commit = writer.run(due.worker_sid, at, { type: 'due-time-reached', at, deadlineId: due.deadline_id, breaker });
              if (commit) commits.push(commit);
              if (performance.now() > until) return commits;
            }
          }
          return commits;
        });
      });
    },
    async nextDueAt() {
      return q.nextDue.get()?.due_at ?? null;
    },
    async updateLogoutSettings(workspaceSid: string, patch: LogoutSettingsPatch, actor: string) {
      return writeTx(db, (): Result<{ settings: LogoutSettings; commits: PresenceCommit[] }> => {
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
  };
}
