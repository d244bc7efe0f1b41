/**
 * Questions other features ask the register across many people, answered from its tables
 * without decrypting anything: who holds a purpose, an identifier or a kind of record, how many
 * records a selection covers, and the facts retention decides on a page of people at a time.
 * With register.repository.ts, the only code that queries the register's tables.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { forChunks, ID_CHUNK } from './register.repository.js';

/** Of these subject ids, those that exist and are not erased. */
export async function liveSubjectIds(db: Kysely<Tables>, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  await forChunks(ids, 1000, async (chunk) => {
    for (const r of await db.selectFrom('subjects').select('id').where('id', 'in', chunk).where('erased_at', 'is', null).execute()) out.add(r.id);
  });
  return out;
}

/** The ids of every restricted (Art 18), not erased, subject. */
export async function restrictedSubjectIds(db: Kysely<Tables>): Promise<string[]> {
  return (await db.selectFrom('subjects').select('id').where('restricted', '=', 1).where('erased_at', 'is', null).execute()).map((r) => r.id);
}

/**
 * A page of live subjects (id and restriction) in id order: after a cursor, one subject, or a list
 * of ids (retention's pages).
 */
export async function liveSubjectsPage(db: Kysely<Tables>, opts: { after?: string; limit: number; only?: string; ids?: readonly string[] }): Promise<Array<{ id: string; restricted: boolean }>> {
  let q = db.selectFrom('subjects').select(['id', 'restricted']).where('erased_at', 'is', null).orderBy('id').limit(opts.limit);
  if (opts.only !== undefined) q = q.where('id', '=', opts.only);
  else if (opts.ids !== undefined) q = q.where('id', 'in', opts.ids.length > 0 ? [...opts.ids] : ['']);
  else if (opts.after !== undefined) q = q.where('id', '>', opts.after);
  return (await q.execute()).map((r) => ({ id: r.id, restricted: r.restricted === 1 }));
}

/** Subjects chosen by a list of ids (a sparse page) or by a range of ids (a dense page: one index range scan). */
export type SubjectSelection = { ids: readonly string[] } | { from: string; to: string };

/**
 * The facts retention decides on for the records of selected subjects: no ciphertext (a plan
 * reads every record in the register, so each column counts). `purposes` is the JSON column.
 */
export async function recordFactsOf(db: Kysely<Tables>, sel: SubjectSelection): Promise<Array<{ id: string; subject_id: string; category: string; purposes: string; collected_at: string }>> {
  const q = db.selectFrom('records').select(['id', 'subject_id', 'category', 'purposes', 'collected_at']);
  return ('ids' in sel ? q.where('subject_id', 'in', [...sel.ids]) : q.where('subject_id', '>=', sel.from).where('subject_id', '<=', sel.to)).execute();
}

/** The relationships (and when each ended) of selected subjects. */
export async function relationshipFactsOf(db: Kysely<Tables>, sel: SubjectSelection): Promise<Array<{ subject_id: string; relationship: string; ended_at: string | null }>> {
  const q = db.selectFrom('subject_relationships').select(['subject_id', 'relationship', 'ended_at']);
  return ('ids' in sel ? q.where('subject_id', 'in', [...sel.ids]) : q.where('subject_id', '>=', sel.from).where('subject_id', '<=', sel.to)).execute();
}

/** Subjects with a relationship that ended on or before an instant. */
export async function subjectsWithRelationshipEndedBy(db: Kysely<Tables>, instant: string): Promise<string[]> {
  return (await db.selectFrom('subject_relationships').select('subject_id').distinct().where('ended_at', 'is not', null).where('ended_at', '<=', instant).execute()).map((r) => r.subject_id);
}

/** The most "value" records of each category any one person holds. */
export async function mostRecordsPerCategory(db: Kysely<Tables>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom((eb) => eb.selectFrom('records').select(['category', (e) => e.fn.countAll<number>().as('n')]).where('kind', '=', 'value').groupBy(['subject_id', 'category']).as('per'))
    .select(['per.category', (e) => e.fn.max('per.n').as('most')])
    .groupBy('per.category')
    .execute();
  return new Map(rows.map((r) => [r.category, Number(r.most)]));
}

/**
 * The subjects holding a record for one of these purposes, optionally only records collected on
 * or before an instant. A join on record_purposes (indexed by purpose).
 */
export async function subjectsHoldingPurposes(db: Kysely<Tables>, purposes: readonly string[], opts: { collectedBy?: string } = {}): Promise<string[]> {
  if (purposes.length === 0) return [];
  let q = db.selectFrom('record_purposes as rp').innerJoin('records as r', 'r.id', 'rp.record_id').select('r.subject_id').distinct().where('rp.purpose', 'in', [...purposes]);
  if (opts.collectedBy !== undefined) q = q.where('r.collected_at', '<=', opts.collectedBy);
  return (await q.execute()).map((r) => r.subject_id);
}

/** The live subjects holding any of these digests of one index field: one pair per holder and digest. */
export async function digestHolders(db: Kysely<Tables>, maxParameters: number, field: string, digests: readonly string[]): Promise<Array<{ subjectId: string; digest: string }>> {
  const out: Array<{ subjectId: string; digest: string }> = [];
  const per = Math.max(1, maxParameters - 10);
  for (let i = 0; i < digests.length; i += per) {
    const rows = await db
      .selectFrom('blind_indexes as b')
      .innerJoin('subjects as s', 's.id', 'b.subject_id')
      .select(['b.digest', 'b.subject_id'])
      .where('b.kind', '=', field)
      .where('b.digest', 'in', digests.slice(i, i + per))
      .where('s.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.push({ subjectId: r.subject_id, digest: r.digest });
  }
  return out;
}

/** Of these digests of one index field, which live subject holds each (one of them, if several). */
export async function subjectsByDigests(db: Kysely<Tables>, maxParameters: number, field: string, digests: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const h of await digestHolders(db, maxParameters, field, digests)) if (!out.has(h.digest)) out.set(h.digest, h.subjectId);
  return out;
}

/** Of these subjects, the live ones with a blind index for a field (e.g. "email": someone to write to). */
export async function subjectsWithIndexedField(db: Kysely<Tables>, subjectIds: readonly string[], field: string): Promise<Set<string>> {
  const out = new Set<string>();
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    const rows = await db
      .selectFrom('blind_indexes as b')
      .innerJoin('subjects as s', 's.id', 'b.subject_id')
      .select('b.subject_id')
      .distinct()
      .where('b.subject_id', 'in', chunk)
      .where('b.kind', '=', field)
      .where('s.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.add(r.subject_id);
  });
  return out;
}

/** Of these subjects, the live ones holding a "value" record of one of these categories. */
export async function subjectsWithValueRecords(db: Kysely<Tables>, subjectIds: readonly string[], categories: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (categories.length === 0) return out;
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    const rows = await db
      .selectFrom('records as r')
      .innerJoin('subjects as s', 's.id', 'r.subject_id')
      .select('r.subject_id')
      .distinct()
      .where('r.subject_id', 'in', chunk)
      .where('r.category', 'in', [...categories])
      .where('r.kind', '=', 'value')
      .where('s.erased_at', 'is', null)
      .execute();
    for (const r of rows) out.add(r.subject_id);
  });
  return out;
}

/** Which records to count: of some categories, relationships, sources, collected in [from, to). */
export interface RecordSelection {
  categories?: readonly string[] | undefined;
  relationships?: readonly string[] | undefined;
  sources?: readonly string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** How many records of each category live subjects hold, among the selection (and these subjects, if given). */
export async function recordCounts(db: Kysely<Tables>, sel: RecordSelection, subjectIds?: readonly string[]): Promise<Array<{ subjectId: string; category: string; records: number }>> {
  const out: Array<{ subjectId: string; category: string; records: number }> = [];
  const run = async (part: string[] | undefined) => {
    let q = db
      .selectFrom('records as r')
      .innerJoin('subjects as s', 's.id', 'r.subject_id')
      .select(['r.subject_id', 'r.category', (eb) => eb.fn.countAll<number>().as('n')])
      .where('s.erased_at', 'is', null)
      .groupBy(['r.subject_id', 'r.category']);
    if (part) q = q.where('r.subject_id', 'in', part);
    if (sel.categories) q = q.where('r.category', 'in', [...sel.categories]);
    if (sel.sources) q = q.where('r.source', 'in', [...sel.sources]);
    if (sel.from) q = q.where('r.collected_at', '>=', sel.from);
    if (sel.to) q = q.where('r.collected_at', '<', sel.to);
    const rels = sel.relationships;
    if (rels) q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'r.subject_id').where('sr.relationship', 'in', [...rels])));
    for (const r of await q.execute()) out.push({ subjectId: r.subject_id, category: r.category, records: Number(r.n) });
  };
  if (subjectIds === undefined) await run(undefined);
  else await forChunks(subjectIds, ID_CHUNK, (part) => run(part));
  return out;
}

/** How many blind-index entries a field has (e.g. how many email addresses an audience scan would read). */
export async function countBlindIndexes(db: Kysely<Tables>, field: string): Promise<number> {
  return Number((await db.selectFrom('blind_indexes').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', field).executeTakeFirstOrThrow()).n);
}

/**
 * The holders of these digests of one index field, packed into one string of entries
 * "digest subject_id;" (64 + 36 + 1 characters each) by the database: for audience checks over
 * hundreds of thousands of addresses, where a row per holder costs more than the query.
 */
export async function packedDigestHolders(db: Kysely<Tables>, field: string, digests: readonly string[]): Promise<string | null | undefined> {
  if (digests.length === 0) return undefined;
  return (await db.selectFrom('blind_indexes as bi').select(sql<string | null>`string_agg(bi.digest || bi.subject_id || ';', '')`.as('s')).where('bi.kind', '=', field).where('bi.digest', 'in', [...digests]).executeTakeFirst())?.s;
}

/**
 * The current (not ended) holders of a relationship, packed into one string of entries: the
 * subscriber type's first letter (or '-'), the subject id, ';'. Optionally only these subjects.
 */
export async function packedRelationshipHolders(db: Kysely<Tables>, relationship: string, subjectIds?: readonly string[]): Promise<string | null | undefined> {
  let q = db
    .selectFrom('subject_relationships as sr')
    .select(sql<string | null>`string_agg(coalesce(substr(sr.subscriber_type, 1, 1), '-') || sr.subject_id || ';', '')`.as('s'))
    .where('sr.relationship', '=', relationship)
    .where('sr.ended_at', 'is', null);
  if (subjectIds) q = q.where('sr.subject_id', 'in', [...subjectIds]);
  return (await q.executeTakeFirst())?.s;
}
