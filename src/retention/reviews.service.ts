/**
 * Periodic reviews ("every 3 years we review whether we still have a legitimate interest to keep
 * your contact details"): a reviewer looks at a subject due for review under a rule and either
 * keeps the data — with a reason, and the date of the next review — or deletes it.
 *
 * Deleting ends the purposes that the reviewed rule governs, nothing else: a record held only for
 * those purposes is deleted; a record also held for another purpose keeps that purpose (and its
 * own retention) and loses the reviewed ones. If no record is left, the subject's key is destroyed.
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { addDurationClamped, parseCalendarDate, toCalendarDate, type CalendarDate } from './duration.js';
import { holdActive, holdsCovering, unreleasedHolds } from './holds.service.js';
import { deleteRecordRows, eraseEmptySubjects, recordsOfSubject, relationshipsOf, setRecordPurposes, subjectState } from '../register/register.repository.js';
import { subjectsHoldingPurposes } from '../register/register.queries.js';
import { afterErasure } from '../backup/erasure-ledger.js';
import { retentionModel } from './retention.engine.js';
import { PAGE_SUBJECTS, resolveAsOf, reviewsOf, type ReviewDue } from './retention.evaluate.js';
import { loadSubjectPage } from './retention.store.js';
import './retention.tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export const REVIEW_REASON_MAX = 2000;

export interface ReviewDecisionInput {
  subjectId: string;
  rule: string;
  decision: 'keep' | 'delete';
  reason: string;
  /** With keep: the next review (default: review_every from today). */
  nextReviewOn?: string;
}

export interface ReviewDecision {
  id: string;
  subjectId: string;
  rule: string;
  decision: 'keep' | 'delete';
  decidedBy: string;
  decidedAt: string;
  nextReviewOn: CalendarDate | null;
  /** With delete: records deleted, records that lost the reviewed purposes, and whether the key went. */
  deleted: number;
  narrowed: number;
  keyDestroyed: boolean;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

export async function decideReview(ctx: AppContext, actor: Actor, input: ReviewDecisionInput): Promise<ReviewDecision> {
  authorise(actor, 'retention:manage');
  const model = retentionModel(ctx.policy);
  const rule = model.rules.get(input.rule);
  if (!rule) throw invalid('rule', `"${String(input.rule).slice(0, 64)}" is not a retention rule in the declaration`);
  if (!rule.reviewEvery) throw invalid('rule', `the rule "${rule.id}" has no review_every: it is not reviewed periodically`);
  if (input.decision !== 'keep' && input.decision !== 'delete') throw invalid('decision', 'is "keep" or "delete"');
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '') throw invalid('reason', 'say why (for keep: the legitimate interest that remains; for delete: why it has gone)');
  if (reason.length > REVIEW_REASON_MAX) throw invalid('reason', `is longer than ${REVIEW_REASON_MAX} characters`);
  const now = ctx.clock.now();
  const today = toCalendarDate(now);
  let next: CalendarDate | null = null;
  if (input.decision === 'keep') {
    next = input.nextReviewOn === undefined ? addDurationClamped(today, rule.reviewEvery) : parseCalendarDate(input.nextReviewOn, 'nextReviewOn');
    if (next <= today) throw invalid('nextReviewOn', `must be after today (${today})`);
  } else if (input.nextReviewOn !== undefined) {
    throw invalid('nextReviewOn', 'only a decision to keep sets a next review');
  }
  const governed = new Set([...model.purposes.values()].filter((p) => p.ruleId === rule.id).map((p) => p.id));

  const decided = await writeTx(ctx, async (trx) => {
    const subject = await subjectState(trx, input.subjectId);
    if (!subject) throw notFound('subject', input.subjectId);
    if (subject.erasedAt) throw new StewardError('CONFLICT', `subject ${input.subjectId} has been erased`);
    const records = await recordsOfSubject(trx, input.subjectId);
    const under = records.filter((r) => model.purposeIds(r.purposes).some((p) => governed.has(p)));
    if (under.length === 0) throw new StewardError('CONFLICT', `subject ${input.subjectId} has no records held under the rule "${rule.id}"`);
    let deleted = 0;
    let narrowed = 0;
    let keyDestroyed = false;
    if (input.decision === 'delete') {
      if (subject.restricted) throw new StewardError('CONFLICT', `subject ${input.subjectId} is restricted (Art 18): its data may only be stored, not deleted, until the restriction is lifted`);
      const rels = new Set(await relationshipsOf(trx, input.subjectId));
      const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, today));
      const holding = new Set(under.flatMap((r) => holdsCovering(holds, model, { subjectId: r.subject_id, category: r.category, purposes: r.purposes }, rels)));
      if (holding.size > 0) throw new StewardError('CONFLICT', `the data is under legal hold (${[...holding].join(', ')}): release the hold before deleting it`);
      const gone: string[] = [];
      const kept: Array<{ id: string; purposes: string }> = [];
      for (const r of under) {
        const entries = JSON.parse(r.purposes) as Array<{ purpose: string }>;
        const remaining = entries.filter((e) => !governed.has(typeof e === 'string' ? e : e.purpose));
        if (remaining.length === 0) gone.push(r.id);
        else kept.push({ id: r.id, purposes: JSON.stringify(remaining) });
      }
      await deleteRecordRows(trx, gone, { now: now.toISOString(), reason: 'review' });
      const at = now.toISOString();
      for (const k of kept) await setRecordPurposes(trx, k.id, k.purposes, at);
      deleted = gone.length;
      narrowed = kept.length;
      keyDestroyed = (await eraseEmptySubjects(trx, [input.subjectId], at, 'review')).has(input.subjectId);
    }
    const id = newId();
    if (!keyDestroyed) {
      await trx
        .insertInto('retention_reviews')
        .values({ id, subject_id: input.subjectId, rule: rule.id, decision: input.decision, reason, decided_by: actor.id, decided_at: now.toISOString(), next_review_on: next })
        .execute();
    }
    await appendAudit(trx, ctx, actor, [
      { action: 'retention.review', subjectId: input.subjectId, details: { review: id, rule: rule.id, decision: input.decision, nextReviewOn: next, deleted, narrowed, keyDestroyed } },
    ]);
    return { id, subjectId: input.subjectId, rule: rule.id, decision: input.decision, decidedBy: actor.id, decidedAt: now.toISOString(), nextReviewOn: next, deleted, narrowed, keyDestroyed };
  });
  if (input.decision === 'delete') await afterErasure(ctx);
  return decided;
}

/** Subjects due for a periodic review on a day (review_every rules), oldest first. */
export async function listReviewsDue(ctx: AppContext, actor: Actor, opts: { asOf?: Date | string; limit?: number; pageSize?: number } = {}): Promise<{ asOf: CalendarDate; due: number; list: ReviewDue[] }> {
  authorise(actor, 'retention:read');
  const { day } = resolveAsOf(ctx, opts.asOf);
  const model = retentionModel(ctx.policy);
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 10_000));
  const all: ReviewDue[] = [];
  let due = 0;
  const reviewed = [...model.purposes.values()].filter((p) => p.rule?.reviewEvery).map((p) => p.id);
  if (reviewed.length > 0) {
    // Only subjects holding a record for a reviewed purpose are read.
    const candidates = (await subjectsHoldingPurposes(ctx.database.db, reviewed)).sort();
    const size = opts.pageSize ?? PAGE_SUBJECTS;
    for (let i = 0; i < candidates.length; i += size) {
      const page = await loadSubjectPage(ctx.database.db, { ids: candidates.slice(i, i + size), limit: size, asOf: day });
      if (!page) continue;
      for (const s of page.subjects) {
        for (const r of reviewsOf(model, s, page.records.get(s.id) ?? [], page.reviews.get(s.id))) {
          if (r.dueOn > day) continue;
          due++;
          all.push(r);
        }
      }
      // Keep memory bounded: only the oldest `limit` are listed.
      if (all.length > limit * 4) {
        all.sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.subjectId.localeCompare(b.subjectId));
        all.length = limit;
      }
    }
  }
  all.sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.subjectId.localeCompare(b.subjectId));
  return { asOf: day, due, list: all.slice(0, limit) };
}
