/**
 * Fees on rights requests. Requests are free (UK GDPR Art 12(5)); a reasonable fee, based on the
 * administrative cost, may be charged for a manifestly unfounded or excessive request, and for
 * further copies of an access pack (Art 15(3)). The organisation must be able to show why, so the
 * reason is one of a fixed list and the explanation is required; both go to the person in a letter.
 *
 * The clock (Art 12(3) and Art 12A UK GDPR) starts on the latest of the day the request was received, the
 * day requested ID arrived, the day a representative's authority arrived and the day an allowed fee
 * arrived. So a fee moves the start, it is not a pause: while it is awaited the request is
 * `fee-pending` and nothing counts down (requests.clock.ts feeReceivedForClock); when it arrives
 * the clock starts that day, unless something else it waits for arrives later; if the request for
 * a fee is waived, the clock is as if none had been asked.
 *
 * Each step goes through changeRequest: the amount and the explanation into the encrypted request
 * document; the dates on the row; a history event and an audit entry holding only the reason (an
 * enum), dates and ids.
 */
import type { Actor } from '../auth/roles.js';
import { isIsoDate } from '../deadline/plain-date.js';
import { StewardError } from '../shared/errors.js';
import { requestDeadline } from './requests.clock.js';
import { changeRequest } from './requests.change.js';
import { assertNoDocumentNumbers, LIMITS } from './requests.checks.js';
import type { RequestView } from './requests.view.js';
import { AWAITING_START, FEE_REASONS, type FeeEntry, type FeeReason, type RequestDoc } from './requests.store.js';
import type { AppContext } from '../kernel/context.js';

export { FEE_REASONS, type FeeReason };

/**
 * The largest fee accepted, in pence. Not a figure from the law (which asks only that a fee be
 * reasonable and based on administrative cost): a guard against typing pence as pounds or an
 * extra zero, high enough for printing and posting a large further copy.
 */
export const MAX_FEE_PENCE = 100_000;

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** `12`, `12.5`, `12.50` or `£12.50` → 1250. Strings only: a JSON number would already be a binary fraction. */
export function parseAmount(value: unknown, path = 'amount'): number {
  if (typeof value !== 'string') throw invalid(path, 'must be text in pounds and pence, e.g. "10.00"');
  const m = /^£?(\d{1,7})(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!m) throw invalid(path, 'must be a positive amount in pounds and pence, e.g. 10.00');
  const pence = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
  if (pence <= 0) throw invalid(path, 'must be more than £0.00: a request that costs nothing needs no fee');
  if (pence > MAX_FEE_PENCE) throw invalid(path, `is more than ${formatPounds(MAX_FEE_PENCE)}: a fee must be reasonable and based on the administrative cost; check the amount`);
  return pence;
}

const pounds = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });
/** 1250 → "£12.50"; 100000 → "£1,000.00". */
export const formatPounds = (pence: number): string => pounds.format(pence / 100);

function requiredText(value: unknown, path: string, missing: string): string {
  if (value !== undefined && typeof value !== 'string') throw invalid(path, 'must be text');
  const t = (value ?? '').trim();
  if (t === '') throw invalid(path, missing);
  if (t.length > LIMITS.noteChars) throw invalid(path, `is longer than ${LIMITS.noteChars} characters`);
  // Free text that goes into a letter and the record: no document or account numbers, as for notes.
  assertNoDocumentNumbers(t, path);
  return t;
}

function checkDay(value: string | undefined, path: string, today: string): string {
  if (value === undefined) return today;
  if (!isIsoDate(value)) throw invalid(path, 'is not a calendar date written YYYY-MM-DD');
  if (value > today) throw invalid(path, `is in the future (today is ${today})`);
  return value;
}

/** The fee asked for and still standing (not waived), if any. */
export function currentFee(doc: RequestDoc): FeeEntry | undefined {
  const last = doc.fees?.at(-1);
  return last && !last.waivedAt ? last : undefined;
}

export interface AskFeeInput {
  /** Pounds and pence as text: "10.00". */
  amount: string;
  reason: FeeReason;
  /** Why the request is manifestly unfounded or excessive, or which further copies: the person is told. */
  explanation: string;
  /** The day the person was asked (YYYY-MM-DD). Default today. */
  askedOn?: string;
}

/** Asks for a fee: the request waits for it (`fee-pending`) and the person gets a letter saying how much, why, and that the clock starts when it arrives. */
export async function askFee(ctx: AppContext, actor: Actor, idOrRef: string, input: AskFeeInput): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    if (row.status === 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is paused awaiting clarification: resume it before asking for a fee`);
    if (row.fee_asked_on !== null) {
      throw new StewardError(
        'CONFLICT',
        row.fee_received_on !== null
          ? `request ${row.reference}: the fee asked for on ${row.fee_asked_on} was received on ${row.fee_received_on}`
          : `request ${row.reference} already awaits a fee asked for on ${row.fee_asked_on}: waive it before asking for another`,
      );
    }
    const amountPence = parseAmount(input.amount);
    if (!(FEE_REASONS as readonly string[]).includes(input.reason)) throw invalid('reason', `must be one of ${FEE_REASONS.join(', ')}`);
    // Art 15(3): the fee for further copies is a rule of the right of access only.
    if (input.reason === 'further-copies' && row.type !== 'access') throw invalid('reason', `further-copies applies to access requests (Art 15(3)); this is a ${row.type} request`);
    const explanation = requiredText(input.explanation, 'explanation', 'explain why a fee is charged: the organisation must be able to show why (Art 12(5))');
    const askedOn = checkDay(input.askedOn, 'askedOn', today);
    if (askedOn < row.received_on) throw invalid('askedOn', `is before the request was received (${row.received_on})`);
    // A fee asked once the time to respond has run out would excuse a late answer: ask within it.
    // (Before the clock starts there is no deadline yet to be late against.)
    if (!AWAITING_START.has(row.status)) {
      const current = requestDeadline(ctx.policy, row, today);
      if (askedOn > current.due) throw invalid('askedOn', `is after the deadline (${current.due}): a fee must be asked for within the time to respond`);
    }
    const fee: FeeEntry = { amountPence, reason: input.reason, explanation, askedOn, askedBy: actor.id };
    doc.fees = [...(doc.fees ?? []), fee];
    // 'fee-pending' is settled by changeRequest: it stays identity-pending while that is awaited too.
    return {
      set: { status: 'fee-pending', fee_asked_on: askedOn, fee_received_on: null },
      event: { type: 'fee-requested', details: { reason: input.reason, askedOn } },
      audit: { details: { reason: input.reason } },
      letter: 'fee-request',
    };
  });
  return view;
}

/** The fee arrived: the clock starts on that day at the earliest, and the request continues. */
export async function recordFeeReceived(ctx: AppContext, actor: Actor, idOrRef: string, input: { receivedOn?: string } = {}): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    const fee = currentFee(doc);
    if (row.fee_asked_on === null || !fee) throw new StewardError('CONFLICT', `request ${row.reference} awaits no fee`);
    if (row.fee_received_on !== null) throw new StewardError('CONFLICT', `the fee for request ${row.reference} was already received on ${row.fee_received_on}`);
    const receivedOn = checkDay(input.receivedOn, 'receivedOn', today);
    if (receivedOn < row.fee_asked_on) throw invalid('receivedOn', `is before the fee was asked for (${row.fee_asked_on})`);
    fee.receivedOn = receivedOn;
    fee.receivedRecordedBy = actor.id;
    return {
      set: { fee_received_on: receivedOn },
      event: { type: 'fee-received', details: { askedOn: row.fee_asked_on, receivedOn } },
      audit: { details: { reason: fee.reason } },
      letter: 'fee-received',
    };
  });
  return view;
}

/** The request for a fee is withdrawn: the request is free again and its clock as if no fee had been asked. */
export async function waiveFee(ctx: AppContext, actor: Actor, idOrRef: string, input: { reason: string }): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc) => {
    const fee = currentFee(doc);
    if (row.fee_asked_on === null || !fee) throw new StewardError('CONFLICT', `request ${row.reference} awaits no fee`);
    // Once paid, the clock rightly started on the day it arrived; handing the money back is a
    // refund to record in a note, not a reason to pretend the start was earlier.
    if (row.fee_received_on !== null) throw new StewardError('CONFLICT', `the fee for request ${row.reference} was received on ${row.fee_received_on}: it can no longer be waived (record any refund as a note)`);
    const reason = requiredText(input.reason, 'reason', 'say why the fee is no longer asked for');
    fee.waivedAt = ctx.clock.now().toISOString();
    fee.waivedBy = actor.id;
    fee.waiverReason = reason;
    return {
      set: { fee_asked_on: null, fee_received_on: null },
      event: { type: 'fee-waived', details: { askedOn: row.fee_asked_on } },
      audit: { details: { reason: fee.reason } },
      letter: 'fee-waived',
    };
  });
  return view;
}
