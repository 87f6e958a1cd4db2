/**
 * The node port (NodeStore) on SQLite: one row per server process, its heartbeat, and ending the
 * connections of nodes that stopped (cleanly, or not: rule 11).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { DisconnectReason } from '../../core/presence.js';
import type { Clock, NodeStore, PresenceCommit } from '../../service/ports.js';
import type { OutageHolds } from './outage-hold.js';
import type { EndConnection } from './presence-verbs.js';
import { cachedPrepare } from './statement-cache.js';
import { writeTx } from './transaction.js';

export function createNodeVerbs(db: BetterSqlite3.Database, clock: Clock, endOne: EndConnection, holds: OutageHolds): NodeStore {
  const prepare = cachedPrepare(db);
  const q = {
    nodeConnections: prepare<[string], { id: string; worker_sid: string }>('SELECT id, worker_sid FROM connections WHERE node_id = ? ORDER BY worker_sid'),
    otherNodes: prepare<[string], { id: string; heartbeat_at: number }>('SELECT id, heartbeat_at FROM nodes WHERE id <> ? AND retired_at IS NULL'),
  };
  const endNodeConnections = (nodeId: string, reason: DisconnectReason, lastSeenAt: number, at: number): PresenceCommit[] => {
    const commits: PresenceCommit[] = [];
    for (const c of q.nodeConnections.all(nodeId)) {
      const commit = endOne(c.id, reason, lastSeenAt, at);
      if (commit) commits.push(commit);
    }
    return commits;
  };
  return {
    async registerNode(nodeId) {
      const at = clock.now();
      prepare('INSERT INTO nodes (id, started_at, heartbeat_at) VALUES (?, ?, ?)').run(nodeId, at, at);
    },
    async storeNow() {
      return clock.now();
    },
    async heartbeatNode(nodeId) {
      return prepare('UPDATE nodes SET heartbeat_at = ? WHERE id = ? AND retired_at IS NULL').run(clock.now(), nodeId).changes > 0;
    },
    async reapNodes(liveNodeId, reason) {
      return writeTx(db, () => {
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
      return writeTx(db, () => {
        const at = clock.now();
        const commits = endNodeConnections(nodeId, reason, at, at);
        prepare('UPDATE nodes SET retired_at = ?, heartbeat_at = ? WHERE id = ?').run(at, at, nodeId);
        return holds.afterDisconnections(commits, at);
      });
    },
  };
}
