/**
 * The mission end to end: the official twilio-taskrouter SDK as the agent, a real server on
 * port 0 with its own SQLite file, and a TCP proxy to break the agent's network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../support/tcp-proxy.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, until, waitFor } from '../support/wait.js';

const THRESHOLD_S = 2;
let server: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await server?.close();
  server = null;
});

async function start(env: Record<string, string> = {}): Promise<TestRollcall> {
  server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_S), ...env });
  return server;
}

async function proxied(s: TestRollcall): Promise<TcpProxy> {
  const proxy = new TcpProxy(Number(new URL(s.url).port));
  await proxy.start();
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Connects alice through `baseUrl`, waits for ready, and makes her Available. */
async function availableAgent(s: TestRollcall, baseUrl: string, name = 'alice', options: Record<string, unknown> = {}): Promise<SdkWorker> {
  const worker = sdkWorker(await s.token(name), baseUrl, options);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  const available = worker.activities.get(s.activitySid('Available'));
  if (!available) throw new Error('the SDK did not load the Available activity');
  const updated = once(worker, 'activityUpdated');
  await available.setAsCurrent();
  await updated;
  return worker;
}

async function activityOf(s: TestRollcall, name: string): Promise<string> {
  const w = await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid(name));
  return w?.activityName ?? '(missing)';
}

async function logoutsOf(s: TestRollcall, name: string) {
  const log = await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid(name) });
  return log.filter((e) => e.cause === 'offline-threshold');
}

async function openEpisode(s: TestRollcall, name: string) {
  const episodes = await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid(name) });
  return episodes.at(-1);
}

describe('presence with the official twilio-taskrouter SDK', () => {
  it('connects, loads activities and goes Available, pushing worker.activity.update', async () => {
    const s = await start();
    const worker = await availableAgent(s, s.url);
    expect(worker.activity.name).toBe('Available');
    expect(await activityOf(s, 'alice')).toBe('Available');
    const log = await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') });
    expect(log.at(-1)).toMatchObject({ cause: 'agent', actor: s.workerSid('alice'), toActivitySid: s.activitySid('Available') });
  });

  it('logs out an agent whose TCP connection dropped, after the threshold, counted from the close', async () => {
    const s = await start();
    const proxy = await proxied(s);
    await availableAgent(s, proxy.url);
    proxy.refuseNew = true;
    const droppedAt = Date.now();
    proxy.drop();
    const logout = await waitFor('the logout', async () => (await logoutsOf(s, 'alice')).at(0));
    expect(await activityOf(s, 'alice')).toBe('Offline');
    expect(logout?.evidence).toMatchObject({ reason: 'closed', thresholdMs: THRESHOLD_S * 1000 });
    const lastSeenAt = logout?.evidence?.lastSeenAt ?? 0;
    expect(lastSeenAt).toBeGreaterThanOrEqual(droppedAt - 50);
    expect(logout?.effectiveAt).toBe(lastSeenAt + THRESHOLD_S * 1000);
    // Never early: the change was recorded no sooner than it took effect.
    expect(logout?.recordedAt).toBeGreaterThanOrEqual(logout?.effectiveAt ?? Infinity);
    expect(logout?.recordedAt).toBeLessThan((logout?.effectiveAt ?? 0) + 500);
  });

  it('logs out a silently lost agent (no close, no pongs) from its last sign of life', async () => {
    const s = await start();
    const proxy = await proxied(s);
    await availableAgent(s, proxy.url);
    proxy.refuseNew = true;
    const frozenAt = Date.now();
    proxy.freeze();
    const logout = await waitFor('the logout', async () => (await logoutsOf(s, 'alice')).at(0), 15_000);
    expect(logout.evidence?.reason).toBe('heartbeat-lost');
    // The last pong came before the freeze; the due time is counted from it, not from detection.
    expect(logout.evidence?.lastSeenAt).toBeLessThanOrEqual(frozenAt);
    expect(logout.evidence?.lastSeenAt).toBeGreaterThan(frozenAt - 400);
    expect(logout.effectiveAt).toBe((logout.evidence?.lastSeenAt ?? 0) + THRESHOLD_S * 1000);
    const episode = await openEpisode(s, 'alice');
    expect(episode).toMatchObject({ reason: 'heartbeat-lost', outcome: 'logged-out' });
  });

  it('changes nothing when the agent reconnects within the threshold', async () => {
    const s = await start();
    const proxy = await proxied(s);
    const worker = await availableAgent(s, proxy.url);
    const droppedAt = Date.now();
    const reconnected = once(worker, 'ready', 5000);
    proxy.drop();
    await reconnected; // the SDK reconnects by itself about a second later
    await waitFor('the episode to close', async () => (await openEpisode(s, 'alice'))?.outcome === 'reconnected');
    await until(droppedAt + THRESHOLD_S * 1000 + 500);
    expect(await activityOf(s, 'alice')).toBe('Available');
    expect(await logoutsOf(s, 'alice')).toEqual([]);
    expect(await s.rollcall.store.nextDueAt()).toBeNull();
  });

  it('keeps a worker with two sessions connected when one of them closes', async () => {
    const s = await start();
    await availableAgent(s, s.url);
    const second = sdkWorker(await s.token('alice'), s.url);
    await once(second, 'ready');
    const closedAt = Date.now();
    second.disconnect();
    await waitFor('the second session to end', () => s.rollcall.channel.connectionCount === 1);
    await until(closedAt + THRESHOLD_S * 1000 + 500);
    expect(await activityOf(s, 'alice')).toBe('Available');
    expect(await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid('alice') })).toEqual([]);
  });

  it('changes nothing when automatic status update is off', async () => {
    const s = await start();
    const set = await s.rollcall.presence.updateLogoutSettings(s.workspaceSid, { enabled: false }, 'system');
    expect(set.ok).toBe(true);
    const proxy = await proxied(s);
    await availableAgent(s, proxy.url);
    proxy.refuseNew = true;
    const droppedAt = Date.now();
    proxy.drop();
    await waitFor('the disconnection', async () => (await openEpisode(s, 'alice'))?.reason === 'closed');
    await until(droppedAt + THRESHOLD_S * 1000 + 500);
    expect(await activityOf(s, 'alice')).toBe('Available');
    expect(await logoutsOf(s, 'alice')).toEqual([]);
  });

  it('does not log out a session opened with setWorkerOfflineIfDisconnected=false', async () => {
    const s = await start();
    const proxy = await proxied(s);
    await availableAgent(s, proxy.url, 'alice', { setWorkerOfflineIfDisconnected: false });
    proxy.refuseNew = true;
    const droppedAt = Date.now();
    proxy.drop();
    await waitFor('the disconnection', async () => (await openEpisode(s, 'alice'))?.reason === 'closed');
    await until(droppedAt + THRESHOLD_S * 1000 + 500);
    expect(await activityOf(s, 'alice')).toBe('Available');
  });

  it('ends older sessions on closeExistingSessions=true without the two clients kicking each other', async () => {
    const s = await start();
    const first = await availableAgent(s, s.url, 'alice', { closeExistingSessions: true });
    const firstExpired = once(first, 'tokenExpired', 5000);
    const second = sdkWorker(await s.token('alice'), s.url, { closeExistingSessions: true });
    cleanups.push(() => second.disconnect());
    await once(second, 'ready');
    await firstExpired; // the replaced client is told its session is over and stops reconnecting
    await until(Date.now() + 2500); // long enough for two SDK reconnect attempts (~1 s each)
    expect(s.rollcall.channel.connectionCount).toBe(1);
    expect(await activityOf(s, 'alice')).toBe('Available');
  });

  it('closes the sessions of a worker deleted over REST', async () => {
    const s = await start();
    const worker = sdkWorker(await s.token('carol'), s.url);
    cleanups.push(() => worker.disconnect());
    await once(worker, 'ready');
    const disconnected = once<{ message: string }>(worker, 'disconnected');
    const { account } = s.rollcall.installation;
    const res = await fetch(`${s.url}/v1/Workspaces/${s.workspaceSid}/Workers/${s.workerSid('carol')}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}` },
    });
    expect(res.status).toBe(204);
    expect((await disconnected).message).toBe('Worker deleted');
    await waitFor('the session to be gone', () => s.rollcall.channel.connectionCount === 0);
  });
});
