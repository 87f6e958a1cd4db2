/**
 * The composition root: the only place that picks concrete adapters (SQLite store, local bus,
 * system clock), reads the environment and wires facades to services.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { createLocalBus } from './bus/local-bus.js';
import { createPgBus } from './bus/pg-bus.js';
import { loadConfig, type Config } from './config.js';
import { AgentChannel } from './facades/eventbridge/agent-channel.js';
import { registerEnvelope } from './facades/eventbridge/envelope.js';
import { createClientAddress } from './facades/http/client-address.js';
import { registerOpsRoutes } from './facades/ops/ops-routes.js';
import { logUpgrade, registerAccessLog } from './facades/ops/access-log.js';
import { registerMetricsRoute } from './facades/ops/metrics-routes.js';
import { registerConsoleFacade } from './facades/console/console-facade.js';
import { registerRestFacade } from './facades/rest/rest-facade.js';
import { frameworkErrorBody } from './facades/rest/wire.js';
import { createLogger } from './log.js';
import { AdminService } from './service/admin-service.js';
import { CallbackDispatcher } from './service/callback-dispatcher.js';
import { Retention } from './service/retention.js';
import { ConsoleFeed } from './service/console-feed.js';
import { ConsoleService } from './service/console-service.js';
import { SystemClock } from './service/clocks.js';
import { StoreClock } from './service/store-clock.js';
import { ApiKeys } from './service/credentials.js';
import { ensureInstallation, type Installation } from './service/first-run.js';
import { newSid } from './service/ids.js';
import type { Clock } from './service/ports.js';
import { NodeLease } from './service/node-lease.js';
import { PresenceService } from './service/presence-service.js';
import { ReportsService } from './service/reports-service.js';
import { RollcallMetrics } from './service/metrics.js';
import { StatisticsService } from './service/statistics-service.js';
import { createPostgresStore, type PostgresStore } from './store/postgres/postgres-store.js';
import { lockDataDir } from './store/sqlite/data-dir-lock.js';
import { createSqliteStore, type SqliteStore } from './store/sqlite/sqlite-store.js';
import { stopWithin } from './stop-sequence.js';

export { DataDirLockedError } from './store/sqlite/data-dir-lock.js';
import { RoutingService } from './service/routing-service.js';

/** The system of record on either engine: both offer the same ports. */
export type RollcallStore = SqliteStore | PostgresStore;

/** How often each node re-reads the earliest due times on PostgreSQL (deadlines other nodes committed). */
const DUE_POLL_MS = 1000;
/** Several nodes: how often each re-reads the routing catalogue (queues, workflows, workspaces) in case a notification was lost. */
const CATALOG_POLL_MS = 2000;
/**
 * Due logouts one claim takes on PostgreSQL. A claim's logouts run at once and commit together,
 * so the first waits for the last: a claim of 1 000 committed ~3 s after it started (the cluster
 * bench, commit instants). SQLite stops a claim after 40 ms of work whatever the count.
 */
const PG_DEADLINE_BATCH = 100;

export interface Rollcall {
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly store: RollcallStore;
  readonly presence: PresenceService;
  readonly routing: RoutingService;
  readonly channel: AgentChannel;
  readonly consoleFeed: ConsoleFeed;
  readonly installation: Installation;
  readonly log: Logger;
  readonly metrics: RollcallMetrics;
  /** Base URL once listening, e.g. http://127.0.0.1:4000. */
  url(): string;
  listen(): Promise<string>;
  /** Graceful stop: not ready, connections become disconnections, sockets closed with 1001. */
  close(): Promise<void>;
}

export interface RollcallOptions {
  readonly demo?: boolean;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Wraps the store port (fault injection in tests); every part of the node sees the wrapper. */
  readonly wrapStore?: (store: RollcallStore) => RollcallStore;
}

export function configFromEnvironment(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export async function createRollcall(config: Config, options: RollcallOptions = {}): Promise<Rollcall> {
  const log = options.logger ?? createLogger(config.logLevel);
  // Several nodes on PostgreSQL keep time by the database (store-clock.ts); SQLite's clock is the process's.
  const clock = options.clock ?? (config.databaseUrl !== null ? new StoreClock() : new SystemClock());
  // On PostgreSQL several nodes share the database; the data-directory lock is SQLite's (one process per file).
  const sqliteFile = config.databaseUrl === null && config.databaseFile !== ':memory:';
  // Owner only: the database holds the auth token and key secrets (docs/security.md).
  if (sqliteFile) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const unlock = sqliteFile ? lockDataDir(config.dataDir) : () => undefined;
  try {
    return await assemble(config, options, log, clock, unlock);
  } catch (error) {
    // A start that fails lets go of the directory at once (the process may live on: tests, embedders).
    unlock();
    throw error;
  }
}

async function assemble(config: Config, options: RollcallOptions, rootLog: Logger, clock: Clock, unlock: () => void): Promise<Rollcall> {
  const nodeId = newSid('node');
  // With several nodes each names itself in every log line, in /readyz and as a metrics label.
  const nodeName = config.nodeName ?? nodeId;
  const several = config.databaseUrl !== null;
  const log = several ? rootLog.child({ node: nodeName }) : rootLog;
  const metrics = new RollcallMetrics(clock);
  if (several) metrics.registry.setDefaultLabels({ node: nodeName });
  const opened = metrics.timeStore(await openStore(config, options.clock, log));
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  const syncClock = clock instanceof StoreClock ? () => clock.sync(() => store.storeNow()) : null;
  await syncClock?.();
  // Several nodes on PostgreSQL hear each other's changes (pg-bus.ts); one SQLite process needs no more than its own.
  const pgBus = config.databaseUrl !== null ? createPgBus({ url: config.databaseUrl, nodeTag: nodeId, log: log.child({ nodeId, part: 'bus' }), events: store }) : null;
  await pgBus?.start();
  const bus = pgBus ?? createLocalBus((error) => log.error({ err: error }, 'bus subscriber failed'));
  const presence = new PresenceService({ store, bus, clock, log: log.child({ nodeId }), nodeId, deadlineBatchSize: several ? PG_DEADLINE_BATCH : undefined });
  await presence.start();
  // The lease is renewed from registration on, not from the first listen: a start-up longer than the
  // lease (reading every worker of a large site) would otherwise get this node reaped as it opens.
  let dropAgents = (): void => undefined; // no sockets before the agent channel exists
  const lease = new NodeLease({
    presence, log: log.child({ part: 'lease' }), heartbeatMs: config.nodeHeartbeatMs, reapsOthers: config.databaseUrl !== null,
    newNodeId: () => newSid('node'), dropAgents: () => dropAgents(), syncClock,
  });
  lease.start();
  const installation = await ensureInstallation(store, presence, { thresholdS: config.defaultThresholdS, demo: options.demo ?? false });
  const routing = new RoutingService({
    store, presence, bus, clock, log: log.child({ nodeId, part: 'routing' }), observer: metrics.routing,
    // With other nodes, catalogue changes whose notification was lost are found within this (the event poll's interval).
    catalogPollMs: several ? CATALOG_POLL_MS : undefined,
  });
  metrics.follow({ bus, presence, store, log });
  await routing.start();
  const callbacks = new CallbackDispatcher({
    store, bus, clock, log: log.child({ nodeId, part: 'callbacks' }),
    retryBaseMs: config.callbackRetryBaseMs, timeoutMs: config.callbackTimeoutMs, onDeliveryFailed: (kind, final) => metrics.callbackFailed(kind, final),
    applyAssignment: (workspaceSid, reservationSid, status) => routing.updateReservation({ workspaceSid, reservationSid, status, actor: 'assignment-callback' }),
  });
  callbacks.start();
  const retention = new Retention({ store, clock, log: log.child({ part: 'retention' }), ...config.retention });

  // Typed as the default instance: facades take FastifyInstance and need not know the logger class.
  const app = Fastify({ loggerInstance: log, bodyLimit: config.bodyLimitBytes, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true,
    trustProxy: config.trustProxy, requestTimeout: config.limits.requestTimeoutMs, http: httpLimits(config.limits),
    frameworkErrors: (error, req, reply) => void (reply as unknown as FastifyReply).code(400).send(frameworkErrorBody(error, req.url)) }) as unknown as FastifyInstance;
  registerAccessLog(app);
  await app.register(formbody);
  // Before any route; each facade builds its own per-address hook from it (facades/http/rate-limits.ts).
  await app.register(rateLimit, { global: false });
  const tokenPolicy = { maxLifetimeS: config.tokenMaxTtlS };
  const channel = new AgentChannel({
    store, presence, bus, clock, log,
    pingIntervalMs: config.pingIntervalMs,
    livenessTimeoutMs: config.livenessTimeoutMs,
    heartbeatFrameMs: config.heartbeatFrameMs,
    tickMs: config.livenessTickMs,
    tokenPolicy,
    caps: config.limits,
    clientAddress: createClientAddress(config.trustProxy),
  });
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  registerOpsRoutes(app, {
    node: nodeName,
    async notReadyBecause() {
      if (state !== 'ready') return state;
      const refusing = channel.refusingBecause;
      if (refusing) return refusing;
      try {
        await store.nextDueAt();
        return null;
      } catch {
        return 'store unreachable';
      }
    },
  });
  registerMetricsRoute(app, { metrics, token: config.metricsToken });
  await registerEnvelope(app, { store, presence, clock, bodyLimitBytes: config.bodyLimitBytes, routingStore: store, routing, pushGate: channel,
    sessions: channel, tokenPolicy, limitPerMin: config.limits.envelopePerMin });
  const admin = new AdminService({
    store, bus, presence, log, defaultThresholdMs: config.defaultThresholdS * 1000,
    workspaces: { added: (sid) => routing.addWorkspace(sid), removed: (sid) => routing.removeWorkspace(sid), holdChanged: (sid, on) => routing.followRoutingHold(sid, on) },
  });
  const consoleFeed = new ConsoleFeed({ store, bus, presence, clock, log: log.child({ part: 'console' }) });
  consoleFeed.start();
  const reports = new ReportsService({ store, clock });
  const closeConsoleStreams = await registerConsoleFacade(app, {
    console: new ConsoleService({ store, clock, sessionTtlMs: config.consoleSessionTtlMs, agentLinkTtlMs: config.agentLinkTtlMs, tokenTtlS: config.tokenTtlS }),
    admin, feed: consoleFeed, reports, clock, log: log.child({ part: 'console' }), publicUrl: config.publicUrl,
    webDir: config.consoleDir ?? defaultConsoleDir(), signInPerMin: config.limits.signInPerMin,
  });
  await registerRestFacade(app, {
    store,
    admin,
    statistics: new StatisticsService({ store, clock }),
    reports,
    routing,
    routingStore: store,
    keys: new ApiKeys(store),
    callbacks: store,
    clock,
    publicUrl: config.publicUrl,
    log,
    limitPerMin: config.limits.restPerMin,
  });
  app.server.on('upgrade', (req, socket, head) => {
    logUpgrade(app.log, req, socket);
    channel.handleUpgrade(req, socket, head);
  });

  let duePoll: NodeJS.Timeout | null = null;
  dropAgents = () => channel.dropAll();
  let baseUrl = '';
  const rollcall: Rollcall = {
    config, app, store, presence, routing, channel, consoleFeed, installation, log, metrics,
    url: () => baseUrl,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address() as AddressInfo;
      baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      channel.start();
      retention.start();
      // Another node's committed deadline (or a dead node's) wakes no timer here: re-read the earliest due times.
      if (pgBus) duePoll = setInterval(() => void Promise.all([presence.scheduler.refresh(), presence.holdEnds.refresh(), routing.scheduler.refresh()]), DUE_POLL_MS);
      state = 'ready';
      return baseUrl;
    },
    async close() {
      if (state === 'stopping') return;
      state = 'stopping';
      await lease.stop();
      if (duePoll) clearInterval(duePoll);
      await stopWithin(config.shutdownGraceMs, log, [
        ['stop retention', () => retention.stop()],
        ['stop accepting agents; land kept connection ends', (startedAt) => channel.stopAccepting(startedAt + config.shutdownGraceMs / 4 - Date.now())],
        ['stop routing', () => routing.stop()],
        ['stop callbacks', () => callbacks.stop()],
        ['retire this node', () => presence.stop('server-restart')],
        ['close console streams', () => {
          consoleFeed.stop();
          closeConsoleStreams();
        }],
        ['close agent sockets', (startedAt) => channel.close(startedAt + config.shutdownGraceMs / 2 - Date.now())],
        ['close the HTTP server', () => app.close()],
        ['stop metrics', () => metrics.stop()],
        ['stop the bus', () => pgBus?.stop()],
        ['close the store', () => store.close()],
        ['release the data directory', () => unlock()],
      ]);
    },
  };
  return rollcall;
}

/**
 * The engine the configuration names: PostgreSQL for `ROLLCALL_DATABASE_URL` (time is the
 * database's unless a test passes a clock), else SQLite in the data directory (time is the node's).
 */
async function openStore(config: Config, testClock: Clock | undefined, log: Logger): Promise<RollcallStore> {
  if (config.databaseUrl !== null) {
    return createPostgresStore({ url: config.databaseUrl, clock: testClock, nodeLeaseMs: config.nodeLeaseMs, onConnectionError: (message) => log.warn({ message }, 'PostgreSQL connection failed') });
  }
  return createSqliteStore({ file: config.databaseFile, clock: testClock ?? new SystemClock(), onCheckpointError: (message) => log.warn({ message }, 'background WAL checkpoint failed') });
}

/**
 * The built console beside this installation: dist/web at the package root, whether this module
 * runs compiled (dist/src/main.js) or from source under a test runner (src/main.ts).
 */
function defaultConsoleDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.basename(here) === 'src' && path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
  return path.join(root, 'dist', 'web');
}

/**
 * Node's own limits, given at the server's construction (a requestTimeout set afterwards is not
 * enforced). Node checks the timeouts every 30 s by default; a shorter timeout needs closer checks.
 */
function httpLimits(limits: Config['limits']): { maxHeaderSize: number; requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const timeoutMs = limits.requestTimeoutMs;
  return {
    maxHeaderSize: limits.headerLimitBytes,
    requestTimeout: timeoutMs,
    headersTimeout: timeoutMs === 0 ? 60_000 : Math.min(60_000, timeoutMs),
    connectionsCheckingInterval: timeoutMs === 0 ? 30_000 : Math.min(30_000, Math.max(100, Math.floor(timeoutMs / 4))),
  };
}
