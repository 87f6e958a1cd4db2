/**
 * Admission control on the agent channel (issue 12 item 2): at most ROLLCALL_MAX_UPGRADES_IN_FLIGHT
 * upgrades are admitted at once (from the first byte until the connection is committed); one more
 * is answered 503 with Retry-After and `{message}` before any token work, the official SDK retries
 * it by itself, and the refused worker's presence is untouched. A client that leaves while its
 * upgrade is checked gives its slot back and does not take the process down.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sdkErrors, sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { slowStore, type SlowStore } from '../support/slow-store.js';
import { once, waitFor } from '../support/wait.js';

let s: TestRollcall | null = null;
const sockets: WebSocket[] = [];
const workers: SdkWorker[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const w of workers.splice(0)) w.disconnect();
  await s?.close();
  s = null;
});

/** A Rollcall with the bound at 1 on a real SQLite store whose answers can be held. */
async function start(): Promise<{ t: TestRollcall; slow: SlowStore<SqliteStore> }> {
  let slow: SlowStore<SqliteStore> | null = null;
  const t = (s = await startRollcall({ ROLLCALL_MAX_UPGRADES_IN_FLIGHT: '1' }, undefined, {
    wrapStore: (store) => (slow = slowStore(store as SqliteStore, { turns: 0 })).store,
  }));
  if (!slow) throw new Error('the store was not wrapped');
  return { t, slow };
}

const wsUrl = (t: TestRollcall, token: string): string => `${t.url.replace('http', 'ws')}/v1/wschannels?token=${token}&closeExistingSessions=false`;

/** Opens a raw agent socket: 'open' at `init`, or the refusal's status, headers and body. */
function open(t: TestRollcall, token: string): Promise<'open' | { status: number; retryAfter: string | undefined; body: unknown }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(t, token));
    sockets.push(ws);
    ws.once('message', () => resolve('open'));
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
    });
    ws.on('error', () => undefined);
  });
}

describe('upgrades in progress', () => {
  it('refuses one beyond the bound with 503, Retry-After and {message}; the official SDK connects on retry, its worker untouched', async () => {
    const { t, slow } = await start();
    const before = await t.rollcall.store.findWorker(t.workspaceSid, t.workerSid('bob'));
    const held = slow.hold('openConnections');
    const first = open(t, await t.token('alice'));
    await held.calls(1);

    const refused = await open(t, await t.token('bob'));
    expect(refused).toEqual({ status: 503, retryAfter: '1', body: { message: expect.stringMatching(/Too many agents are connecting at once \(at most 1 in progress\)/) } });

    // The SDK's own retry: it is refused while alice's connection is still being committed...
    const errorsBefore = sdkErrors.length;
    const bob = sdkWorker(await t.token('bob'), t.url);
    workers.push(bob);
    const ready = once(bob, 'ready', 15_000);
    await waitFor('the SDK to be refused once', () => sdkErrors.length > errorsBefore);
    expect(t.rollcall.channel.connectionCount).toBe(0);
    // ...and gets in by itself once the slot is free.
    held.release();
    expect(await first).toBe('open');
    await ready;
    expect(t.rollcall.channel.connectionCount).toBe(2);
    const after = await t.rollcall.store.findWorker(t.workspaceSid, t.workerSid('bob'));
    expect(after?.activitySid).toBe(before?.activitySid);
    expect(after?.version).toBe(before?.version);
  });

  it('gives the slot back when the client leaves while its token is checked, and survives the refusal it cannot send', async () => {
    const { t, slow } = await start();
    const held = slow.hold('findWorker');
    // A worker that does not exist: the gate answers 404 after findWorker, on a socket already reset.
    const { account, apiKey, workspace } = t.rollcall.installation;
    const token = await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid: `WK${'0'.repeat(32)}`, identity: 'ghost', ttlS: 3600, nowMs: Date.now(),
    });
    const path = `/v1/wschannels?token=${token}&closeExistingSessions=false`;
    const raw = net.connect(Number(new URL(t.url).port), '127.0.0.1');
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    raw.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    await held.calls(1);
    // A reset (RST): the server's refusal written to this socket fails with EPIPE or ECONNRESET.
    raw.resetAndDestroy();
    await once(raw, 'close');
    held.release();
    // The bound is 1: the next agent gets in only if the abandoned upgrade gave its slot back.
    await waitFor('the abandoned upgrade to give its slot back', async () => (await open(t, await t.token('bob'))) === 'open');
    expect(t.rollcall.channel.connectionCount).toBe(1);
  });
});
