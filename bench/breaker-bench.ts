/**
 * Breaker bench: the mass-disconnect breaker against one real Rollcall process, with agents in
 * three separate processes ("sites"), each dropped at once by SIGKILL (every FIN at once):
 *   1. a large but real exodus below the share (default 15 % of the agents): no hold, every one
 *      logged out at drop + threshold, as without the breaker;
 *   2. a simulated outage of one site (default 40 %): the breaker trips within a second of the
 *      drop, nobody of the site is logged out before the hold ends, all are logged out by its end
 *      + 1 s with the hold in their evidence, and the event loop is never blocked > 100 ms.
 * The server and agents are the presence bench's (presence-server.ts with BENCH_BREAKER,
 * presence-agents.ts one per site). Figures are read from the store through a read-only SQLite
 * connection of this process. See bench/README.md.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ask, children, nextMessage, sleep, spawn, type Unsent } from './child-processes.js';
import type { AgentsCommand, AgentsConnected } from './presence-agents.js';
import type { ServerCommand, ServerReady, ServerStats } from './presence-server.js';
import { dist, fmt as f, printReport, ReportTable, type Dist } from './report.js';

const TARGET = { tripMs: 1000, lateMs: 1000, stallMs: 100 };
const HARD_LIMIT_MS = 300_000;

interface Options { agents: number; thresholdS: number; holdS: number; windowS: number; sharePercent: number; minAgents: number; exodusPercent: number; sitePercent: number; keep: boolean }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { agents: 2000, thresholdS: 10, holdS: 20, windowS: 10, sharePercent: 20, minAgents: 50, exodusPercent: 15, sitePercent: 40, keep: false };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=') as [string, string | undefined];
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    if (!(name in o)) throw new Error(`unknown option ${arg}; known: ${Object.keys(o).join(', ')}`);
    if (name === 'keep') o.keep = value !== 'false';
    else if (!Number.isFinite(Number(value))) throw new Error(`${arg}: expected a number`);
    else o[name] = Number(value);
  }
  return o;
}

class Report extends ReportTable {
  constructor() {
    super(0);
  }

  target(metric: string, d: Dist | null, measured: number, budget: number, target: string, ok: boolean, why = ''): void {
    this.rows.push({ metric, d, value: d ? undefined : measured, target, verdict: ok ? 'OK' : 'MISS' });
    if (!ok) this.misses.push(`${metric}: ${f(measured, 1)} against ${target}${why ? ` (${why})` : ''}`);
  }
}

interface Logout { readonly effectiveAt: number; readonly recordedAt: number; readonly dueAt: number; readonly held: boolean }

function openStore(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const maxLog = db.prepare<[], { id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM activity_log');
  const logouts = db.prepare<[number], { evidence: string; effective_at: number; recorded_at: number }>(
    "SELECT evidence, effective_at, recorded_at FROM activity_log WHERE id > ? AND cause = 'offline-threshold' ORDER BY id");
  const holds = db.prepare<[number], { sid: string; tripped_at: number; until_at: number; disconnections: number; connected_workers: number }>(
    'SELECT sid, tripped_at, until_at, disconnections, connected_workers FROM outage_holds WHERE tripped_at >= ? ORDER BY tripped_at');
  const held = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM outage_hold_workers WHERE hold_sid = ?');
  return {
    marker: () => maxLog.get()?.id ?? 0,
    logouts: (since: number): Logout[] => logouts.all(since).map((r) => {
      const e = JSON.parse(r.evidence) as { dueAt: number; breaker?: unknown };
      return { effectiveAt: r.effective_at, recordedAt: r.recorded_at, dueAt: e.dueAt, held: e.breaker !== undefined };
    }),
    holdsSince: (at: number) => holds.all(at),
    held: (sid: string) => held.get(sid)?.n ?? 0,
    close: () => db.close(),
  };
}
type Store = ReturnType<typeof openStore>;

const say = (line: string): void => console.log(line);
const phase = (name: string): void => say(`[${new Date().toISOString().slice(11, 19)}] ${name}`);
const askServer = <T>(server: ChildProcess, command: Unsent<ServerCommand>, timeoutMs?: number): Promise<T> => ask<T>(server, command, timeoutMs);

async function startSite(url: string, tokensFile: string, expected: number): Promise<ChildProcess> {
  const child = spawn('./presence-agents.js', {});
  const command: AgentsCommand = { cmd: 'connect', url, tokensFile, concurrency: 100 };
  child.send(command);
  const connected = await nextMessage<AgentsConnected>(child, (m) => m.type === 'connected', 'agents connect', 120_000);
  if (connected.ready !== expected) throw new Error(`only ${connected.ready}/${expected} agents got init: ${connected.failures.join('; ')}`);
  return child;
}

async function until<T>(probe: () => T | null, deadlineAt: number): Promise<T | null> {
  for (;;) {
    const value = probe();
    if (value !== null || Date.now() > deadlineAt) return value;
    await sleep(50);
  }
}

const stallOf = (s: ServerStats): number => Math.max(s.loop.maxMs, s.loop.maxStallMs);

async function exodusPhase(o: Options, server: ChildProcess, store: Store, site: ChildProcess, count: number, report: Report): Promise<void> {
  const mark = store.marker();
  await askServer(server, { cmd: 'reset' });
  const killAt = Date.now();
  phase(`exodus: SIGKILL ${count} agents (${o.exodusPercent} %, below the ${o.sharePercent} % share)`);
  site.kill('SIGKILL');
  await until(() => (store.logouts(mark).length >= count ? true : null), killAt + o.thresholdS * 1000 + 15_000);
  await sleep(500);
  const stats = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  const rows = store.logouts(mark);
  const late = dist(rows.map((r) => r.recordedAt - (killAt + o.thresholdS * 1000)));
  const holds = store.holdsSince(killAt).length;
  const early = rows.filter((r) => r.effectiveAt < killAt + o.thresholdS * 1000).length;
  report.target('exodus: holds started', null, holds, 0, '0', holds === 0);
  report.target('exodus: committed − (drop + threshold) (ms)', late, late.max, TARGET.lateMs, 'all logged out, max ≤ 1000 ms', rows.length === count && late.max <= TARGET.lateMs && early === 0,
    `${rows.length}/${count} logged out, ${early} early, ${rows.filter((r) => r.held).length} held`);
  report.target('exodus: event-loop max (ms)', null, stallOf(stats), TARGET.stallMs, '≤ 100 ms', stallOf(stats) <= TARGET.stallMs);
}

async function outagePhase(o: Options, server: ChildProcess, store: Store, site: ChildProcess, count: number, report: Report, raw: Record<string, unknown>): Promise<void> {
  const mark = store.marker();
  await askServer(server, { cmd: 'reset' });
  const killAt = Date.now();
  phase(`outage: SIGKILL site A, ${count} agents (${o.sitePercent} %)`);
  site.kill('SIGKILL');
  const hold = await until(() => store.holdsSince(killAt)[0] ?? null, killAt + 10_000);
  if (!hold) {
    report.target('outage: drop → hold started (ms)', null, Number.NaN, TARGET.tripMs, 'tripped, ≤ 1000 ms', false, 'no hold within 10 s');
    return;
  }
  // The drops are all handled by now (the trip is the last of them); the hold's end is measured apart.
  await sleep(2000);
  const tripStats = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  await askServer(server, { cmd: 'reset' });
  const beforeEnd = store.logouts(mark).length;
  phase(`outage: hold ${hold.sid} until +${f((hold.until_at - killAt) / 1000)} s; ${beforeEnd} logouts so far; waiting for its end`);
  await until(() => (store.logouts(mark).length >= count ? true : null), hold.until_at + 15_000);
  await sleep(500);
  const endStats = await askServer<ServerStats>(server, { cmd: 'stats', gc: false });
  const rows = store.logouts(mark);
  const beforeUntil = rows.filter((r) => r.effectiveAt < hold.until_at).length;
  const late = dist(rows.map((r) => r.recordedAt - hold.until_at));
  const held = store.held(hold.sid);
  report.target('outage: drop → hold started (ms)', null, hold.tripped_at - killAt, TARGET.tripMs, '≤ 1000 ms', hold.tripped_at - killAt <= TARGET.tripMs,
    `${hold.disconnections} dropped and ${hold.connected_workers} connected counted at the trip`);
  report.target('outage: workers held', null, held, count, `${count} (the whole site)`, held === count);
  report.target('outage: logged out before the hold ended', null, beforeUntil, 0, '0', beforeUntil === 0);
  report.target('outage: committed − hold end (ms)', late, late.max, TARGET.lateMs, 'all logged out, max ≤ 1000 ms',
    rows.length === count && rows.every((r) => r.held) && late.max <= TARGET.lateMs, `${rows.length}/${count} logged out, ${rows.filter((r) => r.held).length} with the hold as evidence`);
  report.target('outage: event-loop max, drop and trip (ms)', null, stallOf(tripStats), TARGET.stallMs, '≤ 100 ms', stallOf(tripStats) <= TARGET.stallMs,
    `stalls [${tripStats.loop.stalls.map((s) => s.ms).join(', ')}] ms`);
  report.target('outage: event-loop max, hold end (ms)', null, stallOf(endStats), TARGET.stallMs, '≤ 100 ms', stallOf(endStats) <= TARGET.stallMs,
    `stalls [${endStats.loop.stalls.map((s) => s.ms).join(', ')}] ms`);
  Object.assign(raw, { hold, held, outageLate: late, tripStats, endStats });
}

/** Splits the server's tokens into the three sites' files: exodus, site A (the outage), the rest. */
function splitSites(o: Options, ready: ServerReady, dir: string): { file: string; count: number }[] {
  const tokens = JSON.parse(readFileSync(ready.tokensFile, 'utf8')) as string[];
  const exodus = Math.round((tokens.length * o.exodusPercent) / 100);
  const site = Math.round((tokens.length * o.sitePercent) / 100);
  return [tokens.slice(0, exodus), tokens.slice(exodus, exodus + site), tokens.slice(exodus + site)].map((list, i) => {
    const file = path.join(dir, `site-${i}.json`);
    writeFileSync(file, JSON.stringify(list));
    return { file, count: list.length };
  });
}

async function run(o: Options): Promise<{ report: Report; raw: Record<string, unknown> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-breaker-bench-'));
  const breaker = { enabled: true, sharePercent: o.sharePercent, minAgents: o.minAgents, windowS: o.windowS, holdS: o.holdS };
  const env = { PORT: '0', HOST: '127.0.0.1', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'info', BENCH_AGENTS: String(o.agents), ROLLCALL_DEFAULT_THRESHOLD_S: String(o.thresholdS), BENCH_BREAKER: JSON.stringify(breaker) };
  try {
    phase(`server: creating ${o.agents} workers in ${dataDir}`);
    const server = spawn('./presence-server.js', env);
    const ready = await nextMessage<ServerReady>(server, (m) => m.type === 'ready', 'server start', 180_000);
    const [exodus, siteA, rest] = splitSites(o, ready, dataDir) as [{ file: string; count: number }, { file: string; count: number }, { file: string; count: number }];
    phase(`connecting three sites: ${exodus.count} (to leave), ${siteA.count} (site A), ${rest.count} (staying)`);
    const sites = [await startSite(ready.url, exodus.file, exodus.count), await startSite(ready.url, siteA.file, siteA.count), await startSite(ready.url, rest.file, rest.count)];
    await sleep(2000);
    const store = openStore(ready.databaseFile);
    const report = new Report();
    const raw: Record<string, unknown> = { options: o, env };
    await exodusPhase(o, server, store, sites[0] as ChildProcess, exodus.count, report);
    // The exodus leaves the window before the outage, so the two are counted apart.
    await sleep(o.windowS * 1000 + 1000);
    await outagePhase(o, server, store, sites[1] as ChildProcess, siteA.count, report, raw);
    store.close();
    (sites[2] as ChildProcess).kill('SIGKILL');
    await askServer(server, { cmd: 'close' }, 30_000).catch(() => undefined);
    server.kill('SIGKILL');
    return { report, raw };
  } finally {
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  setTimeout(() => {
    console.error(`breaker bench: over ${HARD_LIMIT_MS / 1000} s, giving up`);
    process.exit(1);
  }, HARD_LIMIT_MS).unref();
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const load = (): string => os.loadavg().map((x) => f(x, 2)).join(' ');
  say(`breaker bench ${new Date().toISOString()} on ${machine}; load avg ${load()}`);
  say(`agents ${o.agents}, threshold ${o.thresholdS} s, breaker ${o.sharePercent} % of ≥ ${o.minAgents} within ${o.windowS} s, hold ${o.holdS} s; exodus ${o.exodusPercent} %, site A ${o.sitePercent} %`);
  const { report, raw } = await run(o);
  say(`load avg at the end ${load()}\n`);
  printReport('breaker', machine, report, raw, say);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error('breaker bench failed:', error);
  process.exit(1);
});
