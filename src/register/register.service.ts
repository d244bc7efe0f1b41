/**
 * The register: data subjects and their records, each tied to the declaration, encrypted under
 * the subject's own key, searchable by blind index, readable only as roles allow, and audited in
 * the same transaction as the change. This file changes it: people created, records added,
 * rectified and deleted, restriction set and lifted, people erased. Reading is register.read.ts.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { afterErasure, type ErasureReason } from '../backup/erasure-ledger.js';
import type { Tables } from '../db/tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { StewardError } from '../shared/errors.js';
import { primaryField, SINGLE_FIELD } from './fields.js';
import { ciphertextDigest, decryptRecord, encodePurposes, plaintextOf, sealRecord, type RecordView } from './record.codec.js';
import { invalid, LIMITS, prepareRecord, validateRelationships, type NewSubject, type PreparedRecord, type RecordInput } from './record.prepare.js';
import { assertCanSee, assertNotRestricted } from './register.access.js';
import { suppressSubject } from './register.identifiers.js';
import { getSubjectUnaudited, type SubjectView } from './register.read.js';
import { deleteRecordRows, eraseSubjects, insertRecords, insertSubjectRows, loadSubjectKey, recordRow, recordsOfSubject, relationshipsOf, rewriteRecord, setSubjectRestricted, subjectRow, touchSubject } from './register.repository.js';
import { buildSubjectRows, indexRows, recordRows } from './register.rows.js';

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

export async function addRecords(ctx: AppContext, actor: Actor, subjectId: string, inputs: RecordInput[]): Promise<RecordView[]> {
  authorise(actor, 'subjects:write');
  if (inputs.length === 0) throw invalid('records', 'give at least one record');
  if (inputs.length > LIMITS.recordsPerSubjectCall) throw invalid('records', `at most ${LIMITS.recordsPerSubjectCall} records at a time`);
  const now = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    const rels = await relationshipsOf(trx, subjectId);
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
  const sealed = prepared.map((r) => recordRows(ctx, dek, subjectId, r, actor, now));
  await insertRecords(trx, ctx.database.adapter.maxParameters, sealed.map((s) => s.row), sealed.flatMap((s) => s.indexes));
  await touchSubject(trx, subjectId, now);
  await appendAudit(
    trx,
    ctx,
    actor,
    prepared.map((r, i) => ({
      action: 'record.create',
      subjectId,
      recordId: r.id,
      details: { category: r.category.id, kind: r.kind, purposes: r.purposes.map((p) => p.purpose), digest: ciphertextDigest(sealed[i]!.row.ciphertext), ...auditExtra },
    })),
  );
  return sealed.map((s) => decryptRecord(dek, s.row, ctx.policy));
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
  const rels = await relationshipsOf(trx, row.subject_id);
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
  const purposes = encodePurposes(prepared.purposes);
  if (prepared.plaintext.equals(plaintextOf(current)) && purposes === row.purposes) {
    const d = ciphertextDigest(row.ciphertext);
    return { ...current, before: d, after: d, changed: false };
  }
  const ciphertext = sealRecord(dek, id, row.subject_id, row.category, prepared.plaintext);
  await rewriteRecord(trx, id, { ciphertext, purposes, size: prepared.size, now }, indexRows(ctx, id, row.subject_id, prepared.identifiers));
  await touchSubject(trx, row.subject_id, now);
  const before = ciphertextDigest(row.ciphertext);
  const after = ciphertextDigest(ciphertext);
  const changedFields = current.kind === 'value' ? [...new Set([...Object.keys(fields!), ...(current.fields ?? []).map((f) => f.id)])].filter((k) => fields![k] !== current.fields?.find((f) => f.id === k)?.value) : undefined;
  await appendAudit(trx, ctx, actor, [
    {
      action: 'record.update',
      subjectId: row.subject_id,
      recordId: id,
      purpose,
      details: { category: row.category, ...(changedFields ? { fields: changedFields } : {}), before, after, purposes: prepared.purposes.map((p) => p.purpose), ...auditExtra },
    },
  ]);
  const view = decryptRecord(dek, { ...row, ciphertext, purposes, size: prepared.size, updated_at: now }, ctx.policy);
  return { ...view, before, after, changed: true };
}

export async function deleteRecord(ctx: AppContext, actor: Actor, id: string, reason?: string): Promise<void> {
  authorise(actor, 'subjects:delete');
  await writeTx(ctx, async (trx) => {
    const row = await recordRow(trx, id);
    await deleteRecordRows(trx, [id], { now: ctx.clock.now().toISOString(), reason: 'record-delete' });
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
 * go the one erasure way retention and rights requests use too (the repository: deleted with
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
  const records = await recordsOfSubject(trx, id);
  // Keyed hashes of the person's email and phone go on the suppression list, which outlives this.
  await suppressSubject(trx, ctx, actor, id, 'erasure');
  const ledger = opts.ledgerReason ?? 'register-delete';
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
  await setSubjectRestricted(trx, id, restricted, now);
  await appendAudit(trx, ctx, actor, [{ action: restricted ? 'subject.restrict' : 'subject.unrestrict', subjectId: id, details: { reason } }]);
}
