import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { loadPolicy } from '../policy/policy.loader.js';
import { createSubject, setRestriction } from '../register/register.service.js';
import { findSubjects } from '../register/register.read.js';
import { type RecordInput } from '../register/record.prepare.js';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { noConditions, type RetentionConditions } from './conditions.js';
import { addLifeEvent, listLifeEvents, removeLifeEvent } from './events.service.js';
import { listHolds, placeHold, releaseHold } from './holds.service.js';
import { explainSubject } from './retention.explain.js';
import { listReviewsDue } from './reviews.service.js';
import { planRetention } from './retention.plan.js';
import { runRetention } from './retention.run.js';
import { decideReview } from './reviews.service.js';

const RETENTION_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/retention/policy.yaml');

const dpo = actorWith('dpo');
const staff = actorWith('staff');
const auditor = actorWith('auditor');

describe.each(dialects)('retention on %s', (kind) => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime(kind, { policyFile: RETENTION_POLICY });
  });
  afterEach(async () => rt.close());

  const person = async (relationships: string[], records: RecordInput[]) =>
    (await createSubject(rt, staff, { relationships: relationships.map((relationship) => ({ relationship })), records })).id;
  const event = (subjectId: string, type: string, date: string, relationship?: string) => addLifeEvent(rt, dpo, { subjectId, type, date, ...(relationship ? { relationship } : {}) });
  const categoriesOf = async (subjectId: string) =>
    (await rt.database.db.selectFrom('records').select('category').where('subject_id', '=', subjectId).orderBy('category').execute()).map((r) => r.category);
  const subjectRow = (id: string) => rt.database.db.selectFrom('subjects').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const keyOf = (id: string) => rt.database.db.selectFrom('subject_keys').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow();
  const run = (conditions?: RetentionConditions) => runRetention(rt, dpo, undefined, { pageSize: 3, ...(conditions ? { conditions } : {}) });
  const audit = async (action: string) => rt.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();

  it('keeps a record until the latest of its purposes ends, and says which rule decided and why', async () => {
    const s = await person(['customer'], [
      { category: 'name', value: 'Ada Lovelace', purposes: ['service', 'contract-records'] },
      { category: 'call-notes', value: 'asked about invoices', purposes: ['service'] },
    ]);
    await event(s, 'account-closed', '2026-01-10');
    await event(s, 'contract-ended', '2026-03-01');

    const why = await explainSubject(rt, dpo, s);
    const name = why.records.find((r) => r.category === 'name')!;
    expect(name).toMatchObject({ status: 'scheduled', end: '2033-03-01', action: 'delete', rule: 'seven-years-after-contract', purpose: 'contract-records' });
    expect(name.reason).toContain('the latest of 2 purposes');
    expect(name.reason).toContain('service (rule six-years-after-account): deleted on 2032-01-10');
    expect(name.purposes.map((p) => p.kind === 'ends' && p.end)).toEqual(['2032-01-10', '2033-03-01']);
    expect(why.records.find((r) => r.category === 'call-notes')).toMatchObject({ status: 'scheduled', end: '2032-01-10', rule: 'six-years-after-account' });

    // The plan sees the future without changing anything.
    const future = await planRetention(rt, auditor, { asOf: '2032-06-01' });
    expect(future.totals).toMatchObject({ records: 2, due: 1, delete: 1, scheduled: 1, subjectsErased: 0 });
    expect(future.items).toEqual([expect.objectContaining({ recordId: expect.any(String), category: 'call-notes', status: 'due', rule: 'six-years-after-account', end: '2032-01-10' })]);
    expect(future.rules.find((r) => r.rule === 'six-years-after-account')).toMatchObject({ due: 1, dueSubjects: 1, action: 'delete' });
    expect(await categoriesOf(s)).toEqual(['call-notes', 'name']);

    rt.clock.set('2032-01-09T12:00:00Z');
    expect((await run()).deleted).toBe(0);
    rt.clock.set('2032-01-10T01:00:00Z');
    const first = await run();
    expect(first).toMatchObject({ acquired: true, complete: true, deleted: 1, subjectsErased: 0 });
    expect(await categoriesOf(s)).toEqual(['name']);

    rt.clock.set('2033-03-01T00:00:00Z');
    const second = await run();
    expect(second).toMatchObject({ deleted: 1, subjectsErased: 1, rules: [{ rule: 'seven-years-after-contract', action: 'delete', records: 1, subjects: 1 }] });
    expect(await categoriesOf(s)).toEqual([]);
    expect((await subjectRow(s)).erased_at).toBe('2033-03-01T00:00:00.000Z');
    expect(await keyOf(s)).toMatchObject({ wrapped_key: null, destroyed_at: '2033-03-01T00:00:00.000Z' });
    expect(await listLifeEvents(rt, dpo, s)).toEqual([]);
  });

  it('waits for the trigger event, counts back-dated events from the day they happened, and undoes an end reopened later', async () => {
    const s = await person(['customer'], [{ category: 'name', value: 'Charles Babbage', purposes: ['service'] }]);
    const o = await person(['customer'], [{ category: 'orders', value: 'order 1', purposes: ['orders'] }]);
    let plan = await planRetention(rt, dpo);
    expect(plan.rules.find((r) => r.rule === 'six-years-after-account')!.waiting).toEqual([{ event: 'account-closed', records: 1 }]);
    expect((await explainSubject(rt, dpo, s)).records[0]!.reason).toBe('kept: service (rule six-years-after-account): waiting for account-closed');

    // Learned today that the account closed in 2019: due since 30 June 2025.
    await event(s, 'account-closed', '2019-06-30');
    await event(o, 'contract-ended', '2025-12-31');
    await event(o, 'contract-started', '2026-01-15');
    plan = await planRetention(rt, dpo);
    expect(plan.items.map((i) => [i.subjectId, i.end])).toEqual([[s, '2025-06-30']]);
    expect((await explainSubject(rt, dpo, o)).records[0]).toMatchObject({ status: 'waiting', reason: 'kept: orders (rule during-contract): waiting for contract-ended' });
    expect(await run()).toMatchObject({ deleted: 1, subjectsErased: 1 });
    expect(await categoriesOf(o)).toEqual(['orders']);

    await event(o, 'contract-ended', '2026-02-28');
    expect(await run(noConditions)).toMatchObject({ deleted: 1, subjectsErased: 1 });
  });

  it('deletes only what the customer rule covers from someone who is also a newsletter subscriber', async () => {
    const s = await person(['customer', 'newsletter-subscriber'], [
      { category: 'name', value: 'Mary Somerville', purposes: ['service'] },
      { category: 'email-address', value: 'mary@example.org', purposes: ['service'] },
      { category: 'email-address', value: 'mary.news@example.org', purposes: ['newsletter'] },
    ]);
    await event(s, 'account-closed', '2019-01-01', 'customer');
    expect(await run()).toMatchObject({ deleted: 2, subjectsErased: 0 });
    expect(await categoriesOf(s)).toEqual(['email-address']);
    expect((await findSubjects(rt, dpo, { email: 'mary.news@example.org' })).map((x) => x.id)).toEqual([s]);
    expect(await findSubjects(rt, dpo, { email: 'mary@example.org' })).toEqual([]);
    expect((await subjectRow(s)).erased_at).toBeNull();

    await event(s, 'consent-withdrawn', '2026-03-01', 'newsletter-subscriber');
    expect(await run()).toMatchObject({ deleted: 1, subjectsErased: 1, rules: [{ rule: 'newsletter', records: 1 }] });
    expect(await findSubjects(rt, dpo, { email: 'mary.news@example.org' })).toEqual([]);
  });

  it('scopes an event to one relationship: closing the customer account does not end a newsletter subscription', async () => {
    const s = await person(['customer', 'newsletter-subscriber'], [{ category: 'email-address', value: 'x@example.org', purposes: ['newsletter'] }]);
    await event(s, 'consent-withdrawn', '2026-01-01', 'customer');
    expect((await explainSubject(rt, dpo, s)).records[0]!.status).toBe('waiting');
    await event(s, 'consent-withdrawn', '2026-01-01');
    expect((await explainSubject(rt, dpo, s)).records[0]!.status).toBe('due');
    const bad = await caught(event(s, 'consent-withdrawn', '2026-01-01', 'prospect'));
    expect(bad.message).toMatch(/has no "prospect" relationship/);
  });

  it('anonymises: keeps only the declared statistical fields, unlinked, and destroys the key when the last record goes', async () => {
    const s = await person(['customer'], [
      { category: 'name', value: 'Grace Hopper', purposes: ['service'], collectedAt: '2018-05-01' },
      { category: 'region', value: 'North West', purposes: ['service', 'statistics'], collectedAt: '2018-05-01' },
      { category: 'email-address', value: 'grace@example.org', purposes: ['service', 'statistics'], collectedAt: '2019-02-01' },
    ]);
    await event(s, 'account-closed', '2019-12-31');
    const plan = await planRetention(rt, dpo);
    expect(plan.totals).toMatchObject({ due: 3, delete: 1, anonymise: 2, subjectsErased: 1 });
    expect(plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/"email-address" is an identifier/), expect.stringMatching(/"shoe-size" is neither/)]));
    const r = await run();
    expect(r).toMatchObject({ deleted: 1, anonymised: 2, statistics: 1, subjectsErased: 1 });
    const stats = await rt.database.db.selectFrom('retention_statistics').selectAll().execute();
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ rule: 'statistics', anonymised_in: '2026-03', record_count: 2 });
    expect(JSON.parse(stats[0]!.fields)).toEqual({ region: 'North West', relationships: ['customer'], categories: { region: 1, 'email-address': 1 }, sources: ['directly'], 'collected-year': '2018' });
    expect(JSON.stringify(stats)).not.toContain(s);
    expect(JSON.stringify(stats)).not.toContain('grace');
    expect(await keyOf(s)).toMatchObject({ wrapped_key: null });
    const anon = await audit('retention.anonymise');
    expect(JSON.parse(anon[0]!.details)).toMatchObject({ rule: 'statistics', records: 2, subjects: 1, categories: { region: 1, 'email-address': 1 } });
    expect(anon[0]!.subject_id).toBeNull();
  });

  it('never deletes held data; lists holds due for review; a release or an expiry lets retention run', async () => {
    const a = await person(['customer'], [
      { category: 'name', value: 'Held Person', purposes: ['service'] },
      { category: 'call-notes', value: 'complaint', purposes: ['service'] },
    ]);
    const b = await person(['customer'], [{ category: 'call-notes', value: 'other', purposes: ['service'] }]);
    const c = await person(['customer', 'newsletter-subscriber'], [
      { category: 'name', value: 'Customer Three', purposes: ['service'] },
      { category: 'email-address', value: 'three@example.org', purposes: ['newsletter'] },
    ]);
    for (const s of [a, b, c]) await event(s, 'account-closed', '2019-01-01');
    await event(c, 'consent-withdrawn', '2026-01-01');
    const onA = await placeHold(rt, dpo, { subjectId: a, reason: 'Claim 2026/17', reviewOn: '2026-06-01' });
    const notes = await placeHold(rt, dpo, { category: 'call-notes', reason: 'Regulator enquiry R-5', reviewOn: '2026-04-01', expiresOn: '2026-05-01' });
    const customers = await placeHold(rt, dpo, { relationship: 'customer', subjectId: c, reason: 'Dispute D-9', reviewOn: '2026-04-01' });
    expect((await caught(placeHold(rt, staff, { subjectId: a, reason: 'x', reviewOn: '2026-06-01' }))).code).toBe('FORBIDDEN');

    let plan = await planRetention(rt, dpo);
    expect(plan.totals).toMatchObject({ due: 1, held: 4 });
    expect(plan.items.find((i) => i.status === 'due')).toMatchObject({ subjectId: c, category: 'email-address' });
    expect(plan.holds.active).toBe(3);
    expect(plan.holds.dueForReview).toEqual([]);
    let r = await run();
    expect(r).toMatchObject({ deleted: 1, held: 4, subjectsErased: 0 });
    expect(await categoriesOf(a)).toEqual(['call-notes', 'name']);
    expect(await categoriesOf(b)).toEqual(['call-notes']);
    expect(await categoriesOf(c)).toEqual(['name']);

    rt.clock.set('2026-04-02T09:00:00Z');
    plan = await planRetention(rt, dpo);
    expect(plan.holds.dueForReview.map((h) => [h.id, h.holding])).toEqual([
      [notes.id, 2],
      [customers.id, 1],
    ]);

    // The regulator's hold lapses on 1 May: B's notes go; A's stay under A's own hold.
    rt.clock.set('2026-05-01T00:00:00Z');
    plan = await planRetention(rt, dpo);
    expect(plan.holds.lapsed.map((h) => h.id)).toEqual([notes.id]);
    r = await run();
    expect(r).toMatchObject({ deleted: 1, subjectsErased: 1 });
    expect(await categoriesOf(a)).toEqual(['call-notes', 'name']);

    await releaseHold(rt, dpo, onA.id, 'claim settled');
    await releaseHold(rt, dpo, customers.id);
    expect((await caught(releaseHold(rt, dpo, onA.id))).code).toBe('CONFLICT');
    expect((await listHolds(rt, auditor)).map((h) => h.id)).toEqual([notes.id]);
    expect(await run()).toMatchObject({ deleted: 3, subjectsErased: 2, held: 0 });
    const placed = await audit('retention.hold.place');
    expect(placed).toHaveLength(3);
    for (const e of placed) expect(e.details).not.toMatch(/Claim|Regulator|Dispute/);
  });

  it('keeps a restricted subject’s due data (Art 18: stored, not processed)', async () => {
    const s = await person(['customer'], [{ category: 'name', value: 'Restricted', purposes: ['service'] }]);
    await event(s, 'account-closed', '2019-01-01');
    await setRestriction(rt, dpo, s, true, 'accuracy contested');
    expect(await run()).toMatchObject({ deleted: 0, restricted: 1 });
    expect((await explainSubject(rt, dpo, s)).records[0]!.reason).toMatch(/^kept: processing is restricted \(Art 18\)/);
    await setRestriction(rt, dpo, s, false, 'resolved');
    expect(await run()).toMatchObject({ deleted: 1 });
  });

  it('deletes enquiries 3 months on (31 Nov → end of February) unless the person opted in to marketing', async () => {
    const mk = (n: string) => person(['prospect'], [{ category: 'email-address', value: `${n}@example.org`, purposes: ['enquiries'] }]);
    const optedIn = await mk('opted-in');
    const viaEvent = await mk('via-event');
    const plain = await mk('plain');
    for (const s of [optedIn, viaEvent, plain]) await event(s, 'enquiry', '2025-11-30');
    await event(viaEvent, 'consent-given', '2025-12-01');
    expect((await planRetention(rt, dpo, { asOf: '2026-02-27' })).totals.due).toBe(0);
    const marketing: RetentionConditions = {
      subjectsWithMarketingConsent: async (_db, ids, at) => {
        expect(at.toISOString()).toBe('2026-03-02T10:00:00.000Z');
        return new Set(ids.filter((id) => id === optedIn));
      },
      subjectsWithOpenContract: async () => new Set(),
    };
    const plan = await planRetention(rt, dpo, { conditions: marketing });
    expect(plan.totals).toMatchObject({ due: 2, kept: 1 });
    expect(plan.items.find((i) => i.subjectId === optedIn)).toMatchObject({ status: 'kept', end: '2026-02-28' });
    expect(plan.items.find((i) => i.subjectId === optedIn)!.reason).toMatch(/^kept: marketing-consent/);
    // The default answers from life events: a consent-given with no withdrawal keeps the data.
    expect(await run()).toMatchObject({ deleted: 2, kept: 1 });
    expect(await categoriesOf(viaEvent)).toEqual(['email-address']);
    expect(await categoriesOf(optedIn)).toEqual([]);
    expect(await categoriesOf(plain)).toEqual([]);
  });

  it('keeps data while an open-contract condition holds', async () => {
    const s = await person(['customer'], [{ category: 'orders', value: 'order 7', purposes: ['orders'] }]);
    await event(s, 'contract-ended', '2026-01-31');
    const open: RetentionConditions = { ...noConditions, subjectsWithOpenContract: async (_db, ids) => new Set(ids) };
    expect(await run(open)).toMatchObject({ deleted: 0, kept: 1 });
    expect(await run()).toMatchObject({ deleted: 1 });
  });

  it('deletes call recordings 3 months after they were made, and client recordings once handed over', async () => {
    const caller = await person(['customer'], [{ category: 'call-recording', value: 'rec-1', purposes: ['call-quality'], collectedAt: '2025-12-01T09:00:00Z' }]);
    const clientCaller = await person(['client-caller'], [{ category: 'call-recording', value: 'rec-2', source: 'client' }]);
    expect(await run()).toMatchObject({ deleted: 1 });
    expect(await categoriesOf(caller)).toEqual([]);
    expect(await categoriesOf(clientCaller)).toEqual(['call-recording']);
    await event(clientCaller, 'handed-to-client', '2026-03-02', 'client-caller');
    expect(await run()).toMatchObject({ deleted: 1 });
  });

  it('puts subjects up for review every 3 years; a reviewer keeps (next review) or deletes only what the rule governs', async () => {
    const keep = await person(['contact'], [{ category: 'name', value: 'Reviewed Contact', purposes: ['contacts'] }]);
    const both = await person(['prospect'], [
      { category: 'email-address', value: 'both@example.org', purposes: ['contacts', 'enquiries'] },
      { category: 'name', value: 'Both', purposes: ['contacts'] },
    ]);
    await event(both, 'enquiry', '2026-03-01');
    expect((await explainSubject(rt, dpo, keep)).records[0]).toMatchObject({ status: 'review' });
    expect((await listReviewsDue(rt, dpo)).due).toBe(0);
    const plan = await planRetention(rt, dpo, { asOf: '2029-03-02' });
    expect(plan.reviews.due).toBe(2);
    expect(plan.reviews.list.map((r) => [r.subjectId, r.rule, r.dueOn])).toEqual([
      [keep, 'contacts-review', '2029-03-02'],
      [both, 'contacts-review', '2029-03-02'],
    ]);

    rt.clock.set('2029-03-05T10:00:00Z');
    const due = await listReviewsDue(rt, dpo);
    expect(due.list.map((r) => r.subjectId)).toEqual([keep, both]);
    const kept = await decideReview(rt, dpo, { subjectId: keep, rule: 'contacts-review', decision: 'keep', reason: 'Active supplier contact' });
    expect(kept).toMatchObject({ decision: 'keep', nextReviewOn: '2032-03-05', deleted: 0 });
    expect((await listReviewsDue(rt, dpo)).list.map((r) => r.subjectId)).toEqual([both]);
    expect((await caught(decideReview(rt, dpo, { subjectId: keep, rule: 'enquiry', decision: 'keep', reason: 'x' }))).message).toMatch(/no review_every/);
    expect((await caught(decideReview(rt, staff, { subjectId: keep, rule: 'contacts-review', decision: 'keep', reason: 'x' }))).code).toBe('FORBIDDEN');
    expect((await caught(decideReview(rt, dpo, { subjectId: keep, rule: 'contacts-review', decision: 'keep', reason: 'x', nextReviewOn: '2029-01-01' }))).code).toBe('VALIDATION_FAILED');

    const hold = await placeHold(rt, dpo, { subjectId: both, reason: 'Case 1', reviewOn: '2029-12-01' });
    expect((await caught(decideReview(rt, dpo, { subjectId: both, rule: 'contacts-review', decision: 'delete', reason: 'No longer relevant' }))).code).toBe('CONFLICT');
    await releaseHold(rt, dpo, hold.id);
    const deleted = await decideReview(rt, dpo, { subjectId: both, rule: 'contacts-review', decision: 'delete', reason: 'No longer relevant' });
    expect(deleted).toMatchObject({ deleted: 1, narrowed: 1, keyDestroyed: false });
    const left = await rt.database.db.selectFrom('records').select(['category', 'purposes']).where('subject_id', '=', both).execute();
    expect(left.map((r) => [r.category, JSON.parse(r.purposes).map((p: { purpose: string }) => p.purpose)])).toEqual([['email-address', ['enquiries']]]);

    rt.clock.set('2032-03-05T10:00:00Z');
    expect((await listReviewsDue(rt, dpo)).list.map((r) => r.subjectId)).toEqual([keep]);
    expect(await decideReview(rt, dpo, { subjectId: keep, rule: 'contacts-review', decision: 'delete', reason: 'Left the industry' })).toMatchObject({ deleted: 1, keyDestroyed: true });
    expect((await subjectRow(keep)).erased_at).not.toBeNull();
    const trail = (await audit('retention.review')).map((e) => e.details).join(' ');
    expect(trail).not.toMatch(/supplier|relevant|industry/);
  });

  it('lists criteria-only data as needing a decision and never deletes it by itself', async () => {
    const s = await person(['prospect'], [{ category: 'name', value: 'Quoted', purposes: ['quotes'] }]);
    const plan = await planRetention(rt, dpo, { asOf: '2099-01-01' });
    expect(plan.rules.find((r) => r.rule === 'as-needed')).toMatchObject({ undecided: 1, due: 0, action: null });
    expect((await explainSubject(rt, dpo, s)).records[0]!.reason).toBe('needs a decision: quotes (rule as-needed): the rule has criteria only, no automatic end');
  });

  it('is idempotent, pages through the register in transactions, audits per rule and subject with no personal data', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const s = await person(['customer'], [
        { category: 'name', value: `Person Number${i}`, purposes: ['service'] },
        { category: 'email-address', value: `p${i}@example.org`, purposes: ['service'] },
      ]);
      if (i % 2 === 0) await event(s, 'account-closed', '2018-02-28');
      ids.push(s);
    }
    const r = await run();
    // Only the 4 people with an event can have anything due: 2 pages of 3, then the closing summary.
    expect(r).toMatchObject({ acquired: true, complete: true, deleted: 8, subjectsErased: 4, slices: 3 });
    expect(await run()).toMatchObject({ deleted: 0, subjectsErased: 0 });
    const perRule = await audit('retention.delete');
    expect(perRule.reduce((n, e) => n + (JSON.parse(e.details) as { records: number }).records, 0)).toBe(8);
    const perSubject = await audit('retention.subject');
    expect(perSubject.map((e) => e.subject_id).sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
    expect(JSON.parse(perSubject[0]!.details)).toMatchObject({ deleted: 2, anonymised: 0, rules: ['six-years-after-account'], keyDestroyed: true });
    expect(await audit('retention.run')).toHaveLength(2);
    const all = JSON.stringify(await rt.database.db.selectFrom('audit_log').select(['details']).execute());
    expect(all).not.toMatch(/Number\d|@example\.org/);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  });

  it('never runs as of a future day, and is for the privacy roles only', async () => {
    expect((await caught(runRetention(rt, dpo, '2026-03-03'))).message).toMatch(/in the future/);
    expect((await caught(runRetention(rt, staff))).code).toBe('FORBIDDEN');
    expect((await caught(planRetention(rt, staff))).code).toBe('FORBIDDEN');
    expect((await caught(planRetention(rt, dpo, { asOf: '2026-02-30' }))).code).toBe('VALIDATION_FAILED');
    await expect(runRetention(rt, dpo, '2026-03-01')).resolves.toMatchObject({ asOf: '2026-03-01' });
  });

  it('shows what a changed declaration would do before it applies, and recomputes once it does', async () => {
    const s = await person(['customer'], [{ category: 'name', value: 'Changing Rules', purposes: ['service'] }]);
    const t = await person(['customer'], [{ category: 'name', value: 'Unaffected', purposes: ['contract-records'] }]);
    await event(s, 'account-closed', '2023-01-01');
    await event(t, 'contract-ended', '2023-01-01');
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-retention-'));
    try {
      const changedFile = path.join(dir, 'changed.yaml');
      writeFileSync(changedFile, readFileSync(RETENTION_POLICY, 'utf8').replace('    duration: 6 years\n    trigger: account-closed\n  - id: seven', '    duration: 2 years\n    trigger: account-closed\n  - id: seven'));
      const changed = await loadPolicy(changedFile);
      const plan = await planRetention(rt, dpo, { compare: changed });
      expect(plan.totals.due).toBe(0);
      expect(plan.compare).toMatchObject({ becomeDue: 1, noLongerDue: 0, endsEarlier: 1, endsLater: 0, totals: { due: 1 } });
      expect(plan.compare!.changes).toEqual([{ from: { status: 'scheduled', rule: 'six-years-after-account' }, to: { status: 'due', rule: 'six-years-after-account' }, records: 1 }]);
      expect(plan.compare!.items).toEqual([expect.objectContaining({ subjectId: s, from: expect.objectContaining({ end: '2029-01-01' }), to: expect.objectContaining({ end: '2025-01-01' }) })]);
      expect(await categoriesOf(s)).toEqual(['name']);
      rt.policy = changed;
      expect((await planRetention(rt, dpo)).totals.due).toBe(1);
      expect(await run()).toMatchObject({ deleted: 1 });
      expect(await categoriesOf(t)).toEqual(['name']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records, lists and withdraws life events with clear errors for bad input', async () => {
    const s = await person(['customer'], [{ category: 'name', value: 'Evented', purposes: ['service'] }]);
    const e = await event(s, 'account-closed', '2026-01-05T23:30:00-02:00');
    expect(e).toMatchObject({ type: 'account-closed', date: '2026-01-06', relationship: null, recordedBy: dpo.id, origin: 'api' });
    expect((await caught(event(s, 'account-exploded', '2026-01-01'))).message).toMatch(/is not an event type/);
    expect((await caught(event(s, 'collection', '2026-01-01'))).message).toMatch(/is not an event type/);
    expect((await caught(event(s, 'account-closed', '2026-02-30'))).message).toMatch(/date: is not a date/);
    expect((await caught(event(s, 'account-closed', '1066-10-14'))).message).toMatch(/between 1900-01-01/);
    expect((await caught(event(s, 'account-closed', '2026-01-01', 'alien'))).message).toMatch(/not a relationship in the declaration/);
    expect((await caught(event('0190a000-0000-7000-8000-000000000000', 'account-closed', '2026-01-01'))).code).toBe('NOT_FOUND');
    expect((await caught(removeLifeEvent(rt, staff, e.id))).code).toBe('FORBIDDEN');
    await removeLifeEvent(rt, dpo, e.id);
    expect(await listLifeEvents(rt, auditor, s)).toEqual([]);
    expect((await caught(removeLifeEvent(rt, dpo, e.id))).code).toBe('NOT_FOUND');
  });

  it('runs once when two runs race (job lock), whichever gets the lock', async () => {
    for (let i = 0; i < 10; i++) {
      const s = await person(['customer'], [{ category: 'name', value: `Racer ${i}`, purposes: ['service'] }]);
      await event(s, 'account-closed', '2010-01-01');
    }
    const [x, y] = await Promise.all([runRetention(rt, dpo, undefined, { pageSize: 2 }), runRetention(rt, dpo, undefined, { pageSize: 2 })]);
    expect(x.deleted + y.deleted).toBe(10);
    expect(x.subjectsErased + y.subjectsErased).toBe(10);
    const perSubject = await audit('retention.subject');
    expect(new Set(perSubject.map((e) => e.subject_id)).size).toBe(10);
    expect(perSubject).toHaveLength(10);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  });
});
