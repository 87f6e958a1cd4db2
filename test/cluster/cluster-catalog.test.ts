/**
 * Catalogue changes across nodes (routing-catalog-sync.ts): three nodes on one PostgreSQL. Queues
 * and a workflow created and then changed on node A route a task created on node B after A is
 * gone (so only nodes that heard of the changes through the bus can route it); A's routing hold
 * is what B reports; an activity renamed on A is what an SDK agent on B sees.
 * Skipped, with the reason, without ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { restClient } from '../integration/rest-support.js';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { once, waitFor } from '../support/wait.js';
import { startCluster, type Cluster, type ClusterNode } from './cluster-support.js';

type Offer = { sid: string; task: { sid: string; queueSid: string } };

// Room for a loaded machine: a node or an agent taken for dead would end the test's premise
// (an available agent on B), not test the catalogue.
const RELAXED = { ROLLCALL_NODE_LEASE_MS: '6000', ROLLCALL_PING_INTERVAL_MS: '1000', ROLLCALL_LIVENESS_TIMEOUT_MS: '8000' };

describe.skipIf(NO_POSTGRES)(`catalogue changes across nodes${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  const workspaceOn = (c: Cluster, node: ClusterNode) =>
    restClient(node.url, { username: c.creds.api_key_sid, password: c.creds.api_key_secret, accountSid: c.creds.account_sid })
      .taskrouter.v1.workspaces(c.creds.workspace_sid);

  it('queues and a workflow created and changed on node A route a task on node B once A is gone', { timeout: 120_000 }, async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C'], RELAXED));
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('three nodes');
    c.proxy.targetPort = b.port;
    const alice = await c.availableAgent('alice');
    const onA = workspaceOn(c, a);
    // Created matching nobody and pointing at the wrong queue; then changed: a node that heard of
    // the creations but not of the changes would route the task nowhere.
    const nobody = await onA.taskQueues.create({ friendlyName: 'Nobody', targetWorkers: '1==2' });
    const support = await onA.taskQueues.create({ friendlyName: 'Support', targetWorkers: '1==2' });
    const workflow = await onA.workflows.create({ friendlyName: 'Support', configuration: JSON.stringify({ task_routing: { default_filter: { queue: nobody.sid } } }) });
    await onA.taskQueues(support.sid).update({ targetWorkers: '1==1' });
    await onA.workflows(workflow.sid).update({ configuration: JSON.stringify({ task_routing: { default_filter: { queue: support.sid } } }) });
    const changedAt = Date.now();
    await c.kill(a);

    const offered = once<Offer>(alice, 'reservationCreated', 15_000);
    const task = await workspaceOn(c, b).tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ type: 'support' }), taskChannel: 'voice' });
    const reservation = await offered;
    expect(reservation.task.sid).toBe(task.sid);
    expect(reservation.task.queueSid).toBe(support.sid);
    // Within a second or two of the change on a quiet machine; the bound leaves room for a loaded one.
    expect(Date.now() - changedAt).toBeLessThan(10_000);
  });

  it("node A's routing hold is what node B reports", { timeout: 60_000 }, async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C'], RELAXED));
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('three nodes');
    const holdOn = async (node: ClusterNode): Promise<boolean> => {
      const res = await fetch(`${node.url}/v1/Workspaces/${c.creds.workspace_sid}`, { headers: { authorization: `Basic ${Buffer.from(`${c.creds.api_key_sid}:${c.creds.api_key_secret}`).toString('base64')}` } });
      return ((await res.json()) as { routing_hold_while_disconnected: boolean }).routing_hold_while_disconnected;
    };
    const before = await holdOn(b);
    const changed = await fetch(`${a.url}/v1/Workspaces/${c.creds.workspace_sid}`, {
      method: 'POST', body: new URLSearchParams({ RoutingHoldWhileDisconnected: String(!before) }),
      headers: { authorization: `Basic ${Buffer.from(`${c.creds.api_key_sid}:${c.creds.api_key_secret}`).toString('base64')}` },
    });
    expect(changed.status).toBe(200);
    expect(await holdOn(a)).toBe(!before);
    await waitFor('node B to report the new hold', async () => (await holdOn(b)) === !before, 5000);
  });

  it('an activity renamed on node A is what an SDK agent on node B sees', { timeout: 60_000 }, async () => {
    const c = (cluster = await startCluster(['A', 'B', 'C'], RELAXED));
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('three nodes');
    c.proxy.targetPort = b.port;
    const alice = await c.availableAgent('alice');
    const onA = workspaceOn(c, a);
    const breakSid = (await onA.activities.list()).find((x) => x.friendlyName === 'Break')?.sid ?? '';
    await onA.activities(breakSid).update({ friendlyName: 'Lunch' });
    // Moved into it by an admin on A: the push reaches alice on B. (The SDK names activities from
    // what it read when it signed in, so a live agent keeps the old name, as on Twilio.)
    const updated = once<typeof alice>(alice, 'activityUpdated');
    const moved = await onA.workers(c.workerSid('alice')).update({ activitySid: breakSid });
    expect(moved.activityName).toBe('Lunch');
    expect((await updated).activity.sid).toBe(breakSid);
    // An agent signing in on B reads the activities, with the new name, from B.
    const bob = await c.availableAgent('bob');
    expect(bob.activities.get(breakSid)?.name).toBe('Lunch');
  });
});
