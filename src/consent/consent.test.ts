import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { createSubject, eraseSubject, setRestriction } from '../register/register.service.js';
import { type RecordInput, type RelationshipInput } from '../register/record.prepare.js';
import { isStewardError, type StewardError } from '../shared/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { reasonOf } from './audience.rules.js';
import { checkAudience } from './audience.service.js';
import { getConsent, objectToDirectMarketing, recordConsent, type ConsentInput } from './consent.service.js';
import { normaliseEmail } from '../crypto/blind-index.js';
import { FastHmac } from './fast-hmac.js';
import { normaliseEmailFast } from './normalise.js';
import { ageOn, parsePeriod, shiftByPeriod } from './period.js';
import { exportSuppressions, liftSuppression } from './suppression.service.js';
import { importSuppressions, suppress } from './suppression.add.js';
import { importTpsRegister, tpsStatus } from './tps.service.js';

const CONSENT_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/consent/policy.yaml');
const DAY = 86_400_000;

const caught = async (p: Promise<unknown>): Promise<StewardError> => {
  try {
    await p;
  } catch (e) {
    if (isStewardError(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
};

describe('period arithmetic and the fast HMAC', () => {
  it('adds calendar periods without overflowing short months', () => {
    expect(shiftByPeriod(new Date('2024-01-31T10:00:00Z'), parsePeriod('1 month')!).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(shiftByPeriod(new Date('2024-02-29T00:00:00Z'), parsePeriod('3 years')!).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(shiftByPeriod(new Date('2026-03-31T00:00:00Z'), parsePeriod('1 month')!, -1).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(parsePeriod('P1Y2M10D')).toEqual({ years: 1, months: 2, days: 10 });
    expect(ageOn('2010-03-02', new Date('2026-03-01T00:00:00Z'))).toBe(15);
    expect(ageOn('2010-03-02', new Date('2026-03-02T00:00:00Z'))).toBe(16);
  });

  it('normalises campaign addresses on the fast path exactly as the blind index does', () => {
    const parts = ['a', 'Z', '0', '.', '-', '_', '+', '@', ' ', '..', 'xn--', 'é', 'K', '\u00a0', '\u200b', 'ß', '\u212a', 'com', 'co.uk', '-x', 'x-', '"', '@@'];
    const samples = ['Person.1@Example.COM', '  ann@example.org\t', 'a@b.co', 'a..b@example.org', '.a@example.org', 'a.@example.org', 'a@-b.com', 'a@b-.com', 'a@b.c', 'a@b.123', 'a@localhost', `${'x'.repeat(64)}@e.io`, `${'x'.repeat(65)}@e.io`, `a@${'d'.repeat(63)}.io`, `a@${'d'.repeat(64)}.io`, '\u00a0ann@example.org', 'ann@exämple.org', 'ANN@XN--BCHER-KVA.DE', 'a+tag@sub.example.co.uk'];
    let seed = 7;
    const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
    for (let i = 0; i < 3000; i++) samples.push(Array.from({ length: 3 + rnd(8) }, () => parts[rnd(parts.length)]).join(''));
    for (const v of samples) expect(normaliseEmailFast(v), JSON.stringify(v)).toBe(normaliseEmail(v));
  });

  it('computes HMAC-SHA-256 exactly as node:crypto does, for every length and script', () => {
    const key = randomBytes(32);
    const h = new FastHmac(key);
    const values = ['', 'a', 'person.1@example.com', '+447700900123', 'é🎉'.repeat(40), ...Array.from({ length: 140 }, (_, i) => 'x'.repeat(i))];
    for (const v of values) expect(h.hex(v)).toBe(createHmac('sha256', key).update(v).digest('hex'));
  });
});

describe.each(dialects)('consent and marketing on %s', (kind) => {
  let rt: TestRuntime;
  const staff = actorWith('staff');
  const dpo = actorWith('dpo');
  const auditor = actorWith('auditor');
  let n = 0;

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: CONSENT_POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });

  const person = async (relationship: string, opts: { email?: string; phone?: string; dob?: string; subscriberType?: 'individual' | 'corporate' } = {}) => {
    n++;
    const records: RecordInput[] = [{ category: 'name', value: `Person ${n}` }];
    if (opts.email) records.push({ category: 'email-address', value: opts.email });
    if (opts.phone) records.push({ category: 'phone', value: opts.phone });
    if (opts.dob) records.push({ category: 'date-of-birth', value: opts.dob });
    const rel: RelationshipInput = { relationship, ...(opts.subscriberType ? { subscriberType: opts.subscriberType } : {}) };
    return createSubject(rt, staff, { relationships: [rel], records });
  };
  const give = (subjectId: string, purpose: string, channels: string[], extra: Partial<ConsentInput> = {}) =>
    recordConsent(rt, staff, { subjectId, purpose, channels, action: 'given', method: 'ticked-box', wording: 'Yes, send me news and offers by email', ...extra });
  const check = async (purpose: string, channel: string, recipients: string[]) => {
    const r = await checkAudience(rt, staff, { purpose, channel, recipients });
    return [...r.codes].map(reasonOf);
  };

  it('records consent with how, when, the wording and notice version; evidence encrypted; history append-only', async () => {
    const s = await person('customer', { email: 'ada@example.org' });
    const r = await give(s.id, 'newsletter', ['email'], { evidenceRef: 'signup form #4411 for Ada Lovelace', method: 'form' });
    expect(r.entries[0]).toMatchObject({ action: 'given', method: 'form', noticeVersion: rt.policy.hash, source: 'directly', recordedBy: staff.id, evidenceRef: 'signup form #4411 for Ada Lovelace' });
    expect(r.states[0]).toMatchObject({ status: 'active', expiresAt: '2029-03-02T10:00:00.000Z' });
    rt.clock.advance(DAY);
    await recordConsent(rt, staff, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'withdrawn', method: 'email' });
    const o = await getConsent(rt, auditor, s.id);
    expect(o.history.map((e) => e.action)).toEqual(['given', 'withdrawn']);
    expect(o.states[0]!.status).toBe('withdrawn');
    expect(o.history[0]!.evidenceRef).toBe('signup form #4411 for Ada Lovelace');
    const raw = await rt.database.db.selectFrom('consent_events').selectAll().where('subject_id', '=', s.id).execute();
    expect(Buffer.concat(raw.map((e) => e.evidence ?? Buffer.alloc(0))).toString('latin1')).not.toContain('Lovelace');
    const audit = await rt.database.db.selectFrom('audit_log').select(['action', 'details']).where('subject_id', '=', s.id).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['consent.given', 'consent.withdrawn', 'consent.read']));
    expect(JSON.stringify(audit)).not.toMatch(/Lovelace|ada@example/);
  });

  it('refuses what is not consent: pre-ticked boxes, no wording, the wrong channel or purpose, auditors', async () => {
    const s = await person('customer', { email: 'refuse@example.org' });
    expect((await caught(give(s.id, 'newsletter', ['email'], { method: 'pre-ticked' }))).message).toMatch(/pre-ticked box is not consent/);
    expect((await caught(recordConsent(rt, staff, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'given', method: 'form' }))).message).toMatch(/wording/);
    expect((await caught(give(s.id, 'newsletter', ['sms']))).code).toBe('VALIDATION_FAILED');
    expect((await caught(give(s.id, 'service', ['email']))).message).toMatch(/not direct marketing/);
    expect((await caught(give(s.id, 'b2b', ['email']))).message).toMatch(/is for business-contact, sole-trader/);
    expect((await caught(give(s.id, 'newsletter', ['email'], { occurredAt: '2030-01-01' }))).message).toMatch(/future/);
    expect((await caught(recordConsent(rt, auditor, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'given', method: 'form', wording: 'x' }))).code).toBe('FORBIDDEN');
    expect((await caught(give('0190a0a0-0000-7000-8000-000000000000', 'newsletter', ['email']))).code).toBe('NOT_FOUND');
    expect((await caught(recordConsent(rt, staff, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'renewed', method: 'form', wording: 'x' }))).code).toBe('CONFLICT');
  });

  it('lets consent lapse after the declared 3 years', async () => {
    const s = await person('customer', { email: 'lapse@example.org' });
    await give(s.id, 'newsletter', ['email']);
    expect(await check('newsletter', 'email', ['lapse@example.org'])).toEqual(['consent']);
    rt.clock.advance(3 * 366 * DAY);
    expect(await check('newsletter', 'email', ['LAPSE@example.org'])).toEqual(['lapsed']);
    expect((await getConsent(rt, dpo, s.id)).states[0]!.status).toBe('lapsed');
    rt.clock.set('2026-03-02T10:00:00Z');
  });

  it('needs a parent\'s consent below the age of digital consent (16 here), from a given date of birth or a record', async () => {
    const child = await person('newsletter-subscriber', { email: 'kid@example.org' });
    await recordConsent(rt, staff, { subjectId: child.id, purpose: 'newsletter', channels: ['email'], action: 'given', method: 'web', wording: 'Join the newsletter', birthDate: '2012-05-01' });
    expect(await check('newsletter', 'email', ['kid@example.org'])).toEqual(['child-without-parental-consent']);
    await recordConsent(rt, staff, { subjectId: child.id, purpose: 'newsletter', channels: ['email'], action: 'parental-consent', method: 'email', wording: 'I agree for my child to get the newsletter', evidenceRef: 'email from parent' });
    expect(await check('newsletter', 'email', ['kid@example.org'])).toEqual(['consent']);

    const teen = await person('customer', { email: 'teen@example.org', dob: '2011-09-30' });
    const r = await give(teen.id, 'newsletter', ['email'], { parental: { method: 'form', evidenceRef: 'signed form' } });
    expect(r.entries.map((e) => e.action)).toEqual(['given', 'parental-consent']);
    expect(r.states[0]).toMatchObject({ status: 'active', child: true, parentalConsent: true });
    const adult = await person('customer', { email: 'adult@example.org', dob: '1990-01-01' });
    expect((await give(adult.id, 'newsletter', ['email'])).states[0]).toMatchObject({ status: 'active', child: false });
  });

  it('applies PECR: individuals need consent or a soft opt-in; limited companies may rest on legitimate interests', async () => {
    const buyer = await person('customer', { email: 'buyer@example.org' });
    expect(await check('offers', 'email', ['buyer@example.org'])).toEqual(['no-consent']);
    expect((await caught(recordConsent(rt, staff, { subjectId: buyer.id, purpose: 'offers', channels: ['email'], action: 'soft-opt-in', method: 'sale' }))).message).toMatch(/simple way to refuse/);
    expect((await caught(recordConsent(rt, staff, { subjectId: buyer.id, purpose: 'newsletter', channels: ['email'], action: 'soft-opt-in', method: 'sale', optOutOffered: true }))).message).toMatch(/soft_opt_in/);
    await recordConsent(rt, staff, { subjectId: buyer.id, purpose: 'offers', channels: ['email'], action: 'soft-opt-in', method: 'sale', optOutOffered: true });
    expect(await check('offers', 'email', ['buyer@example.org'])).toEqual(['soft-opt-in']);
    // Post is not PECR electronic marketing: legitimate interests suffice.
    expect(await check('offers', 'post', ['buyer@example.org'])).toEqual(['legitimate-interest']);

    await person('business-contact', { email: 'buyer@acme-ltd.example' });
    await person('sole-trader', { email: 'jo@jos-plumbing.example' });
    const declaredCorporate = await person('sole-trader', { email: 'ops@bigco.example', subscriberType: 'corporate' });
    expect(await check('b2b', 'email', ['buyer@acme-ltd.example', 'jo@jos-plumbing.example', 'ops@bigco.example', 'buyer@example.org'])).toEqual([
      'corporate-legitimate-interest',
      'no-consent',
      'corporate-legitimate-interest',
      'relationship-not-covered',
    ]);
    // An objection from the company contact is honoured at once.
    await objectToDirectMarketing(rt, staff, declaredCorporate.id, 'email');
    expect(await check('b2b', 'email', ['ops@bigco.example'])).toEqual(['suppressed']);
  });

  it('screens calls against TPS and CTPS, blocks when the register is stale, and honours "do not call"', async () => {
    const a = await person('customer', { phone: '07700 900101' });
    await person('customer', { phone: '07700 900102' });
    await person('business-contact', { phone: '01632 960001' });
    expect(await check('offers', 'phone', ['07700900101'])).toEqual(['tps-stale']);
    await importTpsRegister(rt, dpo, 'tps', ['# TPS extract', '07700 900101', '07700900101', 'not a number', '']);
    await importTpsRegister(rt, dpo, 'ctps', ['01632960001']);
    expect(await check('offers', 'phone', ['+447700900101', '07700 900102', '01632 960001'])).toEqual(['tps-registered', 'legitimate-interest', 'relationship-not-covered']);
    expect(await check('b2b', 'phone', ['01632 960001'])).toEqual(['ctps-registered']);
    // Consent to our calls overrides TPS registration.
    await give(a.id, 'offers', ['phone'], { method: 'verbal-call', wording: 'Script 7: may we call you about offers?' });
    expect(await check('offers', 'phone', ['07700900101'])).toEqual(['consent']);
    rt.clock.advance(29 * DAY);
    expect(await check('offers', 'phone', ['07700900102'])).toEqual(['tps-stale']);
    expect((await tpsStatus(rt, staff)).map((t) => t.stale)).toEqual([true, true]);
    rt.clock.set('2026-03-02T10:00:00Z');
    await suppress(rt, staff, { identifiers: ['07700 900102'], channel: 'phone', reason: 'do-not-call' });
    expect(await check('offers', 'phone', ['07700900102'])).toEqual(['suppressed']);
    expect(await check('offers', 'sms', ['07700900102'])).toEqual(['no-consent']);
    const stored = await rt.database.db.selectFrom('tps_numbers').selectAll().execute();
    expect(JSON.stringify(stored)).not.toMatch(/7700|900101/);
    expect((await caught(importTpsRegister(rt, staff, 'tps', ['07700900101']))).code).toBe('FORBIDDEN');
  });

  it('keeps an erased person on the suppression list, with no plaintext, and blocks re-adding them', async () => {
    const s = await person('customer', { email: 'gone@example.org', phone: '07700 900555' });
    await give(s.id, 'newsletter', ['email']);
    await eraseSubject(rt, dpo, s.id, 'erasure request');
    expect(await check('newsletter', 'email', ['gone@example.org'])).toEqual(['suppressed']);
    expect(await check('offers', 'sms', ['07700900555'])).toEqual(['suppressed']);
    // Back in the register (a re-import): still suppressed, even with a fresh consent.
    const again = await person('customer', { email: 'gone@example.org' });
    const r = await give(again.id, 'newsletter', ['email']);
    expect(r.stillSuppressed).toEqual(['email']);
    expect(await check('newsletter', 'email', ['gone@example.org'])).toEqual(['suppressed']);
    const rows = await rt.database.db.selectFrom('suppressions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toMatch(/gone@|900555/);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  });

  it('withdrawal suppresses for the purpose; a fresh consent lifts only that; lifting all is for the privacy officer', async () => {
    const s = await person('customer', { email: 'optout@example.org' });
    await give(s.id, 'newsletter', ['email']);
    await recordConsent(rt, staff, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'withdrawn', method: 'unsubscribe-link' });
    expect(await check('newsletter', 'email', ['optout@example.org'])).toEqual(['suppressed']);
    const again = await give(s.id, 'newsletter', ['email'], { method: 'web' });
    expect(again.suppression.lifted).toBe(1);
    expect(await check('newsletter', 'email', ['optout@example.org'])).toEqual(['consent']);
    await suppress(rt, staff, { identifiers: ['optout@example.org'], channel: '*', reason: 'complaint' });
    expect(await check('newsletter', 'email', ['optout@example.org'])).toEqual(['suppressed']);
    expect((await caught(liftSuppression(rt, staff, { identifier: 'optout@example.org', reason: 'asked again' }))).code).toBe('FORBIDDEN');
    expect(await liftSuppression(rt, dpo, { identifier: 'OptOut@example.org', reason: 'asked to be contacted again' })).toEqual({ lifted: 1 });
    expect(await check('newsletter', 'email', ['optout@example.org'])).toEqual(['consent']);
  });

  it('imports and exports the list as hashes, plain identifiers in and never out', async () => {
    const r = await importSuppressions(rt, dpo, ['list@example.org', '07700 900999', 'nonsense', '', '# comment', 'f'.repeat(64)], { channel: '*' });
    expect(r).toMatchObject({ added: 3, rejected: [{ index: 3 }] });
    const exported = await exportSuppressions(rt, dpo);
    expect(JSON.stringify(exported)).not.toMatch(/list@|900999/);
    expect(exported.map((e) => e.hash)).toContain(rt.keyring.indexer.suppressionHash('email', 'list@example.org'));
    // Re-importing an export adds nothing.
    expect((await importSuppressions(rt, dpo, exported.filter((e) => e.channel === '*' && e.scope === '*').map((e) => e.hash), { channel: '*' })).added).toBe(0);
    expect((await caught(importSuppressions(rt, staff, ['x@example.org'], { channel: '*' }))).code).toBe('FORBIDDEN');
    expect((await caught(suppress(rt, staff, { identifiers: ['x@example.org'], channel: 'fax', reason: 'opt-out' }))).code).toBe('VALIDATION_FAILED');
    expect((await suppress(rt, staff, { identifiers: ['x@example.org'], channel: 'phone', reason: 'opt-out' })).rejected[0]!.problem).toMatch(/cannot be suppressed on the phone channel/);
  });

  it('checks an audience set-based: duplicates, bad input, unknown and restricted people, one audit entry with counts', async () => {
    const r1 = await person('customer', { email: 'restricted@example.org' });
    await give(r1.id, 'newsletter', ['email']);
    await setRestriction(rt, dpo, r1.id, true, 'accuracy contested');
    const ok = await person('customer', { email: 'fine@example.org' });
    await give(ok.id, 'newsletter', ['email']);
    const before = await rt.database.db.selectFrom('audit_log').select('seq').execute();
    const res = await checkAudience(rt, staff, {
      purpose: 'newsletter',
      channel: 'email',
      recipients: ['fine@example.org', ' FINE@example.org ', 'restricted@example.org', 'nobody@example.org', 'not-an-email', '07700900123', 'x'.repeat(400)],
    });
    expect([...res.codes].map(reasonOf)).toEqual(['consent', 'consent', 'restricted', 'unknown-person', 'invalid-identifier', 'wrong-identifier-kind', 'invalid-identifier']);
    expect(res).toMatchObject({ recipients: 7, allowed: 2, blocked: 5 });
    const after = await rt.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(after.length - before.length).toBe(1);
    const entry = after[after.length - 1]!;
    expect(entry.action).toBe('marketing.audience-check');
    expect(JSON.parse(entry.details)).toMatchObject({ channel: 'email', recipients: 7, allowed: 2, byReason: { consent: 2, restricted: 1 } });
    expect(entry.details).not.toMatch(/example\.org/);
    // The same answers by every path: table scans instead of probes, and hashing on worker threads.
    const recipients = ['fine@example.org', ' FINE@example.org ', 'restricted@example.org', 'nobody@example.org', 'not-an-email', '07700900123', 'x'.repeat(400), 'line\nbreak@example.org', 'ümlaut@example.org'];
    const plain = await checkAudience(rt, staff, { purpose: 'newsletter', channel: 'email', recipients });
    const tuned = await checkAudience(rt, staff, { purpose: 'newsletter', channel: 'email', recipients }, { workerAt: 1, scanAt: 1 });
    expect([...tuned.codes]).toEqual([...plain.codes]);
    const ranged = await checkAudience(rt, staff, { purpose: 'newsletter', channel: 'email', recipients }, { scanAt: 1, scanEntries: 3 });
    expect([...ranged.codes]).toEqual([...plain.codes]);
    const b2b = ['buyer@acme-ltd.example', 'jo@jos-plumbing.example', 'nobody@example.org'];
    expect([...(await checkAudience(rt, staff, { purpose: 'b2b', channel: 'email', recipients: b2b }, { scanAt: 1 })).codes]).toEqual([...(await checkAudience(rt, staff, { purpose: 'b2b', channel: 'email', recipients: b2b })).codes]);
    expect((await caught(checkAudience(rt, staff, { purpose: 'service', channel: 'email', recipients: ['a@b.co'] }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(checkAudience(rt, staff, { purpose: 'newsletter', channel: 'sms', recipients: ['a@b.co'] }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(checkAudience(rt, staff, { purpose: 'newsletter', channel: 'email', recipients: [] }))).code).toBe('VALIDATION_FAILED');
    expect((await caught(checkAudience(rt, auditor, { purpose: 'newsletter', channel: 'email', recipients: ['a@b.co'] }))).code).toBe('FORBIDDEN');
  });
});
