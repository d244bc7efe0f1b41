import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit, verifyAudit } from '../audit/audit.service.js';
import { createMailer } from '../mail/mailer.js';
import { createSubject } from '../register/register.service.js';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { listAffected, selectAffected } from './breaches.affected.js';
import { exportRegisterCsv } from './breaches.export.js';
import { exportLetters, notifyPeopleByEmail } from './breaches.notify.js';
import { sendBreachReminders } from './breaches.reminders.js';
import { buildIcoReport } from './breaches.report.js';
import { getBreach, listBreaches } from './breaches.read.js';
import { assessRisk, closeBreach, openBreach, recordDecision, recordIcoReport, updateFacts } from './breaches.service.js';
import { renderIcoReportHtml } from './breaches.templates.js';

const BREACH_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/breaches/policy.yaml');

const dpo = actorWith('dpo', [], 'user-dpo');
const staff = actorWith('staff', [], 'user-staff');
const auditor = actorWith('auditor', [], 'user-auditor');

const HOUR = 3_600_000;

/** Made-up people; the values must never reach logs, errors or the audit trail. */
const PEOPLE = [
  { name: 'Ada Lovelace', email: 'ada@example.org', phone: '01727 812001', address: '12 Analytical Row, St Albans AL1 2AB' },
  { name: 'Charles Babbage', email: 'charles@example.org', phone: '01727 812002', address: '3 Engine Street, Harpenden AL5 1CD' },
  { name: 'Grace Hopper', email: 'grace@example.org', phone: '01727 812003', address: '9 Compiler Close, Luton LU1 3EF' },
];

describe.each(dialects)('breaches on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: BREACH_POLICY, smtpUrl: smtp.url });
    // The register, as it stood before the breach: customers from the web shop, one with no email
    // address, one from a trade show, and a supplier.
    rt.clock.set('2026-01-15T10:00:00Z');
    for (const p of PEOPLE) {
      const s = await createSubject(rt, staff, {
        relationships: [{ relationship: 'customer' }],
        records: [
          { category: 'name', value: p.name, source: 'webshop' },
          { category: 'email-address', value: p.email, source: 'webshop' },
          { category: 'phone', value: p.phone, source: 'webshop' },
          { category: 'postal-address', value: p.address, source: 'webshop' },
        ],
      });
      ids[p.name] = s.id;
    }
    ids.noEmail = (
      await createSubject(rt, staff, {
        relationships: [{ relationship: 'customer' }],
        records: [
          { category: 'name', value: 'Alan Turing', source: 'webshop' },
          { category: 'phone', value: '01727 812004', source: 'webshop' },
        ],
      })
    ).id;
    ids.tradeShow = (
      await createSubject(rt, staff, {
        relationships: [{ relationship: 'customer' }],
        records: [{ category: 'name', value: 'Hedy Lamarr', source: 'trade-show' }, { category: 'email-address', value: 'hedy@example.org', source: 'trade-show' }],
      })
    ).id;
    ids.supplier = (
      await createSubject(rt, staff, {
        relationships: [{ relationship: 'supplier' }],
        records: [{ category: 'name', value: 'Tim Berners-Lee' }, { category: 'email-address', value: 'tim@example.org' }],
      })
    ).id;
  });
  afterAll(async () => {
    await rt?.close();
    await smtp?.close();
  });

  it('records a breach found on a Friday evening, counts 72 clock hours to Monday, and carries it through to the ICO and the people affected', async () => {
    // Friday 6 March 2026, 19:30 in London (GMT): a staff member reports it as it is found.
    rt.clock.set('2026-03-06T19:30:00Z');
    const opened = await openBreach(rt, staff, {
      title: 'Customer export emailed to the wrong address',
      awareAt: '2026-03-06 19:30',
      occurredAt: '2026-03-06 17:55',
      howDiscovered: 'The recipient replied to say they had received it.',
      description: 'A spreadsheet of web-shop customers was attached to an email sent to a supplier by mistake. <b>Not</b> encrypted & not password-protected.',
      descriptionForPeople: 'A list with your contact details was sent by mistake to one of our suppliers.',
      natures: ['confidentiality'],
      systems: ['email', 'web shop'],
      categories: ['name', 'email-address', 'phone'],
      relationships: ['customer'],
    });
    ids.breach = opened.id;
    expect(opened.reference).toMatch(/^BR-2026-\d{3}$/);
    expect(opened.clock).toMatchObject({
      awareAt: '2026-03-06T19:30:00.000Z',
      deadline: '2026-03-09T19:30:00.000Z',
      awareAtUk: 'Fri 6 Mar 2026, 19:30 GMT',
      deadlineUk: 'Mon 9 Mar 2026, 19:30 GMT',
      windowHours: 72,
      hoursRemaining: 72,
      state: 'within-time',
    });
    expect((Date.parse(opened.clock.deadline) - Date.parse(opened.clock.awareAt)) / HOUR).toBe(72);
    expect(opened.clock.label).toContain('due in 72 hours');
    expect(opened.contactPoint).toMatchObject({ kind: 'Data Protection Officer', name: 'Priya Shah', email: 'dpo@kite.example' });

    // Staff report; the privacy officer and the auditor read and the privacy officer manages.
    expect((await caught(getBreach(rt, staff, opened.id))).code).toBe('FORBIDDEN');
    expect((await caught(assessRisk(rt, staff, opened.id, { level: 'high', reasons: 'x' }))).code).toBe('FORBIDDEN');
    expect((await caught(openBreach(rt, auditor, { title: 'x', awareAt: '2026-03-06 19:00' }))).code).toBe('FORBIDDEN');
    expect((await getBreach(rt, auditor, opened.reference)).id).toBe(opened.id);

    // Saturday morning: the weekend counts.
    rt.clock.set('2026-03-07T10:00:00Z');
    const sat = await getBreach(rt, dpo, opened.id);
    expect(sat.clock).toMatchObject({ state: 'within-time', hoursRemaining: 57 });

    // The people affected: web-shop customers, from the register.
    const sel = await selectAffected(rt, dpo, opened.id, { relationships: ['customer'], sources: ['webshop'] });
    expect(sel.totals.people).toBe(4);
    expect(sel.totals.records).toBe(3 * 3 + 2);
    expect(sel.totals.byCategory).toEqual([
      { category: 'email-address', people: 3, records: 3 },
      { category: 'name', people: 4, records: 4 },
      { category: 'phone', people: 4, records: 4 },
    ]);
    expect(sel.totals.byRelationship).toEqual([{ relationship: 'customer', people: 4 }]);
    const listing = await listAffected(rt, dpo, opened.id, { limit: 100 });
    expect(new Set(listing.people!.map((p) => p.subjectId))).toEqual(new Set([...PEOPLE.map((p) => ids[p.name]), ids.noEmail]));

    await assessRisk(rt, dpo, opened.id, { level: 'high', reasons: 'Contact details in the hands of a third party could be used for convincing phishing.' });
    await recordDecision(rt, dpo, opened.id, { about: 'ico', decision: 'notify', reason: 'A risk to people is likely.' });
    await recordDecision(rt, dpo, opened.id, { about: 'people', decision: 'notify', reason: 'High risk of phishing: people should be on guard.', decidedBy: 'Board of directors' });
    await updateFacts(rt, dpo, opened.id, {
      consequences: 'Phishing emails or calls that appear to come from us.',
      measuresTaken: 'The supplier confirmed in writing that they deleted the email and the attachment.',
      measuresProposed: 'Exports will be encrypted, and email to outside addresses will warn before sending attachments.',
      containedAt: '2026-03-07 09:30',
    });

    // Monday 10:00: the initial report goes to the ICO, within the 72 hours.
    rt.clock.set('2026-03-09T10:00:00Z');
    const report = await buildIcoReport(rt, dpo, opened.id);
    expect(report.phase).toBe('initial');
    expect(report.missing).toEqual([]);
    expect(report.controller).toMatchObject({ legalName: 'Kite Office Supplies Ltd', companyNumber: '01234567', address: '1 Paper Lane, St Albans, AL1 1AA' });
    expect(report.contactPoint).toMatchObject({ name: 'Priya Shah', email: 'dpo@kite.example', phone: '01727 000001' });
    expect(report.timeline.occurredAt).toEqual({ utc: '2026-03-06T17:55:00.000Z', uk: 'Fri 6 Mar 2026, 17:55 GMT' });
    expect(report.timeline.awareAt.uk).toBe('Fri 6 Mar 2026, 19:30 GMT');
    expect(report.timeline.deadline.uk).toBe('Mon 9 Mar 2026, 19:30 GMT');
    expect(report.nature.description).toContain('spreadsheet of web-shop customers');
    expect(report.nature.types.map((t) => t.id)).toEqual(['confidentiality']);
    expect(report.nature.dataCategories.map((c) => [c.id, c.people, c.records])).toEqual([
      ['name', 4, 4],
      ['email-address', 3, 3],
      ['phone', 4, 4],
    ]);
    expect(report.nature.subjectCategories).toEqual([{ id: 'customer', name: 'Customer', people: 4 }]);
    expect(report.nature.approximatePeople).toBe(4);
    expect(report.nature.approximateRecords).toBe(11);
    expect(report.likelyConsequences).toContain('Phishing');
    expect(report.measures.taken).toContain('deleted');
    expect(report.measures.proposed).toContain('encrypted');
    expect(report.riskAssessment?.level).toBe('high');
    expect(report.decisions.people).toMatchObject({ decision: 'notify', decidedBy: 'Board of directors' });
    const html = renderIcoReportHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('&lt;b&gt;Not&lt;/b&gt; encrypted &amp; not password-protected');
    expect(html).not.toContain('<b>Not</b>');
    for (const item of ['When we became aware', 'Categories of personal data', 'Approximate number of people', 'Approximate number of records', 'Likely consequences', 'Measures taken or proposed', 'Priya Shah']) {
      expect(html).toContain(item);
    }

    const reported = await recordIcoReport(rt, dpo, opened.id, { phase: 'initial', icoReference: 'IC-123456-A1B2' });
    expect(reported.clock).toMatchObject({ state: 'reported', reportedAt: '2026-03-09T10:00:00.000Z', hoursLate: null });
    expect((await buildIcoReport(rt, dpo, opened.id)).phase).toBe('update');

    // The people affected, by email through a real SMTP server.
    const before = smtp.messages.length;
    const sent = await notifyPeopleByEmail(rt, dpo, opened.id);
    expect(sent).toMatchObject({ attempted: 4, sent: 3, failed: 0, noAddress: 1, alreadyTold: 0 });
    await smtp.waitFor(before + 3);
    const mails = smtp.messages.slice(before);
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(PEOPLE.map((p) => p.email).sort());
    for (const m of mails) {
      expect(m.subject).toBe('Important: a data breach involving your personal information at Kite Office Supplies');
      const person = PEOPLE.find((p) => p.email === m.envelopeTo[0])!;
      expect(m.text).toMatch(new RegExp(`^Dear ${person.name},`));
      expect(m.text).toContain('A list with your contact details was sent by mistake to one of our suppliers.');
      expect(m.text).toContain('Phishing emails or calls');
      expect(m.text).toContain('The supplier confirmed in writing');
      expect(m.text).toContain('Email: dpo@kite.example');
      expect(m.text).toContain('Information Commissioner');
      expect(m.text).toContain(reported.reference);
      expect(m.text).toContain('• Email address');
      expect(m.html).toContain('Who to contact');
      expect(m.headers.find((h) => h.key === 'x-steward-breach')?.value).toBe(reported.reference);
    }
    const rows = await rt.database.db.selectFrom('breach_notifications').selectAll().where('breach_id', '=', opened.id).execute();
    expect(rows.filter((r) => r.status === 'sent').every((r) => r.message_id && r.at === '2026-03-09T10:00:00.000Z')).toBe(true);
    expect(rows.find((r) => r.subject_id === ids.noEmail)?.status).toBe('no-address');
    // Running it again sends nothing twice: only the person without an address is tried again.
    expect(await notifyPeopleByEmail(rt, dpo, opened.id)).toMatchObject({ attempted: 1, sent: 0, noAddress: 1, alreadyTold: 3 });
    expect(smtp.messages.length).toBe(before + 3);

    const after = await getBreach(rt, dpo, opened.id, { history: true });
    expect(after.notifications).toEqual({ email: { sent: 3, failed: 0, noAddress: 1 }, post: { exported: 0 }, notYetTold: 1 });
    expect(after.history!.map((h) => h.type)).toEqual([
      'opened',
      'affected-selected',
      'risk-assessed',
      'decision',
      'decision',
      'facts-updated',
      'ico-reported',
      'people-notified',
      'people-notified',
    ]);
    expect(after.history![0]).toMatchObject({ actor: 'user-staff', actorRole: 'staff', atUk: 'Fri 6 Mar 2026, 19:30 GMT' });

    // Nothing personal in the audit trail, and the chain is intact.
    const audit = JSON.stringify((await listAudit(rt.database.db, { limit: 1000 })).entries);
    for (const p of PEOPLE) for (const v of Object.values(p)) expect(audit).not.toContain(v);
    expect(audit).not.toContain('spreadsheet');
    expect(audit).toContain('breach.notify.person');
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);

    // At rest the free text is ciphertext.
    const raw = await rt.database.db.selectFrom('breach_events').select('payload').where('breach_id', '=', opened.id).execute();
    for (const r of raw) expect(Buffer.from(r.payload).toString('latin1')).not.toContain('spreadsheet');
  });

  it('emails each person once when two notify runs start at the same moment', async () => {
    rt.clock.set('2026-04-20T09:00:00Z');
    const b = await openBreach(rt, dpo, {
      title: 'Mailing list exposed',
      awareAt: '2026-04-20 08:00',
      descriptionForPeople: 'Our mailing list was briefly visible on our website.',
      natures: ['confidentiality'],
      categories: ['name', 'email-address'],
      relationships: ['customer'],
    });
    await selectAffected(rt, dpo, b.id, { relationships: ['customer'], sources: ['webshop'] });
    await assessRisk(rt, dpo, b.id, { level: 'high', reasons: 'Addresses could be used for phishing.' });
    await recordDecision(rt, dpo, b.id, { about: 'ico', decision: 'notify', reason: 'A risk to people is likely.' });
    await recordDecision(rt, dpo, b.id, { about: 'people', decision: 'notify', reason: 'High risk of phishing.' });
    await updateFacts(rt, dpo, b.id, { consequences: 'Phishing emails.', measuresTaken: 'The page was taken down.' });
    const before = smtp.messages.length;
    const [one, two] = await Promise.all([notifyPeopleByEmail(rt, dpo, b.id), notifyPeopleByEmail(rt, dpo, b.id)]);
    expect(one.sent + two.sent).toBe(PEOPLE.length);
    await smtp.waitFor(before + PEOPLE.length);
    // Give a duplicate time to arrive, if one were on its way.
    await new Promise((r) => setTimeout(r, 200));
    const to = smtp.messages.slice(before).flatMap((m) => m.envelopeTo);
    expect(to.sort()).toEqual(PEOPLE.map((p) => p.email).sort());
    const rows = await rt.database.db.selectFrom('breach_notifications').select(['subject_id', 'status']).where('breach_id', '=', b.id).where('status', '=', 'sent').execute();
    expect(rows).toHaveLength(PEOPLE.length);
    expect((await getBreach(rt, dpo, b.id)).notifications.email.sent).toBe(PEOPLE.length);
  });

  it('keeps what was known when: the report as of an earlier moment shows the facts then', async () => {
    rt.clock.set('2026-03-09T12:00:00Z');
    await updateFacts(rt, dpo, ids.breach!, { description: 'Revised: the export held only names and email addresses.' });
    const now = await buildIcoReport(rt, dpo, ids.breach!);
    expect(now.nature.description).toContain('Revised');
    const then = await buildIcoReport(rt, dpo, ids.breach!, { asOf: '2026-03-07 09:00' });
    expect(then.nature.description).toContain('spreadsheet of web-shop customers');
    expect(then.likelyConsequences).toBeNull();
    expect(then.missing).toContain('the likely consequences');
    expect(then.clock).toMatchObject({ state: 'within-time', hoursRemaining: 58 });
    const view = await getBreach(rt, dpo, ids.breach!, { asOf: '2026-03-06T20:00:00Z', history: true });
    expect(view.state.facts.description).toContain('spreadsheet');
    expect(view.history!.map((h) => h.type)).toEqual(['opened']);
    expect((await caught(getBreach(rt, dpo, ids.breach!, { asOf: '2026-01-01 00:00' }))).code).toBe('VALIDATION_FAILED');
    // A stale writer is refused rather than silently overwriting.
    const version = (await getBreach(rt, dpo, ids.breach!)).state.version;
    expect((await caught(updateFacts(rt, dpo, ids.breach!, { title: 'Changed', expectedVersion: version - 1 }))).code).toBe('CONFLICT');
  });

  it('requires the reasons for a delay when the first report is late, and measures lateness in hours', async () => {
    rt.clock.set('2026-03-12T09:00:00Z');
    const b = await openBreach(rt, dpo, { title: 'Lost USB stick', awareAt: '2026-03-08T09:00:00Z', categories: ['name', 'postal-address'] });
    expect(b.clock).toMatchObject({ state: 'late', hoursLate: 24, delayReasonRequired: true });
    expect(b.clock.label).toContain('late');
    await assessRisk(rt, dpo, b.id, { level: 'risk', reasons: 'Addresses only.' });
    const refused = await caught(recordIcoReport(rt, dpo, b.id, { phase: 'initial' }));
    expect(refused.code).toBe('VALIDATION_FAILED');
    expect(refused.message).toContain('reasons for the delay');
    expect((await caught(recordIcoReport(rt, dpo, b.id, { phase: 'update' }))).code).toBe('CONFLICT');
    const done = await recordIcoReport(rt, dpo, b.id, { phase: 'initial', delayReason: 'The loss was only understood to involve personal data on Wednesday.' });
    expect(done.clock).toMatchObject({ state: 'reported-late', hoursLate: 24, delayReasonRequired: false });
    const report = await buildIcoReport(rt, dpo, b.id);
    expect(report.timeline).toMatchObject({ late: true, hoursLate: 24, delayReason: expect.stringContaining('Wednesday') });
    expect(report.missing).not.toContain('the reasons for the delay');
    expect((await caught(recordIcoReport(rt, dpo, b.id, { phase: 'initial', delayReason: 'x' }))).code).toBe('CONFLICT');
  });

  it('counts 72 clock hours across the change to summer time, and reads UK local times', async () => {
    rt.clock.set('2026-03-27T20:00:00Z');
    const b = await openBreach(rt, dpo, { title: 'Clocks change', awareAt: '2026-03-27 19:30' });
    expect(b.clock).toMatchObject({ awareAt: '2026-03-27T19:30:00.000Z', deadline: '2026-03-30T19:30:00.000Z', deadlineUk: 'Mon 30 Mar 2026, 20:30 BST' });
    expect((await caught(updateFacts(rt, dpo, b.id, { awareAt: '2026-03-27 18:30' }))).message).toContain('say why');
    const moved = await updateFacts(rt, dpo, b.id, { awareAt: '2026-03-27 18:30', reason: 'The shift log shows the alert was seen an hour earlier.' });
    expect(moved.clock.deadline).toBe('2026-03-30T18:30:00.000Z');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: '2026-03-29 01:30' }))).message).toContain('clocks go forward');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: '2026-03-27 21:30' }))).message).toContain('future');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: 'last Friday' }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: '2026-03-27 19:00', occurredAt: '2026-03-27 19:10' }))).message).toContain('after the organisation became aware');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: '2026-03-27 19:00', categories: ['shoe-size'] }))).message).toContain('not a data category');
    expect((await caught(openBreach(rt, dpo, { title: 'x', awareAt: '2026-03-27 19:00', description: 'card 4111 1111 1111 1111' }))).code).toBe('FORBIDDEN_DATA');
  });

  it('enforces the rules on decisions: report what is risky, tell people of a high risk unless exempt', async () => {
    rt.clock.set('2026-04-01T09:00:00Z');
    const b = await openBreach(rt, dpo, { title: 'Laptop stolen', awareAt: '2026-04-01 08:00', categories: ['name', 'email-address'] });
    expect((await caught(recordDecision(rt, dpo, b.id, { about: 'ico', decision: 'not-notify', reason: 'x' }))).message).toContain('assess the risk first');
    await assessRisk(rt, dpo, b.id, { level: 'high', reasons: 'Customer list on the disk.' });
    expect((await caught(recordDecision(rt, dpo, b.id, { about: 'ico', decision: 'not-notify', reason: 'x' }))).message).toContain('must be reported');
    expect((await caught(recordDecision(rt, dpo, b.id, { about: 'people', decision: 'not-notify', reason: 'x' }))).message).toContain('Art 34(3)');
    expect((await caught(recordDecision(rt, dpo, b.id, { about: 'people', decision: 'public-notice', reason: 'x' }))).message).toContain('disproportionate');
    expect((await caught(closeBreach(rt, dpo, b.id, { reason: 'done' }))).message).toContain('decision on reporting');
    await assessRisk(rt, dpo, b.id, { level: 'unlikely', reasons: 'The disk was fully encrypted (BitLocker) and the key was not with it.', exemptions: ['encrypted'] });
    await recordDecision(rt, dpo, b.id, { about: 'ico', decision: 'not-notify', reason: 'Encrypted device: unlikely to result in a risk.' });
    const v = await recordDecision(rt, dpo, b.id, { about: 'people', decision: 'not-notify', reason: 'Encrypted: no risk to people.' });
    expect(v.clock.state).toBe('not-required');
    expect(v.state.decisions.ico).toMatchObject({ decision: 'not-notify', decidedBy: 'user-dpo' });
    expect((await caught(notifyPeopleByEmail(rt, dpo, b.id))).code).toBe('CONFLICT');
    const closed = await closeBreach(rt, dpo, b.id, { reason: 'No further action.' });
    expect(closed.status).toBe('closed');
    expect((await caught(assessRisk(rt, dpo, b.id, { level: 'risk', reasons: 'x' }))).message).toContain('reopen');
    expect((await closeBreach(rt, dpo, b.id, { reason: 'The key was found with it after all.' }, true)).status).toBe('open');
  });

  it('selects people by an imported list of identifiers, and shows identities only to those who may see every category', async () => {
    rt.clock.set('2026-04-02T09:00:00Z');
    const b = await openBreach(rt, dpo, { title: 'Mailing list leak', awareAt: '2026-04-02 08:00' });
    const r = await selectAffected(rt, dpo, b.id, { identifiers: { emails: ['ADA@example.org', 'hedy@example.org', 'nobody@example.org', 'not an email'], phones: ['+44 1727 812004'] } });
    expect(r.criteria.identifiers).toEqual({ given: 5, matchedPeople: 3, unmatched: 1, invalid: 1 });
    expect(r.totals.people).toBe(3);
    expect(JSON.stringify(r)).not.toContain('example.org');
    // Replace: only the trade-show customer now.
    const replaced = await selectAffected(rt, dpo, b.id, { mode: 'replace', sources: ['trade-show'], relationships: ['customer'] });
    expect(replaced).toMatchObject({ added: 0, removed: 2, totals: { people: 1 } });
    expect((await caught(selectAffected(rt, dpo, b.id, {}))).code).toBe('VALIDATION_FAILED');
    expect((await caught(selectAffected(rt, dpo, b.id, { all: true, sources: ['webshop'] }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(selectAffected(rt, dpo, b.id, { relationships: ['alien'] }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(selectAffected(rt, staff, b.id, { all: true }))).code).toBe('FORBIDDEN');

    // A breach of call recordings: only roles that may hear them see who was affected.
    const calls = await createSubject(rt, dpo, {
      relationships: [{ relationship: 'customer' }],
      records: [{ category: 'call-recording', file: { name: 'call.wav', contentType: 'audio/wav', data: Buffer.from('RIFF') }, source: 'webshop' }],
    });
    const c = await openBreach(rt, dpo, { title: 'Call recordings exposed', awareAt: '2026-04-02 08:30', categories: ['call-recording'] });
    await selectAffected(rt, dpo, c.id, { categories: ['call-recording'] });
    const asAuditor = await listAffected(rt, auditor, c.id, { limit: 10 });
    expect(asAuditor.counts).toMatchObject({ people: 1, records: 1 });
    expect(asAuditor.people).toBeNull();
    expect(asAuditor.withheld).toContain('call-recording');
    expect((await listAffected(rt, dpo, c.id, { limit: 10 })).people!.map((p) => p.subjectId)).toEqual([calls.id]);
  });

  it('writes letters for post with the address from the register, and marks those people as told', async () => {
    rt.clock.set('2026-04-03T09:00:00Z');
    const b = await openBreach(rt, dpo, { title: 'Misprinted invoices', awareAt: '2026-04-03 08:00', categories: ['name', 'postal-address'], consequences: 'Your address was printed on another customer’s invoice.' });
    await selectAffected(rt, dpo, b.id, { categories: ['postal-address'] });
    await assessRisk(rt, dpo, b.id, { level: 'high', reasons: 'Addresses disclosed.' });
    await recordDecision(rt, dpo, b.id, { about: 'people', decision: 'notify', reason: 'By post: we have addresses.' });
    // Art 34(2): no letter without the measures taken or proposed.
    expect((await caught(exportLetters(rt, dpo, b.id))).message).toContain('measures taken or proposed');
    await updateFacts(rt, dpo, b.id, { measuresTaken: 'The print run was destroyed.' });
    const out = await exportLetters(rt, dpo, b.id);
    expect(out.letters).toHaveLength(3);
    const ada = out.letters.find((l) => l.subjectId === ids['Ada Lovelace'])!;
    expect(ada.address).toEqual(['Ada Lovelace', '12 Analytical Row, St Albans AL1 2AB']);
    expect(ada.text).toContain('• Postal address');
    expect(ada.text.startsWith('Dear Ada Lovelace,')).toBe(true);
    expect(ada.text).toContain('another customer’s invoice');
    expect((await getBreach(rt, dpo, b.id)).notifications).toMatchObject({ post: { exported: 3 }, notYetTold: 0 });
    expect((await exportLetters(rt, dpo, b.id)).letters).toHaveLength(0);
    expect((await caught(exportLetters(rt, dpo, b.id, { addressCategories: ['shoe-size'] }))).code).toBe('VALIDATION_FAILED');
  });

  it('reminds the privacy officer at 48 hours, 12 hours and the deadline, once each', async () => {
    rt.clock.set('2026-05-01T09:00:00Z');
    const b = await openBreach(rt, staff, { title: 'Reminder test', awareAt: '2026-05-01 08:00' });
    const mine = (run: Awaited<ReturnType<typeof sendBreachReminders>>) => run.outcomes.filter((o) => o.breachId === b.id);
    expect(mine(await sendBreachReminders(rt, new Date('2026-05-01T09:00:00Z')))).toEqual([]);
    const before = smtp.messages.length;
    // 48 hours before the deadline (07:00 UTC on 2 May, as BST applies).
    const first = mine(await sendBreachReminders(rt, new Date('2026-05-02T07:00:00Z')));
    expect(first).toEqual([{ breachId: b.id, reference: b.reference, stage: '48h', status: 'sent' }]);
    expect(mine(await sendBreachReminders(rt, new Date('2026-05-02T08:00:00Z')))).toEqual([]);
    await smtp.waitFor(before + 1);
    const mail = smtp.messages[before]!;
    expect(mail.envelopeTo).toEqual(['dpo@kite.example']);
    expect(mail.subject).toContain(`Breach ${b.reference}: 48 hours left`);
    expect(mail.text).toContain('Mon 4 May 2026, 08:00 BST');
    expect(mail.text).not.toContain('Reminder test');
    // Late in the day: only the deadline reminder, the 12-hour one marked as superseded.
    const late = mine(await sendBreachReminders(rt, new Date('2026-05-04T08:30:00Z')));
    expect(late.map((o) => o.stage)).toEqual(['deadline']);
    expect(mine(await sendBreachReminders(rt, new Date('2026-05-04T09:30:00Z')))).toEqual([]);
    const stages = await rt.database.db.selectFrom('breach_reminders').select(['stage', 'status']).where('breach_id', '=', b.id).orderBy('stage').execute();
    expect(stages).toEqual([
      { stage: '12h', status: 'superseded' },
      { stage: '48h', status: 'sent' },
      { stage: 'deadline', status: 'sent' },
    ]);
    // Reported: no more reminders for it.
    rt.clock.set('2026-05-04T10:00:00Z');
    await recordIcoReport(rt, dpo, b.id, { phase: 'initial', delayReason: 'Test.' });
    const quiet = await sendBreachReminders(rt, new Date('2026-05-05T10:00:00Z'));
    expect(mine(quiet)).toEqual([]);
  });

  it('tracks a failed delivery and tries it again later', async () => {
    // The same register, with a mail server that is not there.
    const down = { ...rt, mailer: createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'dpo@kite.example', outboxDir: path.join(rt.dataDir, 'unused') }) };
    try {
      rt.clock.set('2026-05-06T10:00:00Z');
      await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'eve@example.org', source: 'webshop' }] });
      const b = await openBreach(down, dpo, { title: 'SMTP down', awareAt: '2026-05-06 10:30', consequences: 'Spam.', measuresProposed: 'Better filters.' });
      await selectAffected(down, dpo, b.id, { identifiers: { emails: ['eve@example.org'] } });
      await assessRisk(down, dpo, b.id, { level: 'high', reasons: 'x' });
      await recordDecision(down, dpo, b.id, { about: 'people', decision: 'notify', reason: 'x' });
      const r = await notifyPeopleByEmail(down, dpo, b.id);
      expect(r).toMatchObject({ attempted: 1, sent: 0, failed: 1 });
      const row = await rt.database.db.selectFrom('breach_notifications').selectAll().where('breach_id', '=', b.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('failed');
      expect(row.error).toContain('mail server');
      expect(row.error).not.toContain('eve@');
      expect((await listAffected(rt, dpo, b.id, { limit: 10 })).people![0]!.email).toBe('failed');
      // The server is back: the failed one is sent.
      const before = smtp.messages.length;
      expect(await notifyPeopleByEmail(rt, dpo, b.id)).toMatchObject({ attempted: 1, sent: 1 });
      await smtp.waitFor(before + 1);
      expect(smtp.messages[before]!.envelopeTo).toEqual(['eve@example.org']);
      expect((await getBreach(rt, dpo, b.id)).notifications.email).toEqual({ sent: 1, failed: 0, noAddress: 0 });
    } finally {
      down.mailer.close();
    }
  });

  it('lists and exports the register as CSV with formulas neutralised', async () => {
    rt.clock.set('2026-05-10T09:00:00Z');
    await openBreach(rt, dpo, { title: '=HYPERLINK("http://evil.example","click")', awareAt: '2026-05-10 08:00' });
    const list = await listBreaches(rt, auditor, { limit: 100 });
    expect(list.breaches.length).toBeGreaterThanOrEqual(8);
    expect(list.breaches[0]!.title).toContain('HYPERLINK');
    const open = await listBreaches(rt, auditor, { limit: 100, status: 'closed' });
    expect(open.breaches.every((x) => x.status === 'closed')).toBe(true);
    const { csv, breaches } = await exportRegisterCsv(rt, auditor);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toMatch(/^reference,id,status,title,/);
    expect(breaches).toBe(list.breaches.length);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).toContain('Fri 6 Mar 2026, 19:30 GMT');
    expect((await caught(exportRegisterCsv(rt, staff))).code).toBe('FORBIDDEN');
    expect((await caught(getBreach(rt, dpo, 'BR-1999-999'))).code).toBe('NOT_FOUND');
    expect((await caught(getBreach(rt, dpo, '../../etc/passwd'))).code).toBe('VALIDATION_FAILED');
  });
});
