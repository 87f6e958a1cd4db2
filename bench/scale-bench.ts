/**
 * Scale bench (issue 12 item 2): 100 000 agents on one 2-core host. Several Rollcall nodes on one
 * PostgreSQL (a process holds at most `ulimit -n` sockets, 20 000 here, hard), one agents process
 * per node, each from its own source address. It prints, against the targets:
 *   1. RSS per agent, Rollcall ÷ a bare `ws` server holding the same connections (same run, same
 *      agents processes, as many bare processes as nodes) ≤ 1.5×;
 *   2. heartbeat event-loop delay p99 ≤ 10 ms (every node, over a window with all connected);
 *   3. a reconnect storm: every node SIGKILLed and started again on the same ports; the agents
 *      reconnect with the SDK's own back-off (presence-agents.ts). Time until all are back, loop
 *      delay during it, and false logouts (an agent logged out although it came back before its
 *      due time): must be 0.
 * The silent-loss and burst phases stay in the 10 000-agent presence bench. See bench/README.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ask, children, nextMessage, sleep, spawn } from './child-processes.js';
import { dist, fmt as f, printReport, ReportTable, type Dist } from './report.js';
import type { ChildProcess } from 'node:child_process';
import type { AgentsBack, AgentsCommand, AgentsConnected, AgentsHistory, AgentsProgress, AgentsStats } from './presence-agents.js';
import type { LoopStats } from './loop-probe.js';
import type { ServerReady, ServerStats } from './presence-server.js';
import type { BareReady, BareStats } from './bare-ws-server.js';

const TARGET = { bareRatio: 1.5, heartbeatP99Ms: 10 };
const SCHEMA = 'scale_bench';

interface Options {
  agents: number; nodes: number; windowS: number; thresholdS: number; pingMs: number; livenessTimeoutMs: number; heartbeatFrameMs: number;
  tickMs: number; leaseMs: number; concurrency: number; portBase: number; databaseUrl: string; storm: boolean; keep: boolean; profile: boolean; hardLimitS: number;
  /** Time an agents process is allowed for its first connect, per agent of its share (ms). */
  connectMsPerAgent: number;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    agents: 100_000, nodes: 0, windowS: 30, thresholdS: 30, pingMs: 10_000, livenessTimeoutMs: 21_000, heartbeatFrameMs: 15_000, tickMs: 100,
    leaseMs: 15_000, concurrency: 100, portBase: 9400, databaseUrl: 'postgres://postgres@127.0.0.1:5433/rollcall_scale', storm: true, keep: false, profile: false,
    hardLimitS: 2400, connectMsPerAgent: 30,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o)) throw new Error(`unknown option ${arg}; known: ${Object.keys(o).join(', ')}`);
    if (name === 'databaseUrl') o.databaseUrl = value ?? '';
    else if (name === 'storm' || name === 'keep' || name === 'profile') o[name] = value !== 'false';
    else if (!Number.isFinite(Number(value))) throw new Error(`${arg}: expected a number`);
    else o[name] = Number(value);
  }
  return o;
}

/** The soft `nofile` limit of this process (children inherit it); it bounds the sockets per process. */
function fileLimit(): number {
  const line = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return Number(line?.[1] ?? 1024);
}

const say = (line: string): void => console.log(line);
const phase = (name: string): void => say(`[${new Date().toISOString().slice(11, 19)}] ${name}`);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
/** The worst node's figures, percentile by percentile. */
const worst = (ls: readonly LoopStats[]): Dist => ({
  n: sum(ls.map((l) => l.samples)), min: Math.max(...ls.map((l) => l.minMs)), p50: Math.max(...ls.map((l) => l.p50Ms)), p90: Math.max(...ls.map((l) => l.p90Ms)),
  p99: Math.max(...ls.map((l) => l.p99Ms)), max: Math.max(...ls.map((l) => Math.max(l.maxMs, l.maxStallMs))),
});
const gcNote = (ls: readonly LoopStats[]): string =>
  `GC pauses ${sum(ls.map((l) => l.gc.count))} (max ${f(Math.max(...ls.map((l) => l.gc.maxMs)))} ms), nodes preempted ${sum(ls.map((l) => l.involuntaryContextSwitches))}×`;

class Report extends ReportTable {
  constructor() {
    super(2);
  }

  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok = measured <= budget, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: `${ok ? 'OK' : 'MISS'} ${f(measured / budget, 2)}×` });
    if (!ok) this.misses.push(`${metric}: ${f(measured, 2)} against ${target}${why ? ` (${why})` : ''}`);
  }
}

interface Run {
  readonly o: Options; readonly dir: string; readonly url: string; readonly tokensFile: string; readonly shares: readonly (readonly [number, number])[];
  readonly report: Report; readonly raw: Record<string, unknown>; readonly db: pg.Client;
  nodes: ChildProcess[];
}

/** The source addresses of agents process i (see presence-agents.ts): 127.0.(i+1).1 to .16. */
const SOURCE_ADDRESSES = 16;
const sourceAddresses = (i: number): string[] => Array.from({ length: SOURCE_ADDRESSES }, (_, k) => `127.0.${1 + i}.${1 + k}`);

/** The run's report so far, printed if the hard limit stops the run. */
let partial: { report: Report; raw: Record<string, unknown> } | null = null;

// ── processes ──

function startNode(r: Run, i: number, role: 'seed' | 'join'): { child: ChildProcess; ready: Promise<ServerReady> } {
  const { o } = r;
  const env = {
    PORT: String(o.portBase + i), HOST: '127.0.0.1', ROLLCALL_DATA_DIR: path.join(r.dir, `node-${i}`), ROLLCALL_LOG_LEVEL: 'info', ROLLCALL_DATABASE_URL: r.url,
    ROLLCALL_NODE_NAME: `node-${i}`, ROLLCALL_NODE_LEASE_MS: String(o.leaseMs), BENCH_AGENTS: String(o.agents), BENCH_ROLE: role, BENCH_TOKENS_FILE: r.tokensFile,
    ROLLCALL_DEFAULT_THRESHOLD_S: String(o.thresholdS), ROLLCALL_PING_INTERVAL_MS: String(o.pingMs), ROLLCALL_LIVENESS_TIMEOUT_MS: String(o.livenessTimeoutMs),
    ROLLCALL_HEARTBEAT_FRAME_MS: String(o.heartbeatFrameMs), ROLLCALL_LIVENESS_TICK_MS: String(o.tickMs),
  };
  const child = spawn('./presence-server.js', env, ['--expose-gc', ...(o.profile ? ['--cpu-prof', '--cpu-prof-dir=.bench-out/profiles'] : [])]);
  return { child, ready: nextMessage<ServerReady>(child, (m) => m.type === 'ready', `node-${i} start`, 300_000) };
}

/** Node 0 creates the installation and seeds the workers; the others join it. */
async function startNodes(r: Run, role: 'seed' | 'join'): Promise<ServerReady[]> {
  const first = startNode(r, 0, role);
  r.nodes = [first.child];
  const readies = [await first.ready];
  const rest = Array.from({ length: r.shares.length - 1 }, (_, k) => startNode(r, k + 1, 'join'));
  r.nodes.push(...rest.map((n) => n.child));
  readies.push(...(await Promise.all(rest.map((n) => n.ready))));
  return readies;
}

function startAgents(r: Run, urls: readonly string[], reconnect: boolean): { children: ChildProcess[]; connected: Promise<AgentsConnected[]> } {
  const kids = r.shares.map(() => spawn('./presence-agents.js', {}));
  // How far the connect got, every 30 s: each process reports every 10 s (a run that stops on a
  // timeout then says where it stood).
  const latest = kids.map(() => ({ ready: 0, failed: 0 }));
  kids.forEach((child, i) => child.on('message', (m: { type?: string }) => {
    if (m.type === 'progress') latest[i] = m as AgentsProgress;
  }));
  const ticker = setInterval(() => {
    say(`  connect: ${sum(latest.map((p) => p.ready))} of ${r.o.agents} got init, ${sum(latest.map((p) => p.failed))} failed; per process [${latest.map((p) => p.ready).join(', ')}]`);
  }, 30_000);
  const connected = Promise.all(kids.map(async (child, i) => {
    const command: AgentsCommand = { cmd: 'connect', url: urls[i] as string, tokensFile: r.tokensFile, concurrency: r.o.concurrency, slice: r.shares[i], localAddresses: sourceAddresses(i), reconnect };
    child.send(command);
    const share = (r.shares[i]?.[1] ?? 0) - (r.shares[i]?.[0] ?? 0);
    // 100 000 agents over 6 processes did not finish within a flat 300 s (2026-11-27 19:03, the
    // bare baseline's connect): the time allowed grows with the share (`--connect-ms-per-agent`).
    const done = await nextMessage<AgentsConnected>(child, (m) => m.type === 'connected', `agents-${i} connect`, Math.max(300_000, share * r.o.connectMsPerAgent));
    if (done.ready !== share) throw new Error(`agents-${i}: only ${done.ready}/${share} got init: ${done.failures.join('; ')}`);
    return done;
  }));
  void connected.finally(() => clearInterval(ticker)).catch(() => undefined);
  return { children: kids, connected };
}

async function agentStats(child: ChildProcess): Promise<AgentsStats> {
  child.send({ cmd: 'stats' } satisfies AgentsCommand);
  return nextMessage<AgentsStats>(child, (m) => m.type === 'stats', 'agents stats', 30_000);
}

const nodeStats = (r: Run, gc: boolean): Promise<ServerStats[]> => Promise.all(r.nodes.map((n) => ask<ServerStats>(n, { cmd: 'stats', gc }, 120_000)));
const resetNodes = (r: Run): Promise<unknown[]> => Promise.all(r.nodes.map((n) => ask(n, { cmd: 'reset' })));

function killAll(kids: readonly ChildProcess[]): Promise<void[]> {
  return Promise.all(kids.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
}

// ── phases ──

/** The baseline: as many bare `ws` servers as nodes, the same agents processes and shares. */
async function barePhase(r: Run): Promise<number> {
  const { o } = r;
  phase(`baseline: ${r.shares.length} bare ws servers, ${o.agents} agents`);
  const bare = r.shares.map(() => spawn('./bare-ws-server.js', { BENCH_PING_MS: String(o.pingMs), BENCH_HEARTBEAT_FRAME_MS: String(o.heartbeatFrameMs) }, ['--expose-gc']));
  try {
    const readies = await Promise.all(bare.map((b) => nextMessage<BareReady>(b, (m) => m.type === 'ready', 'bare server start', 30_000)));
    await sleep(1000);
    const idle = await Promise.all(bare.map((b) => ask<BareStats>(b, { cmd: 'stats', gc: true })));
    const agents = startAgents(r, readies.map((b) => b.url), false);
    const connected = await agents.connected;
    await sleep(2000);
    const loaded = await Promise.all(bare.map((b) => ask<BareStats>(b, { cmd: 'stats', gc: true }, 120_000)));
    const held = sum(loaded.map((s) => s.connections));
    if (held !== o.agents) throw new Error(`the bare servers hold ${held} connections, expected ${o.agents}`);
    await killAll(agents.children);
    const kib = sum(loaded.map((s, i) => s.rssBytes - (idle[i]?.rssBytes ?? 0))) / o.agents / 1024;
    r.report.notes.push(`baseline: ${bare.length} bare ws servers, RSS ${f(sum(idle.map((s) => s.rssBytes)) / 2 ** 20)} MiB idle → ${f(sum(loaded.map((s) => s.rssBytes)) / 2 ** 20)} MiB with ${o.agents} agents (${f(kib, 2)} KiB each), after 2× gc(); connected in ${f(Math.max(...connected.map((c) => c.elapsedMs)) / 1000)} s`);
    Object.assign(r.raw, { bareIdle: idle, bareLoaded: loaded });
    return kib;
  } finally {
    await Promise.all(bare.map((b) => ask(b, { cmd: 'close' }).catch(() => undefined)));
    await killAll(bare);
  }
}

/** RSS per agent and the heartbeat window, all agents connected to the nodes. */
async function heartbeatPhase(r: Run, readies: readonly ServerReady[], bareKiB: number): Promise<ChildProcess[]> {
  const { o, report } = r;
  await resetNodes(r);
  await sleep(5000);
  const idle = await nodeStats(r, true);
  phase(`connecting ${o.agents} agents to ${r.nodes.length} nodes`);
  const agents = startAgents(r, readies.map((n) => n.url), true);
  const connected = await agents.connected;
  await sleep(2000);
  const loaded = await nodeStats(r, true);
  const held = sum(loaded.map((s) => s.connections));
  if (held !== o.agents) throw new Error(`the nodes hold ${held} connections, expected ${o.agents}`);
  await resetNodes(r);
  const before = await Promise.all(agents.children.map(agentStats));
  phase(`heartbeat window ${o.windowS} s`);
  await sleep(o.windowS * 1000);
  const beat = await nodeStats(r, false);
  const after = await Promise.all(agents.children.map(agentStats));
  const rssKiB = sum(loaded.map((s, i) => s.rssBytes - (idle[i]?.rssBytes ?? 0))) / o.agents / 1024;
  const cpuPct = sum(beat.map((s, i) => s.cpuMs / s.wallMs - (idle[i]?.cpuMs ?? 0) / (idle[i]?.wallMs ?? 1))) * 100;
  const pings = (sum(after.map((s) => s.pings)) - sum(before.map((s) => s.pings))) / o.windowS;
  const loops = beat.map((s) => s.loop);
  const w = worst(loops);
  const latencies = connected.flatMap((c) => c.initLatenciesMs);
  report.info('connect: open → init (ms)', dist(latencies));
  report.info('memory: RSS per agent, Rollcall (KiB)', null, rssKiB, '≤ 10 KiB');
  report.info('memory: RSS per agent, bare ws (KiB)', null, bareKiB);
  report.target('memory: Rollcall ÷ bare ws', null, rssKiB / bareKiB, TARGET.bareRatio, '≤ 1.5×');
  report.info('memory: JS heap per agent (B)', null, sum(loaded.map((s, i) => s.heapUsedBytes - (idle[i]?.heapUsedBytes ?? 0))) / o.agents, 'goal M2 ≤ 4000');
  report.target('heartbeat: event-loop delay, worst node (ms)', w, w.p99, TARGET.heartbeatP99Ms, 'p99 ≤ 10 ms');
  report.info('heartbeat: server CPU per ping (µs)', null, ((cpuPct / 100) * 1e6) / pings, 'goal H1 ≤ 25');
  const connectS = Math.max(...connected.map((c) => c.elapsedMs)) / 1000;
  report.notes.push(
    `connect: ${o.agents} agents in ${f(connectS)} s (${f(o.agents / connectS, 0)}/s; ${o.concurrency} handshakes in flight per agents process); ${sum(connected.map((c) => c.retries))} first attempts failed and were retried (${[...new Set(connected.flatMap((c) => c.retryReasons))].slice(0, 3).join('; ') || 'none'})`,
    `memory: nodes' RSS ${f(sum(idle.map((s) => s.rssBytes)) / 2 ** 20)} MiB idle → ${f(sum(loaded.map((s) => s.rssBytes)) / 2 ** 20)} MiB loaded (after 2× gc()); per node ${loaded.map((s) => f(s.rssBytes / 2 ** 20, 0)).join(', ')} MiB`,
    `heartbeat: ${o.windowS} s window, ${f(pings, 0)} pings/s reached the agents; nodes' CPU ${f(cpuPct, 1)} % of a core above idle in all; p99 per node ${loops.map((l) => f(l.p99Ms)).join(', ')} ms; ${gcNote(loops)}`,
  );
  Object.assign(r.raw, { idle, loaded, beat, connectMs: connected.map((c) => c.elapsedMs) });
  return agents.children;
}

interface LogoutRow { readonly name: string; readonly evidence: string; readonly recorded_at: string }

/** Every node SIGKILLed, started again on the same ports; the agents come back by themselves. */
async function stormPhase(r: Run, agents: readonly ChildProcess[]): Promise<void> {
  const { o, report, db } = r;
  const mark = Number((await db.query<{ id: string }>('SELECT COALESCE(MAX(id), 0) AS id FROM activity_log')).rows[0]?.id ?? 0);
  phase(`storm: SIGKILL ${r.nodes.length} nodes, start them again; ${o.agents} agents reconnect with the SDK's back-off`);
  const killAt = Date.now();
  await killAll(r.nodes);
  const back = Promise.all(agents.map(async (child) => {
    child.send({ cmd: 'await-back', sinceEpochMs: killAt, timeoutMs: 240_000 } satisfies AgentsCommand);
    // The agents answer at their 240 s deadline at the latest, unless their own loop is behind (a
    // loaded host): a minute of slack.
    return nextMessage<AgentsBack>(child, (m) => m.type === 'back', 'agents back', 300_000);
  }));
  const readyAt: number[] = [];
  const starts = r.shares.map((_, i) => startNode(r, i, 'join'));
  r.nodes = starts.map((s) => s.child);
  await Promise.all(starts.map(async (s, i) => {
    await s.ready;
    readyAt[i] = Date.now();
    await ask(s.child, { cmd: 'reset' });
  }));
  const backs = await back;
  const backTimes = backs.flatMap((b) => b.backAtMs);
  const notBack = backTimes.filter((at) => at < killAt).length;
  const allBackAt = Math.max(...backTimes);
  const during = await nodeStats(r, false);
  await resetNodes(r);
  // Past the lease (the reaper ends the dead nodes' connections) and every due time it could set.
  const settleUntil = killAt + o.leaseMs + o.thresholdS * 1000 + 5000;
  const wait = settleUntil - Date.now();
  phase(`storm: all back ${f((allBackAt - killAt) / 1000)} s after the kill; ${wait > 0 ? `waiting ${f(wait / 1000, 0)} s for any logout` : 'the last due time has passed already'}`);
  await sleep(Math.max(0, settleUntil - Date.now()));
  const settle = await nodeStats(r, false);
  const rows = (await db.query<LogoutRow>(`SELECT w.friendly_name AS name, l.evidence, l.recorded_at FROM activity_log l JOIN workers w ON w.sid = l.worker_sid
    WHERE l.id > $1 AND l.cause = 'offline-threshold'`, [mark])).rows;
  const histories = await Promise.all(agents.map(async (child) => {
    child.send({ cmd: 'history' } satisfies AgentsCommand);
    return nextMessage<AgentsHistory>(child, (m) => m.type === 'history', 'agents history', 30_000);
  }));
  const historyOf = (name: string): readonly (readonly [number, number, number])[] => {
    const index = Number(name.slice('agent-'.length));
    const share = r.shares.findIndex(([from, to]) => index >= from && index < to);
    return histories[share]?.history[index - (r.shares[share]?.[0] ?? 0)] ?? [];
  };
  const verdicts = rows.map((row) => stormVerdict(row, historyOf(row.name)));
  const falseLogouts = verdicts.filter((v) => v.verdict !== 'late').length;
  const byVerdict = verdicts.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v.verdict]: (acc[v.verdict] ?? 0) + 1 }), {});
  const droppedOpenS = verdicts.flatMap((v) => (v.openS === undefined ? [] : [v.openS]));
  const droppedSincePingS = verdicts.flatMap((v) => (v.sincePingS === undefined ? [] : [v.sincePingS]));
  const backDist = dist(backTimes.filter((at) => at >= killAt).map((at) => (at - killAt) / 1000));
  const refused = backs.reduce<Record<string, number>>((acc, b) => {
    for (const [k, v] of Object.entries(b.refusedStatuses)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  report.info('storm: kill → agent back, init received (s)', backDist);
  if (droppedOpenS.length > 0) report.info('storm: false logouts dropped again: init → drop (s)', dist(droppedOpenS));
  if (droppedSincePingS.length > 0) report.info('storm: false logouts dropped again: last ping → drop (s)', dist(droppedSincePingS));
  report.target('storm: agents not back within 240 s', null, notBack, 0, '0', notBack === 0);
  report.target('storm: false logouts', null, falseLogouts, 0, '0', falseLogouts === 0, `${rows.length} logouts in all; ${JSON.stringify(byVerdict)}`);
  report.info('storm: event-loop delay, worst node, start → all back (ms)', worst(during.map((s) => s.loop)));
  // Nothing to show when the agents came back after the last due time (no settling window).
  if (wait > 0) report.info('storm: event-loop delay, worst node, all back → settled (ms)', worst(settle.map((s) => s.loop)));
  report.notes.push(
    `storm: the agents processes' event loop from the kill to the end: p99 ${histories.map((h) => f(h.loopP99Ms, 0)).join(', ')} ms, max ${histories.map((h) => f(h.loopMaxMs, 0)).join(', ')} ms`,
    `storm: nodes ready ${readyAt.map((at) => f((at - killAt) / 1000)).join(', ')} s after the kill; ${o.agents - notBack} back, the last after ${f((allBackAt - killAt) / 1000)} s; ${rows.length} logouts (${falseLogouts} of agents back before their due time)`,
    `storm: ${sum(backs.map((b) => b.failedAttempts))} failed attempts (connection refused while down, refusals: ${JSON.stringify(refused)}); per-node loop max during the storm ${during.map((s) => f(Math.max(s.loop.maxMs, s.loop.maxStallMs), 0)).join(', ')} ms; ${gcNote(during.map((s) => s.loop))}`,
  );
  Object.assign(r.raw, { stormDuring: during, stormSettle: settle, stormReadyMs: readyAt.map((at) => at - killAt), stormBack: backDist, logouts: rows.length, falseLogouts, byVerdict, droppedOpenS: dist(droppedOpenS), droppedSincePingS: dist(droppedSincePingS), refused });
}

/**
 * Why a storm logout happened, from the agent's own record (`AgentsHistory`): `late` when it had
 * not come back by its due time (a correct logout); `early` when recorded before its due time;
 * otherwise it is counted false, as `open` when the agent's socket was open when the logout was
 * recorded (the server logged out a connected agent), or `dropped <code>` when the agent came back
 * in time but its socket was then closed with that code and it was not back within the threshold.
 */
function stormVerdict(row: LogoutRow, history: readonly (readonly [number, number, number])[]): { verdict: string; openS?: number; sincePingS?: number } {
  const e = JSON.parse(row.evidence) as { lastSeenAt: number; thresholdMs: number; reason: string };
  const due = e.lastSeenAt + e.thresholdMs;
  if (Number(row.recorded_at) < due) return { verdict: 'early' };
  if (!history.some(([at, code]) => code === 0 && at <= due)) return { verdict: 'late' };
  const before = history.filter(([at]) => at <= Number(row.recorded_at));
  const last = before.at(-1);
  if (last === undefined || last[1] === 0) return { verdict: `open (${e.reason})` };
  // How long the socket had been open (from its init) when it was dropped.
  const init = before.at(-2);
  return { verdict: `dropped ${last[1]} (${e.reason})`, openS: init && init[1] === 0 ? (last[0] - init[0]) / 1000 : undefined, sincePingS: last[2] / 1000 };
}

async function freshSchema(url: string): Promise<{ db: pg.Client; inSchema: string }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  await db.query(`SET search_path = ${SCHEMA}`);
  return { db, inSchema: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}` };
}

async function run(o: Options): Promise<{ report: Report; raw: Record<string, unknown> }> {
  const limit = fileLimit();
  const perProcess = limit - 1000;
  const count = o.nodes > 0 ? o.nodes : Math.ceil(o.agents / perProcess);
  const size = Math.ceil(o.agents / count);
  if (size > perProcess) throw new Error(`${size} agents per process exceed the file limit (${limit}) less 1000 of slack: use more --nodes`);
  const shares = Array.from({ length: count }, (_, i) => [i * size, Math.min(o.agents, (i + 1) * size)] as const);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-scale-'));
  const { db, inSchema } = await freshSchema(o.databaseUrl);
  const r: Run = { o, dir, url: inSchema, tokensFile: path.join(dir, 'tokens.json'), shares, report: new Report(), raw: { options: o, fileLimit: limit, shares }, db, nodes: [] };
  partial = { report: r.report, raw: r.raw };
  try {
    say(`${count} nodes and ${count} agents processes, ${size} agents each (file limit ${limit} per process); PostgreSQL schema ${SCHEMA}; temp ${dir}`);
    phase(`nodes: seeding ${o.agents} workers and tokens`);
    const readies = await startNodes(r, 'seed');
    phase(`nodes ready (node-0 set-up ${f((readies[0]?.setupMs ?? 0) / 1000)} s)`);
    const bareKiB = await barePhase(r);
    const agents = await heartbeatPhase(r, readies, bareKiB);
    if (o.storm) await stormPhase(r, agents);
    await killAll(agents);
    await Promise.all(r.nodes.map((n) => ask(n, { cmd: 'close' }, 60_000).catch(() => undefined)));
    await killAll(r.nodes);
    return { report: r.report, raw: r.raw };
  } finally {
    if (!o.keep) {
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    await db.end();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const load = (): string => os.loadavg().map((x) => f(x, 2)).join(' ');
  setTimeout(() => {
    console.error(`scale bench: over ${o.hardLimitS} s, giving up; the figures so far:`);
    partial?.report.misses.push(`the run did not finish within ${o.hardLimitS} s`);
    if (partial) printReport('scale-partial', machine, partial.report, partial.raw, say);
    process.exit(1);
  }, o.hardLimitS * 1000).unref();
  say(`scale bench ${new Date().toISOString()} on ${machine}; load avg ${load()}`);
  say(`agents ${o.agents}, threshold ${o.thresholdS} s, ping ${o.pingMs} ms, liveness timeout ${o.livenessTimeoutMs} ms, lease ${o.leaseMs} ms, window ${o.windowS} s`);
  const { report, raw } = await run(o);
  say(`load avg at the end ${load()}\n`);
  printReport('scale', machine, report, raw, say);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('scale bench failed:', error);
  // What was measured before the failure (a 100 000-agent run is long to repeat).
  if (partial) {
    partial.report.misses.push(`the run did not finish: ${error instanceof Error ? error.message : String(error)}`);
    printReport('scale-partial', 'see above', partial.report, partial.raw, say);
  }
  process.exit(1);
});
