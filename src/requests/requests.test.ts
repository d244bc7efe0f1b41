import path from 'node:path';
import { listAudit } from '../audit/audit.service.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { aPerson } from '../../test/support/factories.js';
import { caught } from '../../test/support/errors.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { recordConsent } from '../consent/consent.service.js';
import { placeHold } from '../retention/holds.service.js';
import { createSubject, setRestriction } from '../register/register.service.js';
import { getSubject } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';
import { requestDeadline } from './requests.clock.js';
import { fulfilRequest } from './requests.fulfil.js';
import { liftRestriction } from './requests.fulfil.corrections.js';
import { downloadPack, purgeExpiredPacks } from './requests.pack-links.js';
import { sendRequestReminders } from './requests.reminders.js';
import {
  completeTask,
  confirmMatch,
  extendRequest,
  getRequest,
  matchRequest,
  openRequest,
  overdueRequests,
  pauseRequest,
  refuseRequest,
  resumeRequest,
  verifyRequest,
  withdrawRequest,
  type OpenInput,
} from './requests.service.js';
import { unzipFiles } from './requests.zip.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const dpo = actorWith('dpo');
const staff = actorWith('staff');

describe('the clock of a request (Art 12(3) and Art 12A UK GDPR)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('sqlite', { policyFile: POLICY });
  });
  afterAll(async () => rt?.close());
  const row = (received: string, extra: Partial<{ id: string; authority: string; pauses: Array<{ from: string; to: string | null }>; extended: boolean }> = {}) => ({
    received_on: received,
    id_received_on: extra.id ?? null,
    authority_received_on: extra.authority ?? null,
    pauses: JSON.stringify(extra.pauses ?? []),
    extended: extra.extended ? 1 : 0,
  });

  it.each([
    ['2024-01-31', '2024-02-29'],
    ['2025-01-31', '2025-02-28'],
    ['2026-01-31', '2026-03-02'],
    ['2026-03-31', '2026-04-30'],
    ['2024-11-25', '2024-12-27'],
  ])('received %s is due %s', (received, due) => {
    expect(requestDeadline(rt.policy, row(received), '2026-06-01').due).toBe(due);
  });

  it('extended: received Sun 30 Nov 2025 is due Mon 2 Mar 2026, notice by Tue 30 Dec 2025', () => {
    const r = requestDeadline(rt.policy, row('2025-11-30', { extended: true }), '2026-06-01');
    expect(r.due).toBe('2026-03-02');
    expect(r.extension.noticeDue).toBe('2025-12-30');
  });

  it('starts on the latest of receipt, ID and authority; pauses move it; an open pause runs to today', () => {
    expect(requestDeadline(rt.policy, row('2025-01-31', { id: '2025-02-10' }), '2026-06-01').due).toBe('2025-03-10');
    expect(requestDeadline(rt.policy, row('2025-01-31', { id: '2025-02-03', authority: '2025-02-10' }), '2026-06-01').due).toBe('2025-03-10');
    // 28 Feb 2025 + 5 paused days (both ends count) = 5 March 2025.
    expect(requestDeadline(rt.policy, row('2025-01-31', { pauses: [{ from: '2025-02-03', to: '2025-02-07' }] }), '2026-06-01').due).toBe('2025-03-05');
    expect(requestDeadline(rt.policy, row('2025-01-31', { pauses: [{ from: '2025-02-03', to: null }] }), '2025-02-07').due).toBe('2025-03-05');
  });

  it('uses the declared fixed 28 days', () => {
    const fixed = { ...rt.policy, policy: { ...rt.policy.policy, rights: { ...rt.policy.policy.rights, response_period: '28-days' as const } } };
    expect(requestDeadline(fixed, row('2025-09-03'), '2026-06-01').due).toBe('2025-09-30');
  });
});

describe.each(dialects)('rights requests on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
    rt.clock.set('2026-03-02T10:00:00Z');
  });
  afterAll(async () => rt?.close());

  let n = 0;
  async function customer(opts: { consent?: boolean } = {}) {
    n++;
    const email = `person${n}@example.com`;
    const s = await createSubject(rt, dpo, {
      relationships: [{ relationship: 'customer' }],
      records: [
        { category: 'name', value: `Person ${n}` },
        { category: 'email-address', value: email },
        { category: 'phone', value: '+447700900123' },
        { category: 'orders', value: 'Order 1: laptop' },
        { category: 'call-notes', text: `Called about delivery; neighbour Jane Smith took the parcel.`, channel: 'phone' },
        { category: 'segment', value: 'high-value' },
      ],
    });
    if (opts.consent) await recordConsent(rt, dpo, { subjectId: s.id, purpose: 'newsletter', channels: ['email'], action: 'given', method: 'web-form', wording: 'Yes, send me the newsletter' });
    return { id: s.id, email, records: s.records };
  }

  async function ready(type: OpenInput['type'], email: string) {
    const opened = await openRequest(rt, staff, { type, channel: 'email', receivedOn: '2026-03-02', requester: { name: 'A Person', email } });
    expect(opened.status).toBe('identity-pending');
    const verified = await verifyRequest(rt, dpo, opened.reference, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-02' });
    expect(verified.status).toBe('open');
    expect(verified.dueOn).toBe('2026-04-02');
    const { candidates } = await matchRequest(rt, dpo, opened.reference);
    if (candidates.length === 1) await confirmMatch(rt, dpo, opened.reference, candidates[0]!.id);
    return { ref: opened.reference, candidates };
  }

  it('refuses document numbers and unknown evidence; ID arriving later moves the start', async () => {
    const c = await customer();
    const r = await openRequest(rt, staff, { type: 'access', channel: 'letter', receivedOn: '2026-02-20', requester: { address: '1 High Street' } });
    await expect(verifyRequest(rt, dpo, r.id, { evidence: ['passport'], note: 'passport 123456789' })).rejects.toMatchObject({ code: 'FORBIDDEN_DATA' });
    await expect(verifyRequest(rt, dpo, r.id, { evidence: ['123456789'] })).rejects.toMatchObject({ code: 'FORBIDDEN_DATA' });
    await expect(verifyRequest(rt, dpo, r.id, { evidence: ['library-card'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const one = await verifyRequest(rt, dpo, r.id, { evidence: ['passport'], receivedOn: '2026-02-25' });
    expect(one.status).toBe('identity-pending');
    const two = await verifyRequest(rt, dpo, r.id, { evidence: ['bank-statement'], receivedOn: '2026-02-27' });
    expect(two.status).toBe('open');
    expect(two.start).toBe('2026-02-27');
    expect(two.dueOn).toBe('2026-03-27');
    expect(two.doc.identity.map((e) => e.kind)).toEqual(['passport', 'bank-statement']);
    await expect(openRequest(rt, actorWith('auditor'), { type: 'access', channel: 'email', requester: { email: c.email } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a representative: the clock starts when the authority arrives', async () => {
    const r = await openRequest(rt, staff, { type: 'access', channel: 'letter', receivedOn: '2026-02-02', requester: { address: '1 High St' }, representative: { name: 'Sol Icitor', acting: 'solicitor' }, identity: ['passport', 'utility-bill'] });
    expect(r.status).toBe('identity-pending');
    const v = await verifyRequest(rt, dpo, r.id, { authority: 'signed-authority', receivedOn: '2026-02-09' });
    expect(v.status).toBe('open');
    expect(v.start).toBe('2026-02-09');
    expect(v.dueOn).toBe('2026-03-09');
  });

  it('access: pack with every record as JSON and CSV and the supplementary information, redacted, behind an expiring link', async () => {
    const c = await customer();
    const { ref } = await ready('access', c.email);
    const note = c.records.find((r) => r.category === 'call-notes')!;
    const done = await fulfilRequest(rt, dpo, ref, { redactions: [{ recordId: note.id, find: ['Jane Smith'] }] });
    expect(done.view.status).toBe('completed');
    expect(done.letter!.kind).toBe('access');
    expect(done.letter!.text).toContain('Information Commissioner');
    const link = String(done.view.doc.result!.link);
    const token = new URL(link, 'http://x').searchParams.get('t')!;
    const pack = await downloadPack(rt, token);
    const files = await unzipFiles(pack!.data);
    const records = JSON.parse(files.get('records.json')!.toString()) as Array<{ category: string; text?: string }>;
    expect(records).toHaveLength(6);
    expect(records.find((r) => r.category === 'call-notes')!.text).toContain('[redacted]');
    expect(files.get('records.csv')!.toString()).not.toContain('Jane Smith');
    const html = files.get('your-information.html')!.toString();
    for (const s of ['Keeping tax records', 'Legal obligation', 'HM Revenue', 'Information Commissioner', '6 years']) expect(html).toContain(s);
    // Not yet expired: the purge leaves it alone.
    expect(await purgeExpiredPacks(rt, dpo)).toEqual({ purged: 0, bytes: 0 });
    rt.clock.advance(31 * 86_400_000);
    expect(await downloadPack(rt, token)).toBeUndefined();
    // Expired: its content is emptied, the row and the audit entry say what was released.
    const stored = () => rt.database.db.selectFrom('request_packs').select(['content', 'size', 'downloads']).execute();
    expect((await stored()).every((p) => p.content.length > 0)).toBe(true);
    const purged = await purgeExpiredPacks(rt, dpo);
    expect(purged.purged).toBe(1);
    expect(purged.bytes).toBeGreaterThan(0);
    expect((await stored()).map((p) => ({ empty: p.content.length === 0, size: Number(p.size) > 0, downloads: Number(p.downloads) }))).toEqual([{ empty: true, size: true, downloads: 1 }]);
    expect(await purgeExpiredPacks(rt, dpo)).toEqual({ purged: 0, bytes: 0 });
    expect((await listAudit(rt.database.db, { action: 'request.pack.purge', limit: 5 })).entries).toHaveLength(1);
    rt.clock.set('2026-03-02T10:00:00Z');
    expect(await downloadPack(rt, `${token.slice(0, -2)}xx`)).toBeUndefined();
  });

  it('never answers on stale terms: a pause that lands while the pack is being built wins', async () => {
    const c = await customer();
    const { ref } = await ready('access', c.email);
    // The answer reads the request, then the register (which reads the clock for its audit entry),
    // then builds the pack, then writes. The pause is made at that first reading of the clock:
    // after the answer has read the request, before it writes.
    let pausing: Promise<unknown> | undefined;
    const clock = { now: () => ((pausing ??= pauseRequest(rt, dpo, ref, { question: 'Which account do you mean?' })), rt.clock.now()) };
    const answering = fulfilRequest({ ...rt, clock } as typeof rt, dpo, ref);
    expect((await caught(answering)).code).toBe('CONFLICT');
    await pausing;
    expect((await getRequest(rt, dpo, ref)).status).toBe('paused');
    expect(await rt.database.db.selectFrom('request_packs').select('id').where('request_id', '=', (await getRequest(rt, dpo, ref)).id).execute()).toEqual([]);
  });

  it('access with no one in the register: the "we hold nothing" letter', async () => {
    const { ref, candidates } = await ready('access', 'nobody@example.com');
    expect(candidates).toEqual([]);
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('no-data');
    expect(done.letter!.text).toContain('do not process any personal data');
  });

  it('portability: only data the person provided, on consent or contract', async () => {
    const c = await customer();
    const { ref } = await ready('portability', c.email);
    const done = await fulfilRequest(rt, dpo, ref);
    const token = new URL(String(done.view.doc.result!.link), 'http://x').searchParams.get('t')!;
    const files = await unzipFiles((await downloadPack(rt, token))!.data);
    const cats = (JSON.parse(files.get('records.json')!.toString()) as Array<{ category: string }>).map((r) => r.category).sort();
    expect(cats).toEqual(['email-address', 'name', 'phone']);
    expect(done.letter!.kind).toBe('portability');
  });

  it('erasure: keeps held and legally required data, says why and until when, suppresses, Art 19 tasks', async () => {
    const c = await customer();
    await placeHold(rt, dpo, { subjectId: c.id, category: 'call-notes', reason: 'claim 2026/1', reviewOn: '2026-06-01', expiresOn: '2026-12-31' });
    const { ref } = await ready('erasure', c.email);
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('partly-erased');
    const lines = done.view.doc.result!.categories as Array<{ category: string; erased: number; kept: number; until?: string | null; why?: string }>;
    const by = Object.fromEntries(lines.map((l) => [l.category, l]));
    expect(by['call-notes']).toMatchObject({ erased: 0, kept: 1, until: '2026-12-31' });
    expect(by['orders']).toMatchObject({ erased: 0, kept: 1 });
    expect(by['orders']!.why).toContain('law requires');
    expect(by['name']).toMatchObject({ erased: 1, kept: 0 });
    expect(done.letter!.text).toContain('Erased');
    const left = await getSubject(rt, dpo, c.id, RIGHTS_REQUEST_PURPOSE);
    expect(left.records.map((r) => r.category).sort()).toEqual(['call-notes', 'orders']);
    const sup = await rt.database.db.selectFrom('suppressions').select('reason').where('reason', '=', 'erasure').execute();
    expect(sup.length).toBeGreaterThan(0);
    expect(done.view.tasks.map((t) => t.recipient)).toEqual(['courier']);
    const after = await completeTask(rt, dpo, ref, done.view.tasks[0]!.id);
    expect(after.tasks[0]!.status).toBe('done');
  });

  it('erasure with nothing to keep destroys the key', async () => {
    const s = await aPerson(rt, { email: 'gone@example.com', name: 'Gone' }, dpo);
    const { ref } = await ready('erasure', 'gone@example.com');
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('erased');
    expect(done.view.doc.result!.keyDestroyed).toBe(true);
    const key = await rt.database.db.selectFrom('subject_keys').select('wrapped_key').where('subject_id', '=', s.id).executeTakeFirstOrThrow();
    expect(key.wrapped_key).toBeNull();
  });

  it('rectification: before/after digests in the audit trail, never the values', async () => {
    const c = await customer();
    const { ref } = await ready('rectification', c.email);
    const name = c.records.find((r) => r.category === 'name')!;
    const done = await fulfilRequest(rt, dpo, ref, { changes: [{ recordId: name.id, value: 'Corrected Name' }] });
    expect(done.view.outcome).toBe('rectified');
    expect(done.letter!.kind).toBe('rectification');
    expect(done.view.tasks.map((t) => t.recipient)).toEqual(['courier']);
    const rows = await rt.database.db.selectFrom('audit_log').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('Corrected Name');
    expect(JSON.stringify(rows)).not.toContain(c.email);
    const ev = (await getRequest(rt, dpo, ref, { history: true })).history!.find((e) => e.type === 'fulfilled')!;
    const d = (ev.details.digests as Array<{ before: string; after: string }>)[0]!;
    expect(d.before).not.toBe(d.after);
  });

  it('rectification by a staff token is refused before anything changes, even for a restricted person', async () => {
    const c = await customer();
    const { ref } = await ready('rectification', c.email);
    await setRestriction(rt, dpo, c.id, true, 'accuracy contested');
    const name = c.records.find((r) => r.category === 'name')!;
    const before = await rt.database.db.selectFrom('records').select(['ciphertext', 'updated_at']).where('id', '=', name.id).executeTakeFirstOrThrow();
    const auditBefore = (await rt.database.db.selectFrom('audit_log').select('seq').execute()).length;
    const e = await caught(fulfilRequest(rt, actorWith('staff'), ref, { changes: [{ recordId: name.id, value: 'Changed By Staff' }] }));
    expect(e.code).toBe('FORBIDDEN');
    const after = await rt.database.db.selectFrom('records').select(['ciphertext', 'updated_at']).where('id', '=', name.id).executeTakeFirstOrThrow();
    expect(after.ciphertext.equals(before.ciphertext)).toBe(true);
    expect(after.updated_at).toBe(before.updated_at);
    expect((await rt.database.db.selectFrom('audit_log').select('seq').execute()).length).toBe(auditBefore);
    expect((await getRequest(rt, dpo, ref)).status).not.toBe('completed');
    // The privacy officer can, as part of the request (the purpose lets a restricted record be used for it).
    const done = await fulfilRequest(rt, dpo, ref, { changes: [{ recordId: name.id, fields: { value: 'Corrected Name' } }] });
    expect(done.view.outcome).toBe('rectified');
    await setRestriction(rt, dpo, c.id, false, 'accuracy settled');
  });

  it('restriction: restricted, then lifted only with a record that the person was told', async () => {
    const c = await customer();
    const { ref } = await ready('restriction', c.email);
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('restricted');
    await expect(getSubject(rt, dpo, c.id)).rejects.toMatchObject({ code: 'RESTRICTED' });
    await expect(liftRestriction(rt, dpo, ref, { toldOn: '', method: 'email' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const lifted = await liftRestriction(rt, dpo, ref, { toldOn: '2026-03-02', method: 'email' });
    expect(lifted.view.outcome).toBe('restriction-lifted');
    expect((await getSubject(rt, dpo, c.id)).restricted).toBe(false);
  });

  it('objection to legitimate interests: stopped, or refused on compelling grounds', async () => {
    const c = await customer();
    const { ref } = await ready('objection', c.email);
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('objection-upheld');
    expect(done.letter!.text).toContain('Customer analytics');
    const left = await getSubject(rt, dpo, c.id);
    expect(left.records.some((r) => r.category === 'segment')).toBe(false);
    expect(left.records.find((r) => r.category === 'email-address')!.purposes.map((p) => p.purpose)).not.toContain('analytics');

    const c2 = await customer();
    const second = await ready('objection', c2.email);
    const refused = await fulfilRequest(rt, dpo, second.ref, { compellingGrounds: 'Fraud prevention on this account.' });
    expect(refused.view.outcome).toBe('objection-refused');
    expect(refused.letter!.text).toContain('courts');
  });

  it('direct-marketing objection is absolute and suppresses; withdrawal of consent is recorded', async () => {
    const c = await customer({ consent: true });
    const { ref } = await ready('marketing-objection', c.email);
    const done = await fulfilRequest(rt, dpo, ref);
    expect(done.view.outcome).toBe('marketing-stopped');
    expect(Number(done.view.doc.result!.suppressed)).toBeGreaterThan(0);

    const c2 = await customer({ consent: true });
    const w = await ready('withdraw-consent', c2.email);
    const wd = await fulfilRequest(rt, dpo, w.ref);
    expect(wd.view.outcome).toBe('consent-withdrawn');
    expect(wd.letter!.text).toContain('Newsletter');
    const state = await rt.database.db.selectFrom('consent_state').select('status').where('subject_id', '=', c2.id).executeTakeFirstOrThrow();
    expect(state.status).toBe('withdrawn');
  });

  it('pause, resume, one extension with notice, refusal and withdrawal letters', async () => {
    const c = await customer();
    const { ref } = await ready('access', c.email);
    rt.clock.set('2026-03-05T10:00:00Z');
    const p = await pauseRequest(rt, dpo, ref, { askedOn: '2026-03-05', question: 'Which account do you mean?' });
    expect(p.status).toBe('paused');
    expect(p.doc.letters.at(-1)!.kind).toBe('clarification');
    rt.clock.set('2026-03-09T10:00:00Z');
    const r = await resumeRequest(rt, dpo, ref, { answeredOn: '2026-03-09' });
    // 2 April + 5 paused days = 7 April 2026 (6 April is Easter Monday) → 7 April.
    expect(r.dueOn).toBe('2026-04-07');
    const e = await extendRequest(rt, dpo, ref, { reasons: 'Many years of call notes to review.' });
    expect(e.status).toBe('extended');
    expect(e.doc.letters.at(-1)!.kind).toBe('extension');
    await expect(extendRequest(rt, dpo, ref, { reasons: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const refused = await refuseRequest(rt, dpo, ref, { reason: 'manifestly-excessive', explanation: 'The fifth identical request this month.' });
    expect(refused.letter!.text).toMatch(/complain to the Information Commissioner/);
    expect(refused.letter!.text).toContain('courts');
    rt.clock.set('2026-03-02T10:00:00Z');

    const w = await ready('access', c.email);
    const wd = await withdrawRequest(rt, dpo, w.ref);
    expect(wd.status).toBe('withdrawn');
  });

  it('overdue list and idempotent reminders to the privacy officer', async () => {
    const c = await customer();
    const { ref } = await ready('access', c.email);
    rt.clock.set('2026-03-31T09:00:00Z');
    const first = await sendRequestReminders(rt);
    expect(first.sent).toBeGreaterThan(0);
    const again = await sendRequestReminders(rt);
    expect(again.sent).toBe(0);
    rt.clock.set('2026-04-03T09:00:00Z');
    expect((await overdueRequests(rt, staff)).map((r) => r.reference)).toContain(ref);
    rt.clock.set('2026-03-02T10:00:00Z');
  });
});
