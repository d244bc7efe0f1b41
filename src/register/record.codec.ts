/**
 * The record format: what a record's ciphertext holds and how it is sealed and opened. The only
 * code that knows it (the register's repository stores the bytes, nobody else reads them).
 *
 * - kind "value": `{"f": {fieldId: value}}`, the labelled field values of one category (an old
 *   one-value record, `{"v": value}`, reads as its category's primary field: fields.ts);
 * - kind "communication": `{"t": text, "c": channel | null}`;
 * - kind "file": a 2-byte name length, the name (personal data: "jane-smith-cv.pdf"), the content.
 *
 * Each ciphertext is bound to its row by the AAD (record id, subject id, category), so it cannot be
 * moved to another record or person unnoticed, and is encrypted under the subject's own key.
 */
import { createHash } from 'node:crypto';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { policyIndex } from '../policy/policy.index.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { categoryFields, primaryField, SINGLE_FIELD } from './fields.js';

export type RecordKind = 'value' | 'communication' | 'file';

/** A purpose a record is held for, with the lawful basis it had when recorded. */
export interface HeldPurpose {
  purpose: string;
  basis: string | null;
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
  purposes: HeldPurpose[];
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

/** What the codec needs of a stored record to open it: its identity (the AAD) and its bytes. */
export interface SealedRecord {
  id: string;
  subject_id: string;
  category: string;
  kind: string;
  ciphertext: Buffer;
}

const recordAad = (recordId: string, subjectId: string, category: string): string => aad('record', recordId, subjectId, category);

/**
 * The purposes column: the record's purposes with their bases, as JSON (the record_purposes rows
 * index the same purposes for queries; the repository writes both).
 */
export const encodePurposes = (purposes: readonly HeldPurpose[]): string => JSON.stringify(purposes.map((p) => ({ purpose: p.purpose, basis: p.basis })));
export const parsePurposes = (json: string): HeldPurpose[] => JSON.parse(json) as HeldPurpose[];

/** The purposes column read leniently: an early register stored bare purpose ids, read with no basis. */
export function heldPurposes(json: string): HeldPurpose[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v)) return [];
  return v
    .map((x): HeldPurpose => (typeof x === 'string' ? { purpose: x, basis: null } : { purpose: String((x as { purpose?: unknown })?.purpose ?? ''), basis: ((x as { basis?: unknown })?.basis as string | null | undefined) ?? null }))
    .filter((p) => p.purpose !== '');
}

/** Encrypts a record's plaintext under its subject's key, bound to its row. */
export const sealRecord = (dek: Buffer, recordId: string, subjectId: string, category: string, plaintext: Buffer): Buffer => encrypt(dek, plaintext, recordAad(recordId, subjectId, category));

/** A digest of a ciphertext, for the audit trail: reveals nothing about the plaintext. */
export const ciphertextDigest = (c: Buffer): string => createHash('sha256').update(c).digest('hex').slice(0, 32);

/** The plaintext of a "value" record. */
export const encodeValues = (values: Record<string, string>): Buffer => Buffer.from(JSON.stringify({ f: values }));

/** The plaintext of a "communication" record. */
export const encodeCommunication = (text: string, channel: string | null | undefined): Buffer => Buffer.from(JSON.stringify({ t: text, c: channel ?? null }));

/** The plaintext of a "file" record. */
export function encodeFile(name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(nameBytes.length);
  return Buffer.concat([header, nameBytes, data]);
}

/** The plaintext a decrypted value or communication record was encoded from (to tell whether a change changes it). */
export const plaintextOf = (view: RecordView): Buffer =>
  view.kind === 'value' ? encodeValues(Object.fromEntries((view.fields ?? []).map((f) => [f.id, f.value]))) : encodeCommunication(view.text ?? '', view.channel);

interface OpenedContent {
  fields?: FieldValue[];
  value?: string;
  text?: string;
  channel?: string;
  file?: { name: string; data: Buffer };
}

/** Decrypts a record's content: labelled fields, text or file (no metadata). */
export function openContent(dek: Buffer, row: SealedRecord, loaded?: LoadedPolicy): OpenedContent {
  const plain = decrypt(dek, row.ciphertext, recordAad(row.id, row.subject_id, row.category));
  if (row.kind === 'file') {
    const n = plain.readUInt16BE(0);
    return { file: { name: plain.subarray(2, 2 + n).toString('utf8'), data: plain.subarray(2 + n) } };
  }
  const json = JSON.parse(plain.toString('utf8')) as { f?: Record<string, string>; v?: string; t?: string; c?: string | null };
  if (row.kind === 'communication') return json.c ? { text: json.t ?? '', channel: json.c } : { text: json.t ?? '' };
  const cat = loaded ? policyIndex(loaded).categories.get(row.category) : undefined;
  const primary = cat ? primaryField(cat).id : SINGLE_FIELD;
  const fields = labelValues(cat, json.f ?? (json.v !== undefined ? { [primary]: json.v } : {}));
  const value = fields.find((f) => f.id === primary)?.value ?? (fields.length === 1 ? fields[0]!.value : (json.v ?? fields[0]?.value ?? ''));
  return { fields, value };
}

/**
 * Decrypts a record. A "value" record's fields are labelled from the declaration; an old
 * one-value record (`{v}`) reads as its category's primary field (fields.ts).
 */
export function decryptRecord(dek: Buffer, row: Tables['records'], loaded?: LoadedPolicy): RecordView {
  return {
    id: row.id,
    category: row.category,
    kind: row.kind as RecordKind,
    purposes: parsePurposes(row.purposes),
    source: row.source,
    collectedAt: row.collected_at,
    recordedBy: row.recorded_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    contentType: row.content_type,
    size: row.size,
    ...openContent(dek, row, loaded),
  };
}

/** Field values in the declared order with their labels; fields no longer declared follow, labelled by id. */
export function labelValues(cat: DataCategory | undefined, values: Record<string, string>): FieldValue[] {
  const out: FieldValue[] = [];
  const defs = cat ? categoryFields(cat) : [];
  for (const d of defs) if (values[d.id] !== undefined) out.push({ id: d.id, label: d.label, type: d.type, value: values[d.id]! });
  for (const [id, value] of Object.entries(values)) if (!defs.some((d) => d.id === id)) out.push({ id, label: id, type: 'text', value });
  return out;
}
