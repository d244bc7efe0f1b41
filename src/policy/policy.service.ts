/**
 * Published versions of the declaration. Each distinct declaration (by content hash) that a server
 * has published is recorded once, so the organisation can show which notice was in force when.
 */
import type { DB } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import type { LoadedPolicy } from './policy.loader.js';

export interface PolicyVersion {
  id: number;
  hash: string;
  effectiveDate: string;
  organisation: string;
  firstLoadedAt: string;
}

const toVersion = (row: { id: number; hash: string; effective_date: string; organisation: string; first_loaded_at: string }): PolicyVersion => ({
  id: Number(row.id),
  hash: row.hash,
  effectiveDate: row.effective_date,
  organisation: row.organisation,
  firstLoadedAt: row.first_loaded_at,
});

/** Records this declaration as published if it is new; returns its version either way. */
export async function publishPolicyVersion(db: DB, loaded: LoadedPolicy, clock: Clock): Promise<PolicyVersion> {
  const existing = await db.selectFrom('policy_versions').selectAll().where('hash', '=', loaded.hash).executeTakeFirst();
  if (existing) return toVersion(existing);
  await db
    .insertInto('policy_versions')
    .values({
      hash: loaded.hash,
      effective_date: loaded.policy.notice.effective_date,
      file_name: loaded.file.split(/[\\/]/).pop() ?? loaded.file,
      organisation: loaded.policy.organisation.name,
      content: JSON.stringify(loaded.policy),
      first_loaded_at: clock.now().toISOString(),
    })
    // Two instances starting together may race to publish the same version; the hash is unique.
    .onConflict((oc) => oc.column('hash').doNothing())
    .execute();
  const row = await db.selectFrom('policy_versions').selectAll().where('hash', '=', loaded.hash).executeTakeFirstOrThrow();
  return toVersion(row);
}

export async function listPolicyVersions(db: DB): Promise<PolicyVersion[]> {
  const rows = await db.selectFrom('policy_versions').select(['id', 'hash', 'effective_date', 'organisation', 'first_loaded_at']).orderBy('id', 'desc').execute();
  return rows.map(toVersion);
}

/** Whether a declaration with this content hash was ever published here. */
export async function isPublishedVersion(db: DB, hash: string): Promise<boolean> {
  return (await db.selectFrom('policy_versions').select('hash').where('hash', '=', hash).executeTakeFirst()) !== undefined;
}
