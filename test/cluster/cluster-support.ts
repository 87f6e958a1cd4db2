/**
 * Several real Rollcall nodes (`node dist/src/cli.js serve`, one process each) on one PostgreSQL
 * schema, with short leases, and the official Worker SDK reaching them through a switchable proxy
 * (a load balancer). Reads go straight to the schema, as an operator would.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { credentials, freePort, requireBuiltCli, startServer, type Credentials } from '../support/cli-process.js';
import { FAST_LIVENESS, sdkWorker, tempDataDir, type SdkWorker } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { once } from '../support/wait.js';

export const THRESHOLD_S = 2;
export const LEASE_MS = 1000;
export const NODE_HEARTBEAT_MS = 200;

export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess & { output(): string };
}

export interface Cluster {
  readonly schema: TestSchema;
  readonly nodes: ClusterNode[];
  readonly creds: Credentials;
  /** Reads straight from the schema; a pool, so that it outlives a restart of the server. */
  readonly sql: pg.Pool;
  readonly proxy: TcpProxy;
  /** Between the nodes and PostgreSQL, when asked for: cutting it is the database going away. */
  readonly dbProxy: TcpProxy | null;
  workerSid(name: string): string;
  /** An SDK agent through the proxy, Available once this resolves. */
  availableAgent(name: string): Promise<SdkWorker>;
  /** kill -9: the process ends without a word to the database. */
  kill(node: ClusterNode): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** A proxy between the nodes and PostgreSQL (`dbProxy`), to cut their links. */
  readonly databaseProxy?: boolean;
  /** A server of the test's own (throwaway-postgres.ts) instead of ROLLCALL_TEST_DATABASE_URL's. */
  readonly databaseUrl?: string;
}

export async function startCluster(names: readonly string[], extraEnv: Record<string, string> = {}, options: ClusterOptions = {}): Promise<Cluster> {
  requireBuiltCli();
  const schema = await createTestSchema(options.databaseUrl);
  let dbProxy: TcpProxy | null = null;
  let nodeDatabaseUrl = schema.urlInSchema;
  if (options.databaseProxy) {
    const target = new URL(schema.urlInSchema);
    dbProxy = new TcpProxy(Number(target.port || 5432));
    await dbProxy.start();
    target.host = `127.0.0.1:${dbProxy.port}`;
    nodeDatabaseUrl = target.toString();
  }
  const nodes: ClusterNode[] = [];
  const agents: SdkWorker[] = [];
  const envOf = (port: number): Record<string, string> => ({
    ...FAST_LIVENESS, ROLLCALL_NODE_HEARTBEAT_MS: String(NODE_HEARTBEAT_MS), ROLLCALL_NODE_LEASE_MS: String(LEASE_MS),
    ROLLCALL_DATABASE_URL: nodeDatabaseUrl, ROLLCALL_DATA_DIR: tempDataDir(), ROLLCALL_DEFAULT_THRESHOLD_S: String(THRESHOLD_S),
    ROLLCALL_LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', ...extraEnv,
  });
  // One after another: the first creates the installation, the others find it.
  for (const name of names) {
    const port = await freePort();
    nodes.push({ name, port, url: `http://127.0.0.1:${port}`, process: await startServer(envOf(port)) });
  }
  const creds = await credentials({ ROLLCALL_DATABASE_URL: schema.urlInSchema, ROLLCALL_DATA_DIR: tempDataDir() });
  const sql = new pg.Pool({ connectionString: schema.urlInSchema, max: 2 });
  // A restart of the server ends the idle connections; the pool drops them and opens others.
  sql.on('error', () => undefined);
  const proxy = new TcpProxy(nodes[0]?.port ?? 0);
  await proxy.start();
  const workerSid = (name: string): string => {
    const found = creds.workers.find((w) => w.friendly_name === name);
    if (!found) throw new Error(`no worker ${name}`);
    return found.sid;
  };
  return {
    schema, nodes, creds, sql, proxy, dbProxy, workerSid,
    async availableAgent(name) {
      const token = await issueAccessToken({
        accountSid: creds.account_sid, apiKeySid: creds.api_key_sid, apiKeySecret: creds.api_key_secret, workspaceSid: creds.workspace_sid,
        workerSid: workerSid(name), identity: name, role: 'worker', ttlS: 3600, nowMs: Date.now(),
      });
      const agent = sdkWorker(token, proxy.url);
      agents.push(agent);
      await once(agent, 'ready');
      const { rows } = await sql.query<{ sid: string }>("SELECT sid FROM activities WHERE workspace_sid = $1 AND friendly_name = 'Available'", [creds.workspace_sid]);
      const available = agent.activities.get(rows[0]?.sid ?? '');
      if (!available) throw new Error('no Available activity');
      const updated = once(agent, 'activityUpdated');
      await available.setAsCurrent();
      await updated;
      return agent;
    },
    async kill(node) {
      const exited = new Promise((resolve) => node.process.once('exit', resolve));
      node.process.kill('SIGKILL');
      await exited;
    },
    async close() {
      for (const agent of agents) agent.disconnect();
      await proxy.close();
      if (dbProxy) dbProxy.refuseNew = false;
      await Promise.all(nodes.map(async (node) => {
        if (node.process.exitCode !== null || node.process.signalCode !== null) return;
        const exited = new Promise((resolve) => node.process.once('exit', resolve));
        node.process.kill('SIGTERM');
        await exited;
      }));
      await sql.end();
      await dbProxy?.close();
      await schema.drop();
    },
  };
}

/** What the log holds for one worker: its activity changes, oldest first. */
export async function activityLog(sql: pg.Pool, workerSid: string): Promise<{ cause: string; to_activity_sid: string; evidence: string | null; effective_at: number }[]> {
  const { rows } = await sql.query('SELECT cause, to_activity_sid, evidence, effective_at::float8 AS effective_at FROM activity_log WHERE worker_sid = $1 ORDER BY id', [workerSid]);
  return rows;
}
