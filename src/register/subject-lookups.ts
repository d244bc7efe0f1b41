/**
 * Small reads of the register for the features beside it (consent, the preference page, consent
 * renewals, rights requests, breaches), in the shapes they use: whether a person is there, erased
 * or restricted; their relationships; who holds an identifier; their records' categories, purposes
 * and digests; a value on their records. Built on the repository and the queries, which alone read
 * the tables. Unaudited and without personal data unless said: ids, flags, categories and
 * relationship names.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { ciphertextDigest, parsePurposes, type HeldPurpose, type RecordView } from './record.codec.js';
import { openRecordsOfSubject } from './register.identifiers.js';
import { digestHolders, recordCounts as countRecords, subjectsWithIndexedField, type RecordSelection } from './register.queries.js';
import { findRecordRow, recordsOfSubject, relationshipsOf as relationshipList, relationshipsOfSubjects, subjectState, subjectsWithDigest } from './register.repository.js';

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
export async function relationshipRowsOf(db: Db, subjectIds: readonly string[], opts: { current?: boolean } = {}): Promise<RelationshipRow[]> {
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

export type { HeldPurpose };

export interface HeldRecord {
  id: string;
  category: string;
  purposes: HeldPurpose[];
  /** The purposes as the record stores them, for the legal-hold check (retention's holdsCovering). */
  storedPurposes: string;
  /** A digest of the record's ciphertext, for audit entries (never the content). */
  digest: string;
}

// ——— for rights requests and breaches ———

/** Whether a person is in the register: undefined if not, else when they were erased (null: not erased). */
export async function subjectErasedAt(db: Db, subjectId: string): Promise<string | null | undefined> {
  return (await subjectState(db, subjectId))?.erasedAt;
}

/** Whose record this is and of which category; undefined for an unknown record. */
export async function recordOwner(db: Db, recordId: string): Promise<{ subjectId: string; category: string } | undefined> {
  const r = await findRecordRow(db, recordId);
  return r ? { subjectId: r.subject_id, category: r.category } : undefined;
}

/** A person's records: category, purposes with their bases, digest; no content is decrypted. */
export async function heldRecords(db: Db, subjectId: string): Promise<HeldRecord[]> {
  return (await recordsOfSubject(db, subjectId)).map((r) => ({
    id: r.id,
    category: r.category,
    purposes: parsePurposes(r.purposes),
    storedPurposes: r.purposes,
    digest: ciphertextDigest(r.ciphertext),
  }));
}

/** The relationships a person has with the organisation (customer, employee …). */
export async function relationshipsOf(db: Db, subjectId: string): Promise<Set<string>> {
  return new Set(await relationshipList(db, subjectId));
}

/**
 * A person's value records of these categories, decrypted, newest first; none if the person
 * is erased or has no key left.
 */
export async function liveValueRecords(ctx: AppContext, db: Db, subjectId: string, categories: readonly string[]): Promise<RecordView[]> {
  if (categories.length === 0 || (await subjectErasedAt(db, subjectId)) !== null) return [];
  return openRecordsOfSubject(db, ctx, subjectId, { categories, kind: 'value', order: 'updated-desc' });
}

/** People not erased whose blind index `field` holds one of these digests, with the digest matched. */
export const subjectsByIndex = (ctx: AppContext, db: Db, field: string, digests: readonly string[]): Promise<Array<{ subjectId: string; digest: string }>> =>
  digestHolders(db, ctx.database.adapter.maxParameters, field, digests);

export type { RecordSelection };

/**
 * How many records each person not erased holds per category, among records matching the
 * selection (and, with `subjects`, only those people's).
 */
export async function recordCounts(db: Db, sel: RecordSelection, subjects?: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of await countRecords(db, sel, subjects)) {
    if (!out.has(r.subjectId)) out.set(r.subjectId, new Map());
    out.get(r.subjectId)!.set(r.category, r.records);
  }
  return out;
}

/** Which of these people (not erased) have an email blind index: an identifier email field, readable without decrypting. */
export const subjectsWithIndexedEmail = (db: Db, subjectIds: readonly string[]): Promise<Set<string>> => subjectsWithIndexedField(db, subjectIds, 'email');

