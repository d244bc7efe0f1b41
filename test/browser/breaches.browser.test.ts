/**
 * The breach journey in Chromium against a real server, on each database: a newcomer records a
 * stolen laptop, sees its clock running, assesses and decides with reasons, finds the people
 * affected from the register and from an uploaded list, previews the letter and the count before
 * anything is sent, sends, and downloads the ICO report. Axe checks every page.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createUser } from '../../src/auth/auth.service.js';
import { describeConsole, expectStatus, noSeriousAxe, signedIn } from '../support/console-server.js';
import { systemActor } from '../../src/kernel/actors.js';

describeConsole('the breach journey in Chromium on %s', (s) => {
  it('records a stolen laptop, shows its clock, finds the people, previews and sends the letters and downloads the ICO report', async () => {
    const page = await signedIn(s);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Breaches' }).click();
    await page.getByRole('heading', { name: 'Breaches', exact: true }).waitFor();
    await page.getByText('No breaches recorded.').waitFor();
    await noSeriousAxe(page);

    // Record it: became aware two hours ago.
    const aware = new Date(Date.now() - 2 * 3_600_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(aware).replace(' ', 'T');
    await page.getByLabel('Title').fill('Laptop stolen from a car');
    await page.getByLabel('When we became aware').fill(local);
    await page.getByLabel('What happened').fill('A sales laptop with a customer spreadsheet was stolen from a parked car.');
    await page.getByRole('checkbox', { name: /^Confidentiality/ }).check();
    await page.getByRole('button', { name: 'Record the breach' }).click();
    await page.getByRole('heading', { name: /^Breach BR-/ }).or(page.getByRole('alert')).first().waitFor();
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    const heading = page.getByRole('heading', { name: /^Breach BR-/ });
    await heading.waitFor();
    const reference = (await heading.textContent())!.replace('Breach ', '');

    // The clock runs from awareness: about 70 hours left, and it ticks.
    const timer = page.getByRole('timer', { name: 'Time left to report to the ICO' });
    const first = (await timer.textContent())!;
    expect(first).toMatch(/^(69|70) h \d\d min \d\d s left to report to the ICO$/);
    await expect.poll(async () => timer.textContent(), { timeout: 5000 }).not.toBe(first);
    await noSeriousAxe(page);

    // The facts the letter and the report need, measures taken apart from those proposed.
    await page.getByLabel('Likely consequences for people').fill('Customers could receive convincing phishing emails.');
    await page.getByLabel('Measures taken', { exact: true }).fill('The laptop was wiped remotely and its passwords changed.');
    await page.getByLabel('Measures proposed', { exact: true }).fill('Full-disk encryption on every laptop by the end of the month.');
    await page.getByRole('button', { name: 'Save the facts' }).click();
    await expectStatus(page, 'Facts saved.');

    await page.getByLabel('Risk to people', { exact: true }).selectOption('high');
    await page.getByLabel('Reasons for the assessment').fill('Names and emails readable: the disk was not encrypted.');
    await page.getByRole('button', { name: 'Record the assessment' }).click();
    await expectStatus(page, 'Risk assessed.');
    await page.getByLabel('Decision on reporting to the ICO').selectOption('notify');
    await page.getByLabel('Reason for the ICO decision').fill('A risk to people: unencrypted customer data.');
    await page.getByRole('button', { name: 'Record the ICO decision' }).click();
    await expectStatus(page, 'Decision recorded.');
    await page.getByLabel('Decision on telling people').selectOption('notify');
    await page.getByLabel('Reason for the decision about people').fill('High risk of phishing.');
    await page.getByRole('button', { name: 'Record the decision about people' }).click();
    await expectStatus(page, 'Decision recorded.');

    // The people: from the register by relationship, then more from an uploaded list.
    const find = page.getByRole('region', { name: 'Find the people affected' });
    await find.getByRole('checkbox', { name: /^Customers \(individuals/ }).check();
    await find.getByRole('button', { name: 'Select from the register' }).click();
    await expectStatus(page, /people matched; \d+ now affected\./);
    await find.getByLabel(/A list of email addresses/).setInputFiles({
      name: 'from-the-laptop.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('email\nsam.sample1@example.com\nnobody@example.net\n'),
    });
    await find.getByRole('button', { name: 'Add the people on the list' }).click();
    await find.getByText(/Of 2 identifiers, 1 are not in the register and 0 are not valid\./).waitFor();
    expect(page.url()).not.toContain('example');

    // The preview: the letter and the count, and nothing sent.
    const sentBefore = s.smtp.messages.length;
    await page.getByRole('button', { name: 'Preview the letter' }).click();
    const letter = page.getByRole('region', { name: 'Letter preview' });
    await letter.waitFor();
    const text = (await letter.textContent())!;
    expect(text).toContain(`Our reference: ${reference}`);
    expect(text).toMatch(/What we have done\s*-+\s*The laptop was wiped remotely/);
    expect(text).toMatch(/What we are going to do\s*-+\s*Full-disk encryption/);
    const sendButton = page.getByRole('button', { name: /^Send \d+ letters?$/ });
    const count = Number(/\d+/.exec((await sendButton.textContent())!)![0]);
    expect(count).toBeGreaterThan(1);
    expect(s.smtp.messages.length).toBe(sentBefore);
    await noSeriousAxe(page);
    await sendButton.click();
    await expectStatus(page, `Letters sent: ${count} emailed, 0 failed`);
    await s.smtp.waitFor(sentBefore + count);
    expect(s.smtp.messages.slice(sentBefore).some((m) => m.envelopeTo.includes('sam.sample1@example.com'))).toBe(true);

    // The ICO report: downloaded as a file, and readable in the browser.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the ICO report' }).click()]);
    expect(download.suggestedFilename()).toBe(`${reference}-ico-report.html`);
    const report = readFileSync((await download.path())!, 'utf8');
    expect(report).toContain('Personal data breach report');
    expect(report).toContain('Laptop stolen from a car');
    expect(report).not.toContain('(contact point)');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('link', { name: /Read or print the ICO report/ }).click()]);
    await tab.getByRole('heading', { name: 'Personal data breach report' }).waitFor();
    await tab.close();

    // The timeline records each step, by whom.
    const timeline = (await page.getByRole('list', { name: 'Timeline' }).textContent())!;
    for (const step of ['risk assessed', 'decision on reporting to the ico', 'people affected added', 'people told by email']) expect(timeline.toLowerCase()).toContain(step);
    expect(timeline).toContain('(owner)');
    await page.getByText(/\d+ by email \(0 failed/).waitFor();
    await noSeriousAxe(page);

    // Back on the register the breach shows with its clock.
    await page.getByRole('link', { name: 'All breaches' }).click();
    await page.getByRole('link', { name: reference }).waitFor();
    await noSeriousAxe(page);

    // The dashboard lists it on its clock and leads to it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('main').getByRole('link', { name: reference }).click();
    await page.getByRole('heading', { name: `Breach ${reference}` }).waitFor();
    await page.context().close();
  }, 300_000);

  it('lets staff record a breach and gives them its reference, without showing them the register', async () => {
    const { password } = await createUser(s.rt, systemActor('test'), { username: 'sam-staff', role: 'staff' });
    const page = await signedIn(s, 'sam-staff', password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Breaches' }).click();
    await page.getByText('Your role records breaches; the privacy officer sees the register.').waitFor();
    await noSeriousAxe(page);
    await page.getByLabel('Title').fill('Letter posted to the wrong address');
    await page.getByLabel('When we became aware').fill(new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(Date.now() - 600_000)).replace(' ', 'T'));
    await page.getByRole('button', { name: 'Record the breach' }).click();
    await expectStatus(page, /^Recorded as BR-\d{4}-\d+\. The privacy officer will take it from here/);
    expect(await page.getByRole('table').count()).toBe(0);
    await page.context().close();
  }, 120_000);
});
