/**
 * Headless Chromium for tests of generated HTML (Debian's `chromium` package,
 * driven by playwright-core; no browser download). A test calls
 * `skipWithoutBrowser()` for its skip option: the reason when Chromium is
 * missing, or a thrown error when FEATVIS_REQUIRE_BROWSER=1 (CI) demands it.
 * Pages are opened from the local disk (file://) and every other request is
 * refused, so a test also proves the page needs no network.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.FEATVIS_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function playwrightInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('playwright-core');
    return true;
  } catch {
    return false;
  }
}

/** A skip reason, false when the browser is usable; throws when FEATVIS_REQUIRE_BROWSER=1 and it is not. */
export function skipWithoutBrowser(): string | false {
  const missing = !fs.existsSync(CHROMIUM)
    ? `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set FEATVIS_CHROMIUM)`
    : !playwrightInstalled()
      ? 'playwright-core is not installed (npm install)'
      : null;
  if (!missing) return false;
  if (process.env.FEATVIS_REQUIRE_BROWSER === '1') throw new Error(`FEATVIS_REQUIRE_BROWSER=1 but ${missing}`);
  return missing;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true, timeout: 60_000 });
}

export interface PageVisit<T> {
  /** Requests the page made that were refused (anything not file://). */
  refused: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
  result: T;
}

/**
 * Opens a local HTML file in a fresh browser, runs `fn` on the page after
 * `load`, closes everything. Non-file requests are aborted and listed.
 */
export async function visitFile<T>(file: string, fn: (page: Page) => Promise<T>): Promise<PageVisit<T>> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    const refused: string[] = [];
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      refused.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
    const result = await fn(page);
    await context.close();
    return { refused, errors, result };
  } finally {
    await browser.close();
  }
}
