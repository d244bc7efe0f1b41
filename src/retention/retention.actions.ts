/**
 * What retention does to the register, set-based: records deleted by id lists in chunks (their
 * blind indexes first), anonymous statistics written for anonymised records, and subjects left
 * with no record erased — their data key destroyed, as eraseSubject does, so any copy of their
 * ciphertext in a backup is unreadable.
 */
import type { Kysely } from 'kysely';
import { categoryFields, SINGLE_FIELD, type FieldDef } from '../register/fields.js';
import { decryptRecord } from '../register/record.codec.js';
import type { DataCategory } from '../policy/policy.schema.js';

/** Fields an anonymised statistic may keep: not identifiers, and not of a type that names or reaches a person. */
const statisticalFieldsOf = (cat: DataCategory): FieldDef[] =>
  categoryFields(cat).filter((f) => !f.identifier && !['name', 'email', 'phone', 'postal-address', 'url'].includes(f.type));
import type { Tables } from '../db/tables.js';
import { recordErasures, type ErasureReason } from '../backup/erasure-ledger.js';
import type { CalendarDate } from './duration.js';
import type { RecordFacts, RetentionModel } from './retention.engine.js';
import './retention.tables.js';
import type { AppContext } from '../kernel/context.js';

/** Ids per statement: well under both databases' bound-parameter limits. */
export const ID_CHUNK = 5000;

export async function forChunks<T>(items: readonly T[], size: number, fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

/**
 * Deletes records; their blind indexes go with them through the foreign key's ON DELETE CASCADE
 * (enforced by PostgreSQL, and by SQLite with foreign_keys on, as database.ts opens it) — one
 * index probe per record instead of two.
 */
export async function deleteRecordRows(trx: Kysely<Tables>, ids: readonly string[], ledger: { now: string; reason: ErasureReason }): Promise<void> {
  await forChunks(ids, ID_CHUNK, (chunk) => trx.deleteFrom('records').where('id', 'in', chunk).execute());
  // In the erasure ledger, so that a restore from an older backup deletes them again.
  await recordErasures(trx, 'record', ids, ledger.reason, ledger.now);
}

/**
 * Of the given subjects, erases those with no record left: destroys the data key, marks the
 * subject erased (the row stays as a tombstone so audit entries still name a known id), and drops
 * the retention facts kept only to time their data (life events, review decisions).
 */
export async function eraseEmptySubjects(trx: Kysely<Tables>, subjectIds: readonly string[], now: string, reason: ErasureReason): Promise<Set<string>> {
  const empty: string[] = [];
  await forChunks([...new Set(subjectIds)], ID_CHUNK, async (chunk) => {
    const left = new Set((await trx.selectFrom('records').select('subject_id').distinct().where('subject_id', 'in', chunk).execute()).map((r) => r.subject_id));
    for (const id of chunk) if (!left.has(id)) empty.push(id);
  });
  await eraseSubjects(trx, empty, now, reason);
  return new Set(empty);
}

/**
 * Erases subjects the caller knows have no record left (it read and removed all of them inside
 * this write-locked transaction, so none can have been added since).
 */
export async function eraseSubjects(trx: Kysely<Tables>, empty: readonly string[], now: string, reason: ErasureReason): Promise<void> {
  await recordErasures(trx, 'subject', empty, reason, now);
  await forChunks(empty, ID_CHUNK, async (chunk) => {
    await trx.updateTable('subject_keys').set({ wrapped_key: null, destroyed_at: now }).where('subject_id', 'in', chunk).execute();
    await trx.updateTable('subjects').set({ erased_at: now, updated_at: now }).where('id', 'in', chunk).where('erased_at', 'is', null).execute();
    await trx.deleteFrom('life_events').where('subject_id', 'in', chunk).execute();
    await trx.deleteFrom('retention_reviews').where('subject_id', 'in', chunk).execute();
  });
}

export interface AnonymiseGroup {
  subjectId: string;
  rule: string;
  end: CalendarDate;
  records: RecordFacts[];
}

/**
 * One row of anonymous statistics per subject and rule: the declared statistical fields, with no
 * subject id, record id or identifier, so it cannot be linked back to the person and survives the
 * destruction of their key. Metadata fields come from the records' own columns; a field naming a
 * (non-identifier) data category keeps that category's values, decrypted — only "value" records,
 * never free text or files.
 */
export async function writeStatistics(
  trx: Kysely<Tables>,
  ctx: AppContext,
  model: RetentionModel,
  groups: readonly AnonymiseGroup[],
  relationshipsOf: ReadonlyMap<string, ReadonlySet<string>>,
  day: CalendarDate,
): Promise<number> {
  if (groups.length === 0) return 0;
  // What the page left out: each anonymised record's kind and source, and the ciphertext of those
  // whose category is named as a statistical field of their rule.
  const wantedCategory = (r: RecordFacts, rule: string) => {
    const cat = model.categories.get(r.category);
    return Boolean(cat && statisticalFieldsOf(cat).length > 0 && model.rules.get(rule)?.statisticalFields.includes(r.category));
  };
  const wanted = new Set(groups.flatMap((g) => g.records.filter((r) => wantedCategory(r, g.rule)).map((r) => r.id)));
  const sources = new Map<string, string>();
  const rows: Array<{ id: string; subject_id: string; category: string; kind: string; ciphertext: Buffer }> = [];
  await forChunks(
    groups.flatMap((g) => g.records.map((r) => r.id)),
    ID_CHUNK,
    async (chunk) => {
      for (const r of await trx.selectFrom('records').select(['id', 'subject_id', 'category', 'kind', 'source', 'ciphertext']).where('id', 'in', chunk).execute()) {
        sources.set(r.id, r.source);
        if (wanted.has(r.id) && r.kind === 'value') rows.push(r);
      }
    },
  );
  const values = new Map<string, unknown>();
  if (rows.length > 0) {
    const keys = new Map<string, Buffer>();
    await forChunks([...new Set(rows.map((r) => r.subject_id))], ID_CHUNK, async (chunk) => {
      const ks = await trx.selectFrom('subject_keys').select(['subject_id', 'wrapped_key', 'kek_version']).where('subject_id', 'in', chunk).execute();
      await ctx.keyring.ensureVersions(new Set(ks.map((k) => k.kek_version)));
      for (const k of ks) if (k.wrapped_key) keys.set(k.subject_id, ctx.keyring.unwrapSubjectKey(k.subject_id, k.wrapped_key));
    });
    for (const r of rows) {
      const dek = keys.get(r.subject_id);
      if (!dek) continue;
      try {
        // Only fields that identify no one: never identifiers, names, addresses, emails or phones.
        const cat = model.categories.get(r.category);
        const keep = new Set(cat ? statisticalFieldsOf(cat).map((f) => f.id) : []);
        const fields = (decryptRecord(dek, { ...r, purposes: '[]', source: '', content_type: null, size: 0, collected_at: '', recorded_by: '', created_at: '', updated_at: '' }, ctx.policy).fields ?? []).filter((f) => keep.has(f.id));
        if (fields.length === 1 && fields[0]!.id === SINGLE_FIELD) values.set(r.id, fields[0]!.value);
        else if (fields.length > 0) values.set(r.id, Object.fromEntries(fields.map((f) => [f.id, f.value])));
      } catch {
        // Unreadable: the statistic is simply not kept; the record still goes.
      }
    }
  }
  const month = day.slice(0, 7);
  const stats = groups.map((g) => {
    const rule = model.rules.get(g.rule);
    const fields: Record<string, unknown> = {};
    for (const f of rule?.statisticalFields ?? []) {
      switch (f) {
        case 'relationships':
          fields[f] = [...(relationshipsOf.get(g.subjectId) ?? [])].sort();
          break;
        case 'categories': {
          const counts: Record<string, number> = {};
          for (const r of g.records) counts[r.category] = (counts[r.category] ?? 0) + 1;
          fields[f] = counts;
          break;
        }
        case 'sources':
          fields[f] = [...new Set(g.records.map((r) => sources.get(r.id)).filter((x): x is string => x !== undefined))].sort();
          break;
        case 'purposes':
          fields[f] = [...new Set(g.records.flatMap((r) => model.purposeIds(r.purposes)))].sort();
          break;
        case 'collected-year':
          fields[f] = g.records.reduce((min, r) => (r.collectedOn < min ? r.collectedOn : min), g.records[0]!.collectedOn).slice(0, 4);
          break;
        case 'ended-year':
          fields[f] = g.end.slice(0, 4);
          break;
        default: {
          const cat = model.categories.get(f);
          if (!cat || statisticalFieldsOf(cat).length === 0) break;
          const vals = g.records.filter((r) => r.category === f && values.has(r.id)).map((r) => values.get(r.id)!);
          if (vals.length > 0) fields[f] = vals.length === 1 ? vals[0] : vals;
        }
      }
    }
    return { rule: g.rule, anonymised_in: month, record_count: g.records.length, fields: JSON.stringify(fields) };
  });
  await forChunks(stats, 2000, (chunk) => trx.insertInto('retention_statistics').values(chunk).execute());
  return stats.length;
}
