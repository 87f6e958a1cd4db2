/**
 * Workspace event callbacks (issue 8 item 8): a real HTTP server on 127.0.0.1 receives each event
 * as Twilio posts it, form-encoded and signed; the signature is checked with the official `twilio`
 * library's `validateRequest`. Delivery never holds up the change, is retried with backoff, is
 * visible when it fails, and is still owed after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.js';
import { startRollcall, tempDataDir, type TestRollcall } from '../support/harness.js';
import { waitFor } from '../support/wait.js';
import { deliveries, signedBy } from './callback-support.js';
import { accountCredentials, restClient, twilio } from './rest-support.js';

let server: TestRollcall | null = null;
let hooks: CallbackServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
  await hooks?.close();
  hooks = null;
});

const FAST_RETRIES = { ROLLCALL_CALLBACK_RETRY_BASE_MS: '20', ROLLCALL_CALLBACK_TIMEOUT_MS: '2000' };

async function start(env: Record<string, string> = {}, dataDir?: string) {
  hooks ??= await CallbackServer.start();
  server = await startRollcall({ ...FAST_RETRIES, ...env }, dataDir);
  const client = restClient(server.url, accountCredentials(server));
  return { s: server, hooks, client, ws: client.taskrouter.v1.workspaces(server.workspaceSid) };
}

describe('event callbacks', () => {
  it('post each event of the filter, form-encoded with Twilio parameters and a valid X-Twilio-Signature', async () => {
    const { s, hooks, ws } = await start();
    const { account } = s.rollcall.installation;
    await ws.update({ eventCallbackUrl: `${hooks.baseUrl}/events?source=rollcall`, eventsFilter: 'worker.activity.update,worker.created' });
    await ws.workers(s.workerSid('alice')).update({ attributes: '{"skills":["support"]}' });
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Break') });
    const created = await ws.workers.create({ friendlyName: 'dave' });

    const update = await hooks.next((r) => r.params.EventType === 'worker.activity.update');
    expect(update.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(update.path).toBe('/events?source=rollcall');
    expect(update.params).toMatchObject({
      AccountSid: account.sid, WorkspaceSid: s.workspaceSid, WorkspaceName: 'Rollcall', ResourceType: 'worker', ResourceSid: s.workerSid('alice'),
      WorkerSid: s.workerSid('alice'), WorkerName: 'alice', WorkerActivitySid: s.activitySid('Break'), WorkerActivityName: 'Break',
      WorkerPreviousActivityName: 'Offline', Cause: 'api',
    });
    expect(update.params.Sid).toMatch(/^EV[0-9a-f]{32}$/);
    expect(update.params.EventDescription).toMatch(/alice/);
    expect(Number(update.params.Timestamp)).toBeCloseTo(Date.now() / 1000, -2);
    expect(signedBy(account.authToken, update)).toBe(true);
    // The signature covers every parameter and the URL: a changed value or another token fails it.
    expect(twilio.validateRequest(account.authToken, String(update.headers['x-twilio-signature']), update.url, { ...update.params, WorkerActivityName: 'Available' })).toBe(false);
    expect(signedBy('0'.repeat(64), update)).toBe(false);

    const added = await hooks.next((r) => r.params.EventType === 'worker.created');
    expect(added.params).toMatchObject({ ResourceSid: created.sid, WorkerName: 'dave' });
    expect(signedBy(account.authToken, added)).toBe(true);
    // Outside the filter: never owed, never sent.
    await waitFor('both deliveries recorded as delivered', async () => (await deliveries(restClient(s.url, accountCredentials(s)), s.url, s.workspaceSid, '?Status=delivered')).length === 2);
    expect(hooks.received.map((r) => r.params.EventType).sort()).toEqual(['worker.activity.update', 'worker.created']);
  });

  it('are owed only by a committed change: a refused one owes nothing', async () => {
    const { s, hooks, client, ws } = await start();
    await ws.update({ eventCallbackUrl: `${hooks.baseUrl}/events` });
    const before = (await deliveries(client, s.url, s.workspaceSid)).length;
    // Refused whole (If-Match stale, then an unknown activity): nothing written, no event, no callback owed.
    await expect(ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Break'), ifMatch: '"999"' })).rejects.toMatchObject({ status: 412 });
    await expect(ws.workers(s.workerSid('alice')).update({ activitySid: `WA${'0'.repeat(32)}` })).rejects.toMatchObject({ status: 400 });
    await ws.workers(s.workerSid('bob')).update({ attributes: '{"skills":["support"]}' });
    await hooks.next((r) => r.params.EventType === 'worker.attributes.update');
    expect((await deliveries(client, s.url, s.workspaceSid)).map((d) => d.event_type).slice(before)).toEqual(['worker.attributes.update']);
  });

  it('never hold up the change: the REST answer comes while the endpoint still has not answered', async () => {
    const { s, hooks, ws } = await start();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    hooks.answer(() => ({ status: 204, after: held }));
    await ws.update({ eventCallbackUrl: `${hooks.baseUrl}/slow`, eventsFilter: 'worker.activity.update' });
    const updated = await ws.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Break') });
    expect(updated.activityName).toBe('Break');
    const inFlight = await hooks.next((r) => r.params.EventType === 'worker.activity.update');
    const client = restClient(s.url, accountCredentials(s));
    expect((await deliveries(client, s.url, s.workspaceSid))[0]).toMatchObject({ status: 'pending', attempts: 0, event_sid: inFlight.params.Sid });
    release();
    await waitFor('the delivery recorded', async () => (await deliveries(client, s.url, s.workspaceSid))[0]?.status === 'delivered');
  });

  it('retry a failing endpoint with backoff, then give up visibly', async () => {
    const { s, hooks, client, ws } = await start();
    let calls = 0;
    hooks.answer((r) => (r.path === '/flaky' && ++calls <= 2 ? { status: 500 } : r.path === '/down' ? { status: 503 } : { status: 204 }));
    await ws.update({ eventCallbackUrl: `${hooks.baseUrl}/flaky`, eventsFilter: 'worker.activity.update' });
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Break') });
    await waitFor('the flaky delivery delivered', async () => (await deliveries(client, s.url, s.workspaceSid, '?Status=delivered')).length === 1);
    const [flaky] = await deliveries(client, s.url, s.workspaceSid);
    expect(flaky).toMatchObject({ status: 'delivered', attempts: 3, last_http_status: 204, last_error: null });
    expect(hooks.received.filter((r) => r.path === '/flaky').map((r) => r.params.Sid)).toEqual(Array(3).fill(hooks.received[0]?.params.Sid));

    await ws.update({ eventCallbackUrl: `${hooks.baseUrl}/down` });
    await ws.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Break') });
    const [failed] = await waitFor('the delivery given up', async () => {
      const list = await deliveries(client, s.url, s.workspaceSid, '?Status=failed');
      return list.length === 1 ? list : null;
    });
    expect(failed).toMatchObject({ kind: 'event', event_type: 'worker.activity.update', attempts: 6, last_http_status: 503, last_error: 'answered HTTP 503' });
    expect(hooks.received.filter((r) => r.path === '/down')).toHaveLength(6);
  });

  it('are still owed after a restart: the outbox is written with the event', async () => {
    const dataDir = tempDataDir();
    const first = await start({ ROLLCALL_CALLBACK_RETRY_BASE_MS: '200' }, dataDir);
    first.hooks.answer(() => ({ status: 503 }));
    await first.ws.update({ eventCallbackUrl: `${first.hooks.baseUrl}/events`, eventsFilter: 'worker.activity.update' });
    await first.ws.workers(first.s.workerSid('carol')).update({ activitySid: first.s.activitySid('Break') });
    const refused = await first.hooks.next(() => true);
    await first.s.rollcall.close();
    server = null;

    first.hooks.answer(() => ({ status: 204 }));
    const second = await start({ ROLLCALL_CALLBACK_RETRY_BASE_MS: '200' }, dataDir);
    const delivered = await second.hooks.next((r) => r !== refused && r.params.Sid === refused.params.Sid);
    expect(delivered.params).toEqual(refused.params);
    expect(signedBy(second.s.rollcall.installation.account.authToken, delivered)).toBe(true);
    await waitFor('recorded as delivered', async () => (await deliveries(second.client, second.s.url, second.s.workspaceSid))[0]?.status === 'delivered');
  });
});
