/**
 * Calendar arithmetic for retention periods: "6 years", "3 months", "28 days", "P6Y".
 *
 * Retention is decided by the calendar day (UTC), not the instant: "6 years after your account
 * was closed on 15 March 2020" ends on 15 March 2026, whatever the hour the closure was logged.
 * Dates are therefore plain `YYYY-MM-DD` strings, which compare correctly as text.
 *
 * Months and years are calendar units with month-end clamping: 31 January + 1 month is the last
 * day of February, and 29 February 2024 + 1 year is 28 February 2025. `Date.setMonth` is never
 * used: it overflows (31 January + 1 month = 3 March).
 */
import { durationPattern } from '../policy/schema.common.js';
import { StewardError } from '../shared/errors.js';

/** A calendar date, `YYYY-MM-DD`, in UTC. */
export type CalendarDate = string;

export interface Duration {
  years: number;
  months: number;
  /** Days, with weeks counted as 7 days. */
  days: number;
  /** As written in the declaration, for messages. */
  text: string;
}

const invalid = (message: string): StewardError => new StewardError('VALIDATION_FAILED', message);

const UNIT: Record<string, keyof Omit<Duration, 'text'> | 'weeks'> = {
  day: 'days',
  days: 'days',
  week: 'weeks',
  weeks: 'weeks',
  month: 'months',
  months: 'months',
  year: 'years',
  years: 'years',
};

/** Parses a period as the declaration writes it ("6 years", "P1Y6M"); throws VALIDATION_FAILED. */
export function parseDuration(input: string): Duration {
  const text = input.trim();
  const m = durationPattern.exec(text);
  if (!m || text === 'P') throw invalid(`"${text.slice(0, 40)}" is not a period like "6 years", "3 months", "28 days" or "P6Y"`);
  const d: Duration = { years: 0, months: 0, days: 0, text };
  if (m[1] !== undefined) {
    const n = Number(m[1]);
    const unit = UNIT[m[2]!]!;
    if (unit === 'weeks') d.days = n * 7;
    else d[unit] = n;
  } else {
    d.years = Number(m[3] ?? 0);
    d.months = Number(m[4] ?? 0);
    d.days = Number(m[5] ?? 0) * 7 + Number(m[6] ?? 0);
  }
  return d;
}

export const ZERO: Duration = { years: 0, months: 0, days: 0, text: '0 days' };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in a month, 1-based month. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

function parts(date: CalendarDate): { y: number; m: number; d: number } {
  const m = DATE.exec(date);
  if (!m) throw invalid(`"${String(date).slice(0, 40)}" is not a date in the form YYYY-MM-DD`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) throw invalid(`"${date}" is not a real date`);
  return { y, m: mo, d };
}

/** Milliseconds at midnight UTC. setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999. */
function utcMs(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getTime();
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const format = (y: number, m: number, d: number): CalendarDate => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;

/** Whether a string is a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(s: string): boolean {
  try {
    parts(s);
    return true;
  } catch {
    return false;
  }
}

/** Checks and returns a date the user wrote; throws VALIDATION_FAILED naming `what`. */
export function parseCalendarDate(s: string, what = 'date'): CalendarDate {
  const m = DATE.exec(s);
  if (!m) throw invalid(`${what}: "${String(s).slice(0, 40)}" is not a date in the form YYYY-MM-DD`);
  try {
    parts(s);
  } catch {
    throw invalid(`${what}: "${s}" is not a real date`);
  }
  return s;
}

/** The UTC calendar date of an instant (a Date, or an ISO 8601 timestamp as stored). */
export function toCalendarDate(at: Date | string): CalendarDate {
  if (typeof at === 'string') {
    // Fast path for what the database stores (toISOString: "2026-03-02T10:00:00.000Z").
    if (at.length === 24 && at.charCodeAt(10) === 84 /* T */ && at.charCodeAt(23) === 90 /* Z */) return at.slice(0, 10);
    if (DATE.test(at)) return parseCalendarDate(at);
    const t = Date.parse(at);
    if (Number.isNaN(t)) throw invalid(`"${at.slice(0, 40)}" is not a date`);
    // Stored timestamps are UTC ISO strings already: their first ten characters are the date.
    if (/^\d{4}-\d{2}-\d{2}T[^+-]*Z$/.test(at)) return at.slice(0, 10);
    at = new Date(t);
  }
  if (Number.isNaN(at.getTime())) throw invalid('not a valid date');
  return format(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate());
}

/** Midnight UTC at the start of a calendar date, as an ISO timestamp. */
export const startOfDay = (date: CalendarDate): string => `${parseCalendarDate(date)}T00:00:00.000Z`;

/** Adds (or with sign -1 subtracts) a period: calendar months first with month-end clamping, then days. */
export function addDuration(date: CalendarDate, d: Duration, sign: 1 | -1 = 1): CalendarDate {
  const { y, m, d: day } = parts(date);
  const totalMonths = y * 12 + (m - 1) + sign * (d.years * 12 + d.months);
  const ny = Math.floor(totalMonths / 12);
  const nm = (totalMonths % 12) + 1;
  if (ny < 1 || ny > 9999) throw invalid(`${date} ${sign > 0 ? '+' : '-'} ${d.text} is outside the years 0001–9999`);
  const clamped = Math.min(day, daysInMonth(ny, nm));
  if (d.days === 0) return format(ny, nm, clamped);
  // Whole days: UTC milliseconds have no daylight-saving jumps, so day arithmetic is exact.
  const r = new Date(utcMs(ny, nm, clamped) + sign * d.days * 86_400_000);
  const ry = r.getUTCFullYear();
  if (ry < 1 || ry > 9999) throw invalid(`${date} ${sign > 0 ? '+' : '-'} ${d.text} is outside the years 0001–9999`);
  return format(ry, r.getUTCMonth() + 1, r.getUTCDate());
}

export const FIRST_DAY: CalendarDate = '0001-01-01';
export const LAST_DAY: CalendarDate = '9999-12-31';

/**
 * addDuration for computed dates (ends, review dates, bounds): beyond the calendar's range it
 * saturates at 0001-01-01 or 9999-12-31 ("never") instead of throwing, so one extreme period in a
 * declaration ("9999 years") cannot stop a plan or a run.
 */
export function addDurationClamped(date: CalendarDate, d: Duration, sign: 1 | -1 = 1): CalendarDate {
  try {
    return addDuration(date, d, sign);
  } catch {
    return sign > 0 ? LAST_DAY : FIRST_DAY;
  }
}

const endCache = new Map<string, CalendarDate>();
/** addDuration, memoised: a million records share a few thousand (day, period) pairs. */
export function endAfter(date: CalendarDate, d: Duration): CalendarDate {
  const key = `${date}|${d.years}|${d.months}|${d.days}`;
  let end = endCache.get(key);
  if (end === undefined) {
    end = addDurationClamped(date, d);
    if (endCache.size > 200_000) endCache.clear();
    endCache.set(key, end);
  }
  return end;
}

const durationCache = new Map<string, Duration>();
/** parseDuration, memoised: rules are parsed once per text. */
export function durationOf(text: string): Duration {
  let d = durationCache.get(text);
  if (!d) {
    d = parseDuration(text);
    if (durationCache.size < 10_000) durationCache.set(text, d);
  }
  return d;
}

/** Whole days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: CalendarDate, b: CalendarDate): number {
  const pa = parts(a);
  const pb = parts(b);
  return Math.round((utcMs(pb.y, pb.m, pb.d) - utcMs(pa.y, pa.m, pa.d)) / 86_400_000);
}

export const maxDate = (a: CalendarDate, b: CalendarDate): CalendarDate => (a >= b ? a : b);
