/**
 * Limits (issue 9 item 10), each set low through its setting and each refused in the caller's
 * dialect: agent sockets per worker and per address (a plain HTTP 429 before any WebSocket),
 * requests a minute on REST (Twilio 429/20429 through the official library), on the envelope
 * (`{message}`) and on console sign-in, header size and request time; X-Forwarded-For counts only
 * from a trusted proxy.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, expectRestError, restClient } from './rest-support.js';

let s: TestRollcall | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await s?.close();
  s = null;
});

/** Opens an agent socket; resolves 'open' at its first frame (init), or the refusal's status. */
function open(t: TestRollcall, token: string, { closeExisting = false, headers = {} }: { closeExisting?: boolean; headers?: Record<string, string> } = {}): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/v1/wschannels?token=${token}&closeExistingSessions=${closeExisting}`, { headers });
    sockets.push(ws);
    ws.once('message', () => resolve('open'));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('agent socket caps', () => {
  it('refuses a third session of one worker with 429, but not one that replaces the others', async () => {
    s = await startRollcall({ ROLLCALL_MAX_SESSIONS_PER_WORKER: '2' });
    const token = await s.token('alice');
    expect(await open(s, token)).toBe('open');
    expect(await open(s, token)).toBe('open');
    expect(await open(s, token)).toBe(429);
    expect(await open(s, await s.token('bob'))).toBe('open');
    expect(await open(s, token, { closeExisting: true })).toBe('open');
  });

  it('refuses connections over the per-address cap, and admits again once one closes', async () => {
    const t = (s = await startRollcall({ ROLLCALL_MAX_CONNECTIONS_PER_IP: '2' }));
    expect(await open(t, await t.token('alice'))).toBe('open');
    expect(await open(t, await t.token('bob'))).toBe('open');
    expect(await open(t, await t.token('carol'))).toBe(429);
    sockets[0]?.close();
    await waitFor('the closed socket to give its slot back', () => t.rollcall.channel.connectionCount === 1);
    expect(await open(t, await t.token('carol'))).toBe('open');
  });

  it('counts X-Forwarded-For addresses only from a trusted proxy', async () => {
    s = await startRollcall({ ROLLCALL_MAX_CONNECTIONS_PER_IP: '1', ROLLCALL_TRUST_PROXY: 'loopback' });
    expect(await open(s, await s.token('alice'), { headers: { 'x-forwarded-for': '203.0.113.1' } })).toBe('open');
    expect(await open(s, await s.token('bob'), { headers: { 'x-forwarded-for': '203.0.113.2' } })).toBe('open');
    expect(await open(s, await s.token('carol'), { headers: { 'x-forwarded-for': '203.0.113.2' } })).toBe(429);
    for (const ws of sockets.splice(0)) ws.terminate();
    await s.close();
    s = await startRollcall({ ROLLCALL_MAX_CONNECTIONS_PER_IP: '1' });
    expect(await open(s, await s.token('alice'), { headers: { 'x-forwarded-for': '203.0.113.1' } })).toBe('open');
    // Untrusted: a made-up X-Forwarded-For does not buy a fresh allowance.
    expect(await open(s, await s.token('bob'), { headers: { 'x-forwarded-for': '203.0.113.2' } })).toBe(429);
  });
});

describe('request rate limits', () => {
  it('answers REST over the limit with Twilio 429/20429, bad credentials included', async () => {
    s = await startRollcall({ ROLLCALL_RATE_LIMIT_REST_PER_MIN: '3' });
    const client = restClient(s.url, accountCredentials(s));
    const bad = await fetch(`${s.url}/v1/Workspaces`, { headers: { authorization: 'Basic eDp5' } });
    expect(bad.status).toBe(401);
    await client.taskrouter.v1.workspaces(s.workspaceSid).fetch();
    await client.taskrouter.v1.workspaces(s.workspaceSid).workers.list();
    await expectRestError(client.taskrouter.v1.workspaces(s.workspaceSid).fetch(), { status: 429, code: 20429, message: /at most 3 a minute/ });
    const raw = await fetch(`${s.url}/v1/Workspaces`);
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers the envelope over the limit with 429 and {message}', async () => {
    const t = (s = await startRollcall({ ROLLCALL_RATE_LIMIT_ENVELOPE_PER_MIN: '2' }));
    const token = await t.token('alice');
    const call = () => fetch(`${t.url}/v1/wschannels`, { method: 'POST', body: JSON.stringify({ url: `Workspaces/${t.workspaceSid}/Activities`, method: 'GET', params: {}, token }) });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const over = await call();
    expect(over.status).toBe(429);
    expect(await over.json()).toEqual({ message: expect.stringMatching(/at most 2 a minute/) });
    expect(over.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('limits console sign-in attempts per address, from X-Forwarded-For only behind a trusted proxy', async () => {
    const t = (s = await startRollcall({ ROLLCALL_RATE_LIMIT_SIGN_IN_PER_MIN: '2', ROLLCALL_TRUST_PROXY: '127.0.0.1' }));
    const { account } = t.rollcall.installation;
    const signIn = (from: string) => fetch(`${t.url}/console/api/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from, origin: t.url, 'x-rollcall-csrf': '1' },
      body: JSON.stringify({ username: account.sid, password: account.authToken }),
    });
    expect((await signIn('198.51.100.7')).status).toBe(200);
    expect((await signIn('198.51.100.7')).status).toBe(200);
    const over = await signIn('198.51.100.7');
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ code: 'throttled', message: expect.stringMatching(/at most 2 a minute/) });
    expect((await signIn('198.51.100.8')).status).toBe(200);
  });
});

describe('request size and time', () => {
  it('refuses headers over ROLLCALL_HEADER_LIMIT_BYTES with 431', async () => {
    s = await startRollcall({ ROLLCALL_HEADER_LIMIT_BYTES: '2048' });
    const res = await fetch(`${s.url}/readyz`, { headers: { 'x-padding': 'x'.repeat(4096) } });
    expect(res.status).toBe(431);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('answers 408 to a request that does not arrive whole within ROLLCALL_REQUEST_TIMEOUT_MS', async () => {
    s = await startRollcall({ ROLLCALL_REQUEST_TIMEOUT_MS: '400' });
    const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await once(socket, 'connect');
    socket.write('POST /v1/wschannels HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"url":');
    await once(socket, 'close', 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
