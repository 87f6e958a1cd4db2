/**
 * The server side of the presence bench: a real Rollcall (createRollcall, SQLite, the agent
 * channel) in its own process, plus the instrumentation production does not carry: event-loop
 * delay, a drift sampler that timestamps stalls, memory and CPU. It talks to the orchestrator
 * over the fork IPC channel only, so nothing in src/ knows a bench exists.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { createLogger } from '../src/log.js';
import { configFromEnvironment, createRollcall, type Rollcall } from '../src/main.js';
import type { BreakerPatch } from '../src/core/outage-breaker.js';
import { issueAccessToken } from '../src/service/access-tokens.js';
import { seedWorkers } from './scale-seed.js';
import { LoopProbe, type LoopStats } from './loop-probe.js';

export interface ServerStats {
  readonly connections: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
  readonly peakRssKiB: number;
  readonly loop: LoopStats;
  /** CPU since the last reset, ms, and the wall time it covers. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

export interface ServerReady {
  readonly type: 'ready';
  readonly url: string;
  readonly databaseFile: string;
  readonly tokensFile: string;
  readonly workers: number;
  readonly setupMs: number;
}

export type ServerCommand =
  | { readonly id: number; readonly cmd: 'stats'; readonly gc: boolean }
  | { readonly id: number; readonly cmd: 'reset' }
  | { readonly id: number; readonly cmd: 'make-available' }
  | { readonly id: number; readonly cmd: 'close' };

export type ServerReply = ServerReady | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string };

function peakRssKiB(): number {
  // VmHWM is Linux-only; elsewhere the figure is simply absent (0).
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function setUp(rollcall: Rollcall, count: number, tokensFile: string): Promise<void> {
  const { account, apiKey, workspace } = rollcall.installation;
  const available = (await rollcall.store.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Available');
  if (!available) throw new Error('the workspace has no Available activity');
  const { databaseUrl } = rollcall.config;
  // On PostgreSQL (the scale bench) the workers are seeded in bulk: see scale-seed.ts.
  const sids = databaseUrl
    ? await seedWorkers({ databaseUrl, workspaceSid: workspace.sid, activitySid: available.sid, actor: account.sid }, count)
    : await createOneByOne(rollcall, available.sid, count);
  const tokens: string[] = [];
  for (const [i, workerSid] of sids.entries()) {
    tokens.push(await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid, identity: `agent-${i}`, ttlS: 3600, nowMs: Date.now(),
    }));
  }
  writeFileSync(tokensFile, JSON.stringify(tokens));
  // The mass-disconnect breaker: off unless BENCH_BREAKER gives its settings (JSON BreakerPatch),
  // so the presence bench's mass losses measure the ordinary logout path.
  const breaker = process.env.BENCH_BREAKER ? (JSON.parse(process.env.BENCH_BREAKER) as BreakerPatch) : { enabled: false };
  const set = await rollcall.store.updateWorkspace(workspace.sid, {}, account.sid, { breaker });
  if (!set.ok) throw new Error(`BENCH_BREAKER was refused: ${set.refusal.message}`);
}

/** The workers through the product's own `createWorker` (SQLite; a rerun on a kept file finds them). */
async function createOneByOne(rollcall: Rollcall, activitySid: string, count: number): Promise<string[]> {
  const { account, workspace } = rollcall.installation;
  const sids: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `agent-${i}`;
    const existing = await rollcall.store.findWorkerByName(workspace.sid, name);
    if (existing) {
      sids.push(existing.sid);
      continue;
    }
    const created = await rollcall.presence.createWorker({ workspaceSid: workspace.sid, friendlyName: name, attributes: '{}', activitySid, actor: account.sid });
    if (!created.ok) throw new Error(`creating ${name} failed: ${created.refusal.message}`);
    sids.push(created.value.worker.sid);
  }
  return sids;
}

/** Puts every bench worker back to Available (as an admin would), so the next loss can log them out. */
async function makeAvailable(rollcall: Rollcall): Promise<number> {
  const { account, workspace } = rollcall.installation;
  const available = (await rollcall.store.listActivities(workspace.sid)).find((a) => a.friendlyName === 'Available');
  if (!available) throw new Error('the workspace has no Available activity');
  let changed = 0;
  for (const worker of await rollcall.store.listWorkers(workspace.sid)) {
    if (worker.activitySid === available.sid) continue;
    const result = await rollcall.presence.setActivity({
      workspaceSid: workspace.sid, workerSid: worker.sid, activitySid: available.sid, cause: 'admin', actor: account.sid, rejectPendingReservations: false,
    });
    if (!result.ok) throw new Error(`making ${worker.friendlyName} available failed: ${result.refusal.message}`);
    changed++;
  }
  return changed;
}

async function main(): Promise<void> {
  const send = (message: ServerReply): void => void process.send?.(message);
  process.on('disconnect', () => process.exit(2));
  const startedAt = performance.now();
  const config = configFromEnvironment();
  const count = Number(process.env.BENCH_AGENTS ?? 10_000);
  const logger = createLogger(config.logLevel, pino.destination({ dest: path.join(config.dataDir, 'server.log'), minLength: 0, sync: false, mkdir: true }));
  const rollcall = await createRollcall(config, { logger });
  const url = await rollcall.listen();
  const tokensFile = process.env.BENCH_TOKENS_FILE ?? path.join(config.dataDir, 'tokens.json');
  // BENCH_ROLE=join (the scale bench's other nodes, and every node after a restart): the workers
  // and tokens exist already in the shared store.
  if (process.env.BENCH_ROLE !== 'join') await setUp(rollcall, count, tokensFile);
  const probe = new LoopProbe();
  const gc = (globalThis as { gc?: () => void }).gc;

  process.on('message', (raw) => {
    const command = raw as ServerCommand;
    const reply = (value?: unknown): void => send({ type: 'reply', id: command.id, value });
    const fail = (error: unknown): void => send({ type: 'reply', id: command.id, error: String(error) });
    switch (command.cmd) {
      case 'stats': {
        if (command.gc && gc) {
          gc();
          gc();
        }
        const m = process.memoryUsage();
        const stats: ServerStats = {
          connections: rollcall.channel.connectionCount, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external,
          peakRssKiB: peakRssKiB(), ...probe.read(),
        };
        return reply(stats);
      }
      case 'reset':
        probe.reset();
        return reply();
      case 'make-available':
        return void makeAvailable(rollcall).then(reply, fail);
      case 'close':
        return void rollcall.close().then(() => {
          reply();
          setTimeout(() => process.exit(0), 100);
        }, fail);
    }
  });
  send({ type: 'ready', url, databaseFile: config.databaseFile, tokensFile, workers: count, setupMs: Math.round(performance.now() - startedAt) });
}

main().catch((error: unknown) => {
  console.error('presence-server failed:', error);
  process.exit(1);
});
