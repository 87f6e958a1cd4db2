/**
 * An agent socket lives as long as its token (issue 9 item 8), with the official Worker SDK:
 * - expiry without a refresh: the SDK raises `tokenExpired` (its timer runs from `init`'s
 *   `token_lifetime`, 5 s early), then the server closes the socket at the expiry and the SDK does
 *   not reconnect;
 * - `updateToken` and any later request (the refreshed token rides in the envelope body) keeps
 *   the socket open past the first token's expiry;
 * - revoking the key that signed the token closes the live socket, and the SDK stops reconnecting.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, sdkWorker, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, until, waitFor } from '../support/wait.js';

const TTL_S = 7;
let s: TestRollcall | null = null;
const workers: SdkWorker[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) w.disconnect();
  await s?.close();
  s = null;
});

/** Counts the upgrade requests the server receives, to see whether the SDK tries to reconnect. */
function countUpgrades(t: TestRollcall): { count: number } {
  const counter = { count: 0 };
  t.rollcall.app.server.on('upgrade', (req: IncomingMessage) => {
    if (req.url?.startsWith('/v1/wschannels')) counter.count++;
  });
  return counter;
}

async function connect(t: TestRollcall, token: string): Promise<{ worker: SdkWorker; events: string[] }> {
  const worker = sdkWorker(token, t.url);
  workers.push(worker);
  const events: string[] = [];
  for (const name of ['tokenExpired', 'disconnected', 'ready'] as const) worker.on(name, () => events.push(name));
  await once(worker, 'ready');
  return { worker, events };
}

/** The SDK reconnects 0.8–1 s after a close; 2 s of quiet after it means it did not try. */
const RECONNECT_WINDOW_MS = 2000;

describe('agent sockets and token lifetimes, with the official SDK', () => {
  it('closes a socket whose token expired without a refresh, after the SDK raised tokenExpired, and no reconnect follows', async () => {
    s = await startRollcall();
    const upgrades = countUpgrades(s);
    const { worker, events } = await connect(s, await s.token('alice', { ttlS: TTL_S }));
    const closed = once<{ message: string }>(worker, 'disconnected', (TTL_S + 3) * 1000);
    const { message } = await closed;
    expect(message).toBe('The access token has expired');
    expect(events.filter((e) => e !== 'ready')).toEqual(['tokenExpired', 'disconnected']);
    const seen = upgrades.count;
    await until(Date.now() + RECONNECT_WINDOW_MS);
    expect(upgrades.count).toBe(seen);
    expect(s.rollcall.channel.connectionCount).toBe(0);
  }, 20_000);

  it('keeps the socket open past the first expiry once updateToken is followed by a request', async () => {
    s = await startRollcall();
    const firstExpiresAt = Date.now() + TTL_S * 1000;
    const { worker, events } = await connect(s, await s.token('alice', { ttlS: TTL_S }));
    worker.updateToken(await s.token('alice', { ttlS: 600 }));
    // The SDK sends the refreshed token in its next envelope request, never over the socket.
    await worker.fetchLatestVersion();
    // One liveness tick past the first token's expiry (ticks are 50 ms here): a close would be due by now.
    await until(firstExpiresAt + 1500);
    expect(events).not.toContain('disconnected');
    expect(s.rollcall.channel.connectionCount).toBe(1);
  }, 20_000);

  it("closes a live socket when the key that signed its token is revoked, and the SDK stops reconnecting", async () => {
    s = await startRollcall();
    const upgrades = countUpgrades(s);
    const { installation } = s.rollcall;
    const key = await s.rollcall.store.createApiKey(installation.account.sid, 'Desk key');
    const { issueAccessToken } = await import('../../src/service/access-tokens.js');
    const token = await issueAccessToken({
      accountSid: installation.account.sid, apiKeySid: key.sid, apiKeySecret: key.secret, workspaceSid: s.workspaceSid,
      workerSid: s.workerSid('alice'), identity: 'alice', ttlS: 600, nowMs: Date.now(),
    });
    const { worker } = await connect(s, token);
    const expired = once(worker, 'tokenExpired');
    const closed = once<{ message: string }>(worker, 'disconnected');
    const revoked = await fetch(`${s.url}/2010-04-01/Accounts/${installation.account.sid}/Keys/${key.sid}.json`, {
      method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`${installation.account.sid}:${installation.account.authToken}`).toString('base64')}` },
    });
    expect(revoked.status).toBe(204);
    await expired;
    expect((await closed).message).toBe('The API key that signed the access token was revoked');
    await waitFor('the connection to end', () => s?.rollcall.channel.connectionCount === 0);
    const seen = upgrades.count;
    await until(Date.now() + RECONNECT_WINDOW_MS);
    expect(upgrades.count).toBe(seen);
  }, 20_000);
});
