/**
 * The seed organisations' retention promises, as their example declarations state them, each
 * shown by moving the clock and watching the right records go, stay, or come up for review.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSubject } from '../register/register.service.js';
import { type RecordInput } from '../register/record.prepare.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { noConditions, type RetentionConditions } from './conditions.js';
import { addLifeEvent } from './events.service.js';
import { placeHold, releaseHold } from './holds.service.js';
import { explainSubject } from './retention.explain.js';
import { listReviewsDue } from './reviews.service.js';
import { planRetention } from './retention.plan.js';
import { runRetention } from './retention.run.js';
import { decideReview } from './reviews.service.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
const dpo = actorWith('dpo');
// The privacy officer records people and events here: staff may not write categories they cannot
// read (call recordings), and their events wait for approval (events.service); see role-limits
// and event-approval tests for those.

function harness(kind: 'sqlite' | 'postgres', example: string) {
  const h = {
    rt: undefined as unknown as TestRuntime,
    async start() {
      h.rt = await createTestRuntime(kind, { policyFile: path.join(EXAMPLES, example) });
    },
    person: async (relationships: string[], records: RecordInput[]) =>
      (await createSubject(h.rt, dpo, { relationships: relationships.map((relationship) => ({ relationship })), records })).id,
    event: (subjectId: string, type: string, date: string, relationship?: string) => addLifeEvent(h.rt, dpo, { subjectId, type, date, ...(relationship ? { relationship } : {}) }),
    held: async (subjectId: string) =>
      (await h.rt.database.db.selectFrom('records').select('category').where('subject_id', '=', subjectId).orderBy('category').execute()).map((r) => r.category),
    erased: async (subjectId: string) => (await h.rt.database.db.selectFrom('subjects').select('erased_at').where('id', '=', subjectId).executeTakeFirstOrThrow()).erased_at !== null,
    /** Moves the clock to a day and runs retention as the scheduled job would. */
    async on(day: string, conditions?: RetentionConditions) {
      h.rt.clock.set(`${day}T02:00:00Z`);
      return runRetention(h.rt, dpo, undefined, conditions ? { conditions } : {});
    },
  };
  return h;
}

describe.each(dialects)('Smart Computers (examples/smart-computers.yaml) on %s', (kind) => {
  const h = harness(kind, 'smart-computers.yaml');
  beforeEach(() => h.start());
  afterEach(() => h.rt.close());

  it('customers: support users go when support ends, contract data at its end, contact details and communications 7 years after it', async () => {
    const a = await h.person(['customer'], [
      { category: 'contact-details', value: 'jo.bloggs@example.co.uk', purposes: ['customer-service'] },
      { category: 'communications', value: 'Email about the server repair', purposes: ['customer-communications'] },
      { category: 'transaction-details', value: 'Invoice 1042', purposes: ['transactions'] },
      { category: 'support-users', fields: { 'user-name': 'jbloggs (helpdesk)' }, purposes: ['support-service'] },
      { category: 'cloud-users', fields: { 'user-name': 'jbloggs@tenant' }, purposes: ['cloud-service'] },
      { category: 'service-phone-numbers', value: '01242 580654', purposes: ['connect-service'] },
    ]);
    await h.event(a, 'service-ended', '2026-06-30');
    await h.event(a, 'contract-ended', '2027-03-31');

    expect((await h.on('2026-06-29')).deleted).toBe(0);
    expect(await h.on('2026-06-30')).toMatchObject({ deleted: 1, rules: [{ rule: 'duration-of-support', records: 1 }] });
    expect(await h.held(a)).not.toContain('support-users');

    expect(await h.on('2027-03-31')).toMatchObject({ deleted: 3, rules: [{ rule: 'duration-of-contract', records: 3 }] });
    expect(await h.held(a)).toEqual(['communications', 'contact-details']);

    expect((await h.on('2034-03-30')).deleted).toBe(0);
    expect(await h.on('2034-03-31')).toMatchObject({ deleted: 2, subjectsErased: 1, rules: [{ rule: 'seven-years-after-contract', records: 2 }] });
    expect(await h.erased(a)).toBe(true);
  });

  it('enquirers: followed up for 3 months, then deleted unless they opted in to marketing', async () => {
    const optedIn = await h.person(['enquirer'], [{ category: 'contact-details', value: 'keen@example.com', purposes: ['enquiry-follow-up'] }]);
    const browsing = await h.person(['enquirer'], [{ category: 'contact-details', value: 'browsing@example.com', purposes: ['enquiry-follow-up'] }]);
    for (const s of [optedIn, browsing]) await h.event(s, 'enquiry', '2026-03-02');
    // The consent feature answers through this interface; here it says who opted in.
    const consent: RetentionConditions = { ...noConditions, subjectsWithMarketingConsent: async (_db, ids) => new Set(ids.filter((id) => id === optedIn)) };
    expect((await h.on('2026-06-01', consent)).deleted).toBe(0);
    expect(await h.on('2026-06-02', consent)).toMatchObject({ deleted: 1, kept: 1, subjectsErased: 1, rules: [{ rule: 'enquiry-three-months' }] });
    expect(await h.erased(browsing)).toBe(true);
    expect(await h.held(optedIn)).toEqual(['contact-details']);
    expect((await explainSubject(h.rt, dpo, optedIn, { conditions: consent })).records[0]!.reason).toMatch(/^kept: marketing-consent/);
  });

  it('prospective employees and their referees: 6 months after the recruitment process concluded', async () => {
    const candidate = await h.person(['candidate'], [
      { category: 'contact-details', value: 'applicant@example.com', purposes: ['recruitment'] },
      { category: 'candidate-file', value: 'CV and interview notes', purposes: ['recruitment'] },
    ]);
    const referee = await h.person(['referee'], [{ category: 'referee-details', value: 'Former manager, 01234 567890', purposes: ['referee-contact'] }]);
    expect((await explainSubject(h.rt, dpo, candidate)).records[0]!.status).toBe('waiting');
    for (const s of [candidate, referee]) await h.event(s, 'recruitment-concluded', '2026-04-30');
    expect((await h.on('2026-10-29')).deleted).toBe(0);
    expect(await h.on('2026-10-30')).toMatchObject({ deleted: 3, subjectsErased: 2, rules: [{ rule: 'candidate-six-months', records: 3, subjects: 2 }] });
  });

  it('contacts database: reviewed every 3 years; kept with a reason, or deleted', async () => {
    const active = await h.person(['third-party-contact'], [{ category: 'contact-details', value: 'site.manager@example.com', purposes: ['contacts-database'] }]);
    const stale = await h.person(['other-contact'], [{ category: 'contact-details', value: 'old.contact@example.com', purposes: ['employee-engagement-records'] }]);
    expect((await h.on('2029-03-01')).deleted).toBe(0);
    h.rt.clock.set('2029-03-01T12:00:00Z');
    expect((await listReviewsDue(h.rt, dpo)).due).toBe(0);
    h.rt.clock.set('2029-03-02T12:00:00Z');
    expect((await listReviewsDue(h.rt, dpo)).list.map((r) => [r.subjectId, r.rule])).toEqual([
      [active, 'contacts-review'],
      [stale, 'contacts-review'],
    ]);
    await decideReview(h.rt, dpo, { subjectId: active, rule: 'contacts-review', decision: 'keep', reason: 'Works on a live customer site' });
    await decideReview(h.rt, dpo, { subjectId: stale, rule: 'contacts-review', decision: 'delete', reason: 'No contact since 2026' });
    expect(await h.erased(stale)).toBe(true);
    expect((await listReviewsDue(h.rt, dpo)).due).toBe(0);
    // Retention never deletes reviewed data by itself: only a reviewer does.
    expect((await h.on('2032-03-01')).deleted).toBe(0);
    h.rt.clock.set('2032-03-02T12:00:00Z');
    expect((await listReviewsDue(h.rt, dpo)).list.map((r) => r.subjectId)).toEqual([active]);
  });

  it('suppliers 6 years after the contract; marketing for 3 years from consent', async () => {
    const supplier = await h.person(['supplier'], [{ category: 'contact-details', value: 'accounts@supplier.example', purposes: ['supplier-management'] }]);
    const subscriber = await h.person(['customer'], [{ category: 'contact-details', value: 'news@example.org', purposes: ['marketing'] }]);
    await h.event(supplier, 'contract-ended', '2026-09-30');
    await h.event(subscriber, 'consent-given', '2026-03-02');
    const plan = await planRetention(h.rt, dpo, { asOf: '2032-09-30' });
    expect(plan.rules.filter((r) => r.due > 0).map((r) => [r.rule, r.due])).toEqual([
      ['marketing-consent', 1],
      ['six-years-after-contract', 1],
    ]);
    expect(await h.on('2029-03-02')).toMatchObject({ deleted: 1, rules: [{ rule: 'marketing-consent' }] });
    expect((await h.on('2032-09-29')).deleted).toBe(0);
    expect(await h.on('2032-09-30')).toMatchObject({ deleted: 1, rules: [{ rule: 'six-years-after-contract' }] });
  });

  it('a customer record with no purpose named is held for the default purposes (7 years after the contract); one collected for a quotation needs a decision', async () => {
    const s = await h.person(['customer'], [
      { category: 'contact-details', value: 'no.purpose@example.com' },
      { category: 'transaction-details', value: 'Invoice 2001' },
    ]);
    const quoted = await h.person(['customer'], [{ category: 'contact-details', value: 'quoted@example.com', purposes: ['quotations'] }]);
    for (const x of [s, quoted]) await h.event(x, 'contract-ended', '2026-03-01');
    const held = (await explainSubject(h.rt, dpo, s)).records;
    expect(held.map((r) => [r.category, r.status, r.end])).toEqual(
      expect.arrayContaining([
        ['contact-details', 'scheduled', '2033-03-01'],
        ['transaction-details', 'due', '2026-03-01'],
      ]),
    );
    const why = (await explainSubject(h.rt, dpo, quoted)).records[0]!;
    expect(why.status).toBe('undecided');
    expect(why.reason).toMatch(/needs a decision: .*\(rule as-long-as-necessary\): the rule has criteria only/);
    expect((await h.on('2040-01-01')).deleted).toBe(2);
    expect(await h.held(quoted)).toEqual(['contact-details']);
  });
});

describe.each(dialects)('Kestronics (examples/kestronics.yaml) on %s', (kind) => {
  const h = harness(kind, 'kestronics.yaml');
  beforeEach(() => h.start());
  afterEach(() => h.rt.close());

  it('6 years after the account has been closed (29 Feb → 28 Feb), then deleted, or anonymised where kept for statistics', async () => {
    const closed = await h.person(['customer'], [
      { category: 'identity-and-contact', value: 'sam@example.co.uk', purposes: ['provide-services', 'statistics-and-profiling'] },
      { category: 'account-details', value: 'K-000417', purposes: ['provide-services', 'card-payments'] },
      { category: 'communications', value: 'Call about a scanner repair', purposes: ['call-monitoring'] },
    ]);
    const open = await h.person(['customer'], [{ category: 'account-details', value: 'K-000418', purposes: ['provide-services'] }]);
    await h.event(closed, 'account-closed', '2020-02-29');
    h.rt.clock.set('2026-02-27T12:00:00Z');
    expect((await planRetention(h.rt, dpo)).totals.due).toBe(0);
    const plan = await planRetention(h.rt, dpo, { asOf: '2026-02-28' });
    expect(plan.totals).toMatchObject({ due: 3, delete: 2, anonymise: 1, subjectsErased: 1, waiting: 1 });
    expect(plan.items.find((i) => i.category === 'identity-and-contact')).toMatchObject({ action: 'anonymise', rule: 'six-years-then-anonymise', end: '2026-02-28' });

    const r = await h.on('2026-02-28');
    expect(r).toMatchObject({ deleted: 2, anonymised: 1, statistics: 1, subjectsErased: 1 });
    expect(await h.erased(closed)).toBe(true);
    const stats = await h.rt.database.db.selectFrom('retention_statistics').selectAll().execute();
    // Only the declared statistical fields survive, unlinked from the person: no identifiers.
    expect(stats.map((s) => [s.rule, s.record_count, JSON.parse(s.fields)])).toEqual([
      ['six-years-then-anonymise', 1, { relationships: ['customer'], categories: { 'identity-and-contact': 1 }, 'collected-year': expect.stringMatching(/^\d{4}$/) }],
    ]);
    expect(JSON.stringify(stats)).not.toContain('sam@example');
    expect(await h.held(open)).toEqual(['account-details']);
    expect((await explainSubject(h.rt, dpo, open)).records[0]!.reason).toBe('kept: provide-services (rule six-years-after-account): waiting for account-closed');
  });

  it('keeps data longer for legal reasons under a legal hold, and deletes it once released', async () => {
    const s = await h.person(['business-contact'], [{ category: 'identity-and-contact', value: 'buyer@client.example', purposes: ['provide-services', 'legal-action'] }]);
    await h.event(s, 'account-closed', '2019-05-01');
    const hold = await placeHold(h.rt, dpo, { subjectId: s, reason: 'Debt claim K-2025-3', reviewOn: '2026-09-01' });
    expect(await h.on('2026-03-02')).toMatchObject({ deleted: 0, held: 1 });
    await releaseHold(h.rt, dpo, hold.id);
    expect(await h.on('2026-03-03')).toMatchObject({ deleted: 1, subjectsErased: 1 });
  });

  it('data held as a processor for clients: 6 years after the account closed', async () => {
    const s = await h.person(['clients-customer'], [{ category: 'account-details', value: 'C-991', source: 'clients' }]);
    await h.event(s, 'account-closed', '2020-01-15');
    expect((await h.on('2026-01-14')).deleted).toBe(0);
    // Held by default for every purpose using it, statistics among them: the tie goes to anonymise.
    expect(await h.on('2026-01-15')).toMatchObject({ deleted: 0, anonymised: 1, subjectsErased: 1, rules: [{ rule: 'six-years-then-anonymise', action: 'anonymise' }] });
  });
});

describe.each(dialects)('Kynex (examples/kynex.yaml) on %s', (kind) => {
  const h = harness(kind, 'kynex.yaml');
  beforeEach(() => h.start());
  afterEach(() => h.rt.close());

  it('newsletter addresses go when the person unsubscribes', async () => {
    const s = await h.person(['newsletter-subscriber'], [{ category: 'newsletter-address', value: 'mc-subscriber-123', purposes: ['newsletter'] }]);
    expect((await h.on('2026-03-02')).deleted).toBe(0);
    await h.event(s, 'consent-withdrawn', '2026-03-10');
    expect(await h.on('2026-03-10')).toMatchObject({ deleted: 1, subjectsErased: 1 });
  });

  it('call recordings held for business customers: deleted once handed to the client when the declaration says so', async () => {
    const s = await h.person(['business-customer-caller'], [{ category: 'client-call-recordings', value: 'recording ref 77', source: 'business-customers' }]);
    await h.event(s, 'handed-to-client', '2026-03-02', 'business-customer-caller');
    const rule = h.rt.policy.policy.retention.find((r) => r.id === 'client-recordings')!;
    if (rule.until === 'handed-to-client') {
      expect(await h.on('2026-03-02')).toMatchObject({ deleted: 1, rules: [{ rule: 'client-recordings' }] });
    } else {
      // The example states the promise as criteria only (no until: handed-to-client yet): Steward
      // cannot act on it, and says so.
      expect((await explainSubject(h.rt, dpo, s)).records[0]!.status).toBe('undecided');
      expect((await h.on('2026-03-02')).deleted).toBe(0);
    }
  });
});
