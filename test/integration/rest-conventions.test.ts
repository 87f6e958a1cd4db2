/**
 * REST conformance, part 1: authentication, API keys, error bodies, paging and If-Match, driven
 * only through the official `twilio` library against a real server on port 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, keyCredentials, restClient, type TwilioClient } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(env: Record<string, string> = {}): Promise<{ s: TestRollcall; client: TwilioClient }> {
  server = await startRollcall(env);
  return { s: server, client: restClient(server.url, accountCredentials(server)) };
}

describe('authentication', () => {
  it('accepts the Account SID with its auth token, and an API key with its secret', async () => {
    const { s, client } = await start();
    expect((await client.taskrouter.v1.workspaces(s.workspaceSid).fetch()).sid).toBe(s.workspaceSid);
    const viaKey = restClient(s.url, keyCredentials(s));
    expect((await viaKey.taskrouter.v1.workspaces(s.workspaceSid).fetch()).sid).toBe(s.workspaceSid);
  });

  it('answers every bad credential with the same 401 and code 20003, leaking nothing', async () => {
    const { s } = await start();
    const { account, apiKey } = s.rollcall.installation;
    const otherAccount = `AC${'0'.repeat(32)}`;
    const revoked = await s.rollcall.store.createApiKey(account.sid, 'to revoke');
    await s.rollcall.store.revokeApiKey(account.sid, revoked.sid);
    const attempts = [
      { username: account.sid, password: 'not-the-token' },
      { username: account.sid, password: account.authToken.slice(0, -1) },
      { username: otherAccount, password: account.authToken },
      { username: apiKey.sid, password: 'not-the-secret', accountSid: account.sid },
      { username: revoked.sid, password: revoked.secret, accountSid: account.sid },
      { username: 'alice', password: account.authToken, accountSid: account.sid },
    ];
    const messages = new Set<string>();
    for (const credentials of attempts) {
      const client = restClient(s.url, credentials);
      const error = await expectRestError(client.taskrouter.v1.workspaces(s.workspaceSid).fetch(), { status: 401, code: 20003 });
      messages.add(error.message);
      for (const secret of [account.sid, apiKey.sid, revoked.sid, 'revoked', 'token', 'secret', 'exist']) expect(error.message.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    expect([...messages]).toEqual(['Authentication failed']);
  });

  it('hides workspaces of other accounts as not found', async () => {
    const { s } = await start();
    const other = await s.rollcall.store.createAccount('Other');
    const client = restClient(s.url, { username: other.sid, password: other.authToken });
    await expectRestError(client.taskrouter.v1.workspaces(s.workspaceSid).fetch(), { status: 404, code: 20404 });
    expect(await client.taskrouter.v1.workspaces.list()).toEqual([]);
  });
});

describe('API keys', () => {
  it('are created, listed, renamed and revoked over the 2010 API, and a revoked key stops working', async () => {
    const { s, client } = await start();
    const created = await client.newKeys.create({ friendlyName: 'Integration' });
    expect(created.sid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.dateCreated).toBeInstanceOf(Date);
    const withNewKey = restClient(s.url, { username: created.sid, password: created.secret, accountSid: s.rollcall.installation.account.sid });
    expect((await withNewKey.taskrouter.v1.workspaces(s.workspaceSid).fetch()).sid).toBe(s.workspaceSid);

    const listed = await client.keys.list();
    expect(listed.map((k) => k.sid)).toEqual([s.rollcall.installation.apiKey.sid, created.sid]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect((await client.keys(created.sid).update({ friendlyName: 'Renamed' })).friendlyName).toBe('Renamed');
    expect((await client.keys(created.sid).fetch()).friendlyName).toBe('Renamed');

    expect(await client.keys(created.sid).remove()).toBe(true);
    await expectRestError(withNewKey.taskrouter.v1.workspaces(s.workspaceSid).fetch(), { status: 401, code: 20003 });
    await expectRestError(client.keys(created.sid).fetch(), { status: 404, code: 20404 });
    expect((await client.keys.list()).map((k) => k.sid)).toEqual([s.rollcall.installation.apiKey.sid]);
  });

  it('cannot be managed with an API key, only with the account credentials', async () => {
    const { s } = await start();
    const viaKey = restClient(s.url, keyCredentials(s));
    await expectRestError(viaKey.newKeys.create({ friendlyName: 'minted by a key' }), { status: 403, code: 20403, message: /Account SID and auth token/ });
    await expectRestError(viaKey.keys(s.rollcall.installation.apiKey.sid).remove(), { status: 403, code: 20403 });
    expect((await s.rollcall.store.listApiKeys(s.rollcall.installation.account.sid)).length).toBe(1);
  });
});

describe('error bodies and routes', () => {
  it('answers unknown SIDs with 404/20404 and a Twilio error body', async () => {
    const { s, client } = await start();
    const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
    await expectRestError(client.taskrouter.v1.workspaces(`WS${'f'.repeat(32)}`).fetch(), { status: 404, code: 20404, message: /Workspace WSf+ was not found/ });
    await expectRestError(ws.workers(`WK${'f'.repeat(32)}`).fetch(), { status: 404, code: 20404, message: /Worker WKf+ was not found/ });
    await expectRestError(ws.activities(`WA${'f'.repeat(32)}`).fetch(), { status: 404, code: 20404 });
    await expectRestError(ws.events(`EV${'f'.repeat(32)}`).fetch(), { status: 404, code: 20404 });
    await expectRestError(ws.workers(`WK${'f'.repeat(32)}`).statistics().fetch(), { status: 404, code: 20404 });
    const unknown = await client.request({ method: 'get', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Nowhere` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
  });

  it('answers a method a resource does not have with 405/20004', async () => {
    const { s, client } = await start();
    const response = await client.request({ method: 'delete', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Events` });
    expect(response.statusCode).toBe(405);
    expect(response.body).toMatchObject({ code: 20004, status: 405, more_info: 'https://www.twilio.com/docs/errors/20004' });
  });
});

describe('paging', () => {
  async function withWorkers(n: number) {
    const started = await start();
    const ws = started.client.taskrouter.v1.workspaces(started.s.workspaceSid);
    for (let i = 0; i < n; i++) await ws.workers.create({ friendlyName: `agent-${i}`, attributes: JSON.stringify({ i }) });
    return { ...started, ws };
  }

  it('walks several pages of PageSize=2 by following next_page_url, keeping the filters', async () => {
    const { s, ws } = await withWorkers(6); // 3 demo workers + 6 = 9, all Offline
    const all = await ws.workers.list({ pageSize: 2 });
    expect(all.map((w) => w.friendlyName)).toEqual(['alice', 'bob', 'carol', ...Array.from({ length: 6 }, (_, i) => `agent-${i}`)]);
    await ws.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Available') });
    const offline = await ws.workers.list({ pageSize: 2, available: 'false' });
    expect(offline.map((w) => w.friendlyName)).toEqual(['alice', 'carol', ...Array.from({ length: 6 }, (_, i) => `agent-${i}`)]);
    const limited = await ws.workers.list({ pageSize: 2, limit: 5 });
    expect(limited.length).toBe(5);
  });

  it('builds absolute meta links from the request, and pages forward and back', async () => {
    const { s, ws } = await withWorkers(3);
    const first = await ws.workers.page({ pageSize: 2, activityName: 'Offline' });
    expect(first.instances.map((w) => w.friendlyName)).toEqual(['alice', 'bob']);
    expect(first.nextPageUrl).toMatch(new RegExp(`^${s.url}/v1/Workspaces/${s.workspaceSid}/Workers\\?ActivityName=Offline&PageSize=2&Page=1&PageToken=PA`));
    expect(first.previousPageUrl).toBeUndefined();
    const second = await first.nextPage();
    expect(second?.instances.map((w) => w.friendlyName)).toEqual(['carol', 'agent-0']);
    const third = await second?.nextPage();
    expect(third?.instances.map((w) => w.friendlyName)).toEqual(['agent-1', 'agent-2']);
    expect(third?.nextPageUrl).toBeUndefined();
    const back = await third?.previousPage();
    expect(back?.instances.map((w) => w.friendlyName)).toEqual(['carol', 'agent-0']);
    const start = await back?.previousPage();
    expect(start?.instances.map((w) => w.friendlyName)).toEqual(['alice', 'bob']);
  });

  it('ignores X-Forwarded-Proto and X-Forwarded-Host unless ROLLCALL_TRUST_PROXY trusts the peer', async () => {
    const { s, client } = await start();
    const response = await client.request({
      method: 'get',
      uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers?PageSize=1`,
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'attacker.example.com' },
    });
    const meta = (response.body as { meta: Record<string, string | null> }).meta;
    expect(meta.first_page_url).toBe(`${s.url}/v1/Workspaces/${s.workspaceSid}/Workers?PageSize=1&Page=0`);
  });

  it('takes links from X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy when no public URL is configured', async () => {
    const { s, client } = await start({ ROLLCALL_TRUST_PROXY: 'loopback' });
    const response = await client.request({
      method: 'get',
      uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers?PageSize=1`,
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'rollcall.example.com' },
    });
    const meta = (response.body as { meta: Record<string, string | null> }).meta;
    expect(meta).toMatchObject({ page: 0, page_size: 1, key: 'workers', previous_page_url: null });
    expect(meta.first_page_url).toBe(`https://rollcall.example.com/v1/Workspaces/${s.workspaceSid}/Workers?PageSize=1&Page=0`);
    expect(meta.next_page_url).toMatch(/^https:\/\/rollcall\.example\.com\/v1\/Workspaces\/WS[0-9a-f]{32}\/Workers\?PageSize=1&Page=1&PageToken=PA\d+$/);
  });

  it('takes links from ROLLCALL_PUBLIC_URL when it is configured', async () => {
    const { s, client } = await start({ ROLLCALL_PUBLIC_URL: 'https://presence.example.org/' });
    const page = await client.taskrouter.v1.workspaces(s.workspaceSid).activities.page({ pageSize: 1 });
    expect(page.nextPageUrl).toMatch(/^https:\/\/presence\.example\.org\/v1\/Workspaces\/WS[0-9a-f]{32}\/Activities\?PageSize=1&Page=1&PageToken=PA0$/);
    const workspace = await client.taskrouter.v1.workspaces(s.workspaceSid).fetch();
    expect(workspace.url).toBe(`https://presence.example.org/v1/Workspaces/${s.workspaceSid}`);
  });

  it('refuses a PageSize over 1000 and a PageToken it did not issue, naming the parameter', async () => {
    const { s, client } = await start();
    const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
    await expectRestError(ws.workers.page({ pageSize: 1001 }), { status: 400, code: 20001, message: /PageSize/ });
    await expectRestError(ws.workers.page({ pageSize: 0 }), { status: 400, code: 20001, message: /PageSize/ });
    await expectRestError(ws.workers.page({ pageToken: 'PAnot-a-cursor' }), { status: 400, code: 20001, message: /PageToken/ });
    await expectRestError(ws.activities.page({ pageToken: 'garbage' }), { status: 400, code: 20001, message: /PageToken/ });
    expect((await ws.workers.page({ pageSize: 1000 })).instances.length).toBe(3);
  });
});

describe('If-Match', () => {
  it('updates and deletes a worker only at the version its ETag names, else 412/20412 and no change', async () => {
    const { s, client } = await start();
    const worker = client.taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('alice'));
    const fetched = await worker.fetchWithHttpInfo();
    const etag = fetched.headers.etag as string;
    expect(etag).toMatch(/^"\d+"$/);

    const updated = await worker.updateWithHttpInfo({ activitySid: s.activitySid('Available'), ifMatch: etag });
    expect(updated.body.activityName).toBe('Available');
    const newEtag = updated.headers.etag as string;
    expect(newEtag).not.toBe(etag);

    await expectRestError(worker.update({ activitySid: s.activitySid('Break'), ifMatch: etag }), { status: 412, code: 20412 });
    await expectRestError(worker.update({ attributes: '{"stale":true}', ifMatch: etag }), { status: 412, code: 20412 });
    await expectRestError(worker.update({ friendlyName: 'stale', ifMatch: 'not-a-version' }), { status: 412, code: 20412 });
    const unchanged = await worker.fetch();
    expect([unchanged.activityName, unchanged.attributes, unchanged.friendlyName]).toEqual(['Available', fetched.body.attributes, 'alice']);

    await expectRestError(worker.remove({ ifMatch: etag }), { status: 412, code: 20412 });
    expect(await worker.remove({ ifMatch: newEtag })).toBe(true);
    await expectRestError(worker.fetch(), { status: 404, code: 20404 });
  });
});
