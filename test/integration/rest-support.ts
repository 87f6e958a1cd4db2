/**
 * Support for the REST conformance suite: the official `twilio` library pointed at a real server
 * on port 0 (twilio-protocol.md §1.7: `baseUrl` per domain, never TWILIO_EDGE/REGION), and a
 * server on a ManualClock for tests whose figures depend on time (statistics, date filters).
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type twilioSdk from 'twilio';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRollcall } from '../../src/main.js';
import { ManualClock } from '../../src/service/clocks.js';
import { FAST_LIVENESS, tempDataDir, type TestRollcall } from '../support/harness.js';
import { rmSync } from 'node:fs';

const require = createRequire(import.meta.url);
export const twilio = require('twilio') as typeof twilioSdk;
export type TwilioClient = twilioSdk.Twilio;

export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly accountSid?: string;
}

/** A `twilio` client whose TaskRouter, Flex and 2010 API domains point at `baseUrl`. */
export function restClient(baseUrl: string, credentials: Credentials): TwilioClient {
  const options = credentials.accountSid ? { accountSid: credentials.accountSid } : {};
  const client = twilio(credentials.username, credentials.password, options);
  client.taskrouter.baseUrl = baseUrl;
  client.flexApi.baseUrl = baseUrl;
  client.api.baseUrl = baseUrl;
  return client;
}

/** The account's own credentials (Account SID and auth token). */
export function accountCredentials(s: Pick<TestRollcall, 'rollcall'>): Credentials {
  const { account } = s.rollcall.installation;
  return { username: account.sid, password: account.authToken };
}

/** The installation's API key, as `twilio(SK…, secret, {accountSid})` uses it. */
export function keyCredentials(s: Pick<TestRollcall, 'rollcall'>): Credentials {
  const { account, apiKey } = s.rollcall.installation;
  return { username: apiKey.sid, password: apiKey.secret, accountSid: account.sid };
}

export interface RestErrorShape {
  readonly status: number;
  readonly code: number;
  readonly message?: RegExp;
}

/** Awaits a library call that must fail with a Twilio RestException of this status and code. */
export async function expectRestError(call: Promise<unknown>, expected: RestErrorShape): Promise<{ status: number; code: number; message: string; moreInfo: string }> {
  let error: unknown = null;
  try {
    await call;
  } catch (caught) {
    error = caught;
  }
  expect(error, 'the call should have failed').toBeInstanceOf(twilio.RestException);
  const e = error as { status: number; code: number; message: string; moreInfo: string };
  expect({ status: e.status, code: e.code }).toEqual({ status: expected.status, code: expected.code });
  expect(e.moreInfo).toBe(`https://www.twilio.com/docs/errors/${expected.code}`);
  if (expected.message) expect(e.message).toMatch(expected.message);
  return e;
}

export interface ManualRollcall extends TestRollcall {
  readonly clock: ManualClock;
}

/** A real server on port 0 whose every instant comes from a ManualClock the test moves. */
export async function startManualRollcall(env: Record<string, string> = {}, startAt?: number): Promise<ManualRollcall> {
  const dataDir = tempDataDir();
  const clock = new ManualClock(startAt);
  const config = loadConfig({ PORT: '0', ROLLCALL_DATA_DIR: dataDir, ROLLCALL_LOG_LEVEL: 'silent', ...FAST_LIVENESS, ...env });
  const rollcall = await createRollcall(config, { demo: true, clock, logger: pino({ level: 'silent' }) });
  const url = await rollcall.listen();
  const { workspace, workers } = rollcall.installation;
  const activities = await rollcall.store.listActivities(workspace.sid);
  const sidOf = (list: readonly { friendlyName: string; sid: string }[], name: string): string => {
    const found = list.find((x) => x.friendlyName === name);
    if (!found) throw new Error(`no ${name}`);
    return found.sid;
  };
  return {
    rollcall, url, dataDir, clock,
    workspaceSid: workspace.sid,
    workerSid: (name) => sidOf(workers, name),
    activitySid: (name) => sidOf(activities, name),
    token: () => Promise.reject(new Error('no tokens on a manual clock')),
    async close() {
      await rollcall.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
