/**
 * Property-based fuzzing of Rollcall's inputs with fast-check: every REST route's path, query and
 * form parameters, the EventBridge envelope, the WebSocket upgrade (query, headers, tokens) and
 * frames an agent sends. The properties, for every generated case: no 5xx, no crash, every refusal in
 * the caller's dialect (Twilio's error body with a numeric code on REST, `{message}` on the envelope),
 * and the store byte-for-byte unchanged after a refused request (a digest of every table).
 *
 * Used by `npm test` (test/integration/fuzz.test.ts, a small sample) and `npm run bench:fuzz`
 * (bench/fuzz-bench.ts, at least 100 000 cases). A failing case is thrown with the request, so
 * fast-check shrinks it and prints the smallest one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pino from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { REST_ROUTE_SETS } from '../src/facades/rest/rest-facade.js';
import { createRollcall, type Rollcall } from '../src/main.js';
import { issueAccessToken } from '../src/service/access-tokens.js';

export interface FuzzWorld {
  readonly rollcall: Rollcall;
  readonly url: string;
  readonly basic: string;
  /** Seeded resources by SID prefix (WS, WK, WA, WQ, WW, WT, WR, TC, SK, AC, EV …). */
  readonly sids: Readonly<Record<string, readonly string[]>>;
  readonly tokens: readonly string[];
  /** How many cases got each HTTP status, by kind (rest, envelope, upgrade). */
  readonly tally: Record<string, Record<number, number>>;
  /** A mark of the store as it is now, for `unchangedSince`. */
  mark(): StoreMark;
  /**
   * Whether the store holds what it held at `mark`: true at once when no connection committed since
   * (SQLite's data_version), else by comparing digests of every table but the clock-driven ones
   * (a background commit that changed nothing).
   */
  unchangedSince(mark: StoreMark): boolean;
  close(): Promise<void>;
}

export interface StoreMark { readonly version: number; readonly digest: string }

/** Tables whose rows change with time, not with requests. */
const CLOCK_TABLES = new Set(['nodes']);

export async function startFuzzWorld(): Promise<FuzzWorld> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-fuzz-'));
  const config = loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dir, ROLLCALL_LOG_LEVEL: 'silent', ROLLCALL_NODE_HEARTBEAT_MS: '60000', ROLLCALL_NODE_LEASE_MS: '120000' });
  const rollcall = await createRollcall(config, { demo: true, logger: pino({ level: 'silent' }) });
  const url = await rollcall.listen();
  const { account, apiKey, workspace, workers } = rollcall.installation;
  const basic = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`;
  const rest = async (method: string, route: string, form: Record<string, string>): Promise<Record<string, unknown>> => {
    const res = await fetch(`${url}/v1/Workspaces/${workspace.sid}${route}`, {
      method, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const queue = await rest('POST', '/TaskQueues', { FriendlyName: 'Fuzz', TargetWorkers: '1==1' });
  const workflow = await rest('POST', '/Workflows', { FriendlyName: 'Fuzz', Configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
  const task = await rest('POST', '/Tasks', { WorkflowSid: String(workflow.sid), Attributes: '{"fuzz":true}' });
  const store = rollcall.store;
  const activities = await store.listActivities(workspace.sid);
  const channels = await store.listTaskChannels(workspace.sid);
  const events = await store.events(workspace.sid);
  const sids: Record<string, string[]> = {
    AC: [account.sid], SK: [apiKey.sid], WS: [workspace.sid], WK: workers.map((w) => w.sid), WA: activities.map((a) => a.sid),
    WQ: [String(queue.sid)], WW: [String(workflow.sid)], WT: [String(task.sid)], TC: channels.map((c) => c.sid), EV: events.slice(0, 3).map((e) => e.sid),
  };
  const sign = (workerSid: string | undefined, role: 'worker' | 'admin') => issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
    ...(workerSid ? { workerSid } : {}), identity: 'fuzz', role, ttlS: 3600, nowMs: Date.now(),
  });
  const tokens = [await sign(workers[0]?.sid, 'worker'), await sign(workers[1]?.sid, 'admin'), await sign(undefined, 'admin')];
  // A second connection reads the file while Rollcall runs (WAL: readers see the last commit).
  const reader = new Database(path.join(dir, 'rollcall.sqlite'), { readonly: true });
  const tables = reader.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
    .map((t) => t.name).filter((name) => !CLOCK_TABLES.has(name));
  const selects = tables.map((name) => reader.prepare(`SELECT * FROM "${name}"`));
  const digest = (): string => {
    const hash = createHash('sha256');
    for (const select of selects) for (const row of select.raw().iterate()) hash.update(JSON.stringify(row));
    return hash.digest('hex');
  };
  const dataVersion = (): number => reader.pragma('data_version', { simple: true }) as number;
  let last: StoreMark = { version: dataVersion(), digest: digest() };
  return {
    rollcall, url, basic, sids, tokens, tally: { rest: {}, envelope: {}, upgrade: {} },
    mark() {
      // The digest is taken now, before the case runs, unless nothing committed since the last one.
      const version = dataVersion();
      if (version !== last.version) last = { version, digest: digest() };
      return last;
    },
    unchangedSince(mark) {
      return dataVersion() === mark.version || digest() === mark.digest;
    },
    async close() {
      reader.close();
      await rollcall.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ── generators ──

/** 32 hex digits, as in a SID (fc.stringMatching is an order of magnitude slower to generate). */
const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('hex'));

const nasty = fc.constantFrom('', ' ', '%', '%zz', '../..', '\u0000', '\u202e', 'null', 'undefined', '[]', '{}', '{"a":', 'true', '-1', '1e309', 'NaN', '9'.repeat(40), 'x'.repeat(5000), '😀', '<script>', "' OR 1=1 --");

/**
 * A seeded resource is generated as a marker (`@@WK1@@`, `@@TOKEN0@@`) and resolved when the case is
 * sent, against the world of that moment: a case that deletes the workspace ends that world, and the
 * next case runs against a fresh one (see FuzzRunner).
 */
const marker = (kind: string, index: number): string => `@@${kind}${index}@@`;

export function resolve(world: FuzzWorld, text: string): string {
  return text.replace(/@@([A-Z]+)(\d)@@/g, (_m, kind: string, i: string) => {
    const list = kind === 'TOKEN' ? world.tokens : world.sids[kind] ?? [];
    return list.length > 0 ? (list[Number(i) % list.length] ?? '') : `${kind}${'0'.repeat(32)}`;
  });
}

function sidLike(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }).map((i) => marker(prefix, i)) },
    { weight: 2, arbitrary: hex32.map((hex) => `${prefix}${hex}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: nasty },
  );
}

const PREFIXES = ['AC', 'SK', 'WS', 'WK', 'WA', 'WQ', 'WW', 'WT', 'WR', 'TC', 'EV'];

function value(): fc.Arbitrary<string> {
  const anySid = fc.constantFrom(...PREFIXES).chain((prefix) => sidLike(prefix));
  return fc.oneof(
    anySid, nasty, fc.string({ maxLength: 60 }), fc.integer().map(String), fc.boolean().map(String),
    fc.constantFrom('pending', 'reserved', 'assigned', 'canceled', 'completed', 'wrapping', 'accepted', 'rejected', 'available', 'voice', 'default', 'FIFO', 'LIFO', 'COLD', 'WARM'),
    // Twilio booleans in other cases, lists, orderings and page tokens, as the route schemas read them.
    fc.constantFrom('TRUE', 'False', 'yes', '0', 'pending,assigned', 'DateCreated:desc', 'Priority:asc,DateCreated:desc', 'PA0', 'PB5', 'PAx', '15', '1000', '1001'),
    fc.json({ maxDepth: 3 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('1 == 1', 'skills HAS "x"', 'a IN [', 'worker.x > 3 AND'),
  );
}

const PARAM_NAMES = [
  'FriendlyName', 'Attributes', 'ActivitySid', 'Available', 'RejectPendingReservations', 'AssignmentStatus', 'Reason', 'Priority', 'Timeout', 'WorkflowSid',
  'TaskQueueSid', 'TaskChannel', 'TargetWorkers', 'Configuration', 'TaskReservationTimeout', 'MaxReservedWorkers', 'TaskOrder', 'ReservationActivitySid',
  'AssignmentActivitySid', 'DefaultActivitySid', 'TimeoutActivitySid', 'EventCallbackUrl', 'EventsFilter', 'MultiTaskEnabled', 'Template', 'PrioritizeQueueOrder',
  'ReservationStatus', 'WorkerActivitySid', 'Instruction', 'Capacity', 'UniqueName', 'RoutingTarget', 'VirtualStartTime', 'EvaluateTaskAttributes',
  'PageSize', 'Page', 'PageToken', 'Ordering', 'StartDate', 'EndDate', 'Minutes', 'Granularity', 'TimeZone', 'Rounding', 'WorkerSid', 'EventType',
  'ResourceSid', 'TaskQueueName', 'WorkflowName', 'ActivityName', 'HasAddons', 'TargetWorkersExpression', 'Thresholds', 'AfterSid', 'ReservationSid',
  'ui_attributes', 'account_sid', 'taskrouter_offline_activity_sid', 'RoutingHoldWhileDisconnected', 'IfMatch',
  'Threshold', 'Sid', 'Status', 'Kind', 'KeyType', 'Policy', 'AccountSid', 'EvaluateWorkerAttributes', 'ReEvaluateTasks', 'ChannelOptimizedRouting',
  'SplitByWaitTime', 'IgnoreCapacity', 'AssignmentCallbackUrl', 'FallbackAssignmentCallbackUrl', 'taskrouter_workspace_sid', 'offline_config',
];

/** Parameters, sometimes with a key repeated (a list, or a scalar given twice) or sent as `Name[key]`. */
function params(): fc.Arbitrary<[string, string][]> {
  const name = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...PARAM_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('Attributes[skill]', 'EvaluateWorkerAttributes[a]', 'offline_config[presence]') },
  );
  return fc.record({ pairs: fc.array(fc.tuple(name, value()), { maxLength: 6 }), repeat: fc.nat({ max: 3 }), again: value() })
    .map(({ pairs, repeat, again }) => (repeat === 0 && pairs[0] ? [...pairs, [pairs[0][0], again] as [string, string]] : pairs));
}

export interface RestCase {
  readonly method: string;
  readonly url: string;
  readonly form: [string, string][];
  readonly auth: 'account' | 'none' | 'wrong';
  /** How a POST body is sent: form-encoded (the library), or JSON with typed values (`true`, 5, objects). */
  readonly encoding: 'form' | 'json';
}

export function restCases(): fc.Arbitrary<RestCase> {
  const routes = REST_ROUTE_SETS.flatMap((set) => set.routes.map((r) => ({ method: r.method, url: `${set.prefix}${r.url}` })));
  const route = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...routes) }, { weight: 1, arbitrary: fc.record({ method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), url: fc.constantFrom('/v1/Nope', '/v1/Workspaces/%', '/2010-04-01/Accounts', '/v1/Workspaces/WS/../..') }) });
  return fc.record({
    route,
    methodSwap: fc.integer({ min: 0, max: 19 }),
    other: fc.constantFrom('GET', 'POST', 'DELETE'),
    form: params(),
    auth: fc.constantFrom<RestCase['auth']>('account', 'account', 'account', 'account', 'account', 'account', 'none', 'wrong'),
    encoding: fc.constantFrom<RestCase['encoding']>('form', 'form', 'form', 'form', 'json'),
  }).chain(({ route: r, methodSwap, other, form, auth, encoding }) => {
    const names = [...r.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? '');
    const prefixOf = (param: string): string => PATH_PREFIX[param] ?? 'XX';
    return fc.tuple(...names.map((n) => sidLike(prefixOf(n)))).map((values) => {
      let url = r.url;
      const encode = (v: string): string => (/^@@[A-Z]+\d@@$/.test(v) ? v : encodeURIComponent(v));
      names.forEach((n, i) => (url = url.replace(`:${n}`, `${encode(values[i] ?? '')}${n === 'keyFile' ? '.json' : ''}`)));
      return { method: methodSwap === 0 ? other : r.method, url, form, auth, encoding };
    });
  });
}

const PATH_PREFIX: Readonly<Record<string, string>> = {
  workspaceSid: 'WS', workerSid: 'WK', activitySid: 'WA', taskQueueSid: 'WQ', workflowSid: 'WW', taskSid: 'WT', reservationSid: 'WR',
  taskChannelSid: 'TC', workerChannelSid: 'TC', keySid: 'SK', keyFile: 'SK', accountSid: 'AC', eventSid: 'EV',
};

export interface Outcome { readonly status: number; readonly body: string }

export async function sendRest(world: FuzzWorld, c: RestCase): Promise<Outcome> {
  const headers: Record<string, string> = {};
  if (c.auth === 'account') headers.authorization = world.basic;
  if (c.auth === 'wrong') headers.authorization = `Basic ${Buffer.from('AC00000000000000000000000000000000:nope').toString('base64')}`;
  const pairs = c.form.map(([k, v]): [string, string] => [k, resolve(world, v)]);
  const search = new URLSearchParams(pairs).toString();
  const url = resolve(world, c.url);
  const json = c.encoding === 'json';
  const response = await world.rollcall.app.inject({
    method: c.method as 'GET', url: c.method === 'GET' || c.method === 'DELETE' ? `${url}${search ? `?${search}` : ''}` : url,
    headers: c.method === 'POST' ? { ...headers, 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' } : headers,
    ...(c.method === 'POST' ? { payload: json ? jsonBody(pairs) : search } : {}),
  });
  count(world, 'rest', response.statusCode);
  return { status: response.statusCode, body: response.body };
}

/** The parameters as a JSON object, each value typed when it parses as JSON (`true`, 5, `{}`, `[1]`). */
function jsonBody(pairs: readonly [string, string][]): string {
  const typed = (v: string): unknown => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  return JSON.stringify(Object.fromEntries(pairs.map(([k, v]) => [k, typed(v)])));
}

function count(world: FuzzWorld, kind: string, status: number): void {
  const byStatus = (world.tally[kind] ??= {});
  byStatus[status] = (byStatus[status] ?? 0) + 1;
}

/** Twilio's error body: numeric `code` and `status` (the HTTP one), `message`, `more_info`. */
export function checkTwilioError(o: Outcome): string | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(o.body) as Record<string, unknown>;
  } catch {
    return `refusal ${o.status} is not JSON: ${o.body.slice(0, 120)}`;
  }
  if (typeof body.code !== 'number' || typeof body.message !== 'string' || body.message === '' || body.status !== o.status || typeof body.more_info !== 'string') {
    return `refusal ${o.status} is not Twilio-shaped: ${o.body.slice(0, 200)}`;
  }
  return null;
}

export interface EnvelopeCase { readonly body: string; readonly contentType: string }

export function envelopeCases(): fc.Arbitrary<EnvelopeCase> {
  const ws = marker('WS', 0);
  const paths = fc.oneof(
    fc.constantFrom('Workers/{WK}', 'Activities', 'Workers/{WK}/WorkerChannels', 'Workers/{WK}/Reservations', 'Workers/{WK}/Reservations/{WR}', 'Tasks', 'Tasks/{WT}',
      'TaskQueues', 'TaskQueues/{WQ}', 'Workers', 'Workers/{WK}/Transfers', 'Tasks/{WT}/Reservations/{WR}', 'Workers/{WK}/WorkerParticipant', ''),
    fc.string({ maxLength: 30 }),
  ).chain((p) => fc.tuple(sidLike('WK'), sidLike('WT'), sidLike('WQ'), hex32)
    .map(([wk, wt, wq, hex]) => p.replace('{WK}', wk).replace('{WT}', wt).replace('{WQ}', wq).replace('{WR}', `WR${hex}`)));
  const envelope = fc.record({
    url: fc.oneof({ weight: 9, arbitrary: paths.map((p) => `Workspaces/${ws}/${p}`) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }),
    method: fc.constantFrom('GET', 'POST', 'GET', 'POST', 'DELETE', 'PATCH'),
    params: fc.oneof({ weight: 9, arbitrary: params().map((pairs) => Object.fromEntries(pairs)) }, { weight: 1, arbitrary: fc.jsonValue() }),
    token: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => marker('TOKEN', i)) }, { weight: 1, arbitrary: nasty }, { weight: 1, arbitrary: fc.string() }),
  });
  return fc.record({
    body: fc.oneof({ weight: 19, arbitrary: envelope.map((e) => JSON.stringify(e)) }, { weight: 1, arbitrary: fc.oneof(nasty, fc.string(), fc.json()) }),
    contentType: fc.constantFrom('application/x-www-form-urlencoded', 'text/plain;charset=UTF-8', 'application/json'),
  });
}

export async function sendEnvelope(world: FuzzWorld, c: EnvelopeCase): Promise<Outcome> {
  const response = await world.rollcall.app.inject({ method: 'POST', url: '/v1/wschannels', headers: { 'content-type': c.contentType, clientversion: '2.1.1' }, payload: resolve(world, c.body) });
  count(world, 'envelope', response.statusCode);
  return { status: response.statusCode, body: response.body };
}

export function checkEnvelopeError(o: Outcome): string | null {
  try {
    const body = JSON.parse(o.body) as Record<string, unknown>;
    return typeof body.message === 'string' && body.message !== '' ? null : `envelope refusal ${o.status} has no message: ${o.body.slice(0, 200)}`;
  } catch {
    return `envelope refusal ${o.status} is not JSON: ${o.body.slice(0, 120)}`;
  }
}

export interface UpgradeCase { readonly query: string; readonly headers: [string, string][]; readonly frames: string[] }

export function upgradeCases(): fc.Arbitrary<UpgradeCase> {
  const token = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => marker('TOKEN', i)) }, { weight: 1, arbitrary: nasty }, { weight: 1, arbitrary: fc.string({ maxLength: 50 }) });
  const query = fc.record({ token, close: fc.constantFrom('true', 'false', 'maybe', ''), offline: fc.constantFrom('true', 'false', '1', ''), extra: fc.string({ maxLength: 10 }) })
    .map((q) => `token=${q.token.startsWith('@@') ? q.token : encodeURIComponent(q.token)}&closeExistingSessions=${q.close}&clientVersion=2.1.1&setWorkerOfflineIfDisconnected=${q.offline}&${encodeURIComponent(q.extra)}=1`);
  const header = fc.tuple(fc.constantFrom('Origin', 'Sec-WebSocket-Protocol', 'X-Forwarded-For', 'Cookie', 'User-Agent', 'X-Fuzz'), fc.stringMatching(/^[\x20-\x7e]{0,60}$/));
  return fc.record({ query, headers: fc.array(header, { maxLength: 4 }), frames: fc.array(fc.oneof(fc.string({ maxLength: 200 }), fc.json(), nasty), { maxLength: 3 }) });
}

/**
 * Upgrades over a real socket with the fuzzed query and headers; when accepted, sends the frames
 * (the SDK never sends any) and closes. Resolves with the upgrade's HTTP status (101 when accepted).
 */
export async function sendUpgrade(world: FuzzWorld, c: UpgradeCase): Promise<number> {
  const status = await upgrade(world, c);
  count(world, 'upgrade', status);
  return status;
}

function upgrade(world: FuzzWorld, c: UpgradeCase): Promise<number> {
  const headers = Object.fromEntries(c.headers);
  const query = resolve(world, c.query);
  return new Promise<number>((done, reject) => {
    const socket = new WebSocket(`${world.url.replace(/^http/, 'ws')}/v1/wschannels?${query}`, { headers, handshakeTimeout: 5000 });
    let status = 0;
    socket.on('upgrade', (res) => (status = res.statusCode ?? 0));
    socket.on('unexpected-response', (_req, res) => {
      status = res.statusCode ?? 0;
      res.resume();
      socket.terminate();
      done(status);
    });
    socket.on('open', () => {
      for (const f of c.frames) socket.send(f);
      socket.close(1000);
    });
    socket.on('close', () => done(status || 101));
    socket.on('error', (error) => (status === 0 ? reject(error) : done(status)));
  });
}

/** Raw bytes that no client would send as an upgrade; the server must answer or close, not hang or crash. */
export async function sendRawUpgrade(world: FuzzWorld, request: string): Promise<string> {
  const { port } = new URL(world.url);
  return new Promise<string>((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

/**
 * Holds the world cases run against, and replaces it when a case used it up (deleted the seeded
 * workspace, revoked the key the tokens are signed with, or deleted every worker).
 */
export class FuzzRunner {
  worlds = 1;
  private constructor(public world: FuzzWorld) {}

  static async start(): Promise<FuzzRunner> {
    return new FuzzRunner(await startFuzzWorld());
  }

  /** Call after a case that was accepted (2xx): renews the world if that case used it up. */
  async renewIfSpent(): Promise<void> {
    const { store, installation } = this.world.rollcall;
    const ws = installation.workspace.sid;
    const key = await store.findApiKey(installation.apiKey.sid);
    const spent = !(await store.findWorkspace(ws)) || !key || key.revokedAt !== null || (await store.listWorkers(ws)).length === 0;
    if (!spent) return;
    const tally = this.world.tally;
    await this.world.close();
    this.world = await startFuzzWorld();
    Object.assign(this.world.tally, tally);
    this.worlds++;
  }

  async close(): Promise<void> {
    await this.world.close();
  }
}
