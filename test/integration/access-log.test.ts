/**
 * The access log and the guard of /metrics. Real traffic (an official twilio-taskrouter agent
 * over the WebSocket and the envelope, the official `twilio` library over REST with Basic auth,
 * a console cookie, a one-time agent link) goes through a server whose pino logger writes into
 * this test; every request has its one line, probes have none, and no credential appears in
 * any line the process wrote.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRollcall, type Rollcall } from '../../src/main.js';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { FAST_LIVENESS, sdkWorker, tempDataDir } from '../support/harness.js';
import { once } from '../support/wait.js';
import { restClient } from './rest-support.js';

interface LoggedRollcall {
  readonly rollcall: Rollcall;
  readonly url: string;
  readonly lines: string[];
}

const running: { rollcall: Rollcall; dataDir: string }[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  for (const { rollcall, dataDir } of running.splice(0)) {
    await rollcall.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function startLogged(env: Record<string, string> = {}): Promise<LoggedRollcall> {
  const dataDir = tempDataDir();
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  const rollcall = await createRollcall(loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ...FAST_LIVENESS, ...env }), { demo: true, logger });
  running.push({ rollcall, dataDir });
  return { rollcall, url: await rollcall.listen(), lines };
}

interface AccessLine {
  reqId: string;
  method: string;
  route: string | null;
  url: string;
  status: number | null;
  durationMs: number;
  remoteAddress: string;
}

const accessLines = (lines: readonly string[]): AccessLine[] =>
  lines.map((l) => JSON.parse(l) as AccessLine & { msg: string }).filter((l) => l.msg === 'request');

describe('access log', () => {
  it('writes one line per request with route, status and duration, and no credential anywhere', async () => {
    const { rollcall, url, lines } = await startLogged();
    const { account, apiKey, workspace, workers } = rollcall.installation;
    const alice = workers.find((w) => w.friendlyName === 'alice');
    if (!alice) throw new Error('no demo worker alice');
    const token = await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid: alice.sid, identity: 'alice', role: 'worker', ttlS: 600, nowMs: Date.now(),
    });

    // The agent: a WebSocket upgrade carrying ?token=, then an envelope POST carrying the token in its body.
    const agent = sdkWorker(token, url);
    cleanups.push(() => agent.disconnect());
    await once(agent, 'ready');
    const breakSid = (await rollcall.store.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Break')?.sid ?? '';
    const updated = once(agent, 'activityUpdated');
    await agent.activities.get(breakSid)?.setAsCurrent();
    await updated;
    // REST with the account's auth token (Basic auth), a console cookie, a one-time link in a query.
    const workerList = await restClient(url, { username: account.sid, password: account.authToken }).taskrouter.v1.workspaces(workspace.sid).workers.list();
    expect(workerList.length).toBeGreaterThan(0);
    const cookie = 'rollcall_session=cookie-secret-0123456789';
    expect((await fetch(`${url}/console/api/session`, { headers: { cookie } })).status).toBe(401);
    const link = 'link-secret-0123456789';
    await fetch(`${url}/console/agent?link=${link}&view=full`);
    // Probes and scrapes stay out of the log.
    for (const quiet of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${url}${quiet}`)).status).toBe(200);
    const missing = await fetch(`${url}/nothing-here?Token=query-secret-0123456789`);
    expect(missing.status).toBe(404);

    const access = accessLines(lines);
    const upgrade = access.find((l) => l.route === '/v1/wschannels' && l.method === 'GET');
    expect(upgrade).toMatchObject({ status: 101, url: expect.stringMatching(/^\/v1\/wschannels\?token=\[redacted\]&closeExistingSessions=(true|false)&/) as unknown });
    const envelope = access.find((l) => l.route === '/v1/wschannels' && l.method === 'POST');
    expect(envelope).toMatchObject({ status: 200 });
    const rest = access.find((l) => l.route === '/v1/Workspaces/:workspaceSid/Workers');
    expect(rest).toMatchObject({ method: 'GET', status: 200, url: `/v1/Workspaces/${workspace.sid}/Workers` });
    expect(access.find((l) => l.url.startsWith('/console/agent'))?.url).toBe('/console/agent?link=[redacted]&view=full');
    expect(access.find((l) => l.route === null)).toMatchObject({ status: 404, url: '/nothing-here?Token=[redacted]' });
    expect(access.filter((l) => ['/healthz', '/readyz', '/metrics'].includes(l.route ?? ''))).toEqual([]);
    for (const line of access) {
      expect(line.reqId).toEqual(expect.any(String));
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(line.remoteAddress).toMatch(/127\.0\.0\.1/);
    }
    // Each Fastify request is logged once.
    const ids = access.map((l) => l.reqId);
    expect(new Set(ids).size).toBe(ids.length);

    const everything = lines.join('\n');
    const basic = Buffer.from(`${account.sid}:${account.authToken}`).toString('base64');
    for (const secret of [token, account.authToken, apiKey.secret, basic, 'cookie-secret-0123456789', link, 'query-secret-0123456789']) {
      expect(everything.includes(secret), `a log line holds ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});

describe('/metrics access', () => {
  it('asks for the bearer token when ROLLCALL_METRICS_TOKEN is set', async () => {
    const secret = 'metrics-token-0123456789';
    const { url, lines } = await startLogged({ ROLLCALL_METRICS_TOKEN: secret });
    const none = await fetch(`${url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="rollcall-metrics"');
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const good = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await good.text()).toContain('# TYPE rollcall_logouts_total counter');
    expect(lines.join('\n').includes(secret)).toBe(false);
  });

  it('answers only loopback clients not behind a proxy when no token is set', async () => {
    const { url } = await startLogged();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const proxied = await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(403);
    expect(await proxied.text()).toMatch(/ROLLCALL_METRICS_TOKEN/);
  });

  it('keeps each instance\'s counts apart', async () => {
    const [a, b] = [await startLogged(), await startLogged()];
    const { workspace, workers } = a.rollcall.installation;
    const alice = workers.find((w) => w.friendlyName === 'alice')?.sid ?? '';
    const opened = await a.rollcall.presence.connect({ workspaceSid: workspace.sid, workerSid: alice, connectionId: 'CNtest', exempt: false });
    expect(opened.ok).toBe(true);
    const offline = (await a.rollcall.store.logoutSettings(workspace.sid)).logoutActivitySid;
    const loggedOut = await a.rollcall.presence.setActivity({ workspaceSid: workspace.sid, workerSid: alice, activitySid: offline, cause: 'api', actor: 'test', rejectPendingReservations: false });
    expect(loggedOut.ok).toBe(true);
    const [fromA, fromB] = [await a.rollcall.metrics.exposition(), await b.rollcall.metrics.exposition()];
    expect(fromA).toMatch(/^rollcall_agents_connected 1$/m);
    expect(fromA).toMatch(/^rollcall_logouts_total\{cause="api"\} 1$/m);
    expect(fromB).toMatch(/^rollcall_agents_connected 0$/m);
    expect(fromB).not.toMatch(/^rollcall_logouts_total\{/m);
  });
});
