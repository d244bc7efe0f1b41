/**
 * Role limits that the README promises (issue 12, item 5): what a role may write, which roles a
 * job role stands for, and what an API token may not hand out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { addRecords, createSubject } from '../register/register.service.js';
import { getSubject } from '../register/register.read.js';
import { createUser } from './auth.service.js';
import { canSeeCategory, type Actor } from './roles.js';

const dpo = actorWith('dpo');
const staff = actorWith('staff');
const recording = { category: 'call-recording', file: { name: 'call.mp3', contentType: 'audio/mpeg', data: Buffer.from('ID3 audio') } };

describe.each(dialects)('role limits on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind);
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('staff cannot write into a category they may not read, on a new or an existing person', async () => {
    const made = await caught(createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Caller' }, recording] }));
    expect(made.code).toBe('FORBIDDEN');
    expect(made.message).toContain('call-recording');
    const s = await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Caller' }] });
    expect((await caught(addRecords(rt, staff, s.id, [recording]))).code).toBe('FORBIDDEN');
    // Nothing was stored by the refused calls; the roles the declaration names may still write.
    expect((await getSubject(rt, dpo, s.id)).records.map((r) => r.category)).toEqual(['name']);
    await addRecords(rt, actorWith('staff', ['tech-manager']), s.id, [recording]);
    expect((await getSubject(rt, dpo, s.id)).records.map((r) => r.category).sort()).toEqual(['call-recording', 'name']);
  });

  it('a job role named like a system role does not unlock categories kept for that system role', async () => {
    const posing = actorWith('staff', ['dpo']);
    expect(canSeeCategory(posing, { restricted_to_roles: ['dpo', 'tech-manager'] })).toBe(false);
    expect(canSeeCategory(actorWith('staff', ['tech-manager']), { restricted_to_roles: ['dpo', 'tech-manager'] })).toBe(true);
    const s = await createSubject(rt, dpo, { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Caller' }, recording] });
    expect((await getSubject(rt, posing, s.id)).withheld).toEqual([{ category: 'call-recording', count: 1 }]);
    // And no such job role can be given to a user in the first place.
    const e = await caught(createUser(rt, actorWith('owner'), { username: 'posing', role: 'staff', jobRoles: ['dpo'] }));
    expect([e.code, e.details?.[0]?.path]).toEqual(['VALIDATION_FAILED', 'jobRoles']);
  });

  it('an owner API token cannot create owner users; a signed-in owner can', async () => {
    const token: Actor = { kind: 'token', id: 'token:t1', role: 'owner', jobRoles: [] };
    expect((await caught(createUser(rt, token, { username: 'second-owner', role: 'owner' }))).code).toBe('FORBIDDEN');
    expect((await createUser(rt, token, { username: 'token-made-staff', role: 'staff' })).user.role).toBe('staff');
    expect((await createUser(rt, actorWith('owner'), { username: 'second-owner', role: 'owner' })).user.role).toBe('owner');
  });
});
