/**
 * Runs the presence machine for one worker inside the caller's SQLite transaction: loads the
 * worker's state, calls the pure `transition`, and persists the next state and every output
 * (deadline, activity log, disconnection episode, events). The worker row is the serialisation
 * point: every presence change of a worker goes through here.
 */
import { createRollupKeeper, type RollupKeeper } from './activity-rollup.js';
import type { CallbackOutbox } from './callback-outbox.js';
import type BetterSqlite3 from 'better-sqlite3';
import { workerActivityEvent } from '../../core/events.js';
import { toLogoutPolicy } from '../../core/logout-settings.js';
import { PERSON_CAUSES, transition, type PresenceInput, type PresenceOutput, type PresenceState } from '../../core/presence.js';
import type { Activity, Worker, Workspace, WorkspaceEvent } from '../../core/resources.js';
import { routingPresence } from '../../core/routing.js';
import { newSid } from '../../service/ids.js';
import type { PresenceCommit } from '../../service/ports.js';
import { newEffects, type RoutingEffects, type RoutingWriter } from './routing-writer.js';
import {
  toActivity, toDeadline, toSettings, toWorker, toWorkspace,
  type ActivityRow, type SettingsRow, type StoredPresence, type WorkerRow, type WorkspaceRow,
} from './rows.js';

/** The columns of a WorkerRow, and the joins they come from (aliases w, ws, a, d). */
export const WORKER_COLUMNS = `
         w.sid, w.workspace_sid, ws.account_sid, w.friendly_name, w.attributes, w.activity_sid,
         a.friendly_name AS activity_name, a.available AS activity_available, w.created_at, w.updated_at,
         w.status_changed_at, w.version, w.presence, d.deadline_id, d.due_at`;
export const WORKER_FROM = `
    FROM workers w
    JOIN workspaces ws ON ws.sid = w.workspace_sid
    JOIN activities a ON a.sid = w.activity_sid
    LEFT JOIN deadlines d ON d.worker_sid = w.sid`;
export const WORKER_SELECT = `SELECT ${WORKER_COLUMNS} ${WORKER_FROM}`;

/** A workspace with its logout settings and logout activity, as `run` needs them. */
type ContextRow = WorkspaceRow & { s_logout: string; s_enabled: number; s_threshold: number; s_updated: number; a_name: string; a_available: number; a_created: number; a_updated: number };

export class PresenceWriter {
  private readonly q;
  private routing: RoutingWriter | null = null;
  private outbox: CallbackOutbox | null = null;
  /** The activity roll-up, kept in the same transaction as every log entry (reports read it). */
  readonly rollup: RollupKeeper;
  /** Workspace contexts read during `batch` (a batch changes no workspace or setting). */
  private contexts: Map<string, ContextRow | undefined> | null = null;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.rollup = createRollupKeeper(db);
    this.q = {
      worker: db.prepare<[string], WorkerRow>(`${WORKER_SELECT} WHERE w.sid = ?`),
      connections: db.prepare<[string], { id: string; exempt: number }>('SELECT id, exempt FROM connections WHERE worker_sid = ? ORDER BY opened_at, id'),
      workspace: db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
      settings: db.prepare<[string], SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = ?'),
      activity: db.prepare<[string], ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.sid = ?'),
      // Everything the machine needs besides the worker, in one statement (a logout burst runs this per worker).
      context: db.prepare<[string], ContextRow>(
        `SELECT ws.*, s.logout_activity_sid AS s_logout, s.enabled AS s_enabled, s.threshold_ms AS s_threshold, s.updated_at AS s_updated,
                a.friendly_name AS a_name, a.available AS a_available, a.created_at AS a_created, a.updated_at AS a_updated
           FROM workspaces ws JOIN logout_settings s ON s.workspace_sid = ws.sid JOIN activities a ON a.sid = s.logout_activity_sid WHERE ws.sid = ?`),
      activityName: db.prepare<[string], { friendly_name: string; available: number }>('SELECT friendly_name, available FROM activities WHERE sid = ?'),
      addConnection: db.prepare('INSERT INTO connections (id, worker_sid, node_id, exempt, opened_at) VALUES (?, ?, ?, ?, ?)'),
      removeConnection: db.prepare('DELETE FROM connections WHERE id = ?'),
      saveWorker: db.prepare('UPDATE workers SET activity_sid = ?, status_changed_at = ?, presence = ?, version = ?, updated_at = ? WHERE sid = ?'),
      setDeadline: db.prepare('INSERT INTO deadlines (worker_sid, deadline_id, due_at) VALUES (?, ?, ?) ON CONFLICT(worker_sid) DO UPDATE SET deadline_id = excluded.deadline_id, due_at = excluded.due_at'),
      clearDeadline: db.prepare('DELETE FROM deadlines WHERE worker_sid = ? AND deadline_id = ?'),
      log: db.prepare('INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      openEpisode: db.prepare('INSERT INTO disconnect_episodes (workspace_sid, worker_sid, last_seen_at, detected_at, reason, exempt) VALUES (?, ?, ?, ?, ?, ?)'),
      endEpisode: db.prepare('UPDATE disconnect_episodes SET ended_at = ?, outcome = COALESCE(outcome, ?) WHERE worker_sid = ? AND ended_at IS NULL'),
      markEpisode: db.prepare('UPDATE disconnect_episodes SET outcome = ? WHERE worker_sid = ? AND ended_at IS NULL AND outcome IS NULL'),
      markLoggedOut: db.prepare("UPDATE disconnect_episodes SET outcome = 'logged-out', logged_out_at = ? WHERE worker_sid = ? AND ended_at IS NULL AND outcome IS NULL"),
      event: db.prepare(`INSERT INTO events (sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at)
                         VALUES (@sid, @accountSid, @workspaceSid, @eventType, @resourceType, @resourceSid, @actorType, @actorSid, @description, @data, @cause, @evidence, @at)`),
    };
  }

  /** Lets a logout rescind the worker's pending offers in its own transaction (rule 6). */
  attachRouting(routing: RoutingWriter): void {
    this.routing = routing;
  }

  /** Callbacks owed for an event are written in the event's own transaction. */
  attachOutbox(outbox: CallbackOutbox): void {
    this.outbox = outbox;
  }

  /**
   * Runs `work` (many workers' changes inside one transaction that changes no workspace or
   * logout setting: a claim of due logouts, a batch of connection ends) reading each
   * workspace's context once instead of once per worker.
   */
  batch<T>(work: () => T): T {
    this.contexts = new Map();
    try {
      return work();
    } finally {
      this.contexts = null;
    }
  }

  loadWorker(workerSid: string): Worker | null {
    const row = this.q.worker.get(workerSid);
    return row ? toWorker(row) : null;
  }

  activity(sid: string): Activity | null {
    const row = this.q.activity.get(sid);
    return row ? toActivity(row) : null;
  }

  /** Stores an event in the same transaction; the caller publishes it after commit. */
  recordEvent(event: WorkspaceEvent): void {
    this.q.event.run({ ...event, data: JSON.stringify(event.data), evidence: event.evidence ? JSON.stringify(event.evidence) : null });
    this.outbox?.enqueue(event);
  }

  /**
   * Feeds one input to the worker's machine and persists the result, connections included (a
   * connection the machine added is stored on `nodeId`). `input` may be a function of the loaded
   * state, for inputs that depend on it.
   */
  run(
    workerSid: string,
    at: number,
    input: PresenceInput | ((state: PresenceState) => PresenceInput | null),
    nodeId: string | null = null,
  ): PresenceCommit | null {
    const row = this.q.worker.get(workerSid);
    if (!row) return null;
    const ctx = this.mustGet(this.context(row.workspace_sid), `workspace ${row.workspace_sid} with its logout settings`);
    const workspace = toWorkspace(ctx);
    const settings = toSettings({ workspace_sid: ctx.sid, logout_activity_sid: ctx.s_logout, enabled: ctx.s_enabled, threshold_ms: ctx.s_threshold, updated_at: ctx.s_updated });
    const logoutActivity = toActivity({ sid: ctx.s_logout, workspace_sid: ctx.sid, account_sid: ctx.account_sid, friendly_name: ctx.a_name, available: ctx.a_available, created_at: ctx.a_created, updated_at: ctx.a_updated });
    const state = this.loadState(row);
    const resolved = typeof input === 'function' ? input(state) : input;
    if (resolved === null) return { worker: toWorker(row), outputs: [], events: [], routingPresence: routingPresence(state.connections.length > 0, state.disconnection) };
    const next = transition(state, resolved, toLogoutPolicy(settings, logoutActivity));
    const activityChanged = next.state.activity.sid !== state.activity.sid || next.outputs.some((o) => o.type === 'activity-changed');
    const stored: StoredPresence = {
      endedLastSeenAt: next.state.endedLastSeenAt,
      disconnection: next.state.disconnection,
      nextDeadlineId: next.state.nextDeadlineId,
    };
    this.syncConnections(row.sid, state, next.state, nodeId, at);
    const version = activityChanged ? row.version + 1 : row.version;
    const updatedAt = activityChanged ? at : row.updated_at;
    this.q.saveWorker.run(next.state.activity.sid, next.state.activitySince, JSON.stringify(stored), version, updatedAt, row.sid);
    // The worker afterwards, built from what this transaction read and wrote (no second read).
    let worker = toWorker(row);
    if (activityChanged) {
      const to = next.state.activity.sid === logoutActivity.sid ? { friendly_name: logoutActivity.friendlyName } : this.q.activityName.get(next.state.activity.sid);
      worker = { ...worker, activitySid: next.state.activity.sid, activityName: to?.friendly_name ?? '', available: next.state.activity.available, version, updatedAt, statusChangedAt: next.state.activitySince };
    }
    const presence = routingPresence(next.state.connections.length > 0, next.state.disconnection);
    const effects = newEffects();
    const events = this.persistOutputs(row, worker, workspace, state, next.state, next.outputs, at, effects);
    if (effects.events.length === 0 && effects.touchedWorkers.size === 0) return { worker, outputs: next.outputs, events, routingPresence: presence };
    const routing = { events: effects.events, pushes: this.routing?.finalPushes(effects) ?? effects.pushes, presence: [], touchedWorkers: [...effects.touchedWorkers] };
    return { worker, outputs: next.outputs, events, routing, routingPresence: presence };
  }

  private context(workspaceSid: string): ContextRow | undefined {
    if (!this.contexts) return this.q.context.get(workspaceSid);
    if (!this.contexts.has(workspaceSid)) this.contexts.set(workspaceSid, this.q.context.get(workspaceSid));
    return this.contexts.get(workspaceSid);
  }

  private syncConnections(workerSid: string, before: PresenceState, after: PresenceState, nodeId: string | null, at: number): void {
    if (before.connections === after.connections) return;
    const kept = new Set(after.connections.map((c) => c.id));
    for (const c of before.connections) if (!kept.has(c.id)) this.q.removeConnection.run(c.id);
    const had = new Set(before.connections.map((c) => c.id));
    for (const c of after.connections) {
      if (had.has(c.id)) continue;
      if (nodeId === null) throw new Error(`connection ${c.id} was opened without a node`);
      this.q.addConnection.run(c.id, workerSid, nodeId, c.exempt ? 1 : 0, at);
    }
  }

  private loadState(row: WorkerRow): PresenceState {
    const stored = JSON.parse(row.presence) as StoredPresence;
    return {
      activity: { sid: row.activity_sid, available: row.activity_available === 1 },
      activitySince: row.status_changed_at,
      connections: this.q.connections.all(row.sid).map((c) => ({ id: c.id, exempt: c.exempt === 1 })),
      endedLastSeenAt: stored.endedLastSeenAt,
      disconnection: stored.disconnection,
      deadline: toDeadline(row),
      nextDeadlineId: stored.nextDeadlineId,
    };
  }

  private persistOutputs(
    row: WorkerRow, worker: Worker, workspace: Workspace, before: PresenceState, after: PresenceState, outputs: readonly PresenceOutput[], at: number, effects: RoutingEffects,
  ): WorkspaceEvent[] {
    const events: WorkspaceEvent[] = [];
    for (const out of outputs) {
      switch (out.type) {
        case 'deadline-set':
          this.q.setDeadline.run(row.sid, out.deadline.id, out.deadline.dueAt);
          break;
        case 'deadline-cleared':
          this.q.clearDeadline.run(row.sid, out.deadlineId);
          break;
        case 'disconnected':
          // Whether the session was exempt is kept for the threshold advisor's replay.
          this.q.openEpisode.run(row.workspace_sid, row.sid, out.lastSeenAt, out.detectedAt, out.reason, after.disconnection?.exempt ? 1 : 0);
          break;
        case 'reconnected':
          this.q.endEpisode.run(out.at, 'reconnected', row.sid);
          break;
        case 'activity-changed': {
          const logged = this.q.log.run(row.workspace_sid, row.sid, out.from.sid, out.to.sid, out.cause, out.actor,
            out.evidence ? JSON.stringify(out.evidence) : null, out.effectiveAt, at);
          this.rollup.logged({ id: logged.lastInsertRowid, workerSid: row.sid, toActivitySid: out.to.sid, cause: out.cause, effectiveAt: out.effectiveAt });
          if (before.disconnection && out.cause === 'offline-threshold') this.q.markLoggedOut.run(out.effectiveAt, row.sid);
          else if (before.disconnection && PERSON_CAUSES.has(out.cause)) this.q.markEpisode.run('overridden', row.sid);
          const ctx = { sid: newSid('event'), workspace, at, actor: out.actor };
          const from = out.from.sid === row.activity_sid ? { sid: row.activity_sid, friendlyName: row.activity_name } : this.activity(out.from.sid);
          const event = workerActivityEvent(ctx, worker, from, before.activitySince, out.cause, out.evidence, out.effectiveAt);
          this.recordEvent(event);
          events.push(event);
          break;
        }
        case 'offers-rescinded':
          // Same transaction as the change: no offer outlives a committed logout.
          this.routing?.endPendingOffers(row.sid, out.cause, at, effects);
          break;
      }
    }
    return events;
  }

  private mustGet<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`store integrity: ${what} is missing`);
    return value;
  }
}
