/**
 * The register's answers to other features (register.queries.ts, register.identifiers.ts), on
 * both databases: who holds an identifier or a kind of record, how many records a selection
 * covers, a person's records decrypted for a feature's own work; erased people never count.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { openRecordsOfSubject, subjectIdentifiers } from './register.identifiers.js';
import {
  countBlindIndexes,
  digestHolders,
  packedDigestHolders,
  packedRelationshipHolders,
  recordCounts,
  subjectsByDigests,
  subjectsWithIndexedField,
  subjectsWithValueRecords,
} from './register.queries.js';
import { relationshipsOfSubjects, subjectExists, subjectState } from './register.repository.js';
import { createSubject, eraseSubject, setRestriction } from './register.service.js';

const KESTRONICS = path.resolve(import.meta.dirname, '../../examples/kestronics.yaml');
const staff = actorWith('staff');
const dpo = actorWith('dpo');

describe.each(dialects)('what the register answers other features, on %s', (kind) => {
  let rt: TestRuntime;
  let ana: string;
  let ben: string;
  let gone: string;
  const digest = (email: string) => rt.keyring.indexer.index('email', 'email', email)!.digest;

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: KESTRONICS });
    const person = async (email: string | undefined, account: string, subscriberType?: 'corporate') =>
      (
        await createSubject(rt, staff, {
          relationships: [{ relationship: 'customer', subscriberType }],
          records: [
            { category: 'identity-and-contact', fields: email ? { 'first-name': 'Ana', email } : { 'first-name': 'Ben', phone: '07700 900123' } },
            { category: 'account-details', fields: { 'account-number': account } },
          ],
        })
      ).id;
    ana = await person('ana@example.com', 'KX-1', 'corporate');
    ben = await person(undefined, 'KX-2');
    gone = await person('gone@example.com', 'KX-3');
    await eraseSubject(rt, dpo, gone);
  });
  afterAll(async () => rt.close());

  it('says whether a person exists, is restricted or erased', async () => {
    await setRestriction(rt, dpo, ben, true, 'accuracy contested');
    expect(await subjectState(rt.database.db, ben)).toEqual({ id: ben, restricted: true, erasedAt: null });
    await setRestriction(rt, dpo, ben, false, 'checked');
    expect((await subjectState(rt.database.db, gone))!.erasedAt).not.toBeNull();
    expect(await subjectExists(rt.database.db, gone)).toBe(true);
    expect(await subjectState(rt.database.db, '01900000-0000-7000-8000-00000000dead')).toBeUndefined();
  });

  it('finds the holders of identifiers, and who has an address to write to, leaving the erased out', async () => {
    const db = rt.database.db;
    const max = rt.database.adapter.maxParameters;
    expect(await digestHolders(db, max, 'email', [digest('ana@example.com'), digest('gone@example.com'), digest('nobody@example.com')])).toEqual([{ subjectId: ana, digest: digest('ana@example.com') }]);
    expect(await subjectsByDigests(db, max, 'email', [digest('ana@example.com')])).toEqual(new Map([[digest('ana@example.com'), ana]]));
    expect(await subjectsWithIndexedField(db, [ana, ben, gone], 'email')).toEqual(new Set([ana]));
    expect(await subjectsWithValueRecords(db, [ana, ben, gone], ['account-details'])).toEqual(new Set([ana, ben]));
    expect(await countBlindIndexes(db, 'email')).toBe(1);
    expect(await packedDigestHolders(db, 'email', [digest('ana@example.com')])).toBe(`${digest('ana@example.com')}${ana};`);
    const rels = await packedRelationshipHolders(db, 'customer', [ana, ben]);
    expect(rels!.match(/.{37};/g)!.sort()).toEqual([`-${ben};`, `c${ana};`].sort());
  });

  it('counts records by selection and reads relationships of many people', async () => {
    const db = rt.database.db;
    expect((await recordCounts(db, { categories: ['account-details'] })).sort((a, b) => a.subjectId.localeCompare(b.subjectId))).toEqual(
      [{ subjectId: ana, category: 'account-details', records: 1 }, { subjectId: ben, category: 'account-details', records: 1 }].sort((a, b) => a.subjectId.localeCompare(b.subjectId)),
    );
    expect(await recordCounts(db, { relationships: ['business-contact'] })).toEqual([]);
    expect(await recordCounts(db, { categories: ['identity-and-contact'] }, [ben])).toEqual([{ subjectId: ben, category: 'identity-and-contact', records: 1 }]);
    expect((await relationshipsOfSubjects(db, [ana, ben], { current: true })).map((r) => r.subject_id).sort()).toEqual([ana, ben].sort());
  });

  it("decrypts a person's records and identifiers for a feature's own work; nothing once erased", async () => {
    const db = rt.database.db;
    const records = await openRecordsOfSubject(db, rt, ana, { categories: ['identity-and-contact'], kind: 'value' });
    expect(records.map((r) => r.fields!.map((f) => f.value))).toEqual([['Ana', 'ana@example.com']]);
    expect(await subjectIdentifiers(db, rt, ben)).toEqual([{ kind: 'phone', value: '07700 900123' }]);
    expect(await openRecordsOfSubject(db, rt, gone)).toEqual([]);
  });
});
