/**
 * The mass-disconnect breaker on SQLite, always inside the caller's transaction: after a
 * transaction ended connections, count the workspace's recent disconnections and connected
 * workers, ask the pure rules (core/outage-breaker.ts), and on a trip or a join move the held
 * workers' deadline rows to the hold's end. The hold, and which deadline of which worker it
 * holds with its ordinary due time, are rows: they survive a restart, and the ordinary deadline
 * claim needs no timer of ours (it only names the hold in the logout's evidence).
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  decideBreaker, fewestToTrip, heldDueAt, outageHoldEvent, releasedDueAt,
  type BreakerSettings, type HoldEndReason, type OutageHoldRecord,
} from '../../core/outage-breaker.js';
import type { BreakerEvidence, PresenceOutput } from '../../core/presence.js';
import type { Workspace, WorkspaceEvent } from '../../core/resources.js';
import { newSid } from '../../service/ids.js';
import type { Clock, OutageHoldChange, PresenceCommit, Store } from '../../service/ports.js';
import { toWorkspace, type WorkspaceRow } from './rows.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';


interface SettingsRow { breaker_enabled: number; breaker_share_percent: number; breaker_min_agents: number; breaker_window_ms: number; breaker_hold_ms: number }
interface HoldRow {
  sid: string; workspace_sid: string; tripped_at: number; until_at: number; disconnections: number; connected_workers: number;
  ended_at: number | null; end_reason: string | null; ended_by: string | null; held: number;
}

export const toBreakerSettings = (r: SettingsRow): BreakerSettings => ({
  enabled: r.breaker_enabled === 1, sharePercent: r.breaker_share_percent, minAgents: r.breaker_min_agents, windowMs: r.breaker_window_ms, holdMs: r.breaker_hold_ms,
});

const HELD_COUNT = `(SELECT COUNT(*) FROM outage_hold_workers h JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE h.hold_sid = o.sid)`;

const toRecord = (r: HoldRow): OutageHoldRecord => ({
  sid: r.sid, workspaceSid: r.workspace_sid, trippedAt: r.tripped_at, untilAt: r.until_at, disconnections: r.disconnections,
  connectedWorkers: r.connected_workers, heldWorkers: r.held, endedAt: r.ended_at, endReason: r.end_reason as HoldEndReason | null, endedBy: r.ended_by,
});

export class OutageHolds {
  private readonly prepare;

  constructor(private readonly db: BetterSqlite3.Database, private readonly recordEvent: (event: WorkspaceEvent) => void) {
    this.prepare = cachedPrepare(db);
  }

  settings(workspaceSid: string): BreakerSettings | null {
    const row = this.prepare<[string], SettingsRow>('SELECT breaker_enabled, breaker_share_percent, breaker_min_agents, breaker_window_ms, breaker_hold_ms FROM logout_settings WHERE workspace_sid = ?').get(workspaceSid);
    return row ? toBreakerSettings(row) : null;
  }

  saveSettings(workspaceSid: string, s: BreakerSettings, at: number): void {
    this.prepare('UPDATE logout_settings SET breaker_enabled = ?, breaker_share_percent = ?, breaker_min_agents = ?, breaker_window_ms = ?, breaker_hold_ms = ?, updated_at = ? WHERE workspace_sid = ?')
      .run(s.enabled ? 1 : 0, s.sharePercent, s.minAgents, s.windowMs, s.holdMs, at, workspaceSid);
  }

  /** The workspace's hold not yet ended, with how many workers it still holds. */
  active(workspaceSid: string): OutageHoldRecord | null {
    const row = this.prepare<[string], HoldRow>(`SELECT o.*, ${HELD_COUNT} AS held FROM outage_holds o WHERE o.workspace_sid = ? AND o.ended_at IS NULL`).get(workspaceSid);
    return row ? toRecord(row) : null;
  }

  /** The earliest end of an active hold. */
  nextEndAt(): number | null {
    return this.prepare<[], { at: number | null }>('SELECT MIN(until_at) AS at FROM outage_holds WHERE ended_at IS NULL').get()?.at ?? null;
  }

  /** The hold that postponed this deadline, for the logout's evidence; null for ordinary ones. */
  evidenceFor(workerSid: string, deadlineId: number): BreakerEvidence | undefined {
    const row = this.prepare<[string, number], HoldRow & { ordinary_due_at: number }>(`SELECT o.*, 0 AS held, h.ordinary_due_at FROM outage_hold_workers h
      JOIN outage_holds o ON o.sid = h.hold_sid WHERE h.worker_sid = ? AND h.deadline_id = ?`).get(workerSid, deadlineId);
    if (!row) return undefined;
    return { holdSid: row.sid, trippedAt: row.tripped_at, untilAt: row.until_at, ordinaryDueAt: row.ordinary_due_at, endedAt: row.ended_at, endReason: row.end_reason as HoldEndReason | null };
  }

  /**
   * After connections ended in this transaction: per workspace that saw a worker disconnect, end
   * an expired hold, join a running one, or trip a new one. Returns the commits with the held due
   * times in their outputs, the hold's change attached to the workspace's last commit.
   */
  afterDisconnections(commits: readonly PresenceCommit[], at: number): PresenceCommit[] {
    const byWorkspace = new Map<string, number[]>();
    commits.forEach((c, i) => {
      if (!c.outputs.some((o) => o.type === 'disconnected')) return;
      const list = byWorkspace.get(c.worker.workspaceSid) ?? [];
      list.push(i);
      byWorkspace.set(c.worker.workspaceSid, list);
    });
    const result = [...commits];
    for (const [workspaceSid, indexes] of byWorkspace) {
      const settings = this.settings(workspaceSid);
      if (!settings) continue;
      const { changes, moved } = this.decide(workspaceSid, settings, indexes.map((i) => result[i] as PresenceCommit), at);
      for (const i of indexes) result[i] = withDueTimes(result[i] as PresenceCommit, moved);
      const last = indexes[indexes.length - 1] as number;
      if (changes.length > 0) result[last] = { ...(result[last] as PresenceCommit), outage: changes };
    }
    return result;
  }

  private decide(workspaceSid: string, settings: BreakerSettings, commits: readonly PresenceCommit[], at: number): { changes: OutageHoldChange[]; moved: Map<string, number> } {
    const changes: OutageHoldChange[] = [];
    const moved = new Map<string, number>();
    let activeHold = this.active(workspaceSid);
    if (activeHold && at >= activeHold.untilAt) {
      changes.push(this.end(activeHold, 'expired', null, activeHold.untilAt, at));
      activeHold = null;
    }
    const recent = settings.enabled && activeHold === null ? this.recentCount(workspaceSid, at - settings.windowMs) : 0;
    // Counting connected workers costs a scan; below this many drops nothing can trip anyway.
    const connected = recent >= fewestToTrip(settings) ? this.connectedCount(workspaceSid) : 0;
    const decision = decideBreaker(settings, { at, connectedWorkers: connected, recentDisconnections: recent, activeHold });
    if (decision.kind === 'holding') {
      for (const c of commits) this.hold(decision.hold.sid, decision.hold.untilAt, c.worker.sid, moved);
    } else if (decision.kind === 'trip') {
      const sid = newSid('outageHold');
      this.prepare('INSERT INTO outage_holds (sid, workspace_sid, tripped_at, until_at, disconnections, connected_workers) VALUES (?, ?, ?, ?, ?, ?)')
        .run(sid, workspaceSid, at, decision.untilAt, recent, connected);
      const workers = this.prepare<[string, number], { worker_sid: string }>(`SELECT worker_sid FROM disconnect_episodes
        WHERE workspace_sid = ? AND ended_at IS NULL AND detected_at >= ?`).all(workspaceSid, at - settings.windowMs);
      for (const w of workers) this.hold(sid, decision.untilAt, w.worker_sid, moved);
      const record = this.active(workspaceSid) as OutageHoldRecord;
      changes.push({ kind: 'started', hold: record, event: this.event(record, 'workspace.outage_hold.started', 'rollcall', at) });
    }
    return { changes, moved };
  }

  private recentCount(workspaceSid: string, sinceAt: number): number {
    return this.prepare<[string, number], { n: number }>('SELECT COUNT(DISTINCT worker_sid) AS n FROM disconnect_episodes WHERE workspace_sid = ? AND ended_at IS NULL AND detected_at >= ?')
      .get(workspaceSid, sinceAt)?.n ?? 0;
  }

  private connectedCount(workspaceSid: string): number {
    return this.prepare<[string], { n: number }>('SELECT COUNT(DISTINCT c.worker_sid) AS n FROM connections c JOIN workers w ON w.sid = c.worker_sid WHERE w.workspace_sid = ?')
      .get(workspaceSid)?.n ?? 0;
  }

  /** Holds the worker's pending deadline, if it has one: its ordinary due time is kept, the row moved. */
  private hold(holdSid: string, untilAt: number, workerSid: string, moved: Map<string, number>): void {
    const deadline = this.prepare<[string], { deadline_id: number; due_at: number }>('SELECT deadline_id, due_at FROM deadlines WHERE worker_sid = ?').get(workerSid);
    if (!deadline) return;
    const known = this.prepare<[string, number], { ordinary_due_at: number }>('SELECT ordinary_due_at FROM outage_hold_workers WHERE worker_sid = ? AND deadline_id = ?').get(workerSid, deadline.deadline_id);
    const dueAt = heldDueAt(deadline.due_at, { untilAt });
    // Due after the hold's end anyway (a threshold longer than the hold): nothing to postpone.
    if (known || dueAt === deadline.due_at) return;
    this.prepare('INSERT INTO outage_hold_workers (hold_sid, worker_sid, deadline_id, ordinary_due_at) VALUES (?, ?, ?, ?)').run(holdSid, workerSid, deadline.deadline_id, deadline.due_at);
    this.prepare('UPDATE deadlines SET due_at = ? WHERE worker_sid = ? AND deadline_id = ?').run(dueAt, workerSid, deadline.deadline_id);
    moved.set(workerSid, dueAt);
  }

  /**
   * After a logout-settings change re-armed the workspace's deadlines at their ordinary time:
   * those the active hold holds move back to its end, with their new ordinary time kept.
   */
  reapply(workspaceSid: string): Map<string, number> {
    const moved = new Map<string, number>();
    const hold = this.active(workspaceSid);
    if (!hold) return moved;
    // The machine set a new deadline for a held disconnection (a new threshold): the hold follows it.
    const rearmed = this.prepare<[string], { worker_sid: string }>(`SELECT DISTINCT d.worker_sid FROM outage_hold_workers h JOIN deadlines d ON d.worker_sid = h.worker_sid
      WHERE h.hold_sid = ? AND NOT EXISTS (SELECT 1 FROM outage_hold_workers x WHERE x.worker_sid = d.worker_sid AND x.deadline_id = d.deadline_id)`).all(hold.sid);
    for (const r of rearmed) this.hold(hold.sid, hold.untilAt, r.worker_sid, moved);
    return moved;
  }

  /**
   * Ends the hold: every deadline it still holds goes back to its ordinary due time (those past
   * it are due at once). Records `workspace.outage_hold.ended`.
   */
  end(hold: OutageHoldRecord, reason: HoldEndReason, actor: string | null, endedAt: number, at: number): OutageHoldChange {
    const held = this.prepare<[string], { worker_sid: string; deadline_id: number; ordinary_due_at: number }>(`SELECT h.worker_sid, h.deadline_id, h.ordinary_due_at FROM outage_hold_workers h
      JOIN deadlines d ON d.worker_sid = h.worker_sid AND d.deadline_id = h.deadline_id WHERE h.hold_sid = ?`).all(hold.sid);
    if (reason !== 'expired') {
      for (const h of held) this.prepare('UPDATE deadlines SET due_at = ? WHERE worker_sid = ? AND deadline_id = ?').run(releasedDueAt(h.ordinary_due_at), h.worker_sid, h.deadline_id);
    }
    this.prepare('UPDATE outage_holds SET ended_at = ?, end_reason = ?, ended_by = ? WHERE sid = ?').run(endedAt, reason, actor, hold.sid);
    const record: OutageHoldRecord = { ...hold, heldWorkers: held.length, endedAt, endReason: reason, endedBy: actor };
    return { kind: 'ended', hold: record, event: this.event(record, 'workspace.outage_hold.ended', actor ?? 'rollcall', at) };
  }

  /** Ends up to `limit` holds whose time is over, oldest first. */
  endExpired(at: number, limit: number): OutageHoldChange[] {
    const rows = this.prepare<[number, number], HoldRow>(`SELECT o.*, ${HELD_COUNT} AS held FROM outage_holds o WHERE o.ended_at IS NULL AND o.until_at <= ? ORDER BY o.until_at LIMIT ?`).all(at, limit);
    return rows.map((r) => this.end(toRecord(r), 'expired', null, r.until_at, at));
  }

  private event(hold: OutageHoldRecord, type: 'workspace.outage_hold.started' | 'workspace.outage_hold.ended', actor: string, at: number): WorkspaceEvent {
    const workspace: Workspace = toWorkspace(this.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE sid = ?').get(hold.workspaceSid) as WorkspaceRow);
    const event = outageHoldEvent({ sid: newSid('event'), workspace, at, actor }, hold, type);
    this.recordEvent(event);
    return event;
  }
}

/** The commit as stored: a deadline the breaker moved carries its held due time. */
export function withDueTimes(commit: PresenceCommit, moved: ReadonlyMap<string, number>): PresenceCommit {
  const dueAt = moved.get(commit.worker.sid);
  if (dueAt === undefined) return commit;
  const outputs = commit.outputs.map((o): PresenceOutput => (o.type === 'deadline-set' ? { type: 'deadline-set', deadline: { ...o.deadline, dueAt } } : o));
  return { ...commit, outputs };
}

type OutageHoldVerbs = Pick<Store, 'outageBreaker' | 'nextOutageHoldEndAt' | 'endExpiredOutageHolds'>;

/** The breaker's own store verbs, each one transaction. */
export function createOutageHoldVerbs(db: BetterSqlite3.Database, clock: Clock, holds: OutageHolds): OutageHoldVerbs {
  return {
    async outageBreaker(workspaceSid) {
      const settings = holds.settings(workspaceSid);
      return settings ? { settings, hold: holds.active(workspaceSid) } : null;
    },
    async nextOutageHoldEndAt() {
      return holds.nextEndAt();
    },
    async endExpiredOutageHolds(limit) {
      return writeTx(db, () => holds.endExpired(clock.now(), limit));
    },
  };
}
