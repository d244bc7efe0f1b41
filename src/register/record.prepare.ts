/**
 * Checking what is about to go into the register against the declaration: a person's
 * relationships, and each record's category, field values (typed, required, no card data),
 * purposes (declared, using the category, for one of the person's relationships) and source.
 * The result is a record ready to seal: its plaintext in the record format and its identifiers.
 */
import { assertNoCardData } from '../crypto/card-detect.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { policyIndex } from '../policy/policy.index.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { defaultPurposes } from '../promises/promises.purposes.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { categoryFields, checkFieldValue, indexKeyOf, indexKindOf, primaryField, type FieldDef, type IndexKind } from './fields.js';
import { encodeCommunication, encodeFile, encodeValues, type HeldPurpose, type RecordKind } from './record.codec.js';

export const LIMITS = {
  valueChars: 10_000,
  textChars: 1_000_000,
  fileBytes: 5 * 1024 * 1024,
  recordsPerSubjectCall: 500,
};

export interface RecordInput {
  category: string;
  kind?: RecordKind;
  /** For kind "value": the labelled field values, by field id (see fields.ts). */
  fields?: Record<string, string>;
  /** For kind "value": one value for the category's primary field (its single field, or its identifier). */
  value?: string;
  /** For kind "communication": an email, call note or chat. */
  text?: string;
  channel?: string;
  /** For kind "file". */
  file?: { name: string; contentType: string; data: Buffer };
  purposes?: string[];
  source?: string;
  collectedAt?: string;
}

export interface RelationshipInput {
  relationship: string;
  role?: 'controller' | 'processor';
  onBehalfOf?: string;
  subscriberType?: 'individual' | 'corporate';
  startedAt?: string;
}

export interface NewSubject {
  relationships: RelationshipInput[];
  records?: RecordInput[];
}

export const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** The blind-index keys of a category's identifier fields (fields.ts): email, phone, or other:<category>[.<field>]. */
export const indexFields = (category: DataCategory): Array<{ field: string; kind: IndexKind; def: FieldDef }> =>
  categoryFields(category)
    .filter((f) => f.identifier)
    .map((def) => ({ field: indexKeyOf(category, def), kind: indexKindOf(def), def }));

/** The blind-index key of a category's primary identifier field, if it has one. */
export const indexField = (category: DataCategory): { field: string; kind: IndexKind } | undefined => {
  const p = primaryField(category);
  return p.identifier ? { field: indexKeyOf(category, p), kind: indexKindOf(p) } : indexFields(category)[0];
};

export function validateRelationships(loaded: LoadedPolicy, rels: RelationshipInput[], path = 'relationships'): RelationshipInput[] {
  const idx = policyIndex(loaded);
  if (rels.length === 0) throw invalid(path, 'a person needs at least one relationship with the organisation');
  return rels.map((r, i) => {
    const declared = idx.relationships.get(r.relationship);
    if (!declared) throw invalid(`${path}[${i}].relationship`, `"${r.relationship}" is not a relationship in the declaration (declared: ${[...idx.relationships.keys()].join(', ')})`);
    const role = r.role ?? declared.role;
    const onBehalfOf = r.onBehalfOf ?? (role === 'processor' ? declared.on_behalf_of : undefined);
    if (role === 'processor' && !onBehalfOf) throw invalid(`${path}[${i}].onBehalfOf`, 'as a processor we act for a client: name the client');
    return { ...r, role, onBehalfOf };
  });
}

export interface PreparedRecord {
  id: string;
  category: DataCategory;
  kind: RecordKind;
  purposes: HeldPurpose[];
  source: string;
  collectedAt: string;
  contentType: string | null;
  size: number;
  plaintext: Buffer;
  /** For kind "value": the checked field values. */
  values?: Record<string, string>;
  /** Identifier fields with a value: one blind index each. */
  identifiers: Array<{ field: string; kind: IndexKind; value: string }>;
}

/**
 * Checks a record against the declaration and the card-data rules, and resolves its defaults:
 * the purposes that use its category for one of the subject's relationships, and their source.
 */
export function prepareRecord(loaded: LoadedPolicy, input: RecordInput, relationships: readonly string[], now: string, path = 'record'): PreparedRecord {
  const idx = policyIndex(loaded);
  const category = idx.categories.get(input.category);
  if (!category) throw invalid(`${path}.category`, `"${input.category}" is not a data category in the declaration`);
  if (category.storage === 'never') {
    throw new StewardError('FORBIDDEN_DATA', `${path}: the declaration says "${category.name}" is never stored`, [{ path: `${path}.category`, message: 'this category must never be stored' }]);
  }
  const kind: RecordKind = input.kind ?? (input.file ? 'file' : input.text !== undefined ? 'communication' : 'value');
  let plaintext: Buffer;
  let contentType: string | null = null;
  const identifiers: PreparedRecord['identifiers'] = [];
  let values: Record<string, string> | undefined;
  if (kind === 'value') {
    values = checkValues(category, input, path);
    for (const f of indexFields(category)) {
      const v = values[f.def.id];
      if (v !== undefined) identifiers.push({ field: f.field, kind: f.kind, value: v });
    }
    plaintext = encodeValues(values);
  } else if (kind === 'communication') {
    if (typeof input.text !== 'string' || input.text.trim() === '') throw invalid(`${path}.text`, 'the text of the communication is required');
    if (input.text.length > LIMITS.textChars) throw invalid(`${path}.text`, `is longer than ${LIMITS.textChars} characters`);
    assertNoCardData({ [input.category]: input.text }, { path });
    plaintext = encodeCommunication(input.text, input.channel);
    contentType = 'text/plain';
  } else {
    const file = input.file;
    if (!file) throw invalid(`${path}.file`, 'file content is required');
    if (file.data.length > LIMITS.fileBytes) {
      throw new StewardError('PAYLOAD_TOO_LARGE', `${path}.file: larger than ${LIMITS.fileBytes} bytes`, [{ path: `${path}.file`, message: 'file too large' }]);
    }
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(file.contentType)) throw invalid(`${path}.file.contentType`, 'is not a media type like "audio/mpeg"');
    if (file.contentType.startsWith('text/')) assertNoCardData({ [input.category]: file.data.toString('utf8') }, { path });
    if (file.name.length > 255) throw invalid(`${path}.file.name`, 'is longer than 255 characters');
    // The file name can be personal data ("jane-smith-cv.pdf"): it is encrypted with the content.
    plaintext = encodeFile(file.name, file.data);
    contentType = file.contentType;
  }

  // Purposes: as given, or the ones it was collected for (promises.purposes.ts). Each must use the
  // category and cover one of the relationships.
  const candidates = input.purposes ?? defaultPurposes(loaded, category.id, relationships, `${path}.purposes`, 'name the purposes it was collected for ("purposes")');
  if (candidates.length === 0) {
    throw invalid(`${path}.purposes`, `no declared purpose uses "${category.id}" for a ${relationships.join('/')}; name the purposes or declare one`);
  }
  const purposes = candidates.map((pid, i) => {
    const p = idx.purposes.get(pid);
    if (!p) throw invalid(`${path}.purposes[${i}]`, `"${pid}" is not a purpose in the declaration`);
    if (!p.categories.includes(category.id)) throw invalid(`${path}.purposes[${i}]`, `the purpose "${pid}" does not use the category "${category.id}"`);
    if (!p.relationships.some((r) => relationships.includes(r))) {
      throw invalid(`${path}.purposes[${i}]`, `the purpose "${pid}" is not for this person's relationships (${relationships.join(', ')})`);
    }
    return { purpose: pid, basis: p.lawful_basis ?? null };
  });
  const source = input.source ?? candidates.map((pid) => idx.purposes.get(pid)?.sources?.[0]).find((s) => s !== undefined);
  if (!source) throw invalid(`${path}.source`, 'say where the data came from (a source id from the declaration)');
  if (!idx.sources.has(source)) throw invalid(`${path}.source`, `"${source}" is not a source in the declaration`);
  const collectedAt = input.collectedAt ?? now;
  if (Number.isNaN(Date.parse(collectedAt))) throw invalid(`${path}.collectedAt`, 'is not a date');
  return {
    id: newId(),
    category,
    kind,
    purposes,
    source,
    collectedAt: new Date(collectedAt).toISOString(),
    contentType,
    size: kind === 'file' ? input.file!.data.length : plaintext.length,
    plaintext,
    values,
    identifiers,
  };
}

/**
 * The field values of a "value" record: each a declared field of the category, checked by its
 * type (fields.ts), required fields present, at least one value, no card data anywhere.
 */
function checkValues(category: DataCategory, input: RecordInput, path: string): Record<string, string> {
  const defs = categoryFields(category);
  const given: Record<string, string> = { ...(input.fields ?? {}) };
  if (input.value !== undefined) {
    if (typeof input.value !== 'string') throw invalid(`${path}.value`, 'must be text');
    const p = primaryField(category);
    if (given[p.id] === undefined) given[p.id] = input.value;
  }
  const values: Record<string, string> = {};
  for (const [id, raw] of Object.entries(given)) {
    const def = defs.find((f) => f.id === id);
    const at = def?.implicit && input.fields === undefined ? `${path}.value` : `${path}.fields.${id}`;
    if (!def) throw invalid(`${path}.fields.${id}`, `"${id}" is not a field of "${category.id}" (its fields: ${defs.map((f) => f.id).join(', ')})`);
    if (typeof raw !== 'string') throw invalid(at, 'must be text');
    const v = raw.trim();
    if (v === '') continue;
    if (v.length > LIMITS.valueChars) throw invalid(at, `is longer than ${LIMITS.valueChars} characters`);
    const problem = checkFieldValue(def, v);
    if (problem) throw invalid(at, problem);
    values[id] = v;
  }
  if (Object.keys(values).length === 0) throw invalid(input.fields ? `${path}.fields` : `${path}.value`, 'a value is required');
  for (const def of defs) if (def.required && !def.implicit && values[def.id] === undefined) throw invalid(`${path}.fields.${def.id}`, `"${def.label}" is required`);
  assertNoCardData(values, { path });
  return values;
}
