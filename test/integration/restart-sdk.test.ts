/**
 * Durability across a crash (rule 11): the server runs as a child process (the built CLI), is
 * killed with SIGKILL while two agents are Available, and is started again on the same data
 * directory and port. The agent whose SDK reconnects in time keeps its status; the agent that
 * is gone is logged out at the dead process's last stored heartbeat + threshold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { FAST_LIVENESS, sdkWorker, tempDataDir, type SdkWorker } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';

const CLI = path.resolve('dist/src/cli.js');
const THRESHOLD_S = 4;

interface Credentials {
  account_sid: string;
  api_key_sid: string;
  api_key_secret: string;
  workspace_sid: string;
  workers: { sid: string; friendly_name: string }[];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = runCli(['serve', '--demo'], env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('the server to listen', () => output.includes('Rollcall is listening on') || (child.exitCode !== null && Promise.reject(new Error(output))), 15_000);
  return child;
}

async function credentials(env: Record<string, string>): Promise<Credentials> {
  const child = runCli(['credentials', '--json', '--show-secrets'], env);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`rollcall credentials exited with ${code}`);
  return JSON.parse(out) as Credentials;
}

describe('a crash and restart (kill -9) with SDK agents', () => {
  const dataDir = tempDataDir();
  let server: ChildProcess | null = null;
  const agents: SdkWorker[] = [];

  beforeAll(() => {
    // The crash needs a real process: the built CLI. `npm test` builds before it runs the tests.
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });
  afterAll(() => {
    for (const a of agents) a.disconnect();
    server?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the status of an agent who reconnects in time and logs out the one who is gone', async () => {
    const port = await freePort();
    const env = { ...FAST_LIVENESS, PORT: String(port), ROLLCALL_DATA_DIR: dataDir, ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_S), ROLLCALL_LOG_LEVEL: 'warn' };
    server = await startServer(env);
    const creds = await credentials(env);
    const url = `http://127.0.0.1:${port}`;
    const sidOf = (name: string): string => creds.workers.find((w) => w.friendly_name === name)?.sid ?? '';
    const connect = async (name: string): Promise<SdkWorker> => {
      const token = await issueAccessToken({
        accountSid: creds.account_sid, apiKeySid: creds.api_key_sid, apiKeySecret: creds.api_key_secret,
        workspaceSid: creds.workspace_sid, workerSid: sidOf(name), identity: name, ttlS: 600, nowMs: Date.now(),
      });
      const worker = sdkWorker(token, url);
      agents.push(worker);
      await once(worker, 'ready');
      const available = [...worker.activities.values()].find((a) => a.name === 'Available');
      if (!available) throw new Error('no Available activity');
      await available.setAsCurrent();
      return worker;
    };
    const alice = await connect('alice');
    const bob = await connect('bob');

    const killedAt = Date.now();
    server.kill('SIGKILL');
    await new Promise((resolve) => server?.once('exit', resolve));
    bob.disconnect(); // bob's desktop is gone: it will not reconnect
    const aliceBack = once(alice, 'ready', 10_000);
    server = await startServer(env);
    await aliceBack;

    const db = new Database(path.join(dataDir, 'rollcall.sqlite'), { readonly: true });
    try {
      type Row = { worker_sid: string; cause: string; evidence: string; effective_at: number; recorded_at: number; to_activity_sid: string };
      const logouts = (): Row[] => db.prepare<[], Row>("SELECT * FROM activity_log WHERE cause = 'offline-threshold' ORDER BY id").all();
      const [bobLogout] = await waitFor('bob to be logged out', () => (logouts().length > 0 ? logouts() : null), 15_000);
      const evidence = JSON.parse(bobLogout?.evidence ?? '{}') as { reason: string; lastSeenAt: number; thresholdMs: number };
      expect(bobLogout?.worker_sid).toBe(sidOf('bob'));
      expect(evidence.reason).toBe('server-restart');
      // Lost at the dead process's last stored heartbeat (every 200 ms here), not at the restart.
      expect(evidence.lastSeenAt).toBeLessThanOrEqual(killedAt);
      expect(evidence.lastSeenAt).toBeGreaterThan(killedAt - 1000);
      expect(bobLogout?.effective_at).toBe(evidence.lastSeenAt + THRESHOLD_S * 1000);

      // Past alice's would-be due time too: she reconnected in time and keeps her status.
      await waitFor('the old due time to pass', () => Date.now() > evidence.lastSeenAt + THRESHOLD_S * 1000 + 500);
      const activityOf = (sid: string): string | undefined =>
        db.prepare<[string], { friendly_name: string }>('SELECT a.friendly_name FROM workers w JOIN activities a ON a.sid = w.activity_sid WHERE w.sid = ?').get(sid)?.friendly_name;
      expect(activityOf(sidOf('alice'))).toBe('Available');
      expect(activityOf(sidOf('bob'))).toBe('Offline');
      expect(logouts().map((r) => r.worker_sid)).toEqual([sidOf('bob')]);
      const aliceEpisode = db.prepare<[string], { reason: string; outcome: string | null }>('SELECT reason, outcome FROM disconnect_episodes WHERE worker_sid = ? ORDER BY id DESC').get(sidOf('alice'));
      expect(aliceEpisode).toEqual({ reason: 'server-restart', outcome: 'reconnected' });
    } finally {
      db.close();
    }
  });
});

describe('a graceful stop (SIGTERM)', () => {
  const dataDir = tempDataDir();
  let server: ChildProcess | null = null;
  const agents: SdkWorker[] = [];
  afterAll(() => {
    for (const a of agents) a.disconnect();
    server?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes agent sockets with going-away, exits 0, and leaves their disconnections pending', async () => {
    const port = await freePort();
    const env = { ...FAST_LIVENESS, PORT: String(port), ROLLCALL_DATA_DIR: dataDir, ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_S), ROLLCALL_LOG_LEVEL: 'warn' };
    server = await startServer(env);
    const creds = await credentials(env);
    const alice = creds.workers.find((w) => w.friendly_name === 'alice')?.sid ?? '';
    const token = await issueAccessToken({
      accountSid: creds.account_sid, apiKeySid: creds.api_key_sid, apiKeySecret: creds.api_key_secret,
      workspaceSid: creds.workspace_sid, workerSid: alice, identity: 'alice', ttlS: 600, nowMs: Date.now(),
    });
    const worker = sdkWorker(token, `http://127.0.0.1:${port}`);
    agents.push(worker);
    await once(worker, 'ready');
    await [...worker.activities.values()].find((a) => a.name === 'Available')?.setAsCurrent();
    const disconnected = once<{ message: string }>(worker, 'disconnected');
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    const stoppedAt = Date.now();
    server.kill('SIGTERM');
    expect((await disconnected).message).toBe('server shutting down');
    expect(await exited).toBe(0);
    server = null;

    const db = new Database(path.join(dataDir, 'rollcall.sqlite'), { readonly: true });
    try {
      const episode = db.prepare<[string], { reason: string; last_seen_at: number; outcome: string | null }>('SELECT reason, last_seen_at, outcome FROM disconnect_episodes WHERE worker_sid = ?').get(alice);
      expect(episode).toMatchObject({ reason: 'server-restart', outcome: null });
      expect(episode?.last_seen_at).toBeGreaterThanOrEqual(stoppedAt);
      const deadline = db.prepare<[string], { due_at: number }>('SELECT due_at FROM deadlines WHERE worker_sid = ?').get(alice);
      expect(deadline?.due_at).toBe((episode?.last_seen_at ?? 0) + THRESHOLD_S * 1000);
      const connections = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM connections').get();
      expect(connections?.n).toBe(0);
    } finally {
      db.close();
    }
  });
});
