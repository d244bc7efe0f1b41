/**
 * Every read of the register's tables (subjects, records, subject_relationships, blind_indexes)
 * that rights requests and breaches make, in one place, and the only code of theirs that knows
 * how a record stores its purposes. The register's repository (src/register) is to take these
 * over: each function here says what it answers, so its body can become a call to it.
 *
 * All of them read; none writes. Each takes the handle to read through (a transaction when the
 * caller is inside one) and leaves out erased people where it says so.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { ciphertextDigest, decryptRecord, type RecordView } from '../register/record.codec.js';
import { loadSubjectKey } from '../register/register.repository.js';

/** A purpose a record is held for, with its lawful basis, as the record stores it. */
export interface HeldPurpose {
  purpose: string;
  basis: string | null;
}

export interface HeldRecord {
  id: string;
  category: string;
  purposes: HeldPurpose[];
  /**
   * The purposes as the record stores them, for the legal-hold check (retention's holdsCovering
   * takes them in this form until the register gives purposes as rows).
   */
  storedPurposes: string;
  /** A digest of the record's ciphertext, for audit entries (never the content). */
  digest: string;
}

const CHUNK = 2000;
function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

// ——— one person ———

/** Whether a person is in the register: undefined if not, else when they were erased (null: not erased). */
export async function subjectErasedAt(db: Kysely<Tables>, subjectId: string): Promise<string | null | undefined> {
  const s = await db.selectFrom('subjects').select('erased_at').where('id', '=', subjectId).executeTakeFirst();
  return s ? s.erased_at : undefined;
}

/** Whose record this is and of which category; undefined for an unknown record. */
export async function recordOwner(db: Kysely<Tables>, recordId: string): Promise<{ subjectId: string; category: string } | undefined> {
  const r = await db.selectFrom('records').select(['subject_id', 'category']).where('id', '=', recordId).executeTakeFirst();
  return r ? { subjectId: r.subject_id, category: r.category } : undefined;
}

/** The categories of which a person has records. */
export async function categoriesHeld(db: Kysely<Tables>, subjectId: string): Promise<string[]> {
  return (await db.selectFrom('records').select('category').distinct().where('subject_id', '=', subjectId).execute()).map((c) => c.category);
}

/** A person's records: category, purposes with their bases, digest; no content is decrypted. */
export async function heldRecords(db: Kysely<Tables>, subjectId: string): Promise<HeldRecord[]> {
  const rows = await db.selectFrom('records').select(['id', 'category', 'purposes', 'ciphertext']).where('subject_id', '=', subjectId).execute();
  return rows.map((r) => ({
    id: r.id,
    category: r.category,
    purposes: JSON.parse(r.purposes) as HeldPurpose[],
    storedPurposes: r.purposes,
    digest: ciphertextDigest(r.ciphertext),
  }));
}

/** The relationships a person has with the organisation (customer, employee …). */
export async function relationshipsOf(db: Kysely<Tables>, subjectId: string): Promise<Set<string>> {
  return new Set((await db.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', subjectId).execute()).map((x) => x.relationship));
}

/**
 * A person's value records of these categories, decrypted, newest first; none if the person
 * is erased or has no key left.
 */
export async function liveValueRecords(ctx: AppContext, db: Kysely<Tables>, subjectId: string, categories: readonly string[]): Promise<RecordView[]> {
  if (categories.length === 0) return [];
  const erasedAt = await subjectErasedAt(db, subjectId);
  if (erasedAt !== null) return [];
  const rows = await db.selectFrom('records').selectAll().where('subject_id', '=', subjectId).where('category', 'in', [...categories]).where('kind', '=', 'value').orderBy('updated_at', 'desc').execute();
  if (rows.length === 0) return [];
  const dek = await loadSubjectKey(ctx, db, subjectId);
  if (!dek) return [];
  return rows.map((r) => decryptRecord(dek, r, ctx.policy));
}

// ——— many people ———

/** People not erased whose blind index `field` holds one of these digests, with the digest matched. */
export async function subjectsByIndex(db: Kysely<Tables>, field: string, digests: readonly string[]): Promise<Array<{ subjectId: string; digest: string }>> {
  const out: Array<{ subjectId: string; digest: string }> = [];
  for (const part of chunks(digests)) {
    const rows = await db
      .selectFrom('blind_indexes as b')
      .innerJoin('subjects as s', 's.id', 'b.subject_id')
      .select(['b.subject_id', 'b.digest'])
      .where('b.kind', '=', field)
      .where('b.digest', 'in', part)
      .where('s.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.push({ subjectId: r.subject_id, digest: r.digest });
  }
  return out;
}

export interface RecordSelection {
  categories?: string[];
  relationships?: string[];
  sources?: string[];
  /** Collected at or after (ISO instant). */
  from?: string;
  /** Collected before (ISO instant). */
  to?: string;
}

/**
 * How many records each person not erased holds per category, among records matching the
 * selection (and, with `subjects`, only those people's).
 */
export async function recordCounts(db: Kysely<Tables>, sel: RecordSelection, subjects?: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  const run = async (part: string[] | undefined) => {
    let q = db
      .selectFrom('records as r')
      .innerJoin('subjects as s', 's.id', 'r.subject_id')
      .select(['r.subject_id', 'r.category', (eb) => eb.fn.countAll<number>().as('n')])
      .where('s.erased_at', 'is', null)
      .groupBy(['r.subject_id', 'r.category']);
    if (part) q = q.where('r.subject_id', 'in', part);
    if (sel.categories) q = q.where('r.category', 'in', sel.categories);
    if (sel.sources) q = q.where('r.source', 'in', sel.sources);
    if (sel.from) q = q.where('r.collected_at', '>=', sel.from);
    if (sel.to) q = q.where('r.collected_at', '<', sel.to);
    if (sel.relationships) {
      const rels = sel.relationships;
      q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'r.subject_id').where('sr.relationship', 'in', rels)));
    }
    for (const r of await q.execute()) {
      if (!out.has(r.subject_id)) out.set(r.subject_id, new Map());
      out.get(r.subject_id)!.set(r.category, Number(r.n));
    }
  };
  if (subjects === undefined) await run(undefined);
  else for (const part of chunks(subjects)) await run(part);
  return out;
}

/** The relationships of these people, one row per person and relationship. */
export async function relationshipsOfMany(db: Kysely<Tables>, subjectIds: readonly string[]): Promise<Array<{ subjectId: string; relationship: string }>> {
  const out: Array<{ subjectId: string; relationship: string }> = [];
  for (const part of chunks(subjectIds)) {
    const rows = await db.selectFrom('subject_relationships').select(['subject_id', 'relationship']).where('subject_id', 'in', part).execute();
    for (const r of rows) out.push({ subjectId: r.subject_id, relationship: r.relationship });
  }
  return out;
}

/** Which of these people (not erased) have an email blind index: an identifier email field, readable without decrypting. */
export async function subjectsWithIndexedEmail(db: Kysely<Tables>, subjectIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks(subjectIds, 500)) {
    const rows = await db
      .selectFrom('blind_indexes')
      .innerJoin('subjects', 'subjects.id', 'blind_indexes.subject_id')
      .select('blind_indexes.subject_id')
      .distinct()
      .where('blind_indexes.subject_id', 'in', part)
      .where('blind_indexes.kind', '=', 'email')
      .where('subjects.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.add(r.subject_id);
  }
  return out;
}

/** Which of these people (not erased) hold a value record of one of these categories. */
export async function subjectsWithValueRecords(db: Kysely<Tables>, subjectIds: readonly string[], categories: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (categories.length === 0) return out;
  for (const part of chunks(subjectIds, 500)) {
    const rows = await db
      .selectFrom('records')
      .innerJoin('subjects', 'subjects.id', 'records.subject_id')
      .select('records.subject_id')
      .distinct()
      .where('records.subject_id', 'in', part)
      .where('records.category', 'in', [...categories])
      .where('records.kind', '=', 'value')
      .where('subjects.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.add(r.subject_id);
  }
  return out;
}
