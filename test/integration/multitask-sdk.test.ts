/**
 * Multi-tasking (issue 8 item 3), with an official twilio-taskrouter Worker: in a workspace with
 * MultiTaskEnabled (Twilio's default for a new workspace), a worker holds as many reservations per
 * channel as the channel's capacity, and its activity is left unchanged as tasks are reserved,
 * accepted and completed (the queue's reservation and assignment activities are not applied).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, restClient } from './rest-support.js';

let server: TestRollcall | null = null;
let agent: SdkWorker | null = null;

afterEach(async () => {
  agent?.disconnect();
  agent = null;
  await server?.close();
  server = null;
});

type SdkReservation = { sid: string; status: string; task: { sid: string; complete(reason: string): Promise<unknown> }; accept(): Promise<SdkReservation> };

async function setup(multiTaskEnabled?: boolean) {
  server = await startRollcall();
  const s = server;
  const client = restClient(s.url, accountCredentials(s));
  const ws = await client.taskrouter.v1.workspaces.create({ friendlyName: 'Multi', template: 'FIFO', ...(multiTaskEnabled === undefined ? {} : { multiTaskEnabled }) });
  const W = client.taskrouter.v1.workspaces(ws.sid);
  const activities = await W.activities.list();
  const sidOf = (name: string): string => activities.find((a) => a.friendlyName === name)?.sid ?? '';
  const reserved = await W.activities.create({ friendlyName: 'Reserved', available: false });
  const [queue] = await W.taskQueues.list();
  await W.taskQueues(queue?.sid ?? '').update({ reservationActivitySid: reserved.sid, assignmentActivitySid: sidOf('Unavailable') });
  const worker = await W.workers.create({ friendlyName: 'maria' });
  await W.workers(worker.sid).workerChannels('default').update({ capacity: 3 });
  const { account, apiKey } = s.rollcall.installation;
  const token = await issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: ws.sid, workerSid: worker.sid,
    identity: 'maria', role: 'worker', ttlS: 3600, nowMs: Date.now(),
  });
  agent = sdkWorker(token, s.url, { connectActivitySid: sidOf('Available') });
  await once(agent, 'ready');
  return { ws, W, worker, agent, available: sidOf('Available') };
}

describe('multi-tasking', () => {
  it('is the default of a new workspace, and can be turned off and on', async () => {
    const { ws, W } = await setup();
    expect(ws.multiTaskEnabled).toBe(true);
    expect((await W.update({ multiTaskEnabled: false })).multiTaskEnabled).toBe(false);
    expect((await W.fetch()).multiTaskEnabled).toBe(false);
    expect((await W.update({ multiTaskEnabled: true })).multiTaskEnabled).toBe(true);
  });

  it('offers one worker three tasks at once on a channel of capacity 3, and no fourth; its activity never changes', async () => {
    const { W, worker, agent: maria, available } = await setup();
    const offers: SdkReservation[] = [];
    const threeOffers = new Promise<void>((resolve) => maria.on('reservationCreated', (r: SdkReservation) => {
      offers.push(r);
      if (offers.length === 3) resolve();
    }));
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await W.tasks.create({ attributes: JSON.stringify({ n: i }) }));
    await threeOffers;
    expect(new Set(offers.map((r) => r.task.sid))).toEqual(new Set(tasks.slice(0, 3).map((t) => t.sid)));
    expect(maria.reservations.size).toBe(3);
    expect((await W.workers(worker.sid).reservations.list({ reservationStatus: 'pending' })).length).toBe(3);
    expect((await W.tasks(tasks[3]?.sid ?? '').fetch()).assignmentStatus).toBe('pending');
    expect((await W.workers(worker.sid).fetch()).activitySid).toBe(available);

    // Accepting and completing one frees a slot for the fourth; the activity still does not move.
    const first = offers[0] as SdkReservation;
    const fourth = once<SdkReservation>(maria, 'reservationCreated');
    await first.accept();
    expect((await W.workers(worker.sid).fetch()).activitySid).toBe(available);
    await first.task.complete('done');
    expect((await fourth).task.sid).toBe(tasks[3]?.sid);
    const channel = await W.workers(worker.sid).workerChannels('default').fetch();
    expect(channel).toMatchObject({ configuredCapacity: 3, assignedTasks: 0 });
    expect((await W.workers(worker.sid).fetch()).activitySid).toBe(available);
    expect((await W.events.list({ eventType: 'worker.activity.update', workerSid: worker.sid })).length).toBe(1);
  });

  it('off: the queue reservation activity is applied as before (single-task)', async () => {
    const { W, worker, agent: maria } = await setup(false);
    const offered = once<SdkReservation>(maria, 'reservationCreated');
    await W.tasks.create({ attributes: '{}' });
    await offered;
    await waitFor('the worker moved to Reserved', async () => (await W.workers(worker.sid).fetch()).activityName === 'Reserved');
  });
});
