import { describe, expect, it } from 'vitest';
import { isStewardError, type StewardError } from '../shared/errors.js';
import { isWorkingDay, REGIONS, type Region } from './bank-holidays.js';
import { RESPONSE_RULES, rulesFor } from './deadline.rules.js';
import { computeDeadline, deadlineInputProblems, describeSteps, MAX_PAUSES, type DeadlineInput } from './deadline.service.js';
import { addDays, addMonths, daysBetween, describeDate } from './plain-date.js';

const due = (input: DeadlineInput): string => computeDeadline(input).due;

function rejection(input: DeadlineInput): StewardError {
  try {
    computeDeadline(input);
  } catch (e) {
    if (isStewardError(e)) return e;
    throw e;
  }
  throw new Error('expected the input to be refused');
}

describe('Art 12(3) and Art 12A UK GDPR, worked examples (england-and-wales)', () => {
  const examples: Array<{ received: string; receivedDay: string; extended?: true; deadline: string; deadlineDay: string; notice?: string }> = [
    { received: '2024-01-31', receivedDay: 'Wednesday', deadline: '2024-02-29', deadlineDay: 'Thursday' },
    { received: '2025-01-31', receivedDay: 'Friday', deadline: '2025-02-28', deadlineDay: 'Friday' },
    { received: '2026-01-31', receivedDay: 'Saturday', deadline: '2026-03-02', deadlineDay: 'Monday' },
    { received: '2026-03-31', receivedDay: 'Tuesday', deadline: '2026-04-30', deadlineDay: 'Thursday' },
    { received: '2024-11-25', receivedDay: 'Monday', deadline: '2024-12-27', deadlineDay: 'Friday' },
    { received: '2025-11-30', receivedDay: 'Sunday', extended: true, deadline: '2026-03-02', deadlineDay: 'Monday', notice: '2025-12-30' },
  ];

  it.each(examples)('received $receivedDay $received$extended → $deadlineDay $deadline', ({ received, receivedDay, extended, deadline, deadlineDay, notice }) => {
    expect(describeDate(received).split(' ')[0]).toBe(receivedDay);
    expect(describeDate(deadline).split(' ')[0]).toBe(deadlineDay);
    const r = computeDeadline({ received, region: 'england-and-wales', ...(extended ? { extended } : {}) });
    expect(r.due).toBe(deadline);
    expect(r.start).toBe(received);
    expect(r.warnings).toEqual([]);
    if (notice) {
      expect(r.extension.noticeDue).toBe(notice);
      expect(describeDate(notice)).toBe('Tuesday 30 December 2025');
    }
  });

  it('explains the ICO’s own example: 25 and 26 December are bank holidays', () => {
    const r = computeDeadline({ received: '2024-11-25' });
    expect(r.steps.map((s) => [s.kind, s.from, s.to])).toEqual([
      ['rules', null, 'uk-gdpr-art-12'],
      ['start', '2024-11-25', '2024-11-25'],
      ['period', '2024-11-25', '2024-12-25'],
      ['working-day', '2024-12-25', '2024-12-27'],
    ]);
    expect(r.steps[3]!.why).toBe('2024-12-25 is Christmas Day, a bank holiday in england-and-wales; 2024-12-26 is Boxing Day, a bank holiday in england-and-wales');
  });

  it('explains the extended example step by step, including the clamp to 28 February', () => {
    const r = computeDeadline({ received: '2025-11-30', extended: true });
    expect(r.steps.map((s) => [s.kind, s.period, s.from, s.to])).toEqual([
      ['rules', null, null, 'uk-gdpr-art-12'],
      ['start', null, '2025-11-30', '2025-11-30'],
      ['period', 'first', '2025-11-30', '2025-12-30'],
      ['working-day', 'first', '2025-12-30', '2025-12-30'],
      ['extension', 'extended', '2025-11-30', '2026-02-28'],
      ['working-day', 'extended', '2026-02-28', '2026-03-02'],
      ['extension-notice', 'extended', null, '2025-12-30'],
    ]);
    expect(r.steps[4]!.why).toBe('30 February 2026 does not exist, so the last day of that month');
    expect(r.steps[5]!.why).toBe('2026-02-28 is a Saturday; 2026-03-01 is a Sunday');
    for (const s of r.steps) expect(Object.keys(s)).toEqual(['kind', 'period', 'what', 'from', 'to', 'why']);
    expect(describeSteps(r)).toHaveLength(r.steps.length);
    expect(r.firstPeriod).toEqual({ end: '2025-12-30', pausedDays: 0, endWithPauses: '2025-12-30', due: '2025-12-30' });
  });
});

describe('regions', () => {
  it.each<[string, string, Region, string]>([
    // 2 January (Scotland)
    ['2 January', '2024-12-02', 'england-and-wales', '2025-01-02'],
    ['2 January', '2024-12-02', 'scotland', '2025-01-03'],
    // St Patrick's Day (Northern Ireland)
    ['St Patrick’s Day', '2026-02-17', 'england-and-wales', '2026-03-17'],
    ['St Patrick’s Day', '2026-02-17', 'northern-ireland', '2026-03-18'],
    // St Andrew's Day (Scotland), on a Monday in 2026 and substituted in 2025
    ['St Andrew’s Day', '2026-10-30', 'england-and-wales', '2026-11-30'],
    ['St Andrew’s Day', '2026-10-30', 'scotland', '2026-12-01'],
    ['St Andrew’s Day substitute', '2025-10-30', 'england-and-wales', '2025-12-01'],
    ['St Andrew’s Day substitute', '2025-10-30', 'scotland', '2025-12-02'],
    // Battle of the Boyne (Northern Ireland): 12 July 2026 is a Sunday, the holiday Monday 13
    ['the Boyne substitute', '2026-06-12', 'england-and-wales', '2026-07-13'],
    ['the Boyne substitute', '2026-06-12', 'northern-ireland', '2026-07-14'],
    // August bank holiday: first Monday in Scotland, last Monday elsewhere
    ['first Monday of August', '2026-07-03', 'scotland', '2026-08-04'],
    ['first Monday of August', '2026-07-03', 'england-and-wales', '2026-08-03'],
    ['last Monday of August', '2026-07-31', 'england-and-wales', '2026-09-01'],
    ['last Monday of August', '2026-07-31', 'northern-ireland', '2026-09-01'],
    ['last Monday of August', '2026-07-31', 'scotland', '2026-08-31'],
    // Easter Monday is not a holiday in Scotland
    ['Easter Monday', '2025-03-21', 'england-and-wales', '2025-04-22'],
    ['Easter Monday', '2025-03-21', 'scotland', '2025-04-21'],
  ])('%s: received %s in %s → %s', (_what, received, region, expected) => {
    expect(due({ received, region })).toBe(expected);
  });

  it('defaults to england-and-wales', () => {
    expect(computeDeadline({ received: '2024-12-02' }).region).toBe('england-and-wales');
  });
});

describe('leap years', () => {
  it('29 February 2024 → 29 March, Good Friday, then the weekend and Easter Monday', () => {
    expect(due({ received: '2024-02-29', region: 'england-and-wales' })).toBe('2024-04-02');
    expect(due({ received: '2024-02-29', region: 'northern-ireland' })).toBe('2024-04-02');
    expect(due({ received: '2024-02-29', region: 'scotland' })).toBe('2024-04-01');
    const r = computeDeadline({ received: '2024-02-29' });
    expect(r.firstPeriod.end).toBe('2024-03-29');
    expect(r.steps.at(-1)!.why).toBe(
      '2024-03-29 is Good Friday, a bank holiday in england-and-wales; 2024-03-30 is a Saturday; 2024-03-31 is a Sunday; 2024-04-01 is Easter Monday, a bank holiday in england-and-wales',
    );
  });

  it('30 and 31 January end on 29 February in a leap year and 28 February otherwise', () => {
    expect(due({ received: '2024-01-30' })).toBe('2024-02-29');
    expect(due({ received: '2023-01-30' })).toBe('2023-02-28');
    expect(due({ received: '2028-01-31' })).toBe('2028-02-29'); // computed year
  });

  it('29 February + 3 months', () => {
    expect(due({ received: '2024-02-29', extended: true })).toBe('2024-05-29');
  });
});

describe('the start of the clock', () => {
  it('moves to the day requested ID arrives (a new start, not a pause)', () => {
    const r = computeDeadline({ received: '2025-01-10', idReceived: '2025-01-20' });
    expect(r.start).toBe('2025-01-20');
    expect(r.startedBy).toEqual(['id-received']);
    expect(r.due).toBe('2025-02-20');
    expect(r.firstPeriod.pausedDays).toBe(0);
    expect(r.steps[1]!.why).toBe('the latest of request received 2025-01-10, ID received 2025-01-20; day one is that day, working day or not');
  });

  it('takes the latest of request, ID, authority and fee', () => {
    expect(due({ received: '2025-01-10', idReceived: '2025-01-20', authorityReceived: '2025-01-25', feeReceived: '2025-01-22' })).toBe('2025-02-25');
    expect(computeDeadline({ received: '2025-01-10', feeReceived: '2025-01-31' }).due).toBe('2025-02-28');
    const tie = computeDeadline({ received: '2025-01-10', idReceived: '2025-01-20', authorityReceived: '2025-01-20', feeReceived: null });
    expect(tie.startedBy).toEqual(['id-received', 'authority-received']);
  });

  it('can move into a month-end clamp and across a year', () => {
    expect(due({ received: '2025-12-20', idReceived: '2025-12-31' })).toBe('2026-02-02'); // 31 Jan 2026 is a Saturday
  });

  it('ignores, with a warning, an ID date before the request itself', () => {
    const r = computeDeadline({ received: '2025-01-10', idReceived: '2024-01-20' });
    expect(r.start).toBe('2025-01-10');
    expect(r.warnings).toEqual(['ID received on 2024-01-20, before the request itself (2025-01-10): check the date; it does not move the start']);
  });
});

describe('clarification pauses', () => {
  it('add the days from asking to the answer, both days paused by default', () => {
    const r = computeDeadline({ received: '2026-03-02', pauses: [{ from: '2026-03-05', to: '2026-03-10' }] });
    expect(r.firstPeriod).toEqual({ end: '2026-04-02', pausedDays: 6, endWithPauses: '2026-04-08', due: '2026-04-08' });
    expect(r.pauseCounting).toBe('both-days-paused');
    expect(r.steps.find((s) => s.kind === 'pause')).toMatchObject({ from: '2026-04-02', to: '2026-04-08', what: 'clarification pause: 6 days added' });
  });

  it('count one day fewer when the answer day counts', () => {
    const r = computeDeadline({ received: '2026-03-02', pauses: [{ from: '2026-03-05', to: '2026-03-10' }], pauseCounting: 'answer-day-counts' });
    expect(r.firstPeriod.pausedDays).toBe(5);
    expect(r.due).toBe('2026-04-07');
    // Answered the day it was asked: one paused day, or none.
    expect(computeDeadline({ received: '2026-03-02', pauses: [{ from: '2026-03-05', to: '2026-03-05' }] }).firstPeriod.pausedDays).toBe(1);
    expect(computeDeadline({ received: '2026-03-02', pauses: [{ from: '2026-03-05', to: '2026-03-05' }], pauseCounting: 'answer-day-counts' }).firstPeriod.pausedDays).toBe(0);
  });

  it('extend the end before the working-day step', () => {
    // 15 Dec 2024 (Sunday) + 9 days = Tuesday 24 Dec; + 10 days = Christmas Day, so Friday 27.
    expect(due({ received: '2024-11-15', pauses: [{ from: '2024-11-20', to: '2024-11-28' }] })).toBe('2024-12-24');
    expect(due({ received: '2024-11-15', pauses: [{ from: '2024-11-20', to: '2024-11-29' }] })).toBe('2024-12-27');
  });

  it('add up, in any order, counting a shared day once', () => {
    const r = computeDeadline({
      received: '2026-03-02',
      pauses: [
        { from: '2026-03-10', to: '2026-03-12' },
        { from: '2026-03-05', to: '2026-03-10' },
      ],
    });
    expect(r.firstPeriod.pausedDays).toBe(8); // 5–10 March, then 11–12 March
    expect(r.due).toBe('2026-04-10');
  });

  it('only count from the start of the clock', () => {
    // Clarification asked with the ID request on 4 March, answered on 12 March; ID arrived on 10 March.
    const r = computeDeadline({ received: '2025-03-03', idReceived: '2025-03-10', pauses: [{ from: '2025-03-04', to: '2025-03-12' }] });
    expect(r.start).toBe('2025-03-10');
    expect(r.firstPeriod.pausedDays).toBe(3);
    expect(r.due).toBe('2025-04-14'); // 10 April + 3 = Sunday 13 April
    const before = computeDeadline({ received: '2025-03-03', idReceived: '2025-03-10', pauses: [{ from: '2025-03-04', to: '2025-03-05' }] });
    expect(before.firstPeriod.pausedDays).toBe(0);
    expect(before.steps.find((s) => s.kind === 'pause')!.why).toContain('answered before the clock started on 2025-03-10');
  });

  it('cannot revive a clock that has run out', () => {
    const r = computeDeadline({ received: '2025-01-06', pauses: [{ from: '2025-02-10', to: '2025-02-12' }] });
    expect(r.due).toBe('2025-02-06');
    expect(r.firstPeriod.pausedDays).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('asked after the first period had ended (deadline 2025-02-06)');
  });

  it('may be asked on the due day itself, even when the end was moved there from a weekend', () => {
    // End Saturday 28 Feb 2026, due Monday 2 March; asked on the 2nd, answered on the 4th: 3 days.
    const r = computeDeadline({ received: '2026-01-31', pauses: [{ from: '2026-03-02', to: '2026-03-04' }] });
    expect(r.firstPeriod.pausedDays).toBe(3);
    expect(r.due).toBe('2026-03-03');
  });

  it('also move the extension notice, and count again against the extended period', () => {
    const r = computeDeadline({ received: '2025-11-30', extended: true, pauses: [{ from: '2025-12-05', to: '2025-12-10' }] });
    expect(r.extension.noticeDue).toBe('2026-01-05'); // 30 Dec + 6 days
    expect(r.extension.pausedDays).toBe(6);
    expect(r.due).toBe('2026-03-06'); // 28 Feb + 6 days
  });

  it('during the extension count only against the extended period', () => {
    const pauses = [{ from: '2026-01-10', to: '2026-01-19' }];
    const extended = computeDeadline({ received: '2025-11-30', extended: true, pauses });
    expect(extended.firstPeriod.due).toBe('2025-12-30');
    expect(extended.extension.noticeDue).toBe('2025-12-30');
    expect(extended.due).toBe('2026-03-10'); // 28 Feb + 10 days
    expect(extended.warnings).toEqual([]);
    // Without the extension the same pause came too late and is reported.
    expect(computeDeadline({ received: '2025-11-30', pauses }).warnings).toHaveLength(1);
  });

  it('are refused when they make no sense', () => {
    const backwards = rejection({ received: '2025-01-06', pauses: [{ from: '2025-01-10', to: '2025-01-08' }] });
    expect(backwards.code).toBe('VALIDATION_FAILED');
    expect(backwards.details).toEqual([{ path: 'pauses[0]', message: 'pauses[0]: the answer (2025-01-08) is dated before the question (2025-01-10)' }]);
    expect(rejection({ received: '2025-01-06', pauses: [{ from: '2025-01-05', to: '2025-01-08' }] }).message).toContain('before the request was received');
    expect(
      rejection({
        received: '2025-01-06',
        pauses: [
          { from: '2025-01-08', to: '2025-01-15' },
          { from: '2025-01-10', to: '2025-01-20' },
        ],
      }).message,
    ).toContain('overlaps');
    expect(rejection({ received: '2025-01-06', pauses: [{ from: '2025-01-08' } as never] }).details[0]!.path).toBe('pauses[0].to');
    expect(rejection({ received: '2025-01-06', pauses: 'soon' as never }).details[0]!.path).toBe('pauses');
    const many = Array.from({ length: MAX_PAUSES + 1 }, (_, i) => ({ from: addDays('2025-01-06', i), to: addDays('2025-01-06', i) }));
    expect(rejection({ received: '2025-01-06', pauses: many }).message).toContain(`at most ${MAX_PAUSES}`);
  });
});

describe('a fixed 28-day period', () => {
  it('ends on day 28, counting the day of receipt as day one (worked example)', () => {
    // Received Wednesday 3 September 2025: day 28 is Tuesday 30 September (the month would give 3 October).
    const r = computeDeadline({ received: '2025-09-03', fixedDays: 28 });
    expect(r.firstPeriod.end).toBe('2025-09-30');
    expect(daysBetween(r.start, r.due) + 1).toBe(28);
    expect(r.due).toBe('2025-09-30');
    expect(r.period).toEqual({ kind: 'fixed-days', days: 28 });
    expect(due({ received: '2025-09-03' })).toBe('2025-10-03');
  });

  it('moves to the next working day like the month does', () => {
    expect(due({ received: '2025-01-05', fixedDays: 28 })).toBe('2025-02-03'); // day 28 is Saturday 1 February
    expect(due({ received: '2024-11-28', fixedDays: 28 })).toBe('2024-12-27'); // day 28 is Christmas Day
  });

  it('takes two further months when extended, with the notice due by day 28', () => {
    const r = computeDeadline({ received: '2025-09-03', fixedDays: 28, extended: true });
    expect(r.due).toBe('2025-12-01'); // 30 November is a Sunday
    expect(r.extension.noticeDue).toBe('2025-09-30');
    expect(due({ received: '2025-09-03', fixedDays: 28, extended: true, region: 'scotland' })).toBe('2025-12-02'); // St Andrew's substitute
    // Day 28 is 31 December; two months on clamps to 28 February 2026, a Saturday.
    expect(due({ received: '2025-12-04', fixedDays: 28, extended: true })).toBe('2026-03-02');
  });

  it('accepts whole numbers from 1 to 28 only', () => {
    expect(due({ received: '2025-09-03', fixedDays: 1 })).toBe('2025-09-03');
    for (const bad of [0, 29, 30, -1, 27.5, Number.NaN, '28' as never]) {
      expect(rejection({ received: '2025-09-03', fixedDays: bad }).details[0]!.path).toBe('fixedDays');
    }
  });
});

describe('the extension', () => {
  it.each<[string, Region, string]>([
    ['2025-08-31', 'england-and-wales', '2025-12-01'], // 31 Nov → 30 Nov, a Sunday
    ['2025-08-31', 'scotland', '2025-12-02'], // … and Monday 1 December is St Andrew's substitute
    ['2023-11-30', 'england-and-wales', '2024-02-29'], // leap year
    ['2027-11-29', 'england-and-wales', '2028-02-29'], // leap year, computed holidays
    ['2025-10-31', 'england-and-wales', '2026-02-02'], // 31 Jan 2026 is a Saturday
    ['2025-12-31', 'england-and-wales', '2026-03-31'],
  ])('received %s in %s, extended → %s (three months from the start)', (received, region, expected) => {
    const r = computeDeadline({ received, region, extended: true });
    expect(r.due).toBe(expected);
    expect(r.extension.end).toBe(addMonths(received, 3));
    expect(r.extension.noticeDue).toBe(r.firstPeriod.due);
  });

  it('is computed even when not taken, for a workflow to offer', () => {
    const r = computeDeadline({ received: '2025-11-30' });
    expect(r.extended).toBe(false);
    expect(r.due).toBe('2025-12-30');
    expect(r.extension).toMatchObject({ due: '2026-03-02', noticeDue: '2025-12-30' });
    expect(r.steps.some((s) => s.period === 'extended')).toBe(false);
  });
});

describe('rules versions', () => {
  it('are chosen by the date received, Art 12A from 5 February 2026', () => {
    expect(computeDeadline({ received: '2026-02-04' }).rules.id).toBe('uk-gdpr-art-12');
    expect(computeDeadline({ received: '2026-02-05' }).rules.id).toBe('uk-gdpr-art-12a');
    expect(computeDeadline({ received: '2018-05-25' }).rules.id).toBe('uk-gdpr-art-12');
    // ID arriving after the change does not change the version: the request was received before it.
    expect(computeDeadline({ received: '2026-01-20', idReceived: '2026-02-10' }).rules.id).toBe('uk-gdpr-art-12');
  });

  it('form an ordered table with unique ids and the same arithmetic today', () => {
    const froms = RESPONSE_RULES.map((r) => r.from);
    expect(froms).toEqual([...froms].sort());
    expect(new Set(RESPONSE_RULES.map((r) => r.id)).size).toBe(RESPONSE_RULES.length);
    for (const r of RESPONSE_RULES) expect([r.periodMonths, r.extendedMonths]).toEqual([1, 3]);
    expect(rulesFor('2018-05-24')).toBeUndefined();
  });

  it('refuse requests received before 25 May 2018', () => {
    const e = rejection({ received: '2018-05-24' });
    expect(e.details).toEqual([{ path: 'received', message: 'received: requests received before 2018-05-25 fell under the Data Protection Act 1998, whose rules are not encoded' }]);
  });
});

describe('bad input', () => {
  it('is refused with VALIDATION_FAILED and one detail per problem', () => {
    const e = rejection({ received: '2025-02-30', region: 'wales' as Region, idReceived: '2025-1-5', extended: 'yes' as never, pauseCounting: 'half' as never });
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.details.map((d) => d.path)).toEqual(['received', 'region', 'idReceived', 'extended', 'pauseCounting']);
    expect(deadlineInputProblems({ received: '2025-02-28' })).toEqual([]);
    expect(deadlineInputProblems(null as never)).toHaveLength(1);
  });

  it('never echoes more than a short prefix of a hostile value', () => {
    const e = rejection({ received: `2025-01-01${'<script>'.repeat(10_000)}` });
    expect(e.message.length).toBeLessThan(150);
  });

  it('keeps dates within the supported range', () => {
    expect(rejection({ received: '2200-01-01' }).message).toContain('outside the supported range');
    expect(due({ received: '2199-12-31', extended: true })).toBe('2200-03-31');
  });
});

describe('properties, for every day from 25 May 2018 to the end of 2031 in every region', () => {
  it('hold for the month, the fixed 28 days and the extension', () => {
    // Collected rather than asserted one by one: some 15,000 requests, each checked ten ways.
    const failures: string[] = [];
    const check = (ok: boolean, what: string): void => void (ok || failures.push(what));
    let checked = 0;
    for (const region of REGIONS) {
      for (let received = '2018-05-25'; received <= '2031-12-31'; received = addDays(received, 1)) {
        const at = `${region} ${received}`;
        const month = computeDeadline({ received, region, extended: true });
        const fixed = computeDeadline({ received, region, extended: true, fixedDays: 28 });
        // The end is the corresponding date (or the month's last day), never less than 28 days on.
        check(month.firstPeriod.end === addMonths(received, 1), `${at}: month end`);
        check(daysBetween(received, month.firstPeriod.end) >= 28, `${at}: month shorter than 28 days`);
        check(month.extension.end === addMonths(received, 3), `${at}: extension end`);
        // Due dates are working days on or after the end, and less than a week after it.
        for (const p of [month.firstPeriod, month.extension, fixed.firstPeriod, fixed.extension]) {
          const slack = daysBetween(p.endWithPauses, p.due);
          check(isWorkingDay(p.due, region) && slack >= 0 && slack < 7, `${at}: due ${p.due} for end ${p.endWithPauses}`);
        }
        // The fixed period never ends after the month would; nor does its extension.
        check(fixed.firstPeriod.due <= month.firstPeriod.due, `${at}: fixed after month`);
        check(fixed.extension.due <= month.extension.due, `${at}: fixed extension after the statutory one`);
        check(month.extension.noticeDue === month.firstPeriod.due, `${at}: notice`);
        checked++;
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(checked).toBe(3 * (daysBetween('2018-05-25', '2031-12-31') + 1));
  });

  it('pauses never shorten the period, and the default counts at least as many days as the alternative', () => {
    for (let received = '2024-01-01'; received <= '2026-12-31'; received = addDays(received, 7)) {
      const pauses = [{ from: addDays(received, 3), to: addDays(received, 3 + (Number(received.slice(8)) % 9)) }];
      const none = computeDeadline({ received });
      const both = computeDeadline({ received, pauses });
      const answerCounts = computeDeadline({ received, pauses, pauseCounting: 'answer-day-counts' });
      expect(both.due >= answerCounts.due && answerCounts.due >= none.due).toBe(true);
      expect(both.firstPeriod.pausedDays - answerCounts.firstPeriod.pausedDays).toBe(1);
    }
  });
});
