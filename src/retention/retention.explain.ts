/**
 * One subject's retention, explained: every record with its end, the rule that decided it, each
 * purpose's own end, the holds and conditions keeping it, and the reviews due.
 */
import { authorise, type Actor } from '../auth/roles.js';
import { notFound } from '../shared/errors.js';
import { eventConditions } from './conditions.js';
import { type CalendarDate } from './duration.js';
import { holdActive, unreleasedHolds } from './holds.service.js';
import { subjectState } from '../register/register.repository.js';
import { retentionModel, type Condition, type PurposeOutcome } from './retention.engine.js';
import { loadSubjectPage } from './retention.store.js';
import type { AppContext } from '../kernel/context.js';
import { evaluatePage, planItem, resolveAsOf, reviewsOf, type PlanItem, type PlanOptions, type ReviewDue } from './retention.evaluate.js';

export interface RecordExplanation extends Omit<PlanItem, 'subjectId'> {
  purposes: PurposeOutcome[];
  holds: string[];
  condition: Condition | null;
}

export interface SubjectExplanation {
  subjectId: string;
  asOf: CalendarDate;
  erasedAt: string | null;
  restricted: boolean;
  records: RecordExplanation[];
  reviews: ReviewDue[];
}

/** Every record of one subject with its end, the rule that decided, and each purpose's own end. */
export async function explainSubject(ctx: AppContext, actor: Actor, subjectId: string, opts: Omit<PlanOptions, 'compare' | 'detail'> = {}): Promise<SubjectExplanation> {
  authorise(actor, 'retention:read');
  const { day, at } = resolveAsOf(ctx, opts.asOf);
  const db = ctx.database.db;
  const row = await subjectState(db, subjectId);
  if (!row) throw notFound('subject', subjectId);
  if (row.erasedAt) return { subjectId, asOf: day, erasedAt: row.erasedAt, restricted: row.restricted, records: [], reviews: [] };
  const model = retentionModel(ctx.policy);
  const page = await loadSubjectPage(db, { only: subjectId, limit: 1, asOf: day });
  if (!page) throw notFound('subject', subjectId);
  const holds = (await unreleasedHolds(db)).filter((h) => holdActive(h, day));
  const evaluated = (await evaluatePage(db, model, page, day, at, holds, opts.conditions ?? eventConditions)).get(subjectId) ?? [];
  const subject = page.subjects[0]!;
  return {
    subjectId,
    asOf: day,
    erasedAt: null,
    restricted: subject.restricted,
    records: [...evaluated].sort((a, b) => (a.record.id < b.record.id ? -1 : 1)).map(({ record, verdict }) => {
      const { subjectId: _s, ...item } = planItem(subjectId, record, verdict);
      return { ...item, purposes: [...verdict.outcomes], holds: [...(verdict.holds ?? [])], condition: verdict.condition ?? null };
    }),
    reviews: reviewsOf(model, subject, page.records.get(subjectId) ?? [], page.reviews.get(subjectId)),
  };
}

