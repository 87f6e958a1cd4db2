/**
 * The mass-disconnect breaker on PostgreSQL, inside the caller's transaction, as the SQLite engine
 * does it (store/sqlite/outage-hold.ts): after connections ended, count the workspace's recent
 * disconnections and connected workers, ask the pure rules (core/outage-breaker.ts), and on a trip
 * or a join move the held workers' deadline rows to the hold's end.
 *
 * Several nodes: the decision locks the workspace's `logout_settings` row first, so two nodes
 * ending connections of one workspace decide in turn (the second sees the first's hold and joins
 * it); the unique index on the active hold is the backstop.
 */
import { decideBreaker, fewestToTrip, heldDueAt, outageHoldEvent, releasedDueAt, type BreakerSettings, type HoldEndReason, type OutageHoldRecord } from '../../core/outage-breaker.js';
import type { BreakerEvidence } from '../../core/presence.js';
import type { WorkspaceEvent } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type { OutageHoldChange, PresenceCommit, Store } from '../../service/ports.js';
import { toBreakerSettings, withDueTimes } from '../sqlite/outage-hold.js';
import { toWorkspace, type WorkspaceRow } from '../sqlite/rows.js';
import type { PgDatabase, Tx } from './database.js';
import { recordEvent } from './event-log.js';

/** Migration 3: the breaker's settings (on by default), its holds and the deadlines they hold. */
export const OUTAGE_HOLD_SCHEMA = `
ALTER TABLE logout_settings ADD COLUMN breaker_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE logout_settings ADD COLUMN breaker_share_percent INTEGER NOT NULL DEFAULT 20;
ALTER TABLE logout_settings ADD COLUMN breaker_min_agents INTEGER NOT NULL DEFAULT 50;
ALTER TABLE logout_settings ADD COLUMN breaker_window_ms BIGINT NOT NULL DEFAULT 10000;
ALTER TABLE logout_settings ADD COLUMN breaker_hold_ms BIGINT NOT NULL DEFAULT 300000;
CREATE TABLE outage_holds (
  sid TEXT PRIMARY KEY, workspace_sid TEXT NOT NULL, tripped_at BIGINT NOT NULL, until_at BIGINT NOT NULL,
  disconnections INTEGER NOT NULL, connected_workers INTEGER NOT NULL, ended_at BIGINT, end_reason TEXT, ended_by TEXT
);
CREATE UNIQUE INDEX outage_holds_active ON outage_holds(workspace_sid) WHERE ended_at IS NULL;
CREATE INDEX outage_holds_by_end ON outage_holds(until_at) WHERE ended_at IS NULL;
CREATE TABLE outage_hold_workers (
  hold_sid TEXT NOT NULL REFERENCES outage_holds(sid), worker_sid TEXT NOT NULL, deadline_id INTEGER NOT NULL, ordinary_due_at BIGINT NOT NULL,
  PRIMARY KEY (worker_sid, deadline_id)
);
CREATE INDEX outage_hold_workers_by_hold ON outage_hold_workers(hold_sid);
CREATE INDEX episodes_open_by_detection ON disconnect_episodes(workspace_sid, detected_at) WHERE ended_at IS NULL;
`;

interface SettingsRow { breaker_enabled: number; breaker_share_percent: number; breaker_min_agents: number; breaker_window_ms: number; breaker_hold_ms: number }
interface HoldRow {
  sid: string; workspace_sid: string; tripped_at: number; until_at: number; disconnections: number; connected_workers: number;
  ended_at: number | null; end_reason: string | null; ended_by: string | null; held: number;
}

const SETTINGS = 'SELECT breaker_enabled, breaker_share_percent, breaker_min_agents, breaker_window_ms, breaker_hold_ms FROM logout_settings WHERE workspace_sid = $1';
const HELD_COUNT = '(SELECT COUNT(*) FROM outage_hold_workers h JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE h.hold_sid = o.sid)';
const MOVE = 'UPDATE deadlines SET due_at = $1 WHERE worker_sid = $2 AND deadline_id = $3';

const toRecord = (r: HoldRow): OutageHoldRecord => ({
  sid: r.sid, workspaceSid: r.workspace_sid, trippedAt: r.tripped_at, untilAt: r.until_at, disconnections: r.disconnections,
  connectedWorkers: r.connected_workers, heldWorkers: r.held, endedAt: r.ended_at, endReason: r.end_reason as HoldEndReason | null, endedBy: r.ended_by,
});

export async function breakerSettings(sql: Pick<Tx, 'one'>, workspaceSid: string, lock = false): Promise<BreakerSettings | null> {
  const row = await sql.one<SettingsRow>(`${SETTINGS}${lock ? ' FOR UPDATE' : ''}`, [workspaceSid]);
  return row ? toBreakerSettings(row) : null;
}

export async function saveBreakerSettings(tx: Tx, workspaceSid: string, s: BreakerSettings): Promise<void> {
  await tx.run('UPDATE logout_settings SET breaker_enabled = $1, breaker_share_percent = $2, breaker_min_agents = $3, breaker_window_ms = $4, breaker_hold_ms = $5, updated_at = $6 WHERE workspace_sid = $7',
    [s.enabled ? 1 : 0, s.sharePercent, s.minAgents, s.windowMs, s.holdMs, tx.now, workspaceSid]);
}

/** The workspace's hold not yet ended, with how many workers it still holds. */
export async function activeHold(sql: Pick<Tx, 'one'>, workspaceSid: string): Promise<OutageHoldRecord | null> {
  const row = await sql.one<HoldRow>(`SELECT o.*, ${HELD_COUNT} AS held FROM outage_holds o WHERE o.workspace_sid = $1 AND o.ended_at IS NULL`, [workspaceSid]);
  return row ? toRecord(row) : null;
}

/** The holds that postponed these due deadlines, for the logouts' evidence, by worker (ordinary deadlines have none). */
export async function breakerEvidenceOf(tx: Tx, due: readonly { worker_sid: string; deadline_id: number }[]): Promise<Map<string, BreakerEvidence>> {
  const rows = await tx.rows<HoldRow & { ordinary_due_at: number; worker_sid: string; deadline_id: number }>(`SELECT o.*, 0 AS held, h.ordinary_due_at, h.worker_sid, h.deadline_id
    FROM outage_hold_workers h JOIN outage_holds o ON o.sid = h.hold_sid WHERE h.worker_sid = ANY($1::text[])`, [due.map((d) => d.worker_sid)]);
  const wanted = new Map(due.map((d) => [d.worker_sid, d.deadline_id]));
  const found = new Map<string, BreakerEvidence>();
  for (const row of rows) {
    if (wanted.get(row.worker_sid) !== row.deadline_id) continue;
    found.set(row.worker_sid, { holdSid: row.sid, trippedAt: row.tripped_at, untilAt: row.until_at, ordinaryDueAt: row.ordinary_due_at, endedAt: row.ended_at, endReason: row.end_reason as HoldEndReason | null });
  }
  return found;
}

async function holdEvent(tx: Tx, hold: OutageHoldRecord, type: 'workspace.outage_hold.started' | 'workspace.outage_hold.ended', actor: string): Promise<WorkspaceEvent> {
  const workspace = toWorkspace(await tx.one<WorkspaceRow>('SELECT * FROM workspaces WHERE sid = $1', [hold.workspaceSid]) as WorkspaceRow);
  const event = outageHoldEvent({ sid: newSid('event'), workspace, at: tx.now, actor }, hold, type);
  await recordEvent(tx, event);
  return event;
}

/** Holds the worker's pending deadline, if it has one: its ordinary due time is kept, the row moved. */
async function hold(tx: Tx, holdSid: string, untilAt: number, workerSid: string, moved: Map<string, number>): Promise<void> {
  const deadline = await tx.one<{ deadline_id: number; due_at: number }>('SELECT deadline_id, due_at FROM deadlines WHERE worker_sid = $1', [workerSid]);
  if (!deadline) return;
  const known = await tx.one('SELECT 1 FROM outage_hold_workers WHERE worker_sid = $1 AND deadline_id = $2', [workerSid, deadline.deadline_id]);
  const dueAt = heldDueAt(deadline.due_at, { untilAt });
  // Due after the hold's end anyway (a threshold longer than the hold): nothing to postpone.
  if (known || dueAt === deadline.due_at) return;
  await tx.run('INSERT INTO outage_hold_workers (hold_sid, worker_sid, deadline_id, ordinary_due_at) VALUES ($1, $2, $3, $4)', [holdSid, workerSid, deadline.deadline_id, deadline.due_at]);
  await tx.run(MOVE, [dueAt, workerSid, deadline.deadline_id]);
  moved.set(workerSid, dueAt);
}

/** Ends the hold: every deadline it still holds goes back to its ordinary due time. Records `workspace.outage_hold.ended`. */
export async function endHold(tx: Tx, record: OutageHoldRecord, reason: HoldEndReason, actor: string | null, endedAt: number): Promise<OutageHoldChange> {
  const held = await tx.rows<{ worker_sid: string; deadline_id: number; ordinary_due_at: number }>(`SELECT h.worker_sid, h.deadline_id, h.ordinary_due_at FROM outage_hold_workers h
    JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE h.hold_sid = $1`, [record.sid]);
  if (reason !== 'expired') for (const h of held) await tx.run(MOVE, [releasedDueAt(h.ordinary_due_at), h.worker_sid, h.deadline_id]);
  await tx.run('UPDATE outage_holds SET ended_at = $1, end_reason = $2, ended_by = $3 WHERE sid = $4', [endedAt, reason, actor, record.sid]);
  const ended: OutageHoldRecord = { ...record, heldWorkers: held.length, endedAt, endReason: reason, endedBy: actor };
  return { kind: 'ended', hold: ended, event: await holdEvent(tx, ended, 'workspace.outage_hold.ended', actor ?? 'rollcall') };
}

async function decide(tx: Tx, workspaceSid: string, settings: BreakerSettings, commits: readonly PresenceCommit[]): Promise<{ changes: OutageHoldChange[]; moved: Map<string, number> }> {
  const at = tx.now;
  const changes: OutageHoldChange[] = [];
  const moved = new Map<string, number>();
  let current = await activeHold(tx, workspaceSid);
  if (current && at >= current.untilAt) {
    changes.push(await endHold(tx, current, 'expired', null, current.untilAt));
    current = null;
  }
  const since = at - settings.windowMs;
  const recent = settings.enabled && current === null
    ? (await tx.one<{ n: number }>('SELECT COUNT(DISTINCT worker_sid) AS n FROM disconnect_episodes WHERE workspace_sid = $1 AND ended_at IS NULL AND detected_at >= $2', [workspaceSid, since]))?.n ?? 0
    : 0;
  // Counting connected workers costs a scan; below this many drops nothing can trip anyway.
  const connected = recent >= fewestToTrip(settings)
    ? (await tx.one<{ n: number }>('SELECT COUNT(DISTINCT c.worker_sid) AS n FROM connections c JOIN workers w ON w.sid = c.worker_sid WHERE w.workspace_sid = $1', [workspaceSid]))?.n ?? 0
    : 0;
  const decision = decideBreaker(settings, { at, connectedWorkers: connected, recentDisconnections: recent, activeHold: current });
  if (decision.kind === 'holding') {
    for (const c of commits) await hold(tx, decision.hold.sid, decision.hold.untilAt, c.worker.sid, moved);
  } else if (decision.kind === 'trip') {
    const sid = newSid('outageHold');
    await tx.run('INSERT INTO outage_holds (sid, workspace_sid, tripped_at, until_at, disconnections, connected_workers) VALUES ($1, $2, $3, $4, $5, $6)',
      [sid, workspaceSid, at, decision.untilAt, recent, connected]);
    const workers = await tx.rows<{ worker_sid: string }>(`SELECT DISTINCT worker_sid FROM disconnect_episodes
      WHERE workspace_sid = $1 AND ended_at IS NULL AND detected_at >= $2 ORDER BY worker_sid`, [workspaceSid, since]);
    for (const w of workers) await hold(tx, sid, decision.untilAt, w.worker_sid, moved);
    const record = await activeHold(tx, workspaceSid) as OutageHoldRecord;
    changes.push({ kind: 'started', hold: record, event: await holdEvent(tx, record, 'workspace.outage_hold.started', 'rollcall') });
  }
  return { changes, moved };
}

/**
 * After connections ended in this transaction: per workspace that saw a worker disconnect, end an
 * expired hold, join a running one, or trip a new one. Returns the commits with the held due times
 * in their outputs, the hold's change attached to the workspace's last commit.
 */
export async function afterDisconnections(tx: Tx, commits: readonly PresenceCommit[]): Promise<PresenceCommit[]> {
  const byWorkspace = new Map<string, number[]>();
  commits.forEach((c, i) => {
    if (!c.outputs.some((o) => o.type === 'disconnected')) return;
    const list = byWorkspace.get(c.worker.workspaceSid) ?? [];
    list.push(i);
    byWorkspace.set(c.worker.workspaceSid, list);
  });
  const result = [...commits];
  for (const [workspaceSid, indexes] of [...byWorkspace].sort(([a], [b]) => a.localeCompare(b))) {
    const settings = await breakerSettings(tx, workspaceSid, true);
    if (!settings) continue;
    const { changes, moved } = await decide(tx, workspaceSid, settings, indexes.map((i) => result[i] as PresenceCommit));
    for (const i of indexes) result[i] = withDueTimes(result[i] as PresenceCommit, moved);
    const last = indexes[indexes.length - 1] as number;
    if (changes.length > 0) result[last] = { ...(result[last] as PresenceCommit), outage: changes };
  }
  return result;
}

/** After a logout-settings change re-armed the workspace's deadlines: those the active hold holds move back to its end. */
export async function reapplyHold(tx: Tx, workspaceSid: string): Promise<Map<string, number>> {
  const moved = new Map<string, number>();
  const current = await activeHold(tx, workspaceSid);
  if (!current) return moved;
  const rearmed = await tx.rows<{ worker_sid: string }>(`SELECT DISTINCT d.worker_sid FROM outage_hold_workers h JOIN deadlines d ON d.worker_sid = h.worker_sid
    WHERE h.hold_sid = $1 AND NOT EXISTS (SELECT 1 FROM outage_hold_workers x WHERE x.worker_sid = d.worker_sid AND x.deadline_id = d.deadline_id) ORDER BY d.worker_sid`, [current.sid]);
  for (const r of rearmed) await hold(tx, current.sid, current.untilAt, r.worker_sid, moved);
  return moved;
}

type OutageHoldVerbs = Pick<Store, 'outageBreaker' | 'nextOutageHoldEndAt' | 'endExpiredOutageHolds'>;

/** The breaker's own store verbs, each one transaction. */
export function createOutageHoldVerbs(db: PgDatabase): OutageHoldVerbs {
  return {
    async outageBreaker(workspaceSid) {
      const settings = await breakerSettings(db.sql, workspaceSid);
      return settings ? { settings, hold: await activeHold(db.sql, workspaceSid) } : null;
    },
    async nextOutageHoldEndAt() {
      return (await db.sql.one<{ at: number | null }>('SELECT MIN(until_at) AS at FROM outage_holds WHERE ended_at IS NULL'))?.at ?? null;
    },
    async endExpiredOutageHolds(limit) {
      return db.tx(async (tx) => {
        const rows = await tx.rows<HoldRow>(`SELECT o.*, ${HELD_COUNT} AS held FROM outage_holds o WHERE o.ended_at IS NULL AND o.until_at <= $1
          ORDER BY o.until_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED`, [tx.now, limit]);
        const changes: OutageHoldChange[] = [];
        for (const r of rows) changes.push(await endHold(tx, toRecord(r), 'expired', null, r.until_at));
        return changes;
      });
    },
  };
}
