import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import type { DeadlineResult } from './deadline.service.js';

describe('steward deadline', () => {
  let dir: string;
  // An empty folder, no environment: the command needs no database, policy or data folder.
  const cli = (...args: string[]) => runCli(['deadline', ...args], { cwd: dir, env: {} });
  const lines = (s: string): string[] => s.trimEnd().split('\n');

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-deadline-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['2024-01-31', '2024-02-29'],
    ['2025-01-31', '2025-02-28'],
    ['2026-01-31', '2026-03-02'],
    ['2026-03-31', '2026-04-30'],
    ['2024-11-25', '2024-12-27'],
  ])('received %s → last line %s (Art 12(3) UK GDPR)', async (received, expected) => {
    const r = await cli('--received', received);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).at(-1)).toBe(expected);
    expect(r.stdout).not.toContain('extension notice');
  });

  it('prints the extension notice date on the line before the extended due date', async () => {
    const r = await cli('--received', '2025-11-30', '--extended');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).slice(-2)).toEqual(['extension notice due 2025-12-30', '2026-03-02']);
    expect(r.stdout).toContain('3 calendar months from the start: 2025-11-30 -> 2026-02-28 (30 February 2026 does not exist, so the last day of that month)');
  });

  it('prints the computation step by step with --json', async () => {
    const r = await cli('--received', '2025-11-30', '--extended', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as DeadlineResult;
    expect(result.due).toBe('2026-03-02');
    expect(result.extension.noticeDue).toBe('2025-12-30');
    expect(result.rules.id).toBe('uk-gdpr-art-12');
    expect(result.steps.length).toBeGreaterThan(4);
    for (const s of result.steps) {
      expect(typeof s.what).toBe('string');
      expect(typeof s.to).toBe('string');
      expect(typeof s.why).toBe('string');
      expect(s.from === null || /^\d{4}-\d{2}-\d{2}$/.test(s.from)).toBe(true);
    }
  });

  it('takes the region, later ID/authority/fee dates, pauses and the fixed period', async () => {
    expect(lines((await cli('--received', '2024-12-02', '--region', 'scotland')).stdout).at(-1)).toBe('2025-01-03');
    expect(lines((await cli('--received', '2026-02-17', '--region', 'northern-ireland')).stdout).at(-1)).toBe('2026-03-18');
    expect(lines((await cli('--received', '2025-01-10', '--id-received', '2025-01-20', '--authority-received', '2025-01-25', '--fee-received', '2025-01-22')).stdout).at(-1)).toBe('2025-02-25');
    // Pauses, repeated or listed after one --pause: 6 + 2 days.
    for (const args of [
      ['--pause', '2026-03-05:2026-03-10', '--pause', '2026-03-10:2026-03-12'],
      ['--pause', '2026-03-05:2026-03-10', '2026-03-10:2026-03-12'],
    ]) {
      const r = await cli('--received', '2026-03-02', ...args);
      expect(r.code).toBe(0);
      expect(lines(r.stdout).at(-1)).toBe('2026-04-10');
    }
    expect(lines((await cli('--received', '2026-03-02', '--pause', '2026-03-05:2026-03-10', '--pause-counting', 'answer-day-counts')).stdout).at(-1)).toBe('2026-04-07');
    expect(lines((await cli('--received', '2025-09-03', '--fixed-days', '28')).stdout).at(-1)).toBe('2025-09-30');
    expect(lines((await cli('--received', '2025-09-03', '--fixed-days', '28', '--extended')).stdout).slice(-2)).toEqual(['extension notice due 2025-09-30', '2025-12-01']);
  });

  it('warns on stderr about dates worth a second look, and still answers', async () => {
    const r = await cli('--received', '2025-01-06', '--pause', '2025-02-10:2025-02-12');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: clarification asked 2025-02-10, answered 2025-02-12: not counted/);
    expect(lines(r.stdout).at(-1)).toBe('2025-02-06');
  });

  it.each<[string, string[], RegExp]>([
    ['a date that does not exist', ['--received', '2025-02-30'], /--received: "2025-02-30" is not a calendar date written YYYY-MM-DD/],
    ['a date in another format', ['--received', '30/01/2025'], /--received: "30\/01\/2025" is not a calendar date/],
    ['an unknown region', ['--received', '2025-01-30', '--region', 'wales'], /--region: "wales" is not one of england-and-wales, scotland, northern-ireland/],
    ['FROM after TO', ['--received', '2025-01-30', '--pause', '2025-02-05:2025-02-01'], /--pause "2025-02-05:2025-02-01": the answer \(2025-02-01\) is dated before the question \(2025-02-05\)/],
    ['a pause without a colon', ['--received', '2025-01-30', '--pause', '2025-02-05'], /--pause: "2025-02-05" should be FROM:TO/],
    ['a bad pause date', ['--received', '2025-01-30', '--pause', '2025-02-05:2025-02-31'], /--pause "2025-02-05:2025-02-31" \(TO\): "2025-02-31" is not a calendar date/],
    ['overlapping pauses', ['--received', '2025-01-30', '--pause', '2025-02-01:2025-02-10', '2025-02-05:2025-02-12'], /--pause: 2025-02-05:2025-02-12 overlaps 2025-02-01:2025-02-10/],
    ['a pause before the request', ['--received', '2025-01-30', '--pause', '2025-01-20:2025-02-01'], /before the request was received on 2025-01-30/],
    ['too long a fixed period', ['--received', '2025-01-30', '--fixed-days', '30'], /--fixed-days: "30" is not a whole number of days from 1 to 28/],
    ['a fixed period that is not a number', ['--received', '2025-01-30', '--fixed-days', 'twenty'], /--fixed-days: "twenty"/],
    ['an unknown pause counting', ['--received', '2025-01-30', '--pause-counting', 'half'], /--pause-counting: "half" is not one of both-days-paused, answer-day-counts/],
    ['a bad ID date', ['--received', '2025-01-30', '--id-received', '2025-13-01'], /--id-received: "2025-13-01" is not a calendar date/],
    ['a request before UK GDPR', ['--received', '2018-05-24'], /--received: requests received before 2018-05-25 fell under the Data Protection Act 1998/],
  ])('exits 2 with a clear message on %s', async (_what, args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error \[VALIDATION_FAILED\]: /);
    expect(r.stderr).toMatch(message);
  });

  it('reports every problem at once', async () => {
    const r = await cli('--received', '2025-02-30', '--region', 'wales', '--pause', 'x', '--fixed-days', '0');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(4);
  });

  it('exits 2 without --received, and on unknown options', async () => {
    const missing = await cli();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--received <date>' not specified");
    expect((await cli('--received', '2025-01-30', '--colour')).code).toBe(2);
  });

  it('does not echo a hostile value at length', async () => {
    const r = await cli('--received', `2025-01-01${'\u001b[31m'.repeat(5000)}`);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(200);
  });

  it('leaves the folder empty, and ignores policy and database settings it does not need', async () => {
    const r = await runCli(['--policy', 'missing.yaml', '--db', 'postgres://nowhere.invalid/x', 'deadline', '--received', '2025-01-31'], {
      cwd: dir,
      env: { STEWARD_POLICY: path.join(dir, 'nope.yaml'), STEWARD_DATA_DIR: path.join(dir, 'data') },
    });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).at(-1)).toBe('2025-02-28');
    expect(readdirSync(dir)).toEqual([]);
  });
});
