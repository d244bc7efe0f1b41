/**
 * Events that cause deletion wait for a privacy officer (issue 12, item 4): staff may record life
 * events, but one that would make retention delete at once (back-dated) takes effect only once a
 * privacy officer approves it, and a recent one only after its waiting days; the plan shows them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { createSubject } from '../register/register.service.js';
import { addLifeEvent, pendingLifeEvents, reviewLifeEvent, WAIT_DAYS } from './events.service.js';
import { planRetention } from './retention.plan.js';
import { runRetention } from './retention.run.js';

const dpo = actorWith('dpo');
const staff = actorWith('staff');
const POLICY = new URL('../../test/fixtures/retention/policy.yaml', import.meta.url).pathname;

describe.each(dialects)('life events waiting for a privacy officer on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });
  const customer = async (name: string) =>
    (await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: name, purposes: ['service'] }] })).id;
  // Deleted by retention: the person's records are gone.
  const erased = async (id: string) => (await rt.database.db.selectFrom('records').select('id').where('subject_id', '=', id).execute()).length === 0;

  it('staff back-date account-closed to 2001: nothing is erased until the privacy officer approves', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const s = await customer('Backdated Person');
    const e = await addLifeEvent(rt, staff, { subjectId: s, type: 'account-closed', date: '2001-01-01' });
    expect(e).toMatchObject({ status: 'pending', pendingUntil: null });
    const plan = await planRetention(rt, dpo);
    expect(plan.pendingEvents.map((p) => p.id)).toContain(e.id);
    expect(plan.items.filter((i) => i.subjectId === s)).toEqual([]);
    await runRetention(rt, dpo);
    expect(await erased(s)).toBe(false);
    // Waiting does not make a back-dated event count: it needs a decision.
    rt.clock.set('2026-06-01T10:00:00Z');
    await runRetention(rt, dpo);
    expect(await erased(s)).toBe(false);
    expect((await caught(reviewLifeEvent(rt, staff, e.id, 'approve'))).code).toBe('FORBIDDEN');
    expect(await reviewLifeEvent(rt, dpo, e.id, 'approve')).toMatchObject({ status: 'active', reviewedBy: dpo.id });
    expect((await planRetention(rt, dpo)).pendingEvents.map((p) => p.id)).not.toContain(e.id);
    await runRetention(rt, dpo);
    expect(await erased(s)).toBe(true);
  });

  it('a rejected event never counts; a privacy officer\'s own event counts at once', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const s = await customer('Rejected Event');
    const e = await addLifeEvent(rt, staff, { subjectId: s, type: 'account-closed', date: '2005-05-05' });
    await reviewLifeEvent(rt, dpo, e.id, 'reject');
    expect((await caught(reviewLifeEvent(rt, dpo, e.id, 'approve'))).code).toBe('CONFLICT');
    await runRetention(rt, dpo);
    expect(await erased(s)).toBe(false);
    const t = await customer('Officer Event');
    expect((await addLifeEvent(rt, dpo, { subjectId: t, type: 'account-closed', date: '2005-05-05' })).status).toBe('active');
    await runRetention(rt, dpo);
    expect(await erased(t)).toBe(true);
  });

  it('a recent event recorded by staff waits some days before it counts, in the plan as pending', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const s = await customer('Recent Event');
    const e = await addLifeEvent(rt, staff, { subjectId: s, type: 'account-closed', date: '2026-02-20' });
    expect(e).toMatchObject({ status: 'pending', pendingUntil: `2026-03-${String(2 + WAIT_DAYS).padStart(2, '0')}` });
    expect((await pendingLifeEvents(rt, dpo)).map((p) => p.id)).toContain(e.id);
    // Once its waiting days are over it is in effect without a decision, and no longer listed as pending.
    expect((await pendingLifeEvents(rt, dpo, { asOf: e.pendingUntil! })).map((p) => p.id)).not.toContain(e.id);
  });
});
