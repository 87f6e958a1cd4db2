/**
 * Three real node processes on one PostgreSQL schema (issue 11 items 3–5), an agent on the
 * official Worker SDK behind a switchable proxy (the load balancer): the agent moving from node A
 * to node B inside the threshold is not logged out; kill -9 of the node holding the agent gets it
 * logged out exactly once, by another node, at the dead node's last heartbeat + the threshold.
 * Skipped, with the reason, without ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { once, until, waitFor } from '../support/wait.js';
import { activityLog, LEASE_MS, startCluster, THRESHOLD_S, type Cluster } from './cluster-support.js';

describe.skipIf(NO_POSTGRES)(`three nodes on one PostgreSQL${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  it('an agent moving from node A to node B inside the threshold is not logged out', async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C']));
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('three nodes');
    const alice = await c.availableAgent('alice');
    const sid = c.workerSid('alice');
    const heldBy = async (): Promise<string> => {
      const { rows } = await c.sql.query<{ id: string }>('SELECT n.id FROM connections x JOIN nodes n ON n.id = x.node_id WHERE x.worker_sid = $1', [sid]);
      return rows.length === 1 ? (rows[0]?.id ?? '') : '';
    };
    const firstNode = await waitFor('alice connected', () => heldBy());
    // The balancer now sends new connections to B; the link to A breaks; the SDK reconnects, to B.
    c.proxy.targetPort = b.port;
    const droppedAt = Date.now();
    const reconnected = once(alice, 'ready', 10_000);
    c.proxy.drop();
    await reconnected;
    const secondNode = await waitFor('alice on another node', async () => {
      const id = await heldBy();
      return id !== '' && id !== firstNode ? id : '';
    });
    expect(secondNode).not.toBe(firstNode);
    // Past the moment node A's logout would have been due: nothing happened.
    await until(droppedAt + THRESHOLD_S * 1000 + 500);
    const log = await activityLog(c.sql, sid);
    expect(log.filter((e) => e.cause === 'offline-threshold')).toEqual([]);
    const { rows } = await c.sql.query<{ name: string }>('SELECT a.friendly_name AS name FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE w.sid = $1', [sid]);
    expect(rows[0]?.name).toBe('Available');
    const { rows: episodes } = await c.sql.query<{ outcome: string | null }>('SELECT outcome FROM disconnect_episodes WHERE worker_sid = $1', [sid]);
    expect(episodes.map((e) => e.outcome)).toEqual(['reconnected']);
  });

  it('kill -9 of the node holding an agent: another node logs it out once, at that node\'s last heartbeat + the threshold', async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C']));
    const [a, b, cNode] = c.nodes;
    if (!a || !b || !cNode) throw new Error('three nodes');
    await c.availableAgent('alice');
    const sid = c.workerSid('alice');
    const { rows: held } = await c.sql.query<{ node_id: string; opened_at: string }>('SELECT node_id, opened_at FROM connections WHERE worker_sid = $1', [sid]);
    expect(held).toHaveLength(1);
    const deadNode = held[0]?.node_id ?? '';
    const openedAt = Number(held[0]?.opened_at);
    // The agent cannot come back (its network is gone too), and node A dies without a word.
    c.proxy.refuseNew = true;
    await c.kill(a);
    const killedAt = Date.now();
    const logout = await waitFor('the logout', async () => (await activityLog(c.sql, sid)).find((e) => e.cause === 'offline-threshold'), 15_000);
    const { rows: node } = await c.sql.query<{ heartbeat_at: string; retired_at: string | null }>('SELECT heartbeat_at, retired_at FROM nodes WHERE id = $1', [deadNode]);
    const lastHeartbeat = Number(node[0]?.heartbeat_at);
    expect(node[0]?.retired_at).not.toBeNull();
    expect(lastHeartbeat).toBeLessThanOrEqual(killedAt);
    // Lost at the node's last heartbeat, or at the opening if the node died before its next beat.
    const lastSeenAt = Math.max(lastHeartbeat, openedAt);
    expect(logout.effective_at).toBe(lastSeenAt + THRESHOLD_S * 1000);
    expect(JSON.parse(logout.evidence ?? '{}')).toMatchObject({ reason: 'node-lost', lastSeenAt, thresholdMs: THRESHOLD_S * 1000 });
    // Another lease period for a second reaper to do it again, if it could: still one row, one event.
    await until(Date.now() + 2 * LEASE_MS);
    expect((await activityLog(c.sql, sid)).filter((e) => e.cause === 'offline-threshold')).toHaveLength(1);
    const { rows: events } = await c.sql.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM events WHERE resource_sid = $1 AND event_type = 'worker.activity.update' AND cause = 'offline-threshold'", [sid]);
    expect(events[0]?.n).toBe(1);
    const { rows: episodes } = await c.sql.query<{ reason: string; outcome: string; last_seen_at: string }>('SELECT reason, outcome, last_seen_at FROM disconnect_episodes WHERE worker_sid = $1', [sid]);
    expect(episodes).toEqual([{ reason: 'node-lost', outcome: 'logged-out', last_seen_at: String(lastSeenAt) }]);
    // One of the survivors reaped it, and said so in its log.
    const reapers = [b, cNode].filter((n) => n.process.output().includes('connections of nodes whose lease ran out'));
    expect(reapers).toHaveLength(1);
  });
});
