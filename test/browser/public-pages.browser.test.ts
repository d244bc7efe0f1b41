/**
 * The public privacy centre in a real browser: the landing page, the notice and the rights-request
 * form, each checked with axe, and the form walked by keyboard as a visitor would.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { browserAvailable, launchBrowser, listenOnLoopback, newContext, seriousAxeViolations } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

describe.runIf(browserAvailable).each(dialects)('public pages in Chromium on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let baseURL: string;

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, logger: false });
    baseURL = await listenOnLoopback(app);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await rt?.close();
  });

  it('shows the landing page and the notice with no serious accessibility problem', async () => {
    const context = await newContext(browser, { baseURL });
    const page = await context.newPage();
    await page.goto('/');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Test Telecoms');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Privacy notice' }).click();
    await page.waitForURL('**/privacy');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Privacy notice');
    expect(await page.locator('body').textContent()).toContain('Test Telecoms');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });

  it('lets a visitor ask for a code on the request form by keyboard alone', async () => {
    const context = await newContext(browser, { baseURL });
    const page = await context.newPage();
    await page.goto('/privacy/requests');
    expect(await seriousAxeViolations(page)).toEqual([]);
    const email = page.getByLabel('Email address');
    await email.focus();
    await page.keyboard.type('visitor@example.org');
    await page.keyboard.press('Tab');
    const button = page.getByRole('button', { name: 'Send me a code' });
    expect(await button.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByLabel('Code').waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });
});
