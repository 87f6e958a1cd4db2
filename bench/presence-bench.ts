/**
 * Presence bench: 10 000 simulated agents against one real Rollcall process. It measures the
 * four targets of the presence issue and prints them with percentiles and budget ratios:
 *   1. server RSS per connected agent ≤ 10 KiB;
 *   2. event-loop delay p99 ≤ 10 ms while heartbeating;
 *   3. silent loss (agents SIGSTOPped): logout committed at last_seen + threshold + ≤ 250 ms p99, never before;
 *   4. all agents dropped at once (agents SIGKILLed): every logout by due + 1 s, event loop never blocked > 100 ms.
 * Three processes: this orchestrator, the server (presence-server.ts) and the agents
 * (presence-agents.ts). Logout timing is read from the activity log through a read-only SQLite
 * connection of this process, so polling costs the server nothing. See bench/README.md.
 */
import { dist, fmt as f, printReport, ReportTable, type Dist } from './report.js';
import { ask, children, nextMessage, sleep, spawn, type Unsent } from './child-processes.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AgentsCommand, AgentsConnected, AgentsStats } from './presence-agents.js';
import type { ServerCommand, ServerReady, ServerStats } from './presence-server.js';
import type { BareReady, BareStats } from './bare-ws-server.js';

const TARGET = { rssKiB: 10, bareRatio: 1.5, heartbeatP99Ms: 10, silentP99Ms: 250, burstMaxMs: 1000, burstStallMs: 100 };
const HARD_LIMIT_MS = 300_000;

interface Options {
  agents: number; windowS: number; thresholdS: number; pingMs: number; livenessTimeoutMs: number;
  heartbeatFrameMs: number; tickMs: number; concurrency: number; keep: boolean; profile: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  // Defaults are the production defaults (src/config.ts) with the Flex threshold of 30 s.
  const o: Options = {
    agents: 10_000, windowS: 30, thresholdS: 30, pingMs: 10_000, livenessTimeoutMs: 21_000, heartbeatFrameMs: 15_000, tickMs: 100,
    concurrency: 200, keep: false, profile: false,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o)) throw new Error(`unknown option ${arg}; known: ${Object.keys(o).join(', ')}`);
    if (name === 'keep' || name === 'profile') o[name] = value !== 'false';
    else if (!Number.isFinite(Number(value))) throw new Error(`${arg}: expected a number`);
    else o[name] = Number(value);
  }
  return o;
}

// ── processes ──

/** Typed request/reply with the server process (plumbing in child-processes.ts). */
function askServer<T>(server: ChildProcess, command: Unsent<ServerCommand>, timeoutMs?: number): Promise<T> {
  return ask<T>(server, command, timeoutMs);
}

async function askAgents(child: ChildProcess): Promise<AgentsStats> {
  const command: AgentsCommand = { cmd: 'stats' };
  child.send(command);
  return nextMessage<AgentsStats>(child, (m) => m.type === 'stats', 'agents stats', 10_000);
}

async function startAgents(ready: ServerReady, o: Options, url = ready.url): Promise<{ child: ChildProcess; connected: AgentsConnected }> {
  const child = spawn('./presence-agents.js', {});
  const command: AgentsCommand = { cmd: 'connect', url, tokensFile: ready.tokensFile, concurrency: o.concurrency };
  child.send(command);
  const connected = await nextMessage<AgentsConnected>(child, (m) => m.type === 'connected', 'agents connect', 120_000);
  if (connected.ready !== o.agents) throw new Error(`only ${connected.ready}/${o.agents} agents got init: ${connected.failures.join('; ')}`);
  return { child, connected };
}

/** Sends `signal` after `graceMs` unless the child has exited by itself, then waits for the exit. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (graceMs > 0) await Promise.race([exited, sleep(graceMs)]);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await Promise.race([exited, sleep(10_000)]);
}

// ── figures ──

class Report extends ReportTable {
  constructor() {
    super(2);
  }

  /** A target row: `measured` against `budget`, OK when `ok` (default measured ≤ budget). */
  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok = measured <= budget, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: `${ok ? 'OK' : 'MISS'} ${f(measured / budget, 2)}×` });
    if (!ok) this.misses.push(`${metric}: ${f(measured, 2)} against ${target}${why ? ` (${why})` : ''}`);
  }
}

// ── the activity log, read-only from this process ──

interface LogoutRow { readonly lastSeenAt: number; readonly thresholdMs: number; readonly dueAt: number; readonly reason: string; readonly effectiveAt: number; readonly recordedAt: number }

function openLog(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const maxLog = db.prepare<[], { id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM activity_log');
  const maxEpisode = db.prepare<[], { id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM disconnect_episodes');
  const count = db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM activity_log WHERE id > ? AND cause = 'offline-threshold'");
  const rows = db.prepare<[number], { evidence: string; effective_at: number; recorded_at: number }>(
    "SELECT evidence, effective_at, recorded_at FROM activity_log WHERE id > ? AND cause = 'offline-threshold' ORDER BY id");
  const detected = db.prepare<[number], { detected_at: number }>('SELECT detected_at FROM disconnect_episodes WHERE id > ?');
  return {
    marker: () => ({ log: maxLog.get()?.id ?? 0, episode: maxEpisode.get()?.id ?? 0 }),
    count: (since: number) => count.get(since)?.n ?? 0,
    rows: (since: number): LogoutRow[] => rows.all(since).map((r) => ({
      ...(JSON.parse(r.evidence) as Omit<LogoutRow, 'effectiveAt' | 'recordedAt'>), effectiveAt: r.effective_at, recordedAt: r.recorded_at,
    })),
    detectedAt: (since: number) => detected.all(since).map((r) => r.detected_at),
    close: () => db.close(),
  };
}
type ActivityLog = ReturnType<typeof openLog>;

async function waitForLogouts(log: ActivityLog, since: number, n: number, untilAt: number): Promise<number> {
  for (;;) {
    const seen = log.count(since);
    if (seen >= n || Date.now() > untilAt) return seen;
    await sleep(250);
  }
}

const gcNote = (l: ServerStats['loop']): string =>
  `GC pauses ${l.gc.count} (${f(l.gc.totalMs, 0)} ms in all, max ${f(l.gc.maxMs)} ms; ${l.gc.major} major, max ${f(l.gc.majorMaxMs)} ms), server preempted ${l.involuntaryContextSwitches}×`;
const say = (line: string): void => console.log(line);
const phase = (name: string): void => say(`[${new Date().toISOString().slice(11, 19)}] ${name}`);

// ── phases ──

interface Bench {
  readonly o: Options; readonly server: ChildProcess; readonly ready: ServerReady; readonly log: ActivityLog; readonly report: Report; readonly raw: Record<string, unknown>;
  /** RSS per agent of the bare `ws` server, KiB, measured first in the same run. */
  bareKiB?: number;
  /** The bare `ws` server's loop while all its agents dropped at once (SIGKILL): the floor under the burst's block. */
  bareBurst?: { readonly loop: BareStats['loop']; readonly closedMs: number };
}

/**
 * The memory baseline: the same agents process against a bare `ws` server (bare-ws-server.ts)
 * that only accepts, inits, pings and heartbeats. Measured first, while Rollcall idles.
 */
async function bareBaselinePhase(b: Bench): Promise<void> {
  const { o } = b;
  phase(`baseline: a bare ws server with ${o.agents} agents`);
  const bare = spawn('./bare-ws-server.js', { BENCH_PING_MS: String(o.pingMs), BENCH_HEARTBEAT_FRAME_MS: String(o.heartbeatFrameMs) }, ['--expose-gc']);
  try {
    const ready = await nextMessage<BareReady>(bare, (m) => m.type === 'ready', 'bare server start', 30_000);
    await sleep(1000);
    const idle = await ask<BareStats>(bare, { cmd: 'stats', gc: true });
    const agents = await startAgents(b.ready, o, ready.url);
    await sleep(2000);
    const loaded = await ask<BareStats>(bare, { cmd: 'stats', gc: true });
    if (loaded.connections !== o.agents) throw new Error(`the bare server holds ${loaded.connections} connections, expected ${o.agents}`);
    await ask(bare, { cmd: 'reset' });
    const killAt = Date.now();
    await stopChild(agents.child, 'SIGKILL');
    b.bareBurst = await bareClosed(bare, killAt);
    b.bareKiB = (loaded.rssBytes - idle.rssBytes) / o.agents / 1024;
    b.report.notes.push(`baseline: bare ws server RSS ${f(idle.rssBytes / 2 ** 20)} MiB idle → ${f(loaded.rssBytes / 2 ** 20)} MiB with ${o.agents} agents (${f(b.bareKiB, 2)} KiB each), both after 2× gc(); connected in ${f(agents.connected.elapsedMs / 1000)} s`);
    Object.assign(b.raw, { bareIdle: idle, bareLoaded: loaded });
    await ask(bare, { cmd: 'close' }).catch(() => undefined);
  } finally {
    await stopChild(bare, 'SIGKILL', 2000);
  }
}

/** Waits until the bare server has taken every close (at most 60 s); its loop over the burst. */
async function bareClosed(bare: ChildProcess, killAt: number): Promise<Bench['bareBurst']> {
  for (;;) {
    const stats = await ask<BareStats>(bare, { cmd: 'stats', gc: false });
    const closedMs = Date.now() - killAt;
    if (stats.connections === 0) {
      await sleep(500);
      return { loop: (await ask<BareStats>(bare, { cmd: 'stats', gc: false })).loop, closedMs };
    }
    if (closedMs > 60_000) throw new Error(`the bare server still holds ${stats.connections} connections 60 s after its agents were killed`);
    await sleep(100);
  }
}

/** Targets 1 and 2: RSS per connected agent, and event-loop delay over a heartbeat window. */
async function heartbeatPhase(b: Bench): Promise<ChildProcess> {
  const { o, server, report } = b;
  await askServer(server, { cmd: 'reset' });
  await sleep(5000);
  const idle = await askServer<ServerStats>(server, { cmd: 'stats', gc: true });
  phase(`connecting ${o.agents} agents`);
  const agents = await startAgents(b.ready, o);
  await sleep(2000);
  const loaded = await askServer<ServerStats>(server, { cmd: 'stats', gc: true });
  if (loaded.connections !== o.agents) throw new Error(`the server holds ${loaded.connections} connections, expected ${o.agents}`);
  await askServer(server, { cmd: 'reset' });
  const before = await askAgents(agents.child);
  phase(`heartbeat window ${o.windowS} s`);
  await sleep(o.windowS * 1000);
  const beat = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  const after = await askAgents(agents.child);
  const rssKiB = (loaded.rssBytes - idle.rssBytes) / o.agents / 1024;
  const cpuPct = (beat.cpuMs / beat.wallMs - idle.cpuMs / idle.wallMs) * 100;
  const pingsPerS = (after.pings - before.pings) / o.windowS;
  const usPerPing = ((cpuPct / 100) * 1e6) / pingsPerS;
  const l = beat.loop;
  const q = idle.loop;
  report.info('idle, no agents: event-loop delay (ms)', { n: q.samples, min: q.minMs, p50: q.p50Ms, p90: q.p90Ms, p99: q.p99Ms, max: q.maxMs }, undefined, 'noise floor');
  report.info('connect: open → init (ms)', dist(agents.connected.initLatenciesMs));
  report.target('memory: server RSS per agent (KiB)', null, rssKiB, TARGET.rssKiB, '≤ 10 KiB');
  if (b.bareKiB !== undefined) report.target('memory: RSS per agent ÷ bare ws server', null, rssKiB / b.bareKiB, TARGET.bareRatio, '≤ 1.5×');
  report.info('memory: JS heap per agent (B)', null, (loaded.heapUsedBytes - idle.heapUsedBytes) / o.agents, 'goal M2 ≤ 4000');
  report.target('heartbeat: event-loop delay (ms)', { n: l.samples, min: l.minMs, p50: l.p50Ms, p90: l.p90Ms, p99: l.p99Ms, max: l.maxMs }, l.p99Ms, TARGET.heartbeatP99Ms, 'p99 ≤ 10 ms');
  report.info('heartbeat: server CPU per ping (µs)', null, usPerPing, 'goal H1 ≤ 25');
  report.notes.push(
    `connect: ${o.agents} agents in ${f(agents.connected.elapsedMs / 1000)} s (${f(o.agents / (agents.connected.elapsedMs / 1000), 0)}/s, ${o.concurrency} handshakes in flight)`,
    `memory: RSS ${f(idle.rssBytes / 2 ** 20)} MiB idle (workers created, no sockets) → ${f(loaded.rssBytes / 2 ** 20)} MiB with ${o.agents} agents, both after 2× gc(); peak RSS ${f(loaded.peakRssKiB / 1024)} MiB`,
    `heartbeat: ${f(o.windowS, 0)} s window, ${f(pingsPerS, 0)} pings/s and ${f((after.heartbeatFrames - before.heartbeatFrames) / o.windowS, 0)} whitespace frames/s reached the agents; server CPU ${f(cpuPct, 2)} % of a core above idle (frames, ticks and node heartbeat included); drift timer max ${f(l.maxStallMs)} ms`,
    `heartbeat: ${gcNote(l)}`,
  );
  Object.assign(b.raw, { idle, loaded, beat, agentsBefore: before, agentsAfter: after, connectMs: agents.connected.elapsedMs });
  return agents.child;
}

/** Target 3: the agents process freezes (SIGSTOP), the kernel still ACKs, only liveness can tell. */
async function silentLossPhase(b: Bench, agents: ChildProcess): Promise<void> {
  const { o, server, log, report } = b;
  const mark = log.marker();
  await askServer(server, { cmd: 'reset' });
  const stopAt = Date.now();
  phase('SIGSTOP agents (silent loss); waiting for the logouts');
  agents.kill('SIGSTOP');
  const seen = await waitForLogouts(log, mark.log, o.agents, stopAt + o.livenessTimeoutMs + o.thresholdS * 1000 + 15_000);
  const loop = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  await stopChild(agents, 'SIGKILL');
  const rows = log.rows(mark.log);
  const late = dist(rows.map((r) => r.recordedAt - (r.lastSeenAt + r.thresholdMs)));
  const early = rows.filter((r) => r.recordedAt < r.effectiveAt || r.recordedAt < r.lastSeenAt + r.thresholdMs).length;
  const ok = seen === o.agents && early === 0 && late.p99 <= TARGET.silentP99Ms;
  report.target('silent: committed − (last_seen + threshold) (ms)', late, late.p99, TARGET.silentP99Ms, 'p99 ≤ 250 ms, min ≥ 0', ok,
    `${seen}/${o.agents} logged out, ${early} early`);
  const l = loop.loop;
  report.info('silent: event-loop delay (ms)', { n: l.samples, min: l.minMs, p50: l.p50Ms, p90: l.p90Ms, p99: l.p99Ms, max: Math.max(l.maxMs, l.maxStallMs) });
  const beforeStop = dist(rows.map((r) => stopAt - r.lastSeenAt));
  const afterStop = dist(rows.map((r) => r.recordedAt - stopAt));
  report.notes.push(
    `silent: ${seen}/${o.agents} logged out (${rows.filter((r) => r.reason === 'heartbeat-lost').length} heartbeat-lost), ${early} before last_seen + threshold; last pong ${f(beforeStop.min / 1000, 2)}–${f(beforeStop.max / 1000, 2)} s before SIGSTOP, logout ${f(afterStop.min / 1000, 2)}–${f(afterStop.max / 1000, 2)} s after it`,
    `silent: stalls ≥ 50 ms (ms): [${l.stalls.map((s) => s.ms).join(', ')}]; ${gcNote(l)}`,
  );
  Object.assign(b.raw, { silentLoop: loop, silentLateness: late });
}

/** Target 4: every agent socket closes at once (SIGKILL: the kernel sends 10k FINs). */
async function burstPhase(b: Bench): Promise<void> {
  const { o, server, log, report } = b;
  phase('making every worker Available again and reconnecting');
  await askServer(server, { cmd: 'make-available' }, 120_000);
  const agents = await startAgents(b.ready, o);
  await sleep(2000);
  const mark = log.marker();
  await askServer(server, { cmd: 'reset' });
  const killAt = Date.now();
  phase('SIGKILL agents (all sockets dropped at once); waiting for the logouts');
  agents.child.kill('SIGKILL');
  const seen = await waitForLogouts(log, mark.log, o.agents, killAt + o.thresholdS * 1000 + 15_000);
  await sleep(1000);
  const loop = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  const rows = log.rows(mark.log);
  const afterDue = dist(rows.map((r) => r.recordedAt - r.dueAt));
  // A FIN is a sign of life at the instant of the drop, so the true due is SIGKILL + threshold.
  const afterDrop = dist(rows.map((r) => r.recordedAt - (killAt + r.thresholdMs)));
  const early = rows.filter((r) => r.recordedAt < r.effectiveAt).length;
  const closed = dist(log.detectedAt(mark.episode).map((at) => at - killAt));
  const l = loop.loop;
  const stall = Math.max(l.maxMs, l.maxStallMs);
  const closing = l.stalls.filter((s) => s.endAt <= killAt + closed.max + 50).map((s) => s.ms);
  const loggingOut = l.stalls.filter((s) => s.endAt > killAt + closed.max + 50).map((s) => s.ms);
  report.target('burst: committed − recorded due (ms)', afterDue, afterDue.max, TARGET.burstMaxMs, 'max ≤ 1000 ms', seen === o.agents && early === 0 && afterDue.max <= TARGET.burstMaxMs,
    `${seen}/${o.agents} logged out, ${early} early`);
  report.target('burst: committed − (drop + threshold) (ms)', afterDrop, afterDrop.max, TARGET.burstMaxMs, 'max ≤ 1000 ms', afterDrop.max <= TARGET.burstMaxMs,
    `the recorded last_seen of a FIN is when the server read the EOF; disconnections committed up to ${f(closed.max, 0)} ms after the drop`);
  report.info('burst: disconnection committed − drop (ms)', closed, undefined, 'goal D1 all ≤ 1000');
  report.target('burst: event-loop delay (ms)', { n: l.samples, min: l.minMs, p50: l.p50Ms, p90: l.p90Ms, p99: l.p99Ms, max: stall }, stall, TARGET.burstStallMs, 'max ≤ 100 ms', undefined,
    `stalls while closing [${closing.join(', ')}] ms, while logging out [${loggingOut.join(', ')}] ms`);
  const bare = b.bareBurst;
  if (bare) {
    const bl = bare.loop;
    report.info('burst, bare ws server: event-loop delay (ms)', { n: bl.samples, min: bl.minMs, p50: bl.p50Ms, p90: bl.p90Ms, p99: bl.p99Ms, max: Math.max(bl.maxMs, bl.maxStallMs) }, undefined, 'the floor, same run');
    report.notes.push(`burst, bare ws server (same agents, SIGKILLed at once): every close taken ${f(bare.closedMs, 0)} ms after SIGKILL (polled every 100 ms); stalls ≥ 50 ms [${bl.stalls.map((s) => s.ms).join(', ')}]`);
  }
  report.notes.push(
    `burst: ${seen}/${o.agents} logged out, ${early} before the recorded due; reconnect of ${o.agents} agents took ${f(agents.connected.elapsedMs / 1000)} s`,
    `burst: stalls ≥ 50 ms while the closes were handled (up to ${f(closed.max, 0)} ms after SIGKILL): [${closing.join(', ')}]; while logging out: [${loggingOut.join(', ')}]; ${gcNote(l)}`,
  );
  Object.assign(b.raw, { burstLoop: loop, burstAfterDue: afterDue, burstAfterDrop: afterDrop, burstClosed: closed });
}

async function run(o: Options): Promise<{ report: Report; raw: Record<string, unknown> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-'));
  const env = {
    PORT: '0', HOST: '127.0.0.1', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'info', BENCH_AGENTS: String(o.agents),
    ROLLCALL_DEFAULT_THRESHOLD_S: String(o.thresholdS), ROLLCALL_PING_INTERVAL_MS: String(o.pingMs),
    ROLLCALL_LIVENESS_TIMEOUT_MS: String(o.livenessTimeoutMs), ROLLCALL_HEARTBEAT_FRAME_MS: String(o.heartbeatFrameMs), ROLLCALL_LIVENESS_TICK_MS: String(o.tickMs),
  };
  try {
    phase(`server: creating ${o.agents} workers and tokens in ${dataDir}`);
    const server = spawn('./presence-server.js', env, ['--expose-gc', ...(o.profile ? ['--cpu-prof', '--cpu-prof-dir=.bench-out/profiles'] : [])]);
    const ready = await nextMessage<ServerReady>(server, (m) => m.type === 'ready', 'server start', 180_000);
    phase(`server ready at ${ready.url} (set-up ${ready.setupMs} ms); idle baseline`);
    const b: Bench = { o, server, ready, log: openLog(ready.databaseFile), report: new Report(), raw: { options: o, env } };
    await bareBaselinePhase(b);
    const agents = await heartbeatPhase(b);
    await silentLossPhase(b, agents);
    await burstPhase(b);
    b.log.close();
    await askServer(server, { cmd: 'close' }, 30_000).catch(() => undefined);
    await stopChild(server, 'SIGKILL', 15_000);
    return { report: b.report, raw: b.raw };
  } finally {
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  setTimeout(() => {
    console.error(`presence bench: over ${HARD_LIMIT_MS / 1000} s, giving up`);
    process.exit(1);
  }, HARD_LIMIT_MS).unref();
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const load = (): string => os.loadavg().map((x) => f(x, 2)).join(' ');
  say(`presence bench ${new Date().toISOString()} on ${machine}; load avg ${load()}`);
  say(`agents ${o.agents}, threshold ${o.thresholdS} s, ping ${o.pingMs} ms, liveness timeout ${o.livenessTimeoutMs} ms, heartbeat frame ${o.heartbeatFrameMs} ms, tick ${o.tickMs} ms, window ${o.windowS} s`);
  const { report, raw } = await run(o);
  say(`load avg at the end ${load()}\n`);
  printReport('presence', machine, report, raw, say);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('presence bench failed:', error);
  process.exit(1);
});
