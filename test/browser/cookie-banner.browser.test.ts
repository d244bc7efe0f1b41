/**
 * The cookie banner in a real browser, embedded as an organisation would: a page on another
 * origin (http://localhost:…) carrying the one tag that loads /cookies/banner.js from Steward
 * (http://127.0.0.1:…). Each journey starts with a fresh context, acts by role and label, and checks
 * both what the browser holds (cookies, scripts run) and what Steward logged.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { newContext, seriousAxeViolations } from '../support/browser.js';
import { describeInChromium, startBrowserServer } from '../support/console-server.js';

/** A journey with axe runs takes some seconds on a busy two-core machine. */
const JOURNEY_MS = 120_000;
const COOKIE_POLICY = path.resolve(import.meta.dirname, '../fixtures/cookies/policy.yaml');

/** The organisation's page: an analytics script and an exempt statistics script, both held back. */
const hostPage = (steward: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test Telecoms</title>
<style>body { font: 16px sans-serif; margin: 0 } header { background: #eee; padding: 16px }</style></head>
<body>
<header><h1>Test Telecoms</h1></header>
<main><p id="intro">Broadband for small businesses.</p><p><a href="#" data-steward-cookie-settings>Cookie settings</a></p></main>
<script type="text/plain" data-steward-category="analytics">
  document.cookie = '_test_analytics=1; Path=/; Max-Age=3600';
  document.body.setAttribute('data-analytics', 'ran');
</script>
<script type="text/plain" data-steward-category="statistics">
  document.cookie = '_test_stats=1; Path=/; Max-Age=3600';
  document.body.setAttribute('data-statistics', 'ran');
</script>
<script src="${steward}/cookies/banner.js" async></script>
</body>
</html>`;

/** Steward serving the banner, and the organisation's page on another origin, allowed to embed it. */
async function startWithSite(kind: 'sqlite' | 'postgres') {
  let page = '';
  const site = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  // Another origin than Steward's, as the organisation's own website would be.
  const siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  const steward = await startBrowserServer(kind, { policyFile: COOKIE_POLICY, config: { cookieOrigins: [siteUrl] } });
  page = hostPage(steward.baseURL);
  return {
    ...steward,
    siteUrl,
    async close() {
      await steward.close();
      await new Promise((resolve) => site.close(resolve));
    },
  };
}

describeInChromium('the cookie banner in Chromium on %s', startWithSite, (s) => {
  const cookieNames = async (context: BrowserContext) => (await context.cookies(s.siteUrl)).map((c) => c.name).sort();
  const consentIdOf = async (context: BrowserContext): Promise<string> => {
    const c = (await context.cookies(s.siteUrl)).find((x) => x.name === 'steward_consent');
    return JSON.parse(decodeURIComponent(c!.value)).id as string;
  };
  const logOf = (consentId: string) => s.rt.database.db.selectFrom('cookie_consents').selectAll().where('consent_id', '=', consentId).orderBy('id').execute();
  const recorded = (page: Page) => page.waitForResponse((r) => r.url().endsWith('/cookies/consent') && r.request().method() === 'POST');
  const focused = (page: Page, role: 'button' | 'link' | 'checkbox' | 'heading', name: string) =>
    page.getByRole(role, { name }).evaluate((el) => el === (el.getRootNode() as unknown as { activeElement: unknown }).activeElement);

  async function visit(opts: { gpc?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; consentPosted: Promise<unknown> }> {
    const context = await newContext(s.browser, { baseURL: s.siteUrl, ...opts });
    const page = await context.newPage();
    // Listened for before the page loads: with GPC the banner records its refusal while loading.
    const consentPosted = page.waitForResponse((r) => r.url().endsWith('/cookies/consent') && r.request().method() === 'POST');
    consentPosted.catch(() => undefined);
    // Layout shifts the page undergoes, as Chromium measures them (the CLS metric).
    await page.addInitScript({
      content:
        "window.__shifts = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shifts.push({ value: e.value, sources: e.sources.map((s) => s.node && (s.node.id || s.node.nodeName)) }); }).observe({ type: 'layout-shift', buffered: true });",
    });
    await page.goto('/');
    return { context, page, consentPosted };
  }

  it('shows the banner on a first visit, sets no cookie that needs consent, shifts nothing and passes axe', async () => {
    const { context, page } = await visit();
    const dialog = page.getByRole('dialog', { name: 'Cookies on Test Telecoms’s website' });
    await dialog.waitFor();
    // Rejecting is offered exactly as accepting is.
    const accept = page.getByRole('button', { name: 'Accept all' });
    const reject = page.getByRole('button', { name: 'Reject all' });
    // A string, run in the page: the test code is compiled without the DOM's types.
    const style = (name: string) =>
      page.evaluate(`(() => { const b = [...document.querySelector('steward-cookie-banner').shadowRoot.querySelectorAll('button')].find((x) => x.textContent === '${name}'); const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.padding, b.offsetHeight].join('|'); })()`);
    expect(await style('Accept all')).toBe(await style('Reject all'));
    expect(await accept.isVisible()).toBe(true);
    expect(await reject.isVisible()).toBe(true);
    // Only the exempt statistics cookie (which runs unless the visitor objects): nothing needing consent, no consent cookie yet.
    expect(await cookieNames(context)).toEqual(['_test_stats']);
    expect(await page.locator('body').getAttribute('data-analytics')).toBeNull();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Choose cookies' }).click();
    await page.getByRole('heading', { name: 'Cookie settings' }).waitFor();
    // No category needing consent is ticked in advance; the exempt one is, with the way to object.
    expect(await page.getByRole('checkbox', { name: 'Analytics' }).isChecked()).toBe(false);
    expect(await page.getByRole('checkbox', { name: 'Marketing' }).isChecked()).toBe(false);
    expect(await page.getByRole('checkbox', { name: 'Statistics' }).isChecked()).toBe(true);
    // Each cookie's name, provider, purpose and duration in the second layer.
    await page.getByText('1 cookie in Analytics').click();
    const row = page.getByRole('row', { name: /_test_analytics/ });
    expect(await row.textContent()).toBe('_test_analyticsExample Analytics LtdCounts visits and the pages viewed, to improve the website.13 months');
    expect(await seriousAxeViolations(page)).toEqual([]);
    // Shifts not caused by the visitor's own input (the CLS rule): none, banner or not.
    expect(await page.evaluate('window.__shifts')).toEqual([]);
    await context.close();
  }, JOURNEY_MS);

  it('records "Reject all" with the notice version, sets no cookie needing consent and honours the objection to statistics', async () => {
    const { context, page } = await visit();
    const answer = recorded(page);
    // The statistics script already ran (exempt); objecting to it reloads the page so it stops.
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Reject all' }).click();
    expect((await answer).status()).toBe(201);
    await reloaded;
    expect(await cookieNames(context)).toEqual(['steward_consent']);
    expect(await page.locator('body').getAttribute('data-statistics')).toBeNull();
    expect(await page.getByRole('dialog').count()).toBe(0);
    const log = await logOf(await consentIdOf(context));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'banner', outcome: 'reject-all', gpc: 0, notice_version: s.rt.policy.hash, origin: s.siteUrl });
    expect(JSON.parse(log[0]!.choices)).toEqual({ analytics: false, marketing: false, statistics: false });
    await context.close();
  }, JOURNEY_MS);

  it('runs the analytics script on "Accept all", and records it', async () => {
    const { context, page } = await visit();
    const answer = recorded(page);
    await page.getByRole('button', { name: 'Accept all' }).click();
    await answer;
    await page.locator('body[data-analytics="ran"]').waitFor();
    expect(await cookieNames(context)).toEqual(['_test_analytics', '_test_stats', 'steward_consent']);
    const log = await logOf(await consentIdOf(context));
    expect(log.map((r) => r.outcome)).toEqual(['accept-all']);
    // On the next page the choice stands: no banner, the script runs at once.
    await page.reload();
    await page.locator('body[data-analytics="ran"]').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await context.close();
  }, JOURNEY_MS);

  it('lets a visitor change their mind from the settings link: clears the cookies, records it, and gives their record', async () => {
    const { context, page } = await visit();
    let answer = recorded(page);
    await page.getByRole('button', { name: 'Accept all' }).click();
    await answer;
    await page.locator('body[data-analytics="ran"]').waitFor();
    const consentId = await consentIdOf(context);

    await page.getByRole('link', { name: 'Cookie settings' }).click();
    const analytics = page.getByRole('checkbox', { name: 'Analytics' });
    expect(await analytics.isChecked()).toBe(true);
    // The visitor's own record, as a file.
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download the record of your choices' }).click();
    const file = await (await download).createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of file) chunks.push(chunk as Buffer);
    const record = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(record).toMatchObject({ consentId, records: [{ outcome: 'accept-all', noticeVersion: s.rt.policy.hash }] });

    await analytics.uncheck();
    answer = recorded(page);
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await answer;
    await reloaded;
    expect(await cookieNames(context)).toEqual(['_test_stats', 'steward_consent']);
    expect(await page.locator('body').getAttribute('data-analytics')).toBeNull();
    expect(await consentIdOf(context)).toBe(consentId);
    const log = await logOf(consentId);
    expect(log.map((r) => [r.method, r.outcome])).toEqual([
      ['banner', 'accept-all'],
      ['settings', 'custom'],
    ]);
    expect(JSON.parse(log[1]!.choices)).toEqual({ analytics: false, marketing: true, statistics: true });
    await context.close();
  }, JOURNEY_MS);

  it('honours Global Privacy Control as a refusal without asking, records it, and still lets the visitor choose', async () => {
    const { context, page, consentPosted } = await visit({ gpc: true });
    await consentPosted;
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await cookieNames(context)).toEqual(['steward_consent']);
    const consentId = await consentIdOf(context);
    expect(await logOf(consentId)).toMatchObject([{ method: 'gpc', outcome: 'reject-all', gpc: 1 }]);

    // An explicit choice afterwards wins over the signal, and is recorded with it.
    await page.getByRole('link', { name: 'Cookie settings' }).click();
    expect(await page.getByRole('checkbox', { name: 'Analytics' }).isChecked()).toBe(false);
    await page.getByRole('checkbox', { name: 'Analytics' }).check();
    const answer = recorded(page);
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await answer;
    await page.locator('body[data-analytics="ran"]').waitFor();
    const log = await logOf(consentId);
    expect(log.map((r) => [r.method, r.outcome, r.gpc])).toEqual([
      ['gpc', 'reject-all', 1],
      ['settings', 'custom', 1],
    ]);
    // And the next page keeps the visitor's explicit choice.
    await page.reload();
    await page.locator('body[data-analytics="ran"]').waitFor();
    await context.close();
  }, JOURNEY_MS);

  it('can be used with the keyboard alone, with focus kept in the dialog', async () => {
    const { context, page } = await visit();
    await page.getByRole('dialog').waitFor();
    expect(await focused(page, 'button', 'Accept all')).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused(page, 'button', 'Reject all')).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused(page, 'button', 'Choose cookies')).toBe(true);
    // The focus trap: past the last control back to the first, and back again.
    await page.keyboard.press('Tab');
    expect(await focused(page, 'link', 'Our privacy notice (opens in a new tab)')).toBe(true);
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page, 'button', 'Choose cookies')).toBe(true);
    await page.keyboard.press('Enter');
    expect(await focused(page, 'heading', 'Cookie settings')).toBe(true);
    for (let i = 0; i < 10 && !(await focused(page, 'checkbox', 'Analytics')); i++) await page.keyboard.press('Tab');
    expect(await focused(page, 'checkbox', 'Analytics')).toBe(true);
    await page.keyboard.press('Space');
    for (let i = 0; i < 15 && !(await focused(page, 'button', 'Save my choices')); i++) await page.keyboard.press('Tab');
    expect(await focused(page, 'button', 'Save my choices')).toBe(true);
    const answer = recorded(page);
    await page.keyboard.press('Enter');
    await answer;
    await page.locator('body[data-analytics="ran"]').waitFor();
    const log = await logOf(await consentIdOf(context));
    expect(JSON.parse(log[0]!.choices)).toEqual({ analytics: true, marketing: false, statistics: true });
    // The settings link, by keyboard, reopens the choice; Escape closes it once a choice exists.
    await page.getByRole('link', { name: 'Cookie settings' }).focus();
    await page.keyboard.press('Enter');
    expect(await focused(page, 'heading', 'Cookie settings')).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await focused(page, 'link', 'Cookie settings')).toBe(true);
    await context.close();
  }, JOURNEY_MS);
});
