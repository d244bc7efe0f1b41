import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UK_REGIONS } from '../policy/schema.organisation.js';
import {
  bankHolidayCalendar,
  bankHolidays,
  BUNDLED_YEARS,
  bundledBankHolidays,
  computedBankHolidays,
  easterSunday,
  isWorkingDay,
  nextWorkingDay,
  nonWorkingReason,
  REGIONS,
  type BankHoliday,
  type Region,
} from './bank-holidays.js';
import { addDays, weekday } from './plain-date.js';

const raw = JSON.parse(readFileSync(path.join(import.meta.dirname, 'bank-holidays.json'), 'utf8')) as Record<string, unknown>;
const dates = (events: BankHoliday[]): string[] => events.map((e) => e.date);
const byYear = (region: Region, year: number): string[] => [...bankHolidays(region, year)].sort();

/**
 * Carter's method for Easter (valid 1900–2099), written independently of the anonymous
 * Gregorian algorithm the module uses, so the two check each other.
 */
function carterEaster(year: number): string {
  let d = 225 - 11 * (year % 19);
  while (d > 50) d -= 30;
  if (d > 48) d -= 1;
  const e = (year + Math.floor(year / 4) + d + 1) % 7;
  const q = d + 7 - e;
  return q < 32 ? `${year}-03-${String(q).padStart(2, '0')}` : `${year}-04-${String(q - 31).padStart(2, '0')}`;
}

describe('the bundled copy of gov.uk bank-holidays.json', () => {
  it('has gov.uk’s shape: { division: { division, events: [{ title, date, notes, bunting }] } }', () => {
    expect(Object.keys(raw).sort()).toEqual([...REGIONS].sort());
    for (const region of REGIONS) {
      const division = raw[region] as { division: string; events: Array<Record<string, unknown>> };
      expect(Object.keys(division).sort()).toEqual(['division', 'events']);
      expect(division.division).toBe(region);
      for (const e of division.events) {
        expect(Object.keys(e).sort()).toEqual(['bunting', 'date', 'notes', 'title']);
        expect(e.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(typeof e.title).toBe('string');
        expect(['', 'Substitute day']).toContain(e.notes);
        expect(typeof e.bunting).toBe('boolean');
        // A bank holiday is never on a weekend: gov.uk lists the substitute day instead.
        expect(weekday(e.date as string), `${region} ${String(e.date)}`).toBeLessThan(6);
      }
      const ds = division.events.map((e) => e.date as string);
      expect(ds).toEqual([...ds].sort());
      expect(new Set(ds).size).toBe(ds.length);
    }
  });

  it('covers 2018–2027 for every region', () => {
    for (const region of REGIONS) expect(BUNDLED_YEARS[region]).toEqual({ first: 2018, last: 2027 });
    expect(dates(bundledBankHolidays('england-and-wales', 2018)!)).toHaveLength(8);
    expect(bundledBankHolidays('england-and-wales', 2017)).toBeUndefined();
    expect(bundledBankHolidays('scotland', 2028)).toBeUndefined();
  });

  it('uses the same region names as the declaration', () => {
    expect([...REGIONS]).toEqual([...UK_REGIONS]);
  });
});

describe('Easter', () => {
  it.each([
    [1900, '1900-04-15'],
    [1913, '1913-03-23'],
    [1943, '1943-04-25'],
    [1954, '1954-04-18'],
    [1961, '1961-04-02'],
    [2000, '2000-04-23'],
    [2008, '2008-03-23'],
    [2011, '2011-04-24'],
    [2016, '2016-03-27'],
    [2019, '2019-04-21'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2038, '2038-04-25'],
    [2100, '2100-03-28'],
  ])('Easter Sunday %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('agrees with Carter’s method for 1900–2099, and is always a Sunday from 22 March to 25 April (1900–2100)', () => {
    for (let y = 1900; y <= 2100; y++) {
      const e = easterSunday(y);
      if (y <= 2099) expect(e, String(y)).toBe(carterEaster(y));
      expect(weekday(e)).toBe(7);
      expect(e.slice(5) >= '03-22' && e.slice(5) <= '04-25', e).toBe(true);
    }
  });

  it('refuses years outside the Gregorian calendar', () => {
    expect(() => easterSunday(1500)).toThrow(RangeError);
    expect(() => easterSunday(2025.5)).toThrow(RangeError);
  });
});

describe('the computed rules', () => {
  /** Dates in the bundled list that the rules do not give, and the other way round. */
  function disagreement(region: Region, year: number): { onlyBundled: string[]; onlyComputed: string[] } {
    const b = new Set(dates(bundledBankHolidays(region, year)!));
    const c = new Set(dates(computedBankHolidays(region, year)));
    return { onlyBundled: [...b].filter((d) => !c.has(d)).sort(), onlyComputed: [...c].filter((d) => !b.has(d)).sort() };
  }

  const ORDINARY_YEARS = [2018, 2019, 2021, 2024, 2025, 2026, 2027];

  it.each(REGIONS)('give exactly the bundled list, titles and notes included, in every ordinary year (%s)', (region) => {
    for (const year of ORDINARY_YEARS) {
      expect(computedBankHolidays(region, year), `${region} ${year}`).toEqual(bundledBankHolidays(region, year));
    }
  });

  it.each(REGIONS)('differ from the bundled list only by the announced one-offs (%s)', (region) => {
    // 2020: early May moved to Friday 8 May for the 75th anniversary of VE Day.
    expect(disagreement(region, 2020)).toEqual({ onlyBundled: ['2020-05-08'], onlyComputed: ['2020-05-04'] });
    // 2022: spring moved to Thursday 2 June, Platinum Jubilee Friday 3 June, State Funeral 19 September.
    expect(disagreement(region, 2022)).toEqual({ onlyBundled: ['2022-06-02', '2022-06-03', '2022-09-19'], onlyComputed: ['2022-05-30'] });
    // 2023: the Coronation, Monday 8 May.
    expect(disagreement(region, 2023)).toEqual({ onlyBundled: ['2023-05-08'], onlyComputed: [] });
  });

  it('substitute a weekend holiday with the next weekday that is not already a holiday', () => {
    // Christmas on Sunday, Boxing Day on Monday: Christmas moves to Tuesday.
    expect(computedBankHolidays('england-and-wales', 2022).filter((e) => e.date >= '2022-12-01')).toEqual([
      { title: 'Boxing Day', date: '2022-12-26', notes: '', bunting: true },
      { title: 'Christmas Day', date: '2022-12-27', notes: 'Substitute day', bunting: true },
    ]);
    // Christmas on Saturday, Boxing Day on Sunday: Monday and Tuesday.
    expect(dates(computedBankHolidays('england-and-wales', 2021)).slice(-2)).toEqual(['2021-12-27', '2021-12-28']);
    // Scotland, 1 and 2 January on Saturday and Sunday (2022); 1 January on Sunday with 2 January a Monday (2023).
    expect(dates(computedBankHolidays('scotland', 2022)).slice(0, 2)).toEqual(['2022-01-03', '2022-01-04']);
    expect(computedBankHolidays('scotland', 2023).slice(0, 2).map((e) => [e.date, e.title])).toEqual([
      ['2023-01-02', '2nd January'],
      ['2023-01-03', 'New Year’s Day'],
    ]);
  });

  it('compute the years outside the bundled window', () => {
    expect(bankHolidayCalendar('england-and-wales', 2028).source).toBe('computed');
    expect(bankHolidayCalendar('england-and-wales', 2027).source).toBe('bundled');
    expect(bankHolidayCalendar('england-and-wales', 2017).source).toBe('computed');
    // 2017 as it happened: New Year's Day on a Sunday, substitute Monday 2 January.
    expect(byYear('england-and-wales', 2017)).toEqual(['2017-01-02', '2017-04-14', '2017-04-17', '2017-05-01', '2017-05-29', '2017-08-28', '2017-12-25', '2017-12-26']);
    expect(byYear('england-and-wales', 2028)).toEqual(['2028-01-03', '2028-04-14', '2028-04-17', '2028-05-01', '2028-05-29', '2028-08-28', '2028-12-25', '2028-12-26']);
    expect(byYear('scotland', 2028)).toEqual(['2028-01-03', '2028-01-04', '2028-04-14', '2028-05-01', '2028-05-29', '2028-08-07', '2028-11-30', '2028-12-25', '2028-12-26']);
    expect(byYear('northern-ireland', 2028)).toEqual(['2028-01-03', '2028-03-17', '2028-04-14', '2028-04-17', '2028-05-01', '2028-05-29', '2028-07-12', '2028-08-28', '2028-12-25', '2028-12-26']);
  });

  it('start St Andrew’s Day in 2007 and refuse years before 1978', () => {
    expect(byYear('scotland', 2006)).not.toContain('2006-11-30');
    expect(byYear('scotland', 2007)).toContain('2007-11-30');
    expect(() => bankHolidays('england-and-wales', 1977)).toThrow(RangeError);
    expect(() => bankHolidays('england-and-wales', 10_000)).toThrow(RangeError);
    expect(() => bankHolidays('wales' as Region, 2025)).toThrow(/unknown region/);
  });
});

describe('regions', () => {
  it('differ where the law says (2025 and 2026)', () => {
    const ew = byYear('england-and-wales', 2025);
    const sc = byYear('scotland', 2025);
    const ni = byYear('northern-ireland', 2025);
    expect(sc.filter((d) => !ew.includes(d))).toEqual(['2025-01-02', '2025-08-04', '2025-12-01']); // 2 Jan, first Monday of August, St Andrew's substitute
    expect(ew.filter((d) => !sc.includes(d))).toEqual(['2025-04-21', '2025-08-25']); // Easter Monday, last Monday of August
    expect(ni.filter((d) => !ew.includes(d))).toEqual(['2025-03-17', '2025-07-14']); // St Patrick's, the Boyne (12 July a Saturday)
    expect(byYear('northern-ireland', 2026).filter((d) => !byYear('england-and-wales', 2026).includes(d))).toEqual(['2026-03-17', '2026-07-13']);
    expect(byYear('scotland', 2026)).toContain('2026-11-30');
  });

  it('return a fresh set each time, so callers cannot alter the calendar', () => {
    const s = bankHolidays('england-and-wales', 2025);
    s.add('2025-06-01');
    s.delete('2025-12-25');
    expect(bankHolidays('england-and-wales', 2025).has('2025-12-25')).toBe(true);
    expect(bankHolidays('england-and-wales', 2025).has('2025-06-01')).toBe(false);
  });
});

describe('working days', () => {
  it('skip weekends and the region’s bank holidays, saying why', () => {
    expect(isWorkingDay('2025-12-24', 'england-and-wales')).toBe(true);
    expect(nonWorkingReason('2026-02-28', 'england-and-wales')).toBe('a Saturday');
    expect(nonWorkingReason('2025-12-25', 'scotland')).toBe('Christmas Day, a bank holiday in scotland');
    expect(nonWorkingReason('2025-12-01', 'scotland')).toBe('St Andrew’s Day (substitute day), a bank holiday in scotland');
    expect(isWorkingDay('2025-12-01', 'england-and-wales')).toBe(true);
    expect(nextWorkingDay('2024-12-25', 'england-and-wales')).toEqual({
      date: '2024-12-27',
      skipped: [
        { date: '2024-12-25', reason: 'Christmas Day, a bank holiday in england-and-wales' },
        { date: '2024-12-26', reason: 'Boxing Day, a bank holiday in england-and-wales' },
      ],
    });
  });

  it('cross into the next year, and into computed years', () => {
    // 25 December 2027 is a Saturday: substitutes on Monday 27 and Tuesday 28.
    expect(nextWorkingDay('2027-12-25', 'england-and-wales').date).toBe('2027-12-29');
    // 31 December 2027 is a Friday; 1 January 2028 a Saturday with its substitute on Monday 3 (computed).
    expect(nextWorkingDay('2028-01-01', 'england-and-wales').date).toBe('2028-01-04');
    expect(nextWorkingDay('2028-01-01', 'scotland').date).toBe('2028-01-05');
  });

  it('never lands on a weekend or holiday, across the bundled window and beyond', () => {
    for (const region of REGIONS) {
      for (let d = '2017-12-01'; d <= '2029-01-31'; d = addDays(d, 1)) {
        const next = nextWorkingDay(d, region).date;
        expect(next >= d && weekday(next) < 6 && !bankHolidays(region, Number(next.slice(0, 4))).has(next)).toBe(true);
      }
    }
  });
});
