/**
 * A graceful stop ends within its grace period whatever the clients do. The server is the built
 * CLI in a child process; the stuck client is a raw TCP socket that completed the WebSocket
 * upgrade, received `init`, and then stopped reading and answering (a laptop that went to sleep):
 * it never completes the close handshake, which `ws` would otherwise wait 30 s for.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { lockDataDir } from '../../src/store/sqlite/data-dir-lock.js';
import { credentials, freePort, requireBuiltCli, startServer } from '../support/cli-process.js';
import { tempDataDir } from '../support/harness.js';

const GRACE_MS = 2000;
/** Process exit and signal delivery on a shared, busy machine. */
const MARGIN_MS = 750;

/** Opens the agent channel over raw TCP, waits for `init`, then stops reading for good. */
async function stuckAgent(port: number, token: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write([
    `GET /v1/wschannels?token=${encodeURIComponent(token)} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
  ].join('\r\n'));
  await new Promise<void>((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      if (!received.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${received}`));
      // `init` is sent once the connection is committed.
      if (!received.includes('"event_type":"init"')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

describe('a graceful stop with a client that stopped answering', () => {
  const dataDir = tempDataDir();
  let server: ChildProcess | null = null;
  beforeAll(requireBuiltCli);
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('terminates the stuck socket, retires the node, closes the store, frees the lock and exits 0 within the grace period', async () => {
    const port = await freePort();
    // Default liveness (21 s): the stuck socket is still "alive" when the stop begins.
    const env = { PORT: String(port), ROLLCALL_DATA_DIR: dataDir, ROLLCALL_SHUTDOWN_GRACE_MS: String(GRACE_MS), ROLLCALL_LOG_LEVEL: 'info' };
    const started = await startServer(env);
    server = started;
    const creds = await credentials(env);
    const alice = creds.workers.find((w) => w.friendly_name === 'alice')?.sid ?? '';
    const token = await issueAccessToken({
      accountSid: creds.account_sid, apiKeySid: creds.api_key_sid, apiKeySecret: creds.api_key_secret,
      workspaceSid: creds.workspace_sid, workerSid: alice, identity: 'alice', ttlS: 600, nowMs: Date.now(),
    });
    const agent = await stuckAgent(port, token);
    const agentClosed = new Promise<void>((resolve) => agent.once('close', () => resolve()));
    agent.on('error', () => undefined); // the server resets it: expected

    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    const stoppedAt = performance.now();
    started.kill('SIGTERM');
    const code = await exited;
    const stopMs = performance.now() - stoppedAt;
    server = null;
    console.log(`graceful stop with a stuck client: ${Math.round(stopMs)} ms (grace ${GRACE_MS} ms)`);

    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(GRACE_MS + MARGIN_MS);
    expect(started.output()).toContain('sockets that did not finish the close handshake in time were terminated');
    agent.resume(); // let the client see the end it was sent
    await agentClosed;
    // The lock is free: this process can take it at once.
    lockDataDir(dataDir)();
    const db = new Database(path.join(dataDir, 'rollcall.sqlite'), { readonly: true });
    try {
      // The node was retired: the stuck agent's connection became a disconnection, not a dangling row.
      expect(db.prepare('SELECT COUNT(*) AS n FROM connections').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT reason FROM disconnect_episodes WHERE worker_sid = ?').get(alice)).toEqual({ reason: 'server-restart' });
    } finally {
      db.close();
    }
  });
});
