/**
 * The statutory clock for rights requests: when a response is due, computed from calendar dates
 * only, with every step explained. Pure: no database, no policy file, no clock, no I/O.
 *
 * ## Using it
 *
 * ```ts
 * import { computeDeadline } from '../deadline/deadline.service.js';
 *
 * const r = computeDeadline({ received: '2025-11-30', region: 'england-and-wales', extended: true });
 * r.due;                  // '2026-03-02': 28 February 2026 is a Saturday
 * r.extension.noticeDue;  // '2025-12-30': tell the person before the first period ends
 * r.firstPeriod.due;      // '2025-12-30': the deadline had the request not been extended
 * r.steps;                // [{ kind, what, from, to, why }, …] for `--json` and for the audit of a decision
 * ```
 *
 * Dates are `YYYY-MM-DD` strings (UK calendar dates); results compare as strings
 * (`r.due < today` means overdue). Invalid input throws a `StewardError` with code
 * `VALIDATION_FAILED` and one detail per problem (HTTP 400 at the edge, exit 2 in the CLI).
 *
 * A request workflow stores the inputs (received, ID/authority/fee dates, pauses, whether
 * extended) and calls `computeDeadline` again whenever one changes; nothing here is stateful.
 * A clarification still awaited is passed as a pause ending today: each further day of waiting
 * moves the deadline on by a day, so recomputing daily gives the right answer. From the
 * declaration: `organisation.bank_holiday_region` → `region`; `rights.response_period:
 * '28-days'` → `fixedDays: 28` (`'calendar-month'` → omit it). Store `result.rules.id` with a
 * decision if you need to show later which version applied.
 *
 * Also here: `deadlineInputProblems(input)` (validation without throwing, for forms),
 * `describeSteps(result)` (the steps as lines of text); in `bank-holidays.ts`
 * `bankHolidays(region, year): Set<string>`, `isWorkingDay`, `nextWorkingDay`, `REGIONS`;
 * in `plain-date.ts` the date arithmetic (`addDays`, `addMonths`, `daysBetween`, `isIsoDate`).
 *
 * ## The rules (UK GDPR Art 12(3) and Art 12A)
 *
 * 1. **Rules version**: chosen by the date received (`deadline.rules.ts`); requests received
 *    before 25 May 2018 are refused.
 * 2. **Start** = the latest of: request received, requested ID received, proof of a
 *    representative's authority received, an allowed fee received. Asking for ID moves the start;
 *    it is not a pause. Day one is the start day, working day or not.
 * 3. **End of the first period**: the same date in the next month, or that month's last day when
 *    the date does not exist (31 January → 28/29 February). Never `Date.setMonth`.
 *    With a fixed period (`fixedDays`, the ICO's "28 days"), day one is the start day, so the
 *    period ends on day 28 = start + 27 days. Example: received Wednesday 3 September 2025 →
 *    day 28 is Tuesday 30 September 2025 (the calendar month would give Friday 3 October).
 *    Why +27 and not +28: the ICO counts the day of receipt as day one (the ICO
 *    moved off "the day after receipt" in 2019, bringing deadlines a day earlier); counting the
 *    same way here keeps one convention, and it is the earlier of the two readings, so a promise
 *    "within 28 days" is kept on either reading. Either way the fixed period never ends after the
 *    calendar month would (a month is at least 28 days), and neither does it after the
 *    working-day step, which only moves dates forward and keeps their order.
 * 4. **Clarification pauses** (`pauses`): the days from asking to receiving the answer do not
 *    count, so the end moves on by the paused days, before the working-day step. Which end days
 *    are paused is `pauseCounting`:
 *    - `'both-days-paused'` (default): the day of asking and the day of the answer are both
 *      paused, `to − from + 1` days. This is the statutory wording ("the period beginning with
 *      the day on which the controller makes the request and ending with the day on which the
 *      controller receives the information does not count", Art 12A UK GDPR and DPA 2018
 *      s54(3C)); in UK drafting "beginning with" and "ending with" include those days.
 *    - `'answer-day-counts'`: the clock stops on the day of asking and runs again on the day of
 *      the answer (like "day one is the day of receipt"), `to − from` days: one day fewer per
 *      pause, for an organisation that wants the stricter reading.
 *    The default never shortens the time the law gives the organisation, and never gives it more
 *    than the law's own words do. A pause only counts from the start of the clock (an
 *    answer received before the start changes nothing), and only if it was asked on or before
 *    the deadline as it stood then (a clock that has run out cannot be stopped; such a pause is
 *    reported in `warnings`). Pauses must not overlap; one may begin on the day the previous one
 *    was answered (that day is then counted once).
 * 5. **Working day**: an end on a Saturday, Sunday or bank holiday of the region moves to the next
 *    working day (`bank-holidays.ts`: gov.uk's list bundled for 2018–2027, computed outside).
 * 6. **Extension** (`extended`): three calendar months from the same start (month-end and
 *    working-day rules as above, pauses counted again against this period); with a fixed period,
 *    two calendar months after its day 28. The extension notice is due by the first period's
 *    due date (`extension.noticeDue`), pauses included (the statute pauses that time too).
 *    `extension` is always computed, so a workflow can show "extend by X, notice by Y" before
 *    deciding; `due` is the extended date only when `extended` is true.
 */
import { StewardError, type ErrorDetail } from '../shared/errors.js';
import { DEFAULT_REGION, isRegion, nextWorkingDay, REGIONS, type Region } from './bank-holidays.js';
import { EARLIEST_RECEIVED, rulesFor, type ResponseRules } from './deadline.rules.js';
import { addDays, addMonthsDetailed, daysBetween, describeDate, isIsoDate, MONTH_NAMES, type IsoDate } from './plain-date.js';

export type PauseCounting = 'both-days-paused' | 'answer-day-counts';
export const PAUSE_COUNTINGS: readonly PauseCounting[] = ['both-days-paused', 'answer-day-counts'];
export const DEFAULT_PAUSE_COUNTING: PauseCounting = 'both-days-paused';

/** The longest fixed period accepted: 28 days always fits inside the shortest calendar month. */
export const MAX_FIXED_DAYS = 28;
/** Bounds on every input date, so arithmetic stays in four-digit years. */
export const DATE_MIN: IsoDate = '1900-01-01';
export const DATE_MAX: IsoDate = '2199-12-31';
export const MAX_PAUSES = 100;

/** A clarification pause: asked on `from`, answered on `to` (both `YYYY-MM-DD`, `from <= to`). */
export interface Pause {
  from: IsoDate;
  to: IsoDate;
}

export interface DeadlineInput {
  /** The day the request was received (any channel, working day or not). */
  received: IsoDate;
  /** Whose bank holidays count. Default england-and-wales. */
  region?: Region;
  /** The day requested ID arrived, if ID was asked for. */
  idReceived?: IsoDate | null;
  /** The day proof of a representative's authority arrived. */
  authorityReceived?: IsoDate | null;
  /** The day an allowed fee arrived. */
  feeReceived?: IsoDate | null;
  /** Whether the period has been extended (complex or numerous requests). */
  extended?: boolean;
  /** Clarification pauses, in any order. */
  pauses?: readonly Pause[];
  /** A fixed period in days (1–28) instead of the calendar month; null or absent for the month. */
  fixedDays?: number | null;
  /** Which days of a pause do not count. Default `'both-days-paused'`. */
  pauseCounting?: PauseCounting;
}

export type StartEvent = 'received' | 'id-received' | 'authority-received' | 'fee-received';

export type StepKind = 'rules' | 'start' | 'period' | 'pause' | 'working-day' | 'extension' | 'extension-notice';

/** One step of the computation: what was done, from which date to which, and why. */
export interface DeadlineStep {
  kind: StepKind;
  /** Which period the step belongs to (the rules and the start belong to both). */
  period: 'first' | 'extended' | null;
  what: string;
  from: IsoDate | null;
  /** A date, except for the rules step, where it is the rules version's id. */
  to: string;
  why: string;
}

export interface PeriodResult {
  /** The end before pauses and the working-day step. */
  end: IsoDate;
  /** Days added for clarification pauses. */
  pausedDays: number;
  /** The end after pauses, before the working-day step. */
  endWithPauses: IsoDate;
  /** The deadline: the end with pauses, moved to a working day. */
  due: IsoDate;
}

export interface DeadlineResult {
  rules: Pick<ResponseRules, 'id' | 'from' | 'title' | 'citations'>;
  region: Region;
  period: { kind: 'calendar-month' } | { kind: 'fixed-days'; days: number };
  pauseCounting: PauseCounting;
  /** Day one of the clock. */
  start: IsoDate;
  /** Which of the dates given is the start (several when they fall on the same day). */
  startedBy: StartEvent[];
  firstPeriod: PeriodResult;
  /** Always computed; it governs only when `extended`. */
  extension: PeriodResult & { noticeDue: IsoDate };
  extended: boolean;
  /** The deadline that applies: `extension.due` when extended, else `firstPeriod.due`. */
  due: IsoDate;
  steps: DeadlineStep[];
  /** Things in the input worth a second look (they did not stop the computation). */
  warnings: string[];
}

const START_LABEL: Record<StartEvent, string> = {
  received: 'request received',
  'id-received': 'ID received',
  'authority-received': 'authority received',
  'fee-received': 'fee received',
};

const shown = (v: unknown): string => JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : v) ?? String(v);

function checkDate(value: unknown, path: string, problems: ErrorDetail[]): value is IsoDate {
  if (!isIsoDate(value)) {
    problems.push({ path, message: `${path}: ${shown(value)} is not a calendar date written YYYY-MM-DD` });
    return false;
  }
  if (value < DATE_MIN || value > DATE_MAX) {
    problems.push({ path, message: `${path}: ${value} is outside the supported range ${DATE_MIN} to ${DATE_MAX}` });
    return false;
  }
  return true;
}

interface Checked {
  received: IsoDate;
  rules: ResponseRules;
  region: Region;
  starts: Array<{ event: StartEvent; date: IsoDate }>;
  extended: boolean;
  pauses: Pause[];
  fixedDays: number | null;
  pauseCounting: PauseCounting;
}

/** Every problem with an input, one detail each (empty when `computeDeadline` will accept it). */
export function deadlineInputProblems(input: DeadlineInput): ErrorDetail[] {
  return inspect(input).problems;
}

function check(input: DeadlineInput): Checked {
  const { problems, checked } = inspect(input);
  if (!checked) {
    throw new StewardError('VALIDATION_FAILED', problems.length === 1 ? problems[0]!.message : `the deadline cannot be computed: ${problems.length} problems`, problems);
  }
  return checked;
}

function inspect(input: DeadlineInput): { problems: ErrorDetail[]; checked?: Checked } {
  const problems: ErrorDetail[] = [];
  if (typeof input !== 'object' || input === null) {
    return { problems: [{ message: 'the deadline input must be an object' }] };
  }
  const receivedOk = checkDate(input.received, 'received', problems);
  const rules = receivedOk ? rulesFor(input.received) : undefined;
  if (receivedOk && !rules) {
    problems.push({ path: 'received', message: `received: requests received before ${EARLIEST_RECEIVED} fell under the Data Protection Act 1998, whose rules are not encoded` });
  }
  const region = input.region ?? DEFAULT_REGION;
  if (!isRegion(region)) problems.push({ path: 'region', message: `region: ${shown(region)} is not one of ${REGIONS.join(', ')}` });

  const starts: Array<{ event: StartEvent; date: IsoDate }> = receivedOk ? [{ event: 'received', date: input.received }] : [];
  const optionalStarts: Array<[StartEvent, keyof DeadlineInput]> = [
    ['id-received', 'idReceived'],
    ['authority-received', 'authorityReceived'],
    ['fee-received', 'feeReceived'],
  ];
  for (const [event, key] of optionalStarts) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (checkDate(v, key, problems)) starts.push({ event, date: v });
  }

  if (input.extended !== undefined && typeof input.extended !== 'boolean') problems.push({ path: 'extended', message: 'extended: must be true or false' });

  const fixedDays = input.fixedDays ?? null;
  if (fixedDays !== null && (typeof fixedDays !== 'number' || !Number.isInteger(fixedDays) || fixedDays < 1 || fixedDays > MAX_FIXED_DAYS)) {
    problems.push({ path: 'fixedDays', message: `fixedDays: ${shown(fixedDays)} is not a whole number of days from 1 to ${MAX_FIXED_DAYS} (a longer fixed period can end after the calendar month the law allows)` });
  }

  const pauseCounting = input.pauseCounting ?? DEFAULT_PAUSE_COUNTING;
  if (!PAUSE_COUNTINGS.includes(pauseCounting)) problems.push({ path: 'pauseCounting', message: `pauseCounting: ${shown(pauseCounting)} is not one of ${PAUSE_COUNTINGS.join(', ')}` });

  const pauses: Pause[] = [];
  const rawPauses: unknown = input.pauses ?? [];
  if (!Array.isArray(rawPauses)) {
    problems.push({ path: 'pauses', message: 'pauses: must be a list of { from, to }' });
  } else if (rawPauses.length > MAX_PAUSES) {
    problems.push({ path: 'pauses', message: `pauses: at most ${MAX_PAUSES}` });
  } else {
    rawPauses.forEach((p: unknown, i) => {
      const path = `pauses[${i}]`;
      const { from, to } = (typeof p === 'object' && p !== null ? p : {}) as Partial<Pause>;
      const fromOk = checkDate(from, `${path}.from`, problems);
      const toOk = checkDate(to, `${path}.to`, problems);
      if (!fromOk || !toOk) return;
      if (from > to) {
        problems.push({ path, message: `${path}: the answer (${to}) is dated before the question (${from})` });
        return;
      }
      if (receivedOk && from < input.received) {
        problems.push({ path, message: `${path}: clarification asked on ${from}, before the request was received on ${input.received}` });
        return;
      }
      pauses.push({ from, to });
    });
    pauses.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
    for (let i = 1; i < pauses.length; i++) {
      const prev = pauses[i - 1]!;
      const cur = pauses[i]!;
      if (cur.from < prev.to) {
        problems.push({ path: 'pauses', message: `pauses: ${cur.from}:${cur.to} overlaps ${prev.from}:${prev.to}; a new clarification can only be asked once the previous one is answered` });
      }
    }
  }

  if (problems.length > 0) return { problems };
  return {
    problems,
    checked: {
      received: input.received,
      rules: rules!,
      region,
      starts,
      extended: input.extended ?? false,
      pauses,
      fixedDays,
      pauseCounting,
    },
  };
}

const dayWord = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;

/**
 * Moves `end` on by the clarification pauses that count against a period, then to a working day.
 * `steps` and `notes` receive the explanation; notes are pauses that did not count.
 */
function runPeriod(
  which: 'first' | 'extended',
  end: IsoDate,
  c: Checked,
  start: IsoDate,
  steps: DeadlineStep[],
  notes: string[],
): PeriodResult {
  let current = end;
  let pausedDays = 0;
  let lastPaused: IsoDate | null = null; // the last day already counted as paused, so touching pauses count it once
  for (const p of c.pauses) {
    const label = `clarification asked ${p.from}, answered ${p.to}`;
    const deadlineThen = nextWorkingDay(current, c.region).date;
    if (p.from > deadlineThen) {
      notes.push(`${label}: not counted, because it was asked after the ${which === 'first' ? 'first period' : 'extended period'} had ended (deadline ${deadlineThen}); a clock that has run out cannot be stopped`);
      continue;
    }
    // Paused days: [from, to] both ends, or [from, to − 1] when the answer day counts.
    let lo = p.from > start ? p.from : start;
    if (lastPaused !== null && lo <= lastPaused) lo = addDays(lastPaused, 1);
    const hi = c.pauseCounting === 'both-days-paused' ? p.to : addDays(p.to, -1);
    const days = Math.max(0, daysBetween(lo, hi) + 1);
    if (days === 0) {
      const why = p.to < start ? `answered before the clock started on ${start}, so nothing was paused` : `no day of it falls inside the running clock (${c.pauseCounting})`;
      steps.push({ kind: 'pause', period: which, what: 'clarification pause (no effect)', from: current, to: current, why: `${label}: ${why}` });
      continue;
    }
    const next = addDays(current, days);
    const counted = c.pauseCounting === 'both-days-paused' ? 'the day of asking and the day of the answer both paused' : 'the day of asking paused, the day of the answer counted';
    const clipped = p.from < lo ? `; only the days from ${lo} count` : '';
    steps.push({ kind: 'pause', period: which, what: `clarification pause: ${dayWord(days)} added`, from: current, to: next, why: `${label} (${counted}${clipped}): those days do not count` });
    current = next;
    pausedDays += days;
    lastPaused = hi;
  }
  const working = nextWorkingDay(current, c.region);
  steps.push({
    kind: 'working-day',
    period: which,
    what: working.skipped.length === 0 ? 'already a working day' : 'next working day',
    from: current,
    to: working.date,
    why:
      working.skipped.length === 0
        ? `${describeDate(current)} is a working day in ${c.region}`
        : working.skipped.map((s) => `${s.date} is ${s.reason}`).join('; '),
  });
  return { end, pausedDays, endWithPauses: current, due: working.date };
}

function monthsStep(which: 'first' | 'extended', from: IsoDate, months: number, what: string): { end: IsoDate; step: DeadlineStep } {
  const r = addMonthsDetailed(from, months);
  const why = r.clamped
    ? `${r.wanted.day} ${MONTH_NAMES[r.wanted.month - 1]} ${r.wanted.year} does not exist, so the last day of that month`
    : `the same date ${months === 1 ? 'in the following month' : `${months} months later`}`;
  return { end: r.date, step: { kind: which === 'first' ? 'period' : 'extension', period: which, what, from, to: r.date, why } };
}

/** The due date of a rights request, with the first period, the extension and each step explained. */
export function computeDeadline(input: DeadlineInput): DeadlineResult {
  const c = check(input);
  const steps: DeadlineStep[] = [];
  const warnings: string[] = [];

  steps.push({
    kind: 'rules',
    period: null,
    what: 'rules version',
    from: null,
    to: c.rules.id,
    why: `received ${c.received}, on or after ${c.rules.from}: ${c.rules.title}`,
  });

  // Start: the latest of the dates given. A date before the request was received cannot start the
  // clock earlier (it loses to `received`), but it is probably a typing mistake, so say so.
  const start = c.starts.reduce((latest, s) => (s.date > latest ? s.date : latest), c.received);
  const startedBy = c.starts.filter((s) => s.date === start).map((s) => s.event);
  for (const s of c.starts) {
    if (s.date < c.received) warnings.push(`${START_LABEL[s.event]} on ${s.date}, before the request itself (${c.received}): check the date; it does not move the start`);
  }
  steps.push({
    kind: 'start',
    period: null,
    what: 'clock starts',
    from: c.received,
    to: start,
    why:
      c.starts.length === 1
        ? `the day the request was received is day one, working day or not`
        : `the latest of ${c.starts.map((s) => `${START_LABEL[s.event]} ${s.date}`).join(', ')}; day one is that day, working day or not`,
  });

  // The first period.
  const firstSteps: DeadlineStep[] = [];
  const firstNotes: string[] = [];
  let firstEnd: IsoDate;
  if (c.fixedDays === null) {
    const m = monthsStep('first', start, c.rules.periodMonths, 'one calendar month');
    firstEnd = m.end;
    firstSteps.push(m.step);
  } else {
    firstEnd = addDays(start, c.fixedDays - 1);
    firstSteps.push({
      kind: 'period',
      period: 'first',
      what: `fixed ${c.fixedDays}-day period`,
      from: start,
      to: firstEnd,
      why: `day one is the start day, so day ${c.fixedDays} is ${dayWord(c.fixedDays - 1)} after it (a fixed period adopted instead of the calendar month; it always ends within that month)`,
    });
  }
  const first = runPeriod('first', firstEnd, c, start, firstSteps, firstNotes);

  // The extension: always computed, reported in the steps only when it applies.
  const extSteps: DeadlineStep[] = [];
  const extNotes: string[] = [];
  let extEnd: IsoDate;
  if (c.fixedDays === null) {
    const m = monthsStep('extended', start, c.rules.extendedMonths, `${c.rules.extendedMonths} calendar months from the start`);
    extEnd = m.end;
    extSteps.push(m.step);
  } else {
    const further = c.rules.extendedMonths - c.rules.periodMonths;
    const m = monthsStep('extended', firstEnd, further, `${further} further calendar months after day ${c.fixedDays}`);
    extEnd = m.end;
    extSteps.push(m.step);
  }
  const ext = runPeriod('extended', extEnd, c, start, extSteps, extNotes);
  const noticeDue = first.due;

  steps.push(...firstSteps);
  if (c.extended) {
    steps.push(...extSteps);
    steps.push({
      kind: 'extension-notice',
      period: 'extended',
      what: 'extension notice due',
      from: null,
      to: noticeDue,
      why: 'the person must be told of the extension, with the reasons, before the first period ends: by its due date',
    });
    warnings.push(...extNotes);
  } else {
    warnings.push(...firstNotes);
  }

  return {
    rules: { id: c.rules.id, from: c.rules.from, title: c.rules.title, citations: c.rules.citations },
    region: c.region,
    period: c.fixedDays === null ? { kind: 'calendar-month' } : { kind: 'fixed-days', days: c.fixedDays },
    pauseCounting: c.pauseCounting,
    start,
    startedBy,
    firstPeriod: first,
    extension: { ...ext, noticeDue },
    extended: c.extended,
    due: c.extended ? ext.due : first.due,
    steps,
    warnings,
  };
}

/** The steps as lines for people: `what: from → to (why)`. */
export function describeSteps(result: DeadlineResult): string[] {
  return result.steps.map((s) => `${s.what}: ${s.from !== null && s.from !== s.to ? `${s.from} -> ` : ''}${s.to} (${s.why})`);
}
