/**
 * Anonymous statistics for anonymised records: what retention keeps when a rule says "anonymise"
 * before the records go (the register deletes them: register.repository.ts).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { categoryFields, SINGLE_FIELD, type FieldDef } from '../register/fields.js';
import { openContent } from '../register/record.codec.js';
import { loadSubjectKeys, recordsByIds } from '../register/register.repository.js';
import type { CalendarDate } from './duration.js';
import type { RecordFacts, RetentionModel } from './retention.engine.js';
import './retention.tables.js';

/** Fields an anonymised statistic may keep: not identifiers, and not of a type that names or reaches a person. */
const statisticalFieldsOf = (cat: DataCategory): FieldDef[] =>
  categoryFields(cat).filter((f) => !f.identifier && !['name', 'email', 'phone', 'postal-address', 'url'].includes(f.type));

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
  const rows: Array<Tables['records']> = [];
  for (const r of await recordsByIds(trx, groups.flatMap((g) => g.records.map((x) => x.id)))) {
    sources.set(r.id, r.source);
    if (wanted.has(r.id) && r.kind === 'value') rows.push(r);
  }
  const values = new Map<string, unknown>();
  if (rows.length > 0) {
    const keys = await loadSubjectKeys(ctx, trx, rows.map((r) => r.subject_id));
    for (const r of rows) {
      const dek = keys.get(r.subject_id);
      if (!dek) continue;
      try {
        // Only fields that identify no one: never identifiers, names, addresses, emails or phones.
        const cat = model.categories.get(r.category);
        const keep = new Set(cat ? statisticalFieldsOf(cat).map((f) => f.id) : []);
        const fields = (openContent(dek, r, ctx.policy).fields ?? []).filter((f) => keep.has(f.id));
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
  for (let i = 0; i < stats.length; i += 2000) await trx.insertInto('retention_statistics').values(stats.slice(i, i + 2000)).execute();
  return stats.length;
}
