import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { customersByEmail } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { appendAudit, verifyAudit } from './audit.service.js';

const staff = actorWith('staff');

describe.each(dialects)('audit chain on %s', (kind) => {
  let rt: TestRuntime;
  let seqs: number[];
  beforeEach(async () => {
    rt = await createTestRuntime(kind);
    await customersByEmail(rt, 3, { thenRead: true });
    seqs = (await rt.database.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    expect(seqs).toHaveLength(6);
  });
  afterEach(async () => rt.close());

  it('verifies an untouched chain', async () => {
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: 6 });
  });

  it('reports an altered entry', async () => {
    await rt.database.db.updateTable('audit_log').set({ purpose: 'marketing' }).where('seq', '=', seqs[2]!).execute();
    const r = await verifyAudit(rt.database.db, rt.keyring);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ kind: 'altered', seq: seqs[2] });
  });

  it('reports an altered entry even when the forger recomputes a plain hash', async () => {
    const { createHash } = await import('node:crypto');
    const row = await rt.database.db.selectFrom('audit_log').selectAll().where('seq', '=', seqs[1]!).executeTakeFirstOrThrow();
    const forged = createHash('sha256').update(row.prev_hash + 'x').digest('hex');
    await rt.database.db.updateTable('audit_log').set({ actor: 'someone-else', hash: forged }).where('seq', '=', seqs[1]!).execute();
    expect((await verifyAudit(rt.database.db, rt.keyring)).problem).toMatchObject({ seq: seqs[1] });
  });

  it('reports a removed entry', async () => {
    await rt.database.db.deleteFrom('audit_log').where('seq', '=', seqs[3]!).execute();
    const r = await verifyAudit(rt.database.db, rt.keyring);
    expect(r.problem).toMatchObject({ kind: 'removed', seq: seqs[4] });
  });

  it('reports an inserted entry', async () => {
    const prev = await rt.database.db.selectFrom('audit_log').selectAll().where('seq', '=', seqs[1]!).executeTakeFirstOrThrow();
    // Make room by moving the later entries up, then slip a forged entry in after seqs[1].
    await sql`update audit_log set seq = seq + 100 where seq > ${seqs[1]!}`.execute(rt.database.db);
    await rt.database.db
      .insertInto('audit_log')
      .values({ seq: seqs[1]! + 1, at: prev.at, actor: 'intruder', actor_role: 'owner', ip: null, action: 'subject.read', subject_id: null, record_id: null, purpose: null, details: '{}', prev_hash: prev.hash, hash: 'f'.repeat(64) })
      .execute();
    const r = await verifyAudit(rt.database.db, rt.keyring);
    expect(r.problem).toMatchObject({ kind: 'inserted', seq: seqs[1]! + 1 });
  });

  it('reports entries removed from the end', async () => {
    await rt.database.db.deleteFrom('audit_log').where('seq', '>=', seqs[4]!).execute();
    const r = await verifyAudit(rt.database.db, rt.keyring);
    expect(r.problem).toMatchObject({ kind: 'truncated' });
    expect(r.problem!.message).toMatch(/2 entries were removed/);
  });

  it('keeps one unbroken chain under concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rt.database.db.transaction().execute(async (trx) => {
          await rt.database.adapter.lockForWrite(trx);
          await appendAudit(trx, rt, staff, [{ action: 'test.concurrent', details: { i } }]);
        }),
      ),
    );
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: 26 });
  });
});
