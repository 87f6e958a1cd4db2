/**
 * Workspaces (issue 8 item 6) through the official libraries: several per account, created with
 * Twilio's FIFO template, each with its own activities and logout settings, routed at once (an SDK
 * worker of a new workspace is offered its tasks), updated, deleted; the Flex Configuration's
 * `taskrouter_workspace_sid` names the workspace whose logout settings it shows and changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once } from '../support/wait.js';
import { accountCredentials, expectRestError, keyCredentials, restClient } from './rest-support.js';

let server: TestRollcall | null = null;
let agent: SdkWorker | null = null;

afterEach(async () => {
  agent?.disconnect();
  agent = null;
  await server?.close();
  server = null;
});

async function start() {
  server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '30' });
  const client = restClient(server.url, accountCredentials(server));
  return { s: server, client, workspaces: client.taskrouter.v1.workspaces };
}

describe('workspaces', () => {
  it('are created with the FIFO template: Offline, Available, Unavailable, five channels, a queue and a workflow', async () => {
    const { s, workspaces } = await start();
    const created = await workspaces.createWithHttpInfo({ friendlyName: 'Support EMEA', template: 'FIFO', multiTaskEnabled: false, prioritizeQueueOrder: 'FIFO' });
    expect(created.statusCode).toBe(201);
    const ws = created.body;
    expect(ws.sid).toMatch(/^WS[0-9a-f]{32}$/);
    expect(ws).toMatchObject({
      friendlyName: 'Support EMEA', accountSid: s.rollcall.installation.account.sid, defaultActivityName: 'Offline', timeoutActivityName: 'Offline',
      multiTaskEnabled: false, prioritizeQueueOrder: 'FIFO', eventCallbackUrl: null, url: `${s.url}/v1/Workspaces/${ws.sid}`,
    });
    const W = workspaces(ws.sid);
    const activities = await W.activities.list();
    expect(activities.map((a) => [a.friendlyName, a.available])).toEqual([['Offline', false], ['Available', true], ['Unavailable', false]]);
    expect(ws.defaultActivitySid).toBe(activities[0]?.sid);
    expect((await W.taskChannels.list()).map((c) => c.uniqueName)).toEqual(['default', 'voice', 'chat', 'sms', 'video']);
    const [queue, ...otherQueues] = await W.taskQueues.list();
    expect(otherQueues).toEqual([]);
    expect(queue).toMatchObject({ friendlyName: 'Sample Queue', targetWorkers: '1==1' });
    const [workflow] = await W.workflows.list();
    expect(workflow?.friendlyName).toBe('Default Fifo Workflow');
    expect(JSON.parse(workflow?.configuration ?? '{}')).toEqual({ task_routing: { filters: [], default_filter: { queue: queue?.sid } } });
    // Several per account, in creation order; the first-run one is untouched and the new one starts empty.
    expect((await workspaces.list()).map((w) => w.sid)).toEqual([s.workspaceSid, ws.sid]);
    expect(await W.workers.list()).toEqual([]);
    expect((await workspaces(s.workspaceSid).workers.list()).length).toBe(3);
    // Without a template: activities and channels, no queue, no workflow.
    const bare = await workspaces.create({ friendlyName: 'Bare' });
    expect(await workspaces(bare.sid).taskQueues.list()).toEqual([]);
    expect((await workspaces(bare.sid).activities.list()).map((a) => a.friendlyName)).toEqual(['Offline', 'Available', 'Unavailable']);
    // An API key creates them too.
    expect((await restClient(s.url, keyCredentials(s)).taskrouter.v1.workspaces.create({ friendlyName: 'By key' })).friendlyName).toBe('By key');
  });

  it('take EventCallbackUrl and EventsFilter on create and update', async () => {
    const { workspaces } = await start();
    const ws = await workspaces.create({ friendlyName: 'Hooks', eventCallbackUrl: 'http://127.0.0.1:9/events', eventsFilter: 'task.created, reservation.accepted' });
    expect(ws).toMatchObject({ eventCallbackUrl: 'http://127.0.0.1:9/events', eventsFilter: 'task.created,reservation.accepted' });
    const updated = await workspaces(ws.sid).update({ friendlyName: 'Hooks 2', eventCallbackUrl: '' });
    expect(updated).toMatchObject({ friendlyName: 'Hooks 2', eventCallbackUrl: null, eventsFilter: 'task.created,reservation.accepted' });
  });

  it('refuse bad input naming the field and value, and create nothing', async () => {
    const { s, workspaces } = await start();
    const refusals: [Parameters<typeof workspaces.create>[0], RegExp][] = [
      [{ friendlyName: '' }, /^FriendlyName must not be empty$/],
      [{ friendlyName: 'X', template: 'LIFO' }, /^Template LIFO is not valid: use FIFO or NONE$/],
      [{ friendlyName: 'X', multiTaskEnabled: 'sometimes' as unknown as boolean }, /^MultiTaskEnabled must be true or false$/],
      [{ friendlyName: 'X', prioritizeQueueOrder: 'LIFO' }, /^PrioritizeQueueOrder LIFO is not supported: only FIFO$/],
      [{ friendlyName: 'X', eventCallbackUrl: 'ftp://example.com/x' }, /^EventCallbackUrl must be an absolute http or https URL; "ftp:\/\/example.com\/x" is not one$/],
      [{ friendlyName: 'X', eventsFilter: 'task.created,DROP TABLE' }, /EventsFilter .*"DROP TABLE" is not one/],
    ];
    for (const [params, message] of refusals) await expectRestError(workspaces.create(params), { status: 400, code: 20001, message });
    expect((await workspaces.list()).map((w) => w.sid)).toEqual([s.workspaceSid]);
  });

  it('route their own workers at once: an SDK worker of a new workspace is offered its task', async () => {
    const { s, workspaces } = await start();
    const ws = await workspaces.create({ friendlyName: 'Routed', template: 'FIFO' });
    const W = workspaces(ws.sid);
    const available = (await W.activities.list({ friendlyName: 'Available' }))[0];
    const dana = await W.workers.create({ friendlyName: 'dana', attributes: '{"contact_uri":"client:dana"}' });
    expect(dana.activityName).toBe('Offline');
    const { account, apiKey } = s.rollcall.installation;
    const token = await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: ws.sid, workerSid: dana.sid,
      identity: 'dana', role: 'worker', ttlS: 3600, nowMs: Date.now(),
    });
    agent = sdkWorker(token, s.url, { connectActivitySid: available?.sid });
    await once(agent, 'ready');
    const offered = once<{ task: { sid: string; queueName: string } }>(agent, 'reservationCreated');
    const task = await W.tasks.create({ attributes: '{"type":"chat"}' });
    const reservation = await offered;
    expect(reservation.task).toMatchObject({ sid: task.sid, queueName: 'Sample Queue' });
  });

  it('each have their own logout settings; the Flex Configuration follows taskrouter_workspace_sid', async () => {
    const { s, client, workspaces } = await start();
    const configuration = client.flexApi.v1.configuration();
    const ws = await workspaces.create({ friendlyName: 'Flex', template: 'FIFO' });
    expect((await configuration.fetch()).taskrouterWorkspaceSid).toBe(s.workspaceSid);
    const moved = await configuration.update({ taskrouter_workspace_sid: ws.sid, offline_config: { presence_ttl: 120 } });
    const offline = (await workspaces(ws.sid).activities.list({ friendlyName: 'Offline' }))[0];
    expect(moved).toMatchObject({ taskrouterWorkspaceSid: ws.sid, taskrouterOfflineActivitySid: offline?.sid, offlineConfig: { presence: true, presence_ttl: 120 } });
    expect(await configuration.fetch()).toMatchObject({ taskrouterWorkspaceSid: ws.sid, offlineConfig: { presence_ttl: 120 } });
    // The first workspace keeps its own settings.
    expect((await s.rollcall.store.logoutSettings(s.workspaceSid)).thresholdMs).toBe(30_000);
    // A change without taskrouter_workspace_sid applies to the Flex workspace named last.
    await configuration.update({ offline_config: { presence: false } });
    expect((await s.rollcall.store.logoutSettings(ws.sid)).enabled).toBe(false);
    expect((await s.rollcall.store.logoutSettings(s.workspaceSid)).enabled).toBe(true);
    // Each workspace's logout activity is never removable.
    await expectRestError(workspaces(ws.sid).activities(offline?.sid ?? '').remove(), { status: 409, code: 20409 });
  });

  it('are deleted with everything in them, except the Flex workspace', async () => {
    const { s, client, workspaces } = await start();
    const ws = await workspaces.create({ friendlyName: 'Temporary', template: 'FIFO' });
    const W = workspaces(ws.sid);
    await W.workers.create({ friendlyName: 'erin' });
    await W.tasks.create({ attributes: '{}' });
    await expectRestError(workspaces(s.workspaceSid).remove(), { status: 409, code: 20409, message: /Flex Configuration names/ });
    expect(await W.remove()).toBe(true);
    await expectRestError(W.fetch(), { status: 404, code: 20404 });
    await expectRestError(W.workers.list(), { status: 404, code: 20404 });
    expect((await workspaces.list()).map((w) => w.sid)).toEqual([s.workspaceSid]);
    // Once the Flex Configuration names another workspace, the first can go too.
    const next = await workspaces.create({ friendlyName: 'Next' });
    await client.flexApi.v1.configuration().update({ taskrouter_workspace_sid: next.sid });
    expect(await workspaces(s.workspaceSid).remove()).toBe(true);
    expect((await workspaces.list()).map((w) => w.sid)).toEqual([next.sid]);
  });
});
