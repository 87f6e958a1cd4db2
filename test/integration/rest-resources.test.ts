/**
 * REST conformance, part 2: workspaces, activities (the protected logout activity) and workers,
 * every filter and every refusal, driven only through the official `twilio` library.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, keyCredentials, restClient, type TwilioClient } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start() {
  server = await startRollcall();
  const client = restClient(server.url, accountCredentials(server));
  return { s: server, client, ws: client.taskrouter.v1.workspaces(server.workspaceSid) };
}

async function eventTypes(s: TestRollcall): Promise<string[]> {
  return (await s.rollcall.store.events(s.workspaceSid)).map((e) => e.eventType);
}

describe('workspaces', () => {
  it('are listed for the account and fetched with their activities named', async () => {
    const { s, client, ws } = await start();
    const [listed, ...rest] = await client.taskrouter.v1.workspaces.list();
    expect(rest).toEqual([]);
    const fetched = await ws.fetch();
    expect(listed?.toJSON()).toEqual(fetched.toJSON());
    expect(fetched).toMatchObject({
      sid: s.workspaceSid,
      accountSid: s.rollcall.installation.account.sid,
      friendlyName: 'Rollcall',
      defaultActivityName: 'Offline',
      defaultActivitySid: s.activitySid('Offline'),
      timeoutActivityName: 'Offline',
      prioritizeQueueOrder: 'FIFO',
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}`,
    });
    expect(fetched.dateCreated).toBeInstanceOf(Date);
    expect(fetched.links).toMatchObject({ activities: `${s.url}/v1/Workspaces/${s.workspaceSid}/Activities` });
    expect(await client.taskrouter.v1.workspaces.list({ friendlyName: 'Nope' })).toEqual([]);
  });

  it('are updated: name, default and timeout activities, callback URL and filter, with a workspace.updated event', async () => {
    const { s, ws } = await start();
    const updated = await ws.update({
      friendlyName: 'Support', defaultActivitySid: s.activitySid('Unavailable'), timeoutActivitySid: s.activitySid('Break'),
      eventCallbackUrl: 'https://hooks.example.com/taskrouter', eventsFilter: 'worker.activity.update,activity.deleted',
    });
    expect(updated).toMatchObject({
      friendlyName: 'Support', defaultActivityName: 'Unavailable', timeoutActivityName: 'Break',
      eventCallbackUrl: 'https://hooks.example.com/taskrouter', eventsFilter: 'worker.activity.update,activity.deleted',
    });
    expect(await eventTypes(s)).toContain('workspace.updated');
    // A worker created without an activity now starts in the new default.
    expect((await ws.workers.create({ friendlyName: 'dave' })).activityName).toBe('Unavailable');
  });

  it('refuse bad settings naming the field, and keep every other change out too', async () => {
    const { s, ws } = await start();
    const refusals: [Parameters<typeof ws.update>[0], RegExp][] = [
      [{ friendlyName: 'Changed', defaultActivitySid: `WA${'0'.repeat(32)}` }, /DefaultActivitySid .* is not an activity of workspace/],
      [{ friendlyName: 'Changed', timeoutActivitySid: 'Break' }, /TimeoutActivitySid Break is not valid: it must be a SID/],
      [{ friendlyName: 'Changed', eventCallbackUrl: 'not a url' }, /EventCallbackUrl must be an absolute http or https URL/],
      [{ friendlyName: 'Changed', eventsFilter: 'worker.created,,nope nope' }, /EventsFilter/],
      [{ friendlyName: 'Changed', multiTaskEnabled: 'sometimes' as unknown as boolean }, /^MultiTaskEnabled must be true or false$/],
      [{ friendlyName: 'Changed', prioritizeQueueOrder: 'LIFO' }, /PrioritizeQueueOrder/],
      [{ friendlyName: '' }, /FriendlyName must not be empty/],
    ];
    for (const [params, message] of refusals) await expectRestError(ws.update(params), { status: 400, code: 20001, message });
    expect((await ws.fetch()).friendlyName).toBe('Rollcall');
    expect(await eventTypes(s)).not.toContain('workspace.updated');
  });
});

describe('activities', () => {
  it('are listed with FriendlyName and Available filters, created (201) and renamed', async () => {
    const { s, ws } = await start();
    expect((await ws.activities.list()).map((a) => a.friendlyName)).toEqual(['Offline', 'Available', 'Unavailable', 'Break']);
    expect((await ws.activities.list({ available: 'false' })).map((a) => a.friendlyName)).toEqual(['Offline', 'Unavailable', 'Break']);
    expect((await ws.activities.list({ available: 'true' })).map((a) => a.friendlyName)).toEqual(['Available']);
    expect((await ws.activities.list({ friendlyName: 'Break' })).map((a) => a.sid)).toEqual([s.activitySid('Break')]);

    const created = await ws.activities.createWithHttpInfo({ friendlyName: 'Lunch', available: false });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatchObject({ friendlyName: 'Lunch', available: false, workspaceSid: s.workspaceSid });
    expect(created.body.sid).toMatch(/^WA[0-9a-f]{32}$/);
    const ready = await ws.activities.create({ friendlyName: 'Ready', available: true });
    expect(ready.available).toBe(true);
    expect((await ws.activities.create({ friendlyName: 'Training' })).available).toBe(false);

    expect((await ws.activities(created.body.sid).update({ friendlyName: 'Lunch break' })).friendlyName).toBe('Lunch break');
    expect((await ws.activities(created.body.sid).fetch()).friendlyName).toBe('Lunch break');
    expect(await eventTypes(s)).toEqual(expect.arrayContaining(['activity.created', 'activity.updated']));
  });

  it('refuse a missing or duplicate name, a change of available, and bad values, naming the field', async () => {
    const { s, ws, client } = await start();
    await expectRestError(ws.activities.create({ friendlyName: 'Break' }), { status: 409, code: 20409, message: /An activity named Break already exists/ });
    await expectRestError(ws.activities(s.activitySid('Break')).update({ friendlyName: 'Available' }), { status: 409, code: 20409 });
    await expectRestError(ws.activities.create({ friendlyName: 'x'.repeat(65) }), { status: 400, code: 20001, message: /FriendlyName/ });
    await expectRestError(ws.activities.create({ friendlyName: 'Maybe', available: 'perhaps' as unknown as boolean }), { status: 400, code: 20001, message: /Available must be true or false/ });
    // The library has no Available on update; a raw request through it sends one anyway.
    const raw = await client.request({ method: 'post', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Activities/${s.activitySid('Offline')}`, data: { Available: 'true', FriendlyName: 'Away' } });
    expect(raw.statusCode).toBe(400);
    expect(raw.body).toMatchObject({ code: 20001, message: expect.stringMatching(/Available cannot change after an activity is created/) });
    const missing = await client.request({ method: 'post', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Activities`, data: { Available: 'true' } });
    expect(missing.body).toMatchObject({ status: 400, code: 20001, message: 'FriendlyName is required' });
    expect((await ws.activities.list()).map((a) => a.friendlyName)).toEqual(['Offline', 'Available', 'Unavailable', 'Break']);
  });

  it('ignore unknown parameters, as Twilio does', async () => {
    const { s, client, ws } = await start();
    const response = await client.request({ method: 'post', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Activities`, data: { FriendlyName: 'Coaching', Colour: 'blue' } });
    expect(response.statusCode).toBe(201);
    expect((await ws.activities.list({ friendlyName: 'Coaching' })).length).toBe(1);
  });

  it('are deleted (204) unless in use; every refusal explains itself and changes nothing', async () => {
    const { s, ws } = await start();
    const lunch = await ws.activities.create({ friendlyName: 'Lunch' });
    expect(await ws.activities(lunch.sid).remove()).toBe(true);
    await expectRestError(ws.activities(lunch.sid).fetch(), { status: 404, code: 20404 });
    await expectRestError(ws.activities(lunch.sid).remove(), { status: 404, code: 20404 });

    await ws.update({ defaultActivitySid: s.activitySid('Unavailable'), timeoutActivitySid: s.activitySid('Break') });
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Available') });
    await expectRestError(ws.activities(s.activitySid('Unavailable')).remove(), { status: 409, code: 20409, message: /default activity \(DefaultActivitySid\)/ });
    await expectRestError(ws.activities(s.activitySid('Break')).remove(), { status: 409, code: 20409, message: /timeout activity \(TimeoutActivitySid\)/ });
    await expectRestError(ws.activities(s.activitySid('Available')).remove(), { status: 409, code: 20409, message: /^1 worker is in Available; move them to another activity before deleting it$/ });
    expect((await ws.activities.list()).map((a) => a.friendlyName)).toEqual(['Offline', 'Available', 'Unavailable', 'Break']);

    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Offline') });
    expect(await ws.activities(s.activitySid('Available')).remove()).toBe(true);
    expect(await eventTypes(s)).toContain('activity.deleted');
  });

  it('are not deleted while a task queue names them', async () => {
    const { s, ws } = await start();
    const lunch = await ws.activities.create({ friendlyName: 'Lunch' });
    const queue = await s.rollcall.store.createTaskQueue(s.workspaceSid, { friendlyName: 'Support', targetWorkers: '1==1', assignmentActivitySid: lunch.sid });
    expect(queue.ok).toBe(true);
    await expectRestError(ws.activities(lunch.sid).remove(), { status: 409, code: 20409, message: /^Lunch is the reservation or assignment activity of task queue Support; change it before deleting it$/ });
    expect((await ws.activities(lunch.sid).fetch()).friendlyName).toBe('Lunch');
  });
});

describe('the logout activity', () => {
  it('can be renamed, and the new name shows everywhere, but it is never deleted', async () => {
    const { s, ws, client } = await start();
    const offline = s.activitySid('Offline');
    expect((await ws.activities(offline).update({ friendlyName: 'Logged out' })).friendlyName).toBe('Logged out');
    const config = await client.request({ method: 'get', uri: `${s.url}/v1/Configuration` });
    expect(config.body).toMatchObject({ taskrouter_offline_activity_sid: offline, taskrouter_offline_activity_name: 'Logged out' });
    expect((await ws.fetch()).defaultActivityName).toBe('Logged out');
    expect((await ws.workers(s.workerSid('alice')).fetch()).activityName).toBe('Logged out');

    // Even once nothing else refers to it, the logout activity stays.
    await ws.update({ defaultActivitySid: s.activitySid('Unavailable'), timeoutActivitySid: s.activitySid('Unavailable') });
    for (const name of ['alice', 'bob', 'carol']) await ws.workers(s.workerSid(name)).update({ activitySid: s.activitySid('Unavailable') });
    await expectRestError(ws.activities(offline).remove(), { status: 409, code: 20409, message: /^Logged out is the logout activity: it can be renamed but never deleted$/ });
    expect((await ws.activities(offline).fetch()).friendlyName).toBe('Logged out');
    expect(await eventTypes(s)).not.toContain('activity.deleted');
  });
});

describe('workers', () => {
  it('are listed with ActivityName, ActivitySid, Available and FriendlyName filters', async () => {
    const { s, ws } = await start();
    await ws.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Available') });
    await ws.workers(s.workerSid('carol')).update({ activitySid: s.activitySid('Break') });
    const names = async (filter: Parameters<typeof ws.workers.list>[0]) => (await ws.workers.list(filter)).map((w) => w.friendlyName);
    expect(await names({})).toEqual(['alice', 'bob', 'carol']);
    expect(await names({ activityName: 'Break' })).toEqual(['carol']);
    expect(await names({ activitySid: s.activitySid('Offline') })).toEqual(['alice']);
    expect(await names({ available: 'true' })).toEqual(['bob']);
    expect(await names({ available: 'false' })).toEqual(['alice', 'carol']);
    expect(await names({ friendlyName: 'carol' })).toEqual(['carol']);
    expect(await names({ friendlyName: 'carol', available: 'true' })).toEqual([]);
    await expectRestError(ws.workers.list({ available: 'sometimes' }), { status: 400, code: 20001, message: /Available must be true or false/ });
    await expectRestError(ws.workers.list({ targetWorkersExpression: 'skills HAS "support"' }), { status: 400, code: 20001, message: /TargetWorkersExpression is not supported yet/ });
  });

  it('are created (201) with attributes and an activity, and shaped as the library expects', async () => {
    const { s, ws } = await start();
    const attributes = JSON.stringify({ skills: ['billing'], languages: { en: 10 } });
    const created = await ws.workers.createWithHttpInfo({ friendlyName: 'dave', attributes, activitySid: s.activitySid('Break') });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const dave = created.body;
    expect(dave).toMatchObject({
      friendlyName: 'dave', attributes, activityName: 'Break', activitySid: s.activitySid('Break'), available: false,
      workspaceSid: s.workspaceSid, accountSid: s.rollcall.installation.account.sid,
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers/${dave.sid}`,
    });
    expect(dave.dateStatusChanged).toBeInstanceOf(Date);
    expect(dave.links).toMatchObject({ activity: `${s.url}/v1/Workspaces/${s.workspaceSid}/Activities/${s.activitySid('Break')}` });
    expect((await ws.workers.create({ friendlyName: 'erin' })).attributes).toBe('{}');
    expect(await eventTypes(s)).toEqual(expect.arrayContaining(['worker.created']));
  });

  it('refuse bad creations naming the field, creating nothing', async () => {
    const { s, ws } = await start();
    await expectRestError(ws.workers.create({ friendlyName: 'alice' }), { status: 409, code: 20409, message: /A worker named alice already exists/ });
    await expectRestError(ws.workers.create({ friendlyName: 'dave', attributes: '{not json' }), { status: 400, code: 20001, message: /Attributes must be valid JSON/ });
    await expectRestError(ws.workers.create({ friendlyName: 'dave', attributes: '[1,2]' }), { status: 400, code: 20001, message: /Attributes must be a JSON object/ });
    await expectRestError(ws.workers.create({ friendlyName: 'dave', attributes: { skills: 'x' } as unknown as string }), { status: 400, code: 20001, message: /Attributes must be a JSON string/ });
    await expectRestError(ws.workers.create({ friendlyName: 'dave', activitySid: 'Offline' }), { status: 400, code: 20001, message: /ActivitySid Offline is not valid: it must be a SID/ });
    await expectRestError(ws.workers.create({ friendlyName: 'dave', activitySid: `WA${'0'.repeat(32)}` }), { status: 400, code: 20001, message: /ActivitySid .* is not an activity of this workspace/ });
    await expectRestError(ws.workers.create({ friendlyName: '' }), { status: 400, code: 20001, message: /FriendlyName/ });
    expect((await ws.workers.list()).map((w) => w.friendlyName)).toEqual(['alice', 'bob', 'carol']);
    expect((await eventTypes(s)).filter((t) => t === 'worker.created').length).toBe(3);
  });

  it('are updated: activity (cause api, the key as actor), attributes and name', async () => {
    const { s } = await start();
    const viaKey: TwilioClient = restClient(s.url, keyCredentials(s));
    const alice = viaKey.taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('alice'));
    const moved = await alice.update({ activitySid: s.activitySid('Break'), rejectPendingReservations: true });
    expect(moved).toMatchObject({ activityName: 'Break', available: false });
    const log = await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') });
    expect(log.at(-1)).toMatchObject({ cause: 'api', actor: s.rollcall.installation.apiKey.sid, toActivitySid: s.activitySid('Break') });

    const renamed = await alice.update({ attributes: '{"skills":["sales"]}', friendlyName: 'alice.b' });
    expect(renamed).toMatchObject({ attributes: '{"skills":["sales"]}', friendlyName: 'alice.b', activityName: 'Break' });
    expect(await eventTypes(s)).toEqual(expect.arrayContaining(['worker.activity.update', 'worker.attributes.update']));
  });

  it('refuse a bad update whole: nothing of it is written', async () => {
    const { s, ws } = await start();
    const alice = ws.workers(s.workerSid('alice'));
    const before = (await alice.fetch()).toJSON();
    const attempts: [Parameters<typeof alice.update>[0], number, number, RegExp][] = [
      [{ friendlyName: 'renamed', attributes: '{"a":1}', activitySid: `WA${'0'.repeat(32)}` }, 400, 20001, /ActivitySid .* is not an activity/],
      [{ friendlyName: 'renamed', activitySid: s.activitySid('Available'), rejectPendingReservations: true }, 400, 20001, /RejectPendingReservations is only allowed when moving to an unavailable activity/],
      [{ friendlyName: 'renamed', attributes: 'nope' }, 400, 20001, /Attributes must be valid JSON/],
      [{ attributes: '{"a":1}', friendlyName: 'bob' }, 409, 20409, /A worker named bob already exists/],
      [{ attributes: '{"a":1}', activitySid: s.activitySid('Available'), rejectPendingReservations: 'maybe' as unknown as boolean }, 400, 20001, /RejectPendingReservations must be true or false/],
    ];
    for (const [params, status, code, message] of attempts) await expectRestError(alice.update(params), { status, code, message });
    expect((await alice.fetch()).toJSON()).toEqual(before);
    expect((await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') })).length).toBe(1);
  });

  it('are deleted (204) with a worker.deleted event, and their history stays', async () => {
    const { s, ws } = await start();
    await ws.workers(s.workerSid('carol')).update({ activitySid: s.activitySid('Available') });
    expect(await ws.workers(s.workerSid('carol')).remove()).toBe(true);
    await expectRestError(ws.workers(s.workerSid('carol')).fetch(), { status: 404, code: 20404 });
    await expectRestError(ws.workers(s.workerSid('carol')).remove(), { status: 404, code: 20404 });
    expect((await ws.workers.list()).map((w) => w.friendlyName)).toEqual(['alice', 'bob']);
    const events = await ws.events.list({ workerSid: s.workerSid('carol') });
    expect(events.map((e) => e.eventType)).toEqual(['worker.created', 'worker.activity.update', 'worker.deleted']);
    expect((await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('carol') })).length).toBe(2);
  });

});
