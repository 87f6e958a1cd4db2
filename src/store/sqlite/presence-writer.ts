/**
 * Runs the presence machine for one worker inside the caller's SQLite transaction: loads the
 * worker's state, calls the pure `transition`, and persists the next state and every output
 * (deadline, activity log, disconnection episode, events). The worker row is the serialisation
 * point: every presence change of a worker goes through here.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { workerActivityEvent } from '../../core/events.js';
import { toLogoutPolicy } from '../../core/logout-settings.js';
import { PERSON_CAUSES, transition, type PresenceInput, type PresenceOutput, type PresenceState } from '../../core/presence.js';
import type { Activity, Worker, Workspace, WorkspaceEvent } from '../../core/resources.js';
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

export class PresenceWriter {
  private readonly q;
  private routing: RoutingWriter | null = null;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.q = {
      worker: db.prepare<[string], WorkerRow>(`${WORKER_SELECT} WHERE w.sid = ?`),
      connections: db.prepare<[string], { id: string; exempt: number }>('SELECT id, exempt FROM connections WHERE worker_sid = ? ORDER BY opened_at, id'),
      workspace: db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?'),
      settings: db.prepare<[string], SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = ?'),
      activity: db.prepare<[string], ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.sid = ?'),
      addConnection: db.prepare('INSERT INTO connections (id, worker_sid, node_id, exempt, opened_at) VALUES (?, ?, ?, ?, ?)'),
      removeConnection: db.prepare('DELETE FROM connections WHERE id = ?'),
      saveWorker: db.prepare('UPDATE workers SET activity_sid = ?, status_changed_at = ?, presence = ?, version = ?, updated_at = ? WHERE sid = ?'),
      setDeadline: db.prepare('INSERT INTO deadlines (worker_sid, deadline_id, due_at) VALUES (?, ?, ?) ON CONFLICT(worker_sid) DO UPDATE SET deadline_id = excluded.deadline_id, due_at = excluded.due_at'),
      clearDeadline: db.prepare('DELETE FROM deadlines WHERE worker_sid = ? AND deadline_id = ?'),
      log: db.prepare('INSERT INTO activity_log (workspace_sid, worker_sid, from_activity_sid, to_activity_sid, cause, actor, evidence, effective_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      openEpisode: db.prepare('INSERT INTO disconnect_episodes (workspace_sid, worker_sid, last_seen_at, detected_at, reason) VALUES (?, ?, ?, ?, ?)'),
      endEpisode: db.prepare('UPDATE disconnect_episodes SET ended_at = ?, outcome = COALESCE(outcome, ?) WHERE worker_sid = ? AND ended_at IS NULL'),
      markEpisode: db.prepare('UPDATE disconnect_episodes SET outcome = ? WHERE worker_sid = ? AND ended_at IS NULL AND outcome IS NULL'),
      event: db.prepare(`INSERT INTO events (sid, account_sid, workspace_sid, event_type, resource_type, resource_sid, actor_type, actor_sid, description, data, cause, evidence, at)
                         VALUES (@sid, @accountSid, @workspaceSid, @eventType, @resourceType, @resourceSid, @actorType, @actorSid, @description, @data, @cause, @evidence, @at)`),
    };
  }

  /** Lets a logout rescind the worker's pending offers in its own transaction (rule 6). */
  attachRouting(routing: RoutingWriter): void {
    this.routing = routing;
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
    const workspace = toWorkspace(this.mustGet(this.q.workspace.get(row.workspace_sid), `workspace ${row.workspace_sid}`));
    const settings = toSettings(this.mustGet(this.q.settings.get(row.workspace_sid), `logout settings of ${row.workspace_sid}`));
    const logoutActivity = toActivity(this.mustGet(this.q.activity.get(settings.logoutActivitySid), `activity ${settings.logoutActivitySid}`));
    const state = this.loadState(row);
    const resolved = typeof input === 'function' ? input(state) : input;
    if (resolved === null) return { worker: toWorker(row), outputs: [], events: [] };
    const next = transition(state, resolved, toLogoutPolicy(settings, logoutActivity));
    const activityChanged = next.state.activity.sid !== state.activity.sid || next.outputs.some((o) => o.type === 'activity-changed');
    const stored: StoredPresence = {
      endedLastSeenAt: next.state.endedLastSeenAt,
      disconnection: next.state.disconnection,
      nextDeadlineId: next.state.nextDeadlineId,
    };
    this.syncConnections(row.sid, state, next.state, nodeId, at);
    const version = activityChanged ? row.version + 1 : row.version;
    this.q.saveWorker.run(next.state.activity.sid, next.state.activitySince, JSON.stringify(stored), version, activityChanged ? at : row.updated_at, row.sid);
    const worker = this.loadWorker(row.sid);
    if (!worker) throw new Error(`worker ${row.sid} vanished inside its own transaction`);
    const effects = newEffects();
    const events = this.persistOutputs(row, worker, workspace, state, next.outputs, at, effects);
    if (effects.events.length === 0 && effects.touchedWorkers.size === 0) return { worker, outputs: next.outputs, events };
    const routing = { events: effects.events, pushes: effects.pushes, presence: [], touchedWorkers: [...effects.touchedWorkers] };
    return { worker, outputs: next.outputs, events, routing };
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
    row: WorkerRow, worker: Worker, workspace: Workspace, before: PresenceState, outputs: readonly PresenceOutput[], at: number, effects: RoutingEffects,
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
          this.q.openEpisode.run(row.workspace_sid, row.sid, out.lastSeenAt, out.detectedAt, out.reason);
          break;
        case 'reconnected':
          this.q.endEpisode.run(out.at, 'reconnected', row.sid);
          break;
        case 'activity-changed': {
          this.q.log.run(row.workspace_sid, row.sid, out.from.sid, out.to.sid, out.cause, out.actor,
            out.evidence ? JSON.stringify(out.evidence) : null, out.effectiveAt, at);
          if (before.disconnection && out.cause === 'offline-threshold') this.q.markEpisode.run('logged-out', row.sid);
          else if (before.disconnection && PERSON_CAUSES.has(out.cause)) this.q.markEpisode.run('overridden', row.sid);
          const ctx = { sid: newSid('event'), workspace, at, actor: out.actor };
          const event = workerActivityEvent(ctx, worker, this.activity(out.from.sid), before.activitySince, out.cause, out.evidence, out.effectiveAt);
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
