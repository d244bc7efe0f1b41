/**
 * The statutory clock of a request: computeDeadline (src/deadline) fed from the request's dates and
 * the declaration (rights.response_period, organisation.bank_holiday_region). Nothing is stored
 * that cannot be recomputed: the row keeps the inputs and the result of the last computation.
 */
import { computeDeadline, type DeadlineResult, type Pause } from '../deadline/deadline.service.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';

/** Europe/London calendar date of an instant: the law counts UK days. */
const ukDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
export const ukToday = (now: Date): string => ukDate.format(now);

export interface ClockInputs {
  received_on: string;
  id_received_on: string | null;
  authority_received_on: string | null;
  /** The day a fee was asked for (optional: rows from before fees, and test fixtures, have none). */
  fee_asked_on?: string | null;
  /** The day the fee arrived. */
  fee_received_on?: string | null;
  /** JSON [{ from, to|null }]. */
  pauses: string;
  extended: number;
}

export interface StoredPause {
  from: string;
  to: string | null;
}

export const parsePauses = (json: string): StoredPause[] => JSON.parse(json) as StoredPause[];

/**
 * The day the fee counts as received for the clock: the day it arrived; while it is awaited, today
 * (or the day asked, if entered ahead), since it cannot arrive earlier than that. The start is the
 * latest of the dates (Art 12A UK GDPR), so an awaited fee shows the earliest the deadline can be and
 * moves on a day for each day of waiting, like an open pause: a request waiting for its fee never
 * counts down. No fee asked, or the request for one waived: null, as if none was ever asked.
 */
export function feeReceivedForClock(row: Pick<ClockInputs, 'fee_asked_on' | 'fee_received_on'>, today: string): string | null {
  if (row.fee_received_on) return row.fee_received_on;
  if (!row.fee_asked_on) return null;
  return today < row.fee_asked_on ? row.fee_asked_on : today;
}

/**
 * The deadline for a request as it stands on `today`. A clarification still awaited counts as a
 * pause ending today (the deadline module's documented convention): each further day of waiting
 * moves the deadline on by a day. A fee still awaited is treated alike (feeReceivedForClock).
 */
export function requestDeadline(policy: LoadedPolicy, row: ClockInputs, today: string): DeadlineResult {
  const p = policy.policy;
  const pauses: Pause[] = parsePauses(row.pauses).map((x) => ({ from: x.from, to: x.to ?? (today < x.from ? x.from : today) }));
  return computeDeadline({
    received: row.received_on,
    region: p.organisation.bank_holiday_region,
    idReceived: row.id_received_on,
    authorityReceived: row.authority_received_on,
    feeReceived: feeReceivedForClock(row, today),
    extended: row.extended === 1,
    pauses,
    fixedDays: p.rights.response_period === '28-days' ? 28 : null,
  });
}

/** The derived columns to store after any change to the clock's inputs. */
export function clockColumns(policy: LoadedPolicy, row: ClockInputs, today: string) {
  const r = requestDeadline(policy, row, today);
  return { due_on: r.due, first_due_on: r.firstPeriod.due, extension_notice_due: r.extension.noticeDue, rules_id: r.rules.id };
}
