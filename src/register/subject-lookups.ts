/**
 * Small reads of the register for the features beside it (consent, the preference page, consent
 * renewals), in the shapes they use: whether a person is there, erased or restricted; their
 * relationships; who holds an identifier; a value on their records. Built on the repository, which
 * alone reads the tables. Unaudited and without personal data unless said: ids, flags and
 * relationship names.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { openRecordsOfSubject } from './register.identifiers.js';
import { relationshipsOfSubjects, subjectState, subjectsWithDigest } from './register.repository.js';

type Db = Kysely<Tables>;

export interface SubjectStatus {
  erased: boolean;
  restricted: boolean;
}

/** Whether a person is in the register (undefined: never was), and erased or restricted. */
export async function subjectStatus(db: Db, subjectId: string): Promise<SubjectStatus | undefined> {
  const s = await subjectState(db, subjectId);
  return s && { erased: s.erasedAt !== null, restricted: s.restricted };
}

export interface RelationshipRow {
  subjectId: string;
  relationship: string;
  subscriberType: string | null;
}

/** The relationships of some people; `current` leaves out those that have ended. */
export async function relationshipsOf(db: Db, subjectIds: readonly string[], opts: { current?: boolean } = {}): Promise<RelationshipRow[]> {
  if (subjectIds.length === 0) return [];
  return (await relationshipsOfSubjects(db, subjectIds, opts)).map((r) => ({ subjectId: r.subject_id, relationship: r.relationship, subscriberType: r.subscriber_type }));
}

/** The people, neither erased nor restricted, who hold an identifier, by its blind-index digest. */
export async function holdersOf(db: Db, kind: string, digest: string): Promise<string[]> {
  return [...(await subjectsWithDigest(db, kind, digest)).values()].filter((s) => !s.restricted).map((s) => s.id);
}

/**
 * The first value `pick` accepts among a person's value records in some categories, newest first
 * (decrypted here; personal data: the caller keeps only what it picked).
 */
export async function firstRecordValue<T>(db: Db, ctx: AppContext, subjectId: string, categories: readonly string[], pick: (value: string) => T | undefined): Promise<T | undefined> {
  for (const r of await openRecordsOfSubject(db, ctx, subjectId, { categories, kind: 'value', order: 'created-desc' })) {
    const found = pick(r.value ?? '');
    if (found !== undefined) return found;
  }
  return undefined;
}
