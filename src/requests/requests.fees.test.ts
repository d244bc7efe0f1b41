import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../audit/audit.service.js';
import { dialects } from '../../test/support/databases.js';
import { caught } from '../../test/support/errors.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { feeReceivedForClock } from './requests.clock.js';
import { askFee, formatPounds, MAX_FEE_PENCE, parseAmount, recordFeeReceived, waiveFee } from './requests.fees.js';
import { fulfilRequest } from './requests.fulfil.js';
import { presentRequest } from './requests.presenter.js';
import { extendRequest, getRequest, listRequests, openRequest, overdueRequests, pauseRequest, verifyRequest, withdrawRequest, type OpenInput } from './requests.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const dpo = actorWith('dpo');
const staff = actorWith('staff');
const EXPLANATION = 'The twelfth identical request this quarter, each answered in full.';

describe('fee amounts', () => {
  it('reads pounds and pence exactly, within the bounds', () => {
    expect(parseAmount('10.00')).toBe(1000);
    expect(parseAmount('10')).toBe(1000);
    expect(parseAmount('10.5')).toBe(1050);
    expect(parseAmount(' £0.01 ')).toBe(1);
    expect(parseAmount('1000.00')).toBe(MAX_FEE_PENCE);
    for (const bad of ['-5.00', '0', '0.00', '10.001', '1000.01', '1e3', '10,00', '', 'ten', '.50']) {
      expect(() => parseAmount(bad), bad).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
    expect(() => parseAmount(10 as unknown as string)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(formatPounds(1050)).toBe('£10.50');
    expect(formatPounds(100_000)).toBe('£1,000.00');
  });

  it('an awaited fee counts as arriving today: the start can be no earlier', () => {
    expect(feeReceivedForClock({ fee_asked_on: null, fee_received_on: null }, '2026-03-09')).toBeNull();
    expect(feeReceivedForClock({ fee_asked_on: '2026-03-04', fee_received_on: null }, '2026-03-09')).toBe('2026-03-09');
    expect(feeReceivedForClock({ fee_asked_on: '2026-03-04', fee_received_on: '2026-03-06' }, '2026-03-09')).toBe('2026-03-06');
  });
});

describe.each(dialects)('fees on rights requests on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => rt?.close());

  let n = 0;
  /** A request whose identity was checked on arrival, so its clock starts the day it was received. */
  async function open(receivedOn: string, type: OpenInput['type'] = 'access', identity = ['passport', 'utility-bill']) {
    n++;
    return openRequest(rt, staff, { type, channel: 'email', receivedOn, requester: { name: `Fee Person ${n}`, email: `fee${n}@example.com` }, identity });
  }

  it('worked example: received Mon 2 Mar 2026, fee asked Wed 4 Mar, paid Mon 9 Mar → due Thu 9 Apr 2026', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const r = await open('2026-03-02');
    expect(r.status).toBe('open');
    // Without a fee: one month from Mon 2 March is Thu 2 April 2026, a working day.
    expect(r.dueOn).toBe('2026-04-02');

    rt.clock.set('2026-03-04T11:00:00Z');
    const asked = await askFee(rt, dpo, r.reference, { amount: '10.00', reason: 'excessive', explanation: EXPLANATION });
    expect(asked.status).toBe('fee-pending');
    expect(asked.clockStarted).toBe(false);
    expect(asked.feeAskedOn).toBe('2026-03-04');
    expect(asked.overdue).toBe(false);
    // Waiting: if the fee arrived today (Wed 4 Mar) it would be due Sat 4 Apr → Mon 6 Apr is
    // Easter Monday → Tue 7 Apr. The date moves on while the fee is awaited; nothing counts down.
    expect(asked.dueOn).toBe('2026-04-07');
    const letter = asked.doc.letters.at(-1)!;
    expect(letter.kind).toBe('fee-request');
    for (const s of ['£10.00', 'manifestly excessive', EXPLANATION, 'starts on the day it arrives', 'Information Commissioner', 'courts', r.reference]) expect(letter.text).toContain(s);
    rt.clock.set('2026-03-06T11:00:00Z');
    expect((await getRequest(rt, dpo, r.reference)).dueOn).toBe('2026-04-07');
    rt.clock.set('2026-03-09T09:00:00Z');
    expect((await listRequests(rt, dpo, { status: 'fee-pending' })).find((s) => s.reference === r.reference)?.dueOn).toBe('2026-04-09');
    // Fulfilling, pausing or extending waits for the fee.
    expect((await caught(fulfilRequest(rt, dpo, r.reference))).code).toBe('CONFLICT');
    expect((await caught(pauseRequest(rt, dpo, r.reference, { question: 'Which account?' }))).code).toBe('CONFLICT');
    expect((await caught(extendRequest(rt, dpo, r.reference, { reasons: 'Many records.' }))).code).toBe('CONFLICT');

    const paid = await recordFeeReceived(rt, dpo, r.reference, { receivedOn: '2026-03-09' });
    expect(paid.status).toBe('open');
    expect(paid.clockStarted).toBe(true);
    expect(paid.start).toBe('2026-03-09');
    // Start Mon 9 March (the latest of receipt, ID and fee) → the same date next month, Thu 9 April 2026.
    expect(paid.dueOn).toBe('2026-04-09');
    expect(paid.feeReceivedOn).toBe('2026-03-09');
    expect(paid.doc.letters.at(-1)!.kind).toBe('fee-received');
    expect(paid.doc.letters.at(-1)!.text).toContain('9 April 2026');
    const stored = await rt.database.db.selectFrom('requests').select(['status', 'due_on', 'fee_asked_on', 'fee_received_on']).where('id', '=', r.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'open', due_on: '2026-04-09', fee_asked_on: '2026-03-04', fee_received_on: '2026-03-09' });
    expect(presentRequest(paid).fees).toEqual([
      expect.objectContaining({ status: 'received', amountPence: 1000, amount: '10.00', reason: 'excessive', explanation: EXPLANATION, askedOn: '2026-03-04', receivedOn: '2026-03-09' }),
    ]);

    // History and audit: each change is an event; neither holds the amount or the explanation.
    const history = (await getRequest(rt, dpo, r.reference, { history: true })).history!;
    const fees = history.filter((e) => e.type.startsWith('fee-'));
    expect(fees.map((e) => e.type)).toEqual(['fee-requested', 'fee-received']);
    expect(fees[0]!.details).toEqual({ reason: 'excessive', askedOn: '2026-03-04', letter: 'fee-request' });
    expect(fees[1]!.details).toEqual({ askedOn: '2026-03-04', receivedOn: '2026-03-09', letter: 'fee-received' });
    const requested = (await listAudit(rt.database.db, { action: 'request.fee-requested', limit: 50 })).entries.find((e) => e.details.request === r.id)!;
    expect(requested.details).toEqual({ request: r.id, reference: r.reference, type: 'access', status: 'fee-pending', reason: 'excessive' });
    const received = (await listAudit(rt.database.db, { action: 'request.fee-received', limit: 50 })).entries.find((e) => e.details.request === r.id)!;
    expect(received.details).toEqual({ request: r.id, reference: r.reference, type: 'access', status: 'open', reason: 'excessive' });
    const everything = JSON.stringify([await rt.database.db.selectFrom('audit_log').selectAll().execute(), await rt.database.db.selectFrom('request_events').selectAll().execute()]);
    expect(everything).not.toContain('twelfth identical');
    expect(everything).not.toContain('£10');
    expect(everything).not.toContain(`fee${n}@example.com`);
  });

  it('waiving the fee restores the original due date, with the reason kept and a letter', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const r = await open('2026-03-02');
    rt.clock.set('2026-03-04T10:00:00Z');
    await askFee(rt, dpo, r.id, { amount: '25', reason: 'manifestly-unfounded', explanation: 'Made only to disrupt the business, as the requester said.' });
    rt.clock.set('2026-03-05T10:00:00Z');
    expect((await caught(waiveFee(rt, dpo, r.id, { reason: '  ' }))).code).toBe('VALIDATION_FAILED');
    const waived = await waiveFee(rt, dpo, r.id, { reason: 'On review the request is a genuine one.' });
    expect(waived.status).toBe('open');
    expect(waived.clockStarted).toBe(true);
    expect(waived.start).toBe('2026-03-02');
    expect(waived.dueOn).toBe('2026-04-02');
    expect(waived.feeAskedOn).toBeNull();
    expect(presentRequest(waived).fees).toEqual([expect.objectContaining({ status: 'waived', amount: '25.00', waiverReason: 'On review the request is a genuine one.', waivedBy: dpo.id })]);
    const letter = waived.doc.letters.at(-1)!;
    expect(letter.kind).toBe('fee-waived');
    for (const s of ['£25.00', 'free of charge', '2 April 2026']) expect(letter.text).toContain(s);
    const history = (await getRequest(rt, dpo, r.id, { history: true })).history!;
    expect(history.filter((e) => e.type.startsWith('fee-')).map((e) => e.type)).toEqual(['fee-requested', 'fee-waived']);
    const audit = (await listAudit(rt.database.db, { action: 'request.fee-waived', limit: 50 })).entries.find((e) => e.details.request === r.id)!;
    expect(audit.details).toEqual({ request: r.id, reference: r.reference, type: 'access', status: 'open', reason: 'manifestly-unfounded' });
    expect(JSON.stringify(audit)).not.toContain('genuine');
    // Free again: another fee may be asked for, and is then waited for afresh.
    const again = await askFee(rt, dpo, r.id, { amount: '5.00', reason: 'further-copies', explanation: 'A second printed copy of the pack.' });
    expect(again.status).toBe('fee-pending');
    expect(presentRequest(again).fees.map((f) => f.status)).toEqual(['waived', 'pending']);
  });

  it('the start is the latest of receipt, ID and fee, whichever order they arrive in', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const r = await open('2026-03-02', 'erasure', []);
    expect(r.status).toBe('identity-pending');
    const asked = await askFee(rt, dpo, r.id, { amount: '10.00', reason: 'excessive', explanation: EXPLANATION });
    // Identity is still awaited too; it shows first, and the letter says the clock waits for both.
    expect(asked.status).toBe('identity-pending');
    expect(asked.doc.letters.at(-1)!.text).toContain('confirmed your identity');
    rt.clock.set('2026-03-12T10:00:00Z');
    const paid = await recordFeeReceived(rt, dpo, r.id, { receivedOn: '2026-03-05' });
    expect(paid.status).toBe('identity-pending');
    expect(paid.doc.letters.at(-1)!.text).toContain('once we have confirmed your identity');
    const verified = await verifyRequest(rt, dpo, r.id, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-10' });
    expect(verified.status).toBe('open');
    // ID on Tue 10 March is later than the fee (Thu 5 March): due Fri 10 April 2026.
    expect(verified.start).toBe('2026-03-10');
    expect(verified.dueOn).toBe('2026-04-10');

    // And the other way round: ID first, then a fee asked and paid later moves the start.
    rt.clock.set('2026-03-02T10:00:00Z');
    const s = await open('2026-03-02', 'erasure', []);
    await askFee(rt, dpo, s.id, { amount: '10.00', reason: 'excessive', explanation: EXPLANATION });
    const ided = await verifyRequest(rt, dpo, s.id, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-02' });
    expect(ided.status).toBe('fee-pending');
    rt.clock.set('2026-03-16T10:00:00Z');
    const late = await recordFeeReceived(rt, dpo, s.id, { receivedOn: '2026-03-16' });
    expect(late.status).toBe('open');
    // Start Mon 16 March → Thu 16 April 2026.
    expect(late.dueOn).toBe('2026-04-16');
  });

  it('a fee awaited is never overdue; once paid, the clock runs from the day it arrived', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    // Received Mon 5 Jan 2026 → due Thu 5 Feb 2026, long past on 2 March.
    const r = await open('2026-01-05');
    expect((await overdueRequests(rt, dpo)).map((s) => s.reference)).toContain(r.reference);
    await askFee(rt, dpo, r.id, { amount: '10.00', reason: 'excessive', explanation: EXPLANATION, askedOn: '2026-01-12' });
    expect((await overdueRequests(rt, dpo)).map((s) => s.reference)).not.toContain(r.reference);
    const listed = (await listRequests(rt, dpo, { open: true })).find((s) => s.reference === r.reference)!;
    expect(listed).toMatchObject({ status: 'fee-pending', overdue: false, dueOn: '2026-04-02' });
    // Paid Fri 20 Feb → due Fri 20 March 2026.
    const paid = await recordFeeReceived(rt, dpo, r.id, { receivedOn: '2026-02-20' });
    expect(paid.dueOn).toBe('2026-03-20');
    expect(paid.overdue).toBe(false);
  });

  it('refuses bad input with stable codes and changes nothing', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const r = await open('2026-02-27');
    const good = { amount: '10.00', reason: 'excessive' as const, explanation: EXPLANATION };
    const cases: Array<[() => Promise<unknown>, string, string?]> = [
      [() => askFee(rt, dpo, r.id, { ...good, amount: '-5.00' }), 'VALIDATION_FAILED', 'amount'],
      [() => askFee(rt, dpo, r.id, { ...good, amount: '0.00' }), 'VALIDATION_FAILED', 'amount'],
      [() => askFee(rt, dpo, r.id, { ...good, amount: '5000' }), 'VALIDATION_FAILED', 'amount'],
      [() => askFee(rt, dpo, r.id, { ...good, reason: 'greedy' as never }), 'VALIDATION_FAILED', 'reason'],
      [() => askFee(rt, dpo, r.id, { ...good, explanation: ' ' }), 'VALIDATION_FAILED', 'explanation'],
      [() => askFee(rt, dpo, r.id, { ...good, explanation: 'x'.repeat(5001) }), 'VALIDATION_FAILED', 'explanation'],
      [() => askFee(rt, dpo, r.id, { ...good, explanation: 'Passport 123456789 shows repeated requests' }), 'FORBIDDEN_DATA', 'explanation'],
      [() => askFee(rt, dpo, r.id, { ...good, askedOn: '2026-03-03' }), 'VALIDATION_FAILED', 'askedOn'],
      [() => askFee(rt, dpo, r.id, { ...good, askedOn: '2026-02-26' }), 'VALIDATION_FAILED', 'askedOn'],
      [() => askFee(rt, dpo, r.id, { ...good, askedOn: '2026-02-30' }), 'VALIDATION_FAILED', 'askedOn'],
      [() => askFee(rt, staff, r.id, good), 'FORBIDDEN'],
      [() => recordFeeReceived(rt, dpo, r.id, {}), 'CONFLICT'],
      [() => waiveFee(rt, dpo, r.id, { reason: 'no fee' }), 'CONFLICT'],
    ];
    // One at a time: each is a write transaction of its own.
    for (const [attempt, code, path] of cases) {
      const e = await caught(attempt());
      expect(e.code).toBe(code);
      if (path) expect(e.details?.[0]?.path).toBe(path);
    }
    // Further copies are an access rule (Art 15(3)).
    const erasure = await open('2026-03-02', 'erasure');
    expect((await caught(askFee(rt, dpo, erasure.id, { ...good, reason: 'further-copies' }))).details?.[0]?.path).toBe('reason');
    // Too late: the time to respond to a request received Mon 5 Jan ran out on Thu 5 Feb.
    const old = await open('2026-01-05');
    expect((await caught(askFee(rt, dpo, old.id, good))).details?.[0]?.path).toBe('askedOn');

    const untouched = await getRequest(rt, dpo, r.id, { history: true });
    expect(untouched.status).toBe('open');
    expect(untouched.doc.fees ?? []).toEqual([]);
    expect(untouched.history!.map((e) => e.type)).toEqual(['opened']);

    await askFee(rt, dpo, r.id, { ...good, askedOn: '2026-02-28' });
    expect((await caught(askFee(rt, dpo, r.id, good))).code).toBe('CONFLICT');
    const before = await caught(recordFeeReceived(rt, dpo, r.id, { receivedOn: '2026-02-27' }));
    expect(before.code).toBe('VALIDATION_FAILED');
    expect(before.details?.[0]?.path).toBe('receivedOn');
    expect((await caught(recordFeeReceived(rt, dpo, r.id, { receivedOn: '2026-03-05' }))).details?.[0]?.path).toBe('receivedOn');
    await recordFeeReceived(rt, dpo, r.id, { receivedOn: '2026-03-01' });
    expect((await caught(recordFeeReceived(rt, dpo, r.id, {}))).code).toBe('CONFLICT');
    expect((await caught(waiveFee(rt, dpo, r.id, { reason: 'changed our mind' }))).code).toBe('CONFLICT');
    expect((await caught(askFee(rt, dpo, r.id, good))).code).toBe('CONFLICT');

    // A closed request takes no fee.
    const closed = await open('2026-03-02');
    await withdrawRequest(rt, dpo, closed.id);
    expect((await caught(askFee(rt, dpo, closed.id, good))).code).toBe('CONFLICT');
  });
});
