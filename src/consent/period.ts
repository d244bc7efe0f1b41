/**
 * Calendar arithmetic for the declaration's periods ("3 years", "1 month", "P3Y"): consent
 * validity and how long before it lapses a renewal request goes out.
 *
 * Months and years are calendar steps that clamp to the month's last day (31 January + 1 month is
 * 28 or 29 February), never Date.setMonth's overflow into March.
 */
import { durationPattern } from '../policy/schema.common.js';

export interface Period {
  years: number;
  months: number;
  days: number;
}

export function parsePeriod(text: string): Period | undefined {
  const m = durationPattern.exec(text.trim());
  if (!m) return undefined;
  if (m[1] !== undefined) {
    const n = Number(m[1]);
    const unit = m[2]!;
    if (unit.startsWith('year')) return { years: n, months: 0, days: 0 };
    if (unit.startsWith('month')) return { years: 0, months: n, days: 0 };
    if (unit.startsWith('week')) return { years: 0, months: 0, days: 7 * n };
    return { years: 0, months: 0, days: n };
  }
  return { years: Number(m[3] ?? 0), months: Number(m[4] ?? 0), days: 7 * Number(m[5] ?? 0) + Number(m[6] ?? 0) };
}

/** `at` moved by a period, forwards (sign 1) or backwards (sign -1), in UTC. */
export function shiftByPeriod(at: Date, p: Period, sign: 1 | -1 = 1): Date {
  const totalMonths = at.getUTCFullYear() * 12 + at.getUTCMonth() + sign * (p.years * 12 + p.months);
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(at.getUTCDate(), lastDay);
  const moved = new Date(Date.UTC(year, month, day, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
  return new Date(moved.getTime() + sign * p.days * 86_400_000);
}

/** Whole years between a date of birth (YYYY-MM-DD) and a moment. */
export function ageOn(birthDate: string, at: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = at.getUTCFullYear() - y;
  const beforeBirthday = at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d);
  if (beforeBirthday) age--;
  return age;
}

/** A YYYY-MM-DD date that exists, or undefined. Accepts an ISO timestamp and keeps its date. */
export function parseBirthDate(s: string): string | undefined {
  const t = s.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$/.exec(t);
  if (m) {
    const iso = `${m[1]}-${m[2]}-${m[3]}`;
    const d = new Date(`${iso}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : undefined;
  }
  // UK order, as people write it: 14/03/2011.
  const uk = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (uk) return parseBirthDate(`${uk[3]}-${uk[2]!.padStart(2, '0')}-${uk[1]!.padStart(2, '0')}`);
  return undefined;
}
