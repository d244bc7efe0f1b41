/**
 * The console's part 2 journeys 3–6 in Chromium against a real server, on each database: the
 * declaration (findings, the notice preview, the record of processing, versions), retention (the
 * plan, holds, events awaiting approval, run now), the audit trail (filters, paging, verifying the
 * chain and seeing it fail when an entry is altered) and users and tokens (a staff user created,
 * who signs in, sets a password and is not offered owner pages, which the API refuses anyway).
 * Every page is checked with axe; forms are driven by the keyboard where a person would type.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint } from '../../src/audit/audit.checkpoint.js';
import { attachAuditWitness } from '../../src/audit/audit.service.js';
import { AuditWitness } from '../../src/audit/audit.witness.js';
import { ensureOwner, hashPassword } from '../../src/auth/auth.service.js';
import { publishNotice } from '../../src/policy/publishing.service.js';
import { createSubject } from '../../src/register/register.service.js';
import { addLifeEvent } from '../../src/retention/events.service.js';
import { seedDemo } from '../../src/server/demo.js';
import { newContext } from '../support/browser.js';
import { describeInChromium, expectStatus, KESTRONICS, noSeriousAxe, startBrowserServer } from '../support/console-server.js';
import { usersWithPassword } from '../support/factories.js';
import { actorWith } from '../support/runtime.js';
import { systemActor } from '../../src/kernel/actors.js';

const SMART_COMPUTERS = path.resolve(import.meta.dirname, '../../examples/smart-computers.yaml');
const OWNER_PASSWORD = 'the owner passphrase for tests';

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/console');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** Kestronics with an audit witness, an owner whose password is already set, and 60 demo people. */
const startWithDemoPeople = (kind: 'sqlite' | 'postgres') =>
  startBrowserServer(kind, {
    policyFile: KESTRONICS,
    async prepare(rt) {
      const witness = new AuditWitness(rt.dataDir, rt.keyring, rt.clock);
      attachAuditWitness(rt.database.db, witness);
      rt.witness = witness;
      const owner = await ensureOwner(rt, systemActor('first-run'));
      expect(owner).toBeDefined();
      // The owner's password, set here so each journey can sign in without the first-run step.
      await rt.database.db.updateTable('users').set({ password_hash: await hashPassword(OWNER_PASSWORD) }).where('username', '=', 'owner').execute();
      // Enough people that the audit trail runs to more than one page.
      expect(await seedDemo(rt, systemActor('demo'), 60)).toBeGreaterThan(40);
    },
  });

describeInChromium('the console part 2 in Chromium on %s', startWithDemoPeople, (s) => {
  let context: BrowserContext;
  let page: Page;
  let people: string[];

  beforeAll(async () => {
    people = (await s.rt.database.db.selectFrom('subject_relationships').select('subject_id').distinct().where('relationship', '=', 'customer').orderBy('subject_id').execute()).map((r) => r.subject_id);
    expect(people.length).toBeGreaterThan(2);
    context = await newContext(s.browser, { baseURL: s.baseURL });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    await signIn(page, 'owner', OWNER_PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });
  afterAll(async () => {
    await context?.close();
  });

  it('journey 3: the declaration’s findings with lines and fixes, the notice preview, the record of processing, and versions', async () => {
    // One version published earlier (forced: the example states no lawful bases).
    await publishNotice(s.rt, actorWith('owner'), { force: true, reason: 'first notice while the bases are agreed' });
    await nav(page).getByRole('link', { name: 'Declaration' }).click();
    await page.getByRole('heading', { name: 'The declaration', level: 1 }).waitFor();
    const findings = page.getByRole('table', { name: 'Findings' });
    await findings.waitFor();
    await noSeriousAxe(page);
    // A finding of a missing lawful basis, with its line in the file and how to fix it.
    const row = findings.getByRole('row').filter({ hasText: 'lawful-basis-missing' }).first();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[0]).toBe('Error');
    expect(Number(cells[1])).toBeGreaterThan(250);
    expect(cells[4]).toMatch(/^Add lawful_basis: one of /);

    // The record of processing, as a person would download it.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the record of processing (CSV)' }).click()]);
    expect(csv.suggestedFilename()).toMatch(/^record-of-processing-.*\.csv$/);
    const csvText = readFileSync((await csv.path())!, 'utf8');
    expect(csvText).toContain('Kestronics');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the record of processing (XLSX)' }).click()]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    expect(readFileSync((await xlsx.path())!).subarray(0, 2).toString()).toBe('PK');

    // The notice as it would be published, opened by keyboard.
    await page.getByRole('button', { name: 'Show the notice preview' }).focus();
    await page.keyboard.press('Enter');
    const preview = page.getByRole('region', { name: 'Notice preview' });
    await preview.waitFor();
    expect(await preview.textContent()).toContain('Kestronics');
    await noSeriousAxe(page);

    // Versions: the forced one is listed; publishing again with errors is refused, with the API's code.
    const versions = page.getByRole('table', { name: 'Published versions' });
    expect(await versions.getByRole('row').filter({ hasText: 'first notice while the bases are agreed' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Publish the declaration as the notice in force' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('(CONFLICT)');
  }, 240_000);

  it('journey 4: retention — events awaiting approval, a hold, run now and its outcome', async () => {
    const [closed, held] = people as [string, string];
    // Staff record two accounts closed years ago: back-dated, so they wait for a privacy officer.
    for (const subjectId of [closed, held]) await addLifeEvent(s.rt, actorWith('staff'), { subjectId, type: 'account-closed', date: '2019-01-15' });

    await nav(page).getByRole('link', { name: 'Retention' }).click();
    await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Retention rules' }).waitFor();
    await noSeriousAxe(page);
    await page.getByRole('heading', { name: 'Life events awaiting approval' }).waitFor();
    await page.getByText('No reviews are due.').waitFor();

    // Hold one person's data before approving: a legal claim. Typed by keyboard.
    await page.getByLabel('Person (id)').focus();
    await page.keyboard.type(held);
    await page.getByLabel('Reason for the hold').fill('Claim 42 from the ombudsman');
    await page.getByLabel('Review on').fill('2026-06-01');
    await page.getByRole('button', { name: 'Place hold' }).click();
    await expectStatus(page, 'The hold is in place.');
    await page.getByRole('table', { name: 'Holds in place' }).getByRole('cell', { name: 'Claim 42 from the ombudsman', exact: true }).waitFor();

    for (const id of [closed, held]) {
      await page.getByRole('button', { name: `Approve account-closed on 2019-01-15 for person ${id}` }).click();
      await expectStatus(page, 'Approved: retention acts on the event from now.');
    }
    await page.getByText('No events are waiting.').waitFor();
    const due = await page.getByRole('table', { name: 'Retention rules' }).getByRole('row').filter({ hasText: 'six-years-after-account' }).getByRole('cell').nth(1).textContent();
    expect(Number(/^(\d+) records/.exec(due ?? '')?.[1])).toBeGreaterThan(0);

    const recordsOf = async (id: string) => (await s.rt.database.db.selectFrom('records').select('id').where('subject_id', '=', id).execute()).length;
    const before = { closed: await recordsOf(closed), held: await recordsOf(held) };
    expect(before.closed).toBeGreaterThan(0);
    // Run now: confirmed first, then the outcome.
    await page.getByRole('button', { name: 'Run retention now' }).click();
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Yes, run retention' }).click();
    const outcome = page.getByRole('status').filter({ hasText: 'Retention ran as of 2026-03-02' });
    await outcome.waitFor();
    const text = (await outcome.textContent()) ?? '';
    expect(Number(/(\d+) records deleted/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/Kept by a hold\s*[1-9]/);
    expect(await recordsOf(held)).toBe(before.held);
    expect(await recordsOf(closed)).toBeLessThan(before.closed);

    // The claim is settled: release the hold, with a reason.
    await page.getByLabel('Reason for releasing').fill('Claim 42 settled');
    await page.getByRole('button', { name: 'Release hold: Claim 42 from the ombudsman' }).click();
    await expectStatus(page, 'The hold is released: due retention runs at the next run.');
    await page.getByText('No holds in place.').waitFor();
    await noSeriousAxe(page);
  }, 240_000);

  it('journey 5: the audit trail filtered by user, action, person and day, paged, and the chain verified', async () => {
    await nav(page).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    await page.getByText(/^Showing 50 entries \(more are older\)\.$/).waitFor();
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'Show older entries' }).click();
    const shown = async () => Number(/^Showing (\d+) entries/.exec((await page.getByText(/^Showing \d+ entries/).textContent()) ?? '')?.[1]);
    await expect.poll(shown).toBeGreaterThan(50);
    expect(await page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr').count()).toBe(await shown());

    // By user and action, typed by keyboard: the owner's sign-in.
    await page.getByLabel('User').focus();
    await page.keyboard.type('owner');
    await page.keyboard.press('Tab');
    await page.keyboard.type('auth.login');
    await page.keyboard.press('Enter');
    await page.getByText('Showing 1 entry.').waitFor();
    const entries = page.getByRole('table', { name: 'Audit entries' });
    expect(await entries.getByRole('row').nth(1).getByRole('cell').nth(2).textContent()).toBe('owner (owner)');

    // By person: every entry names them; by day: none after the test clock's day.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Person (id)').fill(people[2]!);
    await page.getByRole('button', { name: 'Show entries' }).click();
    const persons = () => entries.locator('tbody tr td:nth-child(5)').allTextContents();
    await expect.poll(async () => [...new Set(await persons())]).toEqual([people[2]!]);
    await page.getByLabel('From (day)').fill('2026-03-03');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText('No entries match.').waitFor();
    await page.getByLabel('From (day)').fill('2026-03-02');
    await page.getByLabel('To (day)').fill('2026-03-02');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText(/^Showing \d+ entr/).waitFor();

    // Verify: intact, checked against the witness file.
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.getByText(/^The chain is intact: all \d+ entries verified\.$/).waitFor();
    await page.getByText(/^Checked against the witness file/).waitFor();
    await noSeriousAxe(page);
    // And against the checkpoint mailed to the privacy contact, pasted from the mail.
    const checkpoint = JSON.stringify(await createCheckpoint(s.rt, new Date('2026-03-02T10:00:00Z')));
    await page.getByLabel('Checkpoints from the mail (optional)').fill(checkpoint);
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.getByText(/^Checked against the checkpoint of 2026-03-02T10:00:00.000Z: it records \d+ entries\.$/).waitFor();
    await page.getByLabel('Checkpoints from the mail (optional)').fill(checkpoint.replace(/"mac":"[^"]+"/, '"mac":"forged"'));
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    await page.getByText(/does not carry a valid MAC for this database/).waitFor();
    await page.getByLabel('Checkpoints from the mail (optional)').fill('');

    // Someone alters an entry in the database: verifying shows it, then it is put back.
    const victim = await s.rt.database.db.selectFrom('audit_log').select(['seq', 'details']).where('action', '=', 'auth.login').executeTakeFirstOrThrow();
    await s.rt.database.db.updateTable('audit_log').set({ details: '{"forged":true}' }).where('seq', '=', victim.seq).execute();
    try {
      await page.getByRole('button', { name: 'Verify the audit chain' }).click();
      await page.getByText(/^The chain is broken: 1 problem found/).waitFor();
      await page.getByText(new RegExp(`entry ${Number(victim.seq)} (\\(the last\\) )?has been altered`)).waitFor();
      await noSeriousAxe(page);
    } finally {
      await s.rt.database.db.updateTable('audit_log').set({ details: victim.details }).where('seq', '=', victim.seq).execute();
    }
  }, 240_000);

  it('journey 6: the owner creates a staff user who signs in, is not offered owner pages and is refused by the API; tokens shown once, used, revoked', async () => {
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users and tokens', level: 1 }).waitFor();
    await noSeriousAxe(page);
    await page.getByLabel('New username').focus();
    await page.keyboard.type('sam');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Sam Staff');
    await page.getByLabel('Role', { exact: true }).selectOption('staff');
    await page.getByLabel('Job roles').fill('front-desk');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expectStatus(page, 'sam was created; they choose their own password at first sign-in.');
    const oneTime = await page.getByLabel('One-time password for sam.').inputValue();
    expect(oneTime.length).toBeGreaterThanOrEqual(12);
    await noSeriousAxe(page);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const users = page.getByRole('table', { name: 'Users' });
    expect(await users.getByRole('row').filter({ hasText: 'sam' }).getByRole('cell').allTextContents()).toEqual(expect.arrayContaining(['sam', 'staff', 'front-desk', 'must choose a password']));

    // Sam signs in, must choose a password, and is offered no owner or officer pages.
    const samContext = await newContext(s.browser, { baseURL: s.baseURL });
    samContext.setDefaultTimeout(15_000);
    const sam = await samContext.newPage();
    await signIn(sam, 'sam', oneTime);
    await sam.getByRole('heading', { name: 'Choose your own password' }).waitFor();
    await sam.getByLabel('Current password').fill(oneTime);
    await sam.getByLabel('New password', { exact: true }).fill('sams own long passphrase');
    await sam.getByLabel('New password again').fill('sams own long passphrase');
    await sam.getByRole('button', { name: 'Save password' }).click();
    await sam.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const offered = await nav(sam).getByRole('link').allTextContents();
    expect(offered).toContain('Declaration');
    for (const hidden of ['Users', 'Audit', 'Retention']) expect(offered).not.toContain(hidden);
    await sam.goto('/console/users');
    await sam.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    await noSeriousAxe(sam);
    // The API refuses the staff role whatever the console offers.
    const login = await fetch(`${s.baseURL}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sam', password: 'sams own long passphrase' }) });
    const samToken = ((await login.json()) as { token: string }).token;
    const asSam = (url: string, method = 'GET') => fetch(`${s.baseURL}${url}`, { method, headers: { authorization: `Bearer ${samToken}` } });
    for (const [url, method] of [['/api/v1/users', 'GET'], ['/api/v1/audit', 'GET'], ['/api/v1/retention/run', 'POST'], ['/api/v1/tokens?everyone=true', 'GET']] as const) {
      const r = await asSam(url, method);
      expect(r.status, url).toBe(403);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }

    // An API token: the secret shown once, used, its last use seen, then revoked.
    await page.getByLabel('Token name').fill('CRM sync');
    await page.getByLabel('Token role').selectOption('staff');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expectStatus(page, 'The token CRM sync was created.');
    const secret = await page.getByLabel('The secret of the token CRM sync.').inputValue();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.getByLabel('The secret of the token CRM sync.').count()).toBe(0);
    const tokens = page.getByRole('table', { name: 'API tokens' });
    const tokenRow = () => tokens.getByRole('row').filter({ hasText: 'CRM sync' });
    expect(await tokenRow().getByRole('cell').nth(5).textContent()).toBe('never');
    expect((await fetch(`${s.baseURL}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await nav(page).getByRole('link', { name: 'Dashboard' }).click();
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await tokenRow().waitFor();
    expect(await tokenRow().getByRole('cell').nth(5).textContent()).toBe('2026-03-02 10:00 UTC');
    await tokenRow().getByRole('button', { name: 'Revoke CRM sync' }).click();
    await expectStatus(page, 'The token CRM sync is revoked.');
    expect((await fetch(`${s.baseURL}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);

    // Sam forgot their password: a new one-time one; then Sam leaves and is disabled.
    await page.getByRole('button', { name: 'Reset password of sam' }).click();
    await expectStatus(page, 'sam has a new one-time password and must choose their own at next sign-in.');
    expect((await page.getByLabel('One-time password for sam.').inputValue()).length).toBeGreaterThanOrEqual(12);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('button', { name: 'Disable sam' }).click();
    await expectStatus(page, /sam is disabled/);
    expect(await users.getByRole('row').filter({ hasText: 'sam' }).getByRole('cell').allTextContents()).toContain('disabled');
    expect((await asSam('/api/v1/auth/me')).status).toBe(401);
    await sam.reload();
    await sam.getByRole('heading', { name: 'Sign in' }).waitFor();
    await samContext.close();
  }, 240_000);
});

/** Smart Computers' declaration, with a privacy officer and an auditor who sign in with a password. */
const startWithOfficers = (kind: 'sqlite' | 'postgres') =>
  startBrowserServer(kind, {
    policyFile: SMART_COMPUTERS,
    async prepare(rt) {
      await usersWithPassword(rt, [['officer', 'dpo'], ['inspector', 'auditor']], OWNER_PASSWORD);
    },
  });

describeInChromium('retention reviews in the console in Chromium on %s', startWithOfficers, (s) => {
  it('journey 4: a privacy officer decides a review that is due; an auditor sees it and is offered no decision or run', async () => {
    // A contact collected in 2022 under a rule reviewed every 3 years: due in January 2025.
    const contact = (
      await createSubject(s.rt, actorWith('staff'), {
        relationships: [{ relationship: 'third-party-contact' }],
        records: [{ category: 'contact-details', value: 'pat.contact@example.org', purposes: ['contacts-database'], collectedAt: '2022-01-10' }],
      })
    ).id;
    const label = `Review of person ${contact} under contacts-review`;

    const auditorContext = await newContext(s.browser, { baseURL: s.baseURL });
    auditorContext.setDefaultTimeout(15_000);
    const auditor = await auditorContext.newPage();
    await signIn(auditor, 'inspector', OWNER_PASSWORD);
    await nav(auditor).getByRole('link', { name: 'Retention' }).click();
    await auditor.getByRole('group', { name: label }).waitFor();
    await noSeriousAxe(auditor);
    expect(await auditor.getByRole('button', { name: 'Run retention now' }).count()).toBe(0);
    expect(await auditor.getByRole('button', { name: 'Record decision' }).count()).toBe(0);
    expect(await auditor.getByRole('button', { name: 'Place hold' }).count()).toBe(0);
    expect(await nav(auditor).getByRole('link', { name: 'Users' }).count()).toBe(0);
    await auditorContext.close();

    const context = await newContext(s.browser, { baseURL: s.baseURL });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await signIn(page, 'officer', OWNER_PASSWORD);
    await nav(page).getByRole('link', { name: 'Retention' }).click();
    const review = page.getByRole('group', { name: label });
    await review.waitFor();
    expect(await review.textContent()).toContain('due 2025-01-10');
    await noSeriousAxe(page);
    // Decided by keyboard: keep, with a reason and the next review.
    await review.getByRole('radio', { name: 'Keep' }).check();
    await review.getByLabel('Reason for the decision').focus();
    await page.keyboard.type('Still a supplier contact');
    await review.getByLabel('Next review on').fill('2029-01-10');
    await review.getByLabel('Reason for the decision').focus();
    await page.keyboard.press('Enter');
    await expectStatus(page, 'Kept, with the next review recorded.');
    await page.getByText('No reviews are due.').waitFor();
    const decision = await s.rt.database.db.selectFrom('retention_reviews').selectAll().where('subject_id', '=', contact).executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ decision: 'keep', next_review_on: '2029-01-10' });
    await noSeriousAxe(page);
    await context.close();
  }, 240_000);
});
