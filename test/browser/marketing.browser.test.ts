/**
 * The marketing journey in Chromium against a real server, on each database: consent recorded and
 * withdrawn on a person's page, an objection to direct marketing, an audience check of an uploaded
 * campaign list with every answer in plain words, the suppression list (check, add) and a TPS
 * import. Axe checks every page.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeConsole, expectStatus, noSeriousAxe, signedIn } from '../support/console-server.js';
import { REASONS } from '../../src/consent/audience.rules.js';

async function consentPageOf(page: Page, email: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
  await page.getByLabel('Identifier').selectOption('email');
  await page.getByLabel('Value').fill(email);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByText('1 person found').waitFor();
  await page.getByRole('link', { name: /^Person / }).click();
  await page.getByRole('link', { name: 'Record consent, a withdrawal or an objection to marketing' }).click();
  await page.getByRole('heading', { name: /^Consent and marketing for person / }).waitFor();
}

async function checkList(page: Page, list: string): Promise<Map<string, string>> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketing' }).click();
  await page.getByRole('heading', { name: 'Marketing', exact: true }).waitFor();
  await page.getByLabel('Channel', { exact: true }).selectOption('email');
  await page.getByLabel(/^Campaign list/).setInputFiles({ name: 'spring-campaign.csv', mimeType: 'text/csv', buffer: Buffer.from(list) });
  await page.getByRole('button', { name: 'Check the list' }).click();
  await expectStatus(page, /\d+ recipients: \d+ allowed, \d+ blocked\./);
  const rows = await page.getByRole('table', { name: 'Each recipient' }).getByRole('row').allTextContents();
  const answers = new Map<string, string>();
  for (const row of await page.getByRole('table', { name: 'Each recipient' }).locator('tbody tr').all()) {
    const cells = await row.getByRole('cell').allTextContents();
    answers.set(cells[1]!, `${cells[2]}: ${cells[3]}`);
  }
  expect(rows.length).toBeGreaterThan(1);
  return answers;
}

describeConsole('the marketing journey in Chromium on %s', (s) => {
  it('records consent and an objection, checks a campaign list with every reason in plain words, and keeps the suppression list', async () => {
    const page = await signedIn(s);

    // Alex consents to marketing by email, on a form.
    await consentPageOf(page, 'alex.example0@example.com');
    await page.getByText('No consent recorded for this person.').waitFor();
    await noSeriousAxe(page);
    await page.getByRole('checkbox', { name: 'email' }).check();
    await page.getByLabel('What happened').selectOption('given');
    await page.getByLabel('How', { exact: true }).selectOption('form');
    await page.getByLabel('The words they agreed to').fill('Yes, email me about your other products and services.');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await expectStatus(page, /^Consent given for /);
    await page.getByRole('table', { name: 'Consent by purpose and channel' }).getByText('active').waitFor();

    // Sam objects to direct marketing on the phone: confirmed, then absolute.
    await consentPageOf(page, 'sam.sample1@example.com');
    await page.getByRole('button', { name: 'Record an objection to direct marketing' }).click();
    await page.getByRole('group', { name: 'Confirm the objection' }).getByText(/withdraws every marketing consent/).waitFor();
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Record the objection' }).click();
    await expectStatus(page, /^Objection recorded: \d+ consents withdrawn, [1-9]\d* entries added to the suppression list/);

    // The campaign list: each person allowed or blocked, the reason in plain words, no bare codes.
    const list = 'email\nalex.example0@example.com\nsam.sample1@example.com\npriya.testington2@example.com\nstranger@example.net\nnot an address\n';
    const answers = await checkList(page, list);
    expect(answers.get('alex.example0@example.com')).toMatch(/^Allowed: the person gave consent for this purpose on this channel/);
    expect(answers.get('sam.sample1@example.com')).toMatch(/^Blocked: on the suppression list\. They opted out or objected to direct marketing/);
    expect(answers.get('priya.testington2@example.com')).toMatch(/^Blocked: (this purpose needs consent and the person has not given it|nobody in the register has this address)/);
    expect(answers.get('stranger@example.net')).toMatch(/^Blocked: nobody in the register has this address or number/);
    expect(answers.get('not an address')).toMatch(/^Blocked: this is not a valid email address or phone number/);
    const shown = (await page.getByRole('main').textContent())!;
    // Codes that are also plain words (consent, withdrawn) may appear in sentences; the hyphenated codes may not.
    for (const code of REASONS.filter((r) => r.includes('-'))) expect(shown, `the bare code ${code}`).not.toMatch(new RegExp(`(^|[^a-z-])${code}([^a-z-]|$)`));
    expect(await page.getByRole('list', { name: 'Reasons' }).getByRole('listitem').count()).toBeGreaterThanOrEqual(4);
    expect(page.url()).not.toContain('example');
    await noSeriousAxe(page);

    // The suppression list: Sam is on it; a new address is added and then found.
    await page.getByLabel('Check an email address or phone number').fill('sam.sample1@example.com');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByText(/every channel, every purpose: They objected to direct marketing/).waitFor();
    await page.getByLabel('Check an email address or phone number').fill('stranger@example.net');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByText('Not on the suppression list.').waitFor();
    await page.getByLabel('Addresses or numbers to suppress (one per line)').fill('stranger@example.net');
    await page.getByLabel('Why').selectOption('opt-out');
    await page.getByRole('button', { name: 'Add to the suppression list' }).click();
    await expectStatus(page, '1 added to the suppression list, 0 already on it.');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByText(/every channel, every purpose: They opted out/).waitFor();

    // TPS screening: importing the register records its date and size.
    await page.getByLabel('Register', { exact: true }).selectOption('tps');
    await page.getByLabel('The register file (one number per line)').setInputFiles({ name: 'tps.txt', mimeType: 'text/plain', buffer: Buffer.from('07700900100\n07700900101\nnot a number\n') });
    await page.getByRole('button', { name: 'Import the register' }).click();
    await expectStatus(page, 'TPS register replaced: 2 numbers, 1 lines were not phone numbers.');
    await page.getByText(/^TPS: 2 numbers, imported \d{4}-\d\d-\d\d$/).waitFor();
    await noSeriousAxe(page);

    // Alex withdraws by email: the next check blocks them, saying so.
    await consentPageOf(page, 'alex.example0@example.com');
    await page.getByRole('checkbox', { name: 'email' }).check();
    await page.getByLabel('What happened').selectOption('withdrawn');
    await page.getByLabel('How', { exact: true }).selectOption('email');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await expectStatus(page, /^Consent withdrawn for /);
    await page.getByRole('list', { name: 'Consent history' }).getByText(/withdrawn for/).waitFor();
    const after = await checkList(page, 'alex.example0@example.com\n');
    expect(after.get('alex.example0@example.com')).toMatch(/^Blocked: /);
    await page.context().close();
  }, 300_000);
});
