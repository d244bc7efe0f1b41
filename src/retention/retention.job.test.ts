/**
 * The daily retention job of `steward serve` (server/jobs.ts): it runs retention as the system
 * and deletes what is due. (How often and on which instance is the scheduler's own test.)
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSubject } from '../register/register.service.js';
import { serverJobs } from '../server/jobs.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { addLifeEvent } from './events.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/retention/policy.yaml');

describe('the daily retention job', () => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime('sqlite', { policyFile: POLICY });
  });
  afterEach(async () => rt.close());

  it('runs retention as the system: nothing due, then the due record deleted and the person erased', async () => {
    const s = await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Daily', purposes: ['service'] }] });
    const job = serverJobs(rt).find((j) => j.name === 'retention')!;
    expect(job.everyMs).toBe(24 * 3_600_000);
    expect(await job.run(rt.clock.now())).toBe('deleted 0, anonymised 0');
    await addLifeEvent(rt, actorWith('dpo'), { subjectId: s.id, type: 'account-closed', date: '2019-01-01' });
    rt.clock.set('2026-03-03T02:00:00Z');
    expect(await job.run(rt.clock.now())).toBe('deleted 1, anonymised 0');
    const entry = await rt.database.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'retention.subject').executeTakeFirstOrThrow();
    expect(entry.actor).toBe('system:retention');
    expect(JSON.parse(entry.details)).toMatchObject({ deleted: 1, keyDestroyed: true });
  });
});
