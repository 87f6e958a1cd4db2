/**
 * Configuration: one schema, defaults with units in the names, validated once at boot. Every
 * problem is listed in one error; the result is frozen. Only main.ts passes the environment in.
 */
import path from 'node:path';
import { z } from 'zod';
import { createClientAddress } from './facades/http/client-address.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z
  .object({
    PORT: int(0, 65_535).default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    ROLLCALL_DATA_DIR: z.string().min(1).default('./data'),
    /** `postgres://user@host:port/database`: the PostgreSQL engine (several nodes). Unset: SQLite in the data directory. */
    ROLLCALL_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// (or postgresql://) URL').optional(),
    ROLLCALL_PUBLIC_URL: z.url().optional(),
    ROLLCALL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ROLLCALL_PING_INTERVAL_MS: int(100, 600_000).default(10_000),
    ROLLCALL_LIVENESS_TIMEOUT_MS: int(200, 1_800_000).default(21_000),
    ROLLCALL_HEARTBEAT_FRAME_MS: int(100, 25_000).default(15_000),
    ROLLCALL_LIVENESS_TICK_MS: int(10, 1000).default(100),
    /** How this node names itself in logs, /readyz and metrics (several nodes); default: its node id. */
    ROLLCALL_NODE_NAME: z.string().regex(/^[\w.:-]{1,64}$/, 'must be 1–64 letters, digits, _ . : or -').optional(),
    ROLLCALL_NODE_HEARTBEAT_MS: int(50, 60_000).default(5000),
    /** PostgreSQL: a node whose last heartbeat is older than this is reaped by another node (its agents lost at that heartbeat). */
    ROLLCALL_NODE_LEASE_MS: int(150, 600_000).default(15_000),
    ROLLCALL_BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
    ROLLCALL_TOKEN_TTL_S: int(60, 86_400).default(3600),
    /** The longest access token accepted (exp − iat); Twilio's access tokens last at most 24 h. */
    ROLLCALL_TOKEN_MAX_TTL_S: int(60, 30 * 86_400).default(86_400),
    /** Open agent sockets per worker (a session with closeExistingSessions=true replaces, so it is never refused). */
    ROLLCALL_MAX_SESSIONS_PER_WORKER: int(1, 1000).default(20),
    /** Open or opening agent sockets per client address (agents behind one NAT share one). */
    ROLLCALL_MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(25_000),
    /** Agent upgrades being admitted at once (token, worker, connection committed); more are answered 503 with Retry-After. */
    ROLLCALL_MAX_UPGRADES_IN_FLIGHT: int(1, 100_000).default(200),
    /** Requests per minute per client address; 0 turns that limit off. */
    ROLLCALL_RATE_LIMIT_REST_PER_MIN: int(0, 10_000_000).default(120_000),
    ROLLCALL_RATE_LIMIT_ENVELOPE_PER_MIN: int(0, 10_000_000).default(120_000),
    ROLLCALL_RATE_LIMIT_SIGN_IN_PER_MIN: int(0, 100_000).default(60),
    /** Time a client has to send a whole request (Node's requestTimeout); 0 turns it off. */
    ROLLCALL_REQUEST_TIMEOUT_MS: int(0, 600_000).default(30_000),
    /** Largest request line plus headers (Node's maxHeaderSize). */
    ROLLCALL_HEADER_LIMIT_BYTES: int(1024, 1024 * 1024).default(16 * 1024),
    /**
     * Whom to believe about X-Forwarded-For/-Proto/-Host: `false` (nobody, the default), `true`
     * (any peer), or a comma list of proxy addresses and CIDR ranges (`loopback`, `10.0.0.0/8`).
     */
    ROLLCALL_TRUST_PROXY: z.string().trim().min(1).default('false'),
    /** The offline threshold a new workspace starts with (the Flex default is 30 s). */
    ROLLCALL_DEFAULT_THRESHOLD_S: int(1, 86_400).default(30),
    ROLLCALL_SHUTDOWN_GRACE_MS: int(0, 60_000).default(5000),
    /** How long a console sign-in lasts. */
    ROLLCALL_CONSOLE_SESSION_TTL_S: int(60, 30 * 86_400).default(12 * 3600),
    /** How long a one-time agent sign-in link can be used. */
    ROLLCALL_AGENT_LINK_TTL_S: int(30, 7 * 86_400).default(15 * 60),
    /** Wait before the first retry of a failed event callback; each next one doubles it (up to 10 min). */
    ROLLCALL_CALLBACK_RETRY_BASE_MS: int(10, 3_600_000).default(2000),
    /** How long a callback URL may take to answer (Twilio allows 15 s). */
    ROLLCALL_CALLBACK_TIMEOUT_MS: int(100, 60_000).default(15_000),
    /** The built console (dist/web); defaults to the one beside this installation. */
    ROLLCALL_CONSOLE_DIR: z.string().min(1).optional(),
    /** Days events (and finished callback deliveries) are kept; Twilio keeps events 30 days. 0 keeps them forever. */
    ROLLCALL_EVENT_RETENTION_DAYS: int(0, 36_500).default(30),
    /** Days completed and canceled tasks (with their reservations) are kept. 0 keeps them forever. */
    ROLLCALL_TASK_RETENTION_DAYS: int(0, 36_500).default(30),
    /** Days of activity log and disconnection episodes (what billing reports read). 0 keeps them forever. */
    ROLLCALL_HISTORY_RETENTION_DAYS: int(0, 36_500).default(400),
    /** How often retention runs. */
    ROLLCALL_RETENTION_INTERVAL_S: int(1, 86_400).default(3600),
    /** Bearer token `/metrics` asks for; unset, it answers loopback clients only. */
    ROLLCALL_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^\S+$/, 'must not contain spaces').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.ROLLCALL_LIVENESS_TIMEOUT_MS <= c.ROLLCALL_PING_INTERVAL_MS) {
      ctx.addIssue({ code: 'custom', path: ['ROLLCALL_LIVENESS_TIMEOUT_MS'], message: `must be longer than ROLLCALL_PING_INTERVAL_MS (${c.ROLLCALL_PING_INTERVAL_MS}), or every pause between pings looks like a loss` });
    }
    if (c.ROLLCALL_NODE_LEASE_MS < 2 * c.ROLLCALL_NODE_HEARTBEAT_MS) {
      ctx.addIssue({ code: 'custom', path: ['ROLLCALL_NODE_LEASE_MS'], message: `must be at least twice ROLLCALL_NODE_HEARTBEAT_MS (${c.ROLLCALL_NODE_HEARTBEAT_MS}), or one late renewal gets a live node reaped` });
    }
    if (c.ROLLCALL_TOKEN_TTL_S > c.ROLLCALL_TOKEN_MAX_TTL_S) {
      ctx.addIssue({ code: 'custom', path: ['ROLLCALL_TOKEN_TTL_S'], message: `must not exceed ROLLCALL_TOKEN_MAX_TTL_S (${c.ROLLCALL_TOKEN_MAX_TTL_S}): the server would refuse its own tokens` });
    }
    const trust = c.ROLLCALL_TRUST_PROXY;
    if (/^\d+$/.test(trust)) {
      ctx.addIssue({ code: 'custom', path: ['ROLLCALL_TRUST_PROXY'], message: 'a hop count cannot tell a proxy from a client; give true, false, or the proxies\' addresses (e.g. loopback or 10.0.0.0/8)' });
    } else if (trust !== 'true' && trust !== 'false') {
      try {
        createClientAddress(trust);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['ROLLCALL_TRUST_PROXY'], message: `must be true, false or a comma list of addresses and CIDR ranges: ${(error as Error).message}` });
      }
    }
    if (c.ROLLCALL_LIVENESS_TICK_MS > c.ROLLCALL_PING_INTERVAL_MS || c.ROLLCALL_LIVENESS_TICK_MS > c.ROLLCALL_HEARTBEAT_FRAME_MS) {
      ctx.addIssue({ code: 'custom', path: ['ROLLCALL_LIVENESS_TICK_MS'], message: 'must not exceed the ping interval or the heartbeat frame interval' });
    }
  });

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseFile: string;
  /** Set: the system of record is this PostgreSQL database (no data-directory lock, no SQLite file). Null: SQLite. */
  readonly databaseUrl: string | null;
  readonly publicUrl: string | null;
  readonly logLevel: string;
  readonly pingIntervalMs: number;
  readonly livenessTimeoutMs: number;
  readonly heartbeatFrameMs: number;
  readonly livenessTickMs: number;
  readonly nodeHeartbeatMs: number;
  readonly nodeLeaseMs: number;
  readonly nodeName: string | null;
  readonly bodyLimitBytes: number;
  readonly tokenTtlS: number;
  readonly tokenMaxTtlS: number;
  readonly limits: Limits;
  /** Fastify's trustProxy: false, true, or a comma list of addresses and CIDR ranges. */
  readonly trustProxy: boolean | string;
  readonly defaultThresholdS: number;
  readonly shutdownGraceMs: number;
  readonly consoleSessionTtlMs: number;
  readonly agentLinkTtlMs: number;
  readonly callbackRetryBaseMs: number;
  readonly callbackTimeoutMs: number;
  /** Null: the default, dist/web of this installation. */
  readonly consoleDir: string | null;
  /** Null: `/metrics` answers loopback clients only. */
  readonly metricsToken: string | null;
  readonly retention: { readonly eventDays: number; readonly taskDays: number; readonly historyDays: number; readonly intervalMs: number };
}

/** Abuse limits; every one is a setting (docs/security.md says how each default was chosen). */
export interface Limits {
  readonly sessionsPerWorker: number;
  readonly connectionsPerIp: number;
  readonly upgradesInFlight: number;
  /** Requests per minute per client address; 0: no limit. */
  readonly restPerMin: number;
  readonly envelopePerMin: number;
  readonly signInPerMin: number;
  readonly requestTimeoutMs: number;
  readonly headerLimitBytes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const known = Object.fromEntries(Object.keys(schema.shape ?? {}).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.ROLLCALL_DATA_DIR);
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    dataDir,
    databaseFile: path.join(dataDir, 'rollcall.sqlite'),
    databaseUrl: c.ROLLCALL_DATABASE_URL ?? null,
    publicUrl: c.ROLLCALL_PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    logLevel: c.ROLLCALL_LOG_LEVEL,
    pingIntervalMs: c.ROLLCALL_PING_INTERVAL_MS,
    livenessTimeoutMs: c.ROLLCALL_LIVENESS_TIMEOUT_MS,
    heartbeatFrameMs: c.ROLLCALL_HEARTBEAT_FRAME_MS,
    livenessTickMs: c.ROLLCALL_LIVENESS_TICK_MS,
    nodeHeartbeatMs: c.ROLLCALL_NODE_HEARTBEAT_MS,
    nodeLeaseMs: c.ROLLCALL_NODE_LEASE_MS,
    nodeName: c.ROLLCALL_NODE_NAME ?? null,
    bodyLimitBytes: c.ROLLCALL_BODY_LIMIT_BYTES,
    tokenTtlS: c.ROLLCALL_TOKEN_TTL_S,
    tokenMaxTtlS: c.ROLLCALL_TOKEN_MAX_TTL_S,
    limits: Object.freeze({
      sessionsPerWorker: c.ROLLCALL_MAX_SESSIONS_PER_WORKER,
      connectionsPerIp: c.ROLLCALL_MAX_CONNECTIONS_PER_IP,
      upgradesInFlight: c.ROLLCALL_MAX_UPGRADES_IN_FLIGHT,
      restPerMin: c.ROLLCALL_RATE_LIMIT_REST_PER_MIN,
      envelopePerMin: c.ROLLCALL_RATE_LIMIT_ENVELOPE_PER_MIN,
      signInPerMin: c.ROLLCALL_RATE_LIMIT_SIGN_IN_PER_MIN,
      requestTimeoutMs: c.ROLLCALL_REQUEST_TIMEOUT_MS,
      headerLimitBytes: c.ROLLCALL_HEADER_LIMIT_BYTES,
    }),
    trustProxy: c.ROLLCALL_TRUST_PROXY === 'true' ? true : c.ROLLCALL_TRUST_PROXY === 'false' ? false : c.ROLLCALL_TRUST_PROXY,
    defaultThresholdS: c.ROLLCALL_DEFAULT_THRESHOLD_S,
    shutdownGraceMs: c.ROLLCALL_SHUTDOWN_GRACE_MS,
    consoleSessionTtlMs: c.ROLLCALL_CONSOLE_SESSION_TTL_S * 1000,
    agentLinkTtlMs: c.ROLLCALL_AGENT_LINK_TTL_S * 1000,
    callbackRetryBaseMs: c.ROLLCALL_CALLBACK_RETRY_BASE_MS,
    callbackTimeoutMs: c.ROLLCALL_CALLBACK_TIMEOUT_MS,
    consoleDir: c.ROLLCALL_CONSOLE_DIR === undefined ? null : path.resolve(c.ROLLCALL_CONSOLE_DIR),
    retention: {
      eventDays: c.ROLLCALL_EVENT_RETENTION_DAYS, taskDays: c.ROLLCALL_TASK_RETENTION_DAYS,
      historyDays: c.ROLLCALL_HISTORY_RETENTION_DAYS, intervalMs: c.ROLLCALL_RETENTION_INTERVAL_S * 1000,
    },
    metricsToken: c.ROLLCALL_METRICS_TOKEN ?? null,
  });
}
