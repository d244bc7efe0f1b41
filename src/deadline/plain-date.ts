/**
 * Calendar dates in the UK as `YYYY-MM-DD` strings, with integer arithmetic only.
 *
 * A statutory period is counted in calendar days and months, not in instants, so no `Date`, no
 * time zone and no daylight-saving hour is involved anywhere: a date is converted to a day
 * number (days since 1970-01-01 in the proleptic Gregorian calendar) and back. Month arithmetic
 * clamps to the last day of the target month instead of overflowing the way `Date.setMonth`
 * does (31 January + 1 month is 28 or 29 February, never 3 March).
 */

/** A calendar date written `YYYY-MM-DD` (ISO 8601 calendar date, four-digit year). */
export type IsoDate = string;

/** ISO weekday: 1 Monday … 7 Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

export interface CivilDate {
  year: number;
  /** 1 … 12 */
  month: number;
  /** 1 … 31 */
  day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The parts of a `YYYY-MM-DD` string, or undefined when it is not a real calendar date. */
export function parseCivil(s: string): CivilDate | undefined {
  const m = ISO_DATE.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** Whether `s` is a real calendar date written `YYYY-MM-DD` (so `2025-02-29` is not). */
export const isIsoDate = (s: unknown): s is IsoDate => typeof s === 'string' && parseCivil(s) !== undefined;

function civil(s: IsoDate): CivilDate {
  const c = parseCivil(s);
  if (!c) throw new RangeError(`not a YYYY-MM-DD calendar date: ${JSON.stringify(s.slice(0, 40))}`);
  return c;
}

export function formatCivil({ year, month, day }: CivilDate): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for every Gregorian date, integers only.
/** Days since 1970-01-01. */
export function toDayNumber(s: IsoDate): number {
  const { year, month, day } = civil(s);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function fromDayNumber(n: number): IsoDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return formatCivil({ year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day });
}

export const addDays = (s: IsoDate, days: number): IsoDate => fromDayNumber(toDayNumber(s) + days);

/** `b − a` in days: 0 for the same date, positive when `b` is later. */
export const daysBetween = (a: IsoDate, b: IsoDate): number => toDayNumber(b) - toDayNumber(a);

/**
 * The same date `months` calendar months later; when that month is too short, its last day.
 * `clamped` says whether the date had to be pulled back (31 Jan + 1 month → 28/29 Feb).
 */
export function addMonthsDetailed(s: IsoDate, months: number): { date: IsoDate; clamped: boolean; wanted: CivilDate } {
  const { year, month, day } = civil(s);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  const last = daysInMonth(y, m);
  return { date: formatCivil({ year: y, month: m, day: Math.min(day, last) }), clamped: day > last, wanted: { year: y, month: m, day } };
}

export const addMonths = (s: IsoDate, months: number): IsoDate => addMonthsDetailed(s, months).date;

/** 1 Monday … 7 Sunday. Day 0 (1970-01-01) was a Thursday. */
export function weekday(s: IsoDate): Weekday {
  const n = toDayNumber(s);
  return ((((n % 7) + 7 + 3) % 7) + 1) as Weekday;
}

export const isWeekend = (s: IsoDate): boolean => weekday(s) >= 6;

export const weekdayName = (s: IsoDate): string => WEEKDAY_NAMES[weekday(s) - 1]!;

export const yearOf = (s: IsoDate): number => civil(s).year;

/** Negative, zero or positive, like a sort comparator. `YYYY-MM-DD` strings sort as dates. */
export const compareDates = (a: IsoDate, b: IsoDate): number => (a < b ? -1 : a > b ? 1 : 0);

export const laterOf = (a: IsoDate, b: IsoDate): IsoDate => (a >= b ? a : b);

/** "Saturday 28 February 2026": for explanations meant for people. */
export function describeDate(s: IsoDate): string {
  const { year, month, day } = civil(s);
  return `${weekdayName(s)} ${day} ${MONTH_NAMES[month - 1]} ${year}`;
}
