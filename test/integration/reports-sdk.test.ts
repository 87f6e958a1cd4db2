/**
 * Reports end to end: a scripted day of three agents through the official twilio-taskrouter SDK
 * (connect, a blip, a logout and a return, breaks, a manual change over REST, an agent who goes
 * home without logging out), on a 20 s threshold, against a real server whose clock the test
 * moves, so every figure is exact. Then the report, the advisor and the history over the API
 * (the `twilio` library's `request()` and plain fetch with Basic auth), checked against figures
 * worked out by hand below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { sdkWorker, type SdkWorker } from '../support/harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { once, waitFor } from '../support/wait.js';
import { accountCredentials, restClient, startManualRollcall, type ManualRollcall } from './rest-support.js';

/** 08:00 in Paris on Thursday 26 November 2026 (UTC+1). The day is 2026-11-25T23:00Z to 2026-11-26T23:00Z. */
const T0 = Date.parse('2026-11-26T07:00:00Z');
const utc = (hhmmss: string): number => Date.parse(`2026-11-26T${hhmmss}Z`);

let s: ManualRollcall;
const agents = new Map<string, { worker: SdkWorker; proxy: TcpProxy }>();

async function connect(name: string): Promise<SdkWorker> {
  const { account, apiKey, workspace } = s.rollcall.installation;
  const token = await issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
    workerSid: s.workerSid(name), identity: name, role: 'worker', ttlS: 3 * 86_400, nowMs: s.clock.now(),
  });
  const proxy = new TcpProxy(Number(new URL(s.url).port));
  await proxy.start();
  const worker = sdkWorker(token, proxy.url);
  agents.set(name, { worker, proxy });
  await once(worker, 'ready');
  return worker;
}

async function setActivity(name: string, activity: string): Promise<void> {
  const agent = agents.get(name);
  const target = agent?.worker.activities.get(s.activitySid(activity));
  if (!agent || !target) throw new Error(`no ${name} or ${activity}`);
  const updated = once(agent.worker, 'activityUpdated');
  await target.setAsCurrent();
  await updated;
}

const episodesOf = (name: string) => s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid(name) });

/** Cuts the agent's network; resolves once the server has recorded the disconnection. */
async function dropNetwork(name: string): Promise<void> {
  const agent = agents.get(name);
  if (!agent) throw new Error(`no ${name}`);
  const before = (await episodesOf(name)).length;
  agent.proxy.refuseNew = true;
  agent.proxy.drop();
  await waitFor(`${name}'s disconnection`, async () => (await episodesOf(name)).length > before);
}

/** Lets the agent's SDK reconnect by itself; resolves once the server has it back. */
async function restoreNetwork(name: string): Promise<void> {
  const agent = agents.get(name);
  if (!agent) throw new Error(`no ${name}`);
  const ready = once(agent.worker, 'ready', 20_000);
  agent.proxy.refuseNew = false;
  await ready;
  await waitFor(`${name}'s reconnection`, async () => (await episodesOf(name)).at(-1)?.endedAt !== null);
}

/** Moves the server's clock to an instant of the day, firing due logouts at their due time. */
function clockTo(hhmmss: string): void {
  s.clock.advance(utc(hhmmss) - s.clock.now());
}

async function scriptedDay(): Promise<void> {
  await connect('alice');
  await setActivity('alice', 'Available'); // 07:00:00
  clockTo('07:10:00');
  await connect('bob');
  await setActivity('bob', 'Available'); // 07:10:00
  const carol = restClient(s.url, accountCredentials(s)).taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('carol'));
  clockTo('07:30:00');
  await carol.update({ activitySid: s.activitySid('Available') }); // a supervisor, over REST
  clockTo('08:00:00');
  await carol.update({ activitySid: s.activitySid('Offline') });
  clockTo('09:00:00');
  await dropNetwork('alice'); // a 5 s blip: no logout at 20 s
  clockTo('09:00:05');
  await restoreNetwork('alice');
  clockTo('10:00:00');
  await dropNetwork('alice'); // gone 2 min: logged out at 10:00:20
  clockTo('10:02:00');
  await restoreNetwork('alice'); // back, still Offline
  clockTo('10:02:30');
  await setActivity('alice', 'Available');
  clockTo('12:00:00');
  await setActivity('bob', 'Break');
  clockTo('12:30:00');
  await setActivity('bob', 'Available');
  clockTo('16:00:00');
  await setActivity('alice', 'Offline'); // alice logs out and closes her desktop
  const aliceEpisodes = (await episodesOf('alice')).length;
  agents.get('alice')?.worker.disconnect();
  await waitFor('alice to be gone', async () => (await episodesOf('alice')).length > aliceEpisodes);
  clockTo('17:00:00');
  await dropNetwork('bob'); // bob shuts his laptop while Available: logged out at 17:00:20
  clockTo('23:30:00');
}

beforeAll(async () => {
  // The manual clock crosses days while the agents stay connected: their tokens must outlive them.
  s = await startManualRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '20', ROLLCALL_TOKEN_MAX_TTL_S: String(3 * 86_400) }, T0);
  await scriptedDay();
}, 60_000);

afterAll(async () => {
  for (const { worker, proxy } of agents.values()) {
    worker.disconnect();
    await proxy.close();
  }
  await s?.close();
});

const base = (): string => `${s.url}/v1/Workspaces/${s.workspaceSid}`;
const DAY = 'StartDate=2026-11-26&EndDate=2026-11-26&TimeZone=Europe/Paris';

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const { username, password } = accountCredentials(s);
  return fetch(`${base()}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, ...headers } });
}

/** A JSON body of one of many shapes; the assertions below are what checks it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

async function json(path: string): Promise<Body> {
  return jsonAt(`${base()}${path}`);
}

async function jsonAt(uri: string): Promise<Body> {
  const response = await restClient(s.url, accountCredentials(s)).request({ method: 'get', uri });
  expect(response.statusCode).toBe(200);
  return response.body as Body;
}

// Hand-worked figures (seconds). alice: Available 07:00:00–10:00:20 (10 820) and 10:02:30–16:00:00
// (21 450); saved 10:00:20–10:02:30 (130). bob: Available 07:10–12:00 (17 400), Break 12:00–12:30
// (1 800), Available 12:30–17:00:20 (16 220); saved 17:00:20–23:00:00, the end of the Paris day
// (21 580). carol: 07:30–08:00 (1 800). Started hours (Paris hours): alice 08h–16h local = 9,
// bob 08h–18h = 11, carol 1.
const ALICE = { active: 32_270, saved: 130, hours: 9 };
const BOB = { active: 35_420, saved: 21_580, hours: 11 };
const CAROL = { active: 1_800, saved: 0, hours: 1 };

describe('a scripted day through the SDK, reported over the API', () => {
  it('recorded the logouts the day should have caused, and no other', async () => {
    const log = await s.rollcall.store.activityLog(s.workspaceSid);
    const logouts = log.filter((e) => e.cause === 'offline-threshold').map((e) => [e.workerSid, e.effectiveAt]);
    expect(logouts).toEqual([[s.workerSid('alice'), utc('10:00:20')], [s.workerSid('bob'), utc('17:00:20')]]);
  });

  it('reports active user hours per worker and in total, as JSON', async () => {
    const report = await json(`/Reports/ActiveUserHours?${DAY}&Granularity=day`);
    expect(report).toMatchObject({
      start_date: '2026-11-25T23:00:00Z', end_date: '2026-11-26T23:00:00Z', data_until: '2026-11-26T23:00:00Z',
      time_zone: 'Europe/Paris', granularity: 'day', rounding: 'none', logout_activity_name: 'Offline',
      total: { active_seconds: 69_490, saved_seconds: 21_710, active_workers: 3, billed_hours: 19.303 },
      periods: [{ period: '2026-11-26', active_seconds: 69_490, saved_seconds: 21_710, active_workers: 3 }],
    });
    const byName = Object.fromEntries((report.workers as Body[]).map((w) => [w.friendly_name, [w.active_seconds, w.saved_seconds]]));
    expect(byName).toEqual({ alice: [ALICE.active, ALICE.saved], bob: [BOB.active, BOB.saved], carol: [CAROL.active, CAROL.saved] });
    expect(report.meta).toMatchObject({ key: 'workers', page_size: 50, next_page_url: null });
  });

  it('answers CSV with every worker and period, and the totals, to the second', async () => {
    const response = await get(`/Reports/ActiveUserHours.csv?${DAY}&Rounding=started-hour`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = (await response.text()).trimEnd().split('\r\n');
    expect(header).toBe('scope,period,period_start,period_end,time_zone,worker_sid,friendly_name,active_seconds,active_hours,saved_seconds,saved_hours,billed_hours');
    const day = '2026-11-26,2026-11-25T23:00:00Z,2026-11-26T23:00:00Z,Europe/Paris';
    const row = (name: string, f: { active: number; saved: number; hours: number }) =>
      `worker,${day},${s.workerSid(name)},${name},${f.active},${Math.round(f.active / 3.6) / 1000},${f.saved},${Math.round(f.saved / 3.6) / 1000},${f.hours}`;
    expect(rows.sort()).toEqual([
      `total,${day},,,69490,19.303,21710,6.031,21`,
      row('alice', ALICE), row('bob', BOB), row('carol', CAROL),
    ].sort());
    // The same through the Accept header.
    const viaAccept = await get(`/Reports/ActiveUserHours?${DAY}&WorkerSid=${s.workerSid('carol')}`, { accept: 'text/csv' });
    expect((await viaAccept.text()).trimEnd().split('\r\n')).toHaveLength(3);
  });

  it('advises on the threshold from the recorded episodes, the current one marked', async () => {
    const advice = await json(`/Reports/ThresholdAdvisor?${DAY}`);
    expect(advice).toMatchObject({
      current_threshold_seconds: 20, automatic_update: true, episodes: 4, workers: 3,
      actual: { logouts: 2, false_logouts: 1, active_seconds: 69_490 },
      without_automatic_logout: { active_seconds: 91_200 },
    });
    const rows = (advice.candidates as Body[]).map((c) => [c.threshold_seconds, c.current, c.logouts, c.false_logouts, c.active_seconds]);
    expect(rows).toEqual([
      [15, false, 2, 1, 91_200 - 135 - 21_585],
      [20, true, 2, 1, 69_490],
      [30, false, 2, 1, 91_200 - 120 - 21_570],
      [60, false, 2, 1, 91_200 - 90 - 21_540],
      [120, false, 2, 1, 91_200 - 30 - 21_480],
      [300, false, 1, 0, 91_200 - 21_300],
      [600, false, 1, 0, 91_200 - 21_000],
    ]);
  });

  it('gives each worker its history: activity log with causes and evidence, and disconnections', async () => {
    const log = await json(`/Workers/${s.workerSid('alice')}/ActivityLog?${DAY}`);
    expect((log.activity_log as Body[]).map((e) => `${e.effective_date.slice(11, 19)} ${e.from_activity_name}→${e.to_activity_name} ${e.cause}`)).toEqual([
      '07:00:00 null→Offline created', '07:00:00 Offline→Available agent', '10:00:20 Available→Offline offline-threshold', '10:02:30 Offline→Available agent', '16:00:00 Available→Offline agent',
    ]);
    expect(log.initial_activity).toBeNull(); // alice was created at 08:00 local, inside the range
    const afternoon = await json(`/Workers/${s.workerSid('alice')}/ActivityLog?StartDate=2026-11-26T11:00:00Z&EndDate=2026-11-26T23:00:00Z`);
    expect(afternoon.initial_activity).toMatchObject({ activity_name: 'Available', effective_date: '2026-11-26T10:02:30Z' });
    expect(afternoon.activity_log).toHaveLength(1);
    expect(log.activity_log[2]).toMatchObject({ actor: 'rollcall', evidence: { reason: 'closed', last_seen_date: '2026-11-26T10:00:00Z', threshold_ms: 20_000 } });
    const episodes = await json(`/Workers/${s.workerSid('alice')}/Disconnections?${DAY}`);
    expect((episodes.disconnections as Body[]).map((e) => [e.start_date.slice(11, 19), e.end_date?.slice(11, 19) ?? null, e.outcome, e.duration_seconds, e.reason])).toEqual([
      ['09:00:00', '09:00:05', 'reconnected', 5, 'closed'],
      ['10:00:00', '10:00:20', 'logged-out', 20, 'closed'],
      ['16:00:00', null, null, null, 'closed'], // still away: no end yet
    ]);
    expect(episodes.disconnections[1]).toMatchObject({ logout_date: '2026-11-26T10:00:20Z', reconnect_date: '2026-11-26T10:02:00Z', exempt: false });
  });

  it('pages the workspace log and streams it as CSV and NDJSON', async () => {
    const first = await json(`/ActivityLog?${DAY}&PageSize=4`);
    expect(first.activity_log).toHaveLength(4);
    const second = await jsonAt(first.meta.next_page_url as string);
    expect(second.activity_log[0].id).toBeGreaterThan(first.activity_log[3].id);
    const ndjson = (await (await get(`/ActivityLog.ndjson?${DAY}`)).text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(ndjson.map((e) => e.cause)).toEqual(['created', 'created', 'created', 'agent', 'agent', 'api', 'api', 'offline-threshold', 'agent', 'agent', 'agent', 'agent', 'offline-threshold']);
    const csv = (await (await get(`/ActivityLog.csv?${DAY}`)).text()).trimEnd().split('\r\n');
    expect(csv).toHaveLength(14);
    expect(csv[0]).toBe('id,effective_date,effective_date_ms,recorded_date,worker_sid,worker_name,from_activity_sid,from_activity_name,to_activity_sid,to_activity_name,cause,actor,reason,last_seen_date,threshold_seconds,due_date');
    expect(csv.find((l) => l.includes('offline-threshold'))).toMatch(/,alice,.*,Available,.*,Offline,offline-threshold,rollcall,closed,2026-11-26T10:00:00Z,20,2026-11-26T10:00:20Z$/);
    const episodesCsv = (await (await get(`/Disconnections.csv?${DAY}`)).text()).trimEnd().split('\r\n');
    expect(episodesCsv).toHaveLength(5);
  });

  it('refuses bad input with a Twilio error naming the parameter, and changes nothing', async () => {
    const before = (await s.rollcall.store.activityLog(s.workspaceSid)).length;
    const cases: [string, string][] = [
      ['StartDate=2026-11-27&EndDate=2026-11-26&TimeZone=Europe/Paris', 'EndDate'],
      ['StartDate=2026-10-01&EndDate=2026-11-26&Granularity=day', 'EndDate'],
      ['StartDate=2026-11-26&EndDate=2026-11-26&TimeZone=Europe/Lutece', 'TimeZone'],
      ['StartDate=26/11/2026&EndDate=2026-11-26', 'StartDate'],
      ['StartDate=2026-11-26&EndDate=2026-11-26&Granularity=hour', 'Granularity'],
      ['StartDate=2026-11-26&EndDate=2026-11-26&Rounding=up', 'Rounding'],
      ['StartDate=2026-11-26&EndDate=2026-11-26&WorkerSid=alice', 'WorkerSid'],
    ];
    for (const [query, field] of cases) {
      const response = await get(`/Reports/ActiveUserHours?${query}`);
      const body = await response.json() as { code: number; status: number; message: string; more_info: string };
      expect({ status: response.status, code: body.code }, query).toEqual({ status: 400, code: 20001 });
      expect(body.message, query).toContain(field);
    }
    const unknownWorker = await get(`/Reports/ActiveUserHours?${DAY}&WorkerSid=WK${'0'.repeat(32)}`);
    expect(unknownWorker.status).toBe(404);
    const reversedExport = await get('/ActivityLog.csv?StartDate=2026-11-27&EndDate=2026-11-26');
    expect(reversedExport.status).toBe(400);
    expect(reversedExport.headers.get('content-type')).toMatch(/json/);
    expect((await s.rollcall.store.activityLog(s.workspaceSid)).length).toBe(before);
  });
});
