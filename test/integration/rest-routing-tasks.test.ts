/**
 * REST conformance for routing, part 2: Tasks (create, fetch, list with every filter and paging,
 * update, cancel, delete, `If-Match`) and the 404s of every routing resource, driven only through
 * the official `twilio` library. No worker is available here, so tasks stay where they are put.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, restClient } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

const MISSING = (prefix: string): string => `${prefix}${'0'.repeat(32)}`;

async function start() {
  server = await startRollcall();
  const s = server;
  const client = restClient(s.url, accountCredentials(s));
  const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
  const support = await ws.taskQueues.create({ friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"' });
  const vip = await ws.taskQueues.create({ friendlyName: 'VIP', targetWorkers: 'worker.skills HAS "vip"' });
  const workflow = await ws.workflows.create({
    friendlyName: 'Main',
    configuration: JSON.stringify({ task_routing: { filters: [{ expression: 'vip == true', targets: [{ queue: vip.sid, priority: 50 }] }], default_filter: { queue: support.sid } } }),
  });
  return { s, client, ws, support, vip, workflow };
}

describe('tasks', () => {
  it('are created with attributes, priority, timeout and channel, placed by the workflow, and fetched with their ETag', async () => {
    const { s, ws, support, vip, workflow } = await start();
    const created = await ws.tasks.createWithHttpInfo({ workflowSid: workflow.sid, attributes: '{"type":"support","lang":"fr"}', priority: 3, timeout: 600, taskChannel: 'chat' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toMatch(/^"\d+"$/);
    const task = created.body;
    expect(task).toMatchObject({
      assignmentStatus: 'pending', attributes: '{"type":"support","lang":"fr"}', priority: 3, timeout: 600, reason: null,
      taskQueueSid: support.sid, taskQueueFriendlyName: 'Support', workflowSid: workflow.sid, workflowFriendlyName: 'Main',
      taskChannelUniqueName: 'chat', workspaceSid: s.workspaceSid, accountSid: s.rollcall.installation.account.sid,
      url: `${s.url}/v1/Workspaces/${s.workspaceSid}/Tasks/${task.sid}`,
    });
    expect(task.sid).toMatch(/^WT[0-9a-f]{32}$/);
    expect(task.taskChannelSid).toBe((await ws.taskChannels('chat').fetch()).sid);
    expect(task.age).toBeGreaterThanOrEqual(0);
    expect(task.dateCreated).toBeInstanceOf(Date);
    expect(task.taskQueueEnteredDate).toBeInstanceOf(Date);
    expect(task.links).toMatchObject({ reservations: `${task.url}/Reservations`, task_queue: `${s.url}/v1/Workspaces/${s.workspaceSid}/TaskQueues/${support.sid}` });
    const fetched = await ws.tasks(task.sid).fetchWithHttpInfo();
    expect(fetched.headers.etag).toBe(created.headers.etag);
    expect(fetched.body.toJSON()).toMatchObject({ ...task.toJSON(), age: expect.any(Number) });

    // The workflow's first matching filter places it, with the target's priority.
    expect(await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"vip":true}' })).toMatchObject({ taskQueueSid: vip.sid, priority: 50, taskChannelUniqueName: 'default', timeout: 86_400 });
    // The workspace's only workflow is used when none is named, as on TaskRouter.
    expect((await ws.tasks.create({ attributes: '{}' })).workflowSid).toBe(workflow.sid);
  });

  it('refuse bad input naming the field, and create nothing', async () => {
    const { ws, workflow } = await start();
    const refusals: [Parameters<typeof ws.tasks.create>[0], RegExp][] = [
      [{ workflowSid: workflow.sid, attributes: 'not json' }, /Attributes must be valid JSON/],
      [{ workflowSid: workflow.sid, attributes: '[1]' }, /Attributes must be a JSON object/],
      [{ workflowSid: workflow.sid, priority: -1 }, /Priority/],
      [{ workflowSid: workflow.sid, timeout: 0 }, /Timeout/],
      [{ workflowSid: workflow.sid, taskChannel: 'fax' }, /TaskChannel fax is not a task channel/],
      [{ workflowSid: MISSING('WW') }, /WorkflowSid .* is not a workflow/],
      [{ workflowSid: workflow.sid, routingTarget: MISSING('WK') }, /RoutingTarget WK0{32} is not a worker of this workspace/],
    ];
    for (const [params, message] of refusals) await expectRestError(ws.tasks.create(params), { status: 400, code: 20001, message });
    await ws.workflows.create({ friendlyName: 'Second', configuration: (await ws.workflows(workflow.sid).fetch()).configuration });
    await expectRestError(ws.tasks.create({ attributes: '{}' }), { status: 400, code: 20001, message: /WorkflowSid is required/ });
    expect(await ws.tasks.list()).toEqual([]);
  });

  it('are listed with filters and ordering, across pages of two that keep the filters', async () => {
    const { s, ws, support, vip, workflow } = await start();
    const sids: string[] = [];
    for (const [i, attributes] of ['{"n":0}', '{"n":1,"vip":true}', '{"n":2}', '{"n":3}', '{"n":4,"vip":true}'].entries()) {
      sids.push((await ws.tasks.create({ workflowSid: workflow.sid, attributes, priority: i })).sid);
    }
    const canceled = sids[2] ?? '';
    await ws.tasks(canceled).update({ assignmentStatus: 'canceled', reason: 'duplicate' });

    const all = await ws.tasks.list({ pageSize: 2 });
    expect(all.map((t) => t.sid)).toEqual(sids);
    const page = await ws.tasks.page({ pageSize: 2, assignmentStatus: ['pending'] });
    expect(page.instances.map((t) => t.sid)).toEqual(sids.slice(0, 2));
    expect(page.nextPageUrl).toMatch(new RegExp(`^${s.url}/v1/Workspaces/${s.workspaceSid}/Tasks\\?.*AssignmentStatus=pending.*PageSize=2`));
    const next = await page.nextPage();
    expect(next?.instances.map((t) => t.sid)).toEqual([sids[3], sids[4]]);
    expect(next?.nextPageUrl).toBeUndefined();

    const sidsOf = async (options: Parameters<typeof ws.tasks.list>[0]): Promise<string[]> => (await ws.tasks.list(options)).map((t) => t.sid);
    expect(await sidsOf({ assignmentStatus: ['canceled'] })).toEqual([canceled]);
    expect(await sidsOf({ assignmentStatus: ['canceled', 'pending'], pageSize: 2 })).toEqual(sids);
    expect(await sidsOf({ taskQueueSid: vip.sid })).toEqual([sids[1], sids[4]]);
    expect(await sidsOf({ taskQueueName: 'Support', assignmentStatus: ['pending'] })).toEqual([sids[0], sids[3]]);
    expect(await sidsOf({ workflowSid: workflow.sid, priority: 50 })).toEqual([sids[1], sids[4]]);
    expect(await sidsOf({ workflowName: 'Nope' })).toEqual([]);
    expect(await sidsOf({ evaluateTaskAttributes: 'n >= 3' })).toEqual([sids[3], sids[4]]);
    expect(await sidsOf({ ordering: 'Priority:desc,DateCreated:desc', assignmentStatus: ['pending'] })).toEqual([sids[4], sids[1], sids[3], sids[0]]);
    expect(await sidsOf({ hasAddons: true })).toEqual([]);
    expect(support.sid).toMatch(/^WQ/);
    // The store reads one slice per page: an expression and an ordering hold across pages, forward and back.
    const first = await ws.tasks.page({ pageSize: 1, evaluateTaskAttributes: 'n >= 1', ordering: 'Priority:desc' });
    const second = await first.nextPage();
    const third = await second?.nextPage();
    expect([first, second, third].map((p) => p?.instances.map((t) => t.sid))).toEqual([[sids[1]], [sids[4]], [sids[3]]]);
    expect((await third?.previousPage())?.instances.map((t) => t.sid)).toEqual([sids[4]]);
    expect(await sidsOf({ evaluateTaskAttributes: 'n >= 1', ordering: 'Priority:desc', pageSize: 3 })).toEqual([sids[1], sids[4], sids[3], sids[2]]);

    await expectRestError(ws.tasks.list({ assignmentStatus: ['lost'] }), { status: 400, code: 20001, message: /AssignmentStatus must be one of/ });
    await expectRestError(ws.tasks.list({ evaluateTaskAttributes: 'n >=' }), { status: 400, code: 20001, message: /EvaluateTaskAttributes: .*position 4/ });
    await expectRestError(ws.tasks.list({ ordering: 'Age:desc' }), { status: 400, code: 20001, message: /Ordering/ });
    await expectRestError(ws.tasks.list({ ordering: 'Priority:desc,Priority:asc' }), { status: 400, code: 20001, message: /each once/ });
  });

  it('are updated and canceled, and refuse a stale If-Match with 412 and no change', async () => {
    const { s, ws, workflow, vip } = await start();
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"n":1}' });
    const fetched = await ws.tasks(task.sid).fetchWithHttpInfo();
    const etag = fetched.headers.etag as string;
    const updated = await ws.tasks(task.sid).updateWithHttpInfo({ attributes: '{"n":2}', priority: 7, ifMatch: etag });
    expect(updated.body).toMatchObject({ attributes: '{"n":2}', priority: 7, assignmentStatus: 'pending' });
    const newEtag = updated.headers.etag as string;
    expect(newEtag).not.toBe(etag);

    await expectRestError(ws.tasks(task.sid).update({ priority: 9, ifMatch: etag }), { status: 412, code: 20412 });
    await expectRestError(ws.tasks(task.sid).update({ priority: 9, ifMatch: 'not-a-version' }), { status: 412, code: 20412 });
    await expectRestError(ws.tasks(task.sid).remove({ ifMatch: etag }), { status: 412, code: 20412 });
    expect(await ws.tasks(task.sid).fetch()).toMatchObject({ priority: 7, attributes: '{"n":2}' });

    await expectRestError(ws.tasks(task.sid).update({ attributes: '{"n":' }), { status: 400, code: 20001, message: /Attributes/ });
    await expectRestError(ws.tasks(task.sid).update({ assignmentStatus: 'assigned' }), { status: 400, code: 20001, message: /AssignmentStatus must be one of canceled, wrapping, completed/ });
    await expectRestError(ws.tasks(task.sid).update({ assignmentStatus: 'completed' }), { status: 400, code: 20001, message: /cannot change from pending to completed/ });

    const canceled = await ws.tasks(task.sid).update({ assignmentStatus: 'canceled', reason: 'customer hung up', ifMatch: newEtag });
    expect(canceled).toMatchObject({ assignmentStatus: 'canceled', reason: 'customer hung up' });
    const events = (await ws.events.list({ taskSid: task.sid } as Parameters<typeof ws.events.list>[0])).map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['task.created', 'task-queue.entered', 'task.updated', 'task.canceled']));

    const other = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"vip":true}' });
    const otherEtag = (await ws.tasks(other.sid).fetchWithHttpInfo()).headers.etag as string;
    expect(await ws.tasks(other.sid).remove({ ifMatch: otherEtag })).toBe(true);
    await expectRestError(ws.tasks(other.sid).fetch(), { status: 404, code: 20404 });
    expect(await ws.tasks(task.sid).remove()).toBe(true);
    expect(await ws.tasks.list()).toEqual([]);
    expect((await ws.taskQueues(vip.sid).realTimeStatistics().fetch()).totalTasks).toBe(0);
    expect(s.workspaceSid).toMatch(/^WS/);
  });
});

describe('unknown routing resources', () => {
  it('are 404 with code 20404, in this workspace and in one that is not the caller’s', async () => {
    const { s, ws, client } = await start();
    const task = await ws.tasks.create({ attributes: '{}' });
    const notFound = { status: 404, code: 20404 };
    await expectRestError(ws.tasks(MISSING('WT')).fetch(), notFound);
    await expectRestError(ws.tasks(MISSING('WT')).update({ priority: 1 }), notFound);
    await expectRestError(ws.tasks(MISSING('WT')).remove(), notFound);
    await expectRestError(ws.tasks(MISSING('WT')).reservations.list(), notFound);
    await expectRestError(ws.tasks(task.sid).reservations(MISSING('WR')).fetch(), notFound);
    await expectRestError(ws.tasks(task.sid).reservations(MISSING('WR')).update({ reservationStatus: 'accepted' }), notFound);
    await expectRestError(ws.workers(s.workerSid('alice')).reservations(MISSING('WR')).fetch(), notFound);
    await expectRestError(ws.workers(MISSING('WK')).reservations.list(), notFound);
    await expectRestError(ws.taskQueues(MISSING('WQ')).fetch(), notFound);
    await expectRestError(ws.taskQueues(MISSING('WQ')).statistics().fetch(), notFound);
    await expectRestError(ws.workflows(MISSING('WW')).fetch(), notFound);
    await expectRestError(ws.workflows(MISSING('WW')).remove(), notFound);
    await expectRestError(ws.taskChannels(MISSING('TC')).fetch(), notFound);
    await expectRestError(ws.taskChannels('fax').update({ friendlyName: 'Fax' }), notFound);
    await expectRestError(ws.taskChannels('fax').remove(), notFound);
    const elsewhere = client.taskrouter.v1.workspaces(MISSING('WS'));
    await expectRestError(elsewhere.tasks.list(), notFound);
    await expectRestError(elsewhere.tasks(task.sid).fetch(), notFound);
    await expectRestError(elsewhere.taskQueues.list(), notFound);
    expect((await ws.tasks(task.sid).reservations.list())).toEqual([]);
  });
});
