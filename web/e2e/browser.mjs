// Debian's Chromium through playwright-core (no browser download), with a fresh profile, collecting page errors
// and console errors so that each test can assert there were none.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function openBrowser(baseURL, viewport, mobile = false) {
  const profile = mkdtempSync(join(tmpdir(), 'dupa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    baseURL,
  });
  context.setDefaultTimeout(15_000);
  const problems = [];
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // A 401 from the session probe before login is expected; anything else (a CSP refusal, an exception) is not.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    page.on('dialog', (d) => void d.accept());
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context, page, problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

