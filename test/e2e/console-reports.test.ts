/**
 * The console's reports in a real browser (Debian's Chromium through playwright-core) against a
 * real Rollcall on port 0 whose clock the test moves: a short day seeded through the console API
 * and the official twilio-taskrouter SDK (an agent closes the desktop and is logged out by the
 * threshold). Each page must show the figures the API answers, show a refusal next to the field
 * it names, and end with no console errors but the refusals provoked. Screenshots go to
 * test-output/e2e/ (copies in docs/images/ illustrate the README).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import { launchBrowser, newPage, screenshot, type WatchedPage } from '../support/browser.js';
import { ConsoleClient } from '../support/console-client.js';
import { sdkWorker, type SdkWorker } from '../support/harness.js';
import { once, waitFor } from '../support/wait.js';
import { startManualRollcall, type ManualRollcall } from '../integration/rest-support.js';

const utc = (hhmmss: string): number => Date.parse(`2026-11-26T${hhmmss}Z`);
const DAY = 'start_date=2026-11-26&end_date=2026-11-26&time_zone=Europe/Paris';

let s: ManualRollcall;
let browser: Browser;
let agent: SdkWorker | null = null;
const watched: { page: WatchedPage; allowed: RegExp[] }[] = [];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

const clockTo = (hhmmss: string): void => s.clock.advance(utc(hhmmss) - s.clock.now());

async function seedDay(): Promise<void> {
  const admin = new ConsoleClient(s.url);
  const { account, apiKey, workspace } = s.rollcall.installation;
  expect((await admin.signIn(account.sid, account.authToken)).status).toBe(200);
  const set = async (name: string, activity: string) =>
    expect((await admin.call('PATCH', `/console/api/workers/${s.workerSid(name)}`, { activity_sid: s.activitySid(activity) })).status).toBe(200);
  await set('bob', 'Available');
  clockTo('09:00:00');
  await set('bob', 'Break');
  clockTo('09:30:00');
  await set('bob', 'Available');
  clockTo('10:00:00');
  const token = await issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
    workerSid: s.workerSid('alice'), identity: 'alice', role: 'worker', ttlS: 86_400, nowMs: s.clock.now(),
  });
  agent = sdkWorker(token, s.url);
  await once(agent, 'ready');
  await set('alice', 'Available');
  clockTo('11:00:00');
  agent.disconnect();
  await waitFor('alice to be disconnected', async () => (await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: s.workerSid('alice') })).length > 0);
  clockTo('11:00:20');
  await waitFor('alice logged out', async () => (await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid('alice')))?.activityName === 'Offline');
  clockTo('16:00:00');
  await set('bob', 'Offline');
  clockTo('20:00:00');
}

beforeAll(async () => {
  s = await startManualRollcall({ ROLLCALL_DEFAULT_THRESHOLD_S: '20' }, utc('08:00:00'));
  browser = await launchBrowser();
  await seedDay();
}, 60_000);
afterAll(async () => {
  agent?.disconnect();
  await browser?.close();
  await s?.close();
});

afterEach(() => {
  const problems = watched.flatMap(({ page, allowed }) => page.problems.filter((p) => !allowed.some((re) => re.test(p))));
  watched.length = 0;
  expect(problems).toEqual([]);
});

const refusedWith = (status: number) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);
const shown = (h: number): string => h.toLocaleString('en-US', { maximumFractionDigits: 3 });

async function adminContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'Europe/Paris' });
  const { account } = s.rollcall.installation;
  const res = await context.request.post(`${s.url}/console/api/session`, { data: { username: account.sid, password: account.authToken }, headers: { origin: s.url, 'x-rollcall-csrf': '1' } });
  expect(res.status()).toBe(200);
  return context;
}

async function open(context: BrowserContext, path: string, allowed: RegExp[] = []): Promise<Page> {
  const wp = await newPage(context);
  watched.push({ page: wp, allowed });
  await wp.page.goto(`${s.url}${path}`);
  return wp.page;
}

async function apiJson(context: BrowserContext, path: string): Promise<Body> {
  const res = await context.request.get(`${s.url}/console/api/reports/${path}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as Body;
}

/** Fills the shared range fields and submits with the keyboard (Enter in the time zone field). */
async function showDay(page: Page, start = '2026-11-26', end = '2026-11-26', zone = 'Europe/Paris'): Promise<void> {
  await page.getByLabel('From', { exact: true }).fill(start);
  await page.getByLabel('To (inclusive)').fill(end);
  const tz = page.getByLabel('Time zone');
  await tz.fill(zone);
  await tz.press('Enter');
}

describe('reports', () => {
  it('Active user hours: the chart, the table and the total are the API figures; a reversed range and an unknown zone are refused inline', async () => {
    const context = await adminContext();
    const page = await open(context, '/console/reports/active-user-hours', [refusedWith(400)]);
    await expect.poll(() => page.getByRole('link', { name: 'Active user hours' }).getAttribute('aria-current')).toBe('page');
    await showDay(page);
    const api = await apiJson(context, `active-user-hours?${DAY}&granularity=day`);
    await expect.poll(() => page.getByTestId('total-billed').textContent()).toBe(shown(api.total.billed_hours));
    expect(api.total.active_seconds).toBe(28_800 + 3_620); // bob 08:00–16:00 (Break counts), alice 10:00–11:00:20
    expect(await page.getByTestId('total-saved').textContent()).toBe(shown(api.total.saved_hours));
    for (const w of api.workers as Body[]) {
      expect(await page.locator(`[data-worker-sid="${w.worker_sid}"] [data-testid="worker-billed"]`).textContent()).toBe(shown(w.billed_hours));
    }
    expect(await page.getByTestId('hours-chart').locator('canvas').count()).toBeGreaterThan(0);
    const csv = await context.request.get(new URL((await page.getByTestId('hours-csv').getAttribute('href')) ?? '', s.url).href);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect(await csv.text()).toContain('total,2026-11-26');
    await screenshot(page, 'report-active-user-hours');

    await showDay(page, '2026-11-26', '2026-11-20');
    await expect.poll(() => page.getByTestId('end_date-error').textContent()).toMatch(/^The end date must be after the start date/);
    await showDay(page, '2026-11-26', '2026-11-26', 'Mars/Olympus');
    await expect.poll(() => page.getByTestId('time_zone-error').textContent()).toMatch(/^The time zone must be an IANA time zone/);
    expect(await page.getByTestId('end_date-error').count()).toBe(0);
    await screenshot(page, 'report-refusal');
    await context.close();
  });

  it('Threshold advisor: every candidate row is the API figures, the current threshold is marked', async () => {
    const context = await adminContext();
    const page = await open(context, '/console/reports/threshold-advisor');
    await showDay(page);
    const api = await apiJson(context, `threshold-advisor?${DAY}`);
    await expect.poll(() => page.getByTestId('advisor-table').locator('tbody tr').count()).toBe(api.candidates.length);
    for (const c of api.candidates as Body[]) {
      const row = page.locator(`[data-threshold="${c.threshold_seconds}"]`);
      expect(await row.getByTestId('false-logouts').textContent()).toBe(String(c.false_logouts));
      expect(await row.getByTestId('candidate-hours').textContent()).toBe(shown(c.active_hours));
      expect(await row.getByText('current').count()).toBe(c.current ? 1 : 0);
    }
    expect((api.candidates as Body[]).find((c) => c.current)?.threshold_seconds).toBe(20);
    expect(await page.getByTestId('advisor-chart').locator('canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'report-threshold-advisor');
    await context.close();
  });

  it("History: one worker's timeline, its log with the automatic logout's cause, its disconnection, and the exports", async () => {
    const context = await adminContext();
    const alice = s.workerSid('alice');
    const page = await open(context, `/console/reports/history?worker=${alice}`);
    await showDay(page);
    const api = await apiJson(context, `history?${DAY}&worker_sid=${alice}`);
    await expect.poll(() => page.getByTestId('log-table').locator('tbody tr').count()).toBe(api.activity_log.length);
    expect(await page.locator('[data-testid="log-table"] tr[data-cause="offline-threshold"]').textContent()).toMatch(/closed; last seen .*threshold 20 s/);
    expect(await page.locator('[data-testid="episode-table"] tr[data-outcome="logged-out"]').count()).toBe(1);
    expect(await page.getByTestId('history-chart').locator('canvas').count()).toBeGreaterThan(0);
    for (const file of ['activity-log.csv', 'activity-log.ndjson', 'disconnections.csv', 'disconnections.ndjson']) {
      const href = (await page.getByTestId(`export-${file}`).getAttribute('href')) ?? '';
      const res = await context.request.get(new URL(href, s.url).href);
      expect(res.status(), file).toBe(200);
      expect(await res.text(), file).toContain(file.startsWith('activity') ? 'offline-threshold' : 'logged-out');
    }
    await screenshot(page, 'report-history');
    await context.close();
  });

  it('fits a 400 px window: the reports stack and the chart follows the width', async () => {
    const context = await adminContext({ width: 400, height: 800 });
    const page = await open(context, '/console/reports/active-user-hours');
    await showDay(page);
    await expect.poll(() => page.getByTestId('hours-total').isVisible()).toBe(true);
    const width = await page.getByTestId('hours-chart').evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeLessThanOrEqual(400);
    expect(width).toBeGreaterThan(250);
    await screenshot(page, 'report-active-user-hours-narrow');
    await context.close();
  });
});
