/**
 * The server side of the REST bench: a real Rollcall (createRollcall, SQLite file in a fresh temp
 * directory, or the PostgreSQL schema the orchestrator passes in `ROLLCALL_DATABASE_URL`; the REST
 * facade and the agent channel) in its own process, seeded with N workers.
 * It talks to the orchestrator over the fork IPC channel only; nothing in src/ knows a bench exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createRollcall } from '../src/main.js';
import { issueAccessToken } from '../src/service/access-tokens.js';
import { meterPgStatements, type StatementCount } from './pg-statements.js';

export interface RestServerReady {
  readonly type: 'ready';
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly workspaceSid: string;
  readonly activities: Record<string, string>;
  /** Workers whose sessions the bench connects, with a token each. */
  readonly sessions: readonly { readonly workerSid: string; readonly token: string }[];
  readonly workers: number;
  readonly seedMs: number;
}

export interface RestServerLoop {
  readonly type: 'loop';
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU the server used since the reset, as a share of one core. */
  readonly cpuShare: number;
  /** Round trips to PostgreSQL since the reset (null on SQLite). */
  readonly pg: StatementCount | null;
}

export type RestServerCommand = { readonly cmd: 'loop-reset' } | { readonly cmd: 'loop' } | { readonly cmd: 'stop' };

const workers = Number(process.env.BENCH_WORKERS ?? 10_000);
const sessions = Number(process.env.BENCH_SESSIONS ?? 50);

async function main(): Promise<void> {
  const statements = process.env.ROLLCALL_DATABASE_URL ? meterPgStatements() : null;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-rest-bench-'));
  const config = loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'warn', ROLLCALL_DATABASE_URL: process.env.ROLLCALL_DATABASE_URL });
  const rollcall = await createRollcall(config, { logger: pino({ level: 'warn' }) });
  const url = await rollcall.listen();
  const { account, apiKey, workspace } = rollcall.installation;
  const activities = Object.fromEntries((await rollcall.store.listActivities(workspace.sid)).map((a) => [a.friendlyName, a.sid]));

  const seedStart = performance.now();
  const created: string[] = [];
  for (let i = 0; i < workers; i++) {
    const attributes = JSON.stringify({ skills: ['support', i % 2 ? 'billing' : 'sales'], languages: { en: 10 }, contact_uri: `client:agent-${i}` });
    const result = await rollcall.presence.createWorker({ workspaceSid: workspace.sid, friendlyName: `agent-${String(i).padStart(5, '0')}`, attributes, actor: account.sid });
    if (!result.ok) throw new Error(result.refusal.message);
    created.push(result.value.worker.sid);
  }
  const seedMs = performance.now() - seedStart;
  const tokens = await Promise.all(created.slice(0, sessions).map(async (workerSid, i) => ({
    workerSid,
    token: await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid, identity: `agent-${i}`, ttlS: 3600, nowMs: Date.now(),
    }),
  })));

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let cpuFrom = process.cpuUsage();
  let wallFrom = performance.now();
  process.on('message', (command: RestServerCommand) => {
    if (command.cmd === 'loop-reset') {
      loop.reset();
      statements?.reset();
      cpuFrom = process.cpuUsage();
      wallFrom = performance.now();
    } else if (command.cmd === 'loop') {
      const ms = (ns: number): number => Math.max(0, ns / 1e6 - 1);
      const cpu = process.cpuUsage(cpuFrom);
      const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wallFrom);
      const reply: RestServerLoop = { type: 'loop', p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max), cpuShare, pg: statements?.read() ?? null };
      process.send?.(reply);
    } else if (command.cmd === 'stop') {
      void rollcall.close().finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
  const ready: RestServerReady = {
    type: 'ready', url, accountSid: account.sid, authToken: account.authToken, workspaceSid: workspace.sid, activities,
    sessions: tokens, workers: created.length, seedMs,
  };
  process.send?.(ready);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
