/**
 * The console's reports against a real server whose clock the test moves: a short day (admin
 * changes over the console API, an agent on the official SDK who closes the desktop and is
 * logged out by the threshold), then the reports in the console dialect checked against figures
 * worked out by hand and against the REST answers (one service, one parameter reader), the
 * exports byte for byte against REST's, and refusals naming the console's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { ConsoleClient } from '../support/console-client.js';
import { sdkWorker, type SdkWorker } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, startManualRollcall, type ManualRollcall } from './rest-support.js';

/** 09:00 in Paris on Thursday 26 November 2026 (UTC+1). */
const utc = (hhmmss: string): number => Date.parse(`2026-11-26T${hhmmss}Z`);

let s: ManualRollcall;
let admin: ConsoleClient;
let agent: SdkWorker | null = null;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

const clockTo = (hhmmss: string): void => s.clock.advance(utc(hhmmss) - s.clock.now());

async function setActivity(name: string, activity: string): Promise<void> {
  const res = await admin.call('PATCH', `/console/api/workers/${s.workerSid(name)}`, { activity_sid: s.activitySid(activity) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  s = await startManualRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '20' }, utc('08:00:00'));
  admin = new ConsoleClient(s.url);
  const { account, apiKey, workspace } = s.rollcall.installation;
  expect((await admin.signIn(account.sid, account.authToken)).status).toBe(200);
  // bob: Available 08:00–09:00 (3 600 s), Break 09:00–09:30 (1 800), Offline at 09:30.
  await setActivity('bob', 'Available');
  clockTo('09:00:00');
  await setActivity('bob', 'Break');
  clockTo('09:30:00');
  await setActivity('bob', 'Offline');
  // alice: Available from 10:00, closes her desktop at 11:00, logged out at 11:00:20 (3 620 s);
  // saved from then to the end of the Paris day, 23:00Z (43 180 s).
  clockTo('10:00:00');
  const token = await issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
    workerSid: s.workerSid('alice'), identity: 'alice', role: 'worker', ttlS: 86_400, nowMs: s.clock.now(),
  });
  agent = sdkWorker(token, s.url);
  await once(agent, 'ready');
  await setActivity('alice', 'Available');
  clockTo('11:00:00');
  agent.disconnect();
  await waitFor('alice to be disconnected', async () => (await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid('alice') })).length > 0);
  clockTo('11:00:20');
  await waitFor('alice logged out', async () => (await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid('alice')))?.activityName === 'Offline');
  clockTo('23:30:00');
  // The day outlasted the session (12 h): sign in again, as the admin would the next morning.
  expect((await admin.signIn(account.sid, account.authToken)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  agent?.disconnect();
  await s?.close();
});

const DAY = 'start_date=2026-11-26&end_date=2026-11-26&time_zone=Europe/Paris';
const REST_DAY = 'StartDate=2026-11-26&EndDate=2026-11-26&TimeZone=Europe/Paris';
const get = (path: string) => admin.call<Body>('GET', `/console/api/reports/${path}`);

async function rest(path: string): Promise<Response> {
  const { username, password } = accountCredentials(s);
  return fetch(`${s.url}/v1/Workspaces/${s.workspaceSid}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
}

async function download(path: string, cookie = true): Promise<Response> {
  const jar = `rollcall_session=${admin.cookie('rollcall_session') ?? ''}`;
  return fetch(`${s.url}/console/api/reports/${path}`, { headers: cookie ? { cookie: jar } : {} });
}

describe('console reports', () => {
  it('reports active user hours in the console dialect, equal to the hand-worked day and to REST', async () => {
    const res = await get(`active-user-hours?${DAY}&granularity=day`);
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r).toMatchObject({
      start_at: Date.parse('2026-11-25T23:00:00Z'), end_at: Date.parse('2026-11-26T23:00:00Z'), data_until: Date.parse('2026-11-26T23:00:00Z'),
      time_zone: 'Europe/Paris', granularity: 'day', rounding: 'none', logout_activity_name: 'Offline',
      total: { active_seconds: 3_600 + 1_800 + 3_620, saved_seconds: 43_180, active_workers: 2 },
      periods: [{ period: '2026-11-26', start_at: Date.parse('2026-11-25T23:00:00Z'), active_seconds: 9_020 }],
    });
    expect(Object.fromEntries((r.workers as Body[]).map((w) => [w.friendly_name, [w.active_seconds, w.saved_seconds]]))).toEqual({ alice: [3_620, 43_180], bob: [5_400, 0] });
    const viaRest = (await (await rest(`/Reports/ActiveUserHours?${REST_DAY}&Granularity=day&PageSize=1000`)).json()) as Body;
    expect(r.total).toEqual(viaRest.total);
    expect(r.workers.map((w: Body) => w.billed_hours)).toEqual(viaRest.workers.map((w: Body) => w.billed_hours));
    const rounded = await get(`active-user-hours?${DAY}&granularity=month&rounding=started-hour&worker_sid=${s.workerSid('bob')}`);
    expect(rounded.body).toMatchObject({ granularity: 'month', periods: [{ period: '2026-11' }], total: { billed_hours: 2 }, workers: [{ friendly_name: 'bob' }] });
  });

  it('advises on the threshold with the current one marked, as REST does', async () => {
    const res = await get(`threshold-advisor?${DAY}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ current_threshold_seconds: 20, episodes: 1, actual: { logouts: 1, active_seconds: 9_020 }, start_at: Date.parse('2026-11-25T23:00:00Z') });
    const current = (res.body.candidates as Body[]).filter((c) => c.current);
    expect(current).toEqual([expect.objectContaining({ threshold_seconds: 20, logouts: 1, active_seconds: 9_020 })]);
    const viaRest = (await (await rest(`/Reports/ThresholdAdvisor?${REST_DAY}`)).json()) as Body;
    expect(res.body.candidates).toEqual(viaRest.candidates);
  });

  it("gives one worker's history whole: the log with cause and evidence, the episode", async () => {
    const res = await get(`history?${DAY}&worker_sid=${s.workerSid('alice')}`);
    expect(res.status).toBe(200);
    const h = res.body;
    // The installation (and alice) was created at 08:00, after the Paris day began: no first band.
    expect(h.initial_activity).toBeNull();
    expect((h.activity_log as Body[]).map((e) => [e.to_activity_name, e.cause, e.effective_at])).toEqual([
      ['Offline', 'created', utc('08:00:00')], ['Available', 'admin', utc('10:00:00')], ['Offline', 'offline-threshold', utc('11:00:20')],
    ]);
    expect(h.activity_log[2].evidence).toEqual({ reason: 'closed', last_seen_at: utc('11:00:00'), threshold_ms: 20_000, due_at: utc('11:00:20') });
    expect(h.disconnections).toEqual([expect.objectContaining({ start_at: utc('11:00:00'), reason: 'closed', outcome: 'logged-out', logout_at: utc('11:00:20'), end_at: utc('11:00:20'), duration_s: 20 })]);
    expect(h).toMatchObject({ data_until: Date.parse('2026-11-26T23:00:00Z'), truncated: false });
  });

  it('streams the exports for download with the session cookie, the same bytes as REST', async () => {
    const pairs: [string, string][] = [
      [`active-user-hours.csv?${DAY}&granularity=day`, `/Reports/ActiveUserHours.csv?${REST_DAY}&Granularity=day`],
      [`activity-log.csv?${DAY}`, `/ActivityLog.csv?${REST_DAY}`],
      [`activity-log.ndjson?${DAY}&worker_sid=${s.workerSid('alice')}`, `/ActivityLog.ndjson?${REST_DAY}&WorkerSid=${s.workerSid('alice')}`],
      [`disconnections.csv?${DAY}`, `/Disconnections.csv?${REST_DAY}`],
      [`disconnections.ndjson?${DAY}`, `/Disconnections.ndjson?${REST_DAY}`],
    ];
    for (const [console, restPath] of pairs) {
      const res = await download(console);
      expect(res.status, console).toBe(200);
      expect(res.headers.get('content-disposition'), console).toMatch(/^attachment; filename="[a-z-]+\.(csv|ndjson)"$/);
      const text = await res.text();
      expect(text, console).toBe(await (await rest(restPath)).text());
      expect(text.length, console).toBeGreaterThan(50);
    }
    expect((await download(`activity-log.csv?${DAY}`, false)).status).toBe(401);
  });

  it('refuses bad input with the message naming the console field', async () => {
    const cases: [string, string, RegExp][] = [
      [`active-user-hours?start_date=2026-11-26&end_date=2026-11-20&time_zone=UTC`, 'end_date', /^The end date must be after the start date/],
      [`active-user-hours?start_date=2026-01-01&end_date=2026-03-01&granularity=day`, 'end_date', /^The end date: a daily report covers at most 31 days/],
      [`active-user-hours?start_date=2026-11-26&end_date=2026-11-26&time_zone=Mars/Olympus`, 'time_zone', /^The time zone must be an IANA time zone/],
      [`active-user-hours?start_date=26/11/2026&end_date=2026-11-26`, 'start_date', /^The start date must be a date/],
      [`active-user-hours?${DAY}&rounding=nearest`, 'rounding', /^Rounding must be none or started-hour/],
      [`threshold-advisor?start_date=2026-10-01&end_date=2026-11-26`, 'end_date', /threshold advisor covers at most 31 days/],
      [`history?${DAY}`, 'worker_sid', /^The worker is required/],
      [`history?${DAY}&worker_sid=nope`, 'worker_sid', /^The worker nope is not valid/],
      [`activity-log.csv?start_date=2026-11-26&end_date=2026-11-01`, 'end_date', /^The end date must be after/],
    ];
    for (const [path, field, message] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatchObject({ code: 'invalid-parameter', field });
      expect(res.body.message, path).toMatch(message);
    }
    const unknown = await get(`history?${DAY}&worker_sid=WK${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
  });
});
