/**
 * Rows written as an older Steward wrote them, straight into the tables (no current code path),
 * for tests that migrate such a register: a customer with a key and a relationship, and records
 * sealed with the given plaintext and purposes JSON.
 */
import { aad, encrypt } from '../../src/crypto/envelope.js';
import type { TestRuntime } from './runtime.js';

export const OLD_WRITE_AT = '2026-01-05T09:00:00.000Z';

/** A customer as the register stored one: returns the subject's data key to seal their records. */
export async function oldSubject(rt: TestRuntime, subjectId: string, now = OLD_WRITE_AT): Promise<Buffer> {
  const db = rt.database.db;
  const { dek, wrapped, kekVersion } = rt.keyring.newSubjectKey(subjectId);
  await db.insertInto('subjects').values({ id: subjectId, created_at: now, updated_at: now, created_by: 'user-staff', restricted: 0, erased_at: null }).execute();
  await db.insertInto('subject_keys').values({ subject_id: subjectId, wrapped_key: wrapped, kek_version: kekVersion, created_at: now, destroyed_at: null }).execute();
  await db.insertInto('subject_relationships').values({ subject_id: subjectId, relationship: 'customer', role: 'controller', on_behalf_of: null, subscriber_type: null, started_at: now, ended_at: null }).execute();
  return dek;
}

/** A value record with this plaintext and purposes JSON, sealed under the subject's key. */
export async function oldRecord(
  rt: TestRuntime,
  dek: Buffer,
  r: { id: string; subjectId: string; category: string; plaintext: Buffer; purposes: string },
  now = OLD_WRITE_AT,
): Promise<void> {
  await rt.database.db
    .insertInto('records')
    .values({
      id: r.id,
      subject_id: r.subjectId,
      category: r.category,
      kind: 'value',
      purposes: r.purposes,
      source: 'you',
      content_type: null,
      size: r.plaintext.length,
      ciphertext: encrypt(dek, r.plaintext, aad('record', r.id, r.subjectId, r.category)),
      collected_at: now,
      recorded_by: 'user-staff',
      created_at: now,
      updated_at: now,
    })
    .execute();
}
