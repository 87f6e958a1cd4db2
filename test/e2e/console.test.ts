/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a real
 * Rollcall on port 0 with a temp data directory. The agent desktop runs the official
 * `twilio-taskrouter` SDK in the page; REST checks use the official `twilio` library. Every test
 * saves a screenshot of its screen under test-output/e2e/, and every page must end with no
 * errors in its console beyond the refusals the test provoked on purpose.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshot, type WatchedPage } from '../support/browser.js';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { until, waitFor } from '../support/wait.js';
import { accountCredentials, keyCredentials, restClient } from '../integration/rest-support.js';

let s: TestRollcall;
let browser: Browser;
const watched: { page: WatchedPage; allowed: RegExp[] }[] = [];

beforeAll(async () => {
  s = await startRollcall();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

/** Every page a test opened must show no console error but those it expected. */
afterEach(() => {
  const problems = watched.flatMap(({ page, allowed }) => page.problems.filter((p) => !allowed.some((re) => re.test(p))));
  watched.length = 0;
  expect(problems).toEqual([]);
});

// A refused request shows in Chromium's console as a failed resource; tests that provoke one allow it.
const refusedWith = (status: number) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

async function open(context: BrowserContext, path: string, allowed: RegExp[] = []): Promise<Page> {
  const wp = await newPage(context);
  watched.push({ page: wp, allowed });
  await wp.page.goto(`${s.url}${path}`);
  return wp.page;
}

async function signIn(page: Page, password = s.rollcall.installation.account.authToken): Promise<void> {
  await page.getByLabel('Account SID or API key SID').fill(s.rollcall.installation.account.sid);
  await page.getByLabel('Auth token or API key secret').fill(password);
  await page.getByRole('button', { name: /sign in/i }).click();
}

/** A context already signed in as the account (the cookie jar is the context's). */
async function adminContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  const { account } = s.rollcall.installation;
  const res = await context.request.post(`${s.url}/console/api/session`, { data: { username: account.sid, password: account.authToken }, headers: { origin: s.url, 'x-rollcall-csrf': '1' } });
  expect(res.status()).toBe(200);
  return context;
}

const setThreshold = async (seconds: number) => restClient(s.url, keyCredentials(s)).flexApi.v1.configuration().update({ offline_config: { presence: true, presence_ttl: seconds } } as never);
const row = (page: Page, name: string) => page.locator('[data-testid="team-table"] [data-worker-sid]', { has: page.locator('[data-testid="worker-name"]', { hasText: new RegExp(`^${name}$`) }) });
const activityOf = async (name: string) => (await s.rollcall.store.findWorker(s.workspaceSid, s.workerSid(name)))?.activityName;

async function goAvailable(agent: Page): Promise<void> {
  const picker = agent.getByTestId('agent-activity');
  await expect.poll(() => picker.isEnabled(), { timeout: 15_000 }).toBe(true);
  await picker.selectOption({ label: 'Available' });
}

describe('sign-in', () => {
  it('refuses a wrong secret with a message, then signs in with the keyboard and lands on Logout settings', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await open(context, '/console/', [refusedWith(401)]);
    await page.waitForURL(/\/console\/sign-in/);
    await screenshot(page, 'sign-in');
    await signIn(page, 'wrong-secret');
    await expect.poll(() => page.getByText(/SID or secret is wrong/).isVisible()).toBe(true);
    await page.getByLabel('Auth token or API key secret').fill('');
    await page.getByLabel('Account SID or API key SID').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.type(s.rollcall.installation.account.authToken);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/settings/);
    await expect.poll(() => page.getByTestId('logout-activity-name').textContent()).toBe('Offline');
    await context.close();
  });
});

describe('logout settings', () => {
  it('refuses 0, 86 401, 1.5 and text inline, saves 3 s that the twilio library then reads, and says who changed it', async () => {
    const context = await adminContext();
    const page = await open(context, '/console/settings');
    const input = page.getByLabel('Offline threshold (seconds)');
    await expect.poll(() => input.inputValue()).toBe('30');
    for (const bad of ['0', '86401', '1.5', 'soon']) {
      await input.fill(bad);
      await expect.poll(() => page.getByTestId('threshold-help').textContent(), { message: bad }).toMatch(/1 to 86[ ,.\u202f]?400/);
    }
    await expect.poll(() => page.getByTestId('unsaved-badge').isVisible()).toBe(true);
    await input.fill('3');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await restClient(s.url, accountCredentials(s)).flexApi.v1.configuration().fetch()).offlineConfig).toMatchObject({ presence_ttl: 3, presence: true });
    await expect.poll(() => page.getByTestId('last-changed').textContent()).toContain(s.rollcall.installation.account.sid);
    await expect.poll(() => page.getByTestId('unsaved-badge').count()).toBe(0);
    expect(await page.getByTestId('disconnection-help').textContent()).toMatch(/locked/i);
    await screenshot(page, 'logout-settings');
    await context.close();
  });

  it('keeps unsaved input across an expired session and a new sign-in', async () => {
    const context = await adminContext();
    const page = await open(context, '/console/settings', [refusedWith(401)]);
    const input = page.getByLabel('Offline threshold (seconds)');
    await expect.poll(() => input.inputValue()).not.toBe('');
    await input.fill('42');
    // The session ends behind the page's back (signed out elsewhere).
    await context.request.delete(`${s.url}/console/api/session`, { headers: { origin: s.url, 'x-rollcall-csrf': '1' } });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/console\/sign-in/);
    await signIn(page);
    await page.waitForURL(/\/console\/settings/);
    await expect.poll(() => page.getByLabel('Offline threshold (seconds)').inputValue()).toBe('42');
    expect((await s.rollcall.store.logoutSettings(s.workspaceSid)).thresholdMs).toBe(3000);
    await context.close();
  });
});

describe('agent desktop and Teams view', () => {
  it('an agent goes Available; closing the tab counts down on the Teams view and ends in Offline with its cause', async () => {
    await setThreshold(3);
    const context = await adminContext();
    const teams = await open(context, '/console/teams');
    const alice = row(teams, 'alice');
    await expect.poll(() => alice.count(), { timeout: 15_000 }).toBe(1);
    const agent = await open(context, `/console/agent?worker=${s.workerSid('alice')}`);
    await goAvailable(agent);
    await expect.poll(() => alice.getByTestId('activity-Available').count()).toBe(1);
    await expect.poll(() => alice.getByTestId('state').textContent()).toMatch(/Connected/);
    await screenshot(agent, 'agent-desktop');
    await agent.close();
    await expect.poll(() => alice.getByTestId('countdown').count()).toBe(1);
    await expect.poll(() => alice.getByTestId('state').textContent()).toMatch(/tab or browser closed/);
    await screenshot(teams, 'teams-countdown');
    await expect.poll(() => alice.getByTestId('activity-Offline').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => alice.getByTestId('last-automatic').textContent()).toMatch(/Set to Offline at \d\d:\d\d:\d\d after 3 s disconnected: tab or browser closed/);
    await screenshot(teams, 'teams-view');
    await context.close();
  });

  it('the returning agent, signed in by a one-time link, sees when and why it was logged out', async () => {
    const admin = await adminContext();
    const workers = await open(admin, '/console/workers');
    await workers.locator(`[data-worker-sid="${s.workerSid('alice')}"]`).getByRole('button', { name: /sign-in link/i }).click();
    const link = await waitFor('the link', async () => (await workers.getByTestId('agent-link-url').inputValue().catch(() => '')) || null);
    await screenshot(workers, 'workers');
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const wp = await newPage(agentContext);
    watched.push({ page: wp, allowed: [] });
    await wp.page.goto(link);
    await expect.poll(() => wp.page.getByTestId('agent-notice').textContent(), { timeout: 15_000 }).toMatch(/Set to Offline at \d\d:\d\d:\d\d after 3 s disconnected: tab or browser closed/);
    await screenshot(wp.page, 'agent-banner');
    // The link was used: opening it again does not sign anybody in.
    const again = await agentContext.request.post(`${s.url}/console/api/agent/session`, { data: { link: new URL(link).searchParams.get('link') }, headers: { origin: s.url, 'x-rollcall-csrf': '1' } });
    expect(again.status()).toBe(401);
    await agentContext.close();
    await admin.close();
  });

  it('an agent who comes back within the threshold keeps its status: no change at all', async () => {
    // A threshold long enough that a busy machine still reopens the page well inside it.
    await setThreshold(15);
    const context = await adminContext();
    const bobSid = s.workerSid('bob');
    const first = await open(context, `/console/agent?worker=${bobSid}`);
    await goAvailable(first);
    await expect.poll(() => activityOf('bob')).toBe('Available');
    const logBefore = (await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: bobSid })).length;
    await first.close();
    const second = await open(context, `/console/agent?worker=${bobSid}`);
    await expect.poll(() => second.getByTestId('agent-connection').getAttribute('data-connection'), { timeout: 15_000 }).toBe('connected');
    const [episode] = (await s.rollcall.store.disconnectEpisodes(s.workspaceSid, { workerSid: bobSid })).slice(-1);
    expect(episode).toMatchObject({ reason: 'closed', outcome: 'reconnected' });
    // Past the due time the closed tab set: still Available, and the log has no new row.
    await until((episode?.lastSeenAt ?? 0) + 15_000 + 500);
    expect(await activityOf('bob')).toBe('Available');
    expect((await s.rollcall.store.activityLog(s.workspaceSid, { workerSid: bobSid })).length).toBe(logBefore);
    expect(await second.getByTestId('agent-notice').count()).toBe(0);
    await second.close();
    await context.close();
  }, 45_000);

  it('a task created over REST is offered in the agent desktop, accepted, wrapped up and completed', async () => {
    await setThreshold(30);
    const client = restClient(s.url, keyCredentials(s));
    const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
    const queue = await ws.taskQueues.create({ friendlyName: 'E2E', targetWorkers: 'skills HAS "support"' });
    const flow = await ws.workflows.create({ friendlyName: 'E2E', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }) });
    const context = await adminContext();
    const agent = await open(context, `/console/agent?worker=${s.workerSid('carol')}`);
    await goAvailable(agent);
    await expect.poll(() => activityOf('carol')).toBe('Available');
    // Only carol is connected and available, so the offer is hers.
    const task = await ws.tasks.create({ workflowSid: flow.sid, attributes: JSON.stringify({ type: 'support', customer: 'Ada' }) });
    const card = agent.locator('[data-testid^="reservation-"]');
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    await screenshot(agent, 'agent-reservation');
    await card.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(async () => (await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('assigned');
    await card.getByRole('button', { name: 'Wrap up' }).click();
    await expect.poll(async () => (await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('wrapping');
    await card.getByRole('button', { name: 'Complete' }).click();
    await expect.poll(async () => (await ws.tasks(task.sid).fetch()).assignmentStatus).toBe('completed');
    await context.close();
  });
});

describe('activities', () => {
  it('renaming Offline shows the new name in Logout settings; the logout activity offers no delete', async () => {
    const context = await adminContext();
    const page = await open(context, '/console/activities');
    const offline = page.locator('tr', { hasText: 'Logout activity' });
    await expect.poll(() => offline.count()).toBe(1);
    expect(await offline.getByRole('button', { name: /delete/i }).count()).toBe(0);
    expect(await page.locator('tr', { hasText: 'Break' }).getByRole('button', { name: /delete/i }).count()).toBe(1);
    await screenshot(page, 'activities');
    await offline.getByRole('button', { name: /rename/i }).click();
    const name = page.getByRole('dialog').getByLabel(/name/i);
    await name.fill('Signed out');
    await page.getByRole('dialog').getByRole('button', { name: /save|rename/i }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'Logout activity' }).textContent()).toContain('Signed out');
    await page.goto(`${s.url}/console/settings`);
    await expect.poll(() => page.getByTestId('logout-activity-name').textContent()).toBe('Signed out');
    await s.rollcall.store.renameActivity({ workspaceSid: s.workspaceSid, activitySid: s.activitySid('Offline'), friendlyName: 'Offline', actor: 'test' });
    await context.close();
  });
});

describe('live connection', () => {
  it('a cut console connection catches up on restore without a reload and without missing a change', async () => {
    const proxy = new TcpProxy(Number(new URL(s.url).port));
    await proxy.start();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const { account } = s.rollcall.installation;
      await context.request.post(`${proxy.url}/console/api/session`, { data: { username: account.sid, password: account.authToken }, headers: { origin: proxy.url, 'x-rollcall-csrf': '1' } });
      const wp = await newPage(context);
      // While the link is down, the browser reports the failed reconnects (the net:: error varies
      // with when the cut lands: refused, reset, empty response, socket not connected…).
      watched.push({ page: wp, allowed: [/Failed to load resource: net::ERR_[A-Z_]+/] });
      const page = wp.page;
      await page.goto(`${proxy.url}/console/teams`);
      await expect.poll(() => page.getByTestId('live-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
      const bob = row(page, 'bob');
      proxy.refuseNew = true;
      proxy.drop();
      await expect.poll(() => page.getByTestId('live-status').getAttribute('data-status'), { timeout: 10_000 }).not.toBe('live');
      const client = restClient(s.url, keyCredentials(s));
      const bobWorker = client.taskrouter.v1.workspaces(s.workspaceSid).workers(s.workerSid('bob'));
      await bobWorker.update({ activitySid: s.activitySid('Break') });
      await bobWorker.update({ activitySid: s.activitySid('Unavailable') });
      proxy.refuseNew = false;
      await expect.poll(() => page.getByTestId('live-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
      await expect.poll(() => bob.getByTestId('activity-Unavailable').count()).toBe(1);
      const feed = page.getByTestId('change-feed');
      await expect.poll(() => feed.textContent()).toMatch(/bob updated to Unavailable/);
      expect(await feed.textContent()).toMatch(/bob updated to Break/);
      await context.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('cross-origin changes', () => {
  it('a page of another origin cannot change anything, even with the session cookie', async () => {
    const context = await adminContext();
    const before = await s.rollcall.store.listActivities(s.workspaceSid);
    const seen: number[] = [];
    // An attacker's page on another port of the same host: the browser sends the cookie (same site).
    const evil = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="POST" action="${s.url}/console/api/activities" enctype="text/plain"><input name='{"friendly_name":"Hacked","available":true,"x":"' value='"}'></form>
        <script>fetch("${s.url}/console/api/activities", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: '{"friendly_name": "Hacked too"}' }).finally(() => document.getElementById("f").submit());</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const wp = await newPage(context);
      // After the form posts, the browser asks the server for /favicon.ico, which Rollcall has not.
      watched.push({ page: wp, allowed: [refusedWith(403), refusedWith(404)] });
      wp.page.on('response', (r) => { if (r.url().startsWith(`${s.url}/console/api/`)) seen.push(r.status()); });
      await wp.page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await expect.poll(() => seen.filter((status) => status === 403).length).toBeGreaterThanOrEqual(1);
      await wp.page.waitForLoadState('load');
      await expect.poll(() => wp.page.content()).toContain('cross-origin');
      expect(await s.rollcall.store.listActivities(s.workspaceSid)).toEqual(before);
      await screenshot(wp.page, 'cross-origin-refused');
    } finally {
      evil.close();
      await context.close();
    }
  });
});

describe('layout', () => {
  it('works on a narrow window: no page scrolls sideways', async () => {
    const context = await adminContext({ width: 400, height: 800 });
    for (const path of ['/console/settings', '/console/activities', '/console/workers', '/console/teams']) {
      const page = await open(context, path);
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, path).toBeLessThanOrEqual(1);
      await screenshot(page, `narrow${path.replace(/\//g, '-')}`);
    }
    await context.close();
  });
});
