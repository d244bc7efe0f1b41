/**
 * The console in Chromium against a real server, on each database: the done-when journey.
 * A newcomer signs in with the printed one-time owner password and sets their own, finds a demo
 * person, corrects their email address, handles the access request that person then makes on the
 * public form through to the sent pack, and sees it on the dashboard and in the person's audit
 * trail. Every page is checked with axe; the staff side is walked with the keyboard where a person
 * would type.
 */
import { expect, it } from 'vitest';
import { newContext } from '../support/browser.js';
import { describeConsole, expectStatus, noSeriousAxe } from '../support/console-server.js';

// The newcomer's first sign-in replaces a one-time password; the promises board counts this
// year's requests by the test runtime's fixed clock.
describeConsole('the console in Chromium on %s', { ownerMustChangePassword: true, realClock: false }, (s) => {
  it('takes a newcomer from the one-time password to a sent access pack, seen on the dashboard and in the audit trail', async () => {
    expect(s.demoPeople).toBeGreaterThan(0);
    const context = await newContext(s.browser, { baseURL: s.baseURL });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const thirdParty: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(s.baseURL)) thirdParty.push(r.url());
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
    await page.keyboard.type(s.ownerPassword);
    await page.keyboard.press('Enter');

    // The one-time password must be replaced before anything else.
    await page.getByRole('heading', { name: 'Choose your own password' }).waitFor();
    await noSeriousAxe(page);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.getByLabel('Current password').fill(s.ownerPassword);
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
    const visitor = await newContext(s.browser, { baseURL: s.baseURL });
    const form = await visitor.newPage();
    await form.goto('/privacy/requests');
    await form.getByLabel('Email address').fill('alex.new@example.com');
    const before = s.smtp.messages.length;
    await form.getByRole('button', { name: 'Send me a code' }).click();
    const code = await s.smtp.codeFor('alex.new@example.com', before);
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
    const sentBefore = s.smtp.messages.length;
    await page.getByRole('button', { name: 'Review before sending' }).click();
    // The letter and the pack as they will go, before anything is sent.
    const letterPreview = page.getByRole('region', { name: 'Letter preview' });
    await letterPreview.waitFor();
    expect(await letterPreview.textContent()).toContain(reference);
    expect(await page.getByRole('region', { name: 'records.csv preview' }).textContent()).toContain('alex.new@example.com');
    expect(s.smtp.messages.length).toBe(sentBefore);
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Send response' }).click();
    await expectStatus(page, 'Fulfilled: the letter has been sent.');
    await s.smtp.waitFor(sentBefore + 1);
    const letter = s.smtp.messages.slice(sentBefore).find((m) => m.envelopeTo.includes('alex.new@example.com'))!;
    const link = new RegExp(`${s.baseURL.replace(/[.:/]/g, '\\$&')}\\S+`).exec(letter.text ?? '')?.[0];
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
