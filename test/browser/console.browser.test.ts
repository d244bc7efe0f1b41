/**
 * The console in Chromium against a real server, on each database: the done-when journey.
 * A newcomer signs in with the printed one-time owner password and sets their own, finds a demo
 * person, corrects their email address, handles the access request that person then makes on the
 * public form through to the sent pack, and sees it on the dashboard and in the person's audit
 * trail. Every page is checked with axe; the staff side is walked with the keyboard where a person
 * would type.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../../src/auth/auth.service.js';
import { buildApp } from '../../src/server/app.js';
import { seedDemo } from '../../src/server/demo.js';
import { browserAvailable, launchBrowser, newContext, seriousAxeViolations } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { systemActor } from '../../src/kernel/actors.js';

const KESTRONICS = path.resolve(import.meta.dirname, '../../examples/kestronics.yaml');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Waits for a status message; an error box instead fails the test with the API's message and code. */
async function expectStatus(page: Page, text: string): Promise<void> {
  await page.getByText(text).or(page.getByRole('alert')).first().waitFor();
  const alerts = await page.getByRole('alert').allTextContents();
  expect(alerts).toEqual([]);
}

const noSeriousAxe = async (page: Page) => expect(await seriousAxeViolations(page)).toEqual([]);

describe.runIf(browserAvailable).each(dialects)('the console in Chromium on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let browser: Browser;
  let baseURL: string;
  let ownerPassword: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: KESTRONICS, smtpUrl: smtp.url });
    const port = await freePort();
    baseURL = `http://127.0.0.1:${port}`;
    // Links in mail use the configured public address: here, the address the test listens on.
    const deps = { ...rt, config: { ...rt.config, baseUrl: baseURL, port } };
    ownerPassword = (await ensureOwner(deps, systemActor('first-run'), { mustChangePassword: true }))!.password;
    expect(await seedDemo(deps, systemActor('demo'))).toBeGreaterThan(0);
    app = await buildApp({ ...deps, logger: false });
    await app.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  it('takes a newcomer from the one-time password to a sent access pack, seen on the dashboard and in the audit trail', async () => {
    const context = await newContext(browser, { baseURL });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const thirdParty: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(baseURL)) thirdParty.push(r.url());
    });
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });

    // Sign in with the printed one-time password, by keyboard.
    await page.goto('/console');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await noSeriousAxe(page);
    await page.getByLabel('Username').focus();
    await page.keyboard.type('owner');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ownerPassword);
    await page.keyboard.press('Enter');

    // The one-time password must be replaced before anything else.
    await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
    await noSeriousAxe(page);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.getByLabel('Current password').fill(ownerPassword);
    await page.getByLabel('New password', { exact: true }).fill('a long passphrase of my own');
    await page.getByLabel('New password again').fill('a long passphrase of my own');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { name: 'Promises board' }).waitFor();
    await noSeriousAxe(page);

    // Find a demo person by email; the identifier goes in a POST body, never the URL.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People' }).waitFor();
    await noSeriousAxe(page);
    await page.getByLabel('Identifier').selectOption('email');
    await page.getByLabel('Value').fill('alex.example0@example.com');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('1 person found').waitFor();
    await page.getByRole('link', { name: /^Person / }).click();
    await page.getByRole('heading', { name: /^Person / }).waitFor();
    expect(page.url()).not.toContain('example.com');
    await noSeriousAxe(page);

    // Correct their email address (they told us their new one).
    await page.getByRole('button', { name: 'Correct Name and contact details' }).first().click();
    // The record's labelled fields, each its own box: only the one changed is sent.
    const correction = page.locator('form').filter({ has: page.getByRole('button', { name: 'Save correction' }) });
    await correction.getByLabel('Surname').waitFor();
    await correction.getByLabel('Email address').fill('alex.new@example.com');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.getByText('alex.new@example.com').waitFor();
    const personUrl = page.url();

    // The person makes an access request on the public form, proving their new address.
    const visitor = await newContext(browser, { baseURL });
    const form = await visitor.newPage();
    await form.goto('/privacy/requests');
    await form.getByLabel('Email address').fill('alex.new@example.com');
    const before = smtp.messages.length;
    await form.getByRole('button', { name: 'Send me a code' }).click();
    await smtp.waitFor(before + 1);
    const code = /\b(\d{6})\b/.exec(smtp.messages.at(-1)!.text ?? '')![1]!;
    await form.getByLabel('Code').fill(code);
    await form.getByRole('radio', { name: /access|copy/i }).first().check();
    await form.getByRole('button', { name: 'Send my request' }).click();
    const reference = /RQ-\d{4}-\d+/.exec((await form.locator('body').textContent()) ?? '')![0];
    await visitor.close();

    // Handle it in the console: open from the inbox, verify if asked, match, review, send.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Requests' }).click();
    await page.getByRole('heading', { name: 'Rights requests' }).waitFor();
    await noSeriousAxe(page);
    await page.getByRole('link', { name: reference }).click();
    await page.getByRole('heading', { name: `Request ${reference}` }).waitFor();
    await noSeriousAxe(page);
    if ((await page.getByRole('button', { name: 'Record identity evidence' }).count()) > 0) {
      // The declaration asks for two kinds of evidence; the keyboard ticks them.
      await page.getByRole('checkbox', { name: 'passport' }).focus();
      await page.keyboard.press('Space');
      await page.getByRole('checkbox', { name: 'utility bill' }).check();
      await page.getByRole('button', { name: 'Record identity evidence' }).click();
      await expectStatus(page, 'Identity recorded.');
    }
    await page.getByRole('button', { name: 'Find possible matches' }).click();
    await page.getByRole('button', { name: /^Match to person / }).click();
    await expectStatus(page, 'Matched to the person.');
    const sentBefore = smtp.messages.length;
    await page.getByRole('button', { name: 'Review before sending' }).click();
    // The letter and the pack as they will go, before anything is sent.
    const letterPreview = page.getByRole('region', { name: 'Letter preview' });
    await letterPreview.waitFor();
    expect(await letterPreview.textContent()).toContain(reference);
    expect(await page.getByRole('region', { name: 'records.csv preview' }).textContent()).toContain('alex.new@example.com');
    expect(smtp.messages.length).toBe(sentBefore);
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Send response' }).click();
    await expectStatus(page, 'Fulfilled: the letter has been sent.');
    await smtp.waitFor(sentBefore + 1);
    const letter = smtp.messages.slice(sentBefore).find((m) => m.envelopeTo.includes('alex.new@example.com'))!;
    const link = new RegExp(`${baseURL.replace(/[.:/]/g, '\\$&')}\\S+`).exec(letter.text ?? '')?.[0];
    expect(link, 'the letter links to the pack on the configured address').toBeDefined();
    const pack = await fetch(link!);
    expect(pack.status).toBe(200);

    // The dashboard's promise shows it answered on time; the audit trail shows the release.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByText('0 of 1 requests answered this year were answered late').waitFor();
    await page.goto(personUrl);
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    const trail = (await page.getByRole('table').last().textContent()) ?? '';
    expect(trail).toContain('record.update');
    expect(trail).toContain('request.access.release');
    await noSeriousAxe(page);

    expect(thirdParty).toEqual([]);
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 420_000);
});
