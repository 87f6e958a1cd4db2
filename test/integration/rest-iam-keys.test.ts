/**
 * API keys over Twilio's iam v1 paths (`/v1/Keys`), as the official `twilio` library's
 * `client.iam.v1` calls them: the same keys as the 2010 paths, with the same rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, keyCredentials, restClient, type Credentials } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

function iamClient(url: string, credentials: Credentials) {
  const client = restClient(url, credentials);
  client.iam.baseUrl = url;
  return client;
}

describe('API keys over iam v1', () => {
  it('are created, listed, fetched, renamed and revoked, and a revoked key stops working', async () => {
    server = await startRollcall();
    const s = server;
    const accountSid = s.rollcall.installation.account.sid;
    const client = iamClient(s.url, accountCredentials(s));
    const iam = client.iam.v1;
    const created = await iam.newApiKey.create({ accountSid, friendlyName: 'Via iam', keyType: 'standard' });
    expect(created.sid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created).toMatchObject({ friendlyName: 'Via iam', policy: null });
    expect(created.dateCreated).toBeInstanceOf(Date);
    const withNewKey = restClient(s.url, { username: created.sid, password: created.secret, accountSid });
    expect((await withNewKey.taskrouter.v1.workspaces(s.workspaceSid).fetch()).sid).toBe(s.workspaceSid);

    const listed = await iam.getApiKeys.list({ accountSid });
    expect(listed.map((k) => k.sid)).toEqual([s.rollcall.installation.apiKey.sid, created.sid]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    // Paging follows the absolute links, AccountSid kept.
    expect((await iam.getApiKeys.list({ accountSid, pageSize: 1 })).map((k) => k.sid)).toEqual(listed.map((k) => k.sid));
    // The 2010 paths see the same keys.
    expect((await client.keys.list()).map((k) => k.sid)).toEqual(listed.map((k) => k.sid));

    expect((await iam.apiKey(created.sid).update({ friendlyName: 'Renamed' })).friendlyName).toBe('Renamed');
    expect((await iam.apiKey(created.sid).fetch()).friendlyName).toBe('Renamed');
    expect(await iam.apiKey(created.sid).remove()).toBe(true);
    await expectRestError(withNewKey.taskrouter.v1.workspaces(s.workspaceSid).fetch(), { status: 401, code: 20003 });
    await expectRestError(iam.apiKey(created.sid).fetch(), { status: 404, code: 20404 });
  });

  it('refuse another account, restricted keys and API-key callers, and create nothing', async () => {
    server = await startRollcall();
    const s = server;
    const accountSid = s.rollcall.installation.account.sid;
    const iam = iamClient(s.url, accountCredentials(s)).iam.v1;
    const other = `AC${'0'.repeat(32)}`;
    await expectRestError(iam.newApiKey.create({ accountSid: other, friendlyName: 'x' }), { status: 400, code: 20001, message: new RegExp(`^AccountSid ${other} is not the account of these credentials$`) });
    await expectRestError(iam.getApiKeys.list({ accountSid: other }), { status: 400, code: 20001, message: /AccountSid/ });
    await expectRestError(iam.newApiKey.create({ accountSid, keyType: 'restricted', policy: { allow: [] } }), { status: 400, code: 20001, message: /^KeyType restricted is not supported/ });
    await expectRestError(iam.newApiKey.create({ accountSid, policy: { allow: [] } }), { status: 400, code: 20001, message: /^Policy is not supported/ });
    const viaKey = iamClient(s.url, keyCredentials(s)).iam.v1;
    await expectRestError(viaKey.newApiKey.create({ accountSid, friendlyName: 'minted by a key' }), { status: 403, code: 20403 });
    await expectRestError(viaKey.apiKey(s.rollcall.installation.apiKey.sid).remove(), { status: 403, code: 20403 });
    expect((await s.rollcall.store.listApiKeys(accountSid)).length).toBe(1);
  });
});
