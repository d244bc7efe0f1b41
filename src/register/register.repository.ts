/**
 * The register's tables (subjects, subject_keys, subject_relationships, records, record_purposes,
 * blind_indexes), read and written here and, for questions across many people, in
 * register.queries.ts; nowhere else. Features ask the register questions
 * through these functions ("does this person exist and are they erased", "the records of a person
 * with their purposes", "the people holding a record for one of these purposes") instead of
 * querying its tables, so the record format and the tables can change in one place.
 *
 * Functions take the database handle (or the caller's transaction) first; none checks permissions
 * or writes audit entries: the services do.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AppContext } from '../kernel/context.js';
import type { Tables } from '../db/tables.js';
import { preparedQuery } from '../db/prepared.js';
import { recordErasures, type ErasureReason } from '../backup/erasure-ledger.js';
import { notFound } from '../shared/errors.js';
import { heldPurposes, type HeldPurpose } from './record.codec.js';

/** Ids per statement: well under both databases' bound-parameter limits. */
export const ID_CHUNK = 5000;

export async function forChunks<T>(items: readonly T[], size: number, fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

/** Inserts rows with multi-row statements, chunked under the parameter limit. */
async function insertChunked<T extends object>(rows: readonly T[], maxParameters: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  if (rows.length === 0) return;
  const per = Math.max(1, Math.floor(maxParameters / Object.keys(rows[0]!).length));
  for (let i = 0; i < rows.length; i += per) await insert(rows.slice(i, i + per));
}

// ——— subjects ———

/** A subject's state: whether they exist, are restricted (Art 18), or were erased (a tombstone). */
export interface SubjectState {
  id: string;
  restricted: boolean;
  erasedAt: string | null;
}

export async function findSubjectRow(db: Kysely<Tables>, id: string): Promise<Tables['subjects'] | undefined> {
  return db.selectFrom('subjects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The subject's row; NOT_FOUND if there is none. */
export async function subjectRow(db: Kysely<Tables>, id: string): Promise<Tables['subjects']> {
  const row = await findSubjectRow(db, id);
  if (!row) throw notFound('subject', id);
  return row;
}

/** Whether the subject exists, is restricted, was erased; undefined if there is no such subject. */
export async function subjectState(db: Kysely<Tables>, id: string): Promise<SubjectState | undefined> {
  const row = await db.selectFrom('subjects').select(['id', 'restricted', 'erased_at']).where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, restricted: row.restricted === 1, erasedAt: row.erased_at };
}

/** Whether a subject with this id exists (erased ones, kept as tombstones, included). */
export async function subjectExists(db: Kysely<Tables>, id: string): Promise<boolean> {
  return (await db.selectFrom('subjects').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Whether the register holds anyone at all (erased people included). */
export async function registerIsEmpty(db: Kysely<Tables>): Promise<boolean> {
  return (await db.selectFrom('subjects').select('id').limit(1).executeTakeFirst()) === undefined;
}

export async function touchSubject(trx: Kysely<Tables>, id: string, now: string): Promise<void> {
  await trx.updateTable('subjects').set({ updated_at: now }).where('id', '=', id).execute();
}

export async function setSubjectRestricted(trx: Kysely<Tables>, id: string, restricted: boolean, now: string): Promise<void> {
  await trx.updateTable('subjects').set({ restricted: restricted ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
}

/** A page of live subjects' rows in id order, optionally only those with a relationship. */
export async function liveSubjectRows(db: Kysely<Tables>, opts: { after: string; limit: number; relationship?: string | undefined }): Promise<Array<Tables['subjects']>> {
  let q = db.selectFrom('subjects').selectAll().where('erased_at', 'is', null).where('id', '>', opts.after).orderBy('id').limit(opts.limit);
  const rel = opts.relationship;
  if (rel) q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'subjects.id').where('sr.relationship', '=', rel)));
  return q.execute();
}

/** A summary of a live subject: no decrypted data. */
export interface SubjectSummary {
  id: string;
  restricted: boolean;
  createdAt: string;
  relationships: string[];
}

/** Summaries of these subjects (erased ones left out), in no particular order. */
export async function summariseSubjects(db: Kysely<Tables>, ids: readonly string[]): Promise<SubjectSummary[]> {
  if (ids.length === 0) return [];
  const subjects = await db.selectFrom('subjects').select(['id', 'restricted', 'created_at']).where('id', 'in', [...ids]).where('erased_at', 'is', null).execute();
  const rels = await db.selectFrom('subject_relationships').select(['subject_id', 'relationship']).where('subject_id', 'in', [...ids]).execute();
  return subjects.map((s) => ({
    id: s.id,
    restricted: s.restricted === 1,
    createdAt: s.created_at,
    relationships: [...new Set(rels.filter((r) => r.subject_id === s.id).map((r) => r.relationship))],
  }));
}

/** The people with a blind-index digest, with their relationships: one statement, compiled once. */
const searchByDigest = preparedQuery(2, (db, field: string, digest: string) =>
  db
    .selectFrom('blind_indexes as b')
    .innerJoin('subjects as s', 's.id', 'b.subject_id')
    .leftJoin('subject_relationships as r', 'r.subject_id', 's.id')
    .select(['s.id', 's.restricted', 's.created_at', 'r.relationship'])
    .where('b.kind', '=', field)
    .where('b.digest', '=', digest)
    .where('s.erased_at', 'is', null)
    .orderBy('s.id'),
);

/** The live subjects with a blind-index digest for a field, summarised. */
export async function subjectsWithDigest(db: Kysely<Tables>, field: string, digest: string): Promise<Map<string, SubjectSummary>> {
  const matches = new Map<string, SubjectSummary>();
  for (const r of await searchByDigest(db, field, digest)) {
    let m = matches.get(r.id);
    if (!m) matches.set(r.id, (m = { id: r.id, restricted: r.restricted === 1, createdAt: r.created_at, relationships: [] }));
    if (r.relationship !== null && !m.relationships.includes(r.relationship)) m.relationships.push(r.relationship);
  }
  return matches;
}

/** A page of live subject ids in id order (limit + 1 read, so the caller can tell whether more follow). */
export async function liveSubjectIdsPage(db: Kysely<Tables>, opts: { after?: string | undefined; limit: number; relationship?: string | undefined }): Promise<string[]> {
  let q = db.selectFrom('subjects').select('subjects.id').where('subjects.erased_at', 'is', null).orderBy('subjects.id').limit(opts.limit);
  if (opts.after) q = q.where('subjects.id', '>', opts.after);
  const rel = opts.relationship;
  if (rel) q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'subjects.id').where('sr.relationship', '=', rel)));
  return (await q.execute()).map((r) => r.id);
}

// ——— keys ———

/** The subject's data key, unwrapped; undefined once destroyed (erased) or if there is none. */
export async function loadSubjectKey(ctx: Pick<AppContext, 'keyring'>, db: Kysely<Tables>, subjectId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('subject_keys').select(['wrapped_key', 'kek_version']).where('subject_id', '=', subjectId).executeTakeFirst();
  if (!row?.wrapped_key) return undefined;
  await ctx.keyring.ensureVersions([row.kek_version]);
  return ctx.keyring.unwrapSubjectKey(subjectId, row.wrapped_key);
}

/** The data keys of many subjects, unwrapped (destroyed keys left out). */
export async function loadSubjectKeys(ctx: Pick<AppContext, 'keyring'>, db: Kysely<Tables>, subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
  const keys = new Map<string, Buffer>();
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    const ks = await db.selectFrom('subject_keys').select(['subject_id', 'wrapped_key', 'kek_version']).where('subject_id', 'in', chunk).execute();
    await ctx.keyring.ensureVersions(new Set(ks.map((k) => k.kek_version)));
    for (const k of ks) if (k.wrapped_key) keys.set(k.subject_id, ctx.keyring.unwrapSubjectKey(k.subject_id, k.wrapped_key));
  });
  return keys;
}

// ——— relationships ———

export type RelationshipRow = Selectable<Tables['subject_relationships']>;

/** The relationship ids a subject has (ended ones included). */
export async function relationshipsOf(db: Kysely<Tables>, subjectId: string): Promise<string[]> {
  return (await db.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', subjectId).execute()).map((r) => r.relationship);
}

/** A subject's relationship rows, in the order they were recorded. */
export async function relationshipRows(db: Kysely<Tables>, subjectId: string): Promise<RelationshipRow[]> {
  return db.selectFrom('subject_relationships').selectAll().where('subject_id', '=', subjectId).orderBy('id').execute();
}

/** The relationship rows of many subjects (chunked), optionally only those not ended. */
export async function relationshipsOfSubjects(db: Kysely<Tables>, subjectIds: readonly string[], opts: { current?: boolean } = {}): Promise<RelationshipRow[]> {
  const out: RelationshipRow[] = [];
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    let q = db.selectFrom('subject_relationships').selectAll().where('subject_id', 'in', chunk);
    if (opts.current) q = q.where('ended_at', 'is', null);
    out.push(...(await q.execute()));
  });
  return out;
}

// ——— records ———

export async function findRecordRow(db: Kysely<Tables>, id: string): Promise<Tables['records'] | undefined> {
  return db.selectFrom('records').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The record's row; NOT_FOUND if there is none. */
export async function recordRow(db: Kysely<Tables>, id: string): Promise<Tables['records']> {
  const row = await findRecordRow(db, id);
  if (!row) throw notFound('record', id);
  return row;
}

/** A subject's records, optionally of some categories and one kind; in id order unless asked otherwise. */
export async function recordsOfSubject(
  db: Kysely<Tables>,
  subjectId: string,
  opts: { categories?: readonly string[]; kind?: 'value' | 'communication' | 'file'; order?: 'id' | 'created' | 'created-desc' | 'updated-desc' } = {},
): Promise<Array<Tables['records']>> {
  if (opts.categories && opts.categories.length === 0) return [];
  let q = db.selectFrom('records').selectAll().where('subject_id', '=', subjectId);
  if (opts.categories) q = q.where('category', 'in', [...opts.categories]);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  if (opts.order === 'created') q = q.orderBy('created_at').orderBy('id');
  else if (opts.order === 'created-desc') q = q.orderBy('created_at', 'desc');
  else if (opts.order === 'updated-desc') q = q.orderBy('updated_at', 'desc');
  else q = q.orderBy('id');
  return q.execute();
}

/** Records by id (chunked), in no particular order; ids with no record are left out. */
export async function recordsByIds(db: Kysely<Tables>, ids: readonly string[]): Promise<Array<Tables['records']>> {
  const out: Array<Tables['records']> = [];
  await forChunks([...new Set(ids)], ID_CHUNK, async (chunk) => out.push(...(await db.selectFrom('records').selectAll().where('id', 'in', chunk).execute())));
  return out;
}

/** Of these record ids, those still present, with their subject. */
export async function presentRecords(db: Kysely<Tables>, ids: readonly string[]): Promise<Array<{ id: string; subjectId: string }>> {
  const out: Array<{ id: string; subjectId: string }> = [];
  await forChunks(ids, 1000, async (chunk) => {
    for (const r of await db.selectFrom('records').select(['id', 'subject_id']).where('id', 'in', chunk).execute()) out.push({ id: r.id, subjectId: r.subject_id });
  });
  return out;
}

/** The distinct categories a subject holds records of. */
export async function categoriesOfSubject(db: Kysely<Tables>, subjectId: string): Promise<string[]> {
  return (await db.selectFrom('records').select('category').distinct().where('subject_id', '=', subjectId).execute()).map((r) => r.category);
}

/** The purposes rows of records, by record id. */
function purposeRows(recordId: string, purposes: readonly HeldPurpose[]): Array<Tables['record_purposes']> {
  const seen = new Map<string, Tables['record_purposes']>();
  for (const p of purposes) if (!seen.has(p.purpose)) seen.set(p.purpose, { record_id: recordId, purpose: p.purpose, basis: p.basis });
  return [...seen.values()];
}

/** Inserts records with their purposes rows and blind indexes (chunked multi-row statements). */
export async function insertRecords(trx: Kysely<Tables>, maxParameters: number, records: ReadonlyArray<Tables['records']>, indexes: ReadonlyArray<Tables['blind_indexes']>): Promise<void> {
  await insertChunked(records, maxParameters, (c) => trx.insertInto('records').values(c).execute());
  await insertChunked(
    records.flatMap((r) => purposeRows(r.id, heldPurposes(r.purposes))),
    maxParameters,
    (c) => trx.insertInto('record_purposes').values(c).execute(),
  );
  await insertChunked(indexes, maxParameters, (c) => trx.insertInto('blind_indexes').values(c).execute());
}

/** Replaces a record's purposes (the column, as the JSON given, and the rows). */
export async function setRecordPurposes(trx: Kysely<Tables>, id: string, purposes: string, now: string): Promise<void> {
  await trx.updateTable('records').set({ purposes, updated_at: now }).where('id', '=', id).execute();
  await trx.deleteFrom('record_purposes').where('record_id', '=', id).execute();
  const rows = purposeRows(id, heldPurposes(purposes));
  if (rows.length) await trx.insertInto('record_purposes').values(rows).execute();
}

/** Rewrites a record's content and purposes, and replaces its blind indexes. */
export async function rewriteRecord(
  trx: Kysely<Tables>,
  id: string,
  change: { ciphertext: Buffer; purposes: string; size: number; now: string },
  indexes: ReadonlyArray<Tables['blind_indexes']>,
): Promise<void> {
  await trx.updateTable('records').set({ ciphertext: change.ciphertext, purposes: change.purposes, size: change.size, updated_at: change.now }).where('id', '=', id).execute();
  await trx.deleteFrom('record_purposes').where('record_id', '=', id).execute();
  const rows = purposeRows(id, heldPurposes(change.purposes));
  if (rows.length) await trx.insertInto('record_purposes').values(rows).execute();
  await trx.deleteFrom('blind_indexes').where('record_id', '=', id).execute();
  if (indexes.length) await trx.insertInto('blind_indexes').values([...indexes]).execute();
}

/**
 * Deletes records; their blind indexes and purposes rows go with them through the foreign keys'
 * ON DELETE CASCADE (enforced by PostgreSQL, and by SQLite with foreign_keys on, as database.ts
 * opens it) — one index probe per record instead of three. Each goes in the erasure ledger, so
 * that a restore from an older backup deletes it again.
 */
export async function deleteRecordRows(trx: Kysely<Tables>, ids: readonly string[], ledger: { now: string; reason: ErasureReason }): Promise<void> {
  await forChunks(ids, ID_CHUNK, (chunk) => trx.deleteFrom('records').where('id', 'in', chunk).execute());
  await recordErasures(trx, 'record', ids, ledger.reason, ledger.now);
}

/**
 * Erases subjects the caller knows have no record left (it read and removed all of them inside
 * this write-locked transaction, so none can have been added since): destroys the data key, so any
 * copy of their ciphertext in a backup is unreadable, and marks the subject erased (the row stays
 * as a tombstone so audit entries still name a known id). The erasure ledger entry removes what
 * other features keep only about the person (erasure-ledger.ts).
 */
export async function eraseSubjects(trx: Kysely<Tables>, empty: readonly string[], now: string, reason: ErasureReason): Promise<void> {
  await recordErasures(trx, 'subject', empty, reason, now);
  await forChunks(empty, ID_CHUNK, async (chunk) => {
    await trx.updateTable('subject_keys').set({ wrapped_key: null, destroyed_at: now }).where('subject_id', 'in', chunk).execute();
    await trx.updateTable('subjects').set({ erased_at: now, updated_at: now }).where('id', 'in', chunk).where('erased_at', 'is', null).execute();
  });
}

/** Of the given subjects, erases those with no record left (eraseSubjects) and returns them. */
export async function eraseEmptySubjects(trx: Kysely<Tables>, subjectIds: readonly string[], now: string, reason: ErasureReason): Promise<Set<string>> {
  const empty: string[] = [];
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    const left = new Set((await trx.selectFrom('records').select('subject_id').distinct().where('subject_id', 'in', chunk).execute()).map((r) => r.subject_id));
    for (const id of chunk) if (!left.has(id)) empty.push(id);
  });
  await eraseSubjects(trx, empty, now, reason);
  return new Set(empty);
}

// ——— blind indexes ———

// ——— new subjects ———

/** The rows of a batch of new subjects (built by the register service, inserted here). */
export interface NewSubjectRows {
  subject: Tables['subjects'];
  key: Tables['subject_keys'];
  relationships: Array<Omit<Tables['subject_relationships'], 'id'>>;
  records: Array<Tables['records']>;
  indexes: Array<Tables['blind_indexes']>;
}

/** Inserts many subjects' rows with multi-row statements, chunked under the parameter limit. */
export async function insertSubjectRows(trx: Kysely<Tables>, maxParameters: number, batch: readonly NewSubjectRows[]): Promise<void> {
  await insertChunked(batch.map((b) => b.subject), maxParameters, (c) => trx.insertInto('subjects').values(c).execute());
  await insertChunked(batch.map((b) => b.key), maxParameters, (c) => trx.insertInto('subject_keys').values(c).execute());
  await insertChunked(batch.flatMap((b) => b.relationships), maxParameters, (c) => trx.insertInto('subject_relationships').values(c).execute());
  await insertRecords(trx, maxParameters, batch.flatMap((b) => b.records), batch.flatMap((b) => b.indexes));
}
