/**
 * Erasure (Art 17): every record not covered by an exception goes, the identifiers go on the
 * suppression list first (it outlives erasure), and when nothing is left the person's key is
 * destroyed (crypto-shredding), all in one transaction.
 */
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { holdActive, holdsCovering, unreleasedHolds } from '../retention/holds.service.js';
import { deleteRecordRows, eraseEmptySubjects } from '../register/register.repository.js';
import { retentionModel } from '../retention/retention.engine.js';
import { explainSubject } from '../retention/retention.explain.js';
import { consentConditions } from '../consent/consent.conditions.js';
import { StewardError } from '../shared/errors.js';
import { heldRecords, relationshipsOf, subjectErasedAt, type HeldRecord } from '../register/subject-lookups.js';
import { createTasks, fulfilChange, loadOpen, needSubject, type FulfilOptions, type LegalClaim } from './requests.answering.js';
import type { ChangeResult } from './requests.change.js';
import { invalid } from './requests.checks.js';
import { ukToday } from './requests.clock.js';
import { emptyPacksOfSubjects } from './requests.store.js';
import { suppressSubject } from '../register/register.identifiers.js';

export interface ErasureLine {
  category: string;
  name: string;
  erased: number;
  kept: number;
  why?: string;
  until?: string | null;
}

/**
 * Erases every record not covered by an exception: an active legal hold (retention), a purpose on
 * the legal-obligation basis (Art 17(3)(b)), or legal claims recorded by staff (Art 17(3)(e)).
 */
export async function fulfilErasure(ctx: AppContext, actor: Actor, idOrRef: string, input: { legalClaims?: LegalClaim[] }, opts: FulfilOptions): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'erasure');
  const subjectId = needSubject(row);
  const idx = policyIndex(ctx.policy);
  const claims = new Map<string, LegalClaim>();
  for (const [i, c] of (input.legalClaims ?? []).entries()) {
    if (!idx.categories.has(c.category)) throw invalid(`legalClaims[${i}].category`, 'is not a data category in the declaration');
    if (!c.reason?.trim() || c.reason.length > 500) throw invalid(`legalClaims[${i}].reason`, 'give a case reference (at most 500 characters)');
    if (c.until !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(c.until)) throw invalid(`legalClaims[${i}].until`, 'is not a date YYYY-MM-DD');
    claims.set(c.category, c);
  }
  // When legally required records end, from the retention engine (best effort: a policy without rules has none).
  const ends = new Map<string, string | null>();
  try {
    for (const r of (await explainSubject(ctx, actor, subjectId, { conditions: consentConditions })).records) ends.set(r.recordId, r.end);
  } catch (e) {
    if (!(e instanceof StewardError) || e.code !== 'FORBIDDEN') throw e;
  }
  const today = ukToday(ctx.clock.now());
  return fulfilChange(
    ctx,
    actor,
    row,
    async (_r, doc, trx) => {
      if (await subjectErasedAt(trx, subjectId) !== null) throw new StewardError('CONFLICT', `subject ${subjectId} has already been erased`);
      const records = await heldRecords(trx, subjectId);
      const rels = await relationshipsOf(trx, subjectId);
      const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, today));
      const holdById = new Map(holds.map((h) => [h.id, h]));
      const model = retentionModel(ctx.policy);
      const lines = new Map<string, ErasureLine>();
      const toDelete: HeldRecord[] = [];
      for (const rec of records) {
        const line = lines.get(rec.category) ?? { category: rec.category, name: idx.categories.get(rec.category)?.name ?? rec.category, erased: 0, kept: 0 };
        lines.set(rec.category, line);
        const held = holdsCovering(holds, model, { subjectId, category: rec.category, purposes: rec.storedPurposes }, rels);
        const bases = rec.purposes.map((p) => p.basis);
        const claim = claims.get(rec.category);
        if (held.length > 0) {
          line.kept++;
          line.why = 'a legal hold requires us to keep it';
          const h = held.map((id) => holdById.get(id)!).find((h) => h.expires_on);
          line.until = h?.expires_on ?? null;
        } else if (bases.includes('legal-obligation')) {
          line.kept++;
          line.why = 'the law requires us to keep it (Article 17(3)(b) UK GDPR)';
          const end = ends.get(rec.id) ?? null;
          if (end && (!line.until || end > line.until)) line.until = end;
        } else if (claim) {
          line.kept++;
          line.why = 'we need it for legal claims (Article 17(3)(e) UK GDPR)';
          line.until = claim.until ?? null;
        } else {
          line.erased++;
          toDelete.push(rec);
        }
      }
      // The identifiers go on the suppression list before their records are deleted.
      const suppressed = await suppressSubject(trx, ctx, actor, subjectId, 'erasure');
      const now = ctx.clock.now().toISOString();
      await deleteRecordRows(trx, toDelete.map((r) => r.id), { now, reason: 'rights-request' });
      // The person asked for erasure: no copy made for an earlier access request stays behind.
      await emptyPacksOfSubjects(trx, [subjectId]);
      const erasedWhole = (await eraseEmptySubjects(trx, [subjectId], now, 'rights-request')).has(subjectId);
      await appendAudit(trx, ctx, actor, [
        ...toDelete.map((r) => ({ action: 'record.delete', subjectId, recordId: r.id, details: { category: r.category, digest: r.digest, reason: `request:${row.id}` } })),
        ...(erasedWhole ? [{ action: 'subject.erase', subjectId, details: { records: toDelete.length, keyDestroyed: true, reason: `request:${row.id}` } }] : []),
      ]);
      const affected = [...lines.values()].filter((l) => l.erased > 0).map((l) => l.category);
      const tasks = await createTasks(trx, ctx, row.id, subjectId, 'erasure', affected);
      const categories = [...lines.values()];
      doc.result = { categories, keyDestroyed: erasedWhole };
      const kept = categories.reduce((n, l) => n + l.kept, 0);
      return {
        set: { status: 'completed', outcome: kept ? 'partly-erased' : 'erased', closed_at: now },
        event: { type: 'fulfilled', details: { erased: toDelete.length, kept, keyDestroyed: erasedWhole, suppressed: suppressed.identifiers, tasks } },
        audit: { action: 'request.erasure', details: { erased: toDelete.length, kept, keyDestroyed: erasedWhole } },
        letter: 'erasure',
      };
    },
    opts,
  );
}
