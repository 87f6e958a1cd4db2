/**
 * REST conformance for routing, part 1: TaskChannels, worker channels, TaskQueues (and their
 * statistics), Workflows and Tasks, every filter and refusal, driven only through the official
 * `twilio` library against a real server on port 0. Offers to live agents are in
 * rest-routing-sdk.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, restClient, type TwilioClient } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start() {
  server = await startRollcall();
  const client: TwilioClient = restClient(server.url, accountCredentials(server));
  return { s: server, client, ws: client.taskrouter.v1.workspaces(server.workspaceSid) };
}

type Ws = Awaited<ReturnType<typeof start>>['ws'];

const MISSING = (prefix: string): string => `${prefix}${'0'.repeat(32)}`;

/** A queue nobody matches (tasks stay pending) and a workflow routing everything to it. */
async function routing(ws: Ws, targetWorkers = 'worker.skills HAS "billing"') {
  const queue = await ws.taskQueues.create({ friendlyName: 'Billing', targetWorkers });
  const workflow = await ws.workflows.create({
    friendlyName: 'Billing', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
  });
  return { queue, workflow };
}

describe('task channels', () => {
  it('lists the defaults; creates, fetches (by SID or unique name), renames and deletes one, which every worker gets a channel for', async () => {
    const { s, ws } = await start();
    expect((await ws.taskChannels.list()).map((c) => c.uniqueName)).toEqual(['default', 'voice', 'chat', 'sms', 'video']);
    const created = await ws.taskChannels.createWithHttpInfo({ friendlyName: 'E-mail', uniqueName: 'email' });
    expect(created.statusCode).toBe(201);
    const email = created.body;
    expect(email).toMatchObject({
      friendlyName: 'E-mail', uniqueName: 'email', workspaceSid: s.workspaceSid, accountSid: s.rollcall.installation.account.sid,
      channelOptimizedRouting: false, url: `${s.url}/v1/Workspaces/${s.workspaceSid}/TaskChannels/${email.sid}`,
    });
    expect(email.sid).toMatch(/^TC[0-9a-f]{32}$/);
    expect(email.dateCreated).toBeInstanceOf(Date);
    expect((await ws.taskChannels('email').fetch()).toJSON()).toEqual((await ws.taskChannels(email.sid).fetch()).toJSON());
    expect((await ws.taskChannels('email').update({ friendlyName: 'Email' })).friendlyName).toBe('Email');
    expect((await ws.taskChannels(email.sid).fetch()).friendlyName).toBe('Email');
    const aliceChannels = await ws.workers(s.workerSid('alice')).workerChannels.list();
    expect(aliceChannels.map((c) => c.taskChannelUniqueName)).toContain('email');

    await expectRestError(ws.taskChannels.create({ friendlyName: 'Again', uniqueName: 'email' }), { status: 409, code: 20409, message: /already exists/ });
    await expectRestError(ws.taskChannels.create({ friendlyName: 'Bad', uniqueName: 'has space' }), { status: 400, code: 20001, message: /UniqueName/ });
    await expectRestError(ws.taskChannels.create({ friendlyName: 'Fast', uniqueName: 'fast', channelOptimizedRouting: true }), { status: 400, code: 20001, message: /ChannelOptimizedRouting/ });

    expect(await ws.taskChannels('email').remove()).toBe(true);
    await expectRestError(ws.taskChannels(email.sid).fetch(), { status: 404, code: 20404 });
    expect((await ws.taskChannels.list()).map((c) => c.uniqueName)).not.toContain('email');
    expect((await ws.workers(s.workerSid('alice')).workerChannels.list()).map((c) => c.taskChannelUniqueName)).not.toContain('email');
  });
});

describe('worker channels', () => {
  it('are listed and fetched per worker, and take Capacity and Available, recorded as events', async () => {
    const { s, ws } = await start();
    const worker = ws.workers(s.workerSid('alice'));
    const channels = await worker.workerChannels.list({ pageSize: 2 });
    expect(channels.map((c) => c.taskChannelUniqueName)).toEqual(['default', 'voice', 'chat', 'sms', 'video']);
    const voice = channels.find((c) => c.taskChannelUniqueName === 'voice');
    expect(voice).toMatchObject({
      workerSid: s.workerSid('alice'), configuredCapacity: 1, available: true, assignedTasks: 0, availableCapacityPercentage: 100,
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workers/${s.workerSid('alice')}/Channels/${voice?.sid}`,
    });
    expect(voice?.sid).toMatch(/^WC[0-9a-f]{32}$/);
    expect((await worker.workerChannels('voice').fetch()).sid).toBe(voice?.sid);

    const updated = await worker.workerChannels(voice?.sid ?? '').update({ capacity: 3, available: false });
    expect(updated).toMatchObject({ configuredCapacity: 3, available: false, sid: voice?.sid });
    expect(await worker.workerChannels('voice').fetch()).toMatchObject({ configuredCapacity: 3, available: false });
    const events = await ws.events.list({ eventType: 'worker.capacity.update' });
    expect(events.map((e) => e.eventData)).toEqual([expect.objectContaining({ worker_sid: s.workerSid('alice'), worker_channel_capacity: '3' })]);
    expect(await ws.events.list({ eventType: 'worker.channel.availability.update' })).toHaveLength(1);

    await expectRestError(worker.workerChannels('voice').update({ capacity: 51 }), { status: 400, code: 20001, message: /Capacity/ });
    await expectRestError(worker.workerChannels('voice').update({ available: 'maybe' as unknown as boolean }), { status: 400, code: 20001, message: /Available/ });
    await expectRestError(worker.workerChannels('fax').fetch(), { status: 404, code: 20404 });
    await expectRestError(worker.workerChannels('fax').update({ capacity: 2 }), { status: 404, code: 20404 });
    await expectRestError(ws.workers(MISSING('WK')).workerChannels.list(), { status: 404, code: 20404 });
    expect((await worker.workerChannels('voice').fetch()).configuredCapacity).toBe(3);
  });
});

describe('task queues', () => {
  it('are created with every setting, listed with filters, fetched, updated and deleted', async () => {
    const { s, ws } = await start();
    const created = await ws.taskQueues.createWithHttpInfo({
      friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"', reservationActivitySid: s.activitySid('Break'),
      assignmentActivitySid: s.activitySid('Unavailable'), maxReservedWorkers: 2, taskOrder: 'LIFO',
    });
    expect(created.statusCode).toBe(201);
    const support = created.body;
    expect(support).toMatchObject({
      friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"', reservationActivitySid: s.activitySid('Break'),
      reservationActivityName: 'Break', assignmentActivitySid: s.activitySid('Unavailable'), assignmentActivityName: 'Unavailable',
      maxReservedWorkers: 2, taskOrder: 'LIFO', workspaceSid: s.workspaceSid,
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/TaskQueues/${support.sid}`,
    });
    expect(support.links).toMatchObject({ statistics: `${support.url}/Statistics` });
    const sales = await ws.taskQueues.create({ friendlyName: 'Sales', targetWorkers: 'worker.skills HAS "sales"' });
    expect(sales).toMatchObject({ maxReservedWorkers: 1, taskOrder: 'FIFO', reservationActivitySid: null, reservationActivityName: null });

    expect((await ws.taskQueues.list()).map((q) => q.friendlyName)).toEqual(['Support', 'Sales']);
    expect((await ws.taskQueues.list({ friendlyName: 'Sales' })).map((q) => q.sid)).toEqual([sales.sid]);
    expect((await ws.taskQueues.list({ evaluateWorkerAttributes: '{"skills":["sales"]}' })).map((q) => q.sid)).toEqual([sales.sid]);
    expect((await ws.taskQueues.list({ workerSid: s.workerSid('alice') })).map((q) => q.sid)).toEqual([support.sid]);
    expect((await ws.taskQueues.list({ ordering: 'DateCreated:desc' })).map((q) => q.friendlyName)).toEqual(['Sales', 'Support']);
    expect((await ws.taskQueues(support.sid).fetch()).toJSON()).toEqual(support.toJSON());

    const updated = await ws.taskQueues(sales.sid).update({ targetWorkers: 'worker.skills HAS "sales" OR worker.skills HAS "support"', taskOrder: 'LIFO', assignmentActivitySid: s.activitySid('Break') });
    expect(updated).toMatchObject({ friendlyName: 'Sales', taskOrder: 'LIFO', assignmentActivityName: 'Break' });
    expect((await ws.taskQueues(sales.sid).update({ assignmentActivitySid: '' })).assignmentActivitySid).toBeNull();
    expect((await ws.taskQueues.list({ workerSid: s.workerSid('alice') })).map((q) => q.sid)).toEqual([support.sid, sales.sid]);

    expect(await ws.taskQueues(sales.sid).remove()).toBe(true);
    await expectRestError(ws.taskQueues(sales.sid).fetch(), { status: 404, code: 20404 });
    expect((await ws.taskQueues.list()).map((q) => q.sid)).toEqual([support.sid]);
  });

  it('refuse bad settings naming the field (TargetWorkers with its position), and change nothing', async () => {
    const { s, ws } = await start();
    const queue = await ws.taskQueues.create({ friendlyName: 'Support' });
    expect(queue.targetWorkers).toBe('1==1');
    const refusals: [Parameters<typeof ws.taskQueues.create>[0], RegExp][] = [
      [{ friendlyName: 'Bad', targetWorkers: 'worker.skills HAS' }, /^TargetWorkers: .*position 17/],
      [{ friendlyName: 'Bad', targetWorkers: 'skills HAS "a" AND (level > 2' }, /^TargetWorkers: .*position \d+/],
      [{ friendlyName: 'Bad', maxReservedWorkers: 0 }, /MaxReservedWorkers 0 is not valid: it must be a whole number from 1 to 50/],
      [{ friendlyName: 'Bad', taskOrder: 'RANDOM' as 'FIFO' }, /TaskOrder must be FIFO or LIFO/],
      [{ friendlyName: 'Bad', reservationActivitySid: MISSING('WA') }, /ReservationActivitySid .* is not an activity/],
      [{ friendlyName: 'Bad', assignmentActivitySid: 'Busy' }, /AssignmentActivitySid Busy is not valid: it must be a SID/],
      [{ friendlyName: '' }, /FriendlyName/],
    ];
    for (const [params, message] of refusals) await expectRestError(ws.taskQueues.create(params), { status: 400, code: 20001, message });
    await expectRestError(ws.taskQueues.create({ friendlyName: 'Support' }), { status: 409, code: 20409, message: /already exists/ });
    await expectRestError(ws.taskQueues(queue.sid).update({ friendlyName: 'Renamed', targetWorkers: 'a ==' }), { status: 400, code: 20001, message: /TargetWorkers/ });
    expect((await ws.taskQueues.list()).map((q) => [q.friendlyName, q.targetWorkers])).toEqual([['Support', '1==1']]);
    await expectRestError(ws.taskQueues(MISSING('WQ')).update({ friendlyName: 'X' }), { status: 404, code: 20404 });
    await expectRestError(ws.taskQueues(MISSING('WQ')).remove(), { status: 404, code: 20404 });
    // A queue a workflow routes to stays.
    await ws.workflows.create({ friendlyName: 'Main', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
    await expectRestError(ws.taskQueues(queue.sid).remove(), { status: 409, code: 20409, message: /workflow/ });
    expect(s.rollcall.installation.workspace.sid).toBe(s.workspaceSid);
  });

  it('report real-time figures from the store and cumulative ones from the events, one queue or all', async () => {
    const { s, ws } = await start();
    const { queue: billing, workflow } = await routing(ws);
    const everyone = await ws.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
    const first = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"n":1}', priority: 5 });
    const second = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"n":2}' });
    await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"n":3}' });
    await ws.tasks(second.sid).update({ assignmentStatus: 'canceled', reason: 'gave up' });
    await ws.workers(s.workerSid('alice')).update({ activitySid: s.activitySid('Available') });

    const realtime = await ws.taskQueues(billing.sid).realTimeStatistics().fetch();
    expect(realtime).toMatchObject({
      taskQueueSid: billing.sid, totalTasks: 2, tasksByStatus: { pending: 2, reserved: 0, assigned: 0, wrapping: 0 },
      tasksByPriority: { 0: 1, 5: 1 }, longestTaskWaitingSid: first.sid, totalEligibleWorkers: 0, totalAvailableWorkers: 0,
    });
    const everyoneNow = await ws.taskQueues(everyone.sid).realTimeStatistics().fetch();
    expect(everyoneNow).toMatchObject({ totalTasks: 0, totalEligibleWorkers: 3, totalAvailableWorkers: 1, longestTaskWaitingSid: null });
    expect(everyoneNow.activityStatistics).toEqual(expect.arrayContaining([
      { sid: s.activitySid('Available'), friendly_name: 'Available', workers: 1 },
      { sid: s.activitySid('Offline'), friendly_name: 'Offline', workers: 2 },
    ]));

    const cumulative = await ws.taskQueues(billing.sid).cumulativeStatistics().fetch({ minutes: 60 });
    expect(cumulative).toMatchObject({ taskQueueSid: billing.sid, tasksEntered: 3, tasksCanceled: 1, tasksCompleted: 0, reservationsCreated: 0 });
    expect(cumulative.waitDurationUntilCanceled).toMatchObject({ total: expect.any(Number), max: expect.any(Number) });
    expect(cumulative.startTime).toBeInstanceOf(Date);
    const both = await ws.taskQueues(billing.sid).statistics().fetch();
    expect(both.realtime).toMatchObject({ total_tasks: 2 });
    expect(both.cumulative).toMatchObject({ tasks_entered: 3 });
    // A window before anything happened counts nothing.
    const before = await ws.taskQueues(billing.sid).cumulativeStatistics().fetch({ startDate: new Date(Date.now() - 3_600_000), endDate: new Date(Date.now() - 1_800_000) });
    expect(before.tasksEntered).toBe(0);

    const all = await ws.taskQueues.statistics.list({ pageSize: 1 });
    expect(all.map((q) => [q.taskQueueSid, q.realtime.total_tasks])).toEqual([[billing.sid, 2], [everyone.sid, 0]]);
    expect((await ws.taskQueues.statistics.list({ friendlyName: 'Everyone' })).map((q) => q.taskQueueSid)).toEqual([everyone.sid]);
    await expectRestError(ws.taskQueues(billing.sid).statistics().fetch({ minutes: 0 }), { status: 400, code: 20001, message: /Minutes/ });
    await expectRestError(ws.taskQueues(MISSING('WQ')).realTimeStatistics().fetch(), { status: 404, code: 20404 });
  });
});

describe('workflows', () => {
  it('are created, listed, fetched, updated and deleted', async () => {
    const { s, ws } = await start();
    const queue = await ws.taskQueues.create({ friendlyName: 'Support' });
    const configuration = JSON.stringify({
      task_routing: {
        filters: [{ filter_friendly_name: 'VIP', expression: 'vip == true', targets: [{ queue: queue.sid, priority: 10, timeout: 30 }, { queue: queue.sid }] }],
        default_filter: { queue: queue.sid },
      },
    });
    const created = await ws.workflows.createWithHttpInfo({
      friendlyName: 'Main', configuration, taskReservationTimeout: 30, assignmentCallbackUrl: 'https://hooks.example.com/assign',
    });
    expect(created.statusCode).toBe(201);
    const workflow = created.body;
    expect(workflow).toMatchObject({
      friendlyName: 'Main', configuration, taskReservationTimeout: 30, assignmentCallbackUrl: 'https://hooks.example.com/assign',
      fallbackAssignmentCallbackUrl: null, documentContentType: 'application/json', workspaceSid: s.workspaceSid,
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/Workflows/${workflow.sid}`,
    });
    expect(workflow.sid).toMatch(/^WW[0-9a-f]{32}$/);
    const other = await ws.workflows.create({ friendlyName: 'Other', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
    expect(other.taskReservationTimeout).toBe(120);
    expect((await ws.workflows.list()).map((w) => w.friendlyName)).toEqual(['Main', 'Other']);
    expect((await ws.workflows.list({ friendlyName: 'Other' })).map((w) => w.sid)).toEqual([other.sid]);
    expect((await ws.workflows(workflow.sid).fetch()).toJSON()).toEqual(workflow.toJSON());
    const updated = await ws.workflows(workflow.sid).update({ taskReservationTimeout: 45, friendlyName: 'Main line', assignmentCallbackUrl: '' });
    expect(updated).toMatchObject({ taskReservationTimeout: 45, friendlyName: 'Main line', assignmentCallbackUrl: null, configuration });
    // A task placed by the new configuration's filter.
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"vip":true}' });
    expect(task).toMatchObject({ priority: 10, taskQueueSid: queue.sid, workflowFriendlyName: 'Main line' });
    await expectRestError(ws.workflows(workflow.sid).remove(), { status: 409, code: 20409, message: /active tasks/ });
    expect(await ws.workflows(other.sid).remove()).toBe(true);
    await expectRestError(ws.workflows(other.sid).fetch(), { status: 404, code: 20404 });
  });

  it('refuse an invalid configuration saying where: filter index, target index, expression position', async () => {
    const { ws } = await start();
    const queue = await ws.taskQueues.create({ friendlyName: 'Support' });
    const config = (routing: unknown): string => JSON.stringify({ task_routing: routing });
    const ok = { expression: '1==1', targets: [{ queue: queue.sid }] };
    const refusals: [string, RegExp][] = [
      [config({ filters: [ok, { expression: 'type == ', targets: [{ queue: queue.sid }] }] }), /^Configuration task_routing\.filters\[1\]\.expression: .*position 8/],
      [config({ filters: [ok, { expression: '1==1', targets: [{ queue: queue.sid }, { queue: queue.sid, expression: 'worker.level >= AND' }] }] }),
        /^Configuration task_routing\.filters\[1\]\.targets\[1\]\.expression: .*position 16/],
      [config({ filters: [{ expression: '1==1', targets: [{ queue: MISSING('WQ') }] }] }), /^Configuration task_routing\.filters\[0\]\.targets\[0\]\.queue: .*not in this workspace/],
      [config({ filters: [{ expression: '1==1', targets: [] }] }), /task_routing\.filters\[0\]\.targets: must be a non-empty array/],
      [config({ default_filter: { queue: queue.sid, skip_if: 'workers.available ==' } }), /task_routing\.default_filter\.skip_if: .*position/],
      [config({}), /needs at least one filter or a default_filter/],
      ['{"task_routing":', /is not valid JSON/],
    ];
    for (const [configuration, message] of refusals) {
      await expectRestError(ws.workflows.create({ friendlyName: 'Bad', configuration }), { status: 400, code: 20001, message });
    }
    await expectRestError(ws.workflows.create({ friendlyName: 'Bad', configuration: config({ default_filter: { queue: queue.sid } }), taskReservationTimeout: 0 }), { status: 400, code: 20001, message: /TaskReservationTimeout/ });
    await expectRestError(ws.workflows.create({ friendlyName: 'Bad', configuration: config({ default_filter: { queue: queue.sid } }), assignmentCallbackUrl: 'not a url' }), { status: 400, code: 20001, message: /AssignmentCallbackUrl/ });
    expect(await ws.workflows.list()).toEqual([]);
    const good = await ws.workflows.create({ friendlyName: 'Good', configuration: config({ default_filter: { queue: queue.sid } }) });
    await expectRestError(ws.workflows(good.sid).update({ configuration: config({ filters: [{ expression: 'a IN [1, 2', targets: [{ queue: queue.sid }] }] }) }), { status: 400, code: 20001, message: /filters\[0\]\.expression: .*position/ });
    expect((await ws.workflows(good.sid).fetch()).configuration).toBe(config({ default_filter: { queue: queue.sid } }));
    await expectRestError(ws.workflows(MISSING('WW')).update({ friendlyName: 'X' }), { status: 404, code: 20404 });
  });
});
