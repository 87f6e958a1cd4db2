/**
 * Liveness while a connection is being committed. In a reconnect storm the commit of an opening
 * can take longer than the liveness timeout; a session watched only from its commit was lost right
 * after its `init` (its last sign of life was the handshake, and nobody had pinged it). It is now
 * pinged from the handshake: a client that answers is kept, a silent one is still lost, and
 * heartbeat frames wait for the `init` (the SDK's first frame).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FAST_LIVENESS, startRollcall, type TestRollcall } from '../support/harness.js';
import { slowStore, type SlowStore } from '../support/slow-store.js';
import { once, until, waitFor } from '../support/wait.js';

let s: TestRollcall | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) fn();
  await s?.close();
  s = null;
});

/** Twice FAST_LIVENESS's timeout (700 ms): longer than any silence the sweep forgives. */
const LONG_COMMIT_MS = 1400;

async function start(): Promise<{ t: TestRollcall; slow: SlowStore<SqliteStore> }> {
  let slow: SlowStore<SqliteStore> | null = null;
  const t = (s = await startRollcall({ ...FAST_LIVENESS }, undefined, {
    wrapStore: (store) => (slow = slowStore(store as SqliteStore, { turns: 0 })).store,
  }));
  if (!slow) throw new Error('the store was not wrapped');
  return { t, slow };
}

const wsUrl = (t: TestRollcall, token: string): string => `${t.url.replace('http', 'ws')}/v1/wschannels?token=${token}&closeExistingSessions=false`;

describe('liveness while the opening is committed', () => {
  it('keeps a client that answers pings through a commit longer than the timeout, and sends heartbeats only after init', async () => {
    const { t, slow } = await start();
    const held = slow.hold('openConnections');
    const ws = new WebSocket(wsUrl(t, await t.token('alice')));
    cleanups.push(() => ws.terminate());
    const frames: string[] = [];
    let pings = 0;
    let closed: number | null = null;
    ws.on('message', (data: Buffer) => frames.push(data.toString()));
    ws.on('ping', () => pings++);
    ws.on('close', (code) => (closed = code));
    await once(ws, 'open');
    await held.calls(1);

    await until(Date.now() + LONG_COMMIT_MS);
    expect(closed).toBeNull();
    expect(pings).toBeGreaterThan(0); // watched (and answered, by ws itself) while waiting
    expect(frames).toEqual([]); // no heartbeat frame before the init

    held.release();
    await waitFor('the init', () => frames.length > 0);
    expect((JSON.parse(frames[0] as string) as { event_type: string }).event_type).toBe('init');
    // Past a sweep or two after the init: before the fix the session was lost here.
    await until(Date.now() + LONG_COMMIT_MS);
    expect(closed).toBeNull();
    expect(t.rollcall.channel.connectionCount).toBe(1);
    expect(frames.slice(1).some((f) => f.trim() === '')).toBe(true); // heartbeats flow after the init
    expect(await t.rollcall.store.disconnectEpisodes(t.workspaceSid, { workerSid: t.workerSid('alice') })).toEqual([]);
  });

  it('still loses a client silent from its handshake, and records the end from the handshake once the opening commits', async () => {
    const { t, slow } = await start();
    const held = slow.hold('openConnections');
    const raw = net.connect(Number(new URL(t.url).port), '127.0.0.1');
    cleanups.push(() => raw.destroy());
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    raw.write(`GET /v1/wschannels?token=${await t.token('alice')}&closeExistingSessions=false HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n`
      + 'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await held.calls(1);
    const handshakeAt = Date.now();
    // Reads nothing more and answers no ping: silent from here on.
    raw.pause();

    await until(Date.now() + LONG_COMMIT_MS);
    held.release();
    const episode = await waitFor('the end to be recorded', async () =>
      (await t.rollcall.store.disconnectEpisodes(t.workspaceSid, { workerSid: t.workerSid('alice') })).at(0));
    expect(episode.reason).toBe('heartbeat-lost');
    // The last sign of life is the handshake, not the commit.
    expect(episode.lastSeenAt).toBeLessThanOrEqual(handshakeAt);
    expect(episode.lastSeenAt).toBeGreaterThan(handshakeAt - 1000);
    expect(t.rollcall.channel.connectionCount).toBe(0);
  });
});
