/**
 * UK bank holidays by region, for "the next working day" in response deadlines.
 *
 * Inside the bundled window (a copy of gov.uk's bank-holidays.json, same shape, 2018–2027) the
 * bundled list is the truth: it holds the one-off holidays no rule predicts (VE Day 2020, the
 * Platinum Jubilee 2022, the State Funeral 2022, the Coronation 2023). Outside it the dates are
 * computed from the rules of the Banking and Financial Dealings Act 1971 and the Royal
 * Proclamations made under it every year:
 *
 * | holiday | england-and-wales | scotland | northern-ireland |
 * | --- | --- | --- | --- |
 * | New Year's Day (1 Jan) | ✓ | ✓ | ✓ |
 * | 2 January | | ✓ | |
 * | St Patrick's Day (17 Mar) | | | ✓ |
 * | Good Friday (Easter − 2) | ✓ | ✓ | ✓ |
 * | Easter Monday (Easter + 1) | ✓ | | ✓ |
 * | Early May (first Monday of May, since 1978) | ✓ | ✓ | ✓ |
 * | Spring (last Monday of May) | ✓ | ✓ | ✓ |
 * | Battle of the Boyne (12 Jul) | | | ✓ |
 * | Summer | last Monday of August | first Monday of August | last Monday of August |
 * | St Andrew's Day (30 Nov, since 2007) | | ✓ | |
 * | Christmas Day, Boxing Day | ✓ | ✓ | ✓ |
 *
 * A fixed-date holiday that falls on a Saturday or Sunday is replaced by a substitute day: the
 * next weekday that is not already a holiday (so Christmas on a Sunday with Boxing Day on Monday
 * gives Tuesday 27 December). Computed years hold no one-off holidays; years before 1978 (when
 * the early May holiday began) are refused rather than guessed.
 */
import bundledJson from './bank-holidays.json' with { type: 'json' };
import { addDays, compareDates, formatCivil, fromDayNumber, isIsoDate, isWeekend, toDayNumber, weekday, weekdayName, yearOf, type IsoDate } from './plain-date.js';

/** The UK bank-holiday divisions, spelt as gov.uk spells them (and as the declaration does). */
export const REGIONS = ['england-and-wales', 'scotland', 'northern-ireland'] as const;
export type Region = (typeof REGIONS)[number];
export const DEFAULT_REGION: Region = 'england-and-wales';

export const isRegion = (s: unknown): s is Region => typeof s === 'string' && (REGIONS as readonly string[]).includes(s);

/** One event, as in gov.uk's bank-holidays.json. */
export interface BankHoliday {
  title: string;
  date: IsoDate;
  notes: string;
  bunting: boolean;
}

/** gov.uk's bank-holidays.json: `{ "<division>": { "division", "events": [...] } }`. */
export type GovUkBankHolidays = Record<Region, { division: Region; events: BankHoliday[] }>;

/** The earliest year the computed rules describe (the early May holiday began in 1978). */
export const FIRST_COMPUTED_YEAR = 1978;
export const LAST_YEAR = 9999;

// ——— the bundled copy ———

function loadBundled(raw: unknown): GovUkBankHolidays {
  const data = raw as Partial<GovUkBankHolidays>;
  for (const region of REGIONS) {
    const division = data[region];
    if (!division || division.division !== region || !Array.isArray(division.events)) {
      throw new Error(`bank-holidays.json: the "${region}" division is missing or malformed`);
    }
    for (const e of division.events) {
      if (!isIsoDate(e.date) || typeof e.title !== 'string' || typeof e.notes !== 'string' || typeof e.bunting !== 'boolean') {
        throw new Error(`bank-holidays.json: a malformed event in "${region}"`);
      }
    }
  }
  return data as GovUkBankHolidays;
}

const BUNDLED: GovUkBankHolidays = loadBundled(bundledJson);

/** The years (inclusive) each region's bundled list covers. */
export const BUNDLED_YEARS: Readonly<Record<Region, { first: number; last: number }>> = Object.fromEntries(
  REGIONS.map((r) => {
    const years = BUNDLED[r].events.map((e) => yearOf(e.date));
    return [r, { first: Math.min(...years), last: Math.max(...years) }];
  }),
) as Record<Region, { first: number; last: number }>;

/** The bundled events of one region and year, or undefined outside the bundled window. */
export function bundledBankHolidays(region: Region, year: number): BankHoliday[] | undefined {
  const { first, last } = BUNDLED_YEARS[region];
  if (year < first || year > last) return undefined;
  return BUNDLED[region].events.filter((e) => yearOf(e.date) === year).map((e) => ({ ...e }));
}

// ——— the computed rules ———

/**
 * Easter Sunday in the Gregorian calendar, by the anonymous algorithm (Meeus/Jones/Butcher,
 * published in Nature in 1876): exact for every Gregorian year.
 */
export function easterSunday(year: number): IsoDate {
  assertYear(year, 1583);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return formatCivil({ year, month, day });
}

type When = { fixed: [month: number, day: number] } | { easter: number } | { firstMonday: number } | { lastMonday: number };

interface Rule {
  title: string;
  when: When;
  regions: readonly Region[];
  since?: number;
  bunting?: boolean;
}

const ALL = REGIONS;
const RULES: readonly Rule[] = [
  { title: 'New Year\u2019s Day', when: { fixed: [1, 1] }, regions: ALL },
  { title: '2nd January', when: { fixed: [1, 2] }, regions: ['scotland'] },
  { title: 'St Patrick\u2019s Day', when: { fixed: [3, 17] }, regions: ['northern-ireland'] },
  { title: 'Good Friday', when: { easter: -2 }, regions: ALL, bunting: false },
  { title: 'Easter Monday', when: { easter: 1 }, regions: ['england-and-wales', 'northern-ireland'] },
  { title: 'Early May bank holiday', when: { firstMonday: 5 }, regions: ALL, since: 1978 },
  { title: 'Spring bank holiday', when: { lastMonday: 5 }, regions: ALL },
  { title: 'Battle of the Boyne (Orangemen\u2019s Day)', when: { fixed: [7, 12] }, regions: ['northern-ireland'] },
  { title: 'Summer bank holiday', when: { firstMonday: 8 }, regions: ['scotland'] },
  { title: 'Summer bank holiday', when: { lastMonday: 8 }, regions: ['england-and-wales', 'northern-ireland'] },
  // St Andrew's Day Bank Holiday (Scotland) Act 2007.
  { title: 'St Andrew\u2019s Day', when: { fixed: [11, 30] }, regions: ['scotland'], since: 2007 },
  { title: 'Christmas Day', when: { fixed: [12, 25] }, regions: ALL },
  { title: 'Boxing Day', when: { fixed: [12, 26] }, regions: ALL },
];

const ymd = (year: number, month: number, day: number): IsoDate => formatCivil({ year, month, day });

function firstMonday(year: number, month: number): IsoDate {
  const first = ymd(year, month, 1);
  return addDays(first, (8 - weekday(first)) % 7);
}

function lastMonday(year: number, month: number): IsoDate {
  const firstOfNext = month === 12 ? ymd(year + 1, 1, 1) : ymd(year, month + 1, 1);
  const last = addDays(firstOfNext, -1);
  return addDays(last, -((weekday(last) + 6) % 7));
}

function ruleDate(when: When, year: number): IsoDate {
  if ('fixed' in when) return ymd(year, when.fixed[0], when.fixed[1]);
  if ('easter' in when) return addDays(easterSunday(year), when.easter);
  if ('firstMonday' in when) return firstMonday(year, when.firstMonday);
  return lastMonday(year, when.lastMonday);
}

function assertYear(year: number, first: number): void {
  if (!Number.isInteger(year) || year < first || year > LAST_YEAR) {
    throw new RangeError(`year must be a whole number from ${first} to ${LAST_YEAR}`);
  }
}

/** The bank holidays of a region and year from the statutory rules alone (no one-offs). */
export function computedBankHolidays(region: Region, year: number): BankHoliday[] {
  assertYear(year, FIRST_COMPUTED_YEAR);
  const rules = RULES.filter((r) => r.regions.includes(region) && (r.since === undefined || year >= r.since));
  const placed: BankHoliday[] = [];
  const taken = new Set<IsoDate>();
  const onWeekend: Array<{ rule: Rule; date: IsoDate }> = [];
  // Holidays that fall on weekdays are fixed first, so a substitute never lands on one of them.
  for (const rule of rules) {
    const date = ruleDate(rule.when, year);
    if ('fixed' in rule.when && isWeekend(date)) {
      onWeekend.push({ rule, date });
      continue;
    }
    placed.push({ title: rule.title, date, notes: '', bunting: rule.bunting ?? true });
    taken.add(date);
  }
  onWeekend.sort((a, b) => compareDates(a.date, b.date));
  for (const { rule, date } of onWeekend) {
    let sub = toDayNumber(date) + 1;
    while (isWeekend(fromDayNumber(sub)) || taken.has(fromDayNumber(sub))) sub++;
    const subDate = fromDayNumber(sub);
    placed.push({ title: rule.title, date: subDate, notes: 'Substitute day', bunting: rule.bunting ?? true });
    taken.add(subDate);
  }
  return placed.sort((a, b) => compareDates(a.date, b.date));
}

// ——— what callers use ———

export interface BankHolidayCalendar {
  region: Region;
  year: number;
  /** `bundled`: gov.uk's list shipped with Steward; `computed`: the statutory rules. */
  source: 'bundled' | 'computed';
  events: BankHoliday[];
}

const calendars = new Map<string, BankHolidayCalendar>();

/** The bank holidays of one region and year: bundled where the copy covers the year, else computed. */
export function bankHolidayCalendar(region: Region, year: number): BankHolidayCalendar {
  if (!isRegion(region)) throw new RangeError(`unknown region; use one of ${REGIONS.join(', ')}`);
  const key = `${region}:${year}`;
  let cal = calendars.get(key);
  if (!cal) {
    const bundled = bundledBankHolidays(region, year);
    cal = bundled
      ? { region, year, source: 'bundled', events: bundled }
      : { region, year, source: 'computed', events: computedBankHolidays(region, year) };
    calendars.set(key, cal);
  }
  return { ...cal, events: cal.events.map((e) => ({ ...e })) };
}

/** The dates (`YYYY-MM-DD`) of the bank holidays of one region and year. */
export function bankHolidays(region: Region, year: number): Set<IsoDate> {
  return new Set(bankHolidayCalendar(region, year).events.map((e) => e.date));
}

/** The bank holiday on `date` in `region`, if any. */
export function bankHolidayOn(date: IsoDate, region: Region): BankHoliday | undefined {
  const cal = calendars.get(`${region}:${yearOf(date)}`) ?? bankHolidayCalendar(region, yearOf(date));
  return cal.events.find((e) => e.date === date);
}

/** Why `date` is not a working day in `region` ("a Saturday", "Christmas Day, a bank holiday in …"), or undefined if it is one. */
export function nonWorkingReason(date: IsoDate, region: Region): string | undefined {
  if (isWeekend(date)) return `a ${weekdayName(date)}`;
  const holiday = bankHolidayOn(date, region);
  return holiday ? `${holiday.title}${holiday.notes ? ` (${holiday.notes.toLowerCase()})` : ''}, a bank holiday in ${region}` : undefined;
}

export const isWorkingDay = (date: IsoDate, region: Region): boolean => nonWorkingReason(date, region) === undefined;

/** `date` itself if it is a working day in `region`, else the next one, with the days passed over and why. */
export function nextWorkingDay(date: IsoDate, region: Region): { date: IsoDate; skipped: Array<{ date: IsoDate; reason: string }> } {
  const skipped: Array<{ date: IsoDate; reason: string }> = [];
  let d = date;
  for (let reason = nonWorkingReason(d, region); reason !== undefined; reason = nonWorkingReason(d, region)) {
    skipped.push({ date: d, reason });
    d = addDays(d, 1);
  }
  return { date: d, skipped };
}
