/**
 * Tokens mean what they say (issue 9 item 8): real JWTs signed with jose, refused on the envelope
 * with `{message}` and the right status, at the WebSocket upgrade with a plain HTTP answer, and on
 * REST with a Twilio error body. Every refusal changes nothing.
 */
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';

let s: TestRollcall;
const encoder = new TextEncoder();

beforeAll(async () => {
  s = await startRollcall({ ROLLCALL_TOKEN_MAX_TTL_S: '7200' });
});
afterAll(async () => s.close());

interface Claims {
  workspaceSid?: string;
  workerSid?: string;
  role?: string;
  ttlS?: number;
  iss?: string;
  sub?: string;
}

/** A token as twilio.jwt.AccessToken makes it, with every part open to change. */
function claims(c: Claims = {}): SignJWT {
  const { installation } = s.rollcall;
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ grants: { identity: 'alice', task_router: { workspace_sid: c.workspaceSid ?? s.workspaceSid, worker_sid: c.workerSid ?? s.workerSid('alice'), role: c.role ?? 'worker' } } })
    .setIssuer(c.iss ?? installation.apiKey.sid).setSubject(c.sub ?? installation.account.sid).setIssuedAt(iat).setExpirationTime(iat + (c.ttlS ?? 600));
}

const sign = (jwt: SignJWT, secret: string, alg = 'HS256'): Promise<string> => jwt.setProtectedHeader({ alg, typ: 'JWT', cty: 'twilio-fpa;v=1' }).sign(encoder.encode(secret));

/** `alg: none`: the header says no signature, and there is none. */
function unsigned(): string {
  const now = Math.floor(Date.now() / 1000);
  const { installation } = s.rollcall;
  const part = (o: unknown) => base64url.encode(JSON.stringify(o));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: installation.apiKey.sid, sub: installation.account.sid, iat: now, exp: now + 600, grants: { task_router: { workspace_sid: s.workspaceSid, worker_sid: s.workerSid('alice'), role: 'worker' } } })}.`;
}

async function envelope(token: string, url: string, method: 'GET' | 'POST', params: Record<string, unknown> = {}): Promise<{ status: number; message: string }> {
  const res = await fetch(`${s.url}/v1/wschannels`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: JSON.stringify({ url, method, params, token }) });
  const body = (await res.json()) as { message?: unknown; payload?: unknown };
  return { status: res.status, message: typeof body.message === 'string' ? body.message : '' };
}

function upgradeStatus(token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/wschannels?token=${token}&closeExistingSessions=false`);
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

const aliceUrl = () => `Workspaces/${s.workspaceSid}/Workers/${s.workerSid('alice')}`;

/** Runs a refused call and checks that workers and the activity log did not move. */
async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = { workers: await s.rollcall.store.listWorkers(s.workspaceSid), log: await s.rollcall.store.activityLog(s.workspaceSid) };
  const result = await fn();
  expect(await s.rollcall.store.listWorkers(s.workspaceSid)).toEqual(before.workers);
  expect(await s.rollcall.store.activityLog(s.workspaceSid)).toEqual(before.log);
  return result;
}

async function otherAccount(): Promise<{ accountSid: string; keySid: string; secret: string; workspaceSid: string }> {
  const store = s.rollcall.store;
  const account = await store.createAccount('Other');
  const key = await store.createApiKey(account.sid, 'Other key');
  const workspace = await store.createWorkspace({ accountSid: account.sid, friendlyName: 'Other', activities: [{ friendlyName: 'Offline', available: false }], logoutActivityName: 'Offline', thresholdMs: 30_000 });
  return { accountSid: account.sid, keySid: key.sid, secret: key.secret, workspaceSid: workspace.sid };
}

describe('access tokens that do not mean what they say are refused everywhere', () => {
  it('accepts a well-formed HS256 token (the control case)', async () => {
    const token = await sign(claims(), s.rollcall.installation.apiKey.secret);
    expect((await envelope(token, aliceUrl(), 'GET')).status).toBe(200);
  });

  it.each([
    ['alg: none', async () => unsigned(), /HS256, not none/],
    ['HS512 with the right secret', async () => sign(claims(), s.rollcall.installation.apiKey.secret, 'HS512'), /HS256, not HS512/],
    ['a lifetime over ROLLCALL_TOKEN_MAX_TTL_S', async () => sign(claims({ ttlS: 7201 }), s.rollcall.installation.apiKey.secret), /longer than the 7200 s/],
    ['an expired token', async () => sign(claims({ ttlS: -5 }), s.rollcall.installation.apiKey.secret), /expired/],
  ])('refuses %s with 401 on the envelope and at the upgrade', async (_what, make, message) => {
    const token = await make();
    const res = await unchanged(() => envelope(token, aliceUrl(), 'POST', { ActivitySid: s.activitySid('Available') }));
    expect(res.status).toBe(401);
    expect(res.message).toMatch(message);
    expect(await upgradeStatus(token)).toBe(401);
    expect(s.rollcall.channel.connectionCount).toBe(0);
  });

  it("refuses a token signed by another account's key for this account, and a workspace of another account", async () => {
    const other = await otherAccount();
    const claimsOurs = await sign(claims({ iss: other.keySid }), other.secret);
    expect((await unchanged(() => envelope(claimsOurs, aliceUrl(), 'GET'))).status).toBe(401);
    expect(await upgradeStatus(claimsOurs)).toBe(401);
    // Signed properly for the other account, but granting our workspace: the workspace is not theirs.
    const crossing = await sign(claims({ iss: other.keySid, sub: other.accountSid }), other.secret);
    const res = await unchanged(() => envelope(crossing, aliceUrl(), 'POST', { ActivitySid: s.activitySid('Available') }));
    expect(res).toEqual({ status: 403, message: `The access token's workspace ${s.workspaceSid} is not a workspace of account ${other.accountSid}` });
    expect(await upgradeStatus(crossing)).toBe(403);
    // And our key cannot grant the other account's workspace.
    const reaching = await sign(claims({ workspaceSid: other.workspaceSid }), s.rollcall.installation.apiKey.secret);
    expect((await envelope(reaching, `Workspaces/${other.workspaceSid}/Activities`, 'GET')).status).toBe(403);
  });

  it('refuses a token signed by a revoked key', async () => {
    const key = await s.rollcall.store.createApiKey(s.rollcall.installation.account.sid, 'Soon revoked');
    const token = await sign(claims({ iss: key.sid }), key.secret);
    expect((await envelope(token, aliceUrl(), 'GET')).status).toBe(200);
    expect((await s.rollcall.store.revokeApiKey(key.accountSid, key.sid)).ok).toBe(true);
    const res = await unchanged(() => envelope(token, aliceUrl(), 'POST', { ActivitySid: s.activitySid('Available') }));
    expect(res.status).toBe(401);
    expect(res.message).toMatch(/not signed by a known API key/);
    expect(await upgradeStatus(token)).toBe(401);
  });

  it('refuses a worker token used on another worker (an admin-only call), and allows it to an admin token', async () => {
    const alice = await s.token('alice');
    const onBob = await unchanged(() => envelope(alice, `Workspaces/${s.workspaceSid}/Workers/${s.workerSid('bob')}`, 'POST', { ActivitySid: s.activitySid('Available') }));
    expect(onBob.status).toBe(403);
    expect(onBob.message).toMatch(/own worker/);
    // Setting another worker's activity is the supervisor's call (the SDK's Supervisor class): the role decides.
    const admin = await s.token('carol', { role: 'admin' });
    const asSupervisor = await envelope(admin, `Workspaces/${s.workspaceSid}/Workers/${s.workerSid('bob')}`, 'POST', { ActivitySid: s.activitySid('Break') });
    expect(asSupervisor.status).toBe(200);
    expect((await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid('bob')))?.activityName).toBe('Break');
  });

  it('refuses an access token as REST credentials with a Twilio error body', async () => {
    const token = await s.token('alice');
    for (const authorization of [`Bearer ${token}`, `Basic ${Buffer.from(`${s.rollcall.installation.apiKey.sid}:${token}`).toString('base64')}`]) {
      const res = await fetch(`${s.url}/v1/Workspaces/${s.workspaceSid}/Workers`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 20003, status: 401, message: 'Authentication failed', more_info: expect.stringContaining('20003') });
    }
  });

  it('refuses at boot a token ttl longer than the maximum lifetime', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ ROLLCALL_TOKEN_TTL_S: '7200', ROLLCALL_TOKEN_MAX_TTL_S: '3600' })).toThrow(/ROLLCALL_TOKEN_TTL_S.*ROLLCALL_TOKEN_MAX_TTL_S/s);
    // issueAccessToken stays a plain signer; the server is what enforces the limit.
    const long = await issueAccessToken({ ...s.rollcall.installation.apiKey, accountSid: s.rollcall.installation.account.sid, apiKeySid: s.rollcall.installation.apiKey.sid, apiKeySecret: s.rollcall.installation.apiKey.secret, workspaceSid: s.workspaceSid, workerSid: s.workerSid('alice'), identity: 'alice', ttlS: 86_400, nowMs: Date.now() });
    expect((await envelope(long, aliceUrl(), 'GET')).status).toBe(401);
  });
});
