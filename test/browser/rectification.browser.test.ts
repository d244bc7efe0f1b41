/**
 * A rectification request answered in the console, on each database: the privacy officer corrects
 * the person's surname on the request's page, previews the letter (nothing changes yet), then sends
 * it; the register holds the corrected value. Axe checks each step.
 */
import { expect, it } from 'vitest';
import { describeConsole, expectStatus, noSeriousAxe, signedIn } from '../support/console-server.js';
import { aMatchedRequest } from '../support/factories.js';
import { actorWith } from '../support/runtime.js';
import { findSubjects, getSubject } from '../../src/register/register.read.js';

describeConsole('a rectification request in Chromium on %s', (s) => {
  it('corrects the fields on the request, previews the letter, then sends it with the corrections', async () => {
    const dpo = actorWith('dpo');
    const [alex] = await findSubjects(s.rt, dpo, { email: 'alex.example0@example.com' });
    const surname = async () => (await getSubject(s.rt, dpo, alex!.id)).records.flatMap((r) => r.fields ?? []).find((f) => f.id === 'surname')?.value;
    expect(await surname()).toBe('Example');
    const r = await aMatchedRequest(s.rt, alex!.id, { type: 'rectification', channel: 'letter', requester: { name: 'Alex Example', address: '1 Demo Street, Exampletown' }, details: 'My surname is spelt Exampel-Smith now.' }, dpo);

    const page = await signedIn(s);
    await page.goto(`/console/requests/${r.id}`);
    const corrections = page.getByRole('region', { name: 'Corrections' });
    await corrections.getByLabel('Surname').fill('Exampel-Smith');
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Review before sending' }).click();
    const letter = page.getByRole('region', { name: 'Letter preview' });
    await letter.waitFor();
    expect(await letter.textContent()).toContain(r.reference);
    // The preview changed nothing.
    expect(await surname()).toBe('Example');
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Send response' }).click();
    await expectStatus(page, 'Fulfilled: the letter has been sent.');
    expect(await surname()).toBe('Exampel-Smith');
  }, 120_000);
});
