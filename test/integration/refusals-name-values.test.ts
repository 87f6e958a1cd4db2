/**
 * Refusals name the offending value, in the caller's dialect, and a URL Fastify cannot route (a
 * lone `%`) gets a Twilio-shaped error with a code instead of Fastify's own body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, restClient } from './rest-support.js';

let s: TestRollcall;

beforeAll(async () => {
  s = await startRollcall();
});
afterAll(async () => s.close());

describe('refusals name the value at fault', () => {
  it('REST: a malformed SID, number or date is quoted in the message', async () => {
    const workers = restClient(s.url, accountCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid).workers;
    await expectRestError(workers(s.workerSid('alice')).update({ activitySid: 'invalid_activitySid' }), { status: 400, code: 20001, message: /ActivitySid invalid_activitySid is not valid/ });
    await expectRestError(workers.list({ pageSize: 0 }), { status: 400, code: 20001, message: /PageSize 0 is not valid/ });
  });

  it('envelope: an invalid ActivitySid is quoted (the SDK Supervisor spec looks for it)', async () => {
    const res = await fetch(`${s.url}/v1/wschannels`, {
      method: 'POST',
      body: JSON.stringify({ url: `Workspaces/${s.workspaceSid}/Workers/${s.workerSid('bob')}`, method: 'POST', params: { ActivitySid: 'invalid_activitySid' }, token: await s.token('alice', { role: 'admin' }) }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('invalid_activitySid');
  });
});

describe('malformed URLs', () => {
  it.each([['GET', '/v1/Workspaces/%'], ['POST', '/v1/wschannels%'], ['GET', '/v1/Configuration%zz']])('%s %s is a Twilio error with a code', async (method, path) => {
    const res = await fetch(`${s.url}${path}`, { method });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 20001, status: 400, more_info: 'https://www.twilio.com/docs/errors/20001',
      message: `The URL ${path} is malformed (a % not followed by two hex digits?)`,
    });
  });
});
