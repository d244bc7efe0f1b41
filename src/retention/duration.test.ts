import { describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import { addDuration, addDurationClamped, daysBetween, daysInMonth, isCalendarDate, parseCalendarDate, parseDuration, toCalendarDate } from './duration.js';

const add = (date: string, period: string) => addDuration(date, parseDuration(period));

describe('parseDuration', () => {
  it('reads the forms the declaration allows', () => {
    expect(parseDuration('6 years')).toMatchObject({ years: 6, months: 0, days: 0, text: '6 years' });
    expect(parseDuration('1 year')).toMatchObject({ years: 1 });
    expect(parseDuration('3 months')).toMatchObject({ months: 3 });
    expect(parseDuration('28 days')).toMatchObject({ days: 28 });
    expect(parseDuration('2 weeks')).toMatchObject({ days: 14 });
    expect(parseDuration(' 6years ')).toMatchObject({ years: 6, text: '6years' });
    expect(parseDuration('P6Y')).toMatchObject({ years: 6, months: 0, days: 0 });
    expect(parseDuration('P1Y6M')).toMatchObject({ years: 1, months: 6 });
    expect(parseDuration('P2W3D')).toMatchObject({ days: 17 });
    expect(parseDuration('P0D')).toMatchObject({ years: 0, months: 0, days: 0 });
  });

  it('refuses anything else with VALIDATION_FAILED', () => {
    for (const bad of ['', 'P', 'six years', '6 fortnights', '-1 year', '1.5 years', 'P1H', '12345 days', '6 years 3 months']) {
      expect(() => parseDuration(bad), bad).toThrow(StewardError);
    }
  });
});

describe('calendar dates', () => {
  it('knows month lengths and leap years', () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2025, 2)).toBe(28);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 12)).toBe(31);
  });

  it('validates dates strictly', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2026-13-01')).toBe(false);
    expect(isCalendarDate('2026-1-01')).toBe(false);
    expect(isCalendarDate('2026-01-01T00:00:00Z')).toBe(false);
    expect(() => parseCalendarDate('2026-02-30', '--as-of')).toThrow(/--as-of: "2026-02-30" is not a real date/);
  });

  it('takes the UTC day of an instant', () => {
    expect(toCalendarDate('2026-03-02T23:59:59.999Z')).toBe('2026-03-02');
    expect(toCalendarDate('2026-03-02T23:30:00-01:00')).toBe('2026-03-03');
    expect(toCalendarDate(new Date(Date.UTC(2024, 1, 29, 12)))).toBe('2024-02-29');
    expect(toCalendarDate('2026-05-01')).toBe('2026-05-01');
    expect(() => toCalendarDate('yesterday')).toThrow(StewardError);
  });
});

describe('addDuration', () => {
  it('adds calendar years, clamping 29 February to 28 February', () => {
    expect(add('2024-02-29', '1 year')).toBe('2025-02-28');
    expect(add('2024-02-29', '4 years')).toBe('2028-02-29');
    expect(add('2024-02-29', 'P6Y')).toBe('2030-02-28');
    expect(add('2020-03-15', '6 years')).toBe('2026-03-15');
  });

  it('adds calendar months with month-end clamping, never overflowing like Date.setMonth', () => {
    expect(add('2026-01-31', '1 month')).toBe('2026-02-28');
    expect(add('2024-01-31', '1 month')).toBe('2024-02-29');
    expect(add('2026-03-31', '1 month')).toBe('2026-04-30');
    expect(add('2025-11-30', '3 months')).toBe('2026-02-28');
    expect(add('2026-08-31', '6 months')).toBe('2027-02-28');
    expect(add('2026-12-15', '1 month')).toBe('2027-01-15');
    expect(add('2026-05-31', 'P1Y1M')).toBe('2027-06-30');
  });

  it('adds days and weeks exactly, across month, year and leap-day boundaries', () => {
    expect(add('2026-01-31', '28 days')).toBe('2026-02-28');
    expect(add('2024-02-28', '1 day')).toBe('2024-02-29');
    expect(add('2026-12-25', '2 weeks')).toBe('2027-01-08');
    expect(add('2026-03-28', '2 days')).toBe('2026-03-30'); // across the UK clock change: no drift
  });

  it('applies months before days (ISO 8601 order)', () => {
    expect(add('2026-01-31', 'P1M1D')).toBe('2026-03-01');
  });

  it('subtracts with the same clamping', () => {
    expect(addDuration('2026-03-31', parseDuration('1 month'), -1)).toBe('2026-02-28');
    expect(addDuration('2025-02-28', parseDuration('1 year'), -1)).toBe('2024-02-28');
  });

  it('handles years outside 1970–2099 without Date.UTC surprises', () => {
    expect(add('0050-06-15', '10 days')).toBe('0050-06-25');
    expect(add('9998-12-31', '1 year')).toBe('9999-12-31');
    expect(() => add('9999-06-01', '1 year')).toThrow(StewardError);
  });

  it('saturates instead of throwing where a computed date leaves the calendar', () => {
    expect(addDurationClamped('2026-01-01', parseDuration('9999 years'))).toBe('9999-12-31');
    expect(addDurationClamped('2026-01-01', parseDuration('9999 years'), -1)).toBe('0001-01-01');
    expect(addDurationClamped('2026-01-31', parseDuration('1 month'))).toBe('2026-02-28');
  });

  it('counts days between dates', () => {
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2026-03-01', '2026-02-28')).toBe(-1);
  });
});
