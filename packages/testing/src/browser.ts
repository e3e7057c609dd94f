import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT_DIR } from './stack.ts';

/** The distribution's Chromium (`./dev` installs the `chromium` package); Playwright never downloads one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where failing browser tests leave their screenshots (git-ignored). */
export const ARTIFACTS_DIR = join(ROOT_DIR, 'test-artifacts');

/**
 * Headless Chromium as root on a machine without a network: no sandbox (root), no GPU, and none
 * of the background services that would otherwise try to reach Google's hosts at every start.
 */
export async function launchBrowser(): Promise<Browser> {
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
      '--disable-dev-shm-usage',
    ],
  });
}

/** A fresh context (its own cookies and storage: one person) that logs the page's console errors. */
export async function newPerson(browser: Browser, name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${name}] page error: ${err.message}`));
  return { context, page };
}

/** Saves a full-page screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Runs a browser step and, when it throws, keeps a screenshot of every page named in `pages` before
 * rethrowing, so a failure in CI leaves a picture of what the person saw.
 */
export async function withScreenshots<T>(label: string, pages: Record<string, Page>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    for (const [who, page] of Object.entries(pages)) {
      const file = await screenshot(page, `failed-${label}-${who}`).catch(() => null);
      if (file) console.error(`screenshot of ${who}'s page: ${file}`);
    }
    throw err;
  }
}
