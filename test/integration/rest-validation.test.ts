/**
 * What the route schemas accept and refuse on the wire, sent raw where the `twilio` library would
 * not (repeated keys, `Attributes[…]`, JSON bodies, booleans in other cases): every refusal is a
 * Twilio error body naming the parameter, with no validator text, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';

let s: TestRollcall;
let basic: string;

beforeAll(async () => {
  s = await startRollcall();
  const { account } = s.rollcall.installation;
  basic = `Basic ${Buffer.from(`${account.sid}:${account.authToken}`).toString('base64')}`;
});
afterAll(async () => s.close());

async function call(method: string, path: string, body?: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${s.url}/v1/Workspaces/${s.workspaceSid}${path}`, {
    method, headers: { authorization: basic, ...(body === undefined ? {} : { 'content-type': contentType }) }, ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const activityNames = async (): Promise<string[]> => (await s.rollcall.store.listActivities(s.workspaceSid)).map((a) => a.friendlyName);

describe('route schemas on the wire', () => {
  it('refuses a bad value with a Twilio error naming the parameter, and writes nothing', async () => {
    const before = await activityNames();
    const cases: [string, string, string | undefined, RegExp][] = [
      ['POST', '/Activities', 'FriendlyName=a&FriendlyName=b', /^FriendlyName must be given once$/],
      ['POST', '/Activities', 'Available=true', /^FriendlyName is required$/],
      ['POST', '/Activities', 'FriendlyName=x&Available=sometimes', /^Available must be true or false$/],
      ['POST', `/Workers`, 'FriendlyName=x&Attributes[skill]=sales', /^Attributes must be a JSON string; an object was sent as Attributes\[…\] parameters/],
      ['POST', `/Workers`, 'FriendlyName=x&Attributes=[1]', /^Attributes must be a JSON object$/],
      ['POST', `/Workers`, 'FriendlyName=x&ActivitySid=WAnope', /^ActivitySid WAnope is not valid: it must be a SID/],
      ['GET', '/Workers?PageSize=abc', undefined, /^PageSize abc is not valid: it must be a whole number from 1 to 1000$/],
      ['GET', '/Workers?PageSize=1&PageSize=2', undefined, /^PageSize must be given once$/],
      ['GET', '/Tasks?AssignmentStatus=pending&AssignmentStatus=lost', undefined, /^AssignmentStatus must be one of .* \(got lost\)$/],
      ['GET', '/Tasks?VirtualStartTime=x&Ordering=Size:asc', undefined, /^Ordering must be Attribute:asc or Attribute:desc/],
      ['GET', '/Events?StartDate=yesterday', undefined, /^StartDate yesterday is not valid: it must be an ISO 8601 date-time/],
      ['POST', '/Activities', '["FriendlyName"]', /^The request body must be form parameters or a JSON object$/],
      ['POST', '/Activities', '{"FriendlyName":{"a":1}}', /^FriendlyName must be a string$/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await call(method, path, body, body?.startsWith('[') || body?.startsWith('{') ? 'application/json' : undefined);
      expect(answer.status, `${method} ${path} ${body}`).toBe(400);
      expect(answer.body).toEqual({ code: 20001, message: expect.stringMatching(message), more_info: expect.any(String), status: 400 });
    }
    expect(await activityNames()).toEqual(before);
  });

  it('reads Twilio booleans in any case, repeated keys as lists, JSON bodies, and ignores unknown parameters', async () => {
    const created = await call('POST', '/Activities', 'FriendlyName=Loud&Available=TRUE&Nope=1');
    expect(created).toMatchObject({ status: 201, body: { friendly_name: 'Loud', available: true } });
    const json = await call('POST', '/Activities', JSON.stringify({ FriendlyName: 'Json', Available: false }), 'application/json');
    expect(json).toMatchObject({ status: 201, body: { friendly_name: 'Json', available: false } });
    const listed = await call('GET', '/Activities?Available=True&PageSize=1000');
    expect((listed.body.activities as { available: boolean }[]).every((a) => a.available)).toBe(true);
    expect((listed.body.activities as unknown[]).length).toBeGreaterThan(0);
    const tasks = await call('GET', '/Tasks?AssignmentStatus=pending&AssignmentStatus=assigned,wrapping&PageSize=5&Extra=x');
    expect(tasks.status).toBe(200);
    // Links keep the request's filters as they were sent.
    expect((tasks.body.meta as { url: string }).url).toMatch(/AssignmentStatus=pending&AssignmentStatus=assigned%2Cwrapping&Extra=x&PageSize=5/);
  });

  it('answers Flex Configuration type errors in its own field names', async () => {
    const response = await fetch(`${s.url}/v1/Configuration`, {
      method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ offline_config: { presence_ttl: '60' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 20001, message: 'offline_config.presence_ttl must be a whole number of seconds from 1 to 86400' });
  });
});
