/**
 * The composition root: the only place that picks concrete adapters (SQLite store, local bus,
 * system clock), reads the environment and wires facades to services.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { createLocalBus } from './bus/local-bus.js';
import { loadConfig, type Config } from './config.js';
import { AgentChannel } from './facades/eventbridge/agent-channel.js';
import { registerEnvelope } from './facades/eventbridge/envelope.js';
import { registerOpsRoutes } from './facades/ops/ops-routes.js';
import { logUpgrade, registerAccessLog } from './facades/ops/access-log.js';
import { registerMetricsRoute } from './facades/ops/metrics-routes.js';
import { registerConsoleFacade } from './facades/console/console-facade.js';
import { registerRestFacade } from './facades/rest/rest-facade.js';
import { frameworkErrorBody } from './facades/rest/wire.js';
import { createLogger } from './log.js';
import { AdminService } from './service/admin-service.js';
import { CallbackDispatcher } from './service/callback-dispatcher.js';
import { ConsoleFeed } from './service/console-feed.js';
import { ConsoleService } from './service/console-service.js';
import { SystemClock } from './service/clocks.js';
import { ApiKeys } from './service/credentials.js';
import { ensureInstallation, type Installation } from './service/first-run.js';
import { newSid } from './service/ids.js';
import type { Clock } from './service/ports.js';
import { PresenceService } from './service/presence-service.js';
import { ReportsService } from './service/reports-service.js';
import { RollcallMetrics } from './service/metrics.js';
import { StatisticsService } from './service/statistics-service.js';
import { createSqliteStore, type SqliteStore } from './store/sqlite/sqlite-store.js';
import { RoutingService } from './service/routing-service.js';

export interface Rollcall {
  readonly config: Config;
  readonly app: FastifyInstance;
  readonly store: SqliteStore;
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
}

export function configFromEnvironment(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export async function createRollcall(config: Config, options: RollcallOptions = {}): Promise<Rollcall> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? new SystemClock();
  if (config.databaseFile !== ':memory:') mkdirSync(config.dataDir, { recursive: true });
  const unlock = config.databaseFile === ':memory:' ? () => undefined : lockDataDir(config.dataDir);
  const metrics = new RollcallMetrics(clock);
  const store = metrics.timeStore(createSqliteStore({ file: config.databaseFile, clock, onCheckpointError: (message) => log.warn({ message }, 'background WAL checkpoint failed') }));
  const bus = createLocalBus((error) => log.error({ err: error }, 'bus subscriber failed'));
  const nodeId = newSid('node');
  const presence = new PresenceService({ store, bus, clock, log: log.child({ nodeId }), nodeId });
  await presence.start();
  const installation = await ensureInstallation(store, presence, { thresholdS: config.defaultThresholdS, demo: options.demo ?? false });
  const routing = new RoutingService({ store, presence, bus, clock, log: log.child({ nodeId, part: 'routing' }), observer: metrics.routing });
  metrics.follow({ bus, presence, store, log });
  await routing.start();
  const callbacks = new CallbackDispatcher({
    store, bus, clock, log: log.child({ nodeId, part: 'callbacks' }),
    retryBaseMs: config.callbackRetryBaseMs, timeoutMs: config.callbackTimeoutMs, onDeliveryFailed: (kind, final) => metrics.callbackFailed(kind, final),
    applyAssignment: (workspaceSid, reservationSid, status) => routing.updateReservation({ workspaceSid, reservationSid, status, actor: 'assignment-callback' }),
  });
  callbacks.start();

  // Typed as the default instance: facades take FastifyInstance and need not know the logger class.
  const app = Fastify({ loggerInstance: log, bodyLimit: config.bodyLimitBytes, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true,
    frameworkErrors: (error, req, reply) => void (reply as unknown as FastifyReply).code(400).send(frameworkErrorBody(error, req.url)) }) as unknown as FastifyInstance;
  registerAccessLog(app);
  await app.register(formbody);
  const channel = new AgentChannel({
    store, presence, bus, clock, log,
    pingIntervalMs: config.pingIntervalMs,
    livenessTimeoutMs: config.livenessTimeoutMs,
    heartbeatFrameMs: config.heartbeatFrameMs,
    tickMs: config.livenessTickMs,
  });
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  registerOpsRoutes(app, {
    async notReadyBecause() {
      if (state !== 'ready') return state;
      try {
        await store.nextDueAt();
        return null;
      } catch {
        return 'store unreachable';
      }
    },
  });
  registerMetricsRoute(app, { metrics, token: config.metricsToken });
  await registerEnvelope(app, { store, presence, clock, bodyLimitBytes: config.bodyLimitBytes, routingStore: store, routing, pushGate: channel });
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
    webDir: config.consoleDir ?? defaultConsoleDir(),
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
  });
  app.server.on('upgrade', (req, socket, head) => {
    logUpgrade(app.log, req, socket);
    channel.handleUpgrade(req, socket, head);
  });

  let heartbeat: NodeJS.Timeout | null = null;
  let baseUrl = '';
  const rollcall: Rollcall = {
    config, app, store, presence, routing, channel, consoleFeed, installation, log, metrics,
    url: () => baseUrl,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address() as AddressInfo;
      baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      channel.start();
      heartbeat = setInterval(() => {
        presence.heartbeat().catch((error: unknown) => log.error({ err: error }, 'node heartbeat failed'));
      }, config.nodeHeartbeatMs);
      state = 'ready';
      return baseUrl;
    },
    async close() {
      if (state === 'stopping') return;
      state = 'stopping';
      if (heartbeat) clearInterval(heartbeat);
      await routing.stop();
      await callbacks.stop();
      await presence.stop('server-restart');
      consoleFeed.stop();
      closeConsoleStreams();
      await channel.close();
      await app.close();
      metrics.stop();
      await store.close();
      unlock();
    },
  };
  return rollcall;
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

/** A second Rollcall process was started on a data directory in use. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/**
 * One Rollcall process per data directory: a second one would take the first one's connections
 * for a dead node's and log its agents out. The lock is a PID file; a file left by a process that
 * no longer runs (a crash) is taken over, so a restart after kill -9 starts at once.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'rollcall.pid');
  const mine = String(process.pid);
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, mine);
    closeSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new DataDirLockedError(`Another Rollcall process (pid ${holder}) is using ${dir}; run one process per data directory, or stop that one first.`, { cause: error });
    }
    writeFileSync(file, mine);
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
