/**
 * The register: data subjects and their records, each tied to the declaration, encrypted under
 * the subject's own key, searchable by blind index, readable only as roles allow, and audited in
 * the same transaction as the change.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { auditReads } from '../audit/read-audit.js';
import { suppressSubject } from '../consent/suppression.service.js';
import { authorise, canSeeCategory, type Actor } from '../auth/roles.js';
import { categoryFields, checkFieldValue, indexKeyOf, indexKindOf, primaryField, SINGLE_FIELD, type FieldDef, type IndexKind } from './fields.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import type { Database } from '../db/database.js';
import { preparedQuery } from '../db/prepared.js';
import { readTx, writeTx } from '../db/transactions.js';
import type { Tables } from '../db/tables.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { policyIndex } from '../policy/policy.index.js';
import type { AppContext } from '../kernel/context.js';
import type { DataCategory, Policy } from '../policy/policy.schema.js';
import type { Clock } from '../shared/clock.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Keyring } from '../crypto/keyring.js';
import { defaultPurposes } from '../promises/promises.purposes.js';
import { afterErasure, recordErasures, type ErasureReason } from '../backup/erasure-ledger.js';
import { deleteRecordRows, eraseSubjects } from '../retention/retention.actions.js';

/** The purpose a caller gives for reading a restricted subject's data (Art 18). */
export const RIGHTS_REQUEST_PURPOSE = 'rights-request';

export const LIMITS = {
  valueChars: 10_000,
  textChars: 1_000_000,
  fileBytes: 5 * 1024 * 1024,
  recordsPerSubjectCall: 500,
};

export type RecordKind = 'value' | 'communication' | 'file';

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

export interface FieldValue {
  id: string;
  label: string;
  type: string;
  value: string;
}

/** A record as the domain sees it, decrypted. */
export interface RecordView {
  id: string;
  category: string;
  kind: RecordKind;
  purposes: Array<{ purpose: string; basis: string | null }>;
  source: string;
  collectedAt: string;
  recordedBy: string;
  createdAt: string;
  updatedAt: string;
  contentType: string | null;
  size: number;
  /** For kind "value": the field values, labelled and in declared order. */
  fields?: FieldValue[];
  /** For kind "value": the primary field's value (the identifier, or the single field). */
  value?: string;
  text?: string;
  channel?: string;
  file?: { name: string; data: Buffer };
}

export interface RelationshipView {
  relationship: string;
  role: string;
  onBehalfOf: string | null;
  subscriberType: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface SubjectView {
  id: string;
  createdAt: string;
  updatedAt: string;
  restricted: boolean;
  erasedAt: string | null;
  relationships: RelationshipView[];
  records: RecordView[];
  /** Categories held but not shown to this actor (restricted_to_roles). */
  withheld: Array<{ category: string; count: number }>;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

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
    return { ...r, role, ...(onBehalfOf ? { onBehalfOf } : {}) };
  });
}

export interface PreparedRecord {
  id: string;
  category: DataCategory;
  kind: RecordKind;
  purposes: Array<{ purpose: string; basis: string | null }>;
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
    plaintext = Buffer.from(JSON.stringify({ f: values }));
  } else if (kind === 'communication') {
    if (typeof input.text !== 'string' || input.text.trim() === '') throw invalid(`${path}.text`, 'the text of the communication is required');
    if (input.text.length > LIMITS.textChars) throw invalid(`${path}.text`, `is longer than ${LIMITS.textChars} characters`);
    assertNoCardData({ [input.category]: input.text }, { path });
    plaintext = Buffer.from(JSON.stringify({ t: input.text, c: input.channel ?? null }));
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
    const nameBytes = Buffer.from(file.name);
    const header = Buffer.alloc(2);
    header.writeUInt16BE(nameBytes.length);
    plaintext = Buffer.concat([header, nameBytes, file.data]);
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
    ...(values ? { values } : {}),
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


const recordAad = (recordId: string, subjectId: string, category: string): string => aad('record', recordId, subjectId, category);

/** A digest of a ciphertext, for the audit trail: reveals nothing about the plaintext. */
export const ciphertextDigest = (c: Buffer): string => createHash('sha256').update(c).digest('hex').slice(0, 32);

// ——— rows for a batch of new subjects (used by create and import) ———

export interface SubjectRows {
  subject: Tables['subjects'];
  key: Tables['subject_keys'];
  relationships: Array<Omit<Tables['subject_relationships'], 'id'>>;
  records: Tables['records'][];
  indexes: Tables['blind_indexes'][];
  audit: AuditEvent;
}

/** Encrypts a checked record under its subject's key, bound to its row, with its blind index if it is an identifier. */
function sealRecord(ctx: AppContext, dek: Buffer, subjectId: string, r: PreparedRecord, actor: Actor, now: string): { row: Tables['records']; indexes: Tables['blind_indexes'][] } {
  const row: Tables['records'] = {
    id: r.id,
    subject_id: subjectId,
    category: r.category.id,
    kind: r.kind,
    purposes: JSON.stringify(r.purposes),
    source: r.source,
    content_type: r.contentType,
    size: r.size,
    ciphertext: encrypt(dek, r.plaintext, recordAad(r.id, subjectId, r.category.id)),
    collected_at: r.collectedAt,
    recorded_by: actor.id,
    created_at: now,
    updated_at: now,
  };
  return { row, indexes: indexRows(ctx, r.id, subjectId, r.identifiers) };
}

/** The blind-index rows of a record's identifier values (one per field and distinct digest). */
function indexRows(ctx: AppContext, recordId: string, subjectId: string, identifiers: PreparedRecord['identifiers']): Tables['blind_indexes'][] {
  const out: Tables['blind_indexes'][] = [];
  const seen = new Set<string>();
  for (const id of identifiers) {
    const e = ctx.keyring.indexer.index(id.field, id.kind, id.value);
    if (!e || seen.has(`${id.field}:${e.digest}`)) continue;
    seen.add(`${id.field}:${e.digest}`);
    out.push({ record_id: recordId, subject_id: subjectId, kind: id.field, key_version: e.version, digest: e.digest });
  }
  return out;
}

export function buildSubjectRows(ctx: AppContext, actor: Actor, rels: RelationshipInput[], records: PreparedRecord[], now: string, action = 'subject.create'): SubjectRows {
  const id = newId();
  const { dek, wrapped, kekVersion } = ctx.keyring.newSubjectKey(id);
  const recordRows: Tables['records'][] = [];
  const indexes: Tables['blind_indexes'][] = [];
  for (const r of records) {
    const sealed = sealRecord(ctx, dek, id, r, actor, now);
    recordRows.push(sealed.row);
    indexes.push(...sealed.indexes);
  }
  const categories: Record<string, number> = {};
  for (const r of records) categories[r.category.id] = (categories[r.category.id] ?? 0) + 1;
  return {
    subject: { id, created_at: now, updated_at: now, created_by: actor.id, restricted: 0, erased_at: null },
    key: { subject_id: id, wrapped_key: wrapped, kek_version: kekVersion, created_at: now, destroyed_at: null },
    relationships: rels.map((r) => ({
      subject_id: id,
      relationship: r.relationship,
      role: r.role ?? 'controller',
      on_behalf_of: r.onBehalfOf ?? null,
      subscriber_type: r.subscriberType ?? null,
      started_at: r.startedAt ? new Date(r.startedAt).toISOString() : now,
      ended_at: null,
    })),
    records: recordRows,
    indexes,
    audit: { action, subjectId: id, details: { relationships: rels.map((r) => r.relationship), categories } },
  };
}

/** Inserts many subjects' rows with multi-row statements, chunked under the parameter limit. */
export async function insertSubjectRows(trx: Kysely<Tables>, maxParameters: number, batch: SubjectRows[]): Promise<void> {
  const chunked = async <T extends object>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
    if (rows.length === 0) return;
    const per = Math.max(1, Math.floor(maxParameters / Object.keys(rows[0]!).length));
    for (let i = 0; i < rows.length; i += per) await insert(rows.slice(i, i + per));
  };
  await chunked(batch.map((b) => b.subject), (c) => trx.insertInto('subjects').values(c).execute());
  await chunked(batch.map((b) => b.key), (c) => trx.insertInto('subject_keys').values(c).execute());
  await chunked(batch.flatMap((b) => b.relationships), (c) => trx.insertInto('subject_relationships').values(c).execute());
  await chunked(batch.flatMap((b) => b.records), (c) => trx.insertInto('records').values(c).execute());
  await chunked(batch.flatMap((b) => b.indexes), (c) => trx.insertInto('blind_indexes').values(c).execute());
}

export async function createSubject(ctx: AppContext, actor: Actor, input: NewSubject): Promise<SubjectView> {
  authorise(actor, 'subjects:write');
  const rels = validateRelationships(ctx.policy, input.relationships);
  const records = input.records ?? [];
  if (records.length > LIMITS.recordsPerSubjectCall) throw invalid('records', `at most ${LIMITS.recordsPerSubjectCall} records at a time`);
  const now = ctx.clock.now().toISOString();
  const relIds = rels.map((r) => r.relationship);
  const prepared = records.map((r, i) => prepareRecord(ctx.policy, r, relIds, now, `records[${i}]`));
  for (const r of prepared) assertCanSee(ctx, actor, r.category.id);
  const rows = buildSubjectRows(ctx, actor, rels, prepared, now);
  await writeTx(ctx, async (trx) => {
    await insertSubjectRows(trx, ctx.database.adapter.maxParameters, [rows]);
    await appendAudit(trx, ctx, actor, [rows.audit]);
  });
  return getSubjectUnaudited(ctx, actor, rows.subject.id);
}

// ——— reading ———

export async function loadSubjectKey(ctx: AppContext, db: Kysely<Tables>, subjectId: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('subject_keys').select(['wrapped_key', 'kek_version']).where('subject_id', '=', subjectId).executeTakeFirst();
  if (!row?.wrapped_key) return undefined;
  await ctx.keyring.ensureVersions([row.kek_version]);
  return ctx.keyring.unwrapSubjectKey(subjectId, row.wrapped_key);
}

/**
 * Decrypts a record. A "value" record's fields are labelled from the declaration; an old
 * one-value record (`{v}`) reads as its category's primary field (fields.ts).
 */
export function decryptRecord(dek: Buffer, row: Tables['records'], loaded?: LoadedPolicy): RecordView {
  const plain = decrypt(dek, row.ciphertext, recordAad(row.id, row.subject_id, row.category));
  const base: RecordView = {
    id: row.id,
    category: row.category,
    kind: row.kind as RecordKind,
    purposes: JSON.parse(row.purposes) as RecordView['purposes'],
    source: row.source,
    collectedAt: row.collected_at,
    recordedBy: row.recorded_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    contentType: row.content_type,
    size: row.size,
  };
  if (row.kind === 'file') {
    const n = plain.readUInt16BE(0);
    return { ...base, file: { name: plain.subarray(2, 2 + n).toString('utf8'), data: plain.subarray(2 + n) } };
  }
  const json = JSON.parse(plain.toString('utf8')) as { f?: Record<string, string>; v?: string; t?: string; c?: string | null };
  if (row.kind === 'communication') return { ...base, text: json.t ?? '', ...(json.c ? { channel: json.c } : {}) };
  const cat = loaded ? policyIndex(loaded).categories.get(row.category) : undefined;
  const fields = labelValues(cat, json.f ?? (json.v !== undefined ? { [cat ? primaryField(cat).id : SINGLE_FIELD]: json.v } : {}));
  const primary = cat ? primaryField(cat).id : SINGLE_FIELD;
  const value = fields.find((f) => f.id === primary)?.value ?? (fields.length === 1 ? fields[0]!.value : (json.v ?? fields[0]?.value ?? ''));
  return { ...base, fields, value };
}

/** Field values in the declared order with their labels; fields no longer declared follow, labelled by id. */
export function labelValues(cat: DataCategory | undefined, values: Record<string, string>): FieldValue[] {
  const out: FieldValue[] = [];
  const defs = cat ? categoryFields(cat) : [];
  for (const d of defs) if (values[d.id] !== undefined) out.push({ id: d.id, label: d.label, type: d.type, value: values[d.id]! });
  for (const [id, value] of Object.entries(values)) if (!defs.some((d) => d.id === id)) out.push({ id, label: id, type: 'text', value });
  return out;
}

async function subjectRow(db: Kysely<Tables>, id: string): Promise<Tables['subjects']> {
  const row = await db.selectFrom('subjects').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('subject', id);
  return row;
}

/** Art 18: a restricted subject's data may be stored but read only for the rights request itself. */
function assertNotRestricted(row: Tables['subjects'], purpose: string | undefined): void {
  if (row.restricted && purpose !== RIGHTS_REQUEST_PURPOSE) {
    throw new StewardError('RESTRICTED', `subject ${row.id} is restricted (Art 18): its data may only be used for the rights request (purpose "${RIGHTS_REQUEST_PURPOSE}")`);
  }
}

async function assembleSubject(ctx: AppContext, db: Kysely<Tables>, actor: Actor, row: Tables['subjects']): Promise<SubjectView> {
  const idx = policyIndex(ctx.policy);
  const rels = await db.selectFrom('subject_relationships').selectAll().where('subject_id', '=', row.id).orderBy('id').execute();
  const recordRows = await db.selectFrom('records').selectAll().where('subject_id', '=', row.id).orderBy('id').execute();
  const visible = recordRows.filter((r) => {
    const cat = idx.categories.get(r.category);
    // A category removed from the declaration since: only the privacy roles see its records.
    return cat ? canSeeCategory(actor, cat) : actor.role === 'dpo' || actor.role === 'owner';
  });
  const withheld = new Map<string, number>();
  for (const r of recordRows) if (!visible.includes(r)) withheld.set(r.category, (withheld.get(r.category) ?? 0) + 1);
  const dek = visible.length > 0 ? await loadSubjectKey(ctx, db, row.id) : undefined;
  if (visible.length > 0 && !dek) throw new StewardError('INTERNAL', `subject ${row.id} has records but no key`);
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    restricted: row.restricted === 1,
    erasedAt: row.erased_at,
    relationships: rels.map((r) => ({
      relationship: r.relationship,
      role: r.role,
      onBehalfOf: r.on_behalf_of,
      subscriberType: r.subscriber_type,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    })),
    records: visible.map((r) => decryptRecord(dek!, r, ctx.policy)),
    withheld: [...withheld].map(([category, count]) => ({ category, count })),
  };
}

async function getSubjectUnaudited(ctx: AppContext, actor: Actor, id: string): Promise<SubjectView> {
  return assembleSubject(ctx, ctx.database.db, actor, await subjectRow(ctx.database.db, id));
}

/** Reads a subject with every record the actor may see, and audits the read. */
export async function getSubject(ctx: AppContext, actor: Actor, id: string, purpose?: string): Promise<SubjectView> {
  authorise(actor, 'subjects:read');
  const view = await readTx(ctx, async (trx) => {
    const row = await subjectRow(trx, id);
    assertNotRestricted(row, purpose);
    return assembleSubject(ctx, trx, actor, row);
  });
  await auditReads(ctx, actor, [
    {
      action: 'subject.read',
      subjectId: id,
      ...(purpose ? { purpose } : {}),
      details: { records: view.records.length, withheld: view.withheld.reduce((n, w) => n + w.count, 0) },
    },
  ]);
  return view;
}

export interface SearchQuery {
  email?: string;
  phone?: string;
  /** An identifier field of a declared category (default: its primary identifier field) and its value. */
  identifier?: { category: string; field?: string; value: string };
}

export interface SubjectSummary {
  id: string;
  restricted: boolean;
  createdAt: string;
  relationships: string[];
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

/** Exact search through blind indexes. The audit entry says how, never what was searched for. */
export async function findSubjects(ctx: AppContext, actor: Actor, q: SearchQuery, purpose?: string): Promise<SubjectSummary[]> {
  authorise(actor, 'subjects:read');
  const terms: Array<{ field: string; digest: string }> = [];
  const indexer = ctx.keyring.indexer;
  const add = (field: string, kind: 'email' | 'phone' | 'other', value: string, name: string) => {
    const e = indexer.index(field, kind, value);
    if (!e) throw invalid(name, `is not a valid ${kind === 'other' ? 'identifier' : kind}`);
    terms.push({ field, digest: e.digest });
  };
  if (q.email !== undefined) add('email', 'email', q.email, 'email');
  if (q.phone !== undefined) add('phone', 'phone', q.phone, 'phone');
  if (q.identifier) {
    const cat = policyIndex(ctx.policy).categories.get(q.identifier.category);
    const fieldId = q.identifier.field;
    const f = cat && (fieldId ? indexFields(cat).find((x) => x.def.id === fieldId) : indexField(cat));
    if (!f) throw invalid('identifier.category', `"${q.identifier.category}${fieldId ? `.${fieldId}` : ''}" is not a declared identifier field`);
    add(f.field, f.kind, q.identifier.value, 'identifier.value');
  }
  if (terms.length === 0) throw invalid('query', 'give an email, a phone number or an identifier');
  // A read outside any write transaction: each term is one statement (the blind index joined to
  // the subject and its relationships); the audit entry is group-committed with other reads'.
  let found: Map<string, SubjectSummary> | undefined;
  for (const t of terms) {
    const rows = await searchByDigest(ctx.database.db, t.field, t.digest);
    const matches = new Map<string, SubjectSummary>();
    for (const r of rows) {
      let m = matches.get(r.id);
      if (!m) matches.set(r.id, (m = { id: r.id, restricted: r.restricted === 1, createdAt: r.created_at, relationships: [] }));
      if (r.relationship !== null && !m.relationships.includes(r.relationship)) m.relationships.push(r.relationship);
    }
    found = found === undefined ? matches : new Map([...found].filter(([id]) => matches.has(id)));
  }
  const summaries = [...(found ?? new Map<string, SubjectSummary>()).values()];
  await auditReads(ctx, actor, [{ action: 'subject.search', ...(purpose ? { purpose } : {}), details: { by: terms.map((t) => t.field), matches: summaries.length } }]);
  return summaries;
}

async function summarise(db: Kysely<Tables>, ids: string[]): Promise<SubjectSummary[]> {
  if (ids.length === 0) return [];
  const subjects = await db.selectFrom('subjects').select(['id', 'restricted', 'created_at']).where('id', 'in', ids).where('erased_at', 'is', null).execute();
  const rels = await db.selectFrom('subject_relationships').select(['subject_id', 'relationship']).where('subject_id', 'in', ids).execute();
  return subjects.map((s) => ({
    id: s.id,
    restricted: s.restricted === 1,
    createdAt: s.created_at,
    relationships: [...new Set(rels.filter((r) => r.subject_id === s.id).map((r) => r.relationship))],
  }));
}

/** Lists subjects (ids and relationships, no decrypted data), newest first, by cursor. */
export async function listSubjects(
  ctx: AppContext,
  actor: Actor,
  opts: { relationship?: string; after?: string; limit: number },
): Promise<{ subjects: SubjectSummary[]; next: string | null }> {
  authorise(actor, 'subjects:read');
  if (opts.relationship && !policyIndex(ctx.policy).relationships.has(opts.relationship)) {
    throw invalid('relationship', `"${opts.relationship}" is not a relationship in the declaration`);
  }
  const result = await readTx(ctx, async (trx) => {
    let q = trx.selectFrom('subjects').select('subjects.id').where('subjects.erased_at', 'is', null).orderBy('subjects.id').limit(opts.limit + 1);
    if (opts.after) q = q.where('subjects.id', '>', opts.after);
    if (opts.relationship) {
      const rel = opts.relationship;
      q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'subjects.id').where('sr.relationship', '=', rel)));
    }
    const rows = await q.execute();
    const page = rows.slice(0, opts.limit).map((r) => r.id);
    const summaries = await summarise(trx, page);
    summaries.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { subjects: summaries, next: rows.length > opts.limit ? page[page.length - 1]! : null };
  });
  await auditReads(ctx, actor, [{ action: 'subject.list', details: { relationship: opts.relationship ?? null, count: result.subjects.length } }]);
  return result;
}

// ——— changing ———

export async function addRecords(ctx: AppContext, actor: Actor, subjectId: string, inputs: RecordInput[]): Promise<RecordView[]> {
  authorise(actor, 'subjects:write');
  if (inputs.length === 0) throw invalid('records', 'give at least one record');
  if (inputs.length > LIMITS.recordsPerSubjectCall) throw invalid('records', `at most ${LIMITS.recordsPerSubjectCall} records at a time`);
  const now = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    const rels = (await trx.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', subjectId).execute()).map((r) => r.relationship);
    const prepared = inputs.map((r, i) => prepareRecord(ctx.policy, r, rels, now, `records[${i}]`));
    return addRecordsIn(trx, ctx, actor, subjectId, prepared);
  });
}

/**
 * Adds checked records to a person inside a caller's write transaction: permission, erasure,
 * restriction and category visibility are checked before anything is written.
 */
export async function addRecordsIn(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  subjectId: string,
  prepared: PreparedRecord[],
  auditExtra: Record<string, unknown> = {},
): Promise<RecordView[]> {
  authorise(actor, 'subjects:write');
  const now = ctx.clock.now().toISOString();
  const row = await subjectRow(trx, subjectId);
  if (row.erased_at) throw new StewardError('CONFLICT', `subject ${subjectId} has been erased`);
  assertNotRestricted(row, undefined);
  for (const r of prepared) assertCanSee(ctx, actor, r.category.id);
  const dek = await loadSubjectKey(ctx, trx, subjectId);
  if (!dek) throw new StewardError('CONFLICT', `subject ${subjectId} has no key`);
  const out: RecordView[] = [];
  const digests: string[] = [];
  for (const r of prepared) {
    const sealed = sealRecord(ctx, dek, subjectId, r, actor, now);
    await trx.insertInto('records').values(sealed.row).execute();
    if (sealed.indexes.length) await trx.insertInto('blind_indexes').values(sealed.indexes).execute();
    digests.push(ciphertextDigest(sealed.row.ciphertext));
    out.push(decryptRecord(dek, sealed.row, ctx.policy));
  }
  await trx.updateTable('subjects').set({ updated_at: now }).where('id', '=', subjectId).execute();
  await appendAudit(
    trx,
    ctx,
    actor,
    prepared.map((r, i) => ({ action: 'record.create', subjectId, recordId: r.id, details: { category: r.category.id, kind: r.kind, purposes: r.purposes.map((p) => p.purpose), digest: digests[i], ...auditExtra } })),
  );
  return out;
}

async function recordRow(db: Kysely<Tables>, id: string): Promise<Tables['records']> {
  const row = await db.selectFrom('records').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('record', id);
  return row;
}

/** Reading and writing alike: nobody writes into a category they may not read back. */
function assertCanSee(ctx: AppContext, actor: Actor, category: string): void {
  const cat = policyIndex(ctx.policy).categories.get(category);
  const ok = cat ? canSeeCategory(actor, cat) : actor.role === 'dpo' || actor.role === 'owner';
  if (!ok) throw new StewardError('FORBIDDEN', `records of the category "${category}" are restricted to ${cat?.restricted_to_roles?.join(', ') ?? 'the privacy officer'}`);
}

export async function getRecord(ctx: AppContext, actor: Actor, id: string, purpose?: string): Promise<RecordView> {
  authorise(actor, 'subjects:read');
  const { view, row } = await readTx(ctx, async (trx) => {
    const row = await recordRow(trx, id);
    assertNotRestricted(await subjectRow(trx, row.subject_id), purpose);
    assertCanSee(ctx, actor, row.category);
    const dek = await loadSubjectKey(ctx, trx, row.subject_id);
    if (!dek) throw new StewardError('CONFLICT', `record ${id} can no longer be read: its subject's key was destroyed`);
    return { view: decryptRecord(dek, row, ctx.policy), row };
  });
  await auditReads(ctx, actor, [{ action: 'record.read', subjectId: row.subject_id, recordId: id, ...(purpose ? { purpose } : {}), details: { category: row.category } }]);
  return view;
}

export interface RecordChange {
  /** Field values to set, by field id; an empty string or null removes the field. Others are left as they are. */
  fields?: Record<string, string | null>;
  /** The primary field's new value. */
  value?: string;
  text?: string;
  purposes?: string[];
}

/** Rectification: the audit entry holds digests of the old and new ciphertext, never values. */
export async function updateRecord(ctx: AppContext, actor: Actor, id: string, change: RecordChange, purpose?: string): Promise<RecordView> {
  authorise(actor, 'subjects:write');
  return writeTx(ctx, (trx) => updateRecordIn(trx, ctx, actor, id, change, purpose));
}

/**
 * updateRecord inside a caller's write transaction (rights requests, imports): the permission is
 * checked first, then the record's visibility and restriction, before anything is written.
 * Returns the record as changed, with the digests for the caller's own records.
 */
export async function updateRecordIn(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  id: string,
  change: RecordChange,
  purpose?: string,
  auditExtra: Record<string, unknown> = {},
): Promise<RecordView & { before: string; after: string; changed: boolean }> {
  authorise(actor, 'subjects:write');
  const now = ctx.clock.now().toISOString();
  const row = await recordRow(trx, id);
  const subject = await subjectRow(trx, row.subject_id);
  assertNotRestricted(subject, purpose);
  assertCanSee(ctx, actor, row.category);
  const dek = await loadSubjectKey(ctx, trx, row.subject_id);
  if (!dek) throw new StewardError('CONFLICT', `record ${id} can no longer be changed: its subject's key was destroyed`);
  const current = decryptRecord(dek, row, ctx.policy);
  const rels = (await trx.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', row.subject_id).execute()).map((r) => r.relationship);
  if (current.kind === 'file') throw invalid('record', 'a file cannot be edited; add a new one and delete the old');
  let fields: Record<string, string> | undefined;
  if (current.kind === 'value') {
    fields = Object.fromEntries((current.fields ?? []).map((f) => [f.id, f.value]));
    const cat = policyIndex(ctx.policy).categories.get(row.category);
    if (change.value !== undefined) fields[cat ? primaryField(cat).id : SINGLE_FIELD] = change.value;
    for (const [k, v] of Object.entries(change.fields ?? {})) {
      if (v === null || v.trim() === '') delete fields[k];
      else fields[k] = v;
    }
  }
  const prepared = prepareRecord(
    ctx.policy,
    {
      category: row.category,
      kind: current.kind,
      ...(current.kind === 'value' ? { fields: fields! } : { text: change.text ?? current.text, channel: current.channel }),
      purposes: change.purposes ?? current.purposes.map((p) => p.purpose),
      source: row.source,
      collectedAt: row.collected_at,
    },
    rels,
    now,
    'change',
  );
  const unchanged = prepared.plaintext.equals(Buffer.from(JSON.stringify(current.kind === 'value' ? { f: Object.fromEntries((current.fields ?? []).map((f) => [f.id, f.value])) } : { t: current.text, c: current.channel ?? null })))
    && JSON.stringify(prepared.purposes) === row.purposes;
  if (unchanged) {
    const d = ciphertextDigest(row.ciphertext);
    return { ...current, before: d, after: d, changed: false };
  }
  const ciphertext = encrypt(dek, prepared.plaintext, recordAad(id, row.subject_id, row.category));
  await trx.updateTable('records').set({ ciphertext, purposes: JSON.stringify(prepared.purposes), size: prepared.size, updated_at: now }).where('id', '=', id).execute();
  await trx.deleteFrom('blind_indexes').where('record_id', '=', id).execute();
  const indexes = indexRows(ctx, id, row.subject_id, prepared.identifiers);
  if (indexes.length) await trx.insertInto('blind_indexes').values(indexes).execute();
  await trx.updateTable('subjects').set({ updated_at: now }).where('id', '=', row.subject_id).execute();
  const before = ciphertextDigest(row.ciphertext);
  const after = ciphertextDigest(ciphertext);
  const changedFields = current.kind === 'value' ? [...new Set([...Object.keys(fields!), ...(current.fields ?? []).map((f) => f.id)])].filter((k) => fields![k] !== current.fields?.find((f) => f.id === k)?.value) : undefined;
  await appendAudit(trx, ctx, actor, [
    {
      action: 'record.update',
      subjectId: row.subject_id,
      recordId: id,
      ...(purpose ? { purpose } : {}),
      details: { category: row.category, ...(changedFields ? { fields: changedFields } : {}), before, after, purposes: prepared.purposes.map((p) => p.purpose), ...auditExtra },
    },
  ]);
  const view = decryptRecord(dek, { ...row, ciphertext, purposes: JSON.stringify(prepared.purposes), size: prepared.size, updated_at: now }, ctx.policy);
  return { ...view, before, after, changed: true };
}

export async function deleteRecord(ctx: AppContext, actor: Actor, id: string, reason?: string): Promise<void> {
  authorise(actor, 'subjects:delete');
  await writeTx(ctx, async (trx) => {
    const row = await recordRow(trx, id);
    await trx.deleteFrom('records').where('id', '=', id).execute();
    await recordErasures(trx, 'record', [id], 'record-delete', ctx.clock.now().toISOString());
    await appendAudit(trx, ctx, actor, [
      { action: 'record.delete', subjectId: row.subject_id, recordId: id, details: { category: row.category, digest: ciphertextDigest(row.ciphertext), ...(reason ? { reason } : {}) } },
    ]);
  });
  await afterErasure(ctx);
}

/**
 * Erases a subject: deletes every record and blind index and destroys the subject's data key, so
 * any copy of the ciphertext (in a backup) is unreadable. The subject row stays as a tombstone
 * with no personal data, so audit entries still name a known id.
 */
export async function eraseSubject(ctx: AppContext, actor: Actor, id: string, reason?: string, opts: { ledgerReason?: ErasureReason } = {}): Promise<{ records: number }> {
  authorise(actor, 'subjects:delete');
  const result = await writeTx(ctx, (trx) => eraseSubjectIn(trx, ctx, actor, id, reason, opts));
  await afterErasure(ctx);
  return result;
}

/**
 * eraseSubject inside a caller's write transaction: the permission is checked first. The records
 * go the one erasure way retention and rights requests use too (retention.actions: deleted with
 * their erasure-ledger entries, then the key destroyed and the subject marked erased); the
 * person's email addresses and phone numbers go on the suppression list first. The caller runs
 * afterErasure once its transaction has committed.
 */
export async function eraseSubjectIn(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  id: string,
  reason?: string,
  opts: { ledgerReason?: ErasureReason } = {},
): Promise<{ records: number }> {
  authorise(actor, 'subjects:delete');
  const now = ctx.clock.now().toISOString();
  const row = await subjectRow(trx, id);
  if (row.erased_at) throw new StewardError('CONFLICT', `subject ${id} was already erased`);
  const records = await trx.selectFrom('records').select(['id', 'category']).where('subject_id', '=', id).execute();
  // Keyed hashes of the person's email and phone go on the suppression list, which outlives this.
  await suppressSubject(trx, ctx, actor, id, 'erasure');
  const ledger = opts.ledgerReason ?? 'register-delete';
  await trx.deleteFrom('blind_indexes').where('subject_id', '=', id).execute();
  await deleteRecordRows(trx, records.map((r) => r.id), { now, reason: ledger });
  await eraseSubjects(trx, [id], now, ledger);
  const categories: Record<string, number> = {};
  for (const c of records) categories[c.category] = (categories[c.category] ?? 0) + 1;
  await appendAudit(trx, ctx, actor, [{ action: 'subject.erase', subjectId: id, details: { records: records.length, categories, keyDestroyed: true, ...(reason ? { reason } : {}) } }]);
  return { records: records.length };
}

/** Art 18 restriction, set and lifted by the privacy roles (the rights-request workflow uses it). */
export async function setRestriction(ctx: AppContext, actor: Actor, id: string, restricted: boolean, reason: string): Promise<void> {
  authorise(actor, 'subjects:delete');
  await writeTx(ctx, (trx) => setRestrictionIn(trx, ctx, actor, id, restricted, reason));
}

/** setRestriction inside a caller's write transaction; the permission is checked first. */
export async function setRestrictionIn(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, id: string, restricted: boolean, reason: string): Promise<void> {
  authorise(actor, 'subjects:delete');
  const now = ctx.clock.now().toISOString();
  await subjectRow(trx, id);
  await trx.updateTable('subjects').set({ restricted: restricted ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
  await appendAudit(trx, ctx, actor, [{ action: restricted ? 'subject.restrict' : 'subject.unrestrict', subjectId: id, details: { reason } }]);
}

/** Streams every subject the actor may see, decrypted, for an export; one audit entry for it all. */
export async function* exportSubjects(ctx: AppContext, actor: Actor, opts: { relationship?: string; purpose?: string } = {}): AsyncGenerator<SubjectView> {
  authorise(actor, 'subjects:export');
  let after = '';
  let count = 0;
  for (;;) {
    let q = ctx.database.db.selectFrom('subjects').selectAll().where('erased_at', 'is', null).where('id', '>', after).orderBy('id').limit(500);
    if (opts.relationship) {
      const rel = opts.relationship;
      q = q.where((eb) => eb.exists(eb.selectFrom('subject_relationships as sr').select('sr.id').whereRef('sr.subject_id', '=', 'subjects.id').where('sr.relationship', '=', rel)));
    }
    const rows = await q.execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      // Restricted subjects are stored, not processed: they stay out of bulk exports.
      if (row.restricted) continue;
      count++;
      yield await assembleSubject(ctx, ctx.database.db, actor, row);
    }
    after = rows[rows.length - 1]!.id;
  }
  await auditReads(ctx, actor, [{ action: 'subjects.export', ...(opts.purpose ? { purpose: opts.purpose } : {}), details: { relationship: opts.relationship ?? null, subjects: count } }]);
}

/** The most records of each category any one person holds (for the export's columns). */
export async function recordRepeats(ctx: AppContext): Promise<Map<string, number>> {
  const rows = await ctx.database.db
    .selectFrom((eb) =>
      eb.selectFrom('records').select(['category', (e) => e.fn.countAll<number>().as('n')]).where('kind', '=', 'value').groupBy(['subject_id', 'category']).as('per'),
    )
    .select(['per.category', (e) => e.fn.max('per.n').as('most')])
    .groupBy('per.category')
    .execute();
  return new Map(rows.map((r) => [r.category, Number(r.most)]));
}

/**
 * The names of people found by a search, from their fields typed "name" (joined in declared
 * order: first name, surname), decrypted and audited like any read. Restricted people and
 * categories the actor may not see give no name.
 */
export async function subjectNames(ctx: AppContext, actor: Actor, people: ReadonlyArray<{ id: string; restricted: boolean }>, purpose?: string): Promise<Map<string, string>> {
  authorise(actor, 'subjects:read');
  const idx = policyIndex(ctx.policy);
  const nameCats = [...idx.categories.values()].filter((c) => canSeeCategory(actor, c) && categoryFields(c).some((f) => f.type === 'name'));
  const out = new Map<string, string>();
  const ids = people.filter((p) => !p.restricted || purpose === RIGHTS_REQUEST_PURPOSE).map((p) => p.id);
  if (nameCats.length === 0 || ids.length === 0) return out;
  const read: AuditEvent[] = [];
  await readTx(ctx, async (trx) => {
    for (const id of ids) {
      const rows = await trx.selectFrom('records').selectAll().where('subject_id', '=', id).where('kind', '=', 'value').where('category', 'in', nameCats.map((c) => c.id)).orderBy('created_at').execute();
      if (rows.length === 0) continue;
      const dek = await loadSubjectKey(ctx, trx, id);
      if (!dek) continue;
      const parts: string[] = [];
      for (const r of rows) for (const f of decryptRecord(dek, r, ctx.policy).fields ?? []) if (f.type === 'name') parts.push(f.value);
      if (parts.length === 0) continue;
      out.set(id, parts.join(' '));
      read.push({ action: 'subject.read', subjectId: id, ...(purpose ? { purpose } : {}), details: { fields: 'name', records: rows.length } });
    }
  });
  if (read.length) await auditReads(ctx, actor, read);
  return out;
}
