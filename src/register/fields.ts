/**
 * Fields inside categories: what a record of a category holds, how each value is checked and
 * indexed, and how spreadsheet columns find their field.
 *
 * A category that declares no fields holds one field (id "value", labelled with the category's
 * name), typed from its deprecated category-level identifier: so declarations written before
 * fields load and work unchanged, and a record written in the old one-value format reads as that
 * category's single field (or, once fields are declared, as its primary field).
 */
import { normaliseEmail, normaliseIdentifier, normalisePhone } from '../crypto/blind-index.js';
import type { DataCategory } from '../policy/policy.schema.js';
import type { FieldType } from '../policy/schema.data.js';

export interface FieldDef {
  id: string;
  label: string;
  type: FieldType;
  identifier: boolean;
  aliases: readonly string[];
  required: boolean;
  /** The one field of a category that declares none. */
  implicit: boolean;
}

/** The id of the single field of a category without declared fields. */
export const SINGLE_FIELD = 'value';

const LEGACY_TYPE: Record<string, FieldType> = { email: 'email', phone: 'phone', 'customer-number': 'reference', other: 'reference' };

const fieldsCache = new WeakMap<DataCategory, FieldDef[]>();

/** The category's fields, in declared order. */
export function categoryFields(cat: DataCategory): FieldDef[] {
  let out = fieldsCache.get(cat);
  if (!out) {
    out =
      cat.fields && cat.fields.length > 0
        ? cat.fields.map((f) => ({ id: f.id, label: f.label, type: f.type, identifier: f.identifier || (cat.identifier !== undefined && f.type === LEGACY_TYPE[cat.identifier]), aliases: f.aliases, required: f.required, implicit: false }))
        : [
            {
              id: SINGLE_FIELD,
              label: cat.name,
              // A category named like a name ("name", "full-name") holds a name: find prints it.
              type: cat.identifier ? LEGACY_TYPE[cat.identifier]! : /(^|-)name$/.test(cat.id) ? 'name' : 'free-text',
              identifier: cat.identifier !== undefined,
              aliases: [cat.id, cat.name],
              required: true,
              implicit: true,
            },
          ];
    fieldsCache.set(cat, out);
  }
  return out;
}

/**
 * The field an old one-value record, or a caller giving one `value`, means: the field of the
 * deprecated identifier's kind, else the first identifier field, else the first field.
 */
export function primaryField(cat: DataCategory): FieldDef {
  const fields = categoryFields(cat);
  const legacy = cat.identifier ? fields.find((f) => f.type === LEGACY_TYPE[cat.identifier!]) : undefined;
  return legacy ?? fields.find((f) => f.identifier) ?? fields[0]!;
}

export type IndexKind = 'email' | 'phone' | 'other';

export const indexKindOf = (f: FieldDef): IndexKind => (f.type === 'email' ? 'email' : f.type === 'phone' ? 'phone' : 'other');

/**
 * The blind-index key of an identifier field. Email and phone fields share one key per kind, so
 * one search finds a person whichever category holds the address. Other identifiers are keyed
 * by category and field; a category's first such field keeps the key one-value records used
 * (`other:<category>`), so indexes written before fields stay searchable.
 */
export function indexKeyOf(cat: DataCategory, f: FieldDef): string {
  const kind = indexKindOf(f);
  if (kind !== 'other') return kind;
  const first = categoryFields(cat).find((x) => x.identifier && indexKindOf(x) === 'other');
  return first?.id === f.id ? `other:${cat.id}` : `other:${cat.id}.${f.id}`;
}

export const MAX_FIELD_CHARS = 10_000;

/**
 * Checks one value against its field's type. Returns the reason it is refused (naming the rule,
 * never the value), or undefined when it is acceptable.
 */
export function checkFieldValue(f: FieldDef, value: string): string | undefined {
  if (value.length > MAX_FIELD_CHARS) return `is longer than ${MAX_FIELD_CHARS} characters`;
  switch (f.type) {
    case 'email':
      return normaliseEmail(value) === undefined ? 'is not a valid email address' : undefined;
    case 'phone':
      return normalisePhone(value) === undefined ? 'is not a valid phone number' : undefined;
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) || /^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$/.test(value.trim()) ? undefined : 'is not a date (YYYY-MM-DD or DD/MM/YYYY)';
    case 'number':
      return /^-?\d+(?:[.,]\d+)?$/.test(value.trim().replace(/,(?=\d{3}\b)/g, '')) ? undefined : 'is not a number';
    case 'money':
      return /^-?[£$€]?\s?-?\d{1,3}(?:,?\d{3})*(?:\.\d{1,2})?$/.test(value.trim()) ? undefined : 'is not an amount of money like "12.50"';
    case 'url':
      try {
        const u = new URL(value.trim());
        return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'is not a web address (http or https)';
      } catch {
        return 'is not a web address';
      }
    case 'postcode':
      return value.trim().length <= 16 ? undefined : 'is too long for a postcode';
    case 'name':
    case 'reference':
    case 'text':
      if (value.length > 1000) return 'is longer than 1000 characters';
      if (f.identifier && normaliseIdentifier('other', value) === undefined) return 'is not a valid identifier';
      return undefined;
    default:
      return undefined;
  }
}

// ——— columns to fields ———

/** A name as a column header may spell it: lower case, no accents, spaces or punctuation. */
export const normaliseName = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

export interface FieldRef {
  category: DataCategory;
  field: FieldDef;
}

/** The column name an export writes for a field, which an import maps back by itself. */
export const qualifiedName = (cat: DataCategory, f: FieldDef): string => (f.implicit ? cat.id : `${cat.id}.${f.id}`);

/**
 * Every name a field answers to, strongest first: its qualified name (category.field), then its
 * id, label and aliases. A category's single implicit field, or its primary field, also answers
 * to the category's id and name, as columns did before fields.
 */
function namesOf(cat: DataCategory, f: FieldDef): { strong: string[]; weak: string[] } {
  const strong = [qualifiedName(cat, f), `${cat.id}.${f.id}`, `${cat.name}.${f.label}`].map(normaliseName);
  // A column named after the category, as imports were written before fields, fills its primary field.
  const legacy = !f.implicit && primaryField(cat).id === f.id ? [cat.id, cat.name] : [];
  const weak = [f.id, f.label, ...f.aliases, ...legacy].map(normaliseName);
  return { strong, weak };
}

export interface ColumnMatch {
  column: string;
  ref?: FieldRef;
  /** For an unmapped column: the nearest field, to suggest. */
  nearest?: FieldRef;
  /** For an unmapped column that several fields answer to. */
  ambiguous?: FieldRef[];
}

/** Matches column headers to the fields of the given categories (those the importer may write). */
export function matchColumns(categories: readonly DataCategory[], headers: readonly string[]): ColumnMatch[] {
  const all: Array<FieldRef & { strong: string[]; weak: string[] }> = [];
  for (const cat of categories) for (const f of categoryFields(cat)) all.push({ category: cat, field: f, ...namesOf(cat, f) });
  const taken = new Set<string>();
  return headers.map((column) => {
    const n = normaliseName(column);
    if (n === '') return { column };
    let hits = all.filter((x) => x.strong.includes(n));
    if (hits.length === 0) hits = all.filter((x) => x.weak.includes(n));
    const free = hits.filter((h) => !taken.has(`${h.category.id}.${h.field.id}`));
    if (free.length === 1) {
      const h = free[0]!;
      taken.add(`${h.category.id}.${h.field.id}`);
      return { column, ref: { category: h.category, field: h.field } };
    }
    if (free.length > 1) return { column, ambiguous: free.map((h) => ({ category: h.category, field: h.field })) };
    // The nearest field: a misspelling (a third of the letters or fewer differ), or a name one
    // contains whole ("Mobile phone" holds "phone"); otherwise no suggestion rather than a wild one.
    let best: (typeof all)[number] | undefined;
    let bestScore = Infinity;
    for (const x of all) {
      for (const name of [...x.strong, ...x.weak]) {
        if (name.length < 3) continue;
        const d = n.includes(name) || name.includes(n) ? 0.3 : distance(n, name) / Math.max(n.length, name.length, 1);
        if (d < bestScore) {
          bestScore = d;
          best = x;
        }
      }
    }
    return { column, ...(best && bestScore <= 0.34 ? { nearest: { category: best.category, field: best.field } } : {}) };
  });
}

/** Edit distance counting a swap of two neighbouring letters as one edit ("Emial"), for suggesting the nearest field. */
function distance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Resolves "category.field" (or a category id, for its single or primary field) from a --map target. */
export function resolveFieldRef(categories: ReadonlyMap<string, DataCategory>, target: string): FieldRef | undefined {
  const dot = target.indexOf('.');
  const cat = categories.get(dot < 0 ? target : target.slice(0, dot));
  if (!cat) return undefined;
  if (dot < 0) return { category: cat, field: primaryField(cat) };
  const f = categoryFields(cat).find((x) => x.id === target.slice(dot + 1));
  return f ? { category: cat, field: f } : undefined;
}
