/**
 * What rights requests and breaches ask of the register, in the shapes they use: each function is
 * a call to the register's repository or queries (src/register), which alone read its tables.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { ciphertextDigest, parsePurposes, type HeldPurpose, type RecordView } from '../register/record.codec.js';
import { openRecordsOfSubject } from '../register/register.identifiers.js';
import * as queries from '../register/register.queries.js';
import * as repository from '../register/register.repository.js';

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

// ——— one person ———

/** Whether a person is in the register: undefined if not, else when they were erased (null: not erased). */
export async function subjectErasedAt(db: Kysely<Tables>, subjectId: string): Promise<string | null | undefined> {
  return (await repository.subjectState(db, subjectId))?.erasedAt;
}

/** Whose record this is and of which category; undefined for an unknown record. */
export async function recordOwner(db: Kysely<Tables>, recordId: string): Promise<{ subjectId: string; category: string } | undefined> {
  const r = await repository.findRecordRow(db, recordId);
  return r ? { subjectId: r.subject_id, category: r.category } : undefined;
}

/** The categories of which a person has records. */
export const categoriesHeld = (db: Kysely<Tables>, subjectId: string): Promise<string[]> => repository.categoriesOfSubject(db, subjectId);

/** A person's records: category, purposes with their bases, digest; no content is decrypted. */
export async function heldRecords(db: Kysely<Tables>, subjectId: string): Promise<HeldRecord[]> {
  return (await repository.recordsOfSubject(db, subjectId)).map((r) => ({
    id: r.id,
    category: r.category,
    purposes: parsePurposes(r.purposes),
    storedPurposes: r.purposes,
    digest: ciphertextDigest(r.ciphertext),
  }));
}

/** The relationships a person has with the organisation (customer, employee …). */
export async function relationshipsOf(db: Kysely<Tables>, subjectId: string): Promise<Set<string>> {
  return new Set(await repository.relationshipsOf(db, subjectId));
}

/**
 * A person's value records of these categories, decrypted, newest first; none if the person
 * is erased or has no key left.
 */
export async function liveValueRecords(ctx: AppContext, db: Kysely<Tables>, subjectId: string, categories: readonly string[]): Promise<RecordView[]> {
  if (categories.length === 0 || (await subjectErasedAt(db, subjectId)) !== null) return [];
  return openRecordsOfSubject(db, ctx, subjectId, { categories, kind: 'value', order: 'updated-desc' });
}

// ——— many people ———

/** People not erased whose blind index `field` holds one of these digests, with the digest matched. */
export const subjectsByIndex = (ctx: AppContext, db: Kysely<Tables>, field: string, digests: readonly string[]): Promise<Array<{ subjectId: string; digest: string }>> =>
  queries.digestHolders(db, ctx.database.adapter.maxParameters, field, digests);

export type RecordSelection = queries.RecordSelection;

/**
 * How many records each person not erased holds per category, among records matching the
 * selection (and, with `subjects`, only those people's).
 */
export async function recordCounts(db: Kysely<Tables>, sel: RecordSelection, subjects?: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of await queries.recordCounts(db, sel, subjects)) {
    if (!out.has(r.subjectId)) out.set(r.subjectId, new Map());
    out.get(r.subjectId)!.set(r.category, r.records);
  }
  return out;
}

/** The relationships of these people, one row per person and relationship. */
export async function relationshipsOfMany(db: Kysely<Tables>, subjectIds: readonly string[]): Promise<Array<{ subjectId: string; relationship: string }>> {
  return (await repository.relationshipsOfSubjects(db, subjectIds)).map((r) => ({ subjectId: r.subject_id, relationship: r.relationship }));
}

/** Which of these people (not erased) have an email blind index: an identifier email field, readable without decrypting. */
export const subjectsWithIndexedEmail = (db: Kysely<Tables>, subjectIds: readonly string[]): Promise<Set<string>> => queries.subjectsWithIndexedField(db, subjectIds, 'email');

/** Which of these people (not erased) hold a value record of one of these categories. */
export const subjectsWithValueRecords = (db: Kysely<Tables>, subjectIds: readonly string[], categories: readonly string[]): Promise<Set<string>> =>
  queries.subjectsWithValueRecords(db, subjectIds, categories);
