/**
 * The import journey (console part 1, journey 3) in Chromium against a real server, on each
 * database: the office-supplies firm's spreadsheet, with its own column names, uploaded to the
 * Kestronics declaration; the suggested mapping, changed for one column; a dry run; the import
 * with its progress and summary; a person found with their labelled fields; and the same file
 * again, which adds no one and fills in the column left out the first time. Axe checks each step.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeConsole, expectStatus, noSeriousAxe, signedIn } from '../support/console-server.js';

const SHEET = readFileSync(path.resolve(import.meta.dirname, '../fixtures/register/office-customers.csv'));

describeConsole('the import journey in Chromium on %s', (s) => {
  it('maps a spreadsheet by its own column names, dry-runs it, imports it with progress, and adds no one twice', async () => {
    const page = await signedIn(s);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('link', { name: 'Import a spreadsheet' }).click();
    await page.getByRole('heading', { name: 'Import people' }).waitFor();
    await noSeriousAxe(page);

    const upload = async () => {
      await page.getByLabel('Spreadsheet (CSV file)').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: SHEET });
      await page.getByLabel('Everyone in the file is a').selectOption('customer');
      await page.getByRole('button', { name: 'Check the file' }).click();
    };
    await upload();
    await expectStatus(page, /5 rows read: 5 new people as Customers/);
    // Every column found its field by name, without a map.
    const columns = page.getByRole('table', { name: 'Where each column of the file goes' });
    await expect.poll(() => page.getByLabel('Field for column Surname').inputValue()).toBe('identity-and-contact.surname');
    expect(await page.getByLabel('Field for column Account ref').inputValue()).toBe('account-details.account-number');
    expect(await page.getByLabel('Field for column Delivery address').inputValue()).toBe('identity-and-contact.delivery-address');
    expect(await columns.locator('tbody tr').count()).toBe(10);
    await noSeriousAxe(page);

    // The privacy officer decides not to keep job titles: the dry run is made again first.
    // By keyboard: "Do not import" is the first choice of the column's list.
    await page.getByLabel('Field for column Job title').focus();
    await page.keyboard.press('Home');
    expect(await page.getByLabel('Field for column Job title').inputValue()).toBe('-');
    expect(await page.getByRole('button', { name: /^Import \d/ }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Check again with these columns' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('button', { name: 'Check again with these columns' }).count()).toBe(0);
    await expectStatus(page, /5 rows read: 5 new people/);
    expect(await page.getByLabel('Field for column Job title').inputValue()).toBe('-');

    await page.getByRole('button', { name: 'Import 5 people' }).click();
    await expectStatus(page, 'Import finished: 5 people added, 0 updated, 0 unchanged, 0 skipped, 0 refused.');
    expect(await page.getByLabel('Rows imported').getAttribute('value')).toBe(await page.getByLabel('Rows imported').getAttribute('max'));
    await noSeriousAxe(page);

    // Margaret is in the register with her labelled fields, and no job title.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByLabel('Identifier').selectOption('email');
    await page.getByLabel('Value').fill('m.okafor@harbour-dental.example');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('1 person found').waitFor();
    await page.getByRole('link', { name: /^Person / }).click();
    await page.getByText('Okafor', { exact: true }).first().waitFor();
    await page.getByText('CT11 7RJ', { exact: true }).first().waitFor();
    expect(await page.getByText('Office manager').count()).toBe(0);

    // The same file again is upkeep: nobody new; the job titles, left out before, now fill in.
    const before = (await s.rt.database.db.selectFrom('subjects').select('id').execute()).length;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('link', { name: 'Import a spreadsheet' }).click();
    await upload();
    await expectStatus(page, /5 rows read: 0 new people as Customers .*, 5 to update, 0 unchanged/);
    await page.getByRole('button', { name: 'Import 5 people' }).click();
    await expectStatus(page, 'Import finished: 0 people added, 5 updated, 0 unchanged, 0 skipped, 0 refused.');
    expect((await s.rt.database.db.selectFrom('subjects').select('id').execute()).length).toBe(before);
  }, 120_000);
});
