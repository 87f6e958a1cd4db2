/**
 * Cluster bench (issue 11, performance): three real node processes (`node dist/src/cli.js serve`)
 * on one fresh schema of the PostgreSQL database `BENCH_DATABASE_URL` names, 10 000 raw agents in
 * three processes (presence-agents.ts, one per node), and three targets:
 *   1. silent loss (agents SIGSTOPped): logout committed at last_seen + threshold + ≤ 250 ms p99,
 *      never before, exactly one per agent;
 *   2. ≥ 1 000 presence transitions/s committed across the cluster (REST activity updates spread
 *      over the three nodes, cluster-rest.ts);
 *   3. kill -9 of a node holding 3 000 agents: every one logged out by another node (node-lost)
 *      within lease + threshold + 1 s of the kill, none twice.
 * Every figure comes from PostgreSQL (cluster-log.ts), not from the nodes. See bench/README.md.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueAccessToken } from '../src/service/access-tokens.js';
import { ask, children, nextMessage, sleep, spawn } from './child-processes.js';
import { ClusterLog, type LogoutRow } from './cluster-log.js';
import { cpuMeter, pidsNamed } from './proc-cpu.js';
import { createSchema, killNode, readCredentials, startNode, stopNode, type BenchNode, type Installation } from './cluster-nodes.js';
import type { RestCommand, SweepResult, ToggleResult } from './cluster-rest.js';
import type { AgentsCommand, AgentsConnected, AgentsStats } from './presence-agents.js';
import { dist, fmt as f, printReport, ReportTable, type Dist } from './report.js';

const TARGET = { silentP99Ms: 250, transitionsPerS: 1000, killSlackMs: 1000 };
/** The production liveness timeout (src/config.ts): a frozen agent is noticed within it. */
const LIVENESS_TIMEOUT_MS = 21_000;

interface Options {
  agents: number; killAgents: number; thresholdS: number; windowS: number; warmupS: number; restConcurrency: number;
  connectConcurrency: number; leaseMs: number; heartbeatMs: number; hardLimitS: number; keep: boolean; profile: boolean;
  /** Only the transitions phase (a shorter run while working on throughput); its figure is the same. */
  transitionsOnly: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  // Production defaults (src/config.ts): threshold 30 s, node heartbeat 5 s, lease 15 s.
  const o: Options = {
    agents: 10_000, killAgents: 3000, thresholdS: 30, windowS: 20, warmupS: 3, restConcurrency: 96, connectConcurrency: 200,
    leaseMs: 15_000, heartbeatMs: 5000, hardLimitS: 1800, keep: false, profile: false, transitionsOnly: false,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o)) throw new Error(`unknown option ${arg}; known: ${Object.keys(o).join(', ')}`);
    if (name === 'keep' || name === 'profile' || name === 'transitionsOnly') o[name] = value !== 'false';
    else if (!Number.isFinite(Number(value))) throw new Error(`${arg}: expected a number`);
    else o[name] = Number(value);
  }
  if (o.killAgents > o.agents) throw new Error('--kill-agents must not exceed --agents');
  return o;
}

class Report extends ReportTable {
  constructor() {
    super(1);
  }

  /** A target row; `ok` decides the verdict, the ratio is measured ÷ budget. */
  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok: boolean, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: `${ok ? 'OK' : 'MISS'} ${f(measured / budget, 2)}×` });
    if (!ok) this.misses.push(`${metric}: ${f(measured, 1)} against ${target}${why ? ` (${why})` : ''}`);
  }
}

const say = (line: string): void => console.log(line);
const phase = (name: string): void => say(`[${new Date().toISOString().slice(11, 19)}] ${name}`);

interface Bench {
  readonly o: Options; readonly nodes: BenchNode[]; readonly creds: Installation; readonly log: ClusterLog; readonly rest: ChildProcess;
  readonly activities: Record<string, string>; readonly sids: string[]; readonly tokens: string[]; readonly runDir: string;
  readonly report: Report; readonly raw: Record<string, unknown>;
}

function restAsk<T>(b: Pick<Bench, 'o' | 'nodes' | 'creds' | 'rest'>, command: Record<string, unknown> & { cmd: RestCommand['cmd'] }, urls = b.nodes.map((n) => n.url)): Promise<T> {
  const auth = `Basic ${Buffer.from(`${b.creds.api_key_sid}:${b.creds.api_key_secret}`).toString('base64')}`;
  return ask<T>(b.rest, { ...command, urls, auth, workspaceSid: b.creds.workspace_sid, concurrency: b.o.restConcurrency }, 600_000);
}

/** One agents process per group, each connecting its tokens to its node. */
async function connectAgents(b: Bench, groups: readonly { node: BenchNode; tokens: readonly string[] }[], label: string): Promise<ChildProcess[]> {
  const started = await Promise.all(groups.map(async ({ node, tokens }) => {
    const tokensFile = path.join(b.runDir, `tokens-${label}-${node.name}.json`);
    writeFileSync(tokensFile, JSON.stringify(tokens));
    const child = spawn('./presence-agents.js', {});
    const command: AgentsCommand = { cmd: 'connect', url: node.url, tokensFile, concurrency: Math.ceil(b.o.connectConcurrency / groups.length) };
    child.send(command);
    const connected = await nextMessage<AgentsConnected>(child, (m) => m.type === 'connected', `agents on ${node.name}`, 300_000);
    if (connected.ready !== tokens.length) throw new Error(`only ${connected.ready}/${tokens.length} agents on ${node.name} got init: ${connected.failures.join('; ')}`);
    return { child, connected, node };
  }));
  b.report.info(`${label}: connect open → init (ms)`, dist(started.flatMap((s) => s.connected.initLatenciesMs)));
  b.report.notes.push(`${label}: ${started.map((s) => `${s.connected.ready} agents on ${s.node.name} in ${f(s.connected.elapsedMs / 1000)} s`).join(', ')}`);
  return started.map((s) => s.child);
}

async function agentsStats(child: ChildProcess): Promise<AgentsStats> {
  const command: AgentsCommand = { cmd: 'stats' };
  child.send(command);
  return nextMessage<AgentsStats>(child, (m) => m.type === 'stats', 'agents stats', 10_000);
}

async function killAll(agents: readonly ChildProcess[]): Promise<void> {
  await Promise.all(agents.map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }));
}

/** Workers logged out more than once in `rows`. */
function twice(rows: readonly LogoutRow[]): number {
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r.workerSid, (seen.get(r.workerSid) ?? 0) + 1);
  return [...seen.values()].filter((n) => n > 1).length;
}

/** Target 2: REST activity updates, Available ↔ Break, round-robin over the nodes, closed loop. */
async function transitionsPhase(b: Bench, agents: readonly ChildProcess[]): Promise<void> {
  const { o, report, log } = b;
  const framesBefore = await Promise.all(agents.map(agentsStats));
  phase(`transitions: ${o.warmupS} s warm-up + ${o.windowS} s window, ${o.restConcurrency} requests in flight`);
  const pidOf = (child: ChildProcess): number[] => (child.pid === undefined ? [] : [child.pid]);
  const meter = cpuMeter({
    ...Object.fromEntries(b.nodes.map((n) => [`node ${n.name}`, () => pidOf(n.process)])),
    PostgreSQL: () => pidsNamed('postgres'), 'REST client': () => pidOf(b.rest), agents: () => agents.flatMap(pidOf),
  });
  const startedAt = performance.now();
  const toggled = await restAsk<ToggleResult>(b, { cmd: 'toggle', sids: b.sids, available: b.activities.Available, other: b.activities.Break, warmupMs: o.warmupS * 1000, windowMs: o.windowS * 1000 });
  const cpu = meter();
  const wallS = (performance.now() - startedAt) / 1000;
  const framesAfter = await Promise.all(agents.map(agentsStats));
  const committed = await log.committedBetween('api', toggled.windowStartAt, toggled.windowEndAt);
  const perS = committed / o.windowS;
  const pushes = framesAfter.reduce((s, a, i) => s + a.otherFrames - (framesBefore[i]?.otherFrames ?? 0), 0);
  report.target('transitions committed per s (cluster)', null, perS, TARGET.transitionsPerS, '≥ 1000/s', perS >= TARGET.transitionsPerS && toggled.failed === 0,
    `${toggled.failed} requests failed: ${toggled.failures.join('; ')}`);
  report.info('transitions: request → answer (ms)', dist(toggled.latenciesMs), undefined, 'answer after the commit');
  report.notes.push(
    `transitions: ${committed} activity-log rows (cause api) recorded in the ${o.windowS} s window; ${toggled.ok} answers 200 and ${toggled.failed} others in it; ${f(toggled.ok / o.windowS, 0)} answers/s`,
    `transitions: the agents received ${pushes} pushes (worker.activity.update and others) over warm-up, window and restore; ${toggled.restored} workers put back to Available`,
    `transitions: CPU over warm-up, window and restore (${f(wallS, 1)} s, ${os.cpus().length} cores): ${Object.entries(cpu).map(([k, v]) => `${k} ${f(v, 1)} s`).join(', ')}`,
  );
  Object.assign(b.raw, { transitions: { ...toggled, latenciesMs: dist(toggled.latenciesMs), committed, perS, pushes, cpuS: cpu, wallS } });
}

/** Target 1: the agents processes freeze (SIGSTOP); the kernel still ACKs, only liveness can tell. */
async function silentPhase(b: Bench, agents: readonly ChildProcess[]): Promise<void> {
  const { o, report, log } = b;
  const mark = await log.marker();
  phase(`SIGSTOP ${o.agents} agents (silent loss); waiting for the logouts`);
  const stopAt = Date.now();
  for (const child of agents) child.kill('SIGSTOP');
  const seen = await log.waitForLogouts(mark, o.agents, stopAt + LIVENESS_TIMEOUT_MS + o.thresholdS * 1000 + 60_000);
  await killAll(agents);
  const rows = await log.logouts(mark);
  const late = dist(rows.map((r) => r.committedAt - (r.lastSeenAt + r.thresholdMs)));
  const early = rows.filter((r) => r.recordedAt < r.effectiveAt || r.recordedAt < r.lastSeenAt + r.thresholdMs).length;
  const doubled = twice(rows);
  const workers = new Set(rows.map((r) => r.workerSid)).size;
  const ok = seen === o.agents && workers === o.agents && doubled === 0 && early === 0 && late.p99 <= TARGET.silentP99Ms;
  report.target('silent: committed − (last_seen + threshold) (ms)', late, late.p99, TARGET.silentP99Ms, 'p99 ≤ 250 ms, min ≥ 0', ok,
    `${workers}/${o.agents} agents logged out, ${doubled} twice, ${early} early`);
  const afterStop = dist(rows.map((r) => r.committedAt - stopAt));
  report.notes.push(
    `silent: ${rows.length} logouts of ${workers}/${o.agents} agents (${rows.filter((r) => r.reason === 'heartbeat-lost').length} heartbeat-lost), ${doubled} logged out twice, ${early} before last_seen + threshold; committed ${f(afterStop.min / 1000, 2)}–${f(afterStop.max / 1000, 2)} s after SIGSTOP`,
  );
  Object.assign(b.raw, { silent: { seen, workers, doubled, early, late, afterStop } });
}

/** Target 3: `killAgents` agents on node A, the rest on B and C; kill -9 A. */
async function nodeKillPhase(b: Bench): Promise<void> {
  const { o, report, log, nodes } = b;
  const [a, ...others] = nodes as [BenchNode, ...BenchNode[]];
  const onA = b.tokens.slice(0, o.killAgents);
  const rest = b.tokens.slice(o.killAgents);
  phase(`reconnecting: ${onA.length} agents on ${a.name}, ${rest.length} on ${others.map((n) => n.name).join(' and ')}`);
  const agents = await connectAgents(b, [{ node: a, tokens: onA }, ...others.map((node, k) => ({ node, tokens: rest.filter((_, i) => i % others.length === k) }))], 'kill');
  const aSids = new Set(b.sids.slice(0, o.killAgents));
  const aNodeIds = await log.nodesOf([...aSids]);
  if (aNodeIds.length !== 1) throw new Error(`the agents meant for ${a.name} are on ${aNodeIds.length} node ids`);
  const aNodeId = aNodeIds[0] as string;
  const held = await log.connectionsByNode();
  if (held.get(aNodeId) !== o.killAgents) throw new Error(`${a.name} holds ${held.get(aNodeId)} connections, expected ${o.killAgents}`);
  // The silent phase left everyone Offline; A's agents become Available again (through B and C).
  // The others stay Offline: nobody on B or C has anything to lose, and the sweep costs minutes here.
  phase(`${a.name}'s ${o.killAgents} workers Available again`);
  const sweep = await restAsk<SweepResult>(b, { cmd: 'set', sids: [...aSids], activitySid: b.activities.Available }, others.map((n) => n.url));
  report.info('kill: Offline → Available over REST (ms)', dist(sweep.latenciesMs), o.killAgents / (sweep.elapsedMs / 1000), 'value: per s');
  const mark = await log.marker();
  phase(`kill -9 ${a.name} (${o.killAgents} agents); waiting for the survivors to log them out`);
  const killAt = Date.now();
  await killNode(a);
  const budgetMs = o.leaseMs + o.thresholdS * 1000 + TARGET.killSlackMs;
  const seen = await log.waitForLogouts(mark, o.killAgents, killAt + budgetMs + 60_000);
  // Two more renewals of each survivor: a second reap, or a survivor reaped by mistake, would show.
  await sleep(2 * o.heartbeatMs);
  const rows = await log.logouts(mark);
  const ofA = rows.filter((r) => aSids.has(r.workerSid));
  const after = dist(ofA.map((r) => r.committedAt - killAt));
  const nodeLost = ofA.filter((r) => r.reason === 'node-lost').length;
  const workers = new Set(ofA.map((r) => r.workerSid)).size;
  const doubled = twice(rows);
  const others_ = rows.length - ofA.length;
  const dead = await log.node(aNodeId);
  const ok = seen >= o.killAgents && workers === o.killAgents && nodeLost === o.killAgents && doubled === 0 && others_ === 0 && after.max <= budgetMs;
  report.target('node kill: committed − kill (ms)', after, after.max, budgetMs, `max ≤ lease + threshold + 1 s = ${budgetMs} ms`, ok,
    `${workers}/${o.killAgents} logged out (${nodeLost} node-lost), ${doubled} twice, ${others_} logouts of agents on the survivors`);
  report.info('node kill: effective − kill (ms)', dist(ofA.map((r) => r.effectiveAt - killAt)), undefined, 'last heartbeat + threshold');
  report.notes.push(
    `node kill: ${workers}/${o.killAgents} agents of ${a.name} logged out (${nodeLost} node-lost), ${doubled} twice, ${others_} logouts of the ${rest.length} agents on the survivors; within budget ${ofA.filter((r) => r.committedAt - killAt <= budgetMs).length}`,
    `node kill: ${a.name}'s last heartbeat ${dead ? f((dead.heartbeatAt - killAt) / 1000, 2) : '?'} s from the kill, reaped (retired) at +${dead?.retiredAt ? f((dead.retiredAt - killAt) / 1000, 2) : '?'} s`,
  );
  Object.assign(b.raw, { nodeKill: { seen, workers, nodeLost, doubled, others: others_, after, budgetMs, dead, killAt } });
  await killAll(agents);
}

async function setUp(o: Options, baseUrl: string, runDir: string): Promise<{ b: Bench; drop: () => Promise<void> }> {
  const schema = await createSchema(baseUrl);
  phase(`schema ${schema.name}; starting nodes A, B, C (logs in ${runDir})`);
  const env = {
    ROLLCALL_DATABASE_URL: schema.url, ROLLCALL_DEFAULT_THRESHOLD_S: String(o.thresholdS),
    ROLLCALL_NODE_HEARTBEAT_MS: String(o.heartbeatMs), ROLLCALL_NODE_LEASE_MS: String(o.leaseMs),
  };
  const nodes: BenchNode[] = [];
  // One after another: the first creates the installation, the others find it.
  for (const name of ['A', 'B', 'C']) nodes.push(await startNode(name, env, runDir, o.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(runDir, 'profiles')}`] : []));
  const creds = await readCredentials({ ...env, ROLLCALL_DATA_DIR: path.join(runDir, 'data', 'cli') });
  const log = await ClusterLog.open(schema.url);
  const activities = await log.activitySids(creds.workspace_sid);
  const rest = spawn('./cluster-rest.js', {});
  const auth = `Basic ${Buffer.from(`${creds.api_key_sid}:${creds.api_key_secret}`).toString('base64')}`;
  // Every agent dropping at once is a mass disconnect the breaker would hold: off for this workspace.
  const off = await fetch(`${nodes[0]?.url}/v1/Workspaces/${creds.workspace_sid}`, { method: 'POST', body: new URLSearchParams({ OutageBreakerEnabled: 'false' }), headers: { authorization: auth } });
  if (off.status !== 200) throw new Error(`turning the breaker off: ${off.status} ${await off.text()}`);
  phase(`creating ${o.agents} workers (Available) over REST`);
  const b0 = { o, nodes, creds, rest };
  const created = await restAsk<SweepResult>(b0, { cmd: 'create', activitySid: activities.Available, names: Array.from({ length: o.agents }, (_, i) => `agent-${String(i).padStart(5, '0')}`) });
  const tokens = await Promise.all(created.sids.map((workerSid, i) => issueAccessToken({
    accountSid: creds.account_sid, apiKeySid: creds.api_key_sid, apiKeySecret: creds.api_key_secret, workspaceSid: creds.workspace_sid,
    workerSid, identity: `agent-${i}`, role: 'worker', ttlS: 3600, nowMs: Date.now(),
  })));
  const b: Bench = { o, nodes, creds, log, rest, activities, sids: created.sids, tokens, runDir, report: new Report(), raw: { options: o, schema: schema.name } };
  b.report.info('set-up: worker create over REST (ms)', dist(created.latenciesMs), o.agents / (created.elapsedMs / 1000), 'value: per s');
  return { b, drop: () => schema.drop() };
}

async function run(o: Options, baseUrl: string): Promise<{ report: Report; raw: Record<string, unknown> }> {
  const runDir = path.resolve('.bench-out', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(path.join(runDir, 'data'), { recursive: true });
  const { b, drop } = await setUp(o, baseUrl, runDir);
  try {
    b.raw.clockOffsetMs = await b.log.clockOffsetMs();
    phase(`connecting ${o.agents} agents, a third on each node`);
    const agents = await connectAgents(b, b.nodes.map((node, k) => ({ node, tokens: b.tokens.filter((_, i) => i % b.nodes.length === k) })), 'silent');
    await transitionsPhase(b, agents);
    if (o.transitionsOnly) {
      await killAll(agents);
      return { report: b.report, raw: b.raw };
    }
    await silentPhase(b, agents);
    await nodeKillPhase(b);
    return { report: b.report, raw: b.raw };
  } finally {
    await Promise.all(b.nodes.map((n) => stopNode(n)));
    await b.log.close();
    if (!o.keep) {
      await drop();
      rmSync(path.join(runDir, 'data'), { recursive: true, force: true });
      for (const label of ['silent', 'kill']) for (const n of b.nodes) rmSync(path.join(runDir, `tokens-${label}-${n.name}.json`), { force: true });
    }
  }
}

async function main(): Promise<void> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? '';
  if (!/^postgres(ql)?:\/\//.test(baseUrl)) {
    console.error('cluster bench: set BENCH_DATABASE_URL to a PostgreSQL database it may create a schema in, e.g.\n  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5433/rollcall_bench npm run bench:cluster');
    process.exit(2);
  }
  const o = parseOptions(process.argv.slice(2));
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  setTimeout(() => {
    console.error(`cluster bench: over ${o.hardLimitS} s, giving up`);
    process.exit(1);
  }, o.hardLimitS * 1000).unref();
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const load = (): string => os.loadavg().map((x) => f(x, 2)).join(' ');
  say(`cluster bench ${new Date().toISOString()} on ${machine}; load avg ${load()}`);
  say(`agents ${o.agents} (${o.killAgents} on the killed node), threshold ${o.thresholdS} s, node heartbeat ${o.heartbeatMs} ms, lease ${o.leaseMs} ms, window ${o.windowS} s, ${o.restConcurrency} REST requests in flight`);
  const { report, raw } = await run(o, baseUrl);
  say(`load avg at the end ${load()}\n`);
  printReport('cluster', machine, report, raw, say);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('cluster bench failed:', error);
  process.exit(1);
});
