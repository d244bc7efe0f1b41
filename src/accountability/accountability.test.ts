/**
 * The disclosure log, Art 19 notices from it, and review reminders that go once across servers;
 * on every database.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import type { Mail, Mailer } from '../mail/mailer.js';
import { createSubject } from '../register/register.service.js';
import { fulfilRequest } from '../requests/requests.fulfil.js';
import { downloadPack } from '../requests/requests.pack-links.js';
import { unzipFiles } from '../requests/requests.zip.js';
import { confirmMatch, matchRequest, openRequest, verifyRequest } from '../requests/requests.service.js';
import { buildApp } from '../server/app.js';
import { recordDisclosure, subjectDisclosures } from './disclosures.service.js';
import { reviewsDue, sendReviewReminders } from './reviews.service.js';
import { bearer, signInOwner } from '../../test/support/factories.js';

const REQUESTS_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const IT_SUPPORT = path.resolve(import.meta.dirname, '../../test/fixtures/accountability/it-support.yaml');
const dpo = actorWith('dpo');
const staff = actorWith('staff');

function countingMailer(into: Mail[]): Mailer {
  return {
    kind: 'outbox',
    send: async (m) => {
      into.push(m);
      // A real send takes time: let the other server's run interleave.
      await new Promise((r) => setTimeout(r, 5));
      return { messageId: `<${into.length}@test>`, via: 'test' };
    },
    close: () => undefined,
  };
}

describe.each(dialects)('the disclosure log on %s', (kind) => {
  let rt: TestRuntime;
  let n = 0;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: REQUESTS_POLICY });
    rt.clock.set('2026-03-02T10:00:00Z');
  });
  afterAll(async () => rt?.close());

  async function customer() {
    n++;
    const email = `discloser${n}@example.com`;
    const s = await createSubject(rt, dpo, {
      relationships: [{ relationship: 'customer' }],
      records: [
        { category: 'name', value: `Discloser ${n}` },
        { category: 'email-address', value: email },
        { category: 'phone', value: '+447700900456' },
        { category: 'orders', value: 'Order 7: printer' },
      ],
    });
    return { id: s.id, email };
  }

  async function erase(email: string) {
    const opened = await openRequest(rt, staff, { type: 'erasure', channel: 'email', receivedOn: '2026-03-02', requester: { name: 'A Person', email } });
    await verifyRequest(rt, dpo, opened.reference, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-02' });
    const { candidates } = await matchRequest(rt, dpo, opened.reference);
    expect(candidates).toHaveLength(1);
    await confirmMatch(rt, dpo, opened.reference, candidates[0]!.id);
    return fulfilRequest(rt, dpo, opened.reference);
  }

  it('records a disclosure with its note encrypted and out of the audit trail, and reads it back', async () => {
    const c = await customer();
    const d = await recordDisclosure(rt, staff, { subjectId: c.id, recipient: 'hmrc', categories: ['orders'], reason: 'legal-obligation', disclosedAt: '2026-02-27', note: 'VAT enquiry ref 55-A, sent by post' });
    expect(d).toMatchObject({ recipient: 'hmrc', recipientName: 'HM Revenue & Customs', categories: ['orders'], origin: 'manual', undeclared: false, disclosedAt: '2026-02-27T12:00:00.000Z' });
    const row = await rt.database.db.selectFrom('disclosures').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.note!).toString('latin1')).not.toContain('VAT enquiry');
    const audit = await rt.database.db.selectFrom('audit_log').selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain('VAT enquiry');
    expect(JSON.stringify(audit)).toContain('disclosure.record');
    const list = await subjectDisclosures(rt, actorWith('auditor'), c.id);
    expect(list.map((x) => [x.recipient, x.note])).toEqual([['hmrc', 'VAT enquiry ref 55-A, sent by post']]);
    // A recipient that the declaration does not list for the category is still logged, and marked.
    const odd = await recordDisclosure(rt, staff, { subjectId: c.id, recipient: 'hmrc', categories: ['phone'], reason: 'request' });
    expect(odd.undeclared).toBe(true);
  });

  it('refuses bad disclosures with a clear error and writes nothing', async () => {
    const c = await customer();
    const base = { subjectId: c.id, recipient: 'courier', categories: ['name'], reason: 'contract' as const };
    await expect(recordDisclosure(rt, staff, { ...base, recipient: 'nobody' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(recordDisclosure(rt, staff, { ...base, categories: ['shoe-size'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(recordDisclosure(rt, staff, { ...base, categories: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(recordDisclosure(rt, staff, { ...base, disclosedAt: '2027-01-01' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(recordDisclosure(rt, staff, { ...base, disclosedAt: 'yesterday' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(recordDisclosure(rt, staff, { ...base, note: 'paid with 4111 1111 1111 1111' })).rejects.toMatchObject({ code: 'FORBIDDEN_DATA' });
    await expect(recordDisclosure(rt, staff, { ...base, subjectId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(recordDisclosure(rt, actorWith('auditor'), base)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await rt.database.db.selectFrom('disclosures').select('id').where('subject_id', '=', c.id).execute()).toEqual([]);
  });

  it('sends Art 19 notices after an erasure only to the recipients that received the person\'s data', async () => {
    // The log shows only the name went to the courier: only the courier, only for the name.
    const a = await customer();
    await recordDisclosure(rt, staff, { subjectId: a.id, recipient: 'courier', categories: ['name'], reason: 'contract' });
    const ea = await erase(a.email);
    expect(ea.view.tasks.map((t) => [t.recipient, t.categories, t.basis])).toEqual([['courier', ['name'], 'logged']]);

    // Only orders went to HMRC, and orders are kept for the law: nobody to tell.
    const b = await customer();
    await recordDisclosure(rt, staff, { subjectId: b.id, recipient: 'hmrc', categories: ['orders'], reason: 'legal-obligation' });
    const eb = await erase(b.email);
    expect(eb.view.tasks).toEqual([]);

    // Nothing logged: the courier, a processor that receives these routinely, is offered; HMRC, an
    // authority that receives data only when required, is not.
    const c = await customer();
    const ec = await erase(c.email);
    expect(ec.view.tasks.map((t) => [t.recipient, t.categories, t.basis])).toEqual([['courier', ['email-address', 'name', 'phone'], 'declared-routine']]);

    // The log survives the erasure (it is the organisation's record), its notes unreadable.
    expect((await subjectDisclosures(rt, dpo, a.id)).map((d) => [d.recipient, d.note])).toEqual([['courier', null]]);
  });

  it('logs an access pack as a disclosure to the person, by Steward, and lists in it who actually received their data', async () => {
    const c = await customer();
    await recordDisclosure(rt, staff, { subjectId: c.id, recipient: 'hmrc', categories: ['orders'], reason: 'legal-obligation', disclosedAt: '2026-02-20', note: 'not for the pack' });
    const opened = await openRequest(rt, staff, { type: 'access', channel: 'email', receivedOn: '2026-03-02', requester: { name: 'A Person', email: c.email } });
    await verifyRequest(rt, dpo, opened.reference, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-02' });
    const { candidates } = await matchRequest(rt, dpo, opened.reference);
    await confirmMatch(rt, dpo, opened.reference, candidates[0]!.id);
    const done = await fulfilRequest(rt, dpo, opened.reference);
    const log = await subjectDisclosures(rt, dpo, c.id);
    expect(log.map((d) => [d.recipient, d.reason, d.origin])).toEqual([
      ['data-subject', 'access-request', 'automatic'],
      ['hmrc', 'legal-obligation', 'manual'],
    ]);
    expect(log[0]!.categories).toEqual(expect.arrayContaining(['email-address', 'name', 'orders', 'phone']));
    const token = new URL(String(done.view.doc.result!.link), 'http://x').searchParams.get('t')!;
    const files = await unzipFiles((await downloadPack(rt, token))!.data);
    const recipients = files.get('recipients.txt')!.toString();
    expect(recipients).toContain('2026-02-20: HM Revenue & Customs received');
    expect(recipients).toContain('(legal obligation)');
    expect(recipients).not.toContain('not for the pack');
  });
});

describe.each(dialects)('review reminders on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    // The IT-support firm, with the call-recording contract and the DPIA due for review soon.
    const doc = parse(readFileSync(IT_SUPPORT, 'utf8'));
    doc.recipients[2].agreement.review = '2026-03-20';
    doc.assessments[0].next_review = '2026-02-01';
    doc.recipients[0].agreement.review = '2026-09-01';
    rt = await createTestRuntime(kind, { policyFile: IT_SUPPORT });
    const file = path.join(rt.dataDir, 'it-support-due.yaml');
    writeFileSync(file, stringify(doc));
    rt.policy = (await import('../policy/policy.loader.js')).parsePolicy(readFileSync(file, 'utf8'), file);
    rt.clock.set('2026-03-02T10:00:00Z');
  });
  afterAll(async () => rt?.close());

  it('lists reviews soonest first, overdue ones included', () => {
    expect(reviewsDue(rt.policy.policy, '2026-03-02', 30).map((r) => [r.item, r.dueOn, r.daysLeft, r.overdue])).toEqual([
      ['assessment:dpia-call-recording', '2026-02-01', -29, true],
      ['recipient:call-recording', '2026-03-20', 18, false],
    ]);
    expect(reviewsDue(rt.policy.policy, '2026-03-02').map((r) => r.item)).toEqual(['assessment:dpia-call-recording', 'recipient:call-recording', 'recipient:card-payments', 'recipient:remote-access']);
  });

  it('reminds once across two servers running the job at the same time, and not again the next day', async () => {
    const mails: Mail[] = [];
    const one = { ...rt, mailer: countingMailer(mails) };
    const two = { ...rt, mailer: countingMailer(mails) };
    const [a, b] = await Promise.all([sendReviewReminders(one), sendReviewReminders(two)]);
    expect([...a.sent, ...b.sent].sort()).toEqual(['assessment:dpia-call-recording', 'recipient:call-recording']);
    expect(mails.map((m) => m.subject).sort()).toEqual(['Review due: Contract with CallVault Ltd', 'Review due: DPIA: Recording support calls']);
    expect(mails.every((m) => m.to === 'privacy@example-it.co.uk')).toBe(true);
    expect(mails.find((m) => m.subject.includes('CallVault'))!.text).toContain('in 18 days');
    rt.clock.set('2026-03-03T10:00:00Z');
    const again = await sendReviewReminders(one);
    expect(again.sent).toEqual([]);
    expect(mails).toHaveLength(2);
    // A new review date (the declaration updated after the review) is a new reminder in its turn.
    rt.clock.set('2026-08-05T10:00:00Z');
    const later = await sendReviewReminders(two);
    expect(later.sent).toEqual(['recipient:card-payments']);
  });

  it('retries a reminder whose send failed', async () => {
    rt.clock.set('2026-08-20T10:00:00Z');
    const failing: Mailer = { kind: 'outbox', send: async () => Promise.reject(new Error('smtp down')), close: () => undefined };
    const doc = { ...rt.policy, policy: { ...rt.policy.policy, assessments: [{ ...rt.policy.policy.assessments[0]!, id: 'dpia-2', next_review: '2026-09-01' }] } };
    const first = await sendReviewReminders({ ...rt, policy: doc, mailer: failing });
    expect(first.failed).toEqual(['assessment:dpia-2']);
    const mails: Mail[] = [];
    const second = await sendReviewReminders({ ...rt, policy: doc, mailer: countingMailer(mails) });
    expect(second.sent).toEqual(['assessment:dpia-2']);
  });
});

describe.each(dialects)('accountability over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: IT_SUPPORT });
    rt.clock.set('2026-03-02T10:00:00Z');
    app = await buildApp({ ...rt, logger: false });
    owner = await signInOwner(app, rt);
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });
  const auth = () => bearer(owner);

  it('shows each processor\'s terms checklist, sub-processors and transfer test', async () => {
    expect((await app.inject('/api/v1/accountability/recipients')).statusCode).toBe(401);
    const res = await app.inject({ url: '/api/v1/accountability/recipients', headers: auth() });
    expect(res.statusCode).toBe(200);
    const remote = res.json().recipients.find((r: { id: string }) => r.id === 'remote-access');
    expect(remote).toMatchObject({ kind: 'processor', countries: ['US'], safeguard: 'idta', disclosure: 'routine', transferAssessment: { outcome: 'met-with-measures', reference: 'TRA-2026-001' } });
    expect(remote.terms).toHaveLength(8);
    expect(remote.terms.every((t: { covered: boolean }) => t.covered)).toBe(true);
    expect(remote.subProcessors).toEqual([{ name: 'CloudHost LLC', service: 'hosting', countries: ['US'], safeguard: 'idta' }]);
  });

  it('shows the assessments and the DPIA screening, and what is due for review', async () => {
    const ares = await app.inject({ url: '/api/v1/accountability/assessments', headers: auth() });
    expect(ares.statusCode, ares.body).toBe(200);
    const a = ares.json();
    expect(a.assessments.map((x: { id: string }) => x.id)).toEqual(['dpia-call-recording']);
    const calls = a.screening.find((s: { purpose: string }) => s.purpose === 'call-quality');
    expect(calls).toMatchObject({ verdict: 'advisable', recorded: { assessment: 'dpia-call-recording' } });
    const reviews = (await app.inject({ url: '/api/v1/accountability/reviews', headers: auth() })).json().reviews;
    expect(reviews.map((r: { item: string }) => r.item)).toContain('recipient:remote-access');
    expect((await app.inject({ url: '/api/v1/accountability/reviews?within=-3', headers: auth() })).statusCode).toBe(400);
  });

  it('records a disclosure over HTTP and lists it on the person', async () => {
    const s = await createSubject(rt, dpo, { relationships: [{ relationship: 'customer' }], records: [{ category: 'contact-details', value: 'http-disclosure@example.com' }] });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/disclosures', headers: auth(), payload: { subjectId: s.id, recipient: 'remote-access', categories: ['contact-details'], reason: 'gossip' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const ok = await app.inject({ method: 'POST', url: '/api/v1/disclosures', headers: auth(), payload: { subjectId: s.id, recipient: 'remote-access', categories: ['contact-details'], reason: 'contract', note: 'Remote session 4471' } });
    expect(ok.statusCode).toBe(201);
    const list = (await app.inject({ url: `/api/v1/subjects/${s.id}/disclosures`, headers: auth() })).json().disclosures;
    expect(list.map((d: { recipientName: string; note: string }) => [d.recipientName, d.note])).toEqual([['RemoteDesk Inc', 'Remote session 4471']]);
    const summary = (await app.inject({ url: '/api/v1/disclosures/summary', headers: auth() })).json().recipients;
    expect(summary).toEqual([expect.objectContaining({ recipient: 'remote-access', disclosures: 1, people: 1 })]);
    expect(JSON.stringify(summary)).not.toContain(s.id);
  });
});
