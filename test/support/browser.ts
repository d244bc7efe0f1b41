/**
 * Browser tests: Playwright (playwright-core, no bundled browser) driving Debian's Chromium, and
 * axe-core on every page. Downloading a browser build fails on this project's machines, so the
 * executable is the system one: `/usr/bin/chromium` (installed by `.ci/run` with apt), or
 * STEWARD_CHROMIUM for another path.
 *
 * Tests use locators by role and label, one journey per test and a fresh context for each.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.STEWARD_CHROMIUM ?? '/usr/bin/chromium';

if (!existsSync(chromiumPath) && process.env.CI) {
  throw new Error(`Chromium not found at ${chromiumPath}: CI installs Debian's chromium package (.ci/run)`);
}

/** Whether browser suites can run here; in CI they must (the check above throws otherwise). */
export const browserAvailable = existsSync(chromiumPath);

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // --no-sandbox: CI and the development machines run as root, where Chromium's sandbox refuses
    // to start. The pages loaded are the project's own, served from loopback.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A fresh context per journey; `gpc` makes the browser send Sec-GPC: 1 and expose navigator.globalPrivacyControl. */
export async function newContext(browser: Browser, opts: { baseURL: string; gpc?: boolean }): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: opts.baseURL, ...(opts.gpc ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {}) });
  if (opts.gpc) {
    // A string, run in the page: the test code itself is compiled without the DOM's types.
    await context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });" });
  }
  return context;
}

export interface AxeProblem {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** The axe violations of serious or critical impact on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousAxeViolations(page: Page): Promise<AxeProblem[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Starts a built Fastify app on an ephemeral loopback port and returns its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}
