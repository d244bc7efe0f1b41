/**
 * Issue 19's "done when", through the register on both databases: a Smart Computers enquirer
 * created or imported with no purpose named is held for following up the enquiry, due for deletion
 * three months after it without marketing consent and kept with it; the declaration as it was asks
 * for the purposes instead of holding the record for the longest; the retention plan lists records
 * a purpose other than their relationship's promise keeps; the promises board over HTTP.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordConsent } from '../consent/consent.service.js';
import { importSubjects, type ImportRow } from '../register/import.service.js';
import { createSubject } from '../register/register.service.js';
import { findSubjects } from '../register/register.read.js';
import { addLifeEvent } from '../retention/events.service.js';
import { explainSubject } from '../retention/retention.explain.js';
import { planRetention } from '../retention/retention.plan.js';
import { runRetention } from '../retention/retention.run.js';
import { buildApp } from '../server/app.js';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { systemActor } from '../kernel/actors.js';
import { consentConditions } from '../consent/consent.conditions.js';
import { bearer, signInOwner } from '../../test/support/factories.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/smart-computers.yaml');
const BEFORE = path.resolve(import.meta.dirname, '../../test/fixtures/promises/smart-computers-before.yaml');
const staff = actorWith('staff');
const dpo = actorWith('dpo');

function* csv(emails: string[]): Generator<ImportRow> {
  let line = 2;
  for (const email of emails) yield { line: line++, row: { 'contact-details': email } };
}

const idOf = async (rt: TestRuntime, email: string): Promise<string> => (await findSubjects(rt, staff, { email }))[0]!.id;
const purposesOf = async (rt: TestRuntime, subjectId: string): Promise<string[]> => {
  const row = await rt.database.db.selectFrom('records').select('purposes').where('subject_id', '=', subjectId).executeTakeFirstOrThrow();
  return (JSON.parse(row.purposes) as Array<{ purpose: string }>).map((p) => p.purpose);
};

describe.each(dialects)('Smart Computers enquirers on %s', (kind) => {
  let rt: TestRuntime;
  afterEach(() => rt.close());

  describe('the example', () => {
    beforeEach(async () => {
      rt = await createTestRuntime(kind, { policyFile: EXAMPLE });
      rt.clock.set('2026-05-01T09:00:00Z');
    });

    it('due for deletion three months after the enquiry without marketing consent, kept with it', async () => {
      const created = (await createSubject(rt, staff, { relationships: [{ relationship: 'enquirer' }], records: [{ category: 'contact-details', value: 'browsing@example.com' }] })).id;
      const summary = await importSubjects(rt, staff, csv(['imported@example.com', 'keen@example.com']), { relationship: 'enquirer' });
      expect(summary).toMatchObject({ created: 2, rejected: 0 });
      const imported = await idOf(rt, 'imported@example.com');
      const keen = await idOf(rt, 'keen@example.com');
      for (const s of [created, imported, keen]) {
        expect(await purposesOf(rt, s)).toEqual(['enquiry-follow-up']);
        await addLifeEvent(rt, staff, { subjectId: s, type: 'enquiry', date: '2026-05-01' });
      }
      await recordConsent(rt, staff, { subjectId: keen, purpose: 'marketing', channels: ['email'], action: 'given', method: 'web-form', wording: 'Tick to hear about news and offers' });

      const before = await planRetention(rt, dpo, { asOf: '2026-07-31', conditions: consentConditions });
      expect(before.totals.delete).toBe(0);
      const on = await planRetention(rt, dpo, { asOf: '2026-08-01', conditions: consentConditions });
      expect(on.rules.find((r) => r.rule === 'enquiry-three-months')).toMatchObject({ due: 2, kept: 1 });
      expect(on.items.map((i) => [i.subjectId, i.status]).sort()).toEqual([[created, 'due'], [imported, 'due'], [keen, 'kept']].sort());
      expect(on.offPromise.records).toBe(0);
      expect((await explainSubject(rt, dpo, keen, { asOf: '2026-08-01', conditions: consentConditions })).records[0]!.reason).toMatch(/^kept: marketing-consent \(would be due since 2026-08-01: enquiry-follow-up \(rule enquiry-three-months\)/);

      rt.clock.set('2026-08-01T02:00:00Z');
      expect(await runRetention(rt, dpo, undefined, { conditions: consentConditions })).toMatchObject({ deleted: 2, kept: 1, subjectsErased: 2 });
      expect(await findSubjects(rt, staff, { email: 'keen@example.com' })).toHaveLength(1);
      expect(await findSubjects(rt, staff, { email: 'imported@example.com' })).toHaveLength(0);
    });

    it('the retention plan lists records kept by a purpose other than their relationship\'s promise', async () => {
      const old = (await createSubject(rt, staff, {
        relationships: [{ relationship: 'customer' }],
        // As the import used to hold every record: for each purpose using the category.
        records: [{ category: 'contact-details', value: 'old.import@example.com', purposes: ['customer-service', 'quotations', 'marketing'] }],
      })).id;
      await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'contact-details', value: 'new@example.com' }] });
      const plan = await planRetention(rt, dpo);
      expect(plan.offPromise).toMatchObject({
        records: 1,
        items: [{ subjectId: old, category: 'contact-details', decidedBy: { purpose: 'quotations', rule: 'as-long-as-necessary' }, promised: ['customer-service', 'feedback'] }],
      });
    });
  });

  describe('the declaration as it was', () => {
    beforeEach(async () => {
      rt = await createTestRuntime(kind, { policyFile: BEFORE });
    });

    it('asks which purposes an enquirer\'s record is for instead of keeping it for the longest', async () => {
      const e = await caught(createSubject(rt, staff, { relationships: [{ relationship: 'prospect' }], records: [{ category: 'contact-details', value: 'browsing@example.com' }] }));
      expect(e).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'records[0].purposes' }] });
      expect(e.message).toMatch(/for a prospect keep it for different periods: quotations \(kept as long as needed .*enquiry-follow-up \(deleted 3 months after enquiry unless marketing-consent\).*name the purposes it was collected for \("purposes"\)/);

      const i = await caught(importSubjects(rt, staff, csv(['imported@example.com']), { relationship: 'prospect' }));
      expect(i.message).toMatch(/^purposes: the purposes that use "contact-details" for a prospect keep it for different periods: .*\(--purpose\)/);
      expect(await rt.database.db.selectFrom('subjects').select('id').execute()).toHaveLength(0);

      expect(await importSubjects(rt, staff, csv(['imported@example.com']), { relationship: 'prospect', purposes: ['enquiry-follow-up'] })).toMatchObject({ created: 1 });
      expect(await purposesOf(rt, await idOf(rt, 'imported@example.com'))).toEqual(['enquiry-follow-up']);
    });
  });

  describe('the promises board over HTTP', () => {
    let app: FastifyInstance;
    beforeEach(async () => {
      rt = await createTestRuntime(kind, { policyFile: EXAMPLE });
      app = await buildApp({ ...rt, logger: false });
    });
    afterEach(() => app.close());

    it('is for signed-in users, and shows each relationship\'s path', async () => {
      expect((await app.inject('/api/v1/policy/promises')).statusCode).toBe(401);
      const res = await app.inject({ url: '/api/v1/policy/promises', headers: bearer(await signInOwner(app, rt)) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ organisation: 'Smart Computers', defeated: 0 });
      const enquirer = body.relationships.find((r: { relationship: string }) => r.relationship === 'enquirer');
      expect(enquirer.categories[0]).toMatchObject({ category: 'contact-details', heldFor: ['enquiry-follow-up'], outcomes: [{ scenario: 'no-consent', status: 'deleted', when: '3 months after enquiry' }, { status: 'kept' }, { status: 'deleted' }] });
    });
  });
});
