/**
 * The server on PostgreSQL (`ROLLCALL_DATABASE_URL`, a schema of its own), driven by the official
 * clients: a twilio-taskrouter agent connects, goes Available, disconnects and is logged out at the
 * threshold; a task created with the `twilio` library is routed to an agent, who accepts it. Two
 * servers on one database share it (no data-directory lock). Skipped without a test server.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, NO_POSTGRES, NO_POSTGRES_REASON, type TestSchema } from '../support/postgres.js';
import { credentials, requireBuiltCli } from '../support/cli-process.js';
import pino from 'pino';
import { createRollcall } from '../../src/main.js';
import { loadConfig } from '../../src/config.js';
import { sdkWorker, startRollcall, tempDataDir, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { keyCredentials, restClient } from './rest-support.js';

const THRESHOLD_S = 1;

describe.skipIf(NO_POSTGRES)(`the server on PostgreSQL with the official clients${NO_POSTGRES ? ` (skipped: ${NO_POSTGRES_REASON})` : ''}`, () => {
  let schema: TestSchema | null = null;
  const servers: TestRollcall[] = [];
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    for (const s of servers.splice(0)) await s.close();
    await schema?.drop();
    schema = null;
  });

  const start = async (): Promise<TestRollcall> => {
    schema ??= await createTestSchema();
    const s = await startRollcall({ ROLLCALL_DATABASE_URL: schema.urlInSchema, ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_S) });
    servers.push(s);
    return s;
  };

  const availableAgent = async (s: TestRollcall, name: string, beforeAvailable: (w: SdkWorker) => void = () => undefined): Promise<SdkWorker> => {
    const worker = sdkWorker(await s.token(name), s.url);
    cleanups.push(() => worker.disconnect());
    await once(worker, 'ready');
    beforeAvailable(worker);
    const updated = once(worker, 'activityUpdated');
    await worker.activities.get(s.activitySid('Available'))?.setAsCurrent();
    await updated;
    return worker;
  };

  it('logs out an agent who disconnected, at the threshold, on the database\'s clock', async () => {
    const s = await start();
    // The system of record is the schema, not a file in the data directory.
    expect(existsSync(path.join(s.dataDir, 'rollcall.sqlite'))).toBe(false);
    const client = new pg.Client({ connectionString: schema?.urlInSchema });
    await client.connect();
    try {
      expect((await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM workers WHERE workspace_sid = $1', [s.workspaceSid])).rows[0]?.n).toBe(3);
    } finally {
      await client.end();
    }
    const alice = await availableAgent(s, 'alice');
    expect((await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid('alice')))?.activityName).toBe('Available');
    const endedAt = Date.now();
    alice.disconnect();
    // Nothing reaches a client at a disconnected agent's logout: the store is asked.
    const logout = await waitFor('the logout', async () => (await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: s.workerSid('alice') }))
      .find((e) => e.cause === 'offline-threshold'));
    expect(logout.evidence).toMatchObject({ reason: 'closed', thresholdMs: THRESHOLD_S * 1000 });
    expect(logout.effectiveAt - (logout.evidence?.lastSeenAt ?? 0)).toBe(THRESHOLD_S * 1000);
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(THRESHOLD_S * 1000 - 50);
    expect((await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid('alice')))?.activityName).toBe('Offline');
    const [episode] = await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid('alice') });
    expect(episode).toMatchObject({ reason: 'closed', outcome: 'logged-out' });
  });

  it('routes a task created with the twilio library to a connected agent, who accepts it; a second server shares the database', async () => {
    const s = await start();
    const ws = restClient(s.url, keyCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid);
    const queue = await ws.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
    const workflow = await ws.workflows.create({ friendlyName: 'Everyone', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
    type Offer = { sid: string; task: { sid: string }; accept(): Promise<{ status: string }> };
    let offered: Promise<Offer> | undefined;
    await availableAgent(s, 'alice', (w) => (offered = once<Offer>(w, 'reservationCreated')));
    const task = await ws.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ type: 'support' }), taskChannel: 'voice' });
    const reservation = await offered;
    expect(reservation?.task.sid).toBe(task.sid);
    expect((await reservation?.accept())?.status).toBe('accepted');
    const fetched = await ws.tasks(task.sid).fetch();
    expect(fetched.assignmentStatus).toBe('assigned');
    const [stored] = await ws.tasks(task.sid).reservations.list();
    expect(stored).toMatchObject({ sid: reservation?.sid, reservationStatus: 'accepted', workerSid: s.workerSid('alice') });
    // Another node on the same database (no data-directory lock on PostgreSQL) reads what the first wrote.
    const second = await start();
    const seen = await restClient(second.url, keyCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid).tasks(task.sid).fetch();
    expect(seen.assignmentStatus).toBe('assigned');
  });

  it('runs the CLI against the same database: `rollcall credentials` reads the installation the server made', async () => {
    requireBuiltCli();
    const s = await start();
    // No data directory at all: the CLI finds everything through ROLLCALL_DATABASE_URL.
    const printed = await credentials({ ROLLCALL_DATABASE_URL: schema?.urlInSchema ?? '', ROLLCALL_DATA_DIR: path.join(s.dataDir, 'absent') });
    const { account, apiKey, workspace } = s.rollcall.installation;
    expect(printed).toMatchObject({ account_sid: account.sid, api_key_sid: apiKey.sid, api_key_secret: apiKey.secret, workspace_sid: workspace.sid });
    expect(printed.workers.map((w) => w.friendly_name).sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('renews its node lease from registration, before it listens (a long start-up is not reaped)', async () => {
    schema ??= await createTestSchema();
    const config = loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: tempDataDir(), ROLLCALL_LOG_LEVEL: 'silent', ROLLCALL_DATABASE_URL: schema.urlInSchema,
      ROLLCALL_NODE_HEARTBEAT_MS: '100', ROLLCALL_NODE_LEASE_MS: '1000' });
    const rollcall = await createRollcall(config, { demo: true, logger: pino({ level: 'silent' }) });
    cleanups.push(() => rollcall.close());
    const client = new pg.Client({ connectionString: schema.urlInSchema });
    await client.connect();
    cleanups.push(() => client.end());
    const node = async () => (await client.query<{ started_at: string; heartbeat_at: string }>('SELECT started_at, heartbeat_at FROM nodes WHERE id = $1', [rollcall.presence.nodeId])).rows[0];
    // Not listening: the renewals alone move the heartbeat on.
    await waitFor('three renewals before listening', async () => {
      const row = await node();
      return row !== undefined && Number(row.heartbeat_at) - Number(row.started_at) >= 300;
    }, 5000);
  });
});
