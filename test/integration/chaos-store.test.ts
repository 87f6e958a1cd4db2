/**
 * Chaos: the store fails for a few seconds under 1 000 connected agents (failures injected at the
 * store port), while agents disconnect and reconnect. Afterwards every disconnection and every
 * logout has landed exactly once, with true times: ends at their last sign of life, logouts that
 * came due during the outage effective at their due time. Agents are raw WebSocket clients (the
 * `ws` package answers pings, as the SDK's browser socket does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ActivityLogEntry, DisconnectEpisode } from '../../src/core/resources.js';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { failingStore } from '../support/failing-store.js';
import { FAST_LIVENESS, startRollcall, type TestRollcall } from '../support/harness.js';
import { until, waitFor } from '../support/wait.js';

const AGENTS = 1000;
/** Long enough that B, back after the outage, is connected again well before its due time on a busy machine. */
const THRESHOLD_S = 6;
const OUTAGE_MS = 3500;

/** Opens the agent channel; resolves once `init` arrived (the connection is committed). */
function connect(wsUrl: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/v1/wschannels?token=${encodeURIComponent(token)}`);
    ws.once('message', (data) => {
      if (String(data).includes('"event_type":"init"')) resolve(ws);
      else reject(new Error(`first frame was not init: ${String(data)}`));
    });
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade answered ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  return Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000);
  }))).then(() => undefined);
}

async function inChunks<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

describe('chaos: the store fails for a few seconds under 1 000 agents', () => {
  const store = failingStore();
  let rc: TestRollcall;
  let wsUrl = '';
  const tokens: string[] = [];
  const sids: string[] = [];

  beforeAll(async () => {
    rc = await startRollcall(FAST_LIVENESS, undefined, { wrapStore: (s) => store.wrap(s) });
    wsUrl = rc.url.replace(/^http/, 'ws');
    const { presence, installation } = rc.rollcall;
    const settings = await presence.updateLogoutSettings(rc.workspaceSid, { thresholdS: THRESHOLD_S, enabled: true }, 'test');
    expect(settings.ok).toBe(true);
    // A's 300 closes are a third of the agents at once: the mass-disconnect breaker would hold them
    // (its own tests cover that). This test is about the ordinary path through a failing store.
    const breakerOff = await rc.rollcall.store.updateWorkspace(rc.workspaceSid, {}, 'test', { breaker: { enabled: false } });
    expect(breakerOff.ok).toBe(true);
    const available = rc.activitySid('Available');
    for (let i = 0; i < AGENTS; i++) {
      const created = await presence.createWorker({ workspaceSid: rc.workspaceSid, friendlyName: `agent-${i}`, attributes: '{}', activitySid: available, actor: 'test' });
      if (!created.ok) throw new Error(created.refusal.message);
      sids.push(created.value.worker.sid);
      tokens.push(await issueAccessToken({
        accountSid: installation.account.sid, apiKeySid: installation.apiKey.sid, apiKeySecret: installation.apiKey.secret,
        workspaceSid: rc.workspaceSid, workerSid: created.value.worker.sid, identity: `agent-${i}`, ttlS: 600, nowMs: Date.now(),
      }));
    }
  }, 60_000);
  afterAll(async () => {
    store.failing = false;
    await rc?.close();
  });

  it('lands every disconnection and logout once, in order, with true times', { timeout: 120_000 }, async () => {
    const sockets = await inChunks(tokens, 100, (token) => connect(wsUrl, token));
    expect(rc.rollcall.channel.connectionCount).toBe(AGENTS);
    // C: gone before the outage; their logouts come due during it.  A: close during the outage
    // and stay away.  B: close late in the outage and come back once the server is ready again.
    // D: stay connected throughout.
    const idx = { c: [0, 100], a: [100, 400], b: [400, 600], d: [600, AGENTS] } as const;
    const group = (g: keyof typeof idx): number[] => Array.from({ length: idx[g][1] - idx[g][0] }, (_, i) => idx[g][0] + i);
    const { store: real } = rc.rollcall;
    await closeAll(group('c').map((i) => sockets[i] as WebSocket));
    const cClosedAt = Date.now();
    await waitFor('C\'s disconnections to land', async () => (await real.disconnectEpisodes(rc.workspaceSid)).length === 100);
    // C's logouts come due 2.5 s into the outage.
    await until(cClosedAt + THRESHOLD_S * 1000 - 2500);

    const outageAt = Date.now();
    store.failing = true;
    const aClosedAt = Date.now();
    await closeAll(group('a').map((i) => sockets[i] as WebSocket));
    // Not ready, and no new agents, while the store fails.
    const ready = await waitFor('readiness to go false', async () => {
      const res = await fetch(`${rc.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { reason: string }) : null;
    });
    expect(ready.reason).toMatch(/^store failing since /);
    await expect(connect(wsUrl, tokens[0] as string)).rejects.toMatchObject({ status: 503 });
    await until(outageAt + OUTAGE_MS - 500);
    const bClosedAt = Date.now();
    await closeAll(group('b').map((i) => sockets[i] as WebSocket));
    await expect(connect(wsUrl, tokens[400] as string)).rejects.toMatchObject({ status: 503 });
    await until(outageAt + OUTAGE_MS);
    store.failing = false;
    const recoveredAt = Date.now();

    await waitFor('readiness to return', async () => (await fetch(`${rc.url}/readyz`)).status === 200, 20_000);
    const readyAgainMs = Date.now() - recoveredAt;
    const back = await inChunks(group('b'), 50, (i) => connect(wsUrl, tokens[i] as string));
    const logoutsOf = async (): Promise<ActivityLogEntry[]> => (await real.activityLog(rc.workspaceSid)).filter((e) => e.cause === 'offline-threshold');
    await waitFor('A and C to be logged out', async () => (await logoutsOf()).length >= 400, 30_000);
    console.log(`chaos: ${store.refused} store calls refused during a ${OUTAGE_MS} ms outage; ready again ${readyAgainMs} ms and all 400 logouts landed ${Date.now() - recoveredAt} ms after it ended`);
    // B's would-be due times pass with B connected again: nothing may happen to B.
    await until(bClosedAt + THRESHOLD_S * 1000 + 500);

    const logouts = await logoutsOf();
    const episodes: DisconnectEpisode[] = await real.disconnectEpisodes(rc.workspaceSid);
    const count = (list: readonly { workerSid: string }[], i: number): number => list.filter((e) => e.workerSid === sids[i]).length;
    for (const i of [...group('a'), ...group('c')]) {
      expect(count(logouts, i), `logouts of agent-${i}`).toBe(1);
      expect(count(episodes, i), `episodes of agent-${i}`).toBe(1);
    }
    for (const i of group('b')) {
      expect(count(logouts, i), `logouts of agent-${i}`).toBe(0);
      expect(episodes.find((e) => e.workerSid === sids[i])?.outcome, `episode of agent-${i}`).toBe('reconnected');
      expect(count(episodes, i)).toBe(1);
    }
    for (const i of group('d')) expect(count(episodes, i), `episodes of agent-${i}`).toBe(0);
    expect(logouts).toHaveLength(400);

    for (const entry of logouts) {
      const evidence = entry.evidence;
      expect(evidence?.dueAt).toBe((evidence?.lastSeenAt ?? 0) + THRESHOLD_S * 1000);
      // Effective at the true due time, recorded once the store took writes again.
      expect(entry.effectiveAt).toBe(evidence?.dueAt);
      expect(entry.recordedAt).toBeGreaterThanOrEqual(recoveredAt);
    }
    const cSids = new Set(group('c').map((i) => sids[i]));
    // C's logouts came due while the store was down, and say so.
    for (const entry of logouts.filter((x) => cSids.has(x.workerSid))) expect(entry.effectiveAt).toBeLessThan(recoveredAt);
    const aSids = new Set(group('a').map((i) => sids[i]));
    for (const e of episodes.filter((x) => aSids.has(x.workerSid))) {
      // The close time, not the time the end finally landed.
      expect(e.lastSeenAt).toBeGreaterThanOrEqual(aClosedAt);
      expect(e.lastSeenAt).toBeLessThan(outageAt + 1000);
      expect(e.reason).toBe('closed');
    }
    expect(store.refused).toBeGreaterThan(0);
    expect(rc.rollcall.channel.connectionCount).toBe(400 + 200);
    await closeAll([...group('d').map((i) => sockets[i] as WebSocket), ...back]);
  });

  it('closes a connection whose opening the store failed to commit with 1013, and accepts agents again once it writes', async () => {
    // From the refused opening on, the node heartbeat fails too: its next success (every 200 ms
    // here) would otherwise prove the store writes again, and make the server ready, before this
    // test could look. Heartbeats before the opening still land, so the upgrade is accepted.
    let openingRefused = false;
    store.only = {
      has: (verb: string) => (verb === 'openConnections' ? (openingRefused = true) : verb === 'heartbeatNode' && openingRefused),
    } as unknown as ReadonlySet<string>;
    store.failing = true;
    const ws = new WebSocket(`${wsUrl}/v1/wschannels?token=${encodeURIComponent(tokens[0] as string)}`);
    const [code] = await new Promise<[number, string]>((resolve) => ws.once('close', (c, reason) => resolve([c, String(reason)])));
    expect(code).toBe(1013);
    const res = await fetch(`${rc.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/\(connections opened: disk I\/O error \(injected\)\)$/);
    store.failing = false;
    store.only = null;
    // The next node heartbeat proves the store writes again.
    await waitFor('readiness to return', async () => (await fetch(`${rc.url}/readyz`)).status === 200);
    const back = await connect(wsUrl, tokens[0] as string);
    await closeAll([back]);
  });
});
