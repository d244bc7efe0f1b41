import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../shared/clock.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { Scheduler, type Job } from './scheduler.js';

describe.each(dialects)('scheduler on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => t.dispose());

  it('runs a daily job once a day, once across instances sharing the database', async () => {
    const clock = fixedClock('2026-03-02T03:00:00Z');
    let runs = 0;
    const job: Job = {
      name: 'daily-sweep',
      everyMs: 24 * 3600_000,
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 50));
      },
    };
    const a = new Scheduler({ db: t.db, clock, jobs: [job] });
    const b = new Scheduler({ db: t.db, clock, jobs: [job] });
    const [ra, rb] = await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(1);
    expect([...ra, ...rb]).toEqual(['daily-sweep']);
    clock.advance(3600_000);
    await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(1);
    clock.advance(23 * 3600_000);
    await Promise.all([a.runDue(), b.runDue()]);
    expect(runs).toBe(2);
    const row = await t.db.selectFrom('job_runs').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'daily-sweep', holder: null, last_status: 'ok', last_run_at: '2026-03-03T03:00:00.000Z' });
  });

  it('records a failed run and tries again when it is next due', async () => {
    const clock = fixedClock('2026-03-02T03:00:00Z');
    let fail = true;
    const s = new Scheduler({ db: t.db, clock, jobs: [{ name: 'flaky', everyMs: 3600_000, run: async () => { if (fail) throw new Error('smtp down'); return 'sent 3'; } }] });
    expect(await s.runDue()).toEqual([]);
    expect((await t.db.selectFrom('job_runs').select('last_status').executeTakeFirstOrThrow()).last_status).toBe('failed: smtp down');
    fail = false;
    clock.advance(3600_000);
    expect(await s.runDue()).toEqual(['flaky']);
    expect((await t.db.selectFrom('job_runs').select('last_status').executeTakeFirstOrThrow()).last_status).toBe('sent 3');
  });

  it('lets another instance take over a lease its holder never released', async () => {
    const clock = fixedClock('2026-03-02T03:00:00Z');
    await t.db.insertInto('job_runs').values({ name: 'stuck', holder: 'dead-instance', lease_until: '2026-03-02T03:10:00.000Z', last_run_at: null, last_status: null }).execute();
    let runs = 0;
    const s = new Scheduler({ db: t.db, clock, jobs: [{ name: 'stuck', everyMs: 60_000, run: async () => void runs++ }] });
    await s.runDue();
    expect(runs).toBe(0);
    clock.advance(11 * 60_000);
    await s.runDue();
    expect(runs).toBe(1);
  });
});
