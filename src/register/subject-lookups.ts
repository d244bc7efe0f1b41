/**
 * Small reads of the register for the features beside it (consent, the preference page, consent
 * renewals): whether a person is there, erased or restricted; their relationships; who holds an
 * identifier; a value on their records. Unaudited and without personal data unless said: ids,
 * flags and relationship names.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { decryptRecord } from './record.codec.js';
import { loadSubjectKey } from './register.repository.js';

type Db = Kysely<Tables>;

export interface SubjectStatus {
  erased: boolean;
  restricted: boolean;
}

/** Whether a person is in the register (undefined: never was), and erased or restricted. */
export async function subjectStatus(db: Db, subjectId: string): Promise<SubjectStatus | undefined> {
  const row = await db.selectFrom('subjects').select(['erased_at', 'restricted']).where('id', '=', subjectId).executeTakeFirst();
  return row && { erased: !!row.erased_at, restricted: row.restricted === 1 };
}

export interface RelationshipRow {
  subjectId: string;
  relationship: string;
  subscriberType: string | null;
}

/** The relationships of some people; `current` leaves out those that have ended. */
export async function relationshipsOf(db: Db, subjectIds: readonly string[], opts: { current?: boolean } = {}): Promise<RelationshipRow[]> {
  if (subjectIds.length === 0) return [];
  let q = db.selectFrom('subject_relationships').select(['subject_id', 'relationship', 'subscriber_type']).where('subject_id', 'in', [...subjectIds]);
  if (opts.current) q = q.where('ended_at', 'is', null);
  return (await q.execute()).map((r) => ({ subjectId: r.subject_id, relationship: r.relationship, subscriberType: r.subscriber_type }));
}

/** The people, neither erased nor restricted, who hold an identifier, by its blind-index digest. */
export async function holdersOf(db: Db, kind: string, digest: string): Promise<string[]> {
  const rows = await db
    .selectFrom('blind_indexes as bi')
    .innerJoin('subjects as s', 's.id', 'bi.subject_id')
    .select('bi.subject_id')
    .where('bi.kind', '=', kind)
    .where('bi.digest', '=', digest)
    .where('s.erased_at', 'is', null)
    .where('s.restricted', '=', 0)
    .execute();
  return [...new Set(rows.map((r) => r.subject_id))];
}

/**
 * The first value `pick` accepts among a person's value records in some categories, newest first
 * (decrypted here; personal data: the caller keeps only what it picked).
 */
export async function firstRecordValue<T>(db: Db, ctx: AppContext, subjectId: string, categories: readonly string[], pick: (value: string) => T | undefined): Promise<T | undefined> {
  if (categories.length === 0) return undefined;
  const rows = await db.selectFrom('records').selectAll().where('subject_id', '=', subjectId).where('category', 'in', [...categories]).where('kind', '=', 'value').orderBy('created_at', 'desc').execute();
  if (rows.length === 0) return undefined;
  const dek = await loadSubjectKey(ctx, db, subjectId);
  if (!dek) return undefined;
  for (const r of rows) {
    const found = pick(decryptRecord(dek, r, ctx.policy).value ?? '');
    if (found !== undefined) return found;
  }
  return undefined;
}
