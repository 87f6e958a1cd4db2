/**
 * REST conformance, part 4: Events (list, fetch, every filter, paging) and worker Statistics
 * (activity durations from the activity log, real-time headcounts), on a server whose clock the
 * test moves, so every figure is exact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRestError, accountCredentials, keyCredentials, restClient, startManualRollcall, type ManualRollcall } from './rest-support.js';

const S = 1000;
let s: ManualRollcall;
let T0: number;

/** The story every test reads: alice Offline → Available → Break → Available; bob Offline → Break. */
async function story(): Promise<void> {
  const ws = restClient(s.url, keyCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid);
  const alice = ws.workers(s.workerSid('alice'));
  s.clock.advance(60 * S);
  await alice.update({ activitySid: s.activitySid('Available') }); // T0+60
  s.clock.advance(120 * S);
  await alice.update({ activitySid: s.activitySid('Break') }); // T0+180
  s.clock.advance(30 * S);
  await alice.update({ activitySid: s.activitySid('Available') }); // T0+210
  s.clock.advance(30 * S);
  await ws.workers(s.workerSid('bob')).update({ activitySid: s.activitySid('Break') }); // T0+240
  s.clock.advance(60 * S); // now T0+300
}

beforeEach(async () => {
  s = await startManualRollcall();
  T0 = s.clock.now();
  await story();
});

afterEach(async () => {
  await s.close();
});

function workspace() {
  return restClient(s.url, accountCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid);
}

/** activity_durations as [name, avg, min, max, total]. */
function durations(list: unknown): [string, number, number, number, number][] {
  return (list as { friendly_name: string; avg: number; min: number; max: number; total: number }[]).map((d) => [d.friendly_name, d.avg, d.min, d.max, d.total]);
}

describe('Events', () => {
  it('lists every change in order with Twilio fields, plus our cause', async () => {
    const events = await workspace().events.list();
    expect(events.map((e) => `${e.eventType} ${e.eventData.worker_name ?? ''}`.trim())).toEqual([
      'worker.created alice', 'worker.created bob', 'worker.created carol',
      'worker.activity.update alice', 'worker.activity.update alice', 'worker.activity.update alice', 'worker.activity.update bob',
    ]);
    const change = events[4];
    expect(change?.toJSON()).toMatchObject({
      accountSid: s.rollcall.installation.account.sid,
      workspaceSid: s.workspaceSid,
      actorSid: s.rollcall.installation.apiKey.sid,
      actorType: 'api_key',
      resourceSid: s.workerSid('alice'),
      resourceType: 'worker',
      resourceUrl: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers/${s.workerSid('alice')}`,
      eventDateMs: T0 + 180 * S,
      description: 'Worker alice updated to Break Activity',
      eventData: {
        worker_activity_name: 'Break', worker_previous_activity_name: 'Available',
        worker_time_in_previous_activity: '120', worker_time_in_previous_activity_ms: '120000',
      },
    });
    expect(change?.eventDate).toEqual(new Date(T0 + 180 * S));
    // `cause` and `evidence` are ours, beyond Twilio's fields: the raw body has them.
    const raw = await restClient(s.url, accountCredentials(s)).request({ method: 'get', uri: change?.url ?? '' });
    expect(raw.body).toMatchObject({ cause: 'api', evidence: null, sid: change?.sid });
    expect((await workspace().events(change?.sid ?? '').fetch()).sid).toBe(change?.sid);
  });

  it('filters by EventType, ResourceSid, WorkerSid and Sid', async () => {
    const ws = workspace();
    const types = async (options: Parameters<typeof ws.events.list>[0]) => (await ws.events.list(options)).map((e) => e.eventType);
    expect(await types({ eventType: 'worker.created' })).toEqual(['worker.created', 'worker.created', 'worker.created']);
    expect(await types({ workerSid: s.workerSid('bob') })).toEqual(['worker.created', 'worker.activity.update']);
    expect(await types({ workerSid: s.workerSid('bob'), eventType: 'worker.activity.update' })).toEqual(['worker.activity.update']);
    const activity = await ws.activities.create({ friendlyName: 'Lunch' });
    expect(await types({ eventType: 'activity.created' })).toEqual(['activity.created']);
    const client = restClient(s.url, accountCredentials(s));
    const byResource = await client.request({ method: 'get', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}/Events?ResourceSid=${activity.sid}` });
    expect((byResource.body as { events: { event_type: string }[] }).events.map((e) => e.event_type)).toEqual(['activity.created']);
    const [first] = await ws.events.list({ limit: 1 });
    expect((await ws.events.list({ sid: first?.sid ?? '' })).map((e) => e.sid)).toEqual([first?.sid]);
    expect(await types({ taskQueueSid: `WQ${'0'.repeat(32)}` })).toEqual([]);
  });

  it('filters by StartDate, EndDate and Minutes, and defaults to the last 15 minutes', async () => {
    const ws = workspace();
    const count = async (options: Parameters<typeof ws.events.list>[0]) => (await ws.events.list(options)).length;
    expect(await count({ startDate: new Date(T0 + 100 * S) })).toBe(3);
    expect(await count({ startDate: new Date(T0 + 100 * S), endDate: new Date(T0 + 210 * S) })).toBe(2);
    expect(await count({ endDate: new Date(T0 + 59 * S) })).toBe(3);
    expect(await count({ minutes: 2 })).toBe(3); // since T0+180, inclusive
    s.clock.advance(15 * 60 * S - 250 * S); // now T0+950: the last 15 minutes start at T0+50
    expect(await count({})).toBe(4);
    await expectRestError(ws.events.list({ minutes: 0 }), { status: 400, code: 20001, message: /Minutes/ });
    await expectRestError(ws.events.list({ minutes: 5, startDate: new Date(T0) }), { status: 400, code: 20001, message: /either Minutes or StartDate/ });
    await expectRestError(ws.events.list({ startDate: new Date(T0 + 60 * S), endDate: new Date(T0) }), { status: 400, code: 20001, message: /StartDate must not be after EndDate/ });
  });

  it('pages through events two at a time', async () => {
    const ws = workspace();
    const all = await ws.events.list();
    const paged = await ws.events.list({ pageSize: 2 });
    expect(paged.map((e) => e.sid)).toEqual(all.map((e) => e.sid));
    const page = await ws.events.page({ pageSize: 2, eventType: 'worker.activity.update' });
    expect(page.nextPageUrl).toContain('EventType=worker.activity.update');
    expect((await page.nextPage())?.instances.map((e) => e.eventData.worker_name)).toEqual(['alice', 'bob']);
  });
});

describe('Statistics', () => {
  it('gives a worker its activity durations over the last Minutes', async () => {
    const stats = await workspace().workers(s.workerSid('alice')).statistics().fetch({ minutes: 5 });
    expect(stats.workerSid).toBe(s.workerSid('alice'));
    expect(stats.cumulative).toMatchObject({ start_time: new Date(T0).toISOString().replace('.000', ''), reservations_created: 0 });
    expect(durations(stats.cumulative.activity_durations)).toEqual([
      ['Offline', 60, 60, 60, 60],
      ['Available', 105, 90, 120, 210],
      ['Unavailable', 0, 0, 0, 0],
      ['Break', 30, 30, 30, 30],
    ]);
    const lastMinute = await workspace().workers(s.workerSid('alice')).statistics().fetch({ minutes: 1 });
    expect(durations(lastMinute.cumulative.activity_durations)[1]).toEqual(['Available', 60, 60, 60, 60]);
  });

  it('takes a StartDate/EndDate window', async () => {
    const stats = await workspace().workers(s.workerSid('alice')).statistics().fetch({ startDate: new Date(T0 + 60 * S), endDate: new Date(T0 + 200 * S) });
    expect(durations(stats.cumulative.activity_durations)).toEqual([
      ['Offline', 0, 0, 0, 0], ['Available', 120, 120, 120, 120], ['Unavailable', 0, 0, 0, 0], ['Break', 20, 20, 20, 20],
    ]);
    expect(stats.cumulative.end_time).toBe(new Date(T0 + 200 * S).toISOString().replace('.000', ''));
  });

  it('pools every worker in Workers/CumulativeStatistics and counts them in RealTimeStatistics', async () => {
    const ws = workspace();
    const cumulative = await ws.workers.cumulativeStatistics().fetch({ minutes: 5 });
    expect(cumulative.startTime).toEqual(new Date(T0));
    expect(cumulative.endTime).toEqual(new Date(T0 + 300 * S));
    expect(durations(cumulative.activityDurations)).toEqual([
      ['Offline', 200, 60, 300, 600], ['Available', 105, 90, 120, 210], ['Unavailable', 0, 0, 0, 0], ['Break', 45, 30, 60, 90],
    ]);
    const realtime = await ws.workers.realTimeStatistics().fetch();
    expect(realtime.totalWorkers).toBe(3);
    expect(realtime.activityStatistics).toEqual([
      { sid: s.activitySid('Offline'), friendly_name: 'Offline', workers: 1 },
      { sid: s.activitySid('Available'), friendly_name: 'Available', workers: 1 },
      { sid: s.activitySid('Unavailable'), friendly_name: 'Unavailable', workers: 0 },
      { sid: s.activitySid('Break'), friendly_name: 'Break', workers: 1 },
    ]);
  });

  it('gives both in Workers/Statistics, for everyone or for one FriendlyName', async () => {
    const ws = workspace();
    const all = await ws.workers.statistics().fetch({ minutes: 5 });
    expect(all.realtime).toMatchObject({ total_workers: 3 });
    expect(durations(all.cumulative.activity_durations)[0]).toEqual(['Offline', 200, 60, 300, 600]);
    const bob = await ws.workers.statistics().fetch({ minutes: 5, friendlyName: 'bob' });
    expect(bob.realtime.total_workers).toBe(1);
    expect(durations(bob.cumulative.activity_durations)).toEqual([
      ['Offline', 240, 240, 240, 240], ['Available', 0, 0, 0, 0], ['Unavailable', 0, 0, 0, 0], ['Break', 60, 60, 60, 60],
    ]);
    const nobody = await ws.workers.statistics().fetch({ friendlyName: 'nobody' });
    expect(nobody.realtime.total_workers).toBe(0);
  });

  it('leaves deleted workers out and refuses bad windows naming the field', async () => {
    const ws = workspace();
    await ws.workers(s.workerSid('carol')).remove();
    const cumulative = await ws.workers.cumulativeStatistics().fetch({ minutes: 5 });
    expect(durations(cumulative.activityDurations)[0]).toEqual(['Offline', 150, 60, 240, 300]);
    await expectRestError(ws.workers(s.workerSid('alice')).statistics().fetch({ minutes: 0 }), { status: 400, code: 20001, message: /Minutes/ });
    await expectRestError(ws.workers.cumulativeStatistics().fetch({ startDate: new Date(T0 + 60 * S), endDate: new Date(T0) }), { status: 400, code: 20001, message: /StartDate must be before EndDate/ });
    await expectRestError(ws.workers.statistics().fetch({ taskQueueSid: `WQ${'0'.repeat(32)}` }), { status: 400, code: 20001, message: /TaskQueueSid is not supported yet/ });
  });
});
