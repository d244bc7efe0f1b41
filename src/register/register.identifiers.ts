/**
 * A person's data decrypted for another feature's own work, not shown to anyone (so not audited
 * as a read): their email addresses and phone numbers, read before an erasure deletes them (so
 * they go on the suppression list, which outlives the person) and to turn an opt-out into
 * suppression-list entries; the values of some categories (a breach notice's greeting, a date of
 * birth). The register reads them; the suppression list (consent/suppression.service.ts) only
 * stores the keyed hashes it is given.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../auth/roles.js';
import { suppressIdentifiers, type Identifier, type SuppressionReason } from '../consent/suppression.service.js';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { categoryFields } from './fields.js';
import { decryptRecord, type RecordView } from './record.codec.js';
import { loadSubjectKey, recordsOfSubject } from './register.repository.js';

/**
 * A subject's records of some categories and one kind, decrypted, in the order asked for; none if
 * the subject was erased (their key is destroyed).
 */
export async function openRecordsOfSubject(
  db: Kysely<Tables>,
  ctx: Pick<AppContext, 'policy' | 'keyring'>,
  subjectId: string,
  opts: Parameters<typeof recordsOfSubject>[2] = {},
): Promise<RecordView[]> {
  const rows = await recordsOfSubject(db, subjectId, opts);
  if (rows.length === 0) return [];
  const dek = await loadSubjectKey(ctx, db, subjectId);
  return dek ? rows.map((r) => decryptRecord(dek, r, ctx.policy)) : [];
}

/** The subject's email addresses and phone numbers, decrypted (none once their key is destroyed). */
export async function subjectIdentifiers(db: Kysely<Tables>, ctx: Pick<AppContext, 'policy' | 'keyring'>, subjectId: string): Promise<Identifier[]> {
  const idx = policyIndex(ctx.policy);
  // Every email and phone field, identifier or not: an erased person's addresses all go on the list.
  const cats = [...idx.categories.values()].filter((c) => categoryFields(c).some((f) => f.type === 'email' || f.type === 'phone')).map((c) => c.id);
  if (cats.length === 0) return [];
  const out: Identifier[] = [];
  for (const r of await openRecordsOfSubject(db, ctx, subjectId, { categories: cats, kind: 'value' })) {
    for (const f of r.fields ?? []) {
      if (f.type === 'email' || f.type === 'phone') out.push({ kind: f.type, value: f.value });
    }
  }
  return out;
}

/**
 * Puts every identifier of a subject on the suppression list for every channel and purpose.
 * Call inside the transaction that erases the subject, before the records are deleted:
 *   await suppressSubject(trx, ctx, actor, id, 'erasure');
 * Audited in the same transaction (counts only).
 */
export async function suppressSubject(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, subjectId: string, reason: SuppressionReason): Promise<{ added: number; identifiers: number }> {
  return suppressIdentifiers(trx, ctx, actor, subjectId, await subjectIdentifiers(trx, ctx, subjectId), reason);
}
