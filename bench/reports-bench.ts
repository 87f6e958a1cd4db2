/**
 * The reports bench: a month of history for 2 000 agents (about two million activity-log rows,
 * written straight into the SQLite file by reports-seed.ts), then, against a real Rollcall over
 * HTTP with Basic auth: the monthly report, the daily report, the threshold advisor, and the CSV
 * export of the month's activity log, with the server's RSS before, at its peak and after, and
 * the event loop's longest stall while the report runs (the store yields between workers).
 *
 *   npm run bench:reports                       # tsc, then the full run
 *   node --expose-gc dist/bench/reports-bench.js --agents=200 --runs=3   # a smaller run
 *
 * The server runs in this process (the figures include the client's own work); RSS is sampled
 * every 20 ms. Targets (issue 10): monthly report ≤ 2 s, advisor ≤ 5 s, CSV ≥ 50 000 rows/s.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createRollcall } from '../src/main.js';
import { dist, fmt, printReport, ReportTable } from './report.js';
import { seedMonth } from './reports-seed.js';

const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const AGENTS = arg('agents', 2000);
/** `--data=DIR`: reuse a data directory a previous run seeded (and kept with `--keep`). */
const REUSE = process.argv.find((a) => a.startsWith('--data='))?.split('=')[1];
const KEEP = process.argv.includes('--keep');
const RUNS = arg('runs', 7);
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mib = (bytes: number): number => bytes / 1_048_576;

/** October 2026 in Paris: 31 days, with the autumn change (a 25 h day). */
const MONTH_START = Date.parse('2026-09-30T22:00:00Z');
const RANGE = 'StartDate=2026-10-01&EndDate=2026-10-31&TimeZone=Europe/Paris';

/**
 * `close()` awaits the checkpoint thread's exit, but that thread is unref'd: with nothing else
 * keeping the loop alive the process would end inside `close()` (see the report of issue 10).
 */
async function closeKeepingAlive(r: { close(): Promise<void> }): Promise<void> {
  const keep = setInterval(() => undefined, 1000);
  await r.close();
  clearInterval(keep);
}

async function main(): Promise<void> {
  const dataDir = REUSE ?? mkdtempSync(path.join(os.tmpdir(), 'rollcall-reports-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'error', ROLLCALL_DEFAULT_THRESHOLD_S: '30' });
  let seed: ReturnType<typeof seedMonth> | null = null;
  if (!REUSE) {
    // First start: the installation (account, workspace, activities); then the month, written straight in.
    const first = await createRollcall(config, { logger: pino({ level: 'error' }) });
    await first.listen(); // close() expects a started server
    const { workspace } = first.installation;
    const sidOf = async (name: string): Promise<string> => (await first.store.listActivities(workspace.sid)).find((a) => a.friendlyName === name)?.sid ?? '';
    const activities = { offline: await sidOf('Offline'), available: await sidOf('Available'), break: await sidOf('Break') };
    await closeKeepingAlive(first);
    say(`seeding ${AGENTS} agents × 31 days into ${config.databaseFile} …`);
    seed = seedMonth({ file: config.databaseFile, workspaceSid: workspace.sid, activities, agents: AGENTS, monthStartAt: MONTH_START, days: 31, thresholdMs: 30_000 });
    say(`seeded ${seed.logRows} log rows and ${seed.episodes} episodes in ${fmt(seed.seedMs / 1000)} s (of which ${fmt(seed.rollupMs / 1000)} s rebuilding the activity roll-up)`);
  }
  const fileMiB = mib(statSync(config.databaseFile).size);
  say(`database ${config.databaseFile}: ${fmt(fileMiB)} MiB`);

  const rollcall = await createRollcall(config, { logger: pino({ level: 'error' }) });
  const url = await rollcall.listen();
  const { account, workspace } = rollcall.installation;
  const auth = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`;
  const base = `${url}/v1/Workspaces/${workspace.sid}`;
  const report = new ReportTable(0);
  const raw: Record<string, unknown> = { agents: AGENTS, seed, fileMiB, reused: REUSE ?? null };

  const timed = async (name: string, pathAndQuery: string, target: number | null, check: (body: Record<string, unknown>) => string): Promise<void> => {
    const times: number[] = [];
    const stalls: number[] = [];
    let note = '';
    for (let i = 0; i < RUNS; i++) {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const t = performance.now();
      const response = await fetch(`${base}${pathAndQuery}`, { headers: { authorization: auth } });
      const body = await response.json() as Record<string, unknown>;
      times.push(performance.now() - t);
      loop.disable();
      stalls.push(loop.max / 1e6);
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${JSON.stringify(body)}`);
      note = check(body);
      say(`  ${name} run ${i + 1}: ${fmt(times[i] ?? 0, 0)} ms, longest stall ${fmt(stalls[i] ?? 0, 0)} ms`);
    }
    const d = dist(times);
    const verdict = target === null ? 'info' : d.max <= target ? 'met' : 'MISSED';
    report.rows.push({ metric: `${name} (ms)`, d, target: target === null ? '' : `≤ ${target} ms`, verdict });
    report.rows.push({ metric: `  longest event-loop stall (ms)`, d: dist(stalls), target: '', verdict: 'info' });
    if (verdict === 'MISSED') report.misses.push(`${name}: max ${fmt(d.max)} ms > ${target} ms`);
    report.notes.push(`${name}: ${note}`);
    raw[name] = { times, stalls };
  };

  await timed('monthly report', `/Reports/ActiveUserHours?${RANGE}&Granularity=month&PageSize=1000`, 2000, (b) => {
    const total = b.total as Record<string, number>;
    return `${total.active_workers} workers, ${fmt(total.active_hours ?? 0, 0)} h billed, ${fmt(total.saved_hours ?? 0, 0)} h saved`;
  });
  if (!process.argv.includes('--quick')) await timed('daily report (31 days)', `/Reports/ActiveUserHours?${RANGE}&Granularity=day&PageSize=1000`, null, (b) => `${(b.periods as unknown[]).length} periods`);
  if (!process.argv.includes('--quick')) await timed('started-hour monthly report', `/Reports/ActiveUserHours?${RANGE}&Granularity=month&Rounding=started-hour&PageSize=1000`, null, (b) => `${(b.total as Record<string, number>).billed_hours} started hours`);
  await timed('threshold advisor', `/Reports/ThresholdAdvisor?${RANGE}`, 5000, (b) => {
    const current = (b.candidates as Record<string, number | boolean>[]).find((c) => c.current);
    const actual = b.actual as Record<string, number>;
    return `${b.episodes} episodes; at the current 30 s: ${current?.logouts} logouts (${current?.false_logouts} false), recorded ${actual.logouts}`;
  });

  // CSV export: rows per second and the server's memory while it streams.
  const rates: number[] = [];
  const peaks: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const t = performance.now();
    const response = await fetch(`${base}/ActivityLog.csv?${RANGE}`, { headers: { authorization: auth } });
    if (!response.body || response.status !== 200) throw new Error(`export: ${response.status}`);
    let lines = 0;
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (let j = 0; j < chunk.length; j++) if (chunk[j] === 10) lines++;
    }
    const seconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    gc();
    const after = process.memoryUsage().rss;
    rates.push((lines - 1) / seconds);
    peaks.push(mib(peak - before));
    say(`  CSV export run ${i + 1}: ${fmt((lines - 1) / seconds, 0)} rows/s`);
    report.notes.push(`CSV export run ${i + 1}: ${lines - 1} rows, ${fmt(mib(bytes))} MiB in ${fmt(seconds, 2)} s; RSS before ${fmt(mib(before))} MiB, peak ${fmt(mib(peak))} MiB, after ${fmt(mib(after))} MiB`);
  }
  const rate = dist(rates);
  report.rows.push({ metric: 'CSV export (rows/s)', d: rate, target: '≥ 50000 rows/s', verdict: rate.min >= 50_000 ? 'met' : 'MISSED' });
  if (rate.min < 50_000) report.misses.push(`CSV export: ${fmt(rate.min, 0)} rows/s < 50 000`);
  report.rows.push({ metric: '  RSS peak above start (MiB)', d: dist(peaks), target: 'flat', verdict: 'info' });
  raw.export = { rates, peaks };

  await closeKeepingAlive(rollcall);
  if (KEEP || REUSE) say(`kept ${dataDir} (reuse it with --data=${dataDir})`);
  else rmSync(dataDir, { recursive: true, force: true });
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  say(`\n${machine}\n`);
  printReport('reports', machine, report, raw, say);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
