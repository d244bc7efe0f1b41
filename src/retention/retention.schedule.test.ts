import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSubject } from '../register/register.service.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { addLifeEvent } from './events.service.js';
import { msUntilNextRun, scheduleDailyRetention } from './retention.schedule.js';
import type { RunResult } from './retention.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/retention/policy.yaml');

describe('daily retention schedule', () => {
  it('computes the wait until the next run hour (UTC)', () => {
    expect(msUntilNextRun(new Date('2026-03-02T01:00:00Z'), 2)).toBe(3_600_000);
    expect(msUntilNextRun(new Date('2026-03-02T02:00:00Z'), 2)).toBe(86_400_000);
    expect(msUntilNextRun(new Date('2026-03-02T10:30:00Z'), 2)).toBe(15.5 * 3_600_000);
  });

  describe('with a register', () => {
    let rt: TestRuntime;
    beforeEach(async () => {
      rt = await createTestRuntime('sqlite', { policyFile: POLICY });
    });
    afterEach(async () => {
      vi.useRealTimers();
      await rt.close();
    });

    it('runs shortly after start-up and then every day at the hour, as the system', async () => {
      const s = await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Daily', purposes: ['service'] }] });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const results: RunResult[] = [];
      const schedule = scheduleDailyRetention(rt, { firstRunAfterMs: 1000, onResult: (r) => results.push(r), onError: (e) => { throw e; } });
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(results).toHaveLength(1));
      expect(results[0]).toMatchObject({ acquired: true, deleted: 0 });
      await addLifeEvent(rt, actorWith('dpo'), { subjectId: s.id, type: 'account-closed', date: '2019-01-01' });
      // 10:00 → 02:00 the next day.
      rt.clock.set('2026-03-03T02:00:00Z');
      await vi.advanceTimersByTimeAsync(16 * 3_600_000);
      await vi.waitFor(() => expect(results).toHaveLength(2));
      expect(results[1]).toMatchObject({ deleted: 1, subjectsErased: 1 });
      const entry = await rt.database.db.selectFrom('audit_log').select(['actor']).where('action', '=', 'retention.subject').executeTakeFirstOrThrow();
      expect(entry.actor).toBe('system:retention');
      schedule.stop();
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
