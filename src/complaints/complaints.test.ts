import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../audit/audit.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { publishNotice } from '../policy/publishing.service.js';
import { sendComplaintReminders } from './complaints.reminders.js';
import { ackDueOn, acknowledgeComplaint, addStep, closeComplaint, getComplaint, listComplaints, logComplaint } from './complaints.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/publishing/clean.yaml');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

describe('the acknowledgement clock', () => {
  it('gives 30 days beginning with the day of receipt, weekends and month ends included', () => {
    expect(ackDueOn('2026-06-19')).toBe('2026-07-18');
    expect(ackDueOn('2026-01-31')).toBe('2026-03-01');
    expect(ackDueOn('2028-02-01')).toBe('2028-03-01');
  });
});

describe.each(dialects)('complaints on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  const dpo = actorWith('dpo');

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: POLICY, smtpUrl: smtp.url });
    rt.clock.set('2026-07-01T10:00:00Z');
    await publishNotice(rt, actorWith('owner'));
    app = await buildApp({ ...rt, logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  const codeFor = async (email: string, after: number): Promise<string> => {
    await smtp.waitFor(after + 1);
    const mail = smtp.messages.slice(after).find((m) => m.envelopeTo.includes(email))!;
    return /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
  };

  it('takes a complaint on the public form, acknowledges it on the 30-day clock and closes it with an outcome letter', async () => {
    const start = await app.inject('/privacy/complaints');
    expect(start.statusCode).toBe(200);
    expect(start.headers['content-security-policy']).toContain("default-src 'none'");
    expect(start.body).toContain('action="/privacy/complaints/code"');

    const before = smtp.messages.length;
    const asked = await app.inject({ method: 'POST', url: '/privacy/complaints/code', headers: FORM, payload: form({ email: 'kim@example.com' }) });
    expect(asked.statusCode).toBe(200);
    const code = await codeFor('kim@example.com', before);
    expect(smtp.messages.at(-1)!.subject).toContain('a complaint');

    const wrong = await app.inject({ method: 'POST', url: '/privacy/complaints/submit', headers: FORM, payload: form({ email: 'kim@example.com', code: code === '000000' ? '111111' : '000000', summary: 'You kept emailing me' }) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('You kept emailing me');
    const sent = smtp.messages.length;
    const done = await app.inject({ method: 'POST', url: '/privacy/complaints/submit', headers: FORM, payload: form({ email: 'kim@example.com', code, name: 'Kim Example', summary: 'You kept emailing me after I unsubscribed' }) });
    expect(done.statusCode).toBe(201);
    const reference = /CP-2026-\d{3}/.exec(done.body)![0];
    // A code for a complaint is spent once.
    expect((await app.inject({ method: 'POST', url: '/privacy/complaints/submit', headers: FORM, payload: form({ email: 'kim@example.com', code, summary: 'again' }) })).statusCode).toBe(400);

    await smtp.waitFor(sent + 1);
    const ack = smtp.messages.slice(sent).find((m) => m.subject?.includes(reference))!;
    expect(ack.subject).toBe(`We have received your complaint ${reference}`);
    expect(ack.text).toContain('Dear Kim Example');
    expect(ack.text).toContain("Information Commissioner's Office");

    const v = await getComplaint(rt, dpo, reference);
    expect(v).toMatchObject({ channel: 'web', status: 'acknowledged', receivedOn: '2026-07-01', ackDueOn: '2026-07-30', acknowledgedOn: '2026-07-01', ackOverdue: false, noticeHash: rt.policy.hash });
    expect(v.doc.summary).toBe('You kept emailing me after I unsubscribed');

    await addStep(rt, dpo, reference, { text: 'We checked the suppression list and the campaign log.', inform: true });
    await addStep(rt, dpo, reference, { text: 'Internal note: Sam ran the campaign.' });
    rt.clock.set('2026-07-08T09:00:00Z');
    const closing = smtp.messages.length;
    const closed = await closeComplaint(rt, dpo, reference, { outcome: 'upheld', explanation: 'A campaign was sent from an old list; we have removed it and added a check.' });
    expect(closed.view).toMatchObject({ status: 'closed', closedOn: '2026-07-08', outcome: 'upheld' });
    await smtp.waitFor(closing + 1);
    const outcome = smtp.messages.slice(closing).find((m) => m.subject === `Your complaint ${reference}: our answer`)!;
    expect(outcome.text).toContain('We agree with your complaint.');
    expect(outcome.text).toContain('We checked the suppression list');
    expect(outcome.text).not.toContain('Internal note');
    expect(closed.view.doc.letters.map((l) => l.kind)).toEqual(['acknowledgement', 'progress', 'outcome']);
    expect(await acknowledgeComplaint(rt, dpo, reference).catch((e: { code: string }) => e.code)).toBe('CONFLICT');

    // Nothing personal in the audit trail.
    const audit = await listAudit(rt.database.db, { limit: 50 });
    expect(JSON.stringify(audit.entries)).not.toMatch(/kim@example|Kim Example|emailing/);
  });

  it('logs a complaint from another channel, reminds before the acknowledgement is due, and flags it overdue', async () => {
    rt.clock.set('2026-07-10T10:00:00Z');
    expect(await logComplaint(rt, actorWith('auditor'), { channel: 'phone', complainant: { phone: '01234 567890' }, summary: 'x' }).catch((e: { code: string }) => e.code)).toBe('FORBIDDEN');
    expect(await logComplaint(rt, actorWith('staff'), { channel: 'phone', complainant: {}, summary: 'x' }).catch((e: { code: string }) => e.code)).toBe('VALIDATION_FAILED');
    expect(await logComplaint(rt, actorWith('staff'), { channel: 'letter', receivedOn: '2026-07-11', complainant: { address: '1 Road' }, summary: 'x' }).catch((e: { code: string }) => e.code)).toBe('VALIDATION_FAILED');
    const v = await logComplaint(rt, actorWith('staff'), { channel: 'letter', receivedOn: '2026-07-06', complainant: { name: 'Lee', address: '2 High Street, Town' }, summary: 'My address was shared with a courier I never used' });
    expect(v).toMatchObject({ status: 'received', ackDueOn: '2026-08-04', acknowledgedOn: null });
    expect(await addStep(rt, actorWith('staff'), v.reference, { text: 'x' }).catch((e: { code: string }) => e.code)).toBe('FORBIDDEN');

    expect((await sendComplaintReminders(rt, new Date('2026-07-20T10:00:00Z'))).sent).toBe(0);
    const mails = smtp.messages.length;
    expect((await sendComplaintReminders(rt, new Date('2026-07-29T10:00:00Z'))).sent).toBe(1);
    expect((await sendComplaintReminders(rt, new Date('2026-07-29T11:00:00Z'))).sent).toBe(0);
    expect((await sendComplaintReminders(rt, new Date('2026-08-05T10:00:00Z'))).sent).toBe(1);
    await smtp.waitFor(mails + 2);
    expect(smtp.messages.slice(mails).map((m) => m.subject)).toEqual([
      `[Clean Example] Complaint ${v.reference}: acknowledgement is due by 2026-08-04`,
      `[Clean Example] Complaint ${v.reference}: acknowledgement was due on 2026-08-04 and is OVERDUE`,
    ]);
    rt.clock.set('2026-08-05T12:00:00Z');
    const listed = await listComplaints(rt, dpo, { status: 'received' });
    expect(listed.find((c) => c.reference === v.reference)?.ackOverdue).toBe(true);
    const acked = await acknowledgeComplaint(rt, dpo, v.reference);
    // No email: the letter is kept for posting.
    expect(acked.letter?.sentTo).toBe('post');
  });

  it('serves the staff API', async () => {
    const { createUser, login } = await import('../auth/auth.service.js');
    const made = await createUser(rt, actorWith('owner'), { username: 'cp-dpo', role: 'dpo' });
    const token = (await login(rt, 'cp-dpo', made.password, '127.0.0.1')).token;
    const h = { authorization: `Bearer ${token}` };
    expect((await app.inject({ url: '/api/v1/complaints' })).statusCode).toBe(401);
    const created = await app.inject({ method: 'POST', url: '/api/v1/complaints', headers: h, payload: { channel: 'email', complainant: { email: 'ro@example.com' }, summary: 'Too many calls' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect((await app.inject({ method: 'POST', url: `/api/v1/complaints/${id}/close`, headers: h, payload: { outcome: 'maybe', explanation: 'x' } })).statusCode).toBe(400);
    const closed = await app.inject({ method: 'POST', url: `/api/v1/complaints/${id}/close`, headers: h, payload: { outcome: 'not-upheld', explanation: 'We called once, as you asked.' } });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'not-upheld' });
    expect((await app.inject({ url: '/api/v1/complaints/CP-1999-001', headers: h })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/complaints/nonsense', headers: h })).statusCode).toBe(400);
    const list = await app.inject({ url: '/api/v1/complaints', headers: h });
    expect(list.json().complaints.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(list.json())).not.toContain('ro@example.com');
  });
});
