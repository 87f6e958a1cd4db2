/**
 * Assignment callbacks (issue 8 item 8): a workflow's AssignmentCallbackUrl receives each new
 * reservation, signed, at a real HTTP server on 127.0.0.1; its answer is applied (accept, reject,
 * or an empty 200 and the reservation waits); FallbackAssignmentCallbackUrl when the first fails;
 * a failure of both is visible. The agent is an official twilio-taskrouter Worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackServer, type CallbackResponder } from '../support/callback-server.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { deliveries, signedBy } from './callback-support.js';
import { accountCredentials, restClient } from './rest-support.js';

let server: TestRollcall | null = null;
let hooks: CallbackServer | null = null;
let agent: SdkWorker | null = null;

afterEach(async () => {
  agent?.disconnect();
  agent = null;
  await server?.close();
  server = null;
  await hooks?.close();
  hooks = null;
});

type SdkReservation = { sid: string; status: string; task: { sid: string }; on(event: string, fn: (r: SdkReservation) => void): void };

/** alice connected and Available, a queue and a workflow calling back `path` (and `fallbackPath`). */
async function setup(responder: CallbackResponder, path: string, fallbackPath?: string) {
  hooks = await CallbackServer.start();
  hooks.answer(responder);
  server = await startRollcall({ ROLLCALL_CALLBACK_TIMEOUT_MS: '2000' });
  const s = server;
  const client = restClient(s.url, accountCredentials(s));
  const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
  const queue = await ws.taskQueues.create({ friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"' });
  const workflow = await ws.workflows.create({
    friendlyName: 'Called back',
    configuration: JSON.stringify({ task_routing: { filters: [], default_filter: { queue: queue.sid } } }),
    assignmentCallbackUrl: `${hooks.baseUrl}${path}`,
    ...(fallbackPath ? { fallbackAssignmentCallbackUrl: `${hooks.baseUrl}${fallbackPath}` } : {}),
  });
  agent = sdkWorker(await s.token('alice'), s.url);
  await once(agent, 'ready');
  const updated = once(agent, 'activityUpdated');
  await agent.activities.get(s.activitySid('Available'))?.setAsCurrent();
  await updated;
  const offered = once<SdkReservation>(agent, 'reservationCreated');
  const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: '{"type":"support"}', priority: 7 });
  return { s, hooks, client, ws, workflow, queue, task, reservation: await offered };
}

describe('assignment callbacks', () => {
  it('receive each reservation, signed, and an accept answer accepts it', async () => {
    const { s, hooks, ws, workflow, queue, task, reservation } = await setup(() => ({ status: 200, body: '{"instruction":"accept"}' }), '/assign');
    const accepted = new Promise<SdkReservation>((resolve) => reservation.on('accepted', resolve));
    const call = await hooks.next((r) => r.path === '/assign');
    expect(call.params).toMatchObject({
      AccountSid: s.rollcall.installation.account.sid, WorkspaceSid: s.workspaceSid, WorkflowSid: workflow.sid, TaskQueueSid: queue.sid,
      WorkerSid: s.workerSid('alice'), TaskSid: task.sid, ReservationSid: reservation.sid, TaskAttributes: '{"type":"support"}', TaskPriority: '7',
    });
    expect(JSON.parse(call.params.WorkerAttributes ?? '{}')).toMatchObject({ skills: ['support'] });
    expect(Number(call.params.TaskAge)).toBeGreaterThanOrEqual(0);
    expect(signedBy(s.rollcall.installation.account.authToken, call)).toBe(true);
    expect((await accepted).status).toBe('accepted');
    expect((await ws.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus).toBe('accepted');
  });

  it('a reject answer rejects the reservation', async () => {
    const { ws, task, reservation } = await setup(() => ({ status: 200, body: '{"instruction":"reject"}' }), '/assign');
    const rejected = new Promise<SdkReservation>((resolve) => reservation.on('rejected', resolve));
    expect((await rejected).status).toBe('rejected');
    expect((await ws.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus).toBe('rejected');
  });

  it('an empty 200 leaves the reservation waiting for the worker', async () => {
    const { s, client, ws, task, reservation } = await setup(() => ({ status: 200 }), '/assign');
    const [delivery] = await waitFor('the assignment delivered', async () => {
      const list = await deliveries(client, s.url, s.workspaceSid, '?Kind=assignment&Status=delivered');
      return list.length === 1 ? list : null;
    });
    expect(delivery).toMatchObject({ answer: 'wait', last_http_status: 200 });
    expect((await ws.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus).toBe('pending');
  });

  it('the fallback URL is called when the first fails, and its answer applied', async () => {
    const { s, hooks, client, reservation } = await setup((r) => (r.path === '/broken' ? { status: 500 } : { status: 200, body: '{"instruction":"accept"}' }), '/broken', '/fallback');
    const accepted = new Promise<SdkReservation>((resolve) => reservation.on('accepted', resolve));
    await accepted;
    expect(hooks.received.map((r) => r.path)).toEqual(['/broken', '/fallback']);
    expect((await deliveries(client, s.url, s.workspaceSid, '?Kind=assignment'))[0]).toMatchObject({ status: 'delivered', last_url: `${hooks.baseUrl}/fallback`, answer: 'accept' });
  });

  it('a failure of both is visible, and the reservation waits', async () => {
    const { s, hooks, client, ws, task, reservation } = await setup(() => ({ status: 502 }), '/broken', '/also-broken');
    const [failed] = await waitFor('the assignment given up', async () => {
      const list = await deliveries(client, s.url, s.workspaceSid, '?Kind=assignment&Status=failed');
      return list.length === 1 ? list : null;
    });
    expect(failed).toMatchObject({ last_url: `${hooks.baseUrl}/also-broken`, last_http_status: 502, last_error: 'answered HTTP 502', attempts: 1 });
    expect((await ws.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus).toBe('pending');
  });
});
