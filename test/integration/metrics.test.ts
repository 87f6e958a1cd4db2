/**
 * /metrics after real traffic: official twilio-taskrouter agents connect, one is offered a task
 * and rejects it, another accepts it, a dropped agent is logged out at a short threshold, an
 * agent logs herself out, an event callback fails. Each scrape is parsed as Prometheus would,
 * and every counter must have moved by exactly what was done.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackServer } from '../support/callback-server.js';
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { sample, scrape, type Samples } from '../support/prometheus.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { once, waitFor } from '../support/wait.js';

let server: TestRollcall | null = null;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await server?.close();
  server = null;
});

type SdkReservation = { sid: string; accept(): Promise<unknown>; reject(): Promise<unknown> };

async function agent(s: TestRollcall, name: string, baseUrl = s.url, beforeAvailable: (w: SdkWorker) => void = () => undefined): Promise<SdkWorker> {
  const worker = sdkWorker(await s.token(name), baseUrl);
  cleanups.push(() => worker.disconnect());
  await once(worker, 'ready');
  beforeAvailable(worker);
  const updated = once(worker, 'activityUpdated');
  await worker.activities.get(s.activitySid('Available'))?.setAsCurrent();
  await updated;
  return worker;
}

/** The change of each named series between two scrapes. */
const moved = (before: Samples, after: Samples, name: string, labels: Record<string, string> = {}): number => sample(after, name, labels) - sample(before, name, labels);

describe('Prometheus metrics', () => {
  it('counts sessions, offers, disconnections, logouts and deadline lateness as they happen', async () => {
    const s = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '2' });
    server = s;
    const { store, routing } = s.rollcall;
    const queue = await store.createTaskQueue(s.workspaceSid, { friendlyName: 'Support', targetWorkers: 'worker.skills HAS "support"' });
    if (!queue.ok) throw new Error(queue.refusal.message);
    const workflow = await store.createWorkflow(s.workspaceSid, { friendlyName: 'Support', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.value.sid } } }) });
    if (!workflow.ok) throw new Error(workflow.refusal.message);
    await routing.reloadCatalog(s.workspaceSid);
    const proxy = new TcpProxy(Number(new URL(s.url).port));
    await proxy.start();
    cleanups.push(() => proxy.close());

    const before = await scrape(s.url);
    for (const gauge of ['rollcall_agents_connected', 'rollcall_agent_sessions', 'rollcall_workers_in_grace']) expect(before.get(gauge), gauge).toBe(0);
    expect(before.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(before.has('process_resident_memory_bytes')).toBe(true);

    // Alice (through a proxy we can cut) is offered the task and rejects it; Bob accepts it.
    const alice = await agent(s, 'alice', proxy.url);
    const offeredToAlice = once<SdkReservation>(alice, 'reservationCreated');
    const task = await routing.createTask(s.workspaceSid, { workflowSid: workflow.value.sid, attributes: '{}', taskChannel: 'voice' }, 'test');
    if (!task.ok) throw new Error(task.refusal.message);
    await (await offeredToAlice).reject();
    let offeredToBob: Promise<SdkReservation> | undefined;
    await agent(s, 'bob', s.url, (bob) => (offeredToBob = once<SdkReservation>(bob, 'reservationCreated')));
    await (await offeredToBob)?.accept();
    // Carol logs herself out from her desktop, and stays connected.
    const carol = sdkWorker(await s.token('carol'), s.url);
    cleanups.push(() => carol.disconnect());
    await once(carol, 'ready');
    const carolOffline = once(carol, 'activityUpdated');
    await carol.activities.get(s.activitySid('Offline'))?.setAsCurrent();
    await carolOffline;

    const connected = await scrape(s.url);
    expect(connected.get('rollcall_agents_connected')).toBe(3);
    expect(connected.get('rollcall_agent_sessions')).toBe(3);
    expect(moved(before, connected, 'rollcall_routing_offers_total')).toBe(2);
    expect(moved(before, connected, 'rollcall_routing_offer_outcomes_total', { outcome: 'rejected' })).toBe(1);
    expect(moved(before, connected, 'rollcall_routing_offer_outcomes_total', { outcome: 'accepted' })).toBe(1);
    expect(moved(before, connected, 'rollcall_routing_offer_outcomes_total', { outcome: 'rescinded' })).toBe(0);
    expect(moved(before, connected, 'rollcall_routing_decision_seconds_count', { outcome: 'offered' })).toBe(2);
    expect(moved(before, connected, 'rollcall_routing_passes_total')).toBeGreaterThanOrEqual(2);
    expect(moved(before, connected, 'rollcall_logouts_total', { cause: 'agent' })).toBe(1);
    expect(moved(before, connected, 'rollcall_disconnections_total', { reason: 'closed' })).toBe(0);
    // createTask, two reserves and two reservation answers are routing verbs, each timed.
    expect(moved(before, connected, 'rollcall_store_transaction_seconds_count', { family: 'routing', outcome: 'ok' })).toBeGreaterThanOrEqual(5);
    expect(moved(before, connected, 'rollcall_store_transaction_seconds_count', { family: 'presence', outcome: 'ok' })).toBeGreaterThanOrEqual(3);

    // Alice's link drops: she is in grace, then logged out at the 2 s threshold.
    proxy.refuseNew = true;
    proxy.drop();
    const episodes = async () => (await store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid('alice') }));
    await waitFor('alice disconnected', async () => (await episodes()).length > 0);
    const inGrace = await scrape(s.url);
    expect(inGrace.get('rollcall_workers_in_grace')).toBe(1);
    expect(inGrace.get('rollcall_agents_connected')).toBe(2);
    expect(moved(before, inGrace, 'rollcall_disconnections_total', { reason: 'closed' })).toBe(1);
    expect(moved(before, inGrace, 'rollcall_logouts_total', { cause: 'offline-threshold' })).toBe(0);
    await waitFor('alice logged out', async () => (await store.findWorker(s.workspaceSid, s.workerSid('alice')))?.activityName === 'Offline');

    const after = await scrape(s.url);
    expect(after.get('rollcall_workers_in_grace')).toBe(0);
    expect(after.get('rollcall_agents_connected')).toBe(2);
    expect(after.get('rollcall_agent_sessions')).toBe(2);
    expect(moved(before, after, 'rollcall_logouts_total', { cause: 'offline-threshold' })).toBe(1);
    expect(moved(before, after, 'rollcall_logouts_total', { cause: 'agent' })).toBe(1);
    expect(moved(before, after, 'rollcall_disconnections_total', { reason: 'closed' })).toBe(1);
    expect(moved(before, after, 'rollcall_deadline_lateness_seconds_count')).toBe(1);
    const lateness = moved(before, after, 'rollcall_deadline_lateness_seconds_sum');
    const [logout] = (await store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') })).filter((e) => e.cause === 'offline-threshold');
    const evidence = logout?.evidence as { dueAt: number } | null;
    expect(lateness).toBeGreaterThanOrEqual(0);
    // The fire time the metric saw and the recorded one are the same instant, give or take the commit.
    expect(Math.abs(lateness * 1000 - ((logout?.recordedAt ?? 0) - (evidence?.dueAt ?? 0)))).toBeLessThan(50);
  });

  it('counts failed event callbacks, and whether they will be retried', async () => {
    const endpoint = await CallbackServer.start();
    cleanups.push(() => endpoint.close());
    endpoint.answer(() => ({ status: 503 }));
    const s = await startRollcall({ ROLLCALL_CALLBACK_RETRY_BASE_MS: '600000' });
    server = s;
    const updated = await s.rollcall.store.updateWorkspace(s.workspaceSid, { eventCallbackUrl: `${endpoint.baseUrl}/events`, eventsFilter: 'worker.activity.update' }, 'test');
    expect(updated.ok).toBe(true);
    const before = await scrape(s.url);
    const changed = await s.rollcall.presence.setActivity({ workspaceSid: s.workspaceSid, workerSid: s.workerSid('alice'), activitySid: s.activitySid('Break'), cause: 'api', actor: 'test', rejectPendingReservations: false });
    expect(changed.ok).toBe(true);
    await endpoint.next((r) => r.params.EventType === 'worker.activity.update');
    const after = await waitFor('the failure counted', async () => {
      const now = await scrape(s.url);
      return moved(before, now, 'rollcall_callback_failures_total', { kind: 'event', final: 'false' }) > 0 && now;
    });
    expect(moved(before, after, 'rollcall_callback_failures_total', { kind: 'event', final: 'false' })).toBe(1);
    expect(moved(before, after, 'rollcall_callback_failures_total', { kind: 'event', final: 'true' })).toBe(0);
    expect(endpoint.received).toHaveLength(1);
  });
});
