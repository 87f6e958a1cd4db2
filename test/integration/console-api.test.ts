/**
 * The console API against a real server: sign-in and its throttle, the session and CSRF guards,
 * logout settings (seen through the official `twilio` library), activities, workers, agent
 * links, and the live stream resuming from the durable event sequence. The browser tests
 * (test/e2e) drive the same API through the pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient } from '../support/console-client.js';
import { startRollcall, sdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, keyCredentials, restClient } from './rest-support.js';

let s: TestRollcall;
let admin: ConsoleClient;

beforeAll(async () => {
  s = await startRollcall();
  admin = new ConsoleClient(s.url);
  const { account } = s.rollcall.installation;
  expect((await admin.signIn(account.sid, account.authToken)).status).toBe(200);
});
afterAll(async () => s.close());

describe('sign-in', () => {
  it('opens an httpOnly SameSite=Strict session with an expiry, and signs out', async () => {
    const c = new ConsoleClient(s.url);
    const { account } = s.rollcall.installation;
    const res = await c.signIn(account.sid, account.authToken);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/rollcall_session=[^;]+; Max-Age=\d+; Path=\/console; HttpOnly; SameSite=Strict/);
    expect(res.body).toMatchObject({ account_sid: account.sid, kind: 'account', workspace: { sid: s.workspaceSid } });
    expect((await c.call('GET', '/console/api/session')).status).toBe(200);
    const token = c.cookie('rollcall_session');
    expect((await c.call('DELETE', '/console/api/session')).status).toBe(204);
    // The old cookie no longer opens anything, even if a copy was kept.
    const replay = new ConsoleClient(s.url);
    await replay.call('GET', '/console/api/session');
    expect((await fetch(`${s.url}/console/api/settings`, { headers: { cookie: `rollcall_session=${token}` } })).status).toBe(401);
  });

  it('takes an API key and its secret, and ends the session when the key is revoked', async () => {
    const c = new ConsoleClient(s.url);
    const client = restClient(s.url, accountCredentials(s));
    const key = await client.newKeys.create({ friendlyName: 'console test' });
    expect((await c.signIn(key.sid, key.secret)).body).toMatchObject({ credential_sid: key.sid, kind: 'api_key' });
    expect((await c.call('GET', '/console/api/settings')).status).toBe(200);
    await client.keys(key.sid).remove();
    expect((await c.call('GET', '/console/api/settings')).body).toMatchObject({ code: 'session-expired' });
  });

  it('refuses wrong credentials with one message, and calls without a session', async () => {
    const c = new ConsoleClient(s.url);
    const { account } = s.rollcall.installation;
    const wrong = await c.signIn(account.sid, 'not-the-token');
    expect(wrong).toMatchObject({ status: 401, body: { message: expect.stringMatching(/SID or secret is wrong/) } });
    expect((await c.signIn('nobody', 'x')).body.message).toBe(wrong.body.message);
    expect((await c.signIn('', '')).status).toBe(400);
    for (const path of ['/console/api/settings', '/console/api/workers', '/console/api/activities', '/console/api/stream']) {
      expect((await c.call('GET', path)).status).toBe(401);
    }
  });
});

describe('CSRF', () => {
  it('refuses a change from another origin, without an origin, or without the header, and changes nothing', async () => {
    const before = await s.rollcall.store.logoutSettings(s.workspaceSid);
    for (const options of [{ origin: 'http://evil.example' }, { origin: null }, { csrf: false }]) {
      const res = await admin.call('PUT', '/console/api/settings', { threshold_s: 7 }, options);
      expect(res).toMatchObject({ status: 403, body: { code: 'cross-origin' } });
    }
    expect(await s.rollcall.store.logoutSettings(s.workspaceSid)).toEqual(before);
  });
});

describe('logout settings', () => {
  it('refuses 0, 86 401, 1.5, a string and text, naming the field, and changes nothing', async () => {
    const before = await s.rollcall.store.logoutSettings(s.workspaceSid);
    for (const threshold of [0, 86_401, 1.5, '30', 'soon', null]) {
      const res = await admin.call('PUT', '/console/api/settings', { threshold_s: threshold });
      expect(res.status, `threshold ${String(threshold)}`).toBe(400);
      expect(res.body).toMatchObject({ field: 'threshold_s' });
    }
    expect((await admin.call('PUT', '/console/api/settings', { threshold_s: 0 })).body.message).toBe('The offline threshold must be a whole number of seconds from 1 to 86400');
    expect((await admin.call('PUT', '/console/api/settings', { logout_activity_sid: s.activitySid('Available') })).body).toMatchObject({ field: 'logout_activity_sid' });
    expect(await s.rollcall.store.logoutSettings(s.workspaceSid)).toEqual(before);
  });

  it('saves a change that the twilio library then reads, with who made it', async () => {
    const res = await admin.call('PUT', '/console/api/settings', { threshold_s: 45, enabled: false });
    expect(res.body).toMatchObject({ threshold_s: 45, enabled: false, logout_activity_name: 'Offline', updated_by: s.rollcall.installation.account.sid });
    const config = await restClient(s.url, keyCredentials(s)).flexApi.v1.configuration().fetch();
    expect(config.offlineConfig).toMatchObject({ presence: false, presence_ttl: 45 });
    await admin.call('PUT', '/console/api/settings', { threshold_s: 30, enabled: true });
  });
});

describe('activities', () => {
  it('creates, renames and deletes; the logout activity is marked, renamable and never deletable', async () => {
    const created = await admin.call('POST', '/console/api/activities', { friendly_name: 'Lunch', available: false });
    expect(created).toMatchObject({ status: 201, body: { friendly_name: 'Lunch', available: false, is_logout_activity: false, workers: 0 } });
    const sid = created.body.sid as string;
    expect((await admin.call('POST', '/console/api/activities', { friendly_name: 'Lunch' })).status).toBe(409);
    expect((await admin.call('PATCH', `/console/api/activities/${sid}`, { friendly_name: 'Long lunch' })).body).toMatchObject({ friendly_name: 'Long lunch' });
    expect((await admin.call('DELETE', `/console/api/activities/${sid}`)).status).toBe(204);

    const offline = s.activitySid('Offline');
    const list = (await admin.call<{ activities: { sid: string; is_logout_activity: boolean }[] }>('GET', '/console/api/activities')).body.activities;
    expect(list.filter((a) => a.is_logout_activity).map((a) => a.sid)).toEqual([offline]);
    const refused = await admin.call('DELETE', `/console/api/activities/${offline}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/logout activity/i);
    await admin.call('PATCH', `/console/api/activities/${offline}`, { friendly_name: 'Signed out' });
    expect((await admin.call('GET', '/console/api/settings')).body).toMatchObject({ logout_activity_sid: offline, logout_activity_name: 'Signed out' });
    await admin.call('PATCH', `/console/api/activities/${offline}`, { friendly_name: 'Offline' });
  });
});

describe('workers', () => {
  it('creates, edits attributes, changes activity as admin with the actor recorded, and deletes', async () => {
    const bad = await admin.call('POST', '/console/api/workers', { friendly_name: 'dave', attributes: '[1]' });
    expect(bad).toMatchObject({ status: 400, body: { field: 'attributes' } });
    expect(await s.rollcall.store.findWorkerByName(s.workspaceSid, 'dave')).toBeNull();
    const created = await admin.call('POST', '/console/api/workers', { friendly_name: 'dave', attributes: '{"skills":["sales"]}' });
    expect(created).toMatchObject({ status: 201, body: { friendly_name: 'dave', connections: 0, disconnected: null } });
    const sid = created.body.sid as string;
    expect((await admin.call('PATCH', `/console/api/workers/${sid}`, { attributes: 'not json' })).body).toMatchObject({ field: 'attributes' });
    expect((await admin.call('PATCH', `/console/api/workers/${sid}`, { attributes: '{"skills":["support"]}' })).body).toMatchObject({ attributes: '{"skills":["support"]}' });
    const moved = await admin.call('PATCH', `/console/api/workers/${sid}`, { activity_sid: s.activitySid('Break') });
    expect(moved.body).toMatchObject({ activity_name: 'Break' });
    const log = await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: sid });
    expect(log.at(-1)).toMatchObject({ cause: 'admin', actor: s.rollcall.installation.account.sid, toActivitySid: s.activitySid('Break') });
    expect((await admin.call('PATCH', `/console/api/workers/${sid}`, { activity_sid: 'WAnope' })).status).toBe(400);
    expect((await admin.call('DELETE', `/console/api/workers/${sid}`)).status).toBe(204);
    expect((await admin.call('DELETE', `/console/api/workers/${sid}`)).status).toBe(404);
  });
});

describe('agent desktop', () => {
  it('a one-time link opens an agent session that gets a token for its own worker only', async () => {
    const alice = s.workerSid('alice');
    const link = await admin.call('POST', `/console/api/workers/${alice}/agent-links`);
    expect(link.status).toBe(201);
    const url = new URL(link.body.url as string);
    expect(url.pathname).toBe('/console/agent');
    const agent = new ConsoleClient(s.url);
    const opened = await agent.call('POST', '/console/api/agent/session', { link: url.searchParams.get('link') });
    expect(opened.body).toMatchObject({ worker_sid: alice, friendly_name: 'alice' });
    // Used once: a second use (or a stranger with the same link) is refused.
    expect((await new ConsoleClient(s.url).call('POST', '/console/api/agent/session', { link: url.searchParams.get('link') })).status).toBe(401);
    const token = await agent.call('POST', '/console/api/agent/token', { worker_sid: s.workerSid('bob') });
    expect(token.body).toMatchObject({ worker_sid: alice, eb_server: `${s.url}/v1/wschannels`, ws_server: `${s.url.replace('http', 'ws')}/v1/wschannels` });
    // An agent session is no admin session.
    expect((await agent.call('GET', '/console/api/workers')).status).toBe(401);
    // The token works with the official SDK.
    const worker = sdkWorker(token.body.token as string, s.url);
    await once(worker, 'ready');
    expect(worker.sid).toBe(alice);
    worker.disconnect();
  });

  it('an admin may act as any worker; without a session nobody gets a token', async () => {
    expect((await admin.call('POST', '/console/api/agent/token', { worker_sid: s.workerSid('bob') })).body).toMatchObject({ worker_sid: s.workerSid('bob') });
    expect((await new ConsoleClient(s.url).call('POST', '/console/api/agent/token', { worker_sid: s.workerSid('bob') })).status).toBe(401);
    expect((await admin.call('POST', '/console/api/workers/WKnope/agent-links')).status).toBe(404);
  });

  it('tells a returning agent about the automatic logout until the agent changes status', async () => {
    await admin.call('PUT', '/console/api/settings', { threshold_s: 1 });
    try {
      const carol = s.workerSid('carol');
      const worker = sdkWorker(await s.token('carol'), s.url);
      await once(worker, 'ready');
      await s.rollcall.presence.setActivity({ workspaceSid: s.workspaceSid, workerSid: carol, activitySid: s.activitySid('Available'), cause: 'agent', actor: carol, rejectPendingReservations: false });
      worker.disconnect();
      const notice = await waitFor('the automatic logout notice', async () => {
        const res = await admin.call<{ notice: Record<string, unknown> | null }>('GET', `/console/api/agent/notice?worker_sid=${carol}`);
        return res.body.notice;
      });
      expect(notice).toMatchObject({ activity_name: 'Offline', cause: 'offline-threshold', evidence: { threshold_ms: 1000 } });
      await s.rollcall.presence.setActivity({ workspaceSid: s.workspaceSid, workerSid: carol, activitySid: s.activitySid('Break'), cause: 'agent', actor: carol, rejectPendingReservations: false });
      expect((await admin.call('GET', `/console/api/agent/notice?worker_sid=${carol}`)).body).toEqual({ notice: null });
    } finally {
      await admin.call('PUT', '/console/api/settings', { threshold_s: 30 });
    }
  });
});

describe('live stream', () => {
  it('starts with a snapshot, pushes changes, and replays what a dropped stream missed', async () => {
    const bob = s.workerSid('bob');
    const first = admin.stream();
    const snapshot = await waitFor('snapshot', () => first.events.find((e) => e.event === 'snapshot'));
    expect((snapshot.data.workers as unknown[]).length).toBeGreaterThanOrEqual(3);
    await admin.call('PATCH', `/console/api/workers/${bob}`, { activity_sid: s.activitySid('Break') });
    await waitFor('the change pushed', () => first.events.find((e) => e.event === 'workers' && (e.data.rows as { sid: string; activity_name: string }[]).some((r) => r.sid === bob && r.activity_name === 'Break')));
    await waitFor('its event', () => first.events.find((e) => e.event === 'change' && e.data.resource_sid === bob));
    const lastId = first.lastId();
    first.close();

    // Changes while the console is away...
    await admin.call('PATCH', `/console/api/workers/${bob}`, { activity_sid: s.activitySid('Unavailable') });
    await admin.call('PATCH', `/console/api/workers/${bob}`, { activity_sid: s.activitySid('Offline') });
    const second = admin.stream(lastId);
    const resumed = await waitFor('snapshot after resume', () => second.events.find((e) => e.event === 'snapshot'));
    const replayed = second.events.filter((e) => e.event === 'change').map((e) => Number(e.id));
    // ...come back in order, with no gap from where the first stream stopped.
    expect(replayed[0]).toBe(Number(lastId) + 1);
    expect(replayed.at(-1)).toBe(resumed.data.seq);
    expect(replayed).toEqual([...replayed].sort((a, b) => a - b));
    expect((resumed.data.workers as { sid: string; activity_name: string }[]).find((w) => w.sid === bob)?.activity_name).toBe('Offline');
    second.close();
  });

  it('shows a connection, its end and the pending logout with its due time', async () => {
    const alice = s.workerSid('alice');
    const stream = admin.stream();
    await waitFor('snapshot', () => stream.events.find((e) => e.event === 'snapshot'));
    const rowOf = (predicate: (r: Record<string, unknown>) => boolean) => () => stream.events.flatMap((e) => (e.event === 'workers' ? (e.data.rows as Record<string, unknown>[]) : [])).find((r) => r.sid === alice && predicate(r));
    const worker = sdkWorker(await s.token('alice'), s.url);
    await once(worker, 'ready');
    await waitFor('connected', rowOf((r) => r.connections === 1));
    await s.rollcall.presence.setActivity({ workspaceSid: s.workspaceSid, workerSid: alice, activitySid: s.activitySid('Available'), cause: 'agent', actor: alice, rejectPendingReservations: false });
    const closedAt = Date.now();
    worker.disconnect();
    const pending = await waitFor('pending logout', rowOf((r) => r.connections === 0 && r.logout_due_at !== null));
    const d = pending.disconnected as { reason: string; last_seen_at: number };
    expect(d.reason).toBe('closed');
    expect(pending.logout_due_at).toBe(d.last_seen_at + 30_000);
    expect(Math.abs(d.last_seen_at - closedAt)).toBeLessThan(2000);
    stream.close();
  });
});

describe('sign-in throttle', () => {
  it('answers 429 with Retry-After after five failures from one address, even for right credentials', async () => {
    const t = await startRollcall();
    try {
      const c = new ConsoleClient(t.url);
      const { account } = t.rollcall.installation;
      for (let i = 0; i < 5; i++) expect((await c.signIn(account.sid, `wrong-${i}`)).status).toBe(401);
      const throttled = await c.signIn(account.sid, account.authToken);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(800);
      expect(throttled.body).toMatchObject({ code: 'throttled', message: expect.stringMatching(/Try again in \d+ s/) });
    } finally {
      await t.close();
    }
  });
});
