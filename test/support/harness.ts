/**
 * Starts a real Rollcall on port 0 with its own SQLite file in a fresh temporary directory,
 * and hands out tokens and SDK workers for its demo agents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type * as TaskRouterSdk from 'twilio-taskrouter';
import { loadConfig } from '../../src/config.js';
import { createRollcall, type Rollcall, type RollcallOptions } from '../../src/main.js';
import { issueAccessToken } from '../../src/service/access-tokens.js';

const require = createRequire(import.meta.url);
// The official Worker SDK, as an agent desktop uses it.
const { Worker: SdkWorker } = require('twilio-taskrouter') as typeof TaskRouterSdk;
export type SdkWorker = InstanceType<typeof SdkWorker>;

/** Fast liveness for tests: ping every 300 ms, lost after 700 ms of silence. */
export const FAST_LIVENESS = {
  ROLLCALL_PING_INTERVAL_MS: '300',
  ROLLCALL_LIVENESS_TIMEOUT_MS: '700',
  ROLLCALL_LIVENESS_TICK_MS: '50',
  ROLLCALL_HEARTBEAT_FRAME_MS: '1000',
  ROLLCALL_NODE_HEARTBEAT_MS: '200',
};

export interface TestRollcall {
  readonly rollcall: Rollcall;
  readonly url: string;
  readonly dataDir: string;
  readonly workspaceSid: string;
  workerSid(name: string): string;
  activitySid(name: string): string;
  token(name: string, options?: { ttlS?: number; role?: 'worker' | 'admin' }): Promise<string>;
  close(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'rollcall-test-'));
}

export async function startRollcall(env: Record<string, string> = {}, dataDir = tempDataDir(), options: Pick<RollcallOptions, 'wrapStore'> = {}): Promise<TestRollcall> {
  const config = loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'silent', ...FAST_LIVENESS, ...env });
  const rollcall = await createRollcall(config, { ...options, demo: true, logger: pino({ level: process.env.ROLLCALL_TEST_LOG_LEVEL ?? 'silent' }) });
  const url = await rollcall.listen();
  const { account, apiKey, workspace, workers } = rollcall.installation;
  const activities = await rollcall.store.listActivities(workspace.sid);
  const byName = <T extends { friendlyName: string; sid: string }>(list: readonly T[], name: string): string => {
    const found = list.find((x) => x.friendlyName === name);
    if (!found) throw new Error(`no ${name} in ${list.map((x) => x.friendlyName).join(', ')}`);
    return found.sid;
  };
  return {
    rollcall,
    url,
    dataDir,
    workspaceSid: workspace.sid,
    workerSid: (name) => byName(workers, name),
    activitySid: (name) => byName(activities, name),
    token: (name, options = {}) => issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
      workerSid: byName(workers, name), identity: name, role: options.role ?? 'worker', ttlS: options.ttlS ?? 3600, nowMs: Date.now(),
    }),
    async close() {
      await rollcall.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An SDK Worker pointed at `baseUrl` (Rollcall itself or a proxy in front of it). */
export function sdkWorker(token: string, baseUrl: string, options: Record<string, unknown> = {}): SdkWorker {
  const worker = new SdkWorker(token, {
    ebServer: `${baseUrl}/v1/wschannels`,
    wsServer: `${baseUrl.replace(/^http/, 'ws')}/v1/wschannels`,
    logLevel: 'silent',
    ...options,
  });
  // The SDK emits 'error' on every failed reconnect attempt; tests that refuse reconnection expect
  // those, and an EventEmitter without a listener would turn them into uncaught exceptions.
  worker.on('error', (error: unknown) => sdkErrors.push(error));
  return worker;
}

/** Errors the SDK workers emitted, for tests that want to look at them. */
export const sdkErrors: unknown[] = [];
