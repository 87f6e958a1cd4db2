/**
 * Many agents reconnecting around their due times across nodes: each drops from one node and
 * comes back at another between 300 ms before and 300 ms after its logout is due. Every one is
 * either cancelled (the episode reconnected, no logout) or logged out (one row), never both, never
 * twice. Raw agent sockets (the SDK's wire protocol) keep 3 node processes and 500 agents within
 * this machine. Skipped without ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { restClient } from '../integration/rest-support.js';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { until, waitFor } from '../support/wait.js';
import { startCluster, THRESHOLD_S, type Cluster } from './cluster-support.js';

const AGENTS = 500;

function connect(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/wschannels?token=${encodeURIComponent(token)}`);
    ws.once('message', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<void> => new Promise((resolve) => {
  if (ws.readyState === ws.CLOSED) resolve();
  else ws.once('close', () => resolve());
});

describe.skipIf(NO_POSTGRES)(`${AGENTS} agents reconnecting across nodes around their due times${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await cluster?.close();
    cluster = null;
  });

  it('each is cancelled or logged out, never both, never twice', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    // A lease this machine's load cannot outlast between two renewals (2 cores for 3 nodes and 500 agents).
    const c = (cluster = await startCluster(['A', 'B', 'C'], {
      ROLLCALL_NODE_LEASE_MS: '5000', ROLLCALL_PING_INTERVAL_MS: '1000', ROLLCALL_LIVENESS_TIMEOUT_MS: '5000',
    }));
    // All of them dropping at once is a mass disconnect: the breaker would hold their logouts. Off here.
    const off = await fetch(`${c.nodes[0]?.url}/v1/Workspaces/${c.creds.workspace_sid}`, {
      method: 'POST', body: new URLSearchParams({ OutageBreakerEnabled: 'false' }),
      headers: { authorization: `Basic ${Buffer.from(`${c.creds.api_key_sid}:${c.creds.api_key_secret}`).toString('base64')}` },
    });
    expect(off.status).toBe(200);
    const ws = restClient(c.nodes[0]?.url ?? '', { username: c.creds.api_key_sid, password: c.creds.api_key_secret, accountSid: c.creds.account_sid })
      .taskrouter.v1.workspaces(c.creds.workspace_sid);
    const { rows } = await c.sql.query<{ sid: string }>("SELECT sid FROM activities WHERE workspace_sid = $1 AND friendly_name = 'Available'", [c.creds.workspace_sid]);
    const sids: string[] = [];
    for (let i = 0; i < AGENTS; i += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, AGENTS - i) }, (_, k) => ws.workers.create({ friendlyName: `agent-${i + k}`, activitySid: rows[0]?.sid })));
      sids.push(...batch.map((w) => w.sid));
    }
    const tokens = await Promise.all(sids.map((sid, i) => issueAccessToken({
      accountSid: c.creds.account_sid, apiKeySid: c.creds.api_key_sid, apiKeySecret: c.creds.api_key_secret, workspaceSid: c.creds.workspace_sid,
      workerSid: sid, identity: `agent-${i}`, role: 'worker', ttlS: 600, nowMs: Date.now(),
    })));
    const nodeUrl = (i: number): string => c.nodes[i % c.nodes.length]?.url ?? '';
    const first: WebSocket[] = [];
    for (let i = 0; i < AGENTS; i += 50) first.push(...await Promise.all(tokens.slice(i, i + 50).map((t, k) => connect(nodeUrl(i + k), t))));
    sockets.push(...first);
    const { rows: open } = await c.sql.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM connections');
    expect(open[0]?.n).toBe(AGENTS);

    // All drop at once; each comes back at the next node, from 300 ms before to 300 ms after its due time.
    const droppedAt = Date.now();
    for (const s of first) s.close();
    await Promise.all(first.map(closed));
    const dueAt = droppedAt + THRESHOLD_S * 1000;
    const back = await Promise.all(tokens.map(async (t, i) => {
      await until(dueAt - 300 + Math.round((600 * i) / AGENTS));
      const s = await connect(nodeUrl(i + 1), t);
      sockets.push(s);
      return s;
    }));
    expect(back).toHaveLength(AGENTS);
    // The drop's episode (reason closed) and every logout of the worker; a later loss of the new
    // socket on this loaded machine would be an episode of its own, without a logout (Offline by then).
    // Every episode is settled (no deadline left) before counting.
    await waitFor('every deadline settled', async () => (await c.sql.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM deadlines')).rows[0]?.n === 0, 60_000);
    const { rows: perWorker } = await c.sql.query<{ worker_sid: string; episodes: number; outcomes: string; logouts: number }>(`
      SELECT w.sid AS worker_sid,
             (SELECT COUNT(*)::int FROM disconnect_episodes e WHERE e.worker_sid = w.sid AND e.reason = 'closed') AS episodes,
             (SELECT string_agg(COALESCE(e.outcome, 'open'), ',') FROM disconnect_episodes e WHERE e.worker_sid = w.sid AND e.reason = 'closed') AS outcomes,
             (SELECT COUNT(*)::int FROM activity_log l WHERE l.worker_sid = w.sid AND l.cause = 'offline-threshold') AS logouts
        FROM workers w WHERE w.sid = ANY($1)`, [sids]);
    expect(perWorker).toHaveLength(AGENTS);
    const bad = perWorker.filter((w) => !(w.episodes === 1 && ((w.outcomes === 'reconnected' && w.logouts === 0) || (w.outcomes === 'logged-out' && w.logouts === 1))));
    expect(bad).toEqual([]);
    const { rows: events } = await c.sql.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM events WHERE resource_sid = ANY($1) AND cause = 'offline-threshold'", [sids]);
    const loggedOut = perWorker.filter((w) => w.logouts === 1).length;
    expect(events[0]?.n).toBe(loggedOut);
    console.log(`reconnect race: ${AGENTS - loggedOut} cancelled, ${loggedOut} logged out in ${Date.now() - startedAt} ms`);
  });
});
