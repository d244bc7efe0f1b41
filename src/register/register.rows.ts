/**
 * The rows a checked record or a new person becomes: the record sealed under the subject's key,
 * its blind indexes (one per identifier field and distinct digest), and for a new person the
 * subject, its wrapped data key and its relationships. Built here, inserted by the repository.
 */
import type { AuditEvent } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { newId } from '../shared/ids.js';
import { encodePurposes, sealRecord } from './record.codec.js';
import type { PreparedRecord, RelationshipInput } from './record.prepare.js';
import type { NewSubjectRows } from './register.repository.js';

export interface SubjectRows extends NewSubjectRows {
  audit: AuditEvent;
}

/** Encrypts a checked record under its subject's key, bound to its row, with its blind indexes. */
export function recordRows(ctx: Pick<AppContext, 'keyring'>, dek: Buffer, subjectId: string, r: PreparedRecord, actor: Actor, now: string): { row: Tables['records']; indexes: Tables['blind_indexes'][] } {
  const row: Tables['records'] = {
    id: r.id,
    subject_id: subjectId,
    category: r.category.id,
    kind: r.kind,
    purposes: encodePurposes(r.purposes),
    source: r.source,
    content_type: r.contentType,
    size: r.size,
    ciphertext: sealRecord(dek, r.id, subjectId, r.category.id, r.plaintext),
    collected_at: r.collectedAt,
    recorded_by: actor.id,
    created_at: now,
    updated_at: now,
  };
  return { row, indexes: indexRows(ctx, r.id, subjectId, r.identifiers) };
}

/** The blind-index rows of a record's identifier values (one per field and distinct digest). */
export function indexRows(ctx: Pick<AppContext, 'keyring'>, recordId: string, subjectId: string, identifiers: PreparedRecord['identifiers']): Tables['blind_indexes'][] {
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

/** A new person's rows (create and import), with the audit entry that records their creation. */
export function buildSubjectRows(ctx: Pick<AppContext, 'keyring'>, actor: Actor, rels: RelationshipInput[], records: PreparedRecord[], now: string, action = 'subject.create'): SubjectRows {
  const id = newId();
  const { dek, wrapped, kekVersion } = ctx.keyring.newSubjectKey(id);
  const rows: Tables['records'][] = [];
  const indexes: Tables['blind_indexes'][] = [];
  for (const r of records) {
    const sealed = recordRows(ctx, dek, id, r, actor, now);
    rows.push(sealed.row);
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
    records: rows,
    indexes,
    audit: { action, subjectId: id, details: { relationships: rels.map((r) => r.relationship), categories } },
  };
}
