import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's chromium (apt-get install -y chromium); playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Tests that open a page in headless chromium: on a developer machine without it they are
 * skipped with a message; under CI they run, and fail, since CI installs it.
 */
export function chromiumTest(): typeof it {
  if (existsSync(CHROMIUM) || process.env.CI) return it;
  console.warn(`chromium not found at ${CHROMIUM}: skipping tests that open the report in a browser (apt-get install -y chromium)`);
  return it.skip;
}

export interface PageCheck {
  /** Console errors, page errors and failed requests while loading. */
  errors: string[];
  /** Per figure[data-plot]: its name, how many <svg> it holds, and how many drawn data marks (vega's role-mark items). */
  figures: { name: string; svgs: number; marks: number; width: number }[];
  skipped: string[];
}

/** Loads an HTML file in headless chromium and reads its figures. */
export async function inspectPage(file: string): Promise<PageCheck> {
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => !r.url().startsWith('file:') && errors.push(`network request: ${r.url()}`));
    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure[data-plot]', (els) =>
      els.map((el) => ({
        name: el.getAttribute('data-plot') ?? '',
        svgs: el.querySelectorAll('svg').length,
        marks: el.querySelectorAll('svg g[class*="role-mark"] > *').length,
        width: el.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    const skipped = await page.$$eval('[data-skipped]', (els) => els.map((el) => el.getAttribute('data-skipped') ?? ''));
    return { errors, figures, skipped };
  } finally {
    await browser.close();
  }
}
