/**
 * The scenario both database-outage tests run (a proxy cutting every link, and a real server
 * stopped and started): three nodes, 60 raw agents spread over them, the breaker off. A third
 * drop just before the database goes and a quarter while it is gone; their logouts fall due during
 * the outage. Afterwards: every node ready again, every dropped agent logged out exactly once at
 * its last sign of life + the threshold (one log row, one event), no connected agent logged out.
 */
import { expect } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { restClient } from '../integration/rest-support.js';
import { until, waitFor } from '../support/wait.js';
import { THRESHOLD_S, type Cluster } from './cluster-support.js';

const AGENTS = 60;
export const OUTAGE_MS = 2000;

/** Nodes' settings for an outage: the lease outlasts it, so no node takes another for dead when the database returns. */
export const OUTAGE_ENV = { ROLLCALL_NODE_LEASE_MS: '6000', ROLLCALL_PING_INTERVAL_MS: '1000', ROLLCALL_LIVENESS_TIMEOUT_MS: '8000' };

export interface Outage {
  /** The database goes away (resolves once it is gone). */
  begin(): Promise<void>;
  /** It comes back. */
  end(): Promise<void>;
}

function connect(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/wschannels?token=${encodeURIComponent(token)}`);
    ws.once('message', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const readiness = (c: Cluster): Promise<number[]> => Promise.all(c.nodes.map(async (n) => (await fetch(`${n.url}/readyz`)).status));

/** Runs the scenario on `c` (sockets it opens go into `sockets`, for the caller to end). */
export async function outageLosesNoChange(c: Cluster, outage: Outage, sockets: WebSocket[]): Promise<void> {
  const auth = { authorization: `Basic ${Buffer.from(`${c.creds.api_key_sid}:${c.creds.api_key_secret}`).toString('base64')}` };
  const off = await fetch(`${c.nodes[0]?.url}/v1/Workspaces/${c.creds.workspace_sid}`, { method: 'POST', body: new URLSearchParams({ OutageBreakerEnabled: 'false' }), headers: auth });
  expect(off.status).toBe(200);
  const ws = restClient(c.nodes[0]?.url ?? '', { username: c.creds.api_key_sid, password: c.creds.api_key_secret, accountSid: c.creds.account_sid })
    .taskrouter.v1.workspaces(c.creds.workspace_sid);
  const { rows } = await c.sql.query<{ sid: string }>("SELECT sid FROM activities WHERE workspace_sid = $1 AND friendly_name = 'Available'", [c.creds.workspace_sid]);
  const sids = await Promise.all(Array.from({ length: AGENTS }, async (_, i) => (await ws.workers.create({ friendlyName: `agent-${i}`, activitySid: rows[0]?.sid })).sid));
  const live = await Promise.all(sids.map(async (sid, i) => {
    const token = await issueAccessToken({
      accountSid: c.creds.account_sid, apiKeySid: c.creds.api_key_sid, apiKeySecret: c.creds.api_key_secret, workspaceSid: c.creds.workspace_sid,
      workerSid: sid, identity: `agent-${i}`, role: 'worker', ttlS: 600, nowMs: Date.now(),
    });
    const s = await connect(c.nodes[i % 3]?.url ?? '', token);
    sockets.push(s);
    return s;
  }));
  const dropped = new Set<string>();
  const drop = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      live[i]?.close();
      dropped.add(sids[i] ?? '');
    }
  };
  drop(0, 20);
  await until(Date.now() + 200);
  await outage.begin();
  const goneAt = Date.now();
  await until(goneAt + OUTAGE_MS / 2);
  drop(20, 35);
  // The outage is real to the nodes: each says it is not ready.
  await waitFor('every node not ready', async () => (await readiness(c)).every((s) => s === 503), OUTAGE_MS / 2);
  await until(goneAt + OUTAGE_MS);
  await outage.end();

  await waitFor('every node ready again', async () => (await readiness(c)).every((s) => s === 200), 20_000);
  const { rows: logouts } = await waitFor('every dropped agent logged out', async () => {
    const result = await c.sql.query<{ worker_sid: string; evidence: string; effective_at: string }>(
      "SELECT worker_sid, evidence, effective_at FROM activity_log WHERE worker_sid = ANY($1) AND cause = 'offline-threshold'", [sids]);
    return result.rows.length >= dropped.size ? result : null;
  }, 20_000);
  // Another lease period, for anything that would fire twice.
  await until(Date.now() + 2000);
  const { rows: after } = await c.sql.query<{ worker_sid: string }>("SELECT worker_sid FROM activity_log WHERE worker_sid = ANY($1) AND cause = 'offline-threshold'", [sids]);
  expect(after).toHaveLength(logouts.length);
  expect(new Set(logouts.map((l) => l.worker_sid))).toEqual(dropped);
  expect(logouts).toHaveLength(dropped.size);
  for (const l of logouts) {
    const evidence = JSON.parse(l.evidence) as { lastSeenAt: number; reason: string };
    expect(evidence.reason).toBe('closed');
    expect(Number(l.effective_at)).toBe(evidence.lastSeenAt + THRESHOLD_S * 1000);
  }
  const { rows: events } = await c.sql.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM events WHERE resource_sid = ANY($1) AND cause = 'offline-threshold'", [sids]);
  expect(events[0]?.n).toBe(dropped.size);
  const { rows: connected } = await c.sql.query<{ n: number }>('SELECT COUNT(DISTINCT worker_sid)::int AS n FROM connections WHERE worker_sid = ANY($1)', [sids]);
  expect(connected[0]?.n).toBe(AGENTS - dropped.size);
}
