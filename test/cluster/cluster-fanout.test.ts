/**
 * Fan-out across nodes (pg-bus.ts): an agent connected to node B is offered a task that node A
 * created and routed, through the `twilio` library on A and the Worker SDK on B; and an event
 * whose notification never arrived is found by the poll of the durable event sequence.
 * Skipped, with the reason, without ROLLCALL_TEST_DATABASE_URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { restClient } from '../integration/rest-support.js';
import { NO_POSTGRES, NO_POSTGRES_REASON } from '../support/postgres.js';
import { once } from '../support/wait.js';
import { startCluster, type Cluster } from './cluster-support.js';

describe.skipIf(NO_POSTGRES)(`fan-out between nodes on one PostgreSQL${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  it('an offer node A makes reaches the agent connected to node B, who accepts it', async () => {
    const c = (cluster = await startCluster(['A', 'B']));
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('two nodes');
    c.proxy.targetPort = b.port;
    type Offer = { sid: string; task: { sid: string }; accept(): Promise<{ status: string }> };
    const alice = await c.availableAgent('alice');
    const offered = once<Offer>(alice, 'reservationCreated', 15_000);
    const ws = restClient(a.url, { username: c.creds.api_key_sid, password: c.creds.api_key_secret, accountSid: c.creds.account_sid })
      .taskrouter.v1.workspaces(c.creds.workspace_sid);
    const queue = await ws.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
    const workflow = await ws.workflows.create({ friendlyName: 'Everyone', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ type: 'support' }), taskChannel: 'voice' });
    const reservation = await offered;
    expect(reservation.task.sid).toBe(task.sid);
    expect((await reservation.accept()).status).toBe('accepted');
    // A reads on its own what B committed.
    expect((await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('assigned');
  });
});
