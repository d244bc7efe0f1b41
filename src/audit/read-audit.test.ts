import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { customersByEmail } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { auditCount, listAudit, verifyAudit } from './audit.service.js';
import { auditReads, READ_AUDIT_MAX_BATCH } from './read-audit.js';
import { findSubjects } from '../register/register.read.js';

const staff = actorWith('staff');
const dpo = actorWith('dpo');

describe.each(dialects)('group-committed read audits on %s', (kind) => {
  let rt: TestRuntime;
  let ids: string[];
  beforeEach(async () => {
    rt = await createTestRuntime(kind);
    ids = await customersByEmail(rt, 5);
  });
  afterEach(async () => rt.close());

  it('has the entry committed by the time the read returns', async () => {
    const before = await auditCount(rt.database.db);
    const found = await findSubjects(rt, staff, { email: 'P3@example.org' }, 'service');
    expect(found.map((s) => s.id)).toEqual([ids[3]]);
    expect(await auditCount(rt.database.db)).toBe(before + 1);
    const { entries } = await listAudit(rt.database.db, { limit: 1 });
    expect(entries[0]).toMatchObject({ action: 'subject.search', actor: staff.id, purpose: 'service', details: { by: ['email'], matches: 1 } });
  });

  it('gives each of many concurrent reads its own entry, by its own actor, in one valid chain', async () => {
    const before = await auditCount(rt.database.db);
    const reads = Array.from({ length: 60 }, (_, i) => findSubjects(rt, i % 2 ? staff : dpo, { email: `p${i % 7}@example.org` }));
    const results = await Promise.all(reads);
    expect(results.map((r) => r.length)).toEqual(Array.from({ length: 60 }, (_, i) => (i % 7 < 5 ? 1 : 0)));
    expect(await auditCount(rt.database.db)).toBe(before + 60);
    const { entries } = await listAudit(rt.database.db, { action: 'subject.search', limit: 100 });
    expect(entries.filter((e) => e.actor === staff.id)).toHaveLength(30);
    expect(entries.filter((e) => e.actor === dpo.id)).toHaveLength(30);
    expect(entries.filter((e) => (e.details as { matches: number }).matches === 0)).toHaveLength(60 - results.filter((r) => r.length === 1).length);
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: before + 60 });
  });

  it('splits more entries than one batch takes over several transactions', async () => {
    const before = await auditCount(rt.database.db);
    const n = READ_AUDIT_MAX_BATCH * 2 + 7;
    await Promise.all(Array.from({ length: n }, (_, i) => auditReads(rt, staff, [{ action: 'test.read', details: { i } }])));
    expect(await auditCount(rt.database.db)).toBe(before + n);
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: before + n });
  });

  it('fails every read in a batch whose commit fails, and commits nothing of it', async () => {
    const before = await auditCount(rt.database.db);
    // An entry that cannot be stored (details that JSON cannot encode) fails the whole batch.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const results = await Promise.allSettled([
      auditReads(rt, staff, [{ action: 'test.read', details: { ok: true } }]),
      auditReads(rt, staff, [{ action: 'test.read', details: circular }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await auditCount(rt.database.db)).toBe(before);
    // The queue carries on afterwards.
    await auditReads(rt, staff, [{ action: 'test.read', details: { ok: true } }]);
    expect(await auditCount(rt.database.db)).toBe(before + 1);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  });
});
