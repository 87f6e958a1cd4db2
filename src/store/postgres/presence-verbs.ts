/**
 * The presence verbs and node leases on PostgreSQL. Each verb is one transaction that locks the
 * worker rows it changes before it reads them (via the presence writer), so verbs of one worker
 * serialize across nodes, and verbs of different workers run side by side.
 */
import { refuse, ok, type Result } from '../../core/errors.js';
import { applyLogoutSettingsPatch } from '../../core/logout-settings.js';
import type { DisconnectReason } from '../../core/presence.js';
import type { LogoutSettings } from '../../core/resources.js';
import type { ConnectionOpening, PresenceCommit, Store } from '../../service/ports.js';
import { toActivity, toSettings, type ActivityRow, type SettingsRow } from '../sqlite/rows.js';
import { withDueTimes } from '../sqlite/outage-hold.js';
import type { PgDatabase, Tx } from './database.js';
import { afterDisconnections, breakerEvidenceOf, reapplyHold } from './outage-hold.js';
import { WORKER_SELECT } from '../sqlite/presence-writer.js';
import type { WorkerRow } from '../sqlite/rows.js';
import { lockWorker, SharedReads, type PgPresenceWriter } from './presence-writer.js';

type PresenceVerbs = Pick<Store, 'openConnection' | 'openConnections' | 'endConnection' | 'endConnections' | 'setActivity' | 'claimDueDeadlines' | 'nextDueAt'
  | 'updateLogoutSettings' | 'registerNode' | 'storeNow' | 'heartbeatNode' | 'reapNodes' | 'retireNode'>;

/**
 * The claim: due deadlines, oldest first, with their workers' rows locked. `SKIP LOCKED` passes
 * over workers another transaction holds (another node firing them, or a reconnect in flight), so
 * two nodes claiming at once take disjoint sets and never wait on each other. The firing itself
 * re-reads the deadline under the lock: one that a committed reconnect or fire already removed is
 * stale and does nothing, so each deadline fires exactly once.
 */
const CLAIM = `SELECT d.worker_sid, d.deadline_id
  FROM deadlines d JOIN workers w ON w.sid = d.worker_sid
 WHERE d.due_at <= $1
 ORDER BY d.due_at, d.worker_sid
 LIMIT $2
   FOR UPDATE OF w SKIP LOCKED`;

/** Connections of retired nodes, in worker order (as every reaper locks workers), a batch at a time. */
const REAP_BATCH = `SELECT c.id, n.heartbeat_at FROM connections c JOIN nodes n ON n.id = c.node_id
 WHERE n.retired_at IS NOT NULL AND c.node_id = ANY($2)
 ORDER BY c.worker_sid, c.id
 LIMIT $1
   FOR UPDATE OF c SKIP LOCKED`;
const REAP_BATCH_SIZE = 250;
const RETIRED_WITH_CONNECTIONS = 'SELECT n.id FROM nodes n WHERE n.retired_at IS NOT NULL AND EXISTS (SELECT 1 FROM connections c WHERE c.node_id = n.id)';

const ACTIVITY = 'SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = $1 AND a.sid = $2';

interface Ending { readonly connectionId: string; readonly reason: DisconnectReason; readonly lastSeenAt: number }

export interface NodeLease {
  /** A node whose last heartbeat is older than this is dead: its connections are reaped. */
  readonly nodeLeaseMs: number;
}

export function createPresenceVerbs(db: PgDatabase, writer: PgPresenceWriter, lease: NodeLease): PresenceVerbs {
  /** Ends one connection under its worker's lock; null when it is unknown (already ended or reaped). */
  const endOne = async (tx: Tx, connectionId: string, reason: DisconnectReason, lastSeenAt: number, ownerSid?: string, shared: SharedReads | null = null): Promise<PresenceCommit | null> => {
    const owner = ownerSid ?? (await tx.one<{ worker_sid: string }>('SELECT worker_sid FROM connections WHERE id = $1', [connectionId]))?.worker_sid;
    if (owner === undefined) return null;
    // Read again under the lock (sent behind it, one round trip): another node may have ended it meanwhile.
    const [locked, conn] = await Promise.all([
      lockWorker(tx, owner),
      tx.one<{ worker_sid: string; opened_at: number }>('SELECT worker_sid, opened_at FROM connections WHERE id = $1', [connectionId]),
    ]);
    if (!conn || !locked) return null;
    // Opening is itself a sign of life, and nothing is seen after now.
    const seen = Math.min(Math.max(lastSeenAt, conn.opened_at), tx.now);
    return writer.run(tx, conn.worker_sid, { type: 'connection-ended', at: tx.now, connectionId, reason, lastSeenAt: seen }, null, locked, shared);
  };

  /**
   * Ends a batch of connections in one transaction: their workers are locked first, in SID order,
   * in one statement (so two batches touching one worker wait instead of deadlocking), then every
   * worker's endings run at once (`Tx.all`), each worker's own in turn. Unknown connections (ended
   * or reaped already) are passed over.
   */
  const endMany = async (tx: Tx, endings: readonly Ending[]): Promise<PresenceCommit[]> => {
    if (endings.length === 0) return [];
    const owners = await tx.rows<{ id: string; worker_sid: string }>('SELECT id, worker_sid FROM connections WHERE id = ANY($1)', [endings.map((e) => e.connectionId)]);
    const ownerOf = new Map(owners.map((o) => [o.id, o.worker_sid]));
    const byWorker = new Map<string, Ending[]>();
    for (const e of endings) {
      const worker = ownerOf.get(e.connectionId);
      if (worker === undefined) continue;
      const group = byWorker.get(worker);
      if (group) group.push(e);
      else byWorker.set(worker, [e]);
    }
    if (byWorker.size === 0) return [];
    await tx.run('SELECT 1 FROM workers WHERE sid = ANY($1) ORDER BY sid FOR UPDATE', [[...byWorker.keys()]]);
    const shared = new SharedReads(tx);
    const perWorker = await tx.all([...byWorker], async ([worker, group]) => {
      const commits: PresenceCommit[] = [];
      for (const e of group) {
        const commit = await endOne(tx, e.connectionId, e.reason, e.lastSeenAt, worker, shared);
        if (commit) commits.push(commit);
      }
      return commits;
    });
    return perWorker.flat();
  };

  const endNodeConnections = async (tx: Tx, nodeId: string, reason: DisconnectReason, lastSeenAt: number): Promise<PresenceCommit[]> => {
    const rows = await tx.rows<{ id: string }>('SELECT id FROM connections WHERE node_id = $1 ORDER BY worker_sid, id', [nodeId]);
    return endMany(tx, rows.map((c) => ({ connectionId: c.id, reason, lastSeenAt })));
  };

  /**
   * Opens a batch of connections in one transaction. The nodes first (FOR KEY SHARE, before any
   * worker): a retirement (FOR UPDATE) waits for the openings in flight, and an opening after it
   * sees the node retired, so a connection never lands on a retired node; the node's own renewal
   * (an UPDATE of a non-key column) does not conflict with KEY SHARE, so openings never hold up the
   * lease. Then the workers, locked in SID order in one statement (as every batch locks them), and
   * their rows read behind the lock; all sent in one round trip. Each worker's openings then run
   * at once (`Tx.all`), a worker's own in turn. An unknown worker is a refusal of its opening only;
   * a retired node fails the batch.
   */
  const openMany = async (openings: readonly ConnectionOpening[]): Promise<Result<PresenceCommit>[]> => {
    if (openings.length === 0) return [];
    return db.tx(async (tx) => {
      const nodeIds = [...new Set(openings.map((o) => o.nodeId))];
      const workerSids = [...new Set(openings.map((o) => o.workerSid))].sort();
      const [nodes, , rows] = await Promise.all([
        tx.rows<{ id: string; retired_at: number | null }>('SELECT id, retired_at FROM nodes WHERE id = ANY($1) FOR KEY SHARE', [nodeIds]),
        tx.run('SELECT 1 FROM workers WHERE sid = ANY($1) ORDER BY sid FOR UPDATE', [workerSids]),
        tx.rows<WorkerRow>(`${WORKER_SELECT} WHERE w.sid = ANY($1)`, [workerSids]),
      ]);
      const live = new Set(nodes.filter((n) => n.retired_at === null).map((n) => n.id));
      const dead = nodeIds.find((id) => !live.has(id));
      if (dead !== undefined) throw new Error(`node ${dead} is not registered or was retired; it may not hold connections`);
      const rowOf = new Map(rows.map((r) => [r.sid, r]));
      const byWorker = new Map<string, number[]>();
      openings.forEach((o, i) => {
        const group = byWorker.get(o.workerSid);
        if (group) group.push(i);
        else byWorker.set(o.workerSid, [i]);
      });
      const results: Result<PresenceCommit>[] = new Array(openings.length);
      const shared = new SharedReads(tx);
      await tx.all([...byWorker], async ([workerSid, indexes]) => {
        const row = rowOf.get(workerSid);
        let first = true;
        for (const i of indexes) {
          const o = openings[i] as ConnectionOpening;
          if (!row || row.workspace_sid !== o.workspaceSid) {
            results[i] = refuse('not-found', `Worker ${o.workerSid} was not found`);
            continue;
          }
          // A second opening of the worker in the batch reads again the row its first one wrote.
          const commit = await writer.run(tx, workerSid, { type: 'connection-opened', at: tx.now, connection: { id: o.connectionId, exempt: o.exempt } }, o.nodeId, first ? row : null, shared);
          if (!commit) throw new Error(`worker ${workerSid} vanished inside its own transaction`);
          results[i] = ok(commit);
          first = false;
        }
      });
      return results;
    });
  };

  return {
    async openConnection(opening) {
      return (await openMany([opening]))[0] as Result<PresenceCommit>;
    },
    async openConnections(openings) {
      return openMany(openings);
    },
    async endConnection(ending) {
      return db.tx(async (tx) => {
        const commit = await endOne(tx, ending.connectionId, ending.reason, ending.lastSeenAt);
        return commit ? ((await afterDisconnections(tx, [commit]))[0] ?? null) : null;
      });
    },
    async endConnections(endings) {
      return db.tx(async (tx) => afterDisconnections(tx, await endMany(tx, endings)));
    },
    async setActivity(request) {
      return db.tx(async (tx): Promise<Result<PresenceCommit>> => {
        const [row, activity] = await Promise.all([lockWorker(tx, request.workerSid), tx.one<ActivityRow>(ACTIVITY, [request.workspaceSid, request.activitySid])]);
        if (!row || row.workspace_sid !== request.workspaceSid) return refuse('not-found', `Worker ${request.workerSid} was not found`);
        if (!activity) return refuse('invalid-parameter', `ActivitySid ${request.activitySid} is not an activity of this workspace`, 'ActivitySid');
        if (request.ifMatchVersion !== undefined && request.ifMatchVersion !== row.version) {
          return refuse('version-mismatch', `Worker ${request.workerSid} is at version ${row.version}, not ${request.ifMatchVersion}`);
        }
        if (request.rejectPendingReservations && activity.available === 1) {
          return refuse('invalid-parameter', 'RejectPendingReservations is only allowed when moving to an unavailable activity', 'RejectPendingReservations');
        }
        const commit = await writer.run(tx, request.workerSid, {
          type: 'activity-set', at: tx.now, activity: { sid: activity.sid, available: activity.available === 1 },
          cause: request.cause, actor: request.actor, rejectPendingReservations: request.rejectPendingReservations,
        }, null, row);
        if (!commit) throw new Error(`worker ${request.workerSid} vanished inside its own transaction`);
        return ok(commit);
      });
    },
    async claimDueDeadlines(limit) {
      return db.tx(async (tx) => {
        const due = await tx.rows<{ worker_sid: string; deadline_id: number }>(CLAIM, [tx.now, limit]);
        if (due.length === 0) return [];
        // The claim locked the workers' rows (and waited for none: SKIP LOCKED), so their rows are
        // read after it in one statement, as is the breaker's evidence (a deadline the breaker held
        // logs out like any other; its evidence names the hold).
        const [rows, breakers] = await Promise.all([
          tx.rows<WorkerRow>(`${WORKER_SELECT} WHERE w.sid = ANY($1::text[])`, [due.map((d) => d.worker_sid)]),
          breakerEvidenceOf(tx, due),
        ]);
        const rowOf = new Map(rows.map((r) => [r.sid, r]));
        const shared = new SharedReads(tx);
        // One row per worker (a worker has at most one deadline), every one locked by the claim: they fire at once.
        const fired = await tx.all(due, async (d) => {
          const locked = rowOf.get(d.worker_sid);
          if (!locked) return null;
          return writer.run(tx, d.worker_sid, { type: 'due-time-reached', at: tx.now, deadlineId: d.deadline_id, breaker: breakers.get(d.worker_sid) }, null, locked, shared);
        });
        // A stale claim (the row qualified in this statement's snapshot, and another node fired
        // or a reconnect cancelled it before the lock was taken) changes nothing: the machine gives
        // no output, and nothing is reported. A real fire always clears its deadline.
        return fired.filter((commit): commit is PresenceCommit => commit !== null && commit.outputs.length > 0);
      });
    },
    async nextDueAt() {
      return (await db.sql.one<{ due_at: number | null }>('SELECT MIN(due_at) AS due_at FROM deadlines'))?.due_at ?? null;
    },
    async updateLogoutSettings(workspaceSid, patch, actor) {
      return db.tx(async (tx): Promise<Result<{ settings: LogoutSettings; commits: PresenceCommit[] }>> => {
        // The settings row is locked for the change, so two changes of one workspace apply in turn.
        const row = await tx.one<SettingsRow>('SELECT * FROM logout_settings WHERE workspace_sid = $1 FOR UPDATE', [workspaceSid]);
        if (!row) return refuse('not-found', `Workspace ${workspaceSid} was not found`);
        const activities = await tx.rows<ActivityRow>('SELECT a.*, ws.account_sid FROM activities a JOIN workspaces ws ON ws.sid = a.workspace_sid WHERE a.workspace_sid = $1 ORDER BY a.created_at, a.seq', [workspaceSid]);
        const result = applyLogoutSettingsPatch(toSettings(row), patch, activities.map(toActivity), tx.now);
        if (!result.ok) return result;
        const s = result.value;
        await tx.run('UPDATE logout_settings SET logout_activity_sid = $1, enabled = $2, threshold_ms = $3, updated_at = $4, updated_by = $5 WHERE workspace_sid = $6',
          [s.logoutActivitySid, s.enabled ? 1 : 0, s.thresholdMs, tx.now, actor, workspaceSid]);
        // Rule 9: the new settings apply at once to every pending disconnection (each under its worker's lock).
        // Locked here, in SID order, then re-armed at once (Tx.all).
        const disconnected = await tx.rows<{ sid: string }>("SELECT sid FROM workers WHERE workspace_sid = $1 AND (presence::jsonb -> 'disconnection') <> 'null'::jsonb ORDER BY sid FOR UPDATE", [workspaceSid]);
        const rearmed = await tx.all(disconnected, (w) => writer.run(tx, w.sid, { type: 'policy-changed', at: tx.now }));
        const commits = rearmed.filter((commit): commit is PresenceCommit => commit !== null && commit.outputs.length > 0);
        // Deadlines an outage hold holds stay held, at their new ordinary time or the hold's end.
        const moved = await reapplyHold(tx, workspaceSid);
        return ok({ settings: { ...s, updatedBy: actor }, commits: commits.map((c) => withDueTimes(c, moved)) });
      });
    },

    async registerNode(nodeId) {
      await db.tx((tx) => tx.run('INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ($1, $2, $2)', [nodeId, tx.now]));
    },
    async storeNow() {
      return db.leaseNow();
    },
    async heartbeatNode(nodeId) {
      return (await db.leaseTx((tx) => tx.run('UPDATE nodes SET heartbeat_at = $1 WHERE id = $2 AND retired_at IS NULL', [tx.now, nodeId]))) > 0;
    },
    async reapNodes(liveNodeId, reason) {
      // Nodes whose lease ran out are retired first, in one short transaction: from then on their
      // renewal finds them reaped (they rejoin and drop their sockets) and nothing may open on them.
      // FOR UPDATE waits for the openings in flight on those nodes (they hold KEY SHARE), and re-checks
      // the lease after the wait: a node that renewed meanwhile is not retired.
      await db.tx((tx) => tx.run(`UPDATE nodes SET retired_at = $1 WHERE id IN (
        SELECT id FROM nodes WHERE id <> $2 AND retired_at IS NULL AND heartbeat_at < $3 FOR UPDATE)`, [tx.now, liveNodeId, tx.now - lease.nodeLeaseMs]));
      // Then their connections end in batches, each its own transaction: a dead node of 20 000
      // agents is not one transaction holding 20 000 worker locks while those agents reconnect
      // elsewhere. A retired node's connections left over (a reaper that died half-way) are
      // taken by the next reap. SKIP LOCKED: two reapers take disjoint connections.
      const retired = (await db.sql.rows<{ id: string }>(RETIRED_WITH_CONNECTIONS)).map((n) => n.id);
      const commits: PresenceCommit[] = [];
      while (retired.length > 0) {
        const batch = await db.tx(async (tx) => {
          const rows = await tx.rows<{ id: string; heartbeat_at: number }>(REAP_BATCH, [REAP_BATCH_SIZE, retired]);
          // Rule 11: a dead process's connections are lost at its last stored heartbeat.
          const ended = await endMany(tx, rows.map((c) => ({ connectionId: c.id, reason, lastSeenAt: c.heartbeat_at })));
          return { size: rows.length, commits: await afterDisconnections(tx, ended) };
        });
        commits.push(...batch.commits);
        if (batch.size < REAP_BATCH_SIZE) break;
      }
      return commits;
    },
    async retireNode(nodeId, reason) {
      return db.tx(async (tx) => {
        await tx.one('SELECT 1 FROM nodes WHERE id = $1 FOR UPDATE', [nodeId]);
        const commits = await endNodeConnections(tx, nodeId, reason, tx.now);
        await tx.run('UPDATE nodes SET retired_at = $1, heartbeat_at = $1 WHERE id = $2', [tx.now, nodeId]);
        return afterDisconnections(tx, commits);
      });
    },
  };
}
