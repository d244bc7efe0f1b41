import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  addMonthsDetailed,
  compareDates,
  daysBetween,
  daysInMonth,
  describeDate,
  fromDayNumber,
  isIsoDate,
  isLeapYear,
  laterOf,
  toDayNumber,
  weekday,
} from './plain-date.js';

describe('plain dates', () => {
  it('agree with the platform calendar for every day from 1900 to 2200 (day numbers and weekdays)', () => {
    // Date is used here only as an independent oracle; the module itself never touches it.
    const first = Date.UTC(1900, 0, 1) / 86_400_000;
    const last = Date.UTC(2200, 11, 31) / 86_400_000;
    let checked = 0;
    for (let n = first; n <= last; n++) {
      const d = new Date(n * 86_400_000);
      const iso = d.toISOString().slice(0, 10);
      if (fromDayNumber(n) !== iso || toDayNumber(iso) !== n || weekday(iso) !== ((d.getUTCDay() + 6) % 7) + 1) {
        throw new Error(`mismatch at ${iso}`);
      }
      checked++;
    }
    expect(checked).toBe(last - first + 1);
    expect(checked).toBe(301 * 365 + 73); // 73 leap days: 1904–2196, less 2100
  });

  it('accepts only real calendar dates written YYYY-MM-DD', () => {
    for (const ok of ['2024-02-29', '2025-12-31', '1900-01-01', '2000-02-29']) expect(isIsoDate(ok), ok).toBe(true);
    for (const bad of ['2025-02-29', '1900-02-29', '2024-02-30', '2025-13-01', '2025-00-10', '2025-04-31', '2025-1-1', ' 2025-01-01', '2025-01-01 ', '20250101', '2025-01-01T00:00', '０２０２５-01-01', '', 'today', 20250101, null, undefined, {}]) {
      expect(isIsoDate(bad), String(bad)).toBe(false);
    }
  });

  it('knows leap years and month lengths', () => {
    expect([1900, 2000, 2023, 2024, 2100].map(isLeapYear)).toEqual([false, true, false, true, false]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2024, m))).toEqual([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(daysInMonth(2025, 2)).toBe(28);
  });

  it.each([
    ['2024-01-31', 1, '2024-02-29', true],
    ['2025-01-31', 1, '2025-02-28', true],
    ['2026-01-31', 1, '2026-02-28', true],
    ['2026-03-31', 1, '2026-04-30', true],
    ['2024-11-25', 1, '2024-12-25', false],
    ['2025-12-15', 1, '2026-01-15', false],
    ['2025-11-30', 3, '2026-02-28', true],
    ['2023-11-30', 3, '2024-02-29', true],
    ['2025-08-31', 3, '2025-11-30', true],
    ['2025-10-31', 3, '2026-01-31', false],
    ['2025-03-31', -1, '2025-02-28', true],
    ['2024-02-29', 12, '2025-02-28', true],
  ])('%s + %i months = %s (clamped: %s)', (from, months, to, clamped) => {
    expect(addMonths(from, months)).toBe(to);
    expect(addMonthsDetailed(from, months).clamped).toBe(clamped);
  });

  it('never overflows into the month after, the Date.setMonth trap', () => {
    const d = new Date(Date.UTC(2025, 0, 31));
    d.setUTCMonth(d.getUTCMonth() + 1);
    expect(d.toISOString().slice(0, 10)).toBe('2025-03-03'); // what the trap gives
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
  });

  it('adds days, measures gaps, compares and describes', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(daysBetween('2025-12-05', '2025-12-10')).toBe(5);
    expect(daysBetween('2025-12-10', '2025-12-05')).toBe(-5);
    expect(compareDates('2025-01-02', '2025-01-10')).toBeLessThan(0);
    expect(compareDates('2025-01-02', '2025-01-02')).toBe(0);
    expect(laterOf('2025-01-02', '2024-12-31')).toBe('2025-01-02');
    expect(describeDate('2026-02-28')).toBe('Saturday 28 February 2026');
  });

  it('refuses to compute with something that is not a date', () => {
    expect(() => toDayNumber('2025-02-30')).toThrow(RangeError);
    expect(() => addMonths('nonsense', 1)).toThrow(/not a YYYY-MM-DD calendar date/);
  });
});
