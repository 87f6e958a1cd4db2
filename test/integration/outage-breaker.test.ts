/**
 * The mass-disconnect breaker end to end: a real server on port 0 with its own SQLite file, a
 * dozen agents on raw `ws` agent channels (as the SDK speaks it, as the presence bench drives
 * them), the settings and the early end over REST with the official `twilio` library. Short
 * threshold, window and hold, so the test takes seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { LogoutEvidence } from '../../src/core/presence.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { connectRawAgent, rawAgents, type RawAgent } from '../support/raw-agents.js';
import { until, waitFor } from '../support/wait.js';
import { accountCredentials, restClient, type TwilioClient } from './rest-support.js';

const THRESHOLD_MS = 2000;
/** Drops here are TCP closes; a patient liveness keeps a busy machine from losing the agents that stay. */
const PATIENT_LIVENESS = { ROLLCALL_PING_INTERVAL_MS: '1000', ROLLCALL_LIVENESS_TIMEOUT_MS: '15000' };
const AGENTS = 12;
let server: TestRollcall | null = null;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = null;
});

interface World {
  readonly s: TestRollcall;
  readonly client: TwilioClient;
  readonly workspaceUrl: string;
  readonly agents: RawAgent[];
}

async function world(breaker: Record<string, string>): Promise<World> {
  const s = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_MS / 1000), ...PATIENT_LIVENESS });
  server = s;
  const client = restClient(s.url, accountCredentials(s));
  const workspaceUrl = `${s.url}/v1/Workspaces/${s.workspaceSid}`;
  const set = await client.request({ method: 'post', uri: workspaceUrl, data: breaker });
  expect(set.statusCode).toBe(200);
  return { s, client, workspaceUrl, agents: await rawAgents(s, AGENTS, 'site-a', sockets) };
}

const BREAKER = { OutageBreakerSharePercent: '20', OutageBreakerMinAgents: '10', OutageBreakerWindowSeconds: '5' };

async function logouts(s: TestRollcall) {
  return (await s.rollcall.store.activityLog(s.workspaceSid)).filter((e) => e.cause === 'offline-threshold');
}

async function holdEvents(s: TestRollcall, type: 'started' | 'ended') {
  return s.rollcall.store.events(s.workspaceSid, { eventTypes: [`workspace.outage_hold.${type}`] });
}

/** Drops these agents at once (TCP close: a disconnection counted from now). */
function dropAll(w: World, indexes: readonly number[]): number {
  const at = Date.now();
  for (const i of indexes) w.agents[i]?.ws.terminate();
  return at;
}

describe('the mass-disconnect breaker with real agents', () => {
  it('a site dropping at once is held: nobody is logged out at the threshold, who comes back is untouched, the rest go at the hold end', async () => {
    const w = await world({ ...BREAKER, OutageBreakerHoldSeconds: '4' });
    const droppedAt = dropAll(w, [0, 1, 2, 3, 4, 5]);
    const [started] = await waitFor('the hold to start', async () => (await holdEvents(w.s, 'started')).length === 1 && holdEvents(w.s, 'started'));
    // The closes may land in more than one transaction: the trip counts those in by then, the rest join.
    expect(Number(started?.data.disconnections)).toBeGreaterThanOrEqual(3);
    const untilAt = Number(started?.data.until_ms);
    // Past every ordinary due time: no logout.
    await until(droppedAt + THRESHOLD_MS + 500);
    expect(await logouts(w.s)).toEqual([]);
    const back = w.agents[0];
    if (!back) throw new Error('no agent 0');
    back.ws = await connectRawAgent(w.s, back.token, sockets);
    const gone = await waitFor('five logouts', async () => {
      const found = await logouts(w.s);
      return found.length >= 5 && found;
    });
    expect(gone.map((e) => e.workerSid).sort()).toEqual(w.agents.slice(1, 6).map((a) => a.sid).sort());
    for (const entry of gone) {
      expect(entry.effectiveAt).toBe(untilAt);
      expect((entry.evidence as LogoutEvidence).breaker).toMatchObject({ holdSid: started?.data.outage_hold_sid, untilAt });
      expect((entry.evidence as LogoutEvidence).breaker?.ordinaryDueAt).toBeLessThan(untilAt);
    }
    const returned = await w.s.rollcall.store.activityLog(w.s.workspaceSid, { workerSid: back.sid });
    expect(returned.map((e) => e.cause)).toEqual(['created']);
    expect((await w.s.rollcall.store.findWorker(w.s.workspaceSid, back.sid))?.activityName).toBe('Available');
    await waitFor('the hold to end', async () => (await holdEvents(w.s, 'ended')).length === 1);
    expect((await holdEvents(w.s, 'ended'))[0]?.data).toMatchObject({ end_reason: 'expired' });
    const metrics = await w.s.rollcall.metrics.exposition();
    expect(metrics).toMatch(/^rollcall_outage_holds_started_total 1$/m);
    expect(metrics).toMatch(/^rollcall_outage_held_workers 0$/m);
  });

  it('one agent dropping alone is logged out at the threshold, as without the breaker', async () => {
    const w = await world({ ...BREAKER, OutageBreakerHoldSeconds: '60' });
    dropAll(w, [7]);
    const [entry] = await waitFor('the logout', async () => {
      const found = await logouts(w.s);
      return found.length === 1 && found;
    });
    const evidence = entry?.evidence as LogoutEvidence;
    expect(entry?.effectiveAt).toBe(evidence.lastSeenAt + THRESHOLD_MS);
    expect(evidence.breaker).toBeUndefined();
    expect(await holdEvents(w.s, 'started')).toEqual([]);
  });

  it('REST: the settings with refusals that change nothing, and an early end that logs the held out at their ordinary time', async () => {
    const w = await world({ ...BREAKER, OutageBreakerHoldSeconds: '60' });
    const fetch = async () => (await w.client.request({ method: 'get', uri: w.workspaceUrl })).body as Record<string, unknown>;
    const before = await fetch();
    expect(before.outage_breaker).toEqual({ enabled: true, share_percent: 20, min_agents: 10, window_seconds: 5, hold_seconds: 60 });
    expect(before.outage_hold).toBeNull();
    for (const [param, value] of [['OutageBreakerSharePercent', '0'], ['OutageBreakerMinAgents', '1'], ['OutageBreakerWindowSeconds', 'ten'], ['OutageBreakerHoldSeconds', '86401'], ['OutageBreakerEnabled', 'maybe']]) {
      const refused = await w.client.request({ method: 'post', uri: w.workspaceUrl, data: { [param as string]: value, FriendlyName: 'Renamed' } });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toMatchObject({ code: 20001, status: 400 });
      expect((refused.body as { message: string }).message).toContain(param);
    }
    expect(await fetch()).toEqual(before);
    const nothingToEnd = await w.client.request({ method: 'post', uri: w.workspaceUrl, data: { EndOutageHold: 'true' } });
    expect(nothingToEnd.statusCode).toBe(409);
    expect(nothingToEnd.body).toMatchObject({ code: 20409, status: 409, more_info: 'https://www.twilio.com/docs/errors/20409' });

    const droppedAt = dropAll(w, [0, 1, 2, 3]);
    await waitFor('the hold to start', async () => (await holdEvents(w.s, 'started')).length === 1);
    expect((await fetch()).outage_hold).toMatchObject({ held_workers: 4 });
    const ended = await w.client.request({ method: 'post', uri: w.workspaceUrl, data: { EndOutageHold: 'true' } });
    expect(ended.statusCode).toBe(200);
    expect((ended.body as Record<string, unknown>).outage_hold).toBeNull();
    const gone = await waitFor('four logouts', async () => {
      const found = await logouts(w.s);
      return found.length === 4 && found;
    });
    for (const entry of gone) {
      const evidence = entry.evidence as LogoutEvidence;
      expect(entry.effectiveAt).toBe(evidence.lastSeenAt + THRESHOLD_MS);
      expect(entry.effectiveAt).toBeLessThan(droppedAt + THRESHOLD_MS + 1000);
      expect(evidence.breaker).toMatchObject({ endReason: 'ended-early', ordinaryDueAt: entry.effectiveAt });
    }
    expect((await holdEvents(w.s, 'ended'))[0]).toMatchObject({ actorType: 'account', data: { end_reason: 'ended-early' } });
  });
});
