/**
 * A node that loses its PostgreSQL (the link cut by a proxy between them): it says it is not
 * ready, with the reason and its name, refuses agents with 503, and takes them again once the
 * database is back, its LISTEN connection restored. Skipped, with the reason, without
 * ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../support/postgres.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

/** Opens an agent socket; resolves the HTTP status of a refused upgrade, or 101 once the init frame came. */
function upgradeStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/wschannels?token=${encodeURIComponent(token)}`);
    ws.once('message', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe.skipIf(NO_POSTGRES)(`a node losing its PostgreSQL${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema | null = null;
  let node: TestRollcall | null = null;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    if (proxy) proxy.refuseNew = false;
    await node?.close();
    await proxy?.close();
    await schema?.drop();
    node = null;
    proxy = null;
    schema = null;
  });

  it('is not ready and refuses agents while the database is unreachable, and recovers when it returns', async () => {
    schema = await createTestSchema();
    const target = new URL(schema.urlInSchema);
    proxy = new TcpProxy(Number(target.port || 5432));
    await proxy.start();
    target.host = `127.0.0.1:${proxy.port}`;
    node = await startRollcall({ ROLLCALL_DATABASE_URL: target.toString(), ROLLCALL_NODE_NAME: 'node-a' });
    const s = node;
    const { account, apiKey } = s.rollcall.installation;
    const token = await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: s.workspaceSid,
      workerSid: s.workerSid('alice'), identity: 'alice', role: 'worker', ttlS: 600, nowMs: Date.now(),
    });
    const ready = await fetch(`${s.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', node: 'node-a' });
    expect(await upgradeStatus(s.url, token)).toBe(101);
    // Every metric carries the node's name.
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/rollcall_\w+\{[^}]*node="node-a"/);

    // The database goes away: every connection to it is cut, and new ones are refused.
    proxy.refuseNew = true;
    proxy.drop();
    const down = await waitFor('readiness to go false', async () => {
      const res = await fetch(`${s.url}/readyz`);
      const body = res.status === 503 ? ((await res.json()) as { node: string; reason: string }) : null;
      return body?.reason.startsWith('store failing') ? body : null;
    });
    expect(down.node).toBe('node-a');
    expect(down.reason).toMatch(/^store failing since /);
    expect(await upgradeStatus(s.url, token)).toBe(503);

    // It comes back: the next heartbeat lands, the node is ready and takes agents again.
    proxy.refuseNew = false;
    await waitFor('readiness to return', async () => (await fetch(`${s.url}/readyz`)).status === 200, 20_000);
    expect(await upgradeStatus(s.url, token)).toBe(101);
  });
});
