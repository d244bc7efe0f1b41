/**
 * Migration 20261204_1101_record_purposes: a register written when purposes lived only in the
 * records' JSON column gets one record_purposes row per record and purpose, so retention finds
 * the people holding a purpose with a join; writes afterwards keep the rows and the column equal.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/database.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { getSubject } from './register.read.js';
import { subjectsHoldingPurposes } from './register.queries.js';
import { addRecords, deleteRecord, eraseSubject, updateRecord } from './register.service.js';
import { oldRecord, oldSubject } from '../../test/support/old-register.js';

const KESTRONICS = path.resolve(import.meta.dirname, '../../examples/kestronics.yaml');
const staff = actorWith('staff');
const dpo = actorWith('dpo');

describe.each(dialects)('purposes as rows, on %s', (kind) => {
  const BEFORE = '20261203_1402_card_refusals';
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: KESTRONICS, migrateTo: BEFORE });
  });
  afterAll(async () => rt.close());

  const rowsOf = async (recordId: string) =>
    (await rt.database.db.selectFrom('record_purposes').select(['purpose', 'basis']).where('record_id', '=', recordId).orderBy('purpose').execute()).map((r) => `${r.purpose}:${r.basis ?? '-'}`);

  it('migrates the JSON of existing records into rows, and keeps rows and column together afterwards', async () => {
    // Written as the register wrote before the rows: the purposes only in records.purposes, one
    // record in the object form (with bases), one in the early form of bare purpose ids.
    const db = rt.database.db;
    const now = '2026-01-05T09:00:00.000Z';
    const subjectId = '01900000-0000-7000-8000-000000000101';
    const dek = await oldSubject(rt, subjectId, now);
    const old = [
      { id: '01900000-0000-7000-8000-0000000001a1', category: 'identity-and-contact', purposes: [{ purpose: 'provide-services', basis: 'contract' }, { purpose: 'marketing', basis: 'consent' }], email: 'rows@example.com' },
      { id: '01900000-0000-7000-8000-0000000001a2', category: 'account-details', purposes: ['run-and-improve'], account: 'KX-0101' },
    ];
    for (const r of old) {
      await oldRecord(rt, dek, { id: r.id, subjectId, category: r.category, plaintext: Buffer.from(JSON.stringify({ f: r.email ? { email: r.email } : { 'account-number': r.account } })), purposes: JSON.stringify(r.purposes) }, now);
    }

    expect(await migrate(rt.database)).toContain('20261204_1101_record_purposes');

    expect(await rowsOf(old[0]!.id)).toEqual(['marketing:consent', 'provide-services:contract']);
    expect(await rowsOf(old[1]!.id)).toEqual(['run-and-improve:-']);
    expect(await subjectsHoldingPurposes(db, ['run-and-improve'])).toEqual([subjectId]);
    expect(await subjectsHoldingPurposes(db, ['marketing'], { collectedBy: '2026-01-05T23:59:59.999Z' })).toEqual([subjectId]);
    expect(await subjectsHoldingPurposes(db, ['marketing'], { collectedBy: '2026-01-04T23:59:59.999Z' })).toEqual([]);
    expect(await subjectsHoldingPurposes(db, ['staff-training'])).toEqual([]);
    // The record still reads with its purposes, in their order.
    const view = await getSubject(rt, staff, subjectId);
    expect(view.records.find((r) => r.id === old[0]!.id)!.purposes).toEqual(old[0]!.purposes);

    // Narrowing a record's purposes rewrites the rows with the column (the basis as declared now:
    // this declaration names none for provide-services).
    const changed = await updateRecord(rt, staff, old[0]!.id, { purposes: ['provide-services'] });
    expect(changed.purposes.map((p) => p.purpose)).toEqual(['provide-services']);
    expect(await rowsOf(old[0]!.id)).toEqual(['provide-services:-']);
    expect(await subjectsHoldingPurposes(db, ['marketing'])).toEqual([]);

    // A new record gets its rows as it is written; deleting it and erasing the person removes them.
    const [added] = await addRecords(rt, staff, subjectId, [{ category: 'communications', text: 'Called about the invoice', purposes: ['staff-training'] }]);
    expect(await rowsOf(added!.id)).toEqual(['staff-training:-']);
    await deleteRecord(rt, dpo, added!.id);
    expect(await rowsOf(added!.id)).toEqual([]);
    await eraseSubject(rt, dpo, subjectId);
    expect(await subjectsHoldingPurposes(db, ['provide-services', 'run-and-improve', 'staff-training'])).toEqual([]);
    expect(await db.selectFrom('record_purposes').select('record_id').execute()).toEqual([]);
  });
});
