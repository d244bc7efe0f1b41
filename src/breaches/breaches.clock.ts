/**
 * The breach clock (UK GDPR Art 33(1)): report to the ICO without undue delay and, where
 * feasible, within 72 hours of becoming aware. The ICO counts clock hours, not working hours:
 * weekends and bank holidays count, and a change of the clocks does not stretch the window
 * (72 hours from Friday 27 March 2026 19:30 GMT ends Monday 30 March 20:30 BST).
 *
 * Everything is stored and computed in UTC; UK local time (Europe/London) is for display only,
 * and for reading times people type without an offset.
 */
import { StewardError } from '../shared/errors.js';

export const ICO_WINDOW_HOURS = 72;
/** Left before the deadline, below which a breach is "due soon" rather than "within time". */
export const DUE_SOON_HOURS = 24;
export const UK_ZONE = 'Europe/London';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const deadlineFor = (awareAt: string): string => new Date(Date.parse(awareAt) + ICO_WINDOW_HOURS * HOUR).toISOString();

const ukDisplay = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK_ZONE,
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

const ukWall = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "Fri 6 Mar 2026, 19:30 GMT": a UTC instant as a reader in the UK would write it. */
export function formatUk(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const p = Object.fromEntries(ukDisplay.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

/** The UK wall-clock reading of an instant, as if it were UTC (for comparing wall times). */
function ukWallClock(t: number): number {
  const p = Object.fromEntries(ukWall.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/**
 * Reads a time: ISO 8601 with an offset or Z (`2026-03-06T19:30:00Z`), or a UK local time without
 * one (`2026-03-06 19:30`, `2026-03-06T19:30`, or a date alone for its midnight). A local time
 * that the clocks skip or repeat (the last Sunday of March and of October) is refused: give an
 * offset to say which is meant. Returns an ISO string in UTC.
 */
export function parseInstant(input: string, path: string): string {
  const s = String(input).trim();
  if (s.length > 40) throw invalid(path, 'is not a date and time');
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?)?$/.exec(s);
  if (!local) {
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(s)) {
      throw invalid(path, 'is not a date and time: use 2026-03-06 19:30 (UK time) or ISO 8601 with an offset');
    }
    const t = Date.parse(s.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(t)) throw invalid(path, 'is not a valid date and time');
    return new Date(t).toISOString();
  }
  const [y, mo, d, h, mi, se] = local.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw invalid(path, 'is not a valid date and time');
  }
  // The UK is at UTC+0 or UTC+1: the instant is one of these two, whichever reads back the same.
  const candidates = [wall, wall - HOUR].filter((t) => ukWallClock(t) === wall);
  if (candidates.length === 0) throw invalid(path, 'does not exist in UK time (the clocks go forward then): give an offset such as +01:00');
  if (candidates.length > 1) throw invalid(path, 'happens twice in UK time (the clocks go back then): give an offset, +01:00 for the first or +00:00 for the second');
  return new Date(candidates[0]!).toISOString();
}

/** Where a breach stands against the 72 hours. */
export type ClockState = 'within-time' | 'due-soon' | 'late' | 'reported' | 'reported-late' | 'not-required';

export interface BreachClock {
  awareAt: string;
  deadline: string;
  awareAtUk: string;
  deadlineUk: string;
  /** Always 72: the window in clock hours. */
  windowHours: number;
  state: ClockState;
  /** Whole hours left before the deadline (negative once late); null once reported or not required. */
  hoursRemaining: number | null;
  minutesRemaining: number | null;
  /** Whole hours, rounded up, by which the deadline was or is missed. */
  hoursLate: number | null;
  /** When the first report reached the ICO. */
  reportedAt: string | null;
  /** A reason for delay is owed (late and not yet given). */
  delayReasonRequired: boolean;
  label: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function remaining(ms: number): string {
  if (ms < HOUR) return plural(Math.max(0, Math.floor(ms / MINUTE)), 'minute');
  return plural(Math.floor(ms / HOUR), 'hour');
}

export function breachClock(
  input: { awareAt: string; reportedAt: string | null; notRequired: boolean; delayReasonGiven: boolean },
  now: Date,
): BreachClock {
  const deadline = deadlineFor(input.awareAt);
  const base = { awareAt: input.awareAt, deadline, awareAtUk: formatUk(input.awareAt), deadlineUk: formatUk(deadline), windowHours: ICO_WINDOW_HOURS, reportedAt: input.reportedAt };
  const deadlineMs = Date.parse(deadline);
  if (input.reportedAt) {
    const lateMs = Date.parse(input.reportedAt) - deadlineMs;
    if (lateMs > 0) {
      const hoursLate = Math.ceil(lateMs / HOUR);
      return {
        ...base,
        state: 'reported-late',
        hoursRemaining: null,
        minutesRemaining: null,
        hoursLate,
        delayReasonRequired: !input.delayReasonGiven,
        label: `reported to the ICO ${plural(hoursLate, 'hour')} late, on ${formatUk(input.reportedAt)}${input.delayReasonGiven ? '' : ': a reason for the delay is required'}`,
      };
    }
    return { ...base, state: 'reported', hoursRemaining: null, minutesRemaining: null, hoursLate: null, delayReasonRequired: false, label: `reported to the ICO within time, on ${formatUk(input.reportedAt)}` };
  }
  if (input.notRequired) {
    return { ...base, state: 'not-required', hoursRemaining: null, minutesRemaining: null, hoursLate: null, delayReasonRequired: false, label: 'not reportable: decided unlikely to result in a risk to people (decision recorded)' };
  }
  const ms = deadlineMs - now.getTime();
  const hoursRemaining = Math.floor(ms / HOUR);
  const minutesRemaining = Math.floor(ms / MINUTE);
  if (ms <= 0) {
    const hoursLate = Math.max(1, Math.ceil(-ms / HOUR));
    return {
      ...base,
      state: 'late',
      hoursRemaining,
      minutesRemaining,
      hoursLate,
      delayReasonRequired: true,
      label: `late: the 72 hours ended ${plural(hoursLate, 'hour')} ago (${base.deadlineUk}); report now and give the reason for the delay`,
    };
  }
  const state: ClockState = ms <= DUE_SOON_HOURS * HOUR ? 'due-soon' : 'within-time';
  return {
    ...base,
    state,
    hoursRemaining,
    minutesRemaining,
    hoursLate: null,
    delayReasonRequired: false,
    label: `${state === 'due-soon' ? 'due soon' : 'within time'}: report to the ICO due in ${remaining(ms)}, by ${base.deadlineUk}`,
  };
}
