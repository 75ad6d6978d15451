/**
 * Renders a report (or any local HTML file) to a full-page PNG with headless Debian chromium:
 *   npx tsx scripts/screenshot.ts runs/iris-1/report.html report.png
 * Uses playwright-core with the system browser (apt-get install -y chromium); never downloads one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: npx tsx scripts/screenshot.ts <report.html> <out.png>\n');
  process.exit(2);
}
if (!existsSync(input)) {
  process.stderr.write(`screenshot: ${resolve(input)} not found\n`);
  process.exit(3);
}
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`screenshot: ${CHROMIUM} not found (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
  process.exit(7);
}
const browser = await chromium.launch({ executablePath: CHROMIUM });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  page.on('console', (m) => m.type() === 'error' && process.stderr.write(`console error: ${m.text()}\n`));
  await page.goto(pathToFileURL(resolve(input)).href, { waitUntil: 'load' });
  await page.screenshot({ path: output, fullPage: true });
  process.stdout.write(`wrote ${resolve(output)}\n`);
} finally {
  await browser.close();
}
