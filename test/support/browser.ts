/**
 * A real browser for the console's tests: Debian's Chromium (`/usr/bin/chromium`, installed by
 * `.ci/run` when missing) driven by playwright-core, never a downloaded browser. Each test gets
 * a fresh profile; every page's console errors and uncaught exceptions are collected so a test
 * can insist there were none; screenshots go to test-output/e2e/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-output/e2e');

/** Fails with the fix when a prerequisite is missing, rather than skipping silently. */
export function browserPreflight(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) or set ROLLCALL_CHROMIUM; .ci/run installs it.`);
  }
  if (!existsSync(path.resolve('dist/web/index.html'))) {
    throw new Error('The console is not built (dist/web/index.html is missing): run npm run build, or npm test, which builds it first.');
  }
}

export async function launchBrowser(): Promise<Browser> {
  browserPreflight();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught page errors seen so far. */
  readonly problems: string[];
}

export async function newPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
