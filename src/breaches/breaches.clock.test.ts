import { describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import { breachClock, deadlineFor, formatUk, parseInstant } from './breaches.clock.js';

const refused = (input: string): string => {
  try {
    parseInstant(input, 'awareAt');
  } catch (e) {
    if (e instanceof StewardError && e.code === 'VALIDATION_FAILED') return e.message;
    throw e;
  }
  throw new Error(`expected ${input} to be refused`);
};

describe('the breach clock', () => {
  it('ends 72 clock hours after awareness, weekends and clock changes included', () => {
    expect(deadlineFor('2026-03-06T19:30:00.000Z')).toBe('2026-03-09T19:30:00.000Z');
    expect(formatUk(deadlineFor('2026-03-06T19:30:00.000Z'))).toBe('Mon 9 Mar 2026, 19:30 GMT');
    // Into summer time: the same instant reads an hour later on the wall.
    expect(formatUk(deadlineFor('2026-03-27T19:30:00.000Z'))).toBe('Mon 30 Mar 2026, 20:30 BST');
    // Back to winter time: an hour earlier.
    expect(formatUk(deadlineFor('2026-10-23T18:30:00.000Z'))).toBe('Mon 26 Oct 2026, 18:30 GMT');
  });

  it('reads UK local times and ISO times with offsets, and refuses what is not a time', () => {
    expect(parseInstant('2026-03-06 19:30', 'x')).toBe('2026-03-06T19:30:00.000Z');
    expect(parseInstant('2026-07-01T10:00', 'x')).toBe('2026-07-01T09:00:00.000Z');
    expect(parseInstant('2026-07-01', 'x')).toBe('2026-06-30T23:00:00.000Z');
    expect(parseInstant('2026-07-01T10:00:00+02:00', 'x')).toBe('2026-07-01T08:00:00.000Z');
    expect(parseInstant('2026-07-01 10:00+0100', 'x')).toBe('2026-07-01T09:00:00.000Z');
    expect(parseInstant('2026-07-01T10:00:00.123Z', 'x')).toBe('2026-07-01T10:00:00.123Z');
    expect(refused('2026-03-29 01:30')).toContain('clocks go forward');
    expect(refused('2026-10-25 01:30')).toContain('happens twice');
    expect(parseInstant('2026-10-25T01:30+01:00', 'x')).toBe('2026-10-25T00:30:00.000Z');
    for (const bad of ['2026-02-30 10:00', '2026-13-01', '24:00', 'Friday', '2026-03-06 25:00', '2026-03-06T19:30Zjunk', 'x'.repeat(100)]) {
      expect(refused(bad)).toMatch(/^awareAt: /);
    }
  });

  it('says how long is left, and when late, by how much and that a reason is owed', () => {
    const at = (iso: string) => new Date(iso);
    const base = { awareAt: '2026-03-06T19:30:00.000Z', reportedAt: null, notRequired: false, delayReasonGiven: false };
    expect(breachClock(base, at('2026-03-06T19:30:00Z'))).toMatchObject({ state: 'within-time', hoursRemaining: 72, minutesRemaining: 4320 });
    expect(breachClock(base, at('2026-03-08T20:00:00Z'))).toMatchObject({ state: 'due-soon', hoursRemaining: 23 });
    expect(breachClock(base, at('2026-03-09T19:00:00Z')).label).toContain('due in 30 minutes');
    expect(breachClock(base, at('2026-03-09T21:10:00Z'))).toMatchObject({ state: 'late', hoursLate: 2, delayReasonRequired: true });
    expect(breachClock({ ...base, reportedAt: '2026-03-09T10:00:00.000Z' }, at('2026-03-20T00:00:00Z'))).toMatchObject({ state: 'reported', hoursRemaining: null });
    expect(breachClock({ ...base, reportedAt: '2026-03-10T10:00:00.000Z' }, at('2026-03-20T00:00:00Z'))).toMatchObject({ state: 'reported-late', hoursLate: 15, delayReasonRequired: true });
    expect(breachClock({ ...base, notRequired: true }, at('2026-03-20T00:00:00Z')).state).toBe('not-required');
  });
});
