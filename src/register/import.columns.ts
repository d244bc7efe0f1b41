/**
 * How an import's columns become fields: the options checked against the declaration before any
 * row is read (the relationship, each mapped field, the purposes and source of each category),
 * and each column of the file matched to a field by --map or by name, or reported as unmapped.
 * Column names are shown safely: a file saved without its header row has personal data there.
 */
import { canSeeCategory, type Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { defaultPurposes } from '../promises/promises.purposes.js';
import { StewardError } from '../shared/errors.js';
import { categoryFields, matchColumns, resolveFieldRef, type FieldDef, type FieldRef } from './fields.js';
import { validateRelationships } from './record.prepare.js';

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** What the column plan needs of the import's options. */
export interface CategoryOptions {
  /** The relationship every imported person has with the organisation (a declared id). */
  relationship: string;
  map?: Record<string, string> | undefined;
  source?: string | undefined;
  purposes?: string[] | undefined;
}

/** A column not imported, with the nearest field (or the fields it could mean) to map it with --map. */
export interface UnmappedColumn {
  column: string;
  nearest?: string;
  ambiguous?: string[];
}

/**
 * A column name as it may appear in reports. Headers are normally labels ("E-mail"), but a file
 * saved without its header row turns the first person's details into column names: anything that
 * looks like an address, a phone number or a card number is shown by position instead.
 */
export function safeColumnLabel(header: string, position: number): string {
  const digits = header.replace(/\D/g, '').length;
  if (header.includes('@') || digits >= 7 || header.length > 80) return `column ${position}`;
  return header;
}

export interface ColumnPlan {
  column: string;
  label: string;
  category: DataCategory;
  field: FieldDef;
}

export interface CategoryUse {
  purposes: string[];
  source: string;
}

export type Resolve = (category: DataCategory) => CategoryUse;

export interface CategoryPlan {
  rels: ReturnType<typeof validateRelationships>;
  relIds: string[];
  /** The purposes and source a category's records get (checked once, here, not per row). */
  resolve: Resolve;
}

/**
 * Checks the options against the declaration before any row is read: a mistake here would
 * otherwise reject every row with the same message.
 */
export function planCategories(ctx: AppContext, actor: Actor, opts: CategoryOptions): CategoryPlan {
  const idx = policyIndex(ctx.policy);
  const rels = validateRelationships(ctx.policy, [{ relationship: opts.relationship }], 'relationship');
  const relIds = rels.map((r) => r.relationship);
  for (const [column, target] of Object.entries(opts.map ?? {})) {
    if (target === LEAVE_OUT) continue;
    const ref = resolveFieldRef(idx.categories, target);
    if (!ref) {
      const cat = idx.categories.get(target.split('.')[0]!);
      throw invalid(
        `map.${column}`,
        cat
          ? `"${target}" is not a field of "${cat.id}" (its fields: ${categoryFields(cat).map((f) => `${cat.id}.${f.id}`).join(', ')})`
          : `"${target}" is not a data category in the declaration (declared: ${[...idx.categories.keys()].join(', ')})`,
      );
    }
    const cat = ref.category;
    if (cat.storage === 'never') throw new StewardError('FORBIDDEN_DATA', `map.${column}: the declaration says "${cat.name}" is never stored`, [{ path: `map.${column}`, message: 'this category must never be stored' }]);
    if (!canSeeCategory(actor, cat)) throw new StewardError('FORBIDDEN', `map.${column}: records of the category "${cat.id}" are restricted to ${cat.restricted_to_roles?.join(', ')}`);
  }
  if (opts.source !== undefined && !idx.sources.has(opts.source)) {
    throw invalid('source', `"${opts.source}" is not a source in the declaration (declared: ${[...idx.sources].join(', ')})`);
  }
  for (const pid of opts.purposes ?? []) {
    const p = idx.purposes.get(pid);
    if (!p) throw invalid('purposes', `"${pid}" is not a purpose in the declaration`);
    if (!p.relationships.some((r) => relIds.includes(r))) throw invalid('purposes', `the purpose "${pid}" is not for ${opts.relationship}s`);
  }
  const cache = new Map<string, CategoryUse>();
  const resolve: Resolve = (category) => {
    const known = cache.get(category.id);
    if (known) return known;
    const usable = [...idx.purposes.values()].filter((p) => p.categories.includes(category.id) && p.relationships.some((r) => relIds.includes(r)));
    const purposes = opts.purposes ? opts.purposes.filter((pid) => usable.some((p) => p.id === pid)) : defaultPurposes(ctx.policy, category.id, relIds, 'purposes', 'name the purposes it was collected for (--purpose)');
    if (purposes.length === 0) {
      throw invalid(
        `purposes`,
        opts.purposes
          ? `none of the purposes ${opts.purposes.join(', ')} uses "${category.id}": name a purpose that does, or leave the column out`
          : `no declared purpose uses "${category.id}" for a ${opts.relationship}; declare one, or leave the column out`,
      );
    }
    const source = opts.source ?? purposes.map((pid) => idx.purposes.get(pid)?.sources?.[0]).find((s) => s !== undefined);
    if (!source) throw invalid('source', `say where the "${category.id}" data came from (--source, a source id from the declaration)`);
    const use = { purposes, source };
    cache.set(category.id, use);
    return use;
  };
  return { rels, relIds, resolve };
}

/** A map target that leaves a column out on purpose (`--map "Notes=-"`). */
export const LEAVE_OUT = '-';

const fieldName = (r: FieldRef): string => `${r.category.id}.${r.field.id}`;

/**
 * Maps the file's columns to fields: by --map, else by the field's qualified name, id, label or
 * aliases (ignoring case, spaces and punctuation). Columns that fit no field are listed with the
 * nearest one, never dropped silently.
 */
export function planColumns(
  ctx: AppContext,
  actor: Actor,
  opts: { map?: Record<string, string> | undefined },
  headers: string[],
  resolve?: Resolve,
): { columns: ColumnPlan[]; unmapped: UnmappedColumn[] } {
  const idx = policyIndex(ctx.policy);
  const map = opts.map ?? {};
  for (const column of Object.keys(map)) {
    if (!headers.includes(column)) throw invalid(`map.${column}`, `the file has no column "${column}" (its columns: ${headers.map((h, i) => `"${safeColumnLabel(h, i + 1)}"`).join(', ')})`);
  }
  const matches = matchColumns([...idx.categories.values()], headers.map((h) => (map[h] ? '' : h)));
  const columns: ColumnPlan[] = [];
  const unmapped: UnmappedColumn[] = [];
  headers.forEach((column, i) => {
    const label = safeColumnLabel(column, i + 1);
    // Left out on purpose: not imported, and not reported as a column nobody mapped.
    if (map[column] === LEAVE_OUT) return;
    const ref = map[column] ? resolveFieldRef(idx.categories, map[column]) : matches[i]!.ref;
    if (!ref) {
      const m = matches[i]!;
      unmapped.push({ column: label, ...(m.nearest ? { nearest: fieldName(m.nearest) } : {}), ...(m.ambiguous ? { ambiguous: m.ambiguous.map(fieldName) } : {}) });
      return;
    }
    if (ref.category.storage === 'never') {
      throw new StewardError('FORBIDDEN_DATA', `column "${label}": the declaration says "${ref.category.name}" is never stored; remove the column`, [
        { path: label, message: 'this category must never be stored' },
      ]);
    }
    if (!canSeeCategory(actor, ref.category)) {
      throw new StewardError('FORBIDDEN', `column "${label}": records of the category "${ref.category.id}" are restricted to ${ref.category.restricted_to_roles?.join(', ')}`);
    }
    if (columns.some((c) => c.category.id === ref.category.id && c.field.id === ref.field.id)) {
      throw invalid(`map.${column}`, `two columns fill the field "${fieldName(ref)}": map one of them elsewhere`);
    }
    resolve?.(ref.category);
    columns.push({ column, label, category: ref.category, field: ref.field });
  });
  if (columns.length === 0) {
    throw invalid(
      'columns',
      `no column matches a declared field: name columns after fields (their id, label or aliases, e.g. ${[...idx.categories.values()]
        .flatMap((c) => categoryFields(c).map((f) => `"${f.label}"`))
        .slice(0, 6)
        .join(', ')}) or map them with --map "column=category.field"`,
    );
  }
  return { columns, unmapped };
}
