/**
 * Bad input on the agent channel gets a clear `{message}`, the right status, and changes nothing.
 * These speak the wire protocol directly (fetch and ws), as a broken or hostile client would.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRollcall, type TestRollcall } from '../support/harness.js';

let s: TestRollcall;
let aliceToken: string;

beforeAll(async () => {
  s = await startRollcall();
  aliceToken = await s.token('alice');
});
afterAll(async () => s.close());

async function envelope(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${s.url}/v1/wschannels`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const workerUrl = (name: string) => `Workspaces/${s.workspaceSid}/Workers/${s.workerSid(name)}`;

async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = { workers: await s.rollcall.store.listWorkers(s.workspaceSid), log: await s.rollcall.store.activityLog(s.workspaceSid) };
  const result = await fn();
  expect(await s.rollcall.store.listWorkers(s.workspaceSid)).toEqual(before.workers);
  expect(await s.rollcall.store.activityLog(s.workspaceSid)).toEqual(before.log);
  return result;
}

describe('the HTTP envelope refuses bad input and changes nothing', () => {
  it('answers a well-formed request with {payload} whatever the content type says', async () => {
    const { status, json } = await envelope({ url: workerUrl('alice'), method: 'GET', params: {}, token: aliceToken }, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(status).toBe(200);
    expect(json.payload).toMatchObject({ sid: s.workerSid('alice'), activity_name: 'Offline', version: '1' });
    expect(typeof (json.payload as { date_created: unknown }).date_created).toBe('number');
  });

  it.each([
    ['malformed JSON', '{"url": "Workspaces/', 400, /not valid JSON/],
    ['a JSON array', '[1,2]', 400, /JSON object/],
    ['no url', { method: 'GET', params: {}, token: 'x' }, 400, /url/],
    ['an unknown method', { url: 'Workspaces/WS/Workers', method: 'DELETE', params: {}, token: 'x' }, 400, /GET or POST/],
  ])('%s → %i', async (_what, body, status, message) => {
    const res = await unchanged(() => envelope(body));
    expect(res.status).toBe(status);
    expect(String(res.json.message)).toMatch(message);
  });

  it('refuses a missing, forged or expired token with 401', async () => {
    const forged = await new SignJWT({ grants: { task_router: { workspace_sid: s.workspaceSid, worker_sid: s.workerSid('alice'), role: 'worker' } } })
      .setProtectedHeader({ alg: 'HS256' }).setIssuer(s.rollcall.installation.apiKey.sid).setSubject(s.rollcall.installation.account.sid)
      .setExpirationTime('1h').sign(new TextEncoder().encode('not-the-secret'));
    const expired = await s.token('alice', { ttlS: -10 });
    for (const token of [undefined, 'garbage', forged, expired]) {
      const res = await unchanged(() => envelope({ url: workerUrl('alice'), method: 'POST', params: { ActivitySid: s.activitySid('Available') }, token }));
      expect(res.status).toBe(401);
      expect(typeof res.json.message).toBe('string');
    }
  });

  it("refuses a worker token acting on another worker with 403", async () => {
    const res = await unchanged(() => envelope({ url: workerUrl('bob'), method: 'POST', params: { ActivitySid: s.activitySid('Available') }, token: aliceToken }));
    expect(res.status).toBe(403);
    expect(String(res.json.message)).toMatch(/own worker/);
  });

  it.each([
    ['an unknown activity SID', { ActivitySid: 'WA00000000000000000000000000000000' }, 400, /ActivitySid/],
    ['a malformed activity SID', { ActivitySid: 'Available' }, 400, /ActivitySid/],
    ['non-object attributes', { Attributes: '[1]' }, 400, /Attributes/],
    ['a non-boolean RejectPendingReservations', { ActivitySid: 'WA00000000000000000000000000000000', RejectPendingReservations: 'maybe' }, 400, /RejectPendingReservations/],
    // One request, one transaction: the valid attributes of a refused request are not written either.
    ['attributes with an unknown activity', { Attributes: { team: 'x' }, ActivitySid: 'WA00000000000000000000000000000000' }, 400, /ActivitySid WA0+ is not an activity/],
    ['attributes with RejectPendingReservations toward an available activity', { Attributes: { team: 'x' }, ActivitySid: 'AVAILABLE', RejectPendingReservations: true }, 400, /RejectPendingReservations is only allowed when moving to an unavailable activity/],
  ])('refuses %s with a message naming the field', async (_what, params, status, message) => {
    const resolved = 'ActivitySid' in params && params.ActivitySid === 'AVAILABLE' ? { ...params, ActivitySid: s.activitySid('Available') } : params;
    const res = await unchanged(() => envelope({ url: workerUrl('alice'), method: 'POST', params: resolved, token: aliceToken }));
    expect(res.status).toBe(status);
    expect(String(res.json.message)).toMatch(message);
  });

  it('refuses an unknown worker with 404 for an admin token', async () => {
    const admin = await s.token('carol', { role: 'admin' });
    const res = await envelope({ url: `Workspaces/${s.workspaceSid}/Workers/WK00000000000000000000000000000000`, method: 'GET', params: {}, token: admin });
    expect(res.status).toBe(404);
  });

  it('refuses a stale If-Match version with 412', async () => {
    const res = await unchanged(() => envelope({ url: workerUrl('alice'), method: 'POST', params: { ActivitySid: s.activitySid('Break') }, token: aliceToken }, { 'if-match': '99' }));
    expect(res.status).toBe(412);
  });

  it('answers a browser from any origin: preflight, answers and refusals carry CORS headers; REST does not', async () => {
    const preflight = await fetch(`${s.url}/v1/wschannels`, {
      method: 'OPTIONS', headers: { origin: 'https://flex.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, clientversion' },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries([...preflight.headers].filter(([k]) => k.startsWith('access-control')))).toEqual({
      'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, clientversion, apiversion, if-match', 'access-control-max-age': '600',
    });
    const ok = await fetch(`${s.url}/v1/wschannels`, { method: 'POST', headers: { origin: 'https://flex.example' }, body: JSON.stringify({ url: workerUrl('alice'), method: 'GET', params: {}, token: aliceToken }) });
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
    const refused = await fetch(`${s.url}/v1/wschannels`, { method: 'POST', headers: { origin: 'https://flex.example' }, body: '{' });
    expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([400, '*']);
    const rest = await fetch(`${s.url}/v1/Workspaces`, { method: 'OPTIONS', headers: { origin: 'https://flex.example', 'access-control-request-method': 'GET' } });
    expect(rest.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an oversize body with 413', async () => {
    const huge = JSON.stringify({ url: workerUrl('alice'), method: 'POST', params: { Attributes: { blob: 'x'.repeat(1_200_000) } }, token: aliceToken });
    const res = await unchanged(() => envelope(huge));
    expect(res.status).toBe(413);
    expect(String(res.json.message)).toMatch(/exceeds/);
  });
});

describe('the WebSocket refuses bad tokens at the upgrade, cheaply', () => {
  async function upgradeStatus(query: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/wschannels${query}`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('the upgrade was accepted'));
      });
      ws.on('error', () => undefined);
    });
  }

  it('answers 401 to a missing, malformed or expired token and never opens a connection', async () => {
    const expired = await s.token('alice', { ttlS: -10 });
    expect(await upgradeStatus('')).toBe(401);
    expect(await upgradeStatus('?token=garbage')).toBe(401);
    expect(await upgradeStatus(`?token=${expired}`)).toBe(401);
    expect(s.rollcall.channel.connectionCount).toBe(0);
  });

  it('answers 404 to another path', async () => {
    expect(await upgradeStatus('/../../other?token=x')).toBe(404);
  });

  it('sends init first, with the token lifetime in milliseconds', async () => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/wschannels?token=${aliceToken}&closeExistingSessions=false`);
    const first = await new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    ws.close();
    const init = JSON.parse(first) as { event_type: string; payload: { channel_id: string; token_lifetime: number } };
    expect(init.event_type).toBe('init');
    expect(init.payload.channel_id).toBe(s.workerSid('alice'));
    expect(init.payload.token_lifetime).toBeGreaterThan(3_500_000);
    expect(init.payload.token_lifetime).toBeLessThanOrEqual(3_600_000);
  });
});
