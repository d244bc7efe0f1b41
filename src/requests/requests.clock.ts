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
 * The deadline for a request as it stands on `today`. A clarification still awaited counts as a
 * pause ending today (the deadline module's documented convention): each further day of waiting
 * moves the deadline on by a day.
 */
export function requestDeadline(policy: LoadedPolicy, row: ClockInputs, today: string): DeadlineResult {
  const p = policy.policy;
  const pauses: Pause[] = parsePauses(row.pauses).map((x) => ({ from: x.from, to: x.to ?? (today < x.from ? x.from : today) }));
  return computeDeadline({
    received: row.received_on,
    region: p.organisation.bank_holiday_region,
    idReceived: row.id_received_on,
    authorityReceived: row.authority_received_on,
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
