/**
 * The public privacy centre in a real browser: the landing page, the notice and the rights-request
 * form, each checked with axe, and the form walked by keyboard as a visitor would.
 */
import { expect, it } from 'vitest';
import { newContext, seriousAxeViolations } from '../support/browser.js';
import { describeInChromium, startBrowserServer } from '../support/console-server.js';

describeInChromium('public pages in Chromium on %s', (kind) => startBrowserServer(kind), (s) => {
  it('shows the landing page and the notice with no serious accessibility problem', async () => {
    const context = await newContext(s.browser, { baseURL: s.baseURL });
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
    const context = await newContext(s.browser, { baseURL: s.baseURL });
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
