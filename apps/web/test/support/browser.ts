/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser downloads are never used).
 * The background-networking flags matter on closed networks: without them Chromium's own
 * connections (component updates, sync, QUIC probes) are refused and slow everything down.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { rig } from './web';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Cannot run the browser tests because Chromium is not installed at ${CHROMIUM_PATH}. ` +
        "Install Debian's: apt-get install -y chromium (or point CHROMIUM_PATH at a Chromium binary).",
    );
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Playwright gives every launch a fresh temporary --user-data-dir and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newUserContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: rig().baseUrl, viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

/** Loads `url` and waits until React has hydrated it (forms and the switcher need JavaScript). */
export async function goto(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await hydrated(page);
}

export async function hydrated(page: Page): Promise<void> {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/** Signs in through the dev sign-in page, as a person would. */
export async function signIn(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  await goto(page, '/sign-in');
  await page
    .getByRole('form', { name: `Sign in as ${email}` })
    .getByRole('button')
    .click();
  await page.waitForURL('**/workspaces');
  await hydrated(page);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
