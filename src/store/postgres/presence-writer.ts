/**
 * Runs the presence machine for one worker inside the caller's PostgreSQL transaction. The first
 * statement locks the worker's row (`FOR UPDATE OF w`): that row is the serialisation point of
 * every change to the worker — connection opened or ended, activity set, deadline fired, offer
 * made — across every node. Then it calls the pure `transition` and persists the next state and
 * every output (deadline, activity log and roll-up, episode, events and their callbacks, offers
 * rescinded) in the same transaction.
 */
import { workerActivityEvent } from '../../core/events.js';
import { toLogoutPolicy } from '../../core/logout-settings.js';
import { PERSON_CAUSES, transition, type PresenceInput, type PresenceOutput, type PresenceState } from '../../core/presence.js';
import type { Worker, Workspace, WorkspaceEvent } from '../../core/resources.js';
import { routingPresence } from '../../core/routing.js';
import { newSid } from '../../service/ids.js';
import type { PresenceCommit } from '../../service/ports.js';
import { WORKER_SELECT } from '../sqlite/presence-writer.js';
import {
  toActivity, toDeadline, toSettings, toWorker, toWorkspace, type ActivityRow, type StoredPresence, type WorkerRow, type WorkspaceRow,
} from '../sqlite/rows.js';
import { appendLog } from './activity-rollup.js';
import type { Tx } from './database.js';
import { recordEvent } from './event-log.js';
import { newEffects, type PgRoutingWriter, type RoutingEffects } from './routing-writer.js';

type ContextRow = WorkspaceRow & { s_logout: string; s_enabled: number; s_threshold: number; s_updated: number; a_name: string; a_available: number; a_created: number; a_updated: number };

const CONTEXT_SELECT = `SELECT ws.*, s.logout_activity_sid AS s_logout, s.enabled AS s_enabled, s.threshold_ms AS s_threshold, s.updated_at AS s_updated,
    a.friendly_name AS a_name, a.available AS a_available, a.created_at AS a_created, a.updated_at AS a_updated
  FROM workspaces ws JOIN logout_settings s ON s.workspace_sid = ws.sid JOIN activities a ON a.sid = s.logout_activity_sid`;
/** The worker's workspace and its logout policy, in one statement. */
const CONTEXT = `${CONTEXT_SELECT} WHERE ws.sid = (SELECT workspace_sid FROM workers WHERE sid = $1)`;
/** The same, by the workspace. */
const CONTEXT_OF_WORKSPACE = `${CONTEXT_SELECT} WHERE ws.sid = $1`;

/**
 * Reads a batch of changes in one transaction shares: each workspace's context read once for the
 * batch (a claim of 100 logouts read it 100 times). Only for batches that change no settings.
 */
export class SharedReads {
  private readonly contexts = new Map<string, Promise<ContextRow | undefined>>();

  constructor(private readonly tx: Tx) {}

  context(workspaceSid: string): Promise<ContextRow | undefined> {
    let read = this.contexts.get(workspaceSid);
    if (!read) this.contexts.set(workspaceSid, (read = this.tx.one<ContextRow>(CONTEXT_OF_WORKSPACE, [workspaceSid])));
    return read;
  }
}
const CONNECTIONS = 'SELECT id, exempt FROM connections WHERE worker_sid = $1 ORDER BY opened_at, id';
/** No offer can appear while the worker's row is locked (an offer locks it first): read once, it holds for the transaction. */
const HAS_PENDING_OFFERS = "SELECT EXISTS (SELECT 1 FROM reservations WHERE worker_sid = $1 AND status = 'pending') AS pending";

/**
 * Locks and reads a worker; null when it does not exist. Every worker change starts here. The
 * lock is taken on the bare row, and the joined read is a second statement: at READ COMMITTED a
 * locking read that had to wait rechecks its joins against the rows of its old snapshot, so a
 * joined `FOR UPDATE` loses a worker whose activity the other transaction just changed (found by
 * the reconnect-vs-fire race test). The second statement sees what that transaction committed.
 */
export async function lockWorker(tx: Tx, workerSid: string): Promise<WorkerRow | null> {
  // Both sent at once (one round trip): the server runs the read after the lock is granted, and a
  // read at READ COMMITTED takes its snapshot when it starts.
  const [lock, row] = await Promise.all([
    tx.one('SELECT 1 FROM workers WHERE sid = $1 FOR UPDATE', [workerSid]),
    tx.one<WorkerRow>(`${WORKER_SELECT} WHERE w.sid = $1`, [workerSid]),
  ]);
  return lock ? row ?? null : null;
}

/** The machine's state from the locked worker row and its connections. */
function stateOf(row: WorkerRow, connections: readonly { id: string; exempt: number }[]): PresenceState {
  const stored = JSON.parse(row.presence) as StoredPresence;
  return {
    activity: { sid: row.activity_sid, available: row.activity_available === 1 },
    activitySince: row.status_changed_at,
    connections: connections.map((c) => ({ id: c.id, exempt: c.exempt === 1 })),
    endedLastSeenAt: stored.endedLastSeenAt,
    disconnection: stored.disconnection,
    deadline: toDeadline(row),
    nextDeadlineId: stored.nextDeadlineId,
  };
}

/** What `persistOutputs` writes about: the worker before and after, and what the one read gave. */
interface Changed { row: WorkerRow; worker: Worker; workspace: Workspace; ctx: ContextRow; offers: boolean }

export class PgPresenceWriter {
  constructor(private readonly routing: PgRoutingWriter) {}

  /**
   * Feeds one input to the worker's machine under its row lock and persists the result (a
   * connection the machine added is stored on `nodeId`). `input` may depend on the loaded state.
   * `locked`: the worker's row as `lockWorker` returned it earlier in this transaction (the lock is
   * held until the commit, so the row cannot have changed); saves the two statements of a second lock.
   * `shared`: with `locked`, the batch's reads of the workspace context (see SharedReads).
   */
  async run(
    tx: Tx, workerSid: string, input: PresenceInput | ((state: PresenceState) => PresenceInput | null), nodeId: string | null = null, locked: WorkerRow | null = null,
    shared: SharedReads | null = null,
  ): Promise<PresenceCommit | null> {
    if (locked && locked.sid !== workerSid) throw new Error(`run: the locked row is ${locked.sid}, not ${workerSid}`);
    const setting = typeof input === 'object' && input.type === 'activity-set' ? input.activity.sid : null;
    // Everything the change needs in one round trip, sent behind the lock (the server runs them in
    // order, so they read after it is granted): the workspace and its policy, the worker's
    // connections, whether it holds offers, and the name of an activity being set. Tried: the four as
    // one statement (subqueries, the connections as JSON) cost the server more CPU, not less.
    const [row, ctx, connections, offers, settingName] = await Promise.all([
      locked ?? lockWorker(tx, workerSid),
      locked && shared ? shared.context(locked.workspace_sid) : tx.one<ContextRow>(CONTEXT, [workerSid]),
      tx.rows<{ id: string; exempt: number }>(CONNECTIONS, [workerSid]),
      tx.one<{ pending: boolean }>(HAS_PENDING_OFFERS, [workerSid]),
      setting === null ? undefined : tx.one<{ friendly_name: string }>('SELECT friendly_name FROM activities WHERE sid = $1', [setting]),
    ]);
    if (!row) return null;
    const at = tx.now;
    if (!ctx) throw new Error(`store integrity: workspace ${row.workspace_sid} with its logout settings is missing`);
    const workspace = toWorkspace(ctx);
    const settings = toSettings({ workspace_sid: ctx.sid, logout_activity_sid: ctx.s_logout, enabled: ctx.s_enabled, threshold_ms: ctx.s_threshold, updated_at: ctx.s_updated });
    const logoutActivity = toActivity({ sid: ctx.s_logout, workspace_sid: ctx.sid, account_sid: ctx.account_sid, friendly_name: ctx.a_name, available: ctx.a_available, created_at: ctx.a_created, updated_at: ctx.a_updated });
    const state = stateOf(row, connections);
    const resolved = typeof input === 'function' ? input(state) : input;
    if (resolved === null) return { worker: toWorker(row), outputs: [], events: [], routingPresence: routingPresence(state.connections.length > 0, state.disconnection) };
    const next = transition(state, resolved, toLogoutPolicy(settings, logoutActivity));
    const activityChanged = next.state.activity.sid !== state.activity.sid || next.outputs.some((o) => o.type === 'activity-changed');
    const stored: StoredPresence = { endedLastSeenAt: next.state.endedLastSeenAt, disconnection: next.state.disconnection, nextDeadlineId: next.state.nextDeadlineId };
    this.syncConnections(tx, row.sid, state, next.state, nodeId);
    const version = activityChanged ? row.version + 1 : row.version;
    const updatedAt = activityChanged ? at : row.updated_at;
    tx.send('UPDATE workers SET activity_sid = $1, status_changed_at = $2, presence = $3, version = $4, updated_at = $5 WHERE sid = $6',
      [next.state.activity.sid, next.state.activitySince, JSON.stringify(stored), version, updatedAt, row.sid]);
    let worker = toWorker(row);
    if (activityChanged) {
      const to = next.state.activity.sid === logoutActivity.sid
        ? { friendly_name: logoutActivity.friendlyName }
        : next.state.activity.sid === setting ? settingName
          : await tx.one<{ friendly_name: string }>('SELECT friendly_name FROM activities WHERE sid = $1', [next.state.activity.sid]);
      worker = { ...worker, activitySid: next.state.activity.sid, activityName: to?.friendly_name ?? '', available: next.state.activity.available, version, updatedAt, statusChangedAt: next.state.activitySince };
    }
    const presence = routingPresence(next.state.connections.length > 0, next.state.disconnection);
    const effects = newEffects();
    const events = await this.persistOutputs(tx, { row, worker, workspace, ctx, offers: offers?.pending === true }, state, next.state, next.outputs, effects);
    if (effects.events.length === 0 && effects.touchedWorkers.size === 0) return { worker, outputs: next.outputs, events, routingPresence: presence };
    const pushes = await tx.serially(() => this.routing.finalPushes(tx, effects));
    const routing = { events: effects.events, pushes, presence: [], touchedWorkers: [...effects.touchedWorkers] };
    return { worker, outputs: next.outputs, events, routing, routingPresence: presence };
  }

  /** Sends (does not await) the connection rows' changes. */
  private syncConnections(tx: Tx, workerSid: string, before: PresenceState, after: PresenceState, nodeId: string | null): void {
    if (before.connections === after.connections) return;
    const kept = new Set(after.connections.map((c) => c.id));
    for (const c of before.connections) if (!kept.has(c.id)) tx.send('DELETE FROM connections WHERE id = $1', [c.id]);
    const had = new Set(before.connections.map((c) => c.id));
    for (const c of after.connections) {
      if (had.has(c.id)) continue;
      if (nodeId === null) throw new Error(`connection ${c.id} was opened without a node`);
      tx.send('INSERT INTO connections (id, worker_sid, node_id, exempt, opened_at) VALUES ($1, $2, $3, $4, $5)', [c.id, workerSid, nodeId, c.exempt ? 1 : 0, tx.now]);
    }
  }

  private async persistOutputs(
    tx: Tx, { row, worker, workspace, ctx, offers }: Changed, before: PresenceState, after: PresenceState, outputs: readonly PresenceOutput[], effects: RoutingEffects,
  ): Promise<WorkspaceEvent[]> {
    const events: WorkspaceEvent[] = [];
    const at = tx.now;
    for (const out of outputs) {
      switch (out.type) {
        case 'deadline-set':
          tx.send(`INSERT INTO deadlines (worker_sid, deadline_id, due_at) VALUES ($1, $2, $3)
            ON CONFLICT (worker_sid) DO UPDATE SET deadline_id = excluded.deadline_id, due_at = excluded.due_at`, [row.sid, out.deadline.id, out.deadline.dueAt]);
          break;
        case 'deadline-cleared':
          tx.send('DELETE FROM deadlines WHERE worker_sid = $1 AND deadline_id = $2', [row.sid, out.deadlineId]);
          break;
        case 'disconnected':
          // Whether the session was exempt is kept for the threshold advisor's replay.
          tx.send('INSERT INTO disconnect_episodes (workspace_sid, worker_sid, last_seen_at, detected_at, reason, exempt) VALUES ($1, $2, $3, $4, $5, $6)',
            [row.workspace_sid, row.sid, out.lastSeenAt, out.detectedAt, out.reason, after.disconnection?.exempt ? 1 : 0]);
          break;
        case 'reconnected':
          tx.send('UPDATE disconnect_episodes SET ended_at = $1, outcome = COALESCE(outcome, $2) WHERE worker_sid = $3 AND ended_at IS NULL', [out.at, 'reconnected', row.sid]);
          break;
        case 'activity-changed': {
          await appendLog(tx, {
            workspaceSid: row.workspace_sid, workerSid: row.sid, fromActivitySid: out.from.sid, toActivitySid: out.to.sid, cause: out.cause, actor: out.actor,
            evidence: out.evidence ? JSON.stringify(out.evidence) : null, effectiveAt: out.effectiveAt, recordedAt: at,
          });
          if (before.disconnection && out.cause === 'offline-threshold') {
            tx.send("UPDATE disconnect_episodes SET outcome = 'logged-out', logged_out_at = $1 WHERE worker_sid = $2 AND ended_at IS NULL AND outcome IS NULL", [out.effectiveAt, row.sid]);
          } else if (before.disconnection && PERSON_CAUSES.has(out.cause)) {
            tx.send("UPDATE disconnect_episodes SET outcome = 'overridden' WHERE worker_sid = $1 AND ended_at IS NULL AND outcome IS NULL", [row.sid]);
          }
          const from = out.from.sid === row.activity_sid
            ? { sid: row.activity_sid, friendlyName: row.activity_name }
            : await this.activity(tx, out.from.sid);
          const event = workerActivityEvent({ sid: newSid('event'), workspace, at, actor: out.actor }, worker, from, before.activitySince, out.cause, out.evidence, out.effectiveAt);
          await recordEvent(tx, event, ctx);
          events.push(event);
          break;
        }
        case 'offers-rescinded':
          // Same transaction as the change: no offer outlives a committed logout. Alone among a
          // batch's workers (Tx.all): the tasks it returns to the queue may be another's offers too.
          if (offers) await tx.serially(() => this.routing.endPendingOffers(tx, row.sid, out.cause, effects));
          break;
      }
    }
    return events;
  }

  private async activity(tx: Tx, sid: string) {
    const row = await tx.one<ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.sid = $1', [sid]);
    return row ? toActivity(row) : null;
  }
}
