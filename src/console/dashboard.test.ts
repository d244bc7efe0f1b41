import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { openRequest } from '../requests/requests.service.js';
import { dashboard } from './dashboard.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('the console dashboard on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('lists running requests overdue first with days left, and counts late answers this year for the promises board', async () => {
    const dpo = actorWith('dpo');
    // The clock stands at 2026-03-02.
    const recent = await openRequest(rt, dpo, { type: 'access', channel: 'phone', receivedOn: '2026-03-01', requester: { phone: '07700 900001' } });
    const old = await openRequest(rt, dpo, { type: 'erasure', channel: 'letter', receivedOn: '2026-01-05', requester: { address: '1 Example Road' } });
    const answered = await openRequest(rt, dpo, { type: 'access', channel: 'email', receivedOn: '2026-01-02', requester: { email: 'c@example.com' } });
    // Answered, but after its due date.
    await rt.database.db.updateTable('requests').set({ status: 'completed', closed_at: '2026-02-27T09:00:00.000Z', due_on: '2026-02-02' }).where('id', '=', answered.id).execute();

    const d = await dashboard(rt, dpo);
    expect(d.requests!.open).toBe(2);
    expect(d.requests!.list.map((r) => r.reference)).toEqual([old.reference, recent.reference]);
    const [first, second] = d.requests!.list;
    expect(first!.daysLeft).toBeLessThan(0);
    expect(second!.daysLeft).toBeGreaterThan(0);
    expect(d.requests!.overdue).toBe(first!.dueOn < '2026-03-02' ? 1 : 0);
    const onTime = d.promises.find((p) => p.id === 'requests-on-time')!;
    expect(onTime.evidence[0]).toBe('1 of 1 requests answered this year were answered late');
    expect(onTime.kept).toBe(false);
    expect(d.breaches).toEqual({ open: 0, list: [] });
    expect(d.findings.errors + d.findings.warnings + d.findings.infos).toBeGreaterThanOrEqual(d.findings.top.length);
    // Retention has never run: the board says so rather than claiming the promise is kept.
    expect(d.promises.find((p) => p.id === 'retention')).toMatchObject({ kept: false, evidence: expect.arrayContaining(['retention has not run yet']) });
    // No personal data leaves in the dashboard.
    expect(JSON.stringify(d)).not.toContain('c@example.com');
  });

  it('leaves out what the role may not read', async () => {
    const d = await dashboard(rt, actorWith('staff'));
    expect(d.breaches).toBeNull();
    expect(d.holdsToReview).toBeNull();
    expect(d.requests).not.toBeNull();
    expect(d.promises.map((p) => p.id)).not.toContain('breaches-72h');
  });
});
