/**
 * The mass-disconnect breaker in the console (Debian's Chromium through playwright-core, a real
 * Rollcall on port 0): a dozen raw agents, half of them dropped at once, the Teams view's banner
 * with the counts, and ending the hold from it; the breaker's settings form with a refusal.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshot, type WatchedPage } from '../support/browser.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { rawAgents } from '../support/raw-agents.js';
import { waitFor } from '../support/wait.js';
import { accountCredentials, restClient } from '../integration/rest-support.js';

let s: TestRollcall;
let browser: Browser;
const watched: { page: WatchedPage; allowed: RegExp[] }[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  // Drops here are TCP closes; a patient liveness keeps a busy machine from losing the agents that stay.
  s = await startRollcall({ ROLLCALL_PING_INTERVAL_MS: '1000', ROLLCALL_LIVENESS_TIMEOUT_MS: '15000' });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await browser?.close();
  await s?.close();
});
afterEach(() => {
  const problems = watched.flatMap(({ page, allowed }) => page.problems.filter((p) => !allowed.some((re) => re.test(p))));
  watched.length = 0;
  expect(problems).toEqual([]);
});

async function adminPage(path: string, allowed: RegExp[] = []): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { account } = s.rollcall.installation;
  const res = await context.request.post(`${s.url}/console/api/session`, { data: { username: account.sid, password: account.authToken }, headers: { origin: s.url, 'x-rollcall-csrf': '1' } });
  expect(res.status()).toBe(200);
  const wp = await newPage(context);
  watched.push({ page: wp, allowed });
  await wp.page.goto(`${s.url}${path}`);
  return { context, page: wp.page };
}

describe('the mass-disconnect breaker in the console', () => {
  it('shows the banner live when half the agents drop, and ends the hold from it', { timeout: 90_000 }, async () => {
    const client = restClient(s.url, accountCredentials(s));
    const set = await client.request({ method: 'post', uri: `${s.url}/v1/Workspaces/${s.workspaceSid}`, data: {
      OutageBreakerSharePercent: '20', OutageBreakerMinAgents: '10', OutageBreakerWindowSeconds: '10', OutageBreakerHoldSeconds: '600',
    } });
    expect(set.statusCode).toBe(200);
    const agents = await rawAgents(s, 12, 'floor-b', sockets);
    const { context, page } = await adminPage('/console/teams');
    await expect.poll(() => page.getByTestId('live-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
    expect(await page.getByTestId('outage-banner').count()).toBe(0);

    for (const a of agents.slice(0, 6)) a.ws.terminate();
    const banner = page.getByTestId('outage-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    await expect.poll(() => page.getByTestId('outage-held').textContent(), { timeout: 10_000 }).toBe('6 agents still held');
    expect(await banner.textContent()).toMatch(/Mass disconnect: automatic logouts are on hold\.\s*\d+ of 12 agents dropped/);
    const held = await s.rollcall.store.outageBreaker(s.workspaceSid);
    expect(Number(await page.getByTestId('outage-until').getAttribute('data-due-at'))).toBe(held?.hold?.untilAt);
    await screenshot(page, 'outage-banner');

    await banner.getByRole('button', { name: 'End hold now' }).click();
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    const [ended] = await waitFor('the hold to end', async () => {
      const events = await s.rollcall.store.events(s.workspaceSid, { eventTypes: ['workspace.outage_hold.ended'] });
      return events.length === 1 && events;
    });
    expect(ended).toMatchObject({ actorType: 'account', data: { end_reason: 'ended-early', held_workers: '6' } });
    // Ordinary due times are back (30 s after each drop), long before the hold's end.
    expect(await s.rollcall.store.nextDueAt()).toBeLessThan(held?.hold?.untilAt ?? 0);
    await context.close();
  });

  it('the breaker settings form refuses a bad share by its field and saves a good one', { timeout: 60_000 }, async () => {
    const { context, page } = await adminPage('/console/settings', [/status of 400/]);
    const form = page.getByTestId('breaker-form');
    await form.waitFor({ state: 'visible', timeout: 15_000 });
    const share = page.getByLabel('Share of connected agents');
    await share.fill('0');
    await form.getByRole('button', { name: 'Apply breaker settings' }).click();
    await expect.poll(() => form.getByText(/The share of agents must be a whole number from 1 to 100/).isVisible()).toBe(true);
    expect((await s.rollcall.store.outageBreaker(s.workspaceSid))?.settings.sharePercent).toBe(20);
    await share.fill('35');
    await form.getByRole('button', { name: 'Apply breaker settings' }).click();
    await expect.poll(async () => (await s.rollcall.store.outageBreaker(s.workspaceSid))?.settings.sharePercent).toBe(35);
    await screenshot(page, 'breaker-settings');
    await context.close();
  });
});
