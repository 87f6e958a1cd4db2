/**
 * REST conformance, part 3: Flex Configuration (`GET/POST /v1/Configuration`, a JSON body on
 * POST), the logout settings as Flex exposes them, and every refusal, through the `twilio` library.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { accountCredentials, expectRestError, keyCredentials, restClient } from './rest-support.js';

let server: TestRollcall | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start() {
  server = await startRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '30' });
  const client = restClient(server.url, accountCredentials(server));
  return { s: server, client, configuration: client.flexApi.v1.configuration() };
}

describe('Flex Configuration', () => {
  it('shows the workspace, the logout activity and offline_config', async () => {
    const { s, configuration } = await start();
    const config = await configuration.fetch();
    expect(config).toMatchObject({
      accountSid: s.rollcall.installation.account.sid,
      status: 'ok',
      taskrouterWorkspaceSid: s.workspaceSid,
      taskrouterOfflineActivitySid: s.activitySid('Offline'),
      offlineConfig: { presence: true, presence_ttl: 30 },
      url: `${s.url}/v1/Configuration`,
    });
    expect(config.dateUpdated).toBeInstanceOf(Date);
  });

  it('changes the logout settings from a JSON body, with an API key too', async () => {
    const { s, configuration } = await start();
    const updated = await configuration.update({ offline_config: { presence: false, presence_ttl: 300 } });
    expect(updated.offlineConfig).toEqual({ presence: false, presence_ttl: 300 });
    expect(await s.rollcall.store.logoutSettings(s.workspaceSid)).toMatchObject({ enabled: false, thresholdMs: 300_000 });

    const viaKey = restClient(s.url, keyCredentials(s)).flexApi.v1.configuration();
    const unavailable = s.activitySid('Unavailable');
    const moved = await viaKey.update({ taskrouter_workspace_sid: s.workspaceSid, taskrouter_offline_activity_sid: unavailable, offline_config: { presence: true } });
    expect(moved).toMatchObject({ taskrouterOfflineActivitySid: unavailable, offlineConfig: { presence: true, presence_ttl: 300 } });
    expect((await viaKey.fetch()).taskrouterOfflineActivitySid).toBe(unavailable);
  });

  it('ignores fields it does not know', async () => {
    const { s, configuration } = await start();
    const updated = await configuration.update({ ui_attributes: { theme: 'dark' }, offline_config: { presence_ttl: 45, colour: 'blue' } });
    expect(updated.offlineConfig).toEqual({ presence: true, presence_ttl: 45 });
    expect((await s.rollcall.store.logoutSettings(s.workspaceSid)).thresholdMs).toBe(45_000);
  });

  it('refuses bad settings naming the field, and writes nothing of a refused change', async () => {
    const { s, configuration } = await start();
    const before = await s.rollcall.store.logoutSettings(s.workspaceSid);
    const refusals: [object, RegExp][] = [
      [{ offline_config: { presence: false, presence_ttl: 0 } }, /^offline_config\.presence_ttl must be a whole number of seconds from 1 to 86400$/],
      [{ offline_config: { presence: false, presence_ttl: 86_401 } }, /offline_config\.presence_ttl/],
      [{ offline_config: { presence: false, presence_ttl: 1.5 } }, /offline_config\.presence_ttl/],
      [{ offline_config: { presence: false, presence_ttl: '60' } }, /offline_config\.presence_ttl/],
      [{ offline_config: { presence: 'yes', presence_ttl: 60 } }, /^offline_config\.presence must be true or false$/],
      [{ offline_config: 'on' }, /^offline_config must be an object/],
      [{ offline_config: { presence: false }, taskrouter_offline_activity_sid: s.activitySid('Available') }, /taskrouter_offline_activity_sid must name an unavailable activity; Available is available/],
      [{ offline_config: { presence: false }, taskrouter_offline_activity_sid: `WA${'0'.repeat(32)}` }, /taskrouter_offline_activity_sid WA0+ is not an activity of workspace/],
      [{ offline_config: { presence: false }, taskrouter_offline_activity_sid: 'Offline' }, /taskrouter_offline_activity_sid must be an activity SID/],
      [{ offline_config: { presence: false }, taskrouter_workspace_sid: `WS${'0'.repeat(32)}` }, /taskrouter_workspace_sid WS0+ is not a workspace of this account/],
    ];
    for (const [params, message] of refusals) await expectRestError(configuration.update(params), { status: 400, code: 20001, message });
    expect(await s.rollcall.store.logoutSettings(s.workspaceSid)).toEqual(before);
  });

  it('refuses a body that is not a JSON object', async () => {
    const { s, client } = await start();
    for (const data of ['[{"offline_config":{"presence":false}}]', '"presence"']) {
      const response = await client.request({ method: 'post', uri: `${s.url}/v1/Configuration`, headers: { 'Content-Type': 'application/json' }, data: data as unknown as object });
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ code: 20001, status: 400, message: 'The request body must be form parameters or a JSON object' });
    }
    expect((await s.rollcall.store.logoutSettings(s.workspaceSid)).enabled).toBe(true);
  });
});
